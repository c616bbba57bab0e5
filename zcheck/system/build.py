"""System: the front end and the lowering in one call — a model file to its `System`.

Input: a path (or the text, with `text`), `-D` overrides and a scenario name; output:
the lowered transition system, or a `DiagnosticError`. Kept apart from `zcheck.api`
so that `zcheck check` loads no solver: this module imports neither z3 nor the checker.
"""

from __future__ import annotations

from collections.abc import Mapping

from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN
from zcheck.spec.checked import CheckedSpec
from zcheck.spec.frontend import check_file
from zcheck.system.ir import System
from zcheck.system.lower import LoweringError, lower


def build(path: str, overrides: dict[str, str] | None = None, scenario: str | None = None,
          text: str | None = None, expr_overrides: dict | None = None,  # type: ignore[type-arg]
          unsaved: Mapping[str, str] | None = None) -> System:
    """`unsaved`: editor texts by normalised path, read instead of those files (the
    language server's diagnostics and check runs)."""
    return lower_checked(check_file(path, overrides, text, expr_overrides, unsaved), scenario)


def lower_checked(checked: CheckedSpec, scenario: str | None = None) -> System:
    """Lower a checked spec; a lowering error is a ZC402 diagnostic."""
    try:
        return lower(checked, scenario)
    except LoweringError as exc:
        raise DiagnosticError([Diagnostic("ZC402", str(exc), NO_SPAN)]) from None
