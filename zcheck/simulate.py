"""Simulation: random runs of a model on the concrete evaluator (`zcheck simulate`).

Input: a `System` and a seed. Each run picks an initial state (random values for the
`any` picks and symbolic constants, retried until the `assume`s hold), then fires up to
`steps` transitions with random parameters and checks every state predicate
(invariants, lemmas, the state part of `no_div_by_zero`) and every assert site the
step passes. The first violation becomes a `Trace` (the same dataclasses and renderer
as `zcheck verify`); covers that become true are recorded as reached.

Integer values are drawn from "interesting" points rather than uniformly (see
`Points`): the model's constants, the scalar integers of the current state, every
breakpoint of every map in the state, those points moved by +- each constant and by
+-1, and differences of two points; a second integer argument is sometimes the
distance from the first to a next breakpoint. Section-aligned models then get
section-aligned arguments that land next to, or exactly fill, the ranges in use.
Small ranges, enums and bools are uniform. Parameter tuples already found disabled
in a state are not evaluated again.

Simulation finds bugs; it never proves anything. A run that finds no enabled
transition stops early (reported as a possible deadlock: the random parameter search
may simply have missed the enabled choices). Everything is deterministic for a seed:
one `random.Random(seed)` drives every choice and the output contains no timings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, TypeGuard

from zcheck import __version__
from zcheck.counterexamples.explain import explain
from zcheck.counterexamples.render_text import render_trace
from zcheck.counterexamples.trace import Trace, TraceStep
from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.evaluate import AssertOutcome, BodyOutcome, Env, EvalError, Value, _candidates, evaluate
from zcheck.system.ir import Property, System, Transition
from zcheck.system.pmap import PMap
from zcheck.system.semantics import Initial, holds, initial, step


INIT_TRIES = 200  # random initial choices tried per run before giving up
PARAM_TRIES = 50  # random parameter assignments tried per transition and step
DRAW_FACTOR = 4  # draws per try, when draws repeat parameters already found disabled
RETRY_FACTOR = 4  # before a run stops for want of an enabled step: a pass with 4x the tries
UNIFORM_LIMIT = 1 << 12  # ranges and bit-vectors up to this size are sampled uniformly
SMALL = (0, 1, 2, 3, 4, -1)
MAX_DEADLOCK_NOTES = 5
STATE_KINDS = ("invariant", "lemma", "implicit")


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Violation:
    run: int  # 1-based
    trace: Trace


@dataclass
class Simulation:
    """What the random runs found (plain data; `report` turns it into text)."""

    runs: int
    steps: int
    seed: int
    violation: Violation | None = None
    covers: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (run, depth)
    deadlocks: list[tuple[int, int, bool]] = field(default_factory=list)  # (run, depth, certain)
    no_initial: list[int] = field(default_factory=list)  # runs without an initial state
    notes: dict[str, str] = field(default_factory=dict)  # key → text, first occurrence only
    runs_done: int = 0
    random_args: bool = True  # False: no transition has arguments or `any` picks (deadlocks are certain)

    @property
    def started(self) -> int:
        """Runs that found an initial state."""
        return self.runs_done - len(self.no_initial)

    def note(self, key: str, text: str) -> None:
        self.notes.setdefault(key, text)


# ---------------------------------------------------------------- random values


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class Points:
    """Interesting integers of a state, in tiers picked with decreasing probability:
    `exact` (0, the constants, the scalar ints of the state, every map breakpoint),
    `moved` (those +- each constant, differences of two exact points, small sums and
    multiples of constants) and `near` (the exact points +-1)."""

    exact: tuple[int, ...]
    moved: tuple[int, ...]
    near: tuple[int, ...]


TIERS = (0.45, 0.35, 0.15)  # exact, moved, near; the rest: a small random integer
RELATIVE = 0.3  # how often an integer argument is chosen relative to an earlier one
PAIR_LIMIT = 40  # up to this many exact points, every pairwise difference is a candidate


class _Values:
    """Random values of ZDL types, biased towards the points where models change."""

    def __init__(self, rng: random.Random, consts: Sequence[int]):
        self.rng = rng
        self.consts = sorted(set(consts))
        base: set[int] = set(SMALL)
        for i, a in enumerate(self.consts):
            base.update({2 * a, 3 * a, -a})
            for b in self.consts[i + 1:]:
                base.update({a + b, abs(a - b)})
        self.base = sorted(base)

    def points(self, state: Mapping[str, Value] | None = None) -> Points:
        seeds: set[int] = {0, *self.consts}
        for v in (state or {}).values():
            if isinstance(v, PMap):
                seeds.update(v.breakpoints())
            elif _is_int(v):
                seeds.add(int(v))
        exact = sorted(seeds)
        moved: set[int] = set(self.base)
        for s in exact:
            for c in self.consts:
                moved.update((s + c, s - c))
        if len(exact) <= PAIR_LIMIT:
            moved.update(abs(a - b) for a in exact for b in exact if a != b)
        else:
            moved.update(b - a for a, b in zip(exact, exact[1:]))
        near = {s + d for s in exact for d in (-1, 1)}
        moved -= seeds
        near -= seeds | moved
        return Points(tuple(exact), tuple(sorted(moved)), tuple(sorted(near)))

    def integer(self, pts: Points) -> int:
        r = self.rng.random()
        for tier, weight in zip((pts.exact, pts.moved, pts.near), TIERS):
            if r < weight and tier:
                return self.rng.choice(tier)
            r -= weight
        return self.rng.randint(-8, 64)

    def pick(self, typ: Type, pts: Points) -> Value:
        rng = self.rng
        match typ:
            case BoolT():
                return rng.random() < 0.5
            case EnumT(members=members):
                return rng.randrange(len(members))
            case RangeT(lo=lo, hi=hi):
                return self.pick_between(lo, hi, pts)
            case BvT(width=w):
                size = 1 << w
                if size <= UNIFORM_LIMIT or rng.random() < 0.3:
                    return rng.randrange(size)
                return self.integer(pts) % size
            case IntT():
                return self.integer(pts)
            case MapT(value=vt):
                return PMap.const(self.pick(vt, pts))  # type: ignore[arg-type]
        raise AssertionError(typ)

    def params(self, decl: Sequence[tuple[str, Type]], pts: Points) -> dict[str, Value]:
        """Random arguments. An integer after another integer argument `a` is sometimes
        chosen relative to it: the distance from `a` to one of the next exact points
        above it (so `start, nr` can cover exactly the gap up to the next breakpoint),
        or a constant (a size)."""
        out: dict[str, Value] = {}
        earlier: list[int] = []
        for name, typ in decl:
            if isinstance(typ, IntT) and earlier and self.rng.random() < RELATIVE:
                a = self.rng.choice(earlier)
                above = [e - a for e in pts.exact if e > a][:3]
                out[name] = self.rng.choice(above + list(self.consts) or [1])
            else:
                out[name] = self.pick(typ, pts)
            if isinstance(typ, (IntT, RangeT)):
                earlier.append(int(out[name]))  # type: ignore[arg-type]
        return out

    def pick_between(self, lo: int, hi: int, pts: Points) -> int:
        """A value in lo .. hi (half-open): uniform for small ranges, else often a point."""
        rng = self.rng
        if hi <= lo:
            return lo  # empty: the caller's domain check rejects it
        if hi - lo <= UNIFORM_LIMIT or rng.random() < 0.3:
            return rng.randrange(lo, hi)
        for _ in range(8):
            v = self.integer(pts)
            if lo <= v < hi:
                return v
        return rng.choice((lo, hi - 1))


# ---------------------------------------------------------------- the simulator


class _Simulator:
    def __init__(self, system: System, rng: random.Random, result: Simulation):
        self.sys = system
        self.rng = rng
        self.res = result
        consts = [int(c.value) for c in system.consts if c.value is not None and _is_int(c.value)]
        self.values = _Values(rng, consts)
        self.state_props = [p for p in system.properties if p.expr is not None and p.kind in STATE_KINDS]
        self.covers = [p for p in system.properties if p.expr is not None and p.kind == "cover"]
        self.texts = system.sources.texts
        self.has_picks = {tr.name: _has_havoc(tr.body) for tr in system.transitions}
        self._errored = False  # a transition raised EvalError in the current step

    # ------------------------------------------------------------ runs

    def run(self, index: int) -> Violation | None:
        start = self._initial(index)
        if start is None:
            self.res.no_initial.append(index)
            return None
        state, rigid = start.state, start.rigid
        values = _Values(self.rng, self.values.consts + [int(v) for v in rigid.values() if _is_int(v)])
        steps: list[TraceStep] = []

        bad = self._failed_site(start.outcome.asserts)
        if bad is not None:
            return Violation(index, self._site_trace(bad, start, steps))
        found = self._check_state(index, start, state, steps)
        if found is not None:
            return Violation(index, found)
        for k in range(1, self.res.steps + 1):
            points = values.points(state)
            fired = self._fire(index, k, state, rigid, values, points)
            if fired is None:
                certain = not self.res.random_args and not self._errored
                self.res.deadlocks.append((index, k - 1, certain))
                return None
            tr, params, out = fired
            shown = tuple((n, typ, params[n]) for n, typ in tr.params)
            steps.append(TraceStep(k, tr.name, shown, tuple(out.choices.items()), tr.span, out.state))
            bad = self._failed_site(out.asserts)
            if bad is not None:
                return Violation(index, self._site_trace(bad, start, steps))
            state = out.state
            found = self._check_state(index, start, state, steps)
            if found is not None:
                return Violation(index, found)
        return None

    def _initial(self, index: int) -> Initial | None:
        points = self.values.points()

        def choose(s: t.SHavoc, env: Env) -> Value:
            return self.values.pick(s.domain, points)

        for _ in range(INIT_TRIES):
            try:
                start = initial(self.sys, choose)
            except (EvalError, OverflowError, MemoryError) as exc:
                self.res.note("init", f"the initial state could not be evaluated: {_why(exc)}")
                continue
            if start.ok:
                return start
            # an assert of `init` that fails before a failing require/assume is not a
            # violation: the counterexample's initial state must satisfy the assumes
        return None

    def _fire(
        self, index: int, k: int, state: dict[str, Value], rigid: dict[str, Value], values: _Values,
        points: Points,
    ) -> tuple[Transition, dict[str, Value], BodyOutcome] | None:
        """One enabled step (or a step whose assert fails), or None when none was found.

        A second pass with RETRY_FACTOR times more tries runs before giving up, so
        that a rarely enabled transition does not end the run as a false deadlock."""
        failed: set[tuple[str, tuple[Value, ...]]] = set()
        self._errored = False
        for factor in (1, RETRY_FACTOR):
            fired = self._fire_pass(index, k, state, rigid, values, points, PARAM_TRIES * factor, failed)
            if fired is not None:
                return fired
        return None

    def _fire_pass(
        self, index: int, k: int, state: dict[str, Value], rigid: dict[str, Value], values: _Values,
        points: Points, tries: int, failed: set[tuple[str, tuple[Value, ...]]],
    ) -> tuple[Transition, dict[str, Value], BodyOutcome] | None:
        """`failed`: parameter tuples already found disabled in this state (for
        transitions without `any` picks, whose outcome depends on the parameters only);
        drawing one again costs no evaluation and, up to DRAW_FACTOR draws per try, no try."""
        order = list(self.sys.transitions)
        self.rng.shuffle(order)
        for tr in order:
            picks = self.has_picks[tr.name]
            n = tries if tr.params or picks else 1
            choose = self._chooser(values, points)
            done = 0
            for _ in range(n * DRAW_FACTOR):
                if done >= n:
                    break
                params = values.params(tr.params, points)
                key = (tr.name, tuple(params.values()))
                if not picks and key in failed:
                    continue
                done += 1
                try:
                    out = step(self.sys, tr, state, params, choose, rigid)
                except (EvalError, OverflowError, MemoryError) as exc:  # e.g. `1 << huge`
                    self._errored = True
                    self.res.note(f"transition:{tr.name}",
                                  f"transition `{tr.name}` could not be evaluated (run {index}, step {k}): {_why(exc)}")
                    break
                if out.enabled or any(not a.ok for a in out.asserts):
                    return tr, params, out
                failed.add(key)
        return None

    def _chooser(self, values: _Values, points: Points) -> Callable[[t.SHavoc, Env], Value]:
        def choose(s: t.SHavoc, env: Env) -> Value:
            if s.lo is not None and s.hi is not None:
                lo, hi = int(evaluate(s.lo, env)), int(evaluate(s.hi, env))  # type: ignore[arg-type]
                dom = s.domain
                if isinstance(dom, RangeT):
                    lo, hi = max(lo, dom.lo), min(hi, dom.hi)
                elif isinstance(dom, BvT):
                    lo, hi = max(lo, 0), min(hi, 1 << dom.width)
                return values.pick_between(lo, hi, points)
            return values.pick(s.domain, points)

        return choose

    # ------------------------------------------------------------ checks

    def _check_state(self, index: int, start: Initial, state: dict[str, Value],
                     steps: list[TraceStep]) -> Trace | None:
        depth = len(steps)
        rigid = start.rigid
        for p in self.covers:
            if p.name in self.res.covers:
                continue
            try:
                if holds(p, state, rigid):
                    self.res.covers[p.name] = (index, depth)
            except (EvalError, OverflowError, MemoryError) as exc:
                self._not_evaluable(p, index, depth, exc)
        for p in self.state_props:
            try:
                ok = holds(p, state, rigid)
            except (EvalError, OverflowError, MemoryError) as exc:
                self._not_evaluable(p, index, depth, exc)
                continue
            if not ok:
                return self._state_trace(p, start, state, steps)
        return None

    def _not_evaluable(self, p: Property, index: int, depth: int, exc: Exception) -> None:
        self.res.note(f"prop:{p.name}", f"`{p.name}` could not be evaluated (run {index}, state {depth}): {_why(exc)}; "
                                        "it is not checked in such states")

    @staticmethod
    def _failed_site(asserts: tuple[AssertOutcome, ...]) -> AssertOutcome | None:
        return next((a for a in asserts if not a.ok), None)

    def _state_trace(self, p: Property, start: Initial, state: dict[str, Value],
                     steps: list[TraceStep]) -> Trace:
        assert p.expr is not None
        env = Env(state, rigid=start.rigid)
        wits = witnesses(p.expr, env, negate=True)
        why = explain(p.expr, env, wits, False, self.texts)
        return Trace(p.name, p.kind, "violated", start.state, start.rigid, tuple(steps), wits, why, None)

    def _site_trace(self, site: AssertOutcome, start: Initial, steps: list[TraceStep]) -> Trace:
        prop = self.sys.prop(site.prop)
        wits = witnesses(site.stmt.cond, site.env, negate=True)
        why = explain(site.stmt.cond, site.env, wits, False, self.texts)
        return Trace(prop.name, prop.kind, "violated", start.state, start.rigid, tuple(steps), wits, why,
                     site.stmt.span)


def _why(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _has_havoc(body: tuple[t.TStmt, ...]) -> bool:
    return any(isinstance(s, t.SHavoc) for s in t.walk_stmts(body))


def witnesses(e: t.TExpr, env: Env, negate: bool = True) -> tuple[tuple[str, Type, Value], ...]:
    """Values of the quantified variables along the path that makes `e` false (negate)
    or true: outermost `forall`s of a false formula (through `not`, the consequent of a
    false `->`, the false side of `&&`), found by trying the evaluator's test points.
    Mirrors `checker.encode.violation`, in the order `explain` consumes them."""
    out: list[tuple[str, Type, Value]] = []

    def go(x: t.TExpr, neg: bool, env: Env) -> None:
        match x:
            case t.Quant(kind=kind, var=var, var_type=vt, body=body) if (kind == "forall") == neg:
                for v in _candidates(x, env):
                    inner = env.bind(var, v)
                    if bool(evaluate(body, inner)) != neg:
                        out.append((t.display_name(var), vt, v))
                        go(body, neg, inner)
                        return
            case t.Unop(op=Op.NOT, arg=a):
                go(a, not neg, env)
            case t.Binop(op=Op.IMPLIES, right=b) if neg:
                go(b, True, env)
            case t.Binop(op=Op.AND, left=a, right=b) if neg:
                go(a if not evaluate(a, env) else b, True, env)
            case t.Binop(op=Op.OR, left=a, right=b) if not neg:
                go(a if evaluate(a, env) else b, False, env)
            case _:
                pass

    try:
        go(e, negate, env)
    except (EvalError, KeyError):
        pass
    return tuple(out)


def simulate(system: System, steps: int = 20, runs: int = 100, seed: int = 0) -> Simulation:
    """Random runs until the first violation (or `runs` runs)."""
    res = Simulation(runs, steps, seed)
    sim = _Simulator(system, random.Random(seed), res)
    res.random_args = any(tr.params or _has_havoc(tr.body) for tr in system.transitions)
    for r in range(1, runs + 1):
        res.runs_done = r
        v = sim.run(r)
        if v is not None:
            res.violation = v
            break
    return res


# ---------------------------------------------------------------- report


def report(system: System, spec: str, res: Simulation) -> list[str]:
    """The text of `zcheck simulate` (deterministic: no timings)."""
    lines = [f"zcheck {__version__}: model {system.model} ({spec}), simulate, seed {res.seed}, "
             f"up to {res.runs} runs of up to {res.steps} steps"]
    verdicts: list[str] = []
    if res.violation is not None:
        v = res.violation
        verdicts.append(f"  {'VIOLATED':<12} {v.trace.prop}  in run {v.run} at depth {v.trace.length}")
    names = [p.name for p in system.properties if p.kind == "cover"]
    width = max((len(n) for n in names), default=1)
    for n in names:
        if n in res.covers:
            run, depth = res.covers[n]
            verdicts.append(f"  {'REACHED':<12} {n:<{width}}  in run {run} at depth {depth}")
        else:
            verdicts.append(f"  {'NOT REACHED':<12} {n:<{width}}  in {res.started} runs")
    blocks: list[list[str]] = [verdicts]
    if res.violation is not None:
        blocks.append(render_trace(system, res.violation.trace))
    blocks.append([f"note: {n}" for n in _notes(res)])
    for block in blocks:
        if block:
            lines.append("")
            lines.extend(block)
    lines.append("")
    if res.violation is not None:
        lines.append(f"violation of `{res.violation.trace.prop}` found in run {res.violation.run} of {res.runs} "
                     f"at depth {res.violation.trace.length}")
    elif res.runs > 0 and res.started == 0:
        lines.append(f"no initial state found: the `assume`s or the `require`s of `init` failed in "
                     f"{INIT_TRIES} random tries in each of {res.runs} runs")
    else:
        reached = ", ".join(n for n in names if n in res.covers) or "none"
        dead = f"{len(res.deadlocks)} runs" if res.deadlocks else "none"
        lines.append(f"simulated {res.started} runs of up to {res.steps} steps: no violation; "
                     f"covers reached: {reached}; deadlocks: {dead}")
    return lines


def _notes(res: Simulation) -> list[str]:
    notes = list(res.notes.values())
    for run, depth, certain in res.deadlocks[:MAX_DEADLOCK_NOTES]:
        why = "deadlock: no transition is enabled" if certain else (
            f"no transition found enabled in up to {PARAM_TRIES * (1 + RETRY_FACTOR)} random argument choices "
            "per transition; possibly a deadlock")
        notes.append(f"run {run} stopped at depth {depth}: {why}")
    if len(res.deadlocks) > MAX_DEADLOCK_NOTES:
        notes.append(f"... and {len(res.deadlocks) - MAX_DEADLOCK_NOTES} more runs stopped early")
    if res.no_initial and res.started > 0:
        notes.append(f"{len(res.no_initial)} runs found no initial state satisfying the `assume`s and `init` "
                     f"in {INIT_TRIES} random tries (first: run {res.no_initial[0]})")
    return notes
