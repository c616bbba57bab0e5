"""`zcheck fmt`: the canonical layout round-trips (same AST), is idempotent, keeps every
comment, and `--check` / in-place / stdin modes behave as documented in docs/cli.md."""

from __future__ import annotations

import glob
import io
import os
import re
import sys

import pytest

from zcheck.cli import main
from zcheck.diagnostics import DiagnosticError
from zcheck.fmt import format_text
from zcheck.spec.parser import parse
from zcheck.spec.printer import comments

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, "models", "**", "*.zdl"), recursive=True)
                + glob.glob(os.path.join(ROOT, "tests", "golden", "*.zdl")))


def _words(text: str) -> list[str]:
    return [" ".join(c.text.split()) for c in comments(text)]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: os.path.relpath(p, ROOT))
def test_round_trip_same_ast_idempotent_comments_kept(path: str) -> None:
    text = open(path, encoding="utf-8").read()
    out = format_text(text, path)
    assert parse(out, path) == parse(text, path)
    assert format_text(out, path) == out
    assert _words(out) == _words(text)
    assert all(len(line) <= 120 or "//" in line for line in out.splitlines()), "a line too long to be canonical"


def test_bundled_models_found() -> None:
    assert len(MODELS) >= 5


BUNDLED = [p for p in MODELS if os.path.relpath(p, ROOT).startswith("models")]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: os.path.relpath(p, ROOT))
def test_bundled_models_are_in_canonical_form(path: str) -> None:
    """What `zcheck fmt --check models/*.zdl models/common/*.zdl` checks (run
    `zcheck fmt` on the file to fix it, then `python3 scripts/model_reports.py` and
    `python3 scripts/models_table.py`: line numbers move)."""
    text = open(path, encoding="utf-8").read()
    assert format_text(text, path) == text, f"{os.path.relpath(path, ROOT)} is not formatted"


def test_comments_with_control_characters_are_kept_as_they_are() -> None:
    src = "model m\n// own\x00line\nvar x: int = 0  // t\x00rail\n"
    assert format_text(src) == src


def test_trailing_comments_of_consecutive_lines_share_a_column() -> None:
    src = ("var a: int = 0 // one\nvar long_name: bool = false   // two\n\n"
           "var c: int = 1      // three\n")
    assert format_text(src) == ("var a: int = 0               // one\nvar long_name: bool = false  // two\n\n"
                                "var c: int = 1  // three\n")


SAMPLE = """// header
model m   // the model
enum e_t { A, B, }
var x : int = 0 ; var m: map[0 .. 4] e_t = A


/* block
   comment */
action go(i: 0..4) {
  // before the require
  require x<3&&(m[i]==A||m[i]==B)
  if x == 0 { x := x+1 } else if x == 1 { x := 2 }  else {
    m[i] := B   // trailing
  }
}
invariant small: (x < 4)
check small expect holds
"""

EXPECTED = """// header
model m  // the model
enum e_t { A, B }
var x: int = 0
var m: map[0 .. 4] e_t = A

/* block
   comment */
action go(i: 0 .. 4) {
  // before the require
  require x < 3 && (m[i] == A || m[i] == B)
  if x == 0 {
    x := x + 1
  } else if x == 1 {
    x := 2
  } else {
    m[i] := B  // trailing
  }
}
invariant small: x < 4
check small expect holds
"""


def test_canonical_layout() -> None:
    assert format_text(SAMPLE) == EXPECTED


@pytest.mark.parametrize("source, printed", [
    ("invariant i: (a && b) || c", "invariant i: (a && b) || c"),
    ("invariant i: a && b || c", "invariant i: (a && b) || c"),
    ("invariant i: a - (b - c) == (a - b) - c", "invariant i: a - (b - c) == a - b - c"),
    ("invariant i: (a -> b) -> c", "invariant i: (a -> b) -> c"),
    ("invariant i: a -> (b -> c)", "invariant i: a -> b -> c"),
    ("invariant i: (forall x: int :: x > 0) && y", "invariant i: (forall x: int :: x > 0) && y"),
    # found by fuzzing: a quantifier on the left of `<->` needs its parentheses
    ("cover c: ((exists s in 0 .. 2 :: true) <-> true)", "cover c: (exists s in 0 .. 2 :: true) <-> true"),
    ("invariant i: y && (forall x: int :: x > 0)", "invariant i: y && forall x: int :: x > 0"),
    ("invariant i: (1 << B) - 1 < (m << S)", "invariant i: (1 << B) - 1 < (m << S)"),
    ("invariant i: !(!b) && -(-x) == 1", "invariant i: !!b && --x == 1"),
    ("invariant i: (if a then b else c) == d", "invariant i: (if a then b else c) == d"),
    ("invariant i: f(a)[0 + 1] in 0 .. 3", "invariant i: f(a)[0 + 1] in 0 .. 3"),
    ("invariant i: forall x, y: int, z: bool :: x == y", "invariant i: forall x, y: int, z: bool :: x == y"),
    ("check \"go.range@3\" with N = 2 under s depth 3 engine bmc expect violated at 2",
     "check \"go.range@3\" with N = 2 under s depth 3 engine bmc expect violated at 2"),
])
def test_expressions_keep_meaning(source: str, printed: str) -> None:
    out = format_text(source).strip()
    assert out == printed
    assert parse(out, "f") == parse(source, "f")


def test_long_chain_is_broken_at_operators() -> None:
    names = " && ".join(f"flag_number_{i}" for i in range(12))
    out = format_text(f"invariant long: {names}")
    lines = out.splitlines()
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert all(line.startswith("  && ") for line in lines[1:])
    assert parse(out, "f") == parse(f"invariant long: {names}", "f")


def test_check_mode_and_in_place(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    messy = tmp_path / "messy.zdl"
    messy.write_text(SAMPLE)
    clean = tmp_path / "clean.zdl"
    clean.write_text(EXPECTED)
    assert main(["fmt", "--check", str(messy), str(clean)]) == 1
    out = capsys.readouterr().out
    assert f"would reformat {messy}" in out and str(clean) not in out
    assert messy.read_text() == SAMPLE  # --check writes nothing
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_text() == EXPECTED
    assert main(["fmt", "--check", str(messy), str(clean)]) == 0


def test_stdin_to_stdout(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(SAMPLE))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == EXPECTED


def test_syntax_error_is_a_diagnostic(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.zdl"
    bad.write_text("model m\nvar x: int =\n")
    assert main(["fmt", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error[ZC101]" in err and re.search(r"bad\.zdl:\d+:\d+", err)
    assert bad.read_text() == "model m\nvar x: int =\n"


RENAMING = "model m\nvar x: 0 .. 4 = 0\n\n\naction go() {\n  x := x + 1\n}\ninvariant small: x <= 4\n"


def test_a_move_that_renames_a_property_is_refused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Collapsing the two blank lines moves the store into `x` (a range type) from line 6
    to line 5: its range check `go.range@6` would become `go.range@5`."""
    f = tmp_path / "m.zdl"
    f.write_text(RENAMING)
    assert main(["fmt", str(f)]) == 2
    err = capsys.readouterr().err
    assert "ZC408" in err and "`go.range@6`" in err and f"{f}:6:3" in err
    assert f.read_text() == RENAMING
    assert main(["fmt", "--check", str(f)]) == 2 and f.read_text() == RENAMING
    assert main(["fmt", "--allow-renames", str(f)]) == 0
    assert f.read_text() == RENAMING.replace("\n\n\n", "\n\n")


def test_unnamed_asserts_keep_their_line_in_a_model_that_does_not_build(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "m.zdl"
    text = "model m\nconst N: int\nvar x: int = 0\n\n\naction a() {\n  assert x >= 0\n}\n"  # N has no value
    f.write_text(text)
    assert main(["fmt", str(f)]) == 2
    assert "ZC408" in capsys.readouterr().err and f.read_text() == text
    named = text.replace("assert x", "assert nonneg: x")
    f.write_text(named)
    assert main(["fmt", str(f)]) == 0 and f.read_text() == named.replace("\n\n\n", "\n\n")


def test_one_line_blocks_stay_on_one_line() -> None:
    src = "model m\nvar c: 0 .. 3 = 0\nprocess w[2] {\n  step inc  { c := c + 1;assert c > 0 }\n  loop\n}\n"
    assert format_text(src) == src.replace("inc  {", "inc {").replace(";assert", "; assert")
    long = "model m\nvar c: 0 .. 3 = 0\naction a() { " + "; ".join(["c := 0"] * 20) + " }\n"
    with pytest.raises(DiagnosticError) as exc:  # too wide for one line: the stores move
        format_text(long)
    assert {d.code for d in exc.value.diagnostics} == {"ZC408"}


@pytest.mark.parametrize("printed, why", [("model m\nvar x: int = \n", "does not parse"),
                                          ("model m\nvar x: int = 1\n", "different model")])
def test_output_that_would_change_the_model_is_not_written(tmp_path, monkeypatch, capsys,  # type: ignore[no-untyped-def]
                                                           printed: str, why: str) -> None:
    import zcheck.fmt

    monkeypatch.setattr(zcheck.fmt, "format_module", lambda module, text: printed)
    f = tmp_path / "m.zdl"
    f.write_text("model m\nvar x:  int = 0\n")
    assert main(["fmt", str(f)]) == 2
    err = capsys.readouterr().err
    assert "ZC407" in err and why in err
    assert f.read_text() == "model m\nvar x:  int = 0\n"


CORPUS = sorted(set(glob.glob(os.path.join(ROOT, "models", "**", "*.zdl"), recursive=True)
                    + glob.glob(os.path.join(ROOT, "tests", "**", "*.zdl"), recursive=True)))
_TOKEN = re.compile(r'"[^"\n]*"|//[^\n]*|/\*(?:.|\n)*?\*/|[A-Za-z_0-9]+|\s+|.')


def _parses(path: str) -> str | None:
    try:
        text = open(path, encoding="utf-8").read()
        parse(text, path)
        return text
    except (DiagnosticError, UnicodeDecodeError):
        return None


def test_every_corpus_file_formats_to_a_fixpoint_with_the_same_model() -> None:
    """Every parsing .zdl file of models/ and tests/: formatting keeps the module and the
    comments, and formatting the result changes nothing."""
    texts = [(p, t) for p in CORPUS if (t := _parses(p)) is not None]
    assert len(texts) >= 100
    for path, text in texts:
        out = format_text(text, path, keep_names=False)
        assert parse(out, path) == parse(text, path), path
        assert format_text(out, path, keep_names=False) == out, path
        assert _words(out) == _words(text), path


def test_comments_anywhere_fuzz() -> None:
    """Comments (line, block, multi-line block) dropped between random tokens of corpus
    files, `else` included: formatting keeps the module and every comment and is
    idempotent; and when it does not refuse (ZC408), no property is renamed."""
    import random

    from zcheck.system.build import build

    rnd = random.Random(2026)
    texts = [(p, t) for p in CORPUS if (t := _parses(p)) is not None]
    tried = refused = 0
    for i in range(160):
        path, text = rnd.choice(texts)
        toks = _TOKEN.findall(text)
        if i % 4 == 0:  # aim at `else`
            gaps = [j for j, tok in enumerate(toks) if tok == "else"] or [1]
            gaps = [g + d for g in gaps for d in (0, 1)]
        else:
            gaps = [j for j in range(1, len(toks)) if not toks[j - 1].startswith(("//", "/*", '"'))]
        for j in sorted(rnd.sample(gaps, min(len(gaps), rnd.randint(1, 3))), reverse=True):
            toks.insert(j, rnd.choice([f" // c{i}\n", f" /* c{i} */ ", f"\n// c{i}\n", f"/*c{i}\n*/"]))
        src = "".join(toks)
        try:
            module = parse(src, path)
        except DiagnosticError:
            continue
        tried += 1
        out = format_text(src, path, keep_names=False)
        assert parse(out, path) == module and format_text(out, path, keep_names=False) == out, src
        assert _words(out) == _words(src), src
        try:
            kept = format_text(src, path)
        except DiagnosticError as exc:
            assert {d.code for d in exc.diagnostics} == {"ZC408"}
            refused += 1
            continue
        try:
            names = [p.name for p in build(path, text=src).properties]
        except DiagnosticError:
            continue
        assert [p.name for p in build(path, text=kept).properties] == names, src
    assert tried >= 80 and refused < tried
