"""The ZDL Pygments lexer (issue 19): every model of the library lexes without an Error
token and round-trips; its words are exactly the grammar's (checked against
zcheck/spec/grammar.lark, so the two cannot drift); the liveness syntax is highlighted;
it is registered as the `zdl` lexer by an entry point that `pygmentize -l zdl` finds
once zcheck is installed; and the HTML report highlights model excerpts with it."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from lark import Lark
from lark.lexer import PatternRE, PatternStr
from pygments.token import Error, Keyword, Name, Operator, Punctuation, _TokenType

from zcheck import api
from zcheck.counterexamples.render_html import render_html
from zcheck.counterexamples.render_markdown import render_markdown
from zcheck.pygments_zdl import BUILTIN_FUNCTIONS, BUILTIN_TYPES, GRAMMAR_WORDS, ZdlLexer, html

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "zcheck" / "spec" / "grammar.lark"
MODELS = sorted([*ROOT.glob("models/*.zdl"), *ROOT.glob("models/common/*.zdl"), *ROOT.glob("docs/examples/*.zdl"),
                 *ROOT.glob("tests/golden/*.zdl")])
NOT_WORDS = {"NAME", "INT", "STRING", "COMMENT", "BLOCK_COMMENT"}  # the lexer's own rules, not keyword lists

LIVENESS = """
model live
var x: 0 .. 3 = 0
var ack: bool = false
strong fair process worker {
  step go { x := x + 1 }
}
fair action reset() { ack := true }
property progress: always eventually x == 0
property settles: eventually always ack
property answered: x == 1 leads_to ack
property answered2: x == 1 ~> ack
"""


def _tokens(text: str) -> list[tuple[_TokenType, str]]:
    return list(ZdlLexer(stripnl=False, ensurenl=False).get_tokens(text))


@pytest.mark.parametrize("model", MODELS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_model_lexes_without_an_error_token_and_round_trips(model: Path) -> None:
    text = model.read_text(encoding="utf-8")
    toks = _tokens(text)
    assert [v for t, v in toks if t in Error] == []
    assert "".join(v for _, v in toks) == text


def test_the_library_is_all_there() -> None:
    assert len([m for m in MODELS if m.parent.name == "models"]) >= 15


def _grammar() -> tuple[set[str], set[str]]:
    """(the keywords, the symbols) of grammar.lark, as its own parser generator sees them."""
    words: set[str] = set()
    symbols: set[str] = set()
    for term in Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr").terminals:
        if term.name in NOT_WORDS or term.name.startswith("__IGNORE"):
            continue
        if isinstance(term.pattern, PatternStr):
            literals = [term.pattern.value]
        else:
            assert isinstance(term.pattern, PatternRE)
            body = term.pattern.value.replace("\\b", "")
            body = re.sub(r"^\(\?:|^\(|\)$", "", body)  # `(?:a|b)` and `(a|b)`: the alternatives
            literals = [re.sub(r"\\(.)", r"\1", alt) for alt in body.split("|")]
        for lit in literals:
            (words if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", lit) else symbols).add(lit)
    return words, symbols


def test_the_keywords_are_exactly_the_grammars_words() -> None:
    words, _ = _grammar()
    words.discard("_")  # `_` (any argument in a scenario) is a name to the lexer
    assert sorted(words - set(GRAMMAR_WORDS)) == []  # a new keyword: add it to pygments_zdl.py
    assert sorted(set(GRAMMAR_WORDS) - words) == []  # a keyword the grammar lost
    assert len(GRAMMAR_WORDS) == len(set(GRAMMAR_WORDS))  # each in one category


def test_the_liveness_words_are_covered() -> None:
    for w in ("property", "always", "eventually", "leads_to", "fair", "strong"):
        assert w in GRAMMAR_WORDS


@pytest.mark.parametrize("word", GRAMMAR_WORDS + BUILTIN_TYPES + BUILTIN_FUNCTIONS)
def test_each_word_is_one_highlighted_token(word: str) -> None:
    (tok,) = _tokens(word)
    assert tok[1] == word and any(tok[0] in kind for kind in (Keyword, Name.Builtin, Name.Constant))


def test_every_grammar_symbol_is_one_operator_or_punctuation_token() -> None:
    _, symbols = _grammar()
    assert "~>" in symbols and "<->" in symbols and ":=" in symbols
    for sym in sorted(symbols):
        toks = _tokens(sym)
        assert len(toks) == 1 and toks[0][0] in (Operator, Punctuation), (sym, toks)


def test_the_builtins_are_names_the_type_checker_knows(tmp_path: Path) -> None:
    model = tmp_path / "b.zdl"
    model.write_text("model b\nvar x: int = 0\nvar f: bool = false\n"
                     "action a() { x := max(x, 1) + min(x, 2) }\ninvariant ok: x >= 0 || f\n")
    api.build(str(model))  # raises DiagnosticError if a builtin is unknown


def test_the_liveness_syntax_is_highlighted() -> None:
    toks = [(t, v) for t, v in _tokens(LIVENESS) if v.strip()]
    assert [v for t, v in toks if t in Error] == []
    kinds = dict((v, t) for t, v in toks)
    assert kinds["always"] in Keyword and kinds["eventually"] in Keyword and kinds["leads_to"] in Keyword
    assert kinds["strong"] in Keyword and kinds["fair"] in Keyword and kinds["~>"] is Operator
    assert kinds["property"] is Keyword.Declaration and kinds["progress"] is Name.Label


def test_a_declared_name_is_shown_as_what_it_declares() -> None:
    toks = dict((v, t) for t, v in _tokens("model m\naction add_ram(s: int) { }\nenum zone_t { A }\n"
                                            "invariant safe: true\n"))
    assert toks["m"] is Name.Namespace and toks["add_ram"] is Name.Function
    assert toks["zone_t"] is Name.Class and toks["safe"] is Name.Label


def test_broken_input_gives_error_tokens_not_an_exception() -> None:
    toks = _tokens("var x: int = 0 @ $ \x00 /* unterminated")
    assert [v for t, v in toks if t in Error] == ["@", "$", "\x00"]


# ---------------------------------------------------------------- registration


def test_the_entry_point_names_the_lexer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    target = project["entry-points"]["pygments.lexers"]["zdl"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is ZdlLexer
    assert "zdl" in ZdlLexer.aliases and "*.zdl" in ZdlLexer.filenames


@pytest.mark.slow
def test_pygmentize_finds_the_lexer_once_installed(tmp_path: Path) -> None:
    """The metadata an install writes (setuptools' egg_info, from pyproject.toml: offline,
    and nothing written into the project) carries the entry point; Pygments' command
    line, with that metadata on its path, then knows `-l zdl` and `*.zdl` files."""
    meta = tmp_path / "meta"
    meta.mkdir()
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "egg_info", "--egg-base", str(meta)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    model = ROOT / "models" / "zone_device_max_pfn.zdl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(meta), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "pygments", "-l", "zdl", "-f", "html", str(model)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '<span class="kd">invariant</span>' in done.stdout and 'class="err"' not in done.stdout
    guessed = subprocess.run([sys.executable, "-m", "pygments", "-N", str(model)], env=env, capture_output=True,
                             text=True, timeout=120, cwd=tmp_path)
    assert guessed.stdout.strip() == "zdl"  # by the file name


# ---------------------------------------------------------------- in the reports


def test_html_excerpts_are_highlighted_and_escaped() -> None:
    hostile = 'invariant x_ok: y < 3   // </pre><script>alert("x")</script> & "q"'
    out = html(hostile)
    assert "<script>" not in out and "&lt;/pre&gt;&lt;script&gt;" in out and "&amp;" in out
    assert 'style="color:' in out and "class=" not in out  # inline styles: the report has no style sheet for it
    text = re.sub(r"<[^>]+>", "", out)
    assert text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'") \
        .replace("&amp;", "&") == hostile


def test_the_html_report_highlights_the_property_and_the_steps() -> None:
    system = api.build(str(ROOT / "models" / "zone_device_max_pfn.zdl"))
    run = api.verify_system(system, api.select(system, ["device_above_max_pfn"]), 3)
    page = render_html(system, list(run.results), "head")
    pre = page[page.index('<pre class="zdl">'):]
    pre = pre[:pre.index("</pre>")]
    assert "<span" in pre and ">invariant</span>" in pre and ">forall</span>" in pre
    steps = re.findall(r'<code class="zdl">(.*?)</code>', page)
    assert steps and all("<span" in s for s in steps) and any(">action</span>" in s for s in steps)


def test_markdown_fences_model_excerpts_as_zdl() -> None:
    """A Markdown renderer built on Pygments (Python-Markdown's codehilite, MkDocs, Sphinx's
    MyST) highlights a ```zdl block with this lexer once zcheck is installed."""
    system = api.build(str(ROOT / "models" / "zone_device_max_pfn.zdl"))
    run = api.verify_system(system, api.select(system, ["device_above_max_pfn"]), 3)
    doc = render_markdown(system, "m.zdl", list(run.results), "head")
    blocks = re.findall(r"^(`{3,})(\w*)\n(.*?)\n\1$", doc, re.S | re.M)
    zdl = [body for _, lang, body in blocks if lang == "zdl"]
    assert zdl and {lang for _, lang, _ in blocks} <= {"zdl", "text"}
    assert all(not any(t in Error for t, _ in _tokens(body)) for body in zdl)
