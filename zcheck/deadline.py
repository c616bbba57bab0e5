"""The wall-clock safety net shared by every stage: when a command must end.

A `Deadline` is a point on the monotonic clock (or none). Engines never let it decide
a verdict: their budgets are counted in the solver's deterministic resource units
(checker/portfolio.py), and a deadline that runs out only turns what is still open
into UNKNOWN ("timeout").
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    at: float | None = None  # time.monotonic() value; None: no limit

    @staticmethod
    def after(seconds: float | None) -> Deadline:
        return Deadline(None if seconds is None else time.monotonic() + seconds)

    def left(self) -> float | None:
        """Seconds left (at least 1 ms, so a solver given it still stops), or None."""
        return None if self.at is None else max(0.001, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


NO_DEADLINE = Deadline()
