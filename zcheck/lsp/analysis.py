"""Language server: what `zcheck check` says about a text being edited, and its index.

Input: the path of a model and the texts an editor holds unsaved (by normalised path;
the model's own text among them). Output: `Analysis` — the diagnostics `zcheck check`
would print (the same codes, messages and spans: the front end, the lowering and the
lifecycle warnings, as cli/check.py gives them), each placed in the file being edited, and the
symbol index (types as checked when the model type-checks, as written otherwise).
Loads no solver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from zcheck.diagnostics import Diagnostic, DiagnosticError, Span
from zcheck.lsp.collect import build_index
from zcheck.lsp.symbols import Index
from zcheck.spec import ast
from zcheck.spec.checked import CheckedSpec
from zcheck.spec.frontend import check_loaded, load_modules, normalise_newlines
from zcheck.spec.parser import parse
from zcheck.system.build import lower_checked
from zcheck.system.ir import System


@dataclass(frozen=True)
class Placed:
    """A diagnostic and where to show it in the file being edited: its own span there,
    or, for one in an imported file (or with no place, like a bad scenario), the import
    line that leads to it (or the first line), with `elsewhere` its real place."""

    diagnostic: Diagnostic
    span: Span
    elsewhere: Span | None = None


@dataclass(frozen=True)
class Analysis:
    path: str
    diagnostics: tuple[Placed, ...]
    index: Index | None  # None: the file does not parse
    texts: Mapping[str, str]  # every file read, by the path its spans name
    checks: tuple[ast.CheckDecl, ...]  # the file's `check` directives
    checked: bool  # the model type-checks
    complete: bool = True  # every file parsed: the index has the names of the imports too

    def reads(self, path: str) -> bool:
        """Does the model read `path` (itself or an import)?"""
        return any(os.path.normpath(p) == os.path.normpath(path) for p in self.texts)


def analyse(path: str, unsaved: Mapping[str, str]) -> Analysis:
    """Check the model at `path` as `zcheck check` would, reading `unsaved` texts first."""
    try:
        modules, sources = load_modules(path, unsaved=unsaved)
    except DiagnosticError as exc:
        return _unloaded(path, unsaved, exc.diagnostics)
    checked: CheckedSpec | None = None
    diags: list[Diagnostic] = []
    try:
        checked = check_loaded(path, modules, sources)
        system = lower_checked(checked)
        diags = list(system.warnings) + _lifecycle_warnings(system)
    except DiagnosticError as exc:
        diags = list(exc.diagnostics)
    main = next(m for m in modules if m.file == path)
    index = build_index(path, modules, sources.texts, checked)
    return Analysis(path, _place(path, main, diags), index, sources.texts, _checks(main), checked is not None)


def _lifecycle_warnings(system: System) -> list[Diagnostic]:
    """ZC901, as `zcheck check` prints it (graph.py, and networkx, loaded only for a
    model with `transitions` blocks)."""
    if not system.lifecycles:
        return []
    from zcheck.graph import lifecycle_warnings

    return lifecycle_warnings(system)


def _unloaded(path: str, unsaved: Mapping[str, str], diags: tuple[Diagnostic, ...]) -> Analysis:
    """The main file or an import does not load: the diagnostics, and an index of the
    main file alone when it parses."""
    text = unsaved.get(os.path.normpath(path))
    main: ast.Module | None = None
    if text is not None:
        try:
            main = parse(normalise_newlines(text), path)
        except DiagnosticError:
            main = None
    texts = {path: normalise_newlines(text)} if text is not None else {}
    index = build_index(path, [main], texts, None) if main is not None else None
    placed = _place(path, main, list(diags))
    return Analysis(path, placed, index, texts, _checks(main) if main else (), False, complete=False)


def _checks(main: ast.Module) -> tuple[ast.CheckDecl, ...]:
    return tuple(d for d in main.decls if isinstance(d, ast.CheckDecl))


def _place(path: str, main: ast.Module | None, diags: list[Diagnostic]) -> tuple[Placed, ...]:
    imports = [d for d in main.decls if isinstance(d, ast.ImportDecl)] if main else []
    return tuple(_placed(path, imports, d) for d in diags)


def _placed(path: str, imports: list[ast.ImportDecl], d: Diagnostic) -> Placed:
    if os.path.normpath(d.span.file) == os.path.normpath(path):
        return Placed(d, d.span)
    base = os.path.dirname(path)
    direct = [i for i in imports if os.path.normpath(os.path.join(base, i.path)) == os.path.normpath(d.span.file)]
    anchor = (direct or imports)[0].span if imports else Span(path, 1, 1, 1, 1)
    return Placed(d, anchor, d.span if os.path.exists(d.span.file) else None)
