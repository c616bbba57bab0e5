"""System: the front end and the lowering in one call — a model file to its `System`.

Input: a path (or the text, with `text`), `-D` overrides and a scenario name; output:
the lowered transition system, or a `DiagnosticError`. Kept apart from `zcheck.api`
so that `zcheck check` loads no solver: this module imports neither z3 nor the checker.
"""

from __future__ import annotations

from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN
from zcheck.spec.frontend import check_file
from zcheck.system.ir import System
from zcheck.system.lower import LoweringError, lower


def build(path: str, overrides: dict[str, str] | None = None, scenario: str | None = None,
          text: str | None = None, expr_overrides: dict | None = None) -> System:  # type: ignore[type-arg]
    checked = check_file(path, overrides, text, expr_overrides)
    try:
        return lower(checked, scenario)
    except LoweringError as exc:
        raise DiagnosticError([Diagnostic("ZC402", str(exc), NO_SPAN)]) from None
