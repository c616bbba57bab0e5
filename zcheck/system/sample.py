"""System: reachable states of a `System` by a bounded breadth-first search on the concrete evaluator.

Input: a `System` and a `Limits` (how many states, initial states and body runs at most).
Output: `Samples`, the distinct states found, each with the values of the symbolic
constants it was reached under, in breadth-first order. Invariant inference
(checker/infer.py) keeps only the candidate invariants true in every sample before it
asks a solver anything.

Every nondeterministic choice is enumerated over a small set of values (`choices`):
bools, enums and small ranges in full, large ranges and unbounded ints at a few points
(0, 1, 2, -1, the model's integer constants, the range's ends). So the samples are
reachable states, but not all of them: they can only prune candidates that are false,
never prove one. The search is deterministic: the same model and limits give the same
samples in the same order, on any machine (no clock, no hash order).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar, cast

from zcheck.spec import typed as t
from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.evaluate import BodyOutcome, Chooser, Env, EvalError, Value, evaluate, run_body
from zcheck.system.ir import System, Transition
from zcheck.system.pmap import PMap
from zcheck.system.semantics import Initial, initial

R = TypeVar("R")

SMALL_RANGE = 16  # ranges up to this size are enumerated in full


@dataclass(frozen=True)
class Limits:
    states: int = 10000  # distinct states kept
    initial: int = 64  # initial states (choices of `any` values and symbolic constants)
    runs: int = 200_000  # transition bodies run in all
    choices: int = 64  # choice sequences per body, parameter tuples per transition


@dataclass(frozen=True)
class Sample:
    state: Mapping[str, Value]
    rigid: Mapping[str, Value]

    def env(self) -> Env:
        return Env(self.state, rigid=self.rigid)


@dataclass(frozen=True)
class Samples:
    samples: tuple[Sample, ...]
    complete: bool  # the search ran out of states to visit before any limit


def choices(typ: Type, ints: tuple[int, ...], lo: int | None = None, hi: int | None = None) -> list[Value]:
    """The values tried for a choice of type `typ` (within `lo .. hi` when given)."""
    match typ:
        case BoolT():
            return [False, True]
        case EnumT(members=members):
            return list(range(len(members)))
        case RangeT(lo=a, hi=b):
            return _between(max(a, lo) if lo is not None else a, min(b, hi) if hi is not None else b, ints)
        case BvT(width=w):
            return _between(lo if lo is not None else 0, hi if hi is not None else 1 << w, ints)
        case IntT():
            if lo is not None and hi is not None:
                return _between(lo, hi, ints)
            pool = sorted(set((0, 1, 2, -1) + ints))
            return [v for v in pool if (lo is None or v >= lo) and (hi is None or v < hi)]
        case MapT(value=vt):
            return [PMap.const(v) for v in choices(vt, ints)]  # type: ignore[arg-type]
    raise AssertionError(typ)


def _between(lo: int, hi: int, ints: tuple[int, ...]) -> list[Value]:
    if hi - lo <= SMALL_RANGE:
        return list(range(lo, hi))
    pool = {lo, lo + 1, hi - 1, (lo + hi) // 2} | {v for v in ints if lo <= v < hi}
    return cast("list[Value]", sorted(pool))  # a new list of ints (`list` is invariant)


def each_choice(run: Callable[[Callable[[t.SHavoc, Env], Value]], R], values: Callable[[t.SHavoc, Env], list[Value]],
                cap: int) -> list[R]:
    """`run(choose)` once per sequence of choices (depth first, first values first), at
    most `cap` times. `values` lists what each choice may take."""
    out: list[R] = []
    pending: list[tuple[int, ...]] = [()]
    while pending and len(out) < cap:
        prefix = pending.pop()
        taken: list[int] = []

        def choose(h: t.SHavoc, env: Env) -> Value:
            vals = values(h, env) or [0]
            i = len(taken)
            k = prefix[i] if i < len(prefix) else 0
            if i >= len(prefix):
                pending.extend(tuple(taken) + (j,) for j in reversed(range(1, len(vals))))
            taken.append(k)
            return vals[k]

        out.append(run(choose))
    return out


class _Search:
    def __init__(self, system: System, limits: Limits):
        self.sys = system
        self.limits = limits
        self.ints = tuple(sorted({int(c.value) for c in system.consts
                                  if isinstance(c.value, int) and not isinstance(c.value, bool)})[:8])
        self.runs = 0

    def values(self, h: t.SHavoc, env: Env) -> list[Value]:
        lo = None if h.lo is None else int(evaluate(h.lo, env))  # type: ignore[arg-type]
        hi = None if h.hi is None else int(evaluate(h.hi, env))  # type: ignore[arg-type]
        return choices(h.domain, self.ints, lo, hi)

    def initial_states(self) -> list[Sample]:
        def run(choose: Chooser) -> Initial | None:
            try:
                return initial(self.sys, choose)
            except (EvalError, KeyError, ZeroDivisionError):
                return None

        out = []
        for ini in each_choice(run, self.values, self.limits.initial):
            if ini is not None and ini.ok:
                out.append(Sample(ini.state, ini.rigid))
        return out

    def params(self, tr: Transition) -> list[dict[str, Value]]:
        combos: list[dict[str, Value]] = [{}]
        for name, typ in tr.params:
            combos = [dict(c, **{name: v}) for c in combos for v in choices(typ, self.ints)][: self.limits.choices]
        return combos

    def successors(self, s: Sample) -> list[Sample]:
        out = []
        for tr in self.sys.transitions:
            for params in self.params(tr):
                for o in self.run(tr, s, params):
                    if isinstance(o, BodyOutcome) and o.enabled:
                        out.append(Sample(o.state, s.rigid))
        return out

    def run(self, tr: Transition, s: Sample, params: dict[str, Value]) -> list[BodyOutcome | None]:
        def one(choose: Chooser) -> BodyOutcome | None:
            self.runs += 1
            try:
                return run_body(tr.body, s.state, params, choose, s.rigid)
            except (EvalError, KeyError, ZeroDivisionError, AssertionError):
                return None

        return each_choice(one, self.values, self.limits.choices)


def _key(system: System, s: Sample) -> tuple[Value, ...]:
    return tuple(s.rigid[n] for n, _ in system.rigid) + tuple(s.state[v.name] for v in system.vars)


def explore(system: System, limits: Limits = Limits()) -> Samples:
    """Breadth-first search from the initial states, within `limits`."""
    search = _Search(system, limits)
    seen: dict[tuple[Value, ...], Sample] = {}
    queue: deque[Sample] = deque()
    for s in search.initial_states():
        if _key(system, s) not in seen and len(seen) < limits.states:
            seen[_key(system, s)] = s
            queue.append(s)
    while queue:
        if len(seen) >= limits.states or search.runs >= limits.runs:
            return Samples(tuple(seen.values()), False)
        for nxt in search.successors(queue.popleft()):
            k = _key(system, nxt)
            if k not in seen:
                seen[k] = nxt
                queue.append(nxt)
                if len(seen) >= limits.states:
                    break
    return Samples(tuple(seen.values()), True)
