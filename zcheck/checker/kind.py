"""Checker: k-induction — proofs for all depths, with lemmas and a re-checked certificate.

Input: an `Encoding` of arbitrary (not necessarily reachable) states, the properties,
the lemmas, and the depth to which BMC already found no violation (the base case).
Output: `Proved` results, or a counterexample to induction (CTI) per property.

For k = 1, 2, ...: from an arbitrary state s0, if P and the lemmas hold in s0..s(k-1)
along k-1 transitions (all states distinct when k > 1), do they hold after one more
transition? If that query is unsat and BMC found no violation in traces of up to k-1
steps, P holds in every reachable state. Lemmas are proved jointly with P; a lemma
that a CTI breaks while P survives is dropped and the query retried (Houdini), so a
wrong or unhelpful lemma costs one query, not the proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from zcheck.checker.encode import Encoding, Witness, sort_of
from zcheck.checker.maps import differ
from zcheck.spec.types import MapT
from zcheck.checker.results import BUDGET_SPENT, RECHECK_RLIMIT, RLIMIT_REASONS, Proved
from zcheck.system.ir import Property, System


@dataclass(frozen=True)
class Cti:
    """A counterexample to induction: k+1 states, not known to be reachable."""

    prop: str
    k: int
    model: z3.ModelRef
    encoding: Encoding
    witnesses: tuple[Witness, ...]


def _holds(enc: Encoding, props: list[Property], i: int) -> list[z3.ExprRef]:
    """Every property holds in state i and no assert of theirs failed on the way in.

    Encoded positively (never as the negation of a skolemised violation)."""
    out = []
    for p in props:
        out.append(enc.good(p, i))
        if i > 0:
            out.append(enc.site_good(p, i - 1))
    return out


def _state_bad(enc: Encoding, props: list[Property], k: int) -> tuple[list[z3.ExprRef], list[Witness]]:
    parts, wits = [], []
    for p in props:
        b = enc.bad(p, k)
        if b is not None:
            parts.append(b[0])
            wits.extend(b[1])
    return parts, wits


def _site_bad(enc: Encoding, props: list[Property], k: int) -> tuple[list[z3.ExprRef], list[Witness]]:
    parts: list[z3.ExprRef] = []
    wits: list[Witness] = []
    for p in props:
        s = enc.site_bad(p, k)
        if s is not None:
            parts.append(s[0])
            wits.extend(w for _, ws in s[1] for w in ws)
    return parts, wits


def step_query(system: System, props: list[Property], k: int,
               assumed: tuple[Property, ...] = ()) -> tuple[z3.Solver, Encoding, list[Witness]]:
    """The inductive-step query for k: satisfiable iff induction fails at k.

    States 0..k-1 are linked by k-1 transitions and satisfy the properties (and no
    assert of theirs failed on those steps). The k-th step either fails an assert of a
    property *where the assert stands* (no full transition needed: a later `require`
    does not cancel an assert), or completes (trans(k-1)) into a state k that violates
    a property."""
    enc = Encoding(system, from_init=False)
    s = z3.Solver()
    s.set("random_seed", 0)
    for i in range(k):
        s.add(enc.domains(i))
        s.add(*_holds(enc, props, i))
        s.add(*[enc.good(a, i) for a in assumed])  # proved invariants hold in reachable states
    for i in range(k - 1):
        s.add(enc.trans(i))
    if k > 1:
        for i in range(k):
            for j in range(i + 1, k):
                s.add(_distinct(enc, i, j))
    sites, site_w = _site_bad(enc, props, k - 1)
    states, state_w = _state_bad(enc, props, k)
    branches = list(sites)
    if states:
        last = [enc.trans(k - 1), enc.domains(k), *[enc.good(a, k) for a in assumed], z3.Or(states)]
        if k > 1:
            last += [_distinct(enc, i, k) for i in range(k)]
        branches.append(z3.And(last))
    s.add(z3.Or(branches) if branches else z3.BoolVal(False))
    return s, enc, site_w + state_w


def _distinct(enc: Encoding, i: int, j: int) -> z3.ExprRef:
    """States i and j differ somewhere (a map at a fresh key)."""
    a, b = enc.state(i), enc.state(j)
    parts = []
    for v in enc.sys.vars:
        key = z3.Const(f"diff!{v.name}@{i},{j}", sort_of(v.type.key)) if isinstance(v.type, MapT) else None
        parts.append(differ(a[v.name], b[v.name], key))
    return z3.Or(parts) if parts else z3.BoolVal(False)


@dataclass(frozen=True)
class GaveUp:
    """k-induction stopped without a proof or a CTI at the last k tried."""

    reason: str  # "budget" (a query's rlimit ran out) | "timeout" | "solver returned unknown"
    k: int
    cti: Cti | None  # the last CTI seen at a smaller k, if any


def prove(system: System, prop: Property, lemmas: list[Property], base_depth: int, max_k: int,
          deadline: float | None, query_rlimit: int | None = None,
          min_k: int = 1, assumed: tuple[Property, ...] = ()) -> Proved | Cti | GaveUp | None:
    """Try k = min_k..max_k (k - 1 <= base_depth). Each query gets `query_rlimit` Z3
    resource units (deterministic: the same answer on any machine and under load); the
    wall-clock `deadline` is only a safety net. Returns the proof, the CTI at the largest
    k tried, `GaveUp` when a query ran out of budget or time, or None when no k could be
    tried (base case too shallow) or the certificate did not re-check."""
    group = [prop] + [lm for lm in lemmas if lm.name != prop.name]
    last: Cti | None = None
    for k in range(min_k, max_k + 1):
        if k - 1 > base_depth:
            break
        while True:
            s, enc, wits = step_query(system, group, k, assumed)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return GaveUp("timeout", k, last)
            if left is not None:
                s.set("timeout", max(1, int(left * 1000)))
            if query_rlimit is not None:
                s.set("rlimit", query_rlimit)
            answer = s.check()
            if answer == z3.unsat:
                if not recheck(system, group, k, assumed):
                    return None
                used = tuple(lm.name for lm in group[1:])
                cert = tuple(p.name for p in group)
                return Proved(prop, "kind", f"k-induction, k = {k}", cert, used, tuple(a.name for a in assumed))
            if answer == z3.unknown:
                return GaveUp(_reason(s, query_rlimit, deadline), k, last)
            model = s.model()
            last = Cti(prop.name, k, model, enc, tuple(wits))
            broken = _broken_lemmas(enc, group, k, model)
            if not broken:
                break
            group = [g for g in group if g.name not in broken]  # Houdini: drop and retry
    return last


def _reason(s: z3.Solver, rlimit: int | None, deadline: float | None) -> str:
    if deadline is not None and time.monotonic() >= deadline - 0.01:
        return "timeout"
    if rlimit is not None and s.reason_unknown() in RLIMIT_REASONS:
        return BUDGET_SPENT
    return "solver returned unknown"


def _broken_lemmas(enc: Encoding, group: list[Property], k: int, model: z3.ModelRef) -> set[str]:
    """The lemmas (never the property, group[0]) that the CTI violates, when the
    property itself is not violated: dropping them and retrying is Houdini's
    maximal-inductive-subset search. Empty when the property is violated or the model
    cannot be evaluated (then the CTI is reported)."""

    def bad_in_model(p: Property) -> bool | None:
        terms = [b[0] for b in (enc.bad(p, k), enc.site_bad(p, k - 1)) if b is not None]
        if not terms:
            return False
        v = model.eval(z3.Or(terms), model_completion=True)
        return True if z3.is_true(v) else False if z3.is_false(v) else None

    if bad_in_model(group[0]) is not False:
        return set()
    out = set()
    for lm in group[1:]:
        if bad_in_model(lm):
            out.add(lm.name)
    return out


def recheck(system: System, group: list[Property], k: int, assumed: tuple[Property, ...] = ()) -> bool:
    """Re-check the certificate with fresh solvers and a fresh encoding.

    Base: no trace of fewer than k steps from init violates a member of the group.
    Step: the inductive-step query for k is unsatisfiable again."""
    enc = Encoding(system)
    for d in range(k):
        base = z3.Solver()
        base.set("rlimit", RECHECK_RLIMIT)
        base.add(enc.init())
        for i in range(d):
            base.add(enc.trans(i))
        bad = [b[0] for p in group for b in [enc.bad(p, d)] if b is not None]
        bad += [x[0] for p in group for x in [enc.site_bad(p, d - 1) if d > 0 else enc.site_bad(p, None)]
                if x is not None]
        if bad:
            base.add(z3.Or(bad))
            if base.check() != z3.unsat:
                return False
    s, _, _ = step_query(system, group, k, assumed)
    s.set("rlimit", RECHECK_RLIMIT)
    return bool(s.check() == z3.unsat)
