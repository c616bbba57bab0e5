"""Counterexamples: the decoded trace, as plain Python data.

Produced by `decode.decode` (from a Z3 model, after replay on the concrete evaluator)
or by the simulator; consumed by the renderers. Values are bool, int or `PMap`.
"""

from __future__ import annotations

from dataclasses import dataclass

from zcheck.diagnostics import Span
from zcheck.spec.types import Type
from zcheck.system.evaluate import Value
from zcheck.system.ir import FairKind


@dataclass(frozen=True)
class TraceStep:
    index: int  # 1-based step number
    transition: str  # "add_dev", "walker[1].read"
    params: tuple[tuple[str, Type, Value], ...]
    picks: tuple[tuple[str, Value], ...]
    span: Span
    state: dict[str, Value]  # the state after the step


@dataclass(frozen=True)
class Explanation:
    """Why the property is false: the smallest false sub-formula and its operands."""

    text: str  # source text of the sub-formula
    values: tuple[tuple[str, str], ...]  # (operand text, rendered value)
    span: Span | None


@dataclass(frozen=True)
class FairRow:
    """One fairness condition on a lasso's loop (docs/language.md, "Liveness"): the loop
    states where its group is enabled and the loop steps that take it."""

    name: str  # the instance or the action
    kind: FairKind
    enabled: tuple[int, ...]  # state indices in the loop (loop .. length - 1)
    taken: tuple[int, ...]  # step numbers in the loop (loop + 1 .. length)


@dataclass(frozen=True)
class Lasso:
    """A liveness counterexample is a prefix and a loop: the last state equals state
    `loop`, and from there the run repeats steps loop + 1 .. length forever. `loop ==
    length` is a dead end: no transition is enabled in the last state, and the run
    stays there forever. `at` is the state the property's failure is shown at: for
    `P leads_to Q` the state where P holds and Q never holds from there on, for
    `eventually always P` a loop state where P is false (None for `always eventually`,
    false in every loop state)."""

    loop: int
    fairness: tuple[FairRow, ...] = ()
    at: int | None = None

    def loop_states(self, length: int) -> range:
        """The states the run visits forever: loop .. length - 1, or the dead end alone."""
        return range(self.loop, length) if self.loop < length else range(length, length + 1)

    def loop_steps(self, length: int) -> range:
        """The steps the run takes forever: loop + 1 .. length (none at a dead end)."""
        return range(self.loop + 1, length + 1)


@dataclass(frozen=True)
class Trace:
    prop: str
    kind: str  # property kind
    verdict: str  # "violated" | "reached"
    initial: dict[str, Value]
    rigid: dict[str, Value]
    steps: tuple[TraceStep, ...]
    witnesses: tuple[tuple[str, Type, Value], ...]
    explanation: Explanation | None
    failing_span: Span | None  # the assert site, for asserts
    relevant: tuple[int, ...] = ()  # step numbers that matter (see minimise)
    lasso: Lasso | None = None  # liveness properties: where the run loops

    @property
    def length(self) -> int:
        return len(self.steps)

    def state(self, i: int) -> dict[str, Value]:
        return self.initial if i == 0 else self.steps[i - 1].state
