"""A Pygments lexer for ZDL, and the highlighting of model excerpts in the reports.

Input: ZDL text (a model, or one line of it quoted by a report). Output: Pygments
tokens (`ZdlLexer`, registered as the `zdl` lexer by the `pygments.lexers` entry point
in pyproject.toml, so `pygmentize -l zdl FILE` works once zcheck is installed), or
self-contained HTML: spans with inline styles and escaped text (`html`), which the HTML
report and the notebook display use for the property and step excerpts.

The words come from zcheck/spec/grammar.lark: every keyword the grammar has, string
literal or `/(a|b)\\b/` terminal, is in exactly one of the tuples below, and nothing else
is (tests/test_pygments_zdl.py checks both ways, so the two cannot drift apart). The
builtins (`int`, `bool`, `min`, `max`) are names the type checker knows, not grammar
words. A lexer is not a parser: a keyword used as an ordinary name is shown as a keyword.
"""

from __future__ import annotations

from typing import ClassVar

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer, bygroups, words
from pygments.styles.default import DefaultStyle
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace, _TokenType

DECLARATIONS = ("model", "import", "const", "type", "enum", "var", "fn", "assume", "init", "action", "property",
                "invariant", "cover", "lemma", "transitions", "process", "procedure", "step", "lock", "rwsem",
                "scenario", "check")
KEYWORDS = ("if", "then", "else", "let", "any", "in", "require", "await", "assert", "bug_on", "goto", "done", "loop",
            "call", "nested", "forall", "exists", "set", "clear",
            "always", "eventually", "leads_to", "fair", "strong",  # liveness
            "with", "under", "depth", "engine", "expect", "at")  # check directives
TYPES = ("map",)
CONSTANTS = ("true", "false")
VERDICTS = ("holds", "proved", "violated", "reached", "unreachable")  # after `expect`
PRIMITIVES = ("acquire", "release", "down_read", "up_read", "down_write", "up_write", "try_acquire",
              "down_read_trylock", "down_write_trylock", "rcu_read_lock", "rcu_read_unlock", "synchronize_rcu")
GRAMMAR_WORDS = DECLARATIONS + KEYWORDS + TYPES + CONSTANTS + VERDICTS + PRIMITIVES

BUILTIN_TYPES = ("int", "bool")
BUILTIN_FUNCTIONS = ("min", "max")
SYMBOLS = ("~>", "<->", "->", ":=", "::", "...", "..", "==", "!=", "<=", ">=", "<<", ">>", "&&", "||",
           "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "=")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def _declares(keywords: str, name: _TokenType) -> tuple[str, object]:
    """A rule for `KEYWORD NAME`: the keyword, and the name it declares shown as `name`."""
    return rf"({keywords})(\s+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, name)  # type: ignore[no-untyped-call]


class ZdlLexer(RegexLexer):
    """ZDL, the modelling language of zcheck (docs/language.md)."""

    name = "ZDL"
    aliases: ClassVar[list[str]] = ["zdl"]
    filenames: ClassVar[list[str]] = ["*.zdl"]
    mimetypes: ClassVar[list[str]] = ["text/x-zdl"]

    tokens: ClassVar[dict[str, list[tuple[object, ...]]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "comment"),
            (r'"[^"\n]*"', String.Double),
            (r"0[xX][0-9a-fA-F_]+", Number.Hex),
            (r"0[bB][01_]+", Number.Bin),
            (r"[0-9][0-9_]*", Number.Integer),
            _declares("model", Name.Namespace),
            _declares("fn|action|process|procedure|step", Name.Function),
            _declares("enum|type", Name.Class),
            _declares("invariant|cover|lemma|property", Name.Label),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(TYPES + BUILTIN_TYPES, suffix=r"\b"), Keyword.Type),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(VERDICTS, suffix=r"\b"), Name.Constant),
            (words(PRIMITIVES + BUILTIN_FUNCTIONS, suffix=r"\b"), Name.Builtin),
            (_NAME, Name),
            (words(SYMBOLS), Operator),
            (r"[{}()\[\],;:.]", Punctuation),
        ],
        "comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
    }


class ReportStyle(DefaultStyle):
    """Pygments' default colours, with whitespace left unstyled (a span per space would
    double the size of a highlighted line, for no visible difference)."""

    styles = {**DefaultStyle.styles, Whitespace: ""}


def html(code: str) -> str:
    """`code` as HTML spans with inline styles (ReportStyle), every character of it
    escaped; no wrapper, so it goes inside the caller's `<pre>` or `<code>`."""
    formatter = HtmlFormatter(noclasses=True, nowrap=True, style=ReportStyle)
    out: str = highlight(code, ZdlLexer(), formatter)
    return out[:-1] if out.endswith("\n") and not code.endswith("\n") else out
