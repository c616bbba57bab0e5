"""Formatting: a model's text → its canonical ZDL text (spec.printer), for `zcheck fmt`.

`format_text` returns text that means what the input meant, or raises
`DiagnosticError` and the caller writes nothing:

- the input does not parse: its syntax diagnostic;
- the output would not parse back to an equal module (spans aside): ZC407, a bug in
  the printer, reported rather than written;
- the output would rename a property (ZC408). Unnamed `assert`s and `bug_on`s and the
  range checks of stores are named after their line (`add_dev.assert@12`, ZDL.md), and
  `check` directives, `-p` and saved reports use those names, so a statement that
  carries one must keep its line. When the model builds (imports resolved from the
  file's folder, default constants), the property names of both texts are compared
  exactly; when it does not, the lines of unnamed `assert`s and `bug_on`s are.
  `keep_names=False` (`--allow-renames`) formats anyway. Blocks written on one line stay
  on one line when they fit (printer.py), which keeps most such statements in place.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, get_args

from zcheck.diagnostics import Diagnostic, DiagnosticError, Span
from zcheck.spec import ast
from zcheck.spec.frontend import normalise_newlines
from zcheck.spec.parser import parse
from zcheck.spec.printer import format_module


def format_text(text: str, file: str = "<text>", keep_names: bool = True) -> str:
    """The canonical form of one file's text, checked to mean the same (module docstring);
    `keep_names=False` (`zcheck fmt --allow-renames`) lets line-named properties move."""
    text = normalise_newlines(text)
    module = parse(text, file)
    pretty = format_module(module, text)
    if pretty == text:
        return pretty
    try:
        again = parse(pretty, file)
    except DiagnosticError as exc:
        raise _not_kept(file, f"the formatted text does not parse ({exc.diagnostics[0].message})") from None
    if again != module:
        raise _not_kept(file, "the formatted text parses to a different model")
    if not keep_names:
        return pretty
    moved = _renamed(file, text, pretty) if _builds(file, text) else _moved_sites(module, again)
    if moved:
        raise DiagnosticError(moved)
    return pretty


def _not_kept(file: str, why: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("ZC407", f"not formatted: {why}; the file is unchanged (a bug in "
                                       "`zcheck fmt`: please report it with the file)", Span(file, 1, 1, 1, 1))])


def _builds(file: str, text: str) -> bool:
    from zcheck.system.build import build

    try:
        build(file, text=text)
    except DiagnosticError:
        return False
    return True


def _renamed(file: str, text: str, pretty: str) -> list[Diagnostic]:
    """ZC408 for every property of `text` that `pretty` would name differently."""
    from zcheck.system.build import build

    try:
        after = {p.name for p in build(file, text=pretty).properties}
    except DiagnosticError:
        return [Diagnostic("ZC407", "not formatted: the formatted model does not type-check; the file is "
                           "unchanged (a bug in `zcheck fmt`: please report it with the file)", Span(file, 1, 1, 1, 1))]
    before = build(file, text=text).properties
    return [_moved(file, p.name, p.span) for p in before if p.name not in after]


def _hint(name: str) -> str:
    if ".range@" in name:
        return "keep the statement on its line (a block written on one line stays on one line)"
    return "name it (`assert NAME: ...`, `bug_on NAME: ...`)"


def _moved(file: str, name: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "ZC408", f"not formatted: the canonical layout moves this statement to another line, which would rename "
        f"its property `{name}` (unnamed asserts, bug_ons and range checks are named after their line); "
        f"{_hint(name)}, or run `zcheck fmt --allow-renames`; the file is unchanged", span)


def _moved_sites(before: ast.Module, after: ast.Module) -> list[Diagnostic]:
    """Without a typed model: the unnamed `assert`s and `bug_on`s whose line would change."""
    out = []
    for old, new in zip(_statements(before), _statements(after), strict=True):
        if isinstance(old, (ast.Assert, ast.BugOn)) and old.name is None and old.span.line != new.span.line:
            word = "assert" if isinstance(old, ast.Assert) else "bug_on"
            out.append(_moved(old.span.file, f"...{word}@{old.span.line}", old.span))
    return out


_STATEMENTS = get_args(ast.Stmt)
_EXPRESSIONS = get_args(ast.Expr)


def _statements(node: object) -> Iterator[ast.Stmt]:
    """Every statement under `node`, nested bodies included, in field order (two equal
    modules yield their statements pairwise)."""
    if isinstance(node, tuple):
        for x in node:
            yield from _statements(x)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, (type, *_EXPRESSIONS)):
        return
    if isinstance(node, _STATEMENTS):
        yield node
    for f in dataclasses.fields(node):
        if f.name != "span":
            yield from _statements(getattr(node, f.name))
