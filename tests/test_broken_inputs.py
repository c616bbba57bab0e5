"""Broken inputs: every one must be rejected with exit 2 and a located diagnostic.

Input: the corpus `tests/broken/NNN_name.zdl` (each file's first line says how to run it
and which code to expect) plus a few pathological inputs generated here at run time
(missing file, non-UTF-8, 10 MB, 10,000-deep nesting). Output: pass/fail per case.

Header syntax (first line of a case):

    // zcheck SUBCOMMAND [OPTIONS...]  expect ZCnnn[|ZCnnn...]  [in FILE...]

The case file is passed right after SUBCOMMAND. `in FILE...` names other files (relative
to tests/broken) where the diagnostic may be located, for errors inside imported files.
Files under tests/broken/imports/ are helpers, not cases.

For every case: exit code 2, no Python traceback, and at least one diagnostic
`error[CODE]: ...` with an expected CODE followed by a `--> FILE:LINE:COL` line. When the
command line has no options the location must name the case file (or an `in` file);
for command-line errors (`-D`, `-p`, ...) `<command line>:1:1` is also accepted.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "broken"
TIMEOUT = 60

HEADER_RE = re.compile(
    r"^//\s*zcheck\s+(?P<cmd>.*?)\s+expect\s+(?P<codes>ZC\d{3}(?:\|ZC\d{3})*)"
    r"(?:\s+in\s+(?P<also>.+?))?\s*$"
)
DIAG_RE = re.compile(r"^error\[(?P<code>ZC\d{3})\]: .*$")
LOC_RE = re.compile(r"^\s*-->\s*(?P<file>.+):(?P<line>\d+):(?P<col>\d+)\s*$")


@dataclass(frozen=True)
class Case:
    path: Path
    subcommand: str
    options: tuple[str, ...]
    codes: tuple[str, ...]
    also_files: tuple[str, ...]


def parse_case(path: Path) -> Case:
    first = path.read_text("utf-8").splitlines()[0]
    m = HEADER_RE.match(first)
    assert m, f"{path.name}: first line is not a `// zcheck CMD ... expect ZCnnn` header: {first!r}"
    cmd = shlex.split(m.group("cmd"))
    also = tuple(m.group("also").split()) if m.group("also") else ()
    return Case(path, cmd[0], tuple(cmd[1:]), tuple(m.group("codes").split("|")), also)


CASE_FILES = sorted(BROKEN.glob("*.zdl"))


def run_zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "zcheck", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
    )


def diagnostics(stderr: str) -> list[tuple[str, str | None]]:
    """(code, location) for each `error[ZC...]` in stderr; location is the next `-->` line."""
    lines = stderr.splitlines()
    out: list[tuple[str, str | None]] = []
    for i, line in enumerate(lines):
        m = DIAG_RE.match(line)
        if not m:
            continue
        loc = None
        for nxt in lines[i + 1 : i + 4]:
            if DIAG_RE.match(nxt):
                break
            if LOC_RE.match(nxt):
                loc = nxt
                break
        out.append((m.group("code"), loc))
    return out


def same_file(loc_file: str, candidates: list[Path]) -> bool:
    """Whether a diagnostic's file names one of `candidates` (absolute, or relative to
    the repository or the working directory)."""
    loc = Path(loc_file)
    for c in candidates:
        if loc.name != c.name:
            continue
        full = c.resolve().as_posix()
        if (REPO / loc).resolve().as_posix() == full or full.endswith("/" + loc.as_posix().lstrip("./")):
            return True
    return False


def assert_rejected(
    proc: subprocess.CompletedProcess[str],
    codes: tuple[str, ...],
    files: list[Path] | None,
) -> None:
    """Exit 2, no traceback, a diagnostic with one of `codes` located in one of `files`
    (any file:line:col, including `<command line>`, when `files` is None)."""
    shown = f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    assert proc.returncode == 2, shown
    assert "error[ZC" in proc.stderr, shown
    found = diagnostics(proc.stderr)
    wanted = [(c, loc) for c, loc in found if c in codes]
    assert wanted, f"expected {' or '.join(codes)}, got {[c for c, _ in found]}\n{shown}"
    located = [loc for _, loc in wanted if loc is not None]
    assert located, f"no `--> file:line:col` after error[{'|'.join(codes)}]\n{shown}"
    if files is not None:
        ok = [loc for loc in located if same_file(LOC_RE.match(loc).group("file"), files)]  # type: ignore[union-attr]
        assert ok, f"location does not name {[str(f.name) for f in files]}: {located}\n{shown}"


# ---------------------------------------------------------------- the corpus


def test_corpus_is_large_enough_and_well_formed() -> None:
    cases = [parse_case(p) for p in CASE_FILES]
    assert len(cases) >= 60
    assert len({p.name[:3] for p in CASE_FILES}) == len(CASE_FILES), "case numbers must be unique"
    for c in cases:
        assert c.subcommand in {"check", "verify"}, c.path.name
        for f in c.also_files:
            assert (BROKEN / f).is_file(), f"{c.path.name}: `in {f}` does not exist"
    for helper in (BROKEN / "imports").glob("*.zdl"):
        assert not HEADER_RE.match(helper.read_text("utf-8").splitlines()[0]), (
            f"{helper}: helpers must not carry a case header"
        )


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_broken_file(path: Path) -> None:
    case = parse_case(path)
    rel = path.relative_to(REPO).as_posix()
    proc = run_zcheck(case.subcommand, rel, *case.options)
    files = None if case.options else [path, *(BROKEN / f for f in case.also_files)]
    assert_rejected(proc, case.codes, files)


# ---------------------------------------------------------------- generated at run time


def _write_missing(tmp: Path) -> Path:
    return tmp / "no_such_model.zdl"


def _write_non_utf8(tmp: Path) -> Path:
    p = tmp / "latin.zdl"
    p.write_bytes(b"model m\n\xff\xfe var")
    return p


def _write_ten_megabytes(tmp: Path) -> Path:
    p = tmp / "huge.zdl"
    unit = "var x: int = 0 // a valid-looking line, repeated until the file is 10 MB\n"
    p.write_text("model m\n" + unit * (10 * 1024 * 1024 // len(unit) + 1), "utf-8")
    return p


def _write_nested_parens(tmp: Path) -> Path:
    p = tmp / "parens.zdl"
    p.write_text("model m\ninvariant i: " + "(" * 10_000 + "true" + ")" * 10_000 + "\n", "utf-8")
    return p


def _write_repeated_bang(tmp: Path) -> Path:
    p = tmp / "bangs.zdl"
    p.write_text("model m\ninvariant i: " + "!" * 10_000 + "true\n", "utf-8")
    return p


def _write_repeated_minus(tmp: Path) -> Path:
    p = tmp / "minus.zdl"
    p.write_text("model m\nvar x: int = " + "-" * 10_000 + "1\n", "utf-8")
    return p


def _write_nested_ifs(tmp: Path) -> Path:
    p = tmp / "ifs.zdl"
    body = "if true {\n" * 5_000 + "x := 1\n" + "}\n" * 5_000
    p.write_text("model m\nvar x: int = 0\naction a() {\n" + body + "}\n", "utf-8")
    return p


def _write_import_dev_zero(tmp: Path) -> Path:
    p = tmp / "zero.zdl"
    p.write_text('model m\nimport "/dev/zero"\nvar x: bool = false\ninvariant i: !x\n', "utf-8")
    return p


def _write_import_fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.zdl")  # no writer: opening it would block for ever
    p = tmp / "fifo.zdl"
    p.write_text('model m\nimport "pipe.zdl"\nvar x: bool = false\ninvariant i: !x\n', "utf-8")
    return p


def _write_doubling_functions(tmp: Path) -> Path:
    """`f(k)` calls `f(k-1)` twice: inlined, 2^k nodes (a RecursionError, exit 4, before)."""
    lines = ["model m", "var x: int = 0", "fn f0(a: int): int = a + 1"]
    lines += [f"fn f{k}(a: int): int = f{k - 1}(f{k - 1}(a))" for k in range(1, 18)]
    p = tmp / "doubling.zdl"
    p.write_text("\n".join(lines + ["invariant i: f17(x) >= 0", ""]), "utf-8")
    return p


GENERATED = {
    "missing_file": (_write_missing, "ZC100"),
    "non_utf8": (_write_non_utf8, "ZC100"),
    "ten_megabytes": (_write_ten_megabytes, "ZC100"),
    "nested_parens_10000": (_write_nested_parens, "ZC102"),
    "repeated_bang_10000": (_write_repeated_bang, "ZC102"),
    "repeated_minus_10000": (_write_repeated_minus, "ZC102"),
    "nested_if_5000": (_write_nested_ifs, "ZC102"),
    "import_dev_zero": (_write_import_dev_zero, "ZC103"),
    "import_fifo": (_write_import_fifo, "ZC103"),
    "doubling_functions": (_write_doubling_functions, "ZC102"),
}


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_broken_input(name: str, tmp_path: Path) -> None:
    write, code = GENERATED[name]
    path = write(tmp_path)
    proc = run_zcheck("check", str(path))
    assert_rejected(proc, (code,), [path])


def test_empty_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.zdl"
    path.write_text("", "utf-8")
    proc = run_zcheck("check", str(path))
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_main_file_that_never_ends_is_cut_at_the_size_limit() -> None:
    """`/dev/zero` reports size 0: the read itself is bounded (it grew without limit)."""
    proc = run_zcheck("verify", "/dev/zero")
    assert_rejected(proc, ("ZC100",), [Path("/dev/zero")])
    assert "larger than" in proc.stderr


def test_main_file_may_be_a_pipe() -> None:
    """`zcheck verify <(generate)`: a pipe is read like a file."""
    text = "model m\nvar x: 0 .. 2 = 0\naction a() { x := 1 - x }\ninvariant i: x < 2\n"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "zcheck", "verify", "/dev/stdin"], input=text, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"PROVED +i ", proc.stdout), proc.stdout


def test_timeout_covers_loading_the_model(tmp_path: Path) -> None:
    """A FIFO with no writer blocks in `open`: `--timeout` still ends the run, exit 3."""
    fifo = tmp_path / "never.zdl"
    os.mkfifo(fifo)
    proc = run_zcheck("verify", str(fifo), "--timeout", "2")
    assert proc.returncode == 3, proc.stderr
    assert "ran out while loading the model" in proc.stderr
    assert "Traceback" not in proc.stderr
