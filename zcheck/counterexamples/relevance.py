"""Counterexamples: which steps of a trace matter, and which variables do not.

Input: a decoded `Trace` and its `System`. Output: a `Relevance`. A step is relevant
when the trace without it, replayed on the concrete evaluator from the same initial
state with the same arguments and picks, is no longer a counterexample (a later step is
disabled, or the property no longer fails — for a cover, is no longer reached). A
shortest trace from BMC has only relevant steps; longer traces (simulation, replayed
files) may not. Variables the property does not depend on are found syntactically:
those its formula (or, for asserts, the conditions of its sites, the conditions that
decide whether a site runs at all, and the `let`s they read) never mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

from zcheck.counterexamples.replay import Planned, picks_chooser, replay
from zcheck.counterexamples.trace import Trace
from zcheck.spec import typed as t
from zcheck.system.evaluate import EvalError
from zcheck.system.ir import Property, System


@dataclass(frozen=True)
class Relevance:
    relevant: tuple[int, ...]  # step numbers whose removal loses the counterexample
    droppable: tuple[int, ...]  # step numbers whose removal still leaves one
    unused: tuple[str, ...]  # visible variables the property does not depend on

    def summary(self, noun: str = "counterexample") -> str:
        """`steps 1 and 2 are what matter` (and which can be dropped)."""
        if not self.relevant and not self.droppable:
            return f"the initial state alone is a {noun}"
        text = f"{_steps(self.relevant)} {'is what matters' if len(self.relevant) == 1 else 'are what matter'}" \
            if self.relevant else "no single step matters"
        if self.droppable:
            text += f"; without {_steps(self.droppable, 'or')} the trace is still a {noun}"
        return text


def _steps(nums: tuple[int, ...], conj: str = "and") -> str:
    words = [str(n) for n in nums]
    if len(words) == 1:
        return f"step {words[0]}"
    return f"steps {', '.join(words[:-1])} {conj} {words[-1]}"


def analyse(system: System, trace: Trace) -> Relevance:
    """A lasso (liveness) is not analysed: leaving out a step breaks its loop or its
    fairness, not the property, and the fairness conditions read every variable. It
    comes back with every step relevant and no variable unused, and the reports say
    nothing of relevance for it."""
    if trace.lasso is not None:
        return Relevance(tuple(s.index for s in trace.steps), (), ())
    prop = system.prop(trace.prop)
    relevant: list[int] = []
    droppable: list[int] = []
    for s in trace.steps:
        (droppable if _still_without(system, prop, trace, s.index) else relevant).append(s.index)
    used = dependencies(system, prop)
    unused = tuple(v.name for v in system.vars if not v.hidden and v.name not in used)
    return Relevance(tuple(relevant), tuple(droppable), unused)


def _still_without(system: System, prop: Property, trace: Trace, left_out: int) -> bool:
    by_name = {tr.name: tr for tr in system.transitions}
    planned = [Planned(by_name[s.transition], {n: v for n, _, v in s.params}, picks_chooser(dict(s.picks)))
               for s in trace.steps if s.index != left_out]
    try:
        out = replay(system, prop, dict(trace.initial), dict(trace.rigid), planned)
    except EvalError:
        return False  # undecided: keep the step (never claim a step can go without evidence)
    return out.still


def dependencies(system: System, prop: Property) -> frozenset[str]:
    """State variables the property's formula or its assert sites mention."""
    names: set[str] = set()
    if prop.expr is not None:
        names |= _vars(prop.expr)
    bodies = [system.init] + [tr.body for tr in system.transitions]
    for body in bodies:
        names |= _site_vars(body, prop.name, {})
    return frozenset(names)


def _site_vars(body: tuple[t.TStmt, ...], prop: str, lets: dict[str, t.TExpr],
               guards: tuple[t.TExpr, ...] = ()) -> set[str]:
    """Variables a site's condition reads, and those of the conditions that decide
    whether the site runs at all (enclosing `if`s, earlier `require`s on its path)."""
    out: set[str] = set()
    for s in body:
        match s:
            case t.SLet(name=n, value=v):
                lets = {**lets, n: v}
            case t.SRequire(cond=c):
                guards = guards + (c,)
            case t.SAssert(prop=p, cond=c) if p == prop:
                out |= _vars(c, lets)
                for g in guards:
                    out |= _vars(g, lets)
            case t.SIf(cond=c, then=a, else_=b):
                inner = guards + (c,)
                out |= _site_vars(a, prop, lets, inner) | _site_vars(b, prop, lets, inner)
            case _:
                pass
    return out


def _vars(e: t.TExpr, lets: dict[str, t.TExpr] | None = None, seen: frozenset[str] = frozenset()) -> set[str]:
    """The state variables `e` reads, following `let`s (via their definitions)."""
    out: set[str] = set()
    for n in t.walk(e):
        match n:
            case t.Var(name=name) | t.Old(name=name):
                out.add(name)
            case t.Local(name=name) if lets and name in lets and name not in seen:
                out |= _vars(lets[name], lets, seen | {name})
            case _:
                pass
    return out
