"""Counterexamples: what every report says of a lasso, as plain sentences.

Input: the model's `System` and a liveness `Trace` (its `Lasso`: where the loop starts,
the state the failure is shown at, the fairness rows). Output: unescaped text — where
the run loops or stays, what is false on the loop, and one `FairText` per fairness group
(enabled in which loop states, taken in which loop steps, and why the loop is fair to
it). The text, Markdown, HTML and SARIF renderers say the same sentences; each escapes
them for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, assert_never

from zcheck.counterexamples.explain import source_text
from zcheck.counterexamples.trace import FairRow, Lasso, Trace
from zcheck.spec import typed as t
from zcheck.system.ir import FairKind, System, TemporalOp


@dataclass(frozen=True)
class Code:
    """Text from the model (a condition's source), shown as code."""

    text: str


@dataclass(frozen=True)
class Sentence:
    """A sentence whose parts from the model are marked, for each format to quote them
    (text: in backticks; Markdown: code spans; HTML: escaped <code>)."""

    parts: tuple[str | Code, ...]

    def text(self) -> str:
        return "".join(f"`{p.text}`" if isinstance(p, Code) else p for p in self.parts)


@dataclass(frozen=True)
class FairText:
    """One fairness row as the reports show it."""

    name: str
    kind: str  # "weak fair" | "strong fair"
    enabled: str  # "0..5", "none"
    taken: str  # "1, 2", "none"
    why: str  # why the loop is fair to the group: "taken", "disabled in state 3", "never enabled"


def numbers(ns: Iterable[int]) -> str:
    """`0..3, 5, 7, 8`, or `none` (runs of three or more as ranges)."""
    runs: list[list[int]] = []
    for n in sorted(ns):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    if not runs:
        return "none"
    return ", ".join(str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}..{b}" for a, b in runs)


def steps_text(first: int, last: int) -> str:
    """`step 3`, `steps 3 and 4`, `steps 3..6`."""
    if first == last:
        return f"step {last}"
    return f"steps {first} and {last}" if last == first + 1 else f"steps {first}..{last}"


def lasso_of(trace: Trace) -> Lasso:
    assert trace.lasso is not None, "a liveness trace carries its lasso"
    return trace.lasso


def dead_end(trace: Trace) -> bool:
    return lasso_of(trace).loop == trace.length


def repeats(trace: Trace) -> str:
    """What the run does from the loop's first state on."""
    lasso = lasso_of(trace)
    if dead_end(trace):
        return "nothing is enabled here: the run stays in this state forever"
    return f"from here the run repeats {steps_text(lasso.loop + 1, trace.length)} forever"


def closes(trace: Trace) -> str:
    """What the last state is ("" for a dead end, whose last state is the loop)."""
    lasso = lasso_of(trace)
    if dead_end(trace):
        return ""
    return f"state {trace.length} is state {lasso.loop} again: the run goes on with step {lasso.loop + 1}"


def shape(trace: Trace) -> str:
    """The whole lasso in one sentence."""
    lasso, k = lasso_of(trace), trace.length
    if dead_end(trace):
        start = f"after {_steps(k)} the run reaches state {k}" if k else "the run starts in state 0"
        return f"{start}, where nothing is enabled: it stays there forever"
    prefix = f"after {_steps(lasso.loop)} " if lasso.loop else ""
    return f"{prefix}the run repeats {steps_text(lasso.loop + 1, k)} forever (state {k} is state {lasso.loop} again)"


def _steps(n: int) -> str:
    return f"{n} step{'' if n == 1 else 's'}"


def condition(system: System, e: t.TExpr | None) -> str:
    """The source text of a property's condition."""
    text = source_text(e.span, system.sources.texts) if e is not None else None
    return text or "the condition"


def failure(system: System, trace: Trace) -> Sentence:
    """What is false on the loop, for the property of `trace`."""
    temporal = system.prop(trace.prop).temporal
    assert temporal is not None
    lasso, k = lasso_of(trace), trace.length
    p = Code(condition(system, temporal.p))
    stays = (p, f" is false in state {k}, where the run stays forever")
    match temporal.op:
        case TemporalOp.ALWAYS_EVENTUALLY:
            if dead_end(trace):
                return Sentence(stays)
            return Sentence((p, f" is false in every loop state ({numbers(lasso.loop_states(k))}): it never holds again"))
        case TemporalOp.EVENTUALLY_ALWAYS:
            if dead_end(trace):
                return Sentence(stays)
            return Sentence((p, f" is false in loop state {lasso.at}, which the run visits forever: it never stays true"))
        case TemporalOp.LEADS_TO:
            q = Code(condition(system, temporal.q))
            return Sentence((p, f" holds in state {lasso.at} and ", q, " never holds from there on"))
        case _:
            assert_never(temporal.op)


def fair_text(row: FairRow, loop_states: range) -> FairText:
    return FairText(row.name, f"{row.kind.value} fair", numbers(row.enabled), numbers(row.taken),
                    why_fair(row, loop_states))


def why_fair(row: FairRow, loop_states: range) -> str:
    """Why the loop is fair to `row`'s group (the lasso checks guarantee one reason holds)."""
    if row.taken:
        return "taken"
    match row.kind:
        case FairKind.WEAK:
            off = [i for i in loop_states if i not in row.enabled]
            return f"disabled in state {off[0]}" if off else "not fair"
        case FairKind.STRONG:
            return "never enabled" if not row.enabled else "not fair"
        case _:
            assert_never(row.kind)


def fairness(trace: Trace) -> tuple[FairText, ...]:
    lasso = lasso_of(trace)
    return tuple(fair_text(r, lasso.loop_states(trace.length)) for r in lasso.fairness)


def fairness_summary(trace: Trace) -> str:
    """The fairness table in one line."""
    rows = fairness(trace)
    if not rows:
        return "no fairness conditions"
    return "fairness: " + "; ".join(f"{r.name} {r.kind}, enabled in states {r.enabled}, taken in steps {r.taken} "
                                    f"(fair: {r.why})" for r in rows)


def fairness_head(trace: Trace) -> str:
    """The line above the fairness table."""
    lasso = lasso_of(trace)
    if not lasso.fairness:
        return "fairness: the model declares none, so no run is left out as unfair"
    loop_states = lasso.loop_states(trace.length)
    states = f"state{'s' if len(loop_states) > 1 else ''} {numbers(loop_states)}"
    if dead_end(trace):
        return f"fairness at the dead end ({states}, where nothing is enabled):"
    return f"fairness on the loop ({states}; {steps_text(lasso.loop + 1, trace.length)}):"
