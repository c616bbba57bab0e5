"""Checker: invariant inference — the lemmas a human would write, found, pruned and re-checked.

Input: a `System`, one safety property, the model's lemmas and a `Budget`. Output: an
`Inferred` (or None for a property this cannot prove: a cover): whether the property
is proved by 1-induction strengthened with inferred lemmas, the lemmas its proof uses,
printed in ZDL, every lemma that survived, and the counts and solver effort.

    1. sample   reachable states by a bounded breadth-first search (system/sample.py);
    2. mine     candidate invariants of the model's shape that hold in every sample
                (system/candidates.py), the property itself among them;
    3. Houdini  drop every candidate false in some initial state, then every candidate
                that one step from a state satisfying all the others can falsify, to a
                fixpoint: what is left is the largest inductive subset. The property
                is proved iff it is left;
    4. core     the lemmas the proof needs: unsat cores, closed under "needed to keep
                a needed lemma inductive", so the set named is inductive by itself;
    5. re-check that set with a fresh encoding and fresh solvers (initiation and
                consecution of the conjunction): every lemma named is checked again.

Every solver query runs under Z3's deterministic resource limit (`rlimit`), never a
wall-clock timeout, and candidates are ordered by a stable key, so a run gives the same
answer on any machine and under any load. `Budget.deadline` (wall clock) can only turn
the answer into "not proved".

A property's assert sites (`assert`, `bug_on`, `lock(L)`, `lockdep`) fail on a step,
where the assert stands: as in k-induction (kind.py), a site failure needs the step's
guard up to the site, not the whole transition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import z3

from zcheck.checker.encode import Encoding, expr, violation
from zcheck.spec import typed as t
from zcheck.spec.types import INT, EnumT, MapT
from zcheck.system.candidates import Candidate, Kind, map_keys, mine
from zcheck.system.ir import Property, System
from zcheck.system.lower import domain_of
from zcheck.system.sample import Limits, Samples, explore

DEFAULT_RLIMIT = 20_000_000  # per query: about 2-10 s of Z3 on this machine, the same work everywhere


@dataclass(frozen=True)
class Budget:
    rlimit: int = DEFAULT_RLIMIT  # Z3 resource limit of every query
    total: int = 50 * DEFAULT_RLIMIT  # Z3 resource units for the whole inference (checked between queries)
    samples: Limits = field(default_factory=Limits)
    max_candidates: int = 6000  # beyond this, the last in key order are left out
    max_rounds: int = 400  # Houdini rounds (each drops at least one candidate)
    deadline: float | None = None  # time.monotonic() after which the answer is "not proved"


@dataclass(frozen=True)
class Inferred:
    prop: str
    proved: bool  # by 1-induction with `used`, re-checked
    used: tuple[Candidate, ...]  # the lemmas the proof needs (the property excluded), key order
    kept: tuple[Candidate, ...]  # every candidate Houdini kept (an inductive set), key order
    generated: int  # candidate templates considered
    sampled: int  # candidates true in every sample (the property included)
    samples: int  # states sampled
    rlimit: int
    queries: int
    effort: int  # Z3 resource units spent in all (the deterministic measure of the work)
    rechecked: bool
    reason: str = ""  # why not proved

    @property
    def lemmas_zdl(self) -> str:
        """The lemmas the proof uses, as `lemma` declarations to paste into the model
        (those that ZDL cannot spell are shown as comments with their trace names)."""
        return render_lemmas(self.used, self.prop)


def render_lemmas(cands: tuple[Candidate, ...], prop: str) -> str:
    lines = []
    for i, c in enumerate(cands, 1):
        name = f"{_ident(prop)}_inv{i}"
        if c.zdl:
            lines.append(f"lemma {name}: {c.text}  // {c.kind.value}")
        else:
            lines.append(f"// lemma {name}: {c.text}  // {c.kind.value}; not ZDL: names internal state")
    return "\n".join(lines)


def _ident(name: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name).strip("_")
    return out or "prop"


class OutOfBudget(Exception):
    """A query answered unknown (rlimit) or the wall-clock deadline passed."""


# ---------------------------------------------------------------- encodings of candidates


class _Encoded:
    """Each candidate before (state 0) and after (state 1) one arbitrary step."""

    def __init__(self, system: System, cands: list[Candidate], from_init: bool):
        self.enc = Encoding(system, from_init=from_init)
        self.cands = cands
        self.pre = [self._now(c, 0) for c in cands]

    def domains(self, k: int) -> z3.ExprRef:
        """Enum variables hold members of their enum; in state 0 enum-valued maps too, at
        each key of a small key domain. `Encoding.domains` says the latter for all keys
        with a quantifier, which made Z3 answer "incomplete quantifiers" on
        models/memory_block_locks.zdl; fewer assumptions about an arbitrary state are
        sound (only more counterexamples to induction)."""
        sys_, ctx = self.enc.sys, self.enc.ctx(k)
        cs = []
        for v in sys_.vars:
            if isinstance(v.type, EnumT) or v.exact_domain:
                cs.append(expr(domain_of(t.Var(v.name, v.type), v.type), ctx))  # type: ignore[arg-type]
            elif isinstance(v.type, MapT) and isinstance(v.type.value, EnumT) and k == 0:
                for key in map_keys(sys_, v) or []:
                    cell = t.Read(t.Var(v.name, v.type), t.Lit(key, INT), v.type.value)
                    cs.append(expr(domain_of(cell, v.type.value), ctx))  # type: ignore[arg-type]
        return z3.And(cs) if cs else z3.BoolVal(True)

    def _now(self, c: Candidate, k: int) -> z3.ExprRef:
        return z3.BoolVal(True) if c.expr is None else expr(c.expr, self.enc.ctx(k))

    def bad_after(self, i: int) -> tuple[z3.ExprRef | None, z3.ExprRef | None]:
        """(fails at one of its sites on step 0, is false in state 1 after step 0)."""
        c = self.cands[i]
        site = None
        if c.prop is not None:
            sb = self.enc.site_bad(c.prop, 0)
            site = None if sb is None else sb[0]
        state = None if c.expr is None else violation(c.expr, self.enc.ctx(1), f"inf{i}@1")[0]
        return site, state

    def bad_init(self, i: int) -> z3.ExprRef | None:
        c = self.cands[i]
        parts = []
        if c.prop is not None:
            sb = self.enc.site_bad(c.prop, None)
            if sb is not None:
                parts.append(sb[0])
        if c.expr is not None:
            parts.append(violation(c.expr, self.enc.ctx(0), f"inf{i}@0")[0])
        return z3.Or(parts) if parts else None


class _Houdini:
    def __init__(self, system: System, cands: list[Candidate], budget: Budget):
        self.sys = system
        self.cands = cands
        self.budget = budget
        self.queries = 0
        self.spent: dict[int, int] = {}  # solver number → its resource count so far (deterministic effort)
        self.solvers: list[z3.Solver] = []  # kept alive: a solver's id() could be reused
        self._step: _StepQuery | None = None
        self.guards = 0  # goal literals handed out so far

    @property
    def effort(self) -> int:
        return sum(self.spent.values())

    def solver(self) -> z3.Solver:
        s = z3.Solver()
        s.set("random_seed", 0)
        s.set("rlimit", self.budget.rlimit)
        self.solvers.append(s)
        return s

    def guard(self, tag: str) -> z3.ExprRef:
        """A literal never used before: the goal of one query. (Round numbers restart
        with each tier on the shared step solver; a reused name would conjoin the goals
        of two tiers, and an unsat conjunction was read as "nothing violated", so
        Houdini kept candidates one step breaks.)"""
        self.guards += 1
        return z3.Bool(f"{tag}!{self.guards}")

    def check(self, s: z3.Solver, *assumptions: z3.ExprRef) -> z3.CheckSatResult:
        if self.budget.deadline is not None and time.monotonic() > self.budget.deadline:
            raise OutOfBudget("deadline")
        if self.effort > self.budget.total:
            raise OutOfBudget("total resource limit")
        self.queries += 1
        r = s.check(*assumptions)
        self.spent[self.solvers.index(s)] = _rlimit_count(s)
        if r == z3.unknown:
            raise OutOfBudget(f"solver: {s.reason_unknown()}")
        return r

    def initiation(self, live: list[int]) -> list[int]:
        """Drop the candidates false in some initial state."""
        e = _Encoded(self.sys, self.cands, from_init=True)
        s = self.solver()
        s.add(e.enc.init())
        viol = _indicators(s, "init", {i: e.bad_init(i) for i in live})
        return self._fixpoint(s, viol, live, [])

    def step_query(self, among: list[int]) -> "_StepQuery":
        """One solver for every consecution query (all tiers, and the cores): each
        candidate is encoded once, when its tier first takes part, and each query
        passes the hypotheses of the candidates it keeps."""
        if self._step is None:
            e = _Encoded(self.sys, self.cands, from_init=False)
            s = self.solver()
            s.set("core.minimize", True)
            s.add(e.domains(0))
            self._step = _StepQuery(s, e, z3.And(e.enc.trans(0), e.domains(1)), {}, _Violations("step", {}))
        q = self._step
        new = [i for i in among if i not in q.act]
        if new:
            q.act.update(_hypotheses(q.solver, q.enc, new))
            terms = dict(q.viol.terms)
            terms.update(_indicators(q.solver, "step", {i: _after(q.step, *q.enc.bad_after(i)) for i in new}).terms)
            self._step = q = _StepQuery(q.solver, q.enc, q.step, q.act, _Violations("step", terms))
        return q

    def consecution(self, live: list[int]) -> list[int]:
        """Houdini: drop what one step can falsify from a state where all live hold."""
        q = self.step_query(live)
        return self._fixpoint(q.solver, q.viol, live, q.act)

    def _fixpoint(self, s: z3.Solver, viol: "_Violations", live: list[int],
                  act: dict[int, z3.ExprRef] | list) -> list[int]:  # type: ignore[type-arg]
        """Drop every live candidate whose violation indicator a model sets, until no
        model sets one (under the hypotheses `act` of the live candidates, if any)."""
        for _ in range(self.budget.max_rounds):
            goals = viol.goal(live)
            if not goals:
                return live
            g = self.guard(f"round!{viol.tag}")
            s.add(z3.Implies(g, z3.Or(goals)))
            if self.check(s, g, *[act[i] for i in live if act]) == z3.unsat:
                return live
            hit = viol.violated(s.model()) & set(live)
            if not hit:  # cannot happen for a model of the goal; never loop on it
                raise OutOfBudget("a model violates no candidate")
            live = [i for i in live if i not in hit]
        raise OutOfBudget("too many rounds")

    def core(self, live: list[int], root: int) -> list[int]:
        """A subset of `live` containing `root`, inductive by itself: the root's
        consecution core, closed under the cores of what it brought in."""
        q = self.step_query(live)
        need, todo = {root}, [root]
        while todo:
            i = todo.pop()
            if i not in q.viol.terms:
                continue  # nothing to preserve (no state part, no sites)
            g = self.guard("core")
            q.solver.add(z3.Implies(g, q.viol.terms[i]))
            if self.check(q.solver, g, *[q.act[j] for j in live]) != z3.unsat:
                raise OutOfBudget("a kept candidate is not preserved")
            for x in q.solver.unsat_core():
                name = x.decl().name()
                j = int(name.split("!", 1)[1]) if name.startswith("hyp!") else None
                if j is not None and j not in need:
                    need.add(j)
                    todo.append(j)
        return sorted(need)


@dataclass(frozen=True)
class _StepQuery:
    solver: z3.Solver
    enc: _Encoded
    step: z3.ExprRef  # trans(0) and the enum domains of state 1
    act: dict[int, z3.ExprRef]  # hypothesis literal of each candidate encoded so far (state 0)
    viol: "_Violations"  # what breaks each candidate on the step


def _rlimit_count(s: z3.Solver) -> int:
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def _hypotheses(s: z3.Solver, e: _Encoded, live: list[int]) -> dict[int, z3.ExprRef]:
    """`hyp!i -> candidate i in state 0`; the literals are passed as assumptions."""
    act = {i: z3.Bool(f"hyp!{i}") for i in live}
    for i in live:
        s.add(z3.Implies(act[i], e.pre[i]))
    return act


def _after(step: z3.ExprRef, site: z3.ExprRef | None, state: z3.ExprRef | None) -> z3.ExprRef:
    """Fails at a site on the step, or the step completes into a state where it is false."""
    parts = ([site] if site is not None else []) + ([z3.And(step, state)] if state is not None else [])
    return z3.Or(parts) if parts else z3.BoolVal(False)


def _indicators(s: z3.Solver, tag: str, bads: dict[int, z3.ExprRef | None]) -> "_Violations":
    """The violation terms of the candidates, for the rounds' goals and for reading off
    which candidates a model violates. (Indicator literals `viol_i -> bad_i` in the
    goal instead of the terms cost Z3 3 to 10 times the work on
    models/memory_block_locks.zdl.)"""
    return _Violations(tag, {i: b for i, b in bads.items() if b is not None and not z3.is_false(b)})


class _Violations:
    """The candidates a model violates, found by descending only into the disjunctions
    the model makes true (evaluating each candidate on its own cost 120 us a candidate
    and round in Python)."""

    def __init__(self, tag: str, terms: dict[int, z3.ExprRef]):
        self.tag = tag
        self.keys = sorted(terms)
        self.terms = terms
        self.nodes: dict[tuple[int, int], z3.ExprRef] = {}
        if self.keys:
            self._build(terms, 0, len(self.keys))

    def _build(self, terms: dict[int, z3.ExprRef], lo: int, hi: int) -> z3.ExprRef:
        if hi - lo == 1:
            node = terms[self.keys[lo]]
        else:
            mid = (lo + hi) // 2
            node = z3.Or(self._build(terms, lo, mid), self._build(terms, mid, hi))
        self.nodes[(lo, hi)] = node
        return node

    def goal(self, live: list[int]) -> list[z3.ExprRef]:
        return [self.terms[i] for i in live if i in self.terms]

    def violated(self, model: z3.ModelRef) -> set[int]:
        out: set[int] = set()
        stack = [(0, len(self.keys))] if self.keys else []
        while stack:
            lo, hi = stack.pop()
            if not z3.is_true(model.eval(self.nodes[(lo, hi)], model_completion=True)):
                continue
            if hi - lo == 1:
                out.add(self.keys[lo])
            else:
                mid = (lo + hi) // 2
                stack += [(lo, mid), (mid, hi)]
        return out


# ---------------------------------------------------------------- the certificate


def recheck(system: System, cands: list[Candidate], rlimit: int) -> bool:
    """Fresh encodings and fresh solvers: the conjunction of `cands` holds in every
    initial state (and no assert site of theirs fails there), and one step from any
    state satisfying it keeps it (and fails no site of theirs)."""
    first = _Encoded(system, cands, from_init=True)
    init_bad = [b for b in (first.bad_init(i) for i in range(len(cands))) if b is not None]
    s0 = z3.Solver()
    s0.set("rlimit", rlimit)
    s0.add(first.enc.init(), z3.Or(init_bad) if init_bad else z3.BoolVal(False))
    if s0.check() != z3.unsat:
        return False
    e = _Encoded(system, cands, from_init=False)
    s1 = z3.Solver()
    s1.set("rlimit", rlimit)
    s1.add(e.domains(0), *e.pre)
    sites, states = [], []
    for i in range(len(cands)):
        site, state = e.bad_after(i)
        sites += [site] if site is not None else []
        states += [state] if state is not None else []
    step = z3.And(e.enc.trans(0), e.domains(1))
    s1.add(z3.Or(sites + ([z3.And(step, z3.Or(states))] if states else [])))
    return bool(s1.check() == z3.unsat)


# ---------------------------------------------------------------- the entry point


def infer(system: System, prop: Property, lemmas: list[Property], budget: Budget = Budget(),
          samples: Samples | None = None) -> Inferred | None:
    """Prove `prop` by 1-induction with inferred lemmas (see the module docstring).
    None for a cover (nothing to prove). `samples`: the states sampled from `system`
    by an earlier call (`sample(system, budget)`), to share them between properties."""
    if prop.kind == "cover":
        return None
    samples = samples if samples is not None else sample(system, budget)
    mined = mine(system, prop, [lm for lm in lemmas if lm.kind == "lemma"], samples)
    cands = _capped(list(mined.candidates), budget.max_candidates)
    root = next(i for i, c in enumerate(cands) if c.prop is not None and c.prop.name == prop.name)
    h = _Houdini(system, cands, budget)
    base = partial(Inferred, prop=prop.name, generated=mined.generated, sampled=len(mined.candidates),
                   samples=len(samples.samples), rlimit=budget.rlimit)
    try:
        live = _staged(h, cands, root)
        kept = tuple(cands[i] for i in live)
        if root not in live:
            return base(proved=False, used=(), kept=kept, queries=h.queries, effort=h.effort, rechecked=False,
                        reason="the property is not inductive relative to the candidates")
        used = h.core(live, root)
    except OutOfBudget as exc:
        return base(proved=False, used=(), kept=(), queries=h.queries, effort=h.effort, rechecked=False,
                    reason=f"out of budget ({exc})")
    group = [cands[i] for i in used]
    ok = recheck(system, group, budget.rlimit)
    lemmas_used = tuple(c for c in group if c.prop is None or c.prop.name != prop.name)
    return base(proved=ok, used=lemmas_used, kept=kept, queries=h.queries + 2, effort=h.effort, rechecked=ok,
                reason="" if ok else "the re-check by a fresh solver failed")


def sample(system: System, budget: Budget = Budget()) -> Samples:
    """The reachable states inference mines candidates from (system/sample.py)."""
    return explore(system, budget.samples)


TIERS = (0, 1, 2)


def _staged(h: _Houdini, cands: list[Candidate], root: int) -> list[int]:
    """Houdini on the single facts first, then with the relations at one step, then
    with everything, stopping at the first tier whose inductive subset keeps the
    property. The inductive subset of a larger set contains that of a smaller one, so a
    later tier only adds to what an earlier one kept; each costs Houdini rounds, and
    the wide tiers hold most of the candidates that are true but not inductive."""
    start = h.initiation(list(range(len(cands))))
    live: list[int] = []
    for tier in TIERS:
        live = h.consecution([i for i in start if cands[i].tier <= tier])
        if root in live:
            break
    return live


def _capped(cands: list[Candidate], cap: int) -> list[Candidate]:
    """The properties always; then the others in key order, up to `cap` in all."""
    props = [c for c in cands if c.kind is Kind.PROPERTY]
    rest = [c for c in cands if c.kind is not Kind.PROPERTY]
    return props + rest[: max(0, cap - len(props))]
