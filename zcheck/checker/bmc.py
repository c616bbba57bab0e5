"""Checker: bounded model checking, one unrolling grown across depths.

Input: an `Encoding` and the properties to check; output: one `Result` per property.
Depth d means traces of d steps. At each depth the unrolling holds init ∧ trans(0..d-1)
and the hints learned so far, and each query is asked of a fresh solver over it: Z3
preprocesses (solves equations, propagates values) only before a solver's first
check, and one solver kept across depths with push/pop or assumption literals runs
without it; on the pfn walker with processes the depth-10 query took about 60 s on the
incremental solver and 0.2 s on a fresh one (bench/NOTES.md). The terms themselves are
built once, by the `Encoding`.
all still-undecided properties are asked together (one query for the disjunction of
their bad states), and every property true in a model is violated at that depth, so
each verdict comes with its own shortest counterexample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import z3

from zcheck.checker.encode import Encoding, Witness
from zcheck.checker.minimise import minimise
from zcheck.checker.por import canonical, forbidden_successors
from zcheck.checker.results import BUDGET_SPENT, RLIMIT_REASONS, EncodedExecution, Holds, Result, Unknown, Violated
from zcheck.system.ir import Property


@dataclass(frozen=True)
class Options:
    depth: int = 10
    timeout: float | None = None  # seconds for the whole run (a safety net: ends in UNKNOWN "timeout")
    rlimit: int | None = None  # Z3 resource units per query (deterministic): spent -> UNKNOWN "budget"
    seed: int = 0
    progress: Callable[[str], None] | None = None
    proved_elsewhere: Callable[[], set[str]] | None = None  # polled after each depth (see bmc)
    hints: bool = True  # add properties known safe at earlier depths (bench/ ablation turns it off)
    guard_hints: bool = True  # add the range guards' instances at each query's witnesses (idem)
    por: bool = True  # explore one order of adjacent independent steps (checker/por.py; idem)
    on_violated: Callable[[Violated], None] | None = None  # told of each violation when found
    on_depth: Callable[[int, list[str]], None] | None = None  # told of each depth done, with the pending


GUARD_HINTS_FROM = 3  # steps (see _add_guard_hints)
INCREMENTAL_RLIMIT = 500_000  # Z3 resource units a query may spend on the incremental solver


def make_solver(seed: int) -> z3.Solver:
    s = z3.Solver()
    s.set("random_seed", seed)
    return s


@dataclass(eq=False)
class _Unrolling:
    """The assertions BMC has accumulated, held by one incremental solver; a query
    that spends INCREMENTAL_RLIMIT there is asked again of a fresh solver over them."""

    seed: int
    rlimit: int | None  # the caller's budget per query (None: none)
    inc: z3.Solver
    assertions: list[z3.ExprRef]
    reason: str = ""  # why the last query ended unknown

    @staticmethod
    def start(seed: int, rlimit: int | None, init: z3.ExprRef) -> "_Unrolling":
        inc = make_solver(seed)
        inc.add(init)
        return _Unrolling(seed, rlimit, inc, [init])

    def add(self, *terms: z3.ExprRef) -> None:
        self.assertions.extend(terms)
        self.inc.add(*terms)

    def check(self, query: z3.ExprRef, timeout_ms: int | None) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        """Ask `query` of the incremental solver under INCREMENTAL_RLIMIT (cheap while
        the unrolling is short); when that budget runs out, of a fresh solver (which
        preprocesses: far faster when it is deep). Both budgets are deterministic."""
        budget = INCREMENTAL_RLIMIT if self.rlimit is None else min(INCREMENTAL_RLIMIT, self.rlimit)
        answer, model = _ask(self.inc, query, budget, timeout_ms, scoped=True)
        if answer == z3.unknown and self.inc.reason_unknown() in RLIMIT_REASONS:
            fresh = make_solver(self.seed)
            fresh.add(*self.assertions)
            answer, model = _ask(fresh, query, self.rlimit or 0, timeout_ms, scoped=False)
            self.reason = fresh.reason_unknown() if answer == z3.unknown else ""
        else:
            self.reason = self.inc.reason_unknown() if answer == z3.unknown else ""
        return answer, model

    def incremental(self, timeout_ms: int | None) -> z3.Solver:
        """The incremental solver under the caller's budget (for minimise's many small
        queries, which push and pop: a fresh solver would gain nothing there)."""
        self.inc.set("rlimit", self.rlimit or 0)
        if timeout_ms is not None:
            self.inc.set("timeout", timeout_ms)
        return self.inc


def _ask(solver: z3.Solver, query: z3.ExprRef, rlimit: int, timeout_ms: int | None,
         scoped: bool) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
    """Check `query` on `solver` (within push/pop when `scoped`); the model when sat."""
    solver.set("rlimit", rlimit)  # 0: no limit
    if timeout_ms is not None:
        solver.set("timeout", timeout_ms)
    if scoped:
        solver.push()
    try:
        solver.add(query)
        answer = solver.check()
        return answer, solver.model() if answer == z3.sat else None
    finally:
        if scoped:
            solver.pop()


@dataclass(eq=False)
class _Query:
    prop: Property
    bad: z3.ExprRef
    where: str
    groups: tuple[tuple[z3.ExprRef, tuple[Witness, ...]], ...]  # (one site's violation, its witnesses)

    @property
    def witnesses(self) -> tuple[Witness, ...]:
        return tuple(w for _, ws in self.groups for w in ws)

    def witnesses_in(self, model: z3.ModelRef) -> tuple[Witness, ...]:
        """The witnesses of the site (or state predicate) that the model violates."""
        for term, ws in self.groups:
            if z3.is_true(model.eval(term, model_completion=True)):
                return ws
        return self.witnesses


def bmc(enc: Encoding, props: list[Property], opts: Options, facts: list[Property] = ()) -> dict[str, Result]:  # type: ignore[assignment]
    """Check `props` to opts.depth; `facts` are properties already proved (they hold
    in every reachable state) and serve only as hints."""
    start = time.monotonic()
    results: dict[str, Result] = {}
    pending = list(props)
    solver = _Unrolling.start(opts.seed, opts.rlimit, enc.init())
    depth_done = -1
    safe = {p.name: opts.depth for p in facts}  # state property -> last state index known safe
    props_and_facts = list(props) + [p for p in facts if p not in props]
    hinted: set[tuple[str, int]] = set()
    order = forbidden_successors(enc.sys) if opts.por else ()
    try:
        for d in range(opts.depth + 1):
            if opts.timeout is not None and time.monotonic() - start >= opts.timeout:
                break  # before encoding the next step, which can itself take a while
            if d > 1 and (adjacent := canonical(order, enc.act(d - 2), enc.act(d - 1))) is not None:
                solver.add(adjacent)
            if d > 0:
                queries = _site_queries(enc, pending, d - 1)
                if opts.hints:
                    _add_hints(solver, enc, props_and_facts, safe, queries, d - 1, hinted)
                if opts.guard_hints:
                    _add_guard_hints(solver, enc, queries, d - 1)
                if not _run(solver, queries, d, enc, results, start, opts):
                    break
                pending = [p for p in pending if p.name not in results]
                solver.add(enc.trans(d - 1))
            else:
                queries = _init_site_queries(enc, pending)
                if not _run(solver, queries, 0, enc, results, start, opts):
                    break
                pending = [p for p in pending if p.name not in results]
            queries = _state_queries(enc, pending, d)
            if opts.hints:
                _add_hints(solver, enc, props_and_facts, safe, queries, d, hinted)
            if opts.guard_hints:
                _add_guard_hints(solver, enc, queries, d)
            if not _run(solver, queries, d, enc, results, start, opts):
                break
            pending = [p for p in pending if p.name not in results]
            safe.update((p.name, d) for p in pending if p.expr is not None and p.kind != "cover")
            depth_done = d
            if opts.on_depth is not None:
                opts.on_depth(d, [p.name for p in pending])
            if opts.proved_elsewhere is not None and pending:
                # Another engine proved every property still open: nothing is left to
                # find. Only all at once: dropping some would change the queries (and
                # so the counterexamples) of the others, by timing.
                done = opts.proved_elsewhere()
                if all(p.name in done for p in pending):
                    for p in pending:
                        results[p.name] = Holds(p, d)
                    pending = []
            if opts.progress:
                opts.progress(f"depth {d} done, {len(pending)} properties undecided, {time.monotonic() - start:.1f}s")
            if not pending:
                break
    except KeyboardInterrupt:
        for p in pending:
            results.setdefault(p.name, Unknown(p, depth_done, "interrupted"))
    for p in pending:
        if p.name not in results:
            results[p.name] = Holds(p, depth_done) if depth_done == opts.depth else Unknown(
                p, depth_done, _why(start, opts, solver.reason))
    return results


def _add_hints(solver: _Unrolling, enc: Encoding, props: list[Property], safe: dict[str, int],
               queries: list[_Query], last: int, done: set[tuple[str, int]]) -> None:
    """Add what is known about states 0..last (the states the solver already links by
    transitions): a property whose bad state was unsat at every depth <= j, or that is
    proved (j = the bound), holds in states 0..min(j, last), so adding it loses no
    model. Properties whose quantifiers expand are added whole, once; the others as
    instances at the witnesses of the coming queries. They give the solver the per-cell
    induction it would otherwise rediscover by search (docs/benchmarks.md)."""
    terms = _witness_terms(queries)
    for p in props:
        for k in range(min(safe.get(p.name, -1), last) + 1):
            if (p.name, k) in done:
                continue
            whole, parts = enc.hints(p, k, terms)
            if whole:
                done.add((p.name, k))
            solver.add(*parts)


def _add_guard_hints(solver: _Unrolling, enc: Encoding, queries: list[_Query], last: int) -> None:
    """Add, for every step 0..last-1 (the transitions the solver holds), the instances
    of its range guards (`require forall p in s .. e :: kind[p] == NONE`) at the
    witnesses of the coming queries. The guard's test-point expansion is exact but
    says nothing directly about a witness cell inside the range; the instance does,
    and without it Z3 case-splits on how the witness sits among every breakpoint
    (docs/benchmarks.md: models/zone_device_max_pfn.zdl BMC depth 10 over 120 s
    before, 1.4 s after). Each instance is implied by trans(k), so no model is lost.
    Not below GUARD_HINTS_FROM steps, where the solver needs no help and building the
    instances was a fifth of `zcheck verify models/zone_device_max_pfn.zdl`'s depth-2 BMC."""
    terms = _witness_terms(queries)
    if terms and last >= GUARD_HINTS_FROM:
        for k in range(last):
            solver.add(*enc.guard_hints(k, terms))


def _witness_terms(queries: list[_Query]) -> list[z3.ExprRef]:
    """The queries' witness constants, each once (the queries share them), in order."""
    seen: dict[int, z3.ExprRef] = {}
    for q in queries:
        for w in q.witnesses:
            seen.setdefault(w.const.get_id(), w.const)
    return list(seen.values())


def _why(start: float, opts: Options, reason: str) -> str:
    if opts.timeout is not None and time.monotonic() - start >= opts.timeout * 0.99:
        return "timeout"
    if opts.rlimit is not None and reason in RLIMIT_REASONS:
        return BUDGET_SPENT
    return "solver returned unknown"



def _state_queries(enc: Encoding, props: list[Property], d: int) -> list[_Query]:
    """The properties' bad states at depth d. They share their witness constants
    (`bmc@d!x`): the query is their disjunction, and (∃x. A(x)) ∨ (∃x. B(x)) is
    ∃x. A(x) ∨ B(x), so nothing is lost, while the map reads at a witness, and the
    hints at it, are built once for all the properties instead of once for each
    (a 2,000-line model with 340 invariants: docs/benchmarks.md)."""
    out = []
    for p in props:
        b = enc.bad(p, d, f"bmc@{d}")
        if b is not None:
            out.append(_Query(p, b[0], "state", ((b[0], tuple(b[1])),)))
    return out


def _site_queries(enc: Encoding, props: list[Property], k: int) -> list[_Query]:
    """The properties' failing assert sites at step k (witnesses shared as in _state_queries)."""
    out = []
    for p in props:
        b = enc.site_bad(p, k, f"bmc@{k}")
        if b is not None:
            out.append(_Query(p, b[0], "site", tuple((term, tuple(ws)) for term, ws in b[1])))
    return out


def _init_site_queries(enc: Encoding, props: list[Property]) -> list[_Query]:
    out = []
    for p in props:
        b = enc.site_bad(p, None, "bmc@init")
        if b is not None:
            out.append(_Query(p, b[0], "init-site", tuple((term, tuple(ws)) for term, ws in b[1])))
    return out


def _run(
    unrolling: _Unrolling, queries: list[_Query], d: int, enc: Encoding, results: dict[str, Result],
    start: float, opts: Options,
) -> bool:
    """Decide the queries at depth d; False when time ran out or the solver gave up."""
    while queries:
        timeout_ms = None
        if opts.timeout is not None:
            left = opts.timeout - (time.monotonic() - start)
            if left <= 0:
                return False
            timeout_ms = max(1, int(left * 1000))
        answer, model = unrolling.check(z3.Or([q.bad for q in queries]), timeout_ms)
        if answer == z3.unsat:
            return True
        if model is None:
            return False
        hit = [q for q in queries if z3.is_true(model.eval(q.bad, model_completion=True))]
        if not hit:  # model.eval cannot always decide a quantified disjunct: ask one by one
            hit, found = _one_by_one(unrolling, queries, timeout_ms)
            if found is None:
                return False
            model = found
        for q in hit:
            chosen = minimise(unrolling.incremental(timeout_ms), enc, q.bad, d, q.witnesses_in(model), model)
            ex = EncodedExecution(enc, chosen, d, q.where, q.witnesses_in(chosen))
            results[q.prop.name] = violated = Violated(q.prop, d, ex)
            if opts.on_violated is not None:
                opts.on_violated(violated)
        queries = [q for q in queries if all(q is not h for h in hit)]
    return True


def _one_by_one(unrolling: _Unrolling, queries: list[_Query],
                timeout_ms: int | None) -> tuple[list[_Query], z3.ModelRef | None]:
    for q in queries:
        answer, model = unrolling.check(q.bad, timeout_ms)
        if answer == z3.sat:
            return [q], model
    return [], None
