"""Checker: explicit-state exhaustion of finite models (what SPIN and TLC do).

Input: a `System` and the properties to check. Output: one `Result` per property —
PROVED with detail "exhaustion, N states" when breadth-first search visited every
reachable state of the properties' cone and none violated it (the certificate is the
count; no solver re-checks it), VIOLATED with a shortest execution, UNKNOWN when the
state budget or the time ran out or a choice cannot be enumerated — never PROVED then.

Pipeline: slice the system to the properties' cone (system.cone: the verdicts are the
same, PDR relies on it too); enumerate the initial states on the concrete evaluator
(explicit_trace); compile the transitions and state predicates to Python functions
(explicit_compile); find the symmetry of process instances (explicit_symmetry); then
search breadth first. A state is a tuple; `index` maps it to its number (one hash per
successor), `parent[i]` is the number of the state it was first reached from. BFS
reaches every state first along a shortest path, and the assert sites of a step are
checked when the layer before it is expanded, so the first violation found of each
property is a shortest one — the depth BMC reports. Its trace is read back from the
parents and rebuilt, step by step, on the evaluator (explicit_trace.rebuild); `decode`
replays it on the whole system like a BMC trace.

`finite_domain` says before any search whether every variable of a property's cone
has a finite type, and how many states that allows, for the portfolio to choose.

Determinism: states are numbered in the order found; transitions are taken in
declaration order, parameters and picks in increasing order; nothing is iterated in
hash order, so PYTHONHASHSEED changes neither the states' order nor the traces.
"""

from __future__ import annotations

import itertools
import time
from array import array
from dataclasses import dataclass
from enum import Enum
from math import prod
from typing import Any, Callable

from zcheck.checker.explicit_compile import compile_system
from zcheck.checker.explicit_layout import (
    Escape, Layout, Repr, Unsupported, all_exprs, domain_values, interpreted_maps, make_layout,
)
from zcheck.checker.explicit_symmetry import Symmetry, find_symmetry
from zcheck.checker.explicit_trace import Path, Start, initial_states, rebuild
from zcheck.checker.results import Proved, Result, Unknown, Violated
from zcheck.spec import typed as t
from zcheck.spec.types import MapT, Type, finite_size
from zcheck.system.cone import slice_system
from zcheck.system.evaluate import Env, EvalError, Value, evaluate
from zcheck.system.ir import Property, System
from zcheck.system.semantics import const_choice

MAX_STATES = 1_000_000
TIME_CHECK = 256  # states expanded between looks at the clock
SAMPLE_STATES = 10_000  # states kept for `Exhaustion.samples` (as many as system/sample.py Limits)

Key = tuple[Any, ...]


# ---------------------------------------------------------------- the size of a cone


@dataclass(frozen=True)
class Bound:
    """What the types of a property's cone allow (before any search).

    `states` is the product of the domain sizes of the cone's state variables: the
    number of states when every value stays in its type (range stores and lock indices
    are checked by implicit properties, which report the first escape; the search does
    not rely on the bound). `initial` is the number of rigid-constant assignments the
    search starts from (those satisfying the assumes that read only constants)."""

    states: int
    initial: int
    variables: tuple[tuple[str, int], ...]  # (cone variable, its domain size)


def finite_domain(system: System, prop: Property) -> Bound | None:
    """The bound of `prop`'s cone, or None when a state variable, rigid constant, step
    parameter or `any` of the cone ranges over an unbounded type (`int`, a map over
    `int` keys that is not a lock array, a bit-vector too wide to enumerate)."""
    sliced = slice_system(system, [prop])
    arrays = {lk.name: lk.count for lk in system.locks if lk.count is not None}
    sizes: list[tuple[str, int]] = []
    for v in sliced.vars:
        n = _size(v.type, arrays.get(v.name))
        if n is None:
            return None
        sizes.append((v.name, n))
    for tr in sliced.transitions:
        if any(domain_values(typ) is None for _, typ in tr.params):
            return None
        if not all(_enumerable(h) for h in _havocs(tr.body)):
            return None
    if not all(_enumerable(h) for h in _havocs(sliced.init)):
        return None
    used = _rigid_used(sliced)
    domains: list[tuple[str, tuple[Value, ...]]] = []
    for name, typ in sliced.rigid:
        if name in used:
            vals = domain_values(typ)
            if vals is None:
                return None
            domains.append((name, vals))
    return Bound(prod(n for _, n in sizes), _rigid_count(sliced, domains), tuple(sizes))


def _size(typ: Type, lock_count: int | None) -> int | None:
    if isinstance(typ, MapT):
        keys = lock_count if lock_count is not None else len(domain_values(typ.key) or ()) or None
        value = finite_size(typ.value)
        return None if keys is None or value is None else value ** keys
    n = finite_size(typ)
    return n if n is not None and domain_values(typ) is not None else None


def _havocs(body: tuple[t.TStmt, ...]) -> list[t.SHavoc]:
    out: list[t.SHavoc] = []
    for s in body:
        if isinstance(s, t.SHavoc):
            out.append(s)
        elif isinstance(s, t.SIf):
            out += _havocs(s.then) + _havocs(s.else_)
    return out


def _enumerable(h: t.SHavoc) -> bool:
    """An `any` of a finite type, or `any in lo .. hi` (bounded when it runs)."""
    return (h.lo is not None and h.hi is not None) or domain_values(h.domain) is not None


def _rigid_used(system: System) -> frozenset[str]:
    return frozenset(n.name for e in all_exprs(system) for n in t.walk(e) if isinstance(n, t.Const))


def _rigid_count(system: System, domains: list[tuple[str, tuple[Value, ...]]]) -> int:
    only_consts = [a for a in system.assumes if not any(isinstance(n, (t.Var, t.Old)) for n in t.walk(a))]
    count = 0
    for combo in itertools.product(*(v for _, v in domains)):
        rigid = dict(zip((n for n, _ in domains), combo))
        try:
            count += all(bool(evaluate(a, Env({}, rigid=rigid))) for a in only_consts)
        except (EvalError, KeyError):
            count += 1
    return count


# ---------------------------------------------------------------- the search


class Stop(Enum):
    EXHAUSTED = "exhausted"  # every reachable state visited
    DECIDED = "decided"  # every property violated before that
    BUDGET = "budget"  # more than max_states states
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"  # a choice the engine cannot enumerate


@dataclass(frozen=True)
class Stats:
    states: int  # distinct states visited (orbit representatives under symmetry)
    successors: int  # successor states computed, before looking them up
    depth: int  # every trace of up to this many steps was checked (exhausted: the diameter)
    seconds: float  # of the search proper (after compiling and the initial states), wall clock
    setup_seconds: float
    cpu_seconds: float  # the search's processor time (what a shared machine does not inflate)
    stop: Stop
    symmetry: str  # the processes whose instances were permuted ("" when none)
    cone: int  # state variables in the cone
    variables: int  # state variables of the system
    sparse: tuple[str, ...]  # maps kept as PMaps
    note: str = ""

    @property
    def rate(self) -> float:
        """States visited per second of search (wall clock)."""
        return self.states / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """States visited per second of processor time."""
        return self.states / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


@dataclass(frozen=True)
class Exhaustion:
    results: dict[str, Result]
    stats: Stats
    first: tuple[Key, ...] = ()  # the first states found, in breadth-first order (SAMPLE_STATES at most)
    layout: Layout | None = None

    def samples(self) -> tuple[tuple[dict[str, Value], dict[str, Value]], ...] | None:
        """The first states the search visited, for the evaluator ((state, rigid) pairs,
        breadth first): reachable states, for invariant inference to mine candidates from
        (system/sample.py finds such states on the evaluator, a hundred times slower).
        None unless the search covered every state variable of the system without
        symmetry reduction: orbit representatives are reachable, but as samples they make
        every candidate that orders the instances look true (the ticket lock at N = 5
        ran inference out of budget on them)."""
        if self.layout is None or self.stats.cone != self.stats.variables or self.stats.symmetry or not self.first:
            return None
        return tuple(self.layout.unpack(k) for k in self.first)


def exhaust(system: System, props: list[Property], max_states: int = MAX_STATES, *,
            timeout: float | None = None, symmetry: bool = True) -> dict[str, Result]:
    """Check `props` by enumerating the reachable states of their joint cone (see the
    module docstring). Call it per property (or per group sharing a cone) to search
    each cone alone."""
    return explore(system, props, max_states, timeout=timeout, symmetry=symmetry).results


def explore(system: System, props: list[Property], max_states: int = MAX_STATES, *,
            timeout: float | None = None, symmetry: bool = True) -> Exhaustion:
    """`exhaust`, with the search's statistics."""
    begin = time.monotonic()
    deadline = None if timeout is None else begin + timeout
    props = list(props)
    sliced = slice_system(system, props)
    used = _rigid_used(sliced)
    fixed = {const_choice(n): _first(typ) for n, typ in sliced.rigid if n not in used}
    rigid_used = tuple(n for n, _ in sliced.rigid if n in used)
    any_maps = {v.name for v in sliced.vars if v.init is None and isinstance(v.type, MapT)}
    try:
        sparse = interpreted_maps(sliced)
    except Unsupported as exc:
        return _unsupported(system, sliced, props, str(exc), begin)
    while True:
        layout = make_layout(sliced, rigid_used, sparse)
        try:
            return _Search(system, sliced, props, layout, fixed, max_states, deadline, symmetry, begin).run()
        except Escape as esc:
            name = layout.slots[esc.slot].name
            if name in any_maps:
                return _unsupported(system, sliced, props, f"the map `{name}` starts with any value and is read "
                                    "outside its key type", begin)
            sparse = sparse | {name}
        except (Unsupported, EvalError) as exc:
            return _unsupported(system, sliced, props, str(exc), begin)


def _first(typ: Type) -> Value:
    """A value for a rigid constant the cone does not read (any value will do)."""
    vals = domain_values(typ)
    return vals[0] if vals else 0


def _unsupported(system: System, sliced: System, props: list[Property], why: str, begin: float) -> Exhaustion:
    stats = Stats(0, 0, -1, 0.0, time.monotonic() - begin, 0.0, Stop.UNSUPPORTED, "", len(sliced.vars),
                  len(system.vars), (), why)
    return Exhaustion({p.name: Unknown(p, -1, f"explicit: {why}") for p in props}, stats)


@dataclass(frozen=True)
class _Found:
    depth: int
    where: str  # "state" | "site" | "init-site"
    state: int  # the violating state, or the one the failing step leaves
    start: Start | None  # the initial state with the failing init site


class _Search:
    """One breadth-first search over one layout (an `Escape` restarts with another)."""

    def __init__(self, system: System, sliced: System, props: list[Property], layout: Layout,
                 fixed: dict[str, Value], max_states: int, deadline: float | None, symmetry: bool,
                 begin: float) -> None:
        self.system, self.sliced, self.props = system, sliced, props
        self.ids = {p.name: i for i, p in enumerate(props)}
        self.layout, self.fixed = layout, fixed
        self.max_states, self.deadline, self.use_symmetry = max_states, deadline, symmetry
        self.begin = begin
        self.found: dict[int, _Found] = {}
        self.open = list(range(len(props)))
        self.states: list[Key] = []
        self.parent = array("q")
        self.starts: dict[int, Start] = {}
        self.sym: Symmetry | None = None
        self.cpu_start = time.process_time()

    def decide(self, pid: int, f: _Found) -> bool:
        """Record the first (shortest) violation of property `pid`; True if it is new."""
        if pid in self.found:
            return False
        self.found[pid] = f
        self.open.remove(pid)
        return True

    def checker(self) -> Callable[[Key], list[int]] | None:
        open_ = [i for i in self.open if self.props[i].expr is not None]
        return self.compiled.predicates(open_) if open_ else None

    def run(self) -> Exhaustion:
        self.compiled = compile_system(self.sliced, tuple(self.props), self.layout)
        starts = []
        for st in initial_states(self.sliced, self.layout, self.fixed):
            starts.append(st)
            if len(starts) > self.max_states:
                return self.finish(Stop.BUDGET, -1, time.monotonic(), 0)
        sym = find_symmetry(self.sliced, self.layout, [s.key for s in starts]) if self.use_symmetry else None
        self.sym = sym
        canon = sym.canon if sym is not None else None
        index: dict[Key, int] = {}
        states, parent = self.states, self.parent
        check = self.checker()
        for st in starts:
            key = canon(st.key) if canon is not None else st.key
            sid = index.setdefault(key, len(states))
            if sid == len(states):
                states.append(key)
                parent.append(-1)
                self.starts[sid] = st
                if check is not None:
                    for pid in check(key):
                        self.decide(pid, _Found(0, "state", sid, None))
            for a in st.asserts:
                if not a.ok and a.prop in self.ids:
                    self.decide(self.ids[a.prop], _Found(0, "init-site", sid, st))
        search_start = time.monotonic()
        self.cpu_start = time.process_time()
        return self.layers(index, canon, search_start)

    def layers(self, index: dict[Key, int], canon: Callable[[Key], Key] | None, search_start: float) -> Exhaustion:
        states, parent = self.states, self.parent
        check, succ = self.checker(), self.compiled.successors_for(self.open)
        setdefault, add_state, add_parent = index.setdefault, states.append, parent.append
        out: list[Key] = []
        fails: list[int] = []
        lo, hi, depth, produced = 0, len(states), 0, 0
        budget, deadline = self.max_states, self.deadline
        while lo < hi:
            if not self.open:
                return self.finish(Stop.DECIDED, depth, search_start, produced)
            for sid in range(lo, hi):
                succ(states[sid], out, fails)
                if fails:
                    if self.site_failures(fails, sid, depth + 1):
                        check, succ = self.checker(), self.compiled.successors_for(self.open)
                    fails.clear()
                produced += len(out)
                for n in out:
                    if canon is not None:
                        n = canon(n)
                    new = len(states)
                    if setdefault(n, new) != new:
                        continue
                    add_state(n)
                    add_parent(sid)
                    if check is not None:
                        hit = check(n)
                        if hit:
                            for pid in hit:
                                self.decide(pid, _Found(depth + 1, "state", new, None))
                            check, succ = self.checker(), self.compiled.successors_for(self.open)
                out.clear()
                if len(states) > budget:
                    return self.finish(Stop.BUDGET, depth, search_start, produced)
                if deadline is not None and (sid - lo) % TIME_CHECK == 0 and time.monotonic() > deadline:
                    return self.finish(Stop.TIMEOUT, depth, search_start, produced)
            lo, hi, depth = hi, len(states), depth + 1
        return self.finish(Stop.EXHAUSTED, depth - 1, search_start, produced)  # the diameter

    def site_failures(self, fails: list[int], sid: int, depth: int) -> bool:
        changed = False
        for pid in fails:
            changed = self.decide(pid, _Found(depth, "site", sid, None)) or changed
        return changed

    # ------------------------------------------------------------ results

    def finish(self, stop: Stop, depth: int, search_start: float, produced: int) -> Exhaustion:
        now, cpu = time.monotonic(), time.process_time() - self.cpu_start
        n = len(self.states)
        sym = self.sym
        stats = Stats(n, produced, depth, now - search_start, search_start - self.begin, cpu, stop,
                      sym.describe() if sym is not None else "", len(self.sliced.vars), len(self.system.vars),
                      tuple(s.name for s in self.layout.slots if s.repr is Repr.SPARSE))
        results: dict[str, Result] = {}
        for i, p in enumerate(self.props):
            f = self.found.get(i)
            if f is not None:
                results[p.name] = self.violation(p, i, f, sym)
            elif stop is Stop.EXHAUSTED:
                results[p.name] = Proved(p, "explicit", f"exhaustion, {n} states", self.certificate(stats))
            else:
                why = {Stop.BUDGET: f"more than {self.max_states} states", Stop.TIMEOUT: "timeout"}.get(stop, stop.value)
                results[p.name] = Unknown(p, depth, f"explicit: {why}")
        return Exhaustion(results, stats, tuple(self.states[:SAMPLE_STATES]), self.layout)

    def certificate(self, stats: Stats) -> tuple[str, ...]:
        states = f"{stats.states} reachable states"
        if stats.symmetry:
            states += f" (one per orbit under permutations of {stats.symmetry})"
        return (states, f"diameter {stats.depth} (every state within {stats.depth} step{'' if stats.depth == 1 else 's'} of an initial one)",
                f"cone: {stats.cone} of {stats.variables} state variables")

    def violation(self, p: Property, pid: int, f: _Found, sym: Symmetry | None) -> Violated:
        ids = [f.state]
        while self.parent[ids[-1]] >= 0:
            ids.append(self.parent[ids[-1]])
        ids.reverse()
        start = f.start if f.start is not None else self.starts[ids[0]]
        path = Path(start, tuple(self.states[i] for i in ids), f.where)
        same: Callable[[Key, Key], bool] = sym.same_orbit if sym is not None else _equal
        ex = rebuild(self.system, self.sliced, self.compiled, same, p, pid, path)
        return Violated(p, f.depth, ex)


def _equal(a: Key, b: Key) -> bool:
    return a == b


__all__ = ["Bound", "Exhaustion", "MAX_STATES", "Stats", "Stop", "exhaust", "explore", "finite_domain"]
