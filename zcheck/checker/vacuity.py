"""Checker: does the model have an initial state at all?

A model whose `assume`s, initialisers and `init` block contradict each other has no
run: every invariant is then PROVED and every cover UNREACHABLE, vacuously, and nothing
in the verdicts says so. `zcheck verify` asks this once, before the engines, and warns
(ZC905) when the answer is no.
"""

from __future__ import annotations

import re

import z3

from zcheck.checker.encode import Encoding
from zcheck.diagnostics import Diagnostic, Span
from zcheck.system.ir import System

RLIMIT = 20_000_000  # Z3 resource units: deterministic; unknown means "not shown empty", no warning


def no_initial_state(system: System) -> bool:
    """True only when the solver shows that no initial state exists."""
    s = z3.Solver()
    s.set("rlimit", RLIMIT)
    s.add(Encoding(system).init())
    return bool(s.check() == z3.unsat)


def vacuity_warning(system: System) -> Diagnostic | None:
    """ZC905 at the model's first `assume` (or its first line) when no initial state exists."""
    if not no_initial_state(system):
        return None
    return Diagnostic(
        "ZC905",
        "no initial state satisfies the `assume`s, the initialisers and `init`: every property "
        "would hold vacuously (check the constants and the assumptions)",
        _first_assume(system), "warning")


def _first_assume(system: System) -> Span:
    text = system.sources.texts.get(system.main_file, "")
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*assume\b", line)
        if m:
            col = len(line) - len(line.lstrip()) + 1
            return Span(system.main_file, n, col, n, len(line.rstrip()) + 1)
    return Span(system.main_file, 1, 1, 1, 1)
