"""The one exit-code table of every `zcheck` command (docs/cli.md "Exit codes", tested
against it)."""

from __future__ import annotations

from enum import IntEnum
from typing import Iterable, Protocol


class Exit(IntEnum):
    OK = 0  # every property checked holds as asked
    VIOLATED = 1  # a property is violated, or a `zcheck test` expectation failed
    USAGE = 2  # the spec or the command line is wrong: a diagnostic, no result
    UNKNOWN = 3  # inconclusive: timeout, solver unknown, interrupted
    INTERNAL = 4  # a bug in zcheck, including a counterexample that does not replay
    TERMINATED = 128 + 15  # SIGTERM, after the verdicts obtained so far


class _Verdict(Protocol):
    @property
    def verdict(self) -> str: ...

    @property
    def error(self) -> str | None: ...


def for_results(results: Iterable[_Verdict]) -> Exit:
    """The exit code of a set of property verdicts: the worst class wins."""
    results = list(results)
    if any(r.error for r in results):
        return Exit.INTERNAL
    if any(r.verdict == "violated" for r in results):
        return Exit.VIOLATED
    if any(r.verdict == "unknown" for r in results):
        return Exit.UNKNOWN
    return Exit.OK
