"""Checker: PDR through Z3's Spacer — an inductive invariant as a model of Horn clauses.

Input: a `System` and one safety property (invariant, lemma, assert, implicit), and a
budget in Z3's deterministic resource units (rlimit). Output: a `PdrAttempt` — `Proved`
with the invariant Spacer found (re-checked by fresh solvers), or the reason there is
no proof (`PdrStatus`: reachable bad state, budget exhausted, Spacer's own unknown,
clauses outside Spacer's input language, wall-clock safety net, failed re-check).
BMC reports violations with their traces.

The clauses, over one predicate Inv(consts, vars, maps) with maps as arrays:

    init(s)                      -> Inv(s)
    Inv(s) /\\ trans(s, s')       -> Inv(s')
    Inv(s) /\\ bad(s)             -> false        (bad: the property fails in s,
                                                  or an assert of it fails on a step)

Maps are read chains (maps.py) for BMC; here each state's maps are array terms
(`MapTerm.array()`), since Inv's arguments must be arrays. The choice of Spacer over
an IC3 of our own is recorded in docs/adr/0001-pdr-engine.md; its options and budgets
in the Spacer options measurement (bench/spacer_options.py; its ADR is still to be written).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

import z3

from zcheck.checker.encode import Encoding, sort_of
from zcheck.checker.maps import MapTerm
from zcheck.checker.results import Proved
from zcheck.spec.types import MapT
from zcheck.system.cone import slice_system
from zcheck.system.ir import Property, System


@dataclass(frozen=True)
class SpacerConfig:
    """A named set of Spacer options (`Fixedpoint().help()` describes them)."""

    name: str
    options: tuple[tuple[str, bool | int], ...]


# Quantified array invariants (Spacer's "quantifiers on demand"): without these options
# Spacer timed out (20 s) on every property of models/section_hotplug.zdl; with them
# it answers in < 0.1 s (docs/adr/0001-pdr-engine.md).
SPACER_OPTIONS = (
    ("fp.spacer.q3.use_qgen", True),
    ("fp.spacer.ground_pobs", False),
    ("fp.spacer.mbqi", False),
    ("fp.spacer.use_euf_gen", True),
)
QUANTIFIED = SpacerConfig("quantified", SPACER_OPTIONS)

# A plan: configurations tried in turn on one property, each with its share of the
# budget (the last one gets what is left).
Plan = tuple[tuple[SpacerConfig, float], ...]
DEFAULT_PLAN: Plan = ((QUANTIFIED, 1.0),)
# Tried with what is left of the budget when an invariant Spacer returned fails its
# re-check: the quantified configuration has answered "safe" with the invariant `false`
# (bench/protocols/ticket.zdl at N = 3), and Spacer's defaults then prove it.
RECOVERY = SpacerConfig("defaults", ())

# Budgets per property, in Z3 resource units (about 2.5 M a second on the Xeon of
# docs/benchmarks.md); the options and budgets are measured in docs/adr/0002-spacer-options.md.
PDR_RLIMIT_AUTO = 50_000_000
PDR_RLIMIT_PDR = 150_000_000
# Each re-check obligation (fresh solver, quantified invariant) gets this many units.
RECHECK_RLIMIT = 50_000_000


class PdrStatus(enum.Enum):
    """Why a PDR attempt ended."""

    PROVED = "proved"  # an invariant, confirmed by the re-check
    REACHABLE = "reachable"  # Spacer derived a bad state: the property is violated (BMC finds the trace)
    BUDGET = "budget"  # the rlimit budget ran out
    UNKNOWN = "unknown"  # Spacer answered unknown on its own (e.g. incomplete quantifier reasoning)
    UNSUPPORTED = "unsupported"  # the clauses are outside Spacer's input (a quantifier in a recursive rule)
    RECHECK_FAILED = "recheck-failed"  # Spacer's invariant was not confirmed by fresh solvers
    WALL_CLOCK = "wall-clock"  # the wall-clock safety net fired (machine-dependent)
    NOT_SAFETY = "not-safety"  # a cover property: nothing for PDR to prove


@dataclass(frozen=True)
class Stage:
    """One Spacer query of an attempt: the configuration, how it ended, the units it used."""

    config: str
    status: PdrStatus
    rlimit: int
    reason: str = ""  # Z3's reason_unknown (first line), or why the re-check failed


@dataclass(frozen=True)
class PdrAttempt:
    prop: Property
    status: PdrStatus
    rlimit: int  # resource units Spacer used over all stages (re-checks not counted)
    budget: int  # the budget it had (0: none)
    stages: tuple[Stage, ...]
    proof: Proved | None = None
    recheck_rlimit: int = 0  # units the re-check of the invariant used

    def explain(self) -> str:
        """One line for the output: what PDR did for this property."""
        reason = self.stages[-1].reason if self.stages else ""
        match self.status:
            case PdrStatus.PROVED:
                return f"PDR proved it ({self.rlimit:,} rlimit units)"
            case PdrStatus.REACHABLE:
                return "PDR: a bad state is reachable"
            case PdrStatus.BUDGET:
                return f"PDR gave up: its budget of {self.budget:,} rlimit units ran out"
            case PdrStatus.UNKNOWN:
                return f"PDR gave up: Spacer answered unknown ({reason}) after {self.rlimit:,} rlimit units"
            case PdrStatus.UNSUPPORTED:
                return f"PDR does not apply: {reason}"
            case PdrStatus.RECHECK_FAILED:
                return f"PDR's invariant was not confirmed by the re-check ({reason})"
            case PdrStatus.WALL_CLOCK:
                return f"PDR stopped by the wall-clock limit after {self.rlimit:,} rlimit units"
            case PdrStatus.NOT_SAFETY:
                return "PDR does not apply to cover properties"


@dataclass(frozen=True)
class Clauses:
    """The Horn clauses of one property; `inv` is the unknown predicate."""

    inv: z3.FuncDeclRef
    init: z3.BoolRef  # init(s0) -> Inv(s0), as an implication with free constants
    step: z3.BoolRef
    query: z3.BoolRef


def _args(enc: Encoding, k: int) -> list[z3.ExprRef]:
    """The arguments of Inv in state k: rigid constants, scalars, maps as arrays."""
    state = enc.state(k)
    out: list[z3.ExprRef] = [enc.rigid[name] for name, _ in enc.sys.rigid]
    for v in enc.sys.vars:
        x = state[v.name]
        if isinstance(x, MapTerm):
            assert isinstance(v.type, MapT)  # a map term is a map variable's
            out.append(x.array(sort_of(v.type.key)))
        else:
            out.append(x)
    return out


def _signature(system: System) -> list[z3.SortRef]:
    sorts = [sort_of(typ) for _, typ in system.rigid]
    for v in system.vars:
        sorts.append(z3.ArraySort(sort_of(v.type.key), sort_of(v.type.value)) if isinstance(v.type, MapT)
                     else sort_of(v.type))
    return sorts


def _head(inv: z3.FuncDeclRef, args: list[z3.ExprRef], tag: str) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    """Inv applied to fresh variables, and the equations binding them to `args`
    (Spacer accepts only variables and simple terms as head arguments)."""
    fresh = [z3.Const(f"{tag}!{i}", a.sort()) for i, a in enumerate(args)]
    return inv(*fresh), [f == a for f, a in zip(fresh, args)]


def clauses(system: System, prop: Property) -> Clauses:
    inv = z3.Function("Inv", *_signature(system), z3.BoolSort())
    first = Encoding(system)
    head0, eqs0 = _head(inv, _args(first, 0), "init")
    init = z3.Implies(z3.And(first.init(), *eqs0), head0)
    enc = Encoding(system, from_init=False)
    head1, eqs1 = _head(inv, _args(enc, 1), "post")
    step = z3.Implies(z3.And(inv(*_args(enc, 0)), enc.trans(0), *eqs1), head1)
    bads = []
    b = enc.bad(prop, 0)
    if b is not None:
        bads.append(b[0])
    s = enc.site_bad(prop, 0)
    if s is not None:
        bads.append(s[0])
    i = first.site_bad(prop, None)
    query = z3.Implies(z3.And(inv(*_args(enc, 0)), z3.Or(bads)), z3.BoolVal(False)) if bads else z3.BoolVal(True)
    if i is not None:  # an assert of `init` fails: reachable without Inv
        query = z3.And(query, z3.Implies(z3.And(first.init(), i[0]), z3.BoolVal(False)))
    return Clauses(inv, init, step, query)


def _closed(f: z3.BoolRef) -> z3.BoolRef:
    consts = _free_consts(f)
    return z3.ForAll(consts, f) if consts else f


def _free_consts(f: z3.ExprRef) -> list[z3.ExprRef]:
    seen: set[int] = set()
    out: dict[str, z3.ExprRef] = {}
    stack = [f]
    while stack:
        n = stack.pop()
        if n.get_id() in seen:
            continue
        seen.add(n.get_id())
        if z3.is_const(n) and n.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.setdefault(str(n), n)
        elif z3.is_app(n):
            stack.extend(n.children())
        elif z3.is_quantifier(n):
            stack.append(n.body())
    return [out[k] for k in sorted(out)]


def prove_pdr(system: System, prop: Property, timeout: float | None, slice_cone: bool = True, *,
              rlimit: int | None = None) -> Proved | None:
    """The proof `run_pdr` found, or None: kept for callers that only need the proof.
    `timeout` (seconds) is the wall-clock safety net; `rlimit` the budget in Z3 resource
    units (None: PDR_RLIMIT_AUTO)."""
    return run_pdr(system, prop, PDR_RLIMIT_AUTO if rlimit is None else rlimit, wall_clock=timeout,
                   slice_cone=slice_cone).proof


def run_pdr(system: System, prop: Property, rlimit: int | None = None, *, wall_clock: float | None = None,
            slice_cone: bool = True, plan: Plan | None = None) -> PdrAttempt:
    """Run Spacer on `prop` within `rlimit` resource units (None: PDR_RLIMIT_AUTO; 0: no
    limit) and, if it finds an invariant, re-check it; say why when there is no proof.

    Every query runs in a fresh Z3 context, so its answer, the rlimit it used and the
    invariant's text depend only on the clauses, not on what ran earlier in the
    process. `wall_clock` (seconds) is a safety net only: when it fires the attempt is
    WALL_CLOCK, which no machine-independent result may rely on.

    Spacer works on the property's cone of influence (system/cone.py): on
    models/memremap_unwind.zdl with every fix on it proved all 14 properties in 1.5 s on
    their cones, and 11 in 183 s on the whole system (docs/benchmarks.md, section 4)."""
    budget = PDR_RLIMIT_AUTO if rlimit is None else rlimit
    plan = DEFAULT_PLAN if plan is None else plan
    if prop.kind == "cover":
        return PdrAttempt(prop, PdrStatus.NOT_SAFETY, 0, budget, ())
    whole = len(system.vars)
    if slice_cone:
        system = slice_system(system, [prop])
    cl = clauses(system, prop)
    deadline = None if wall_clock is None else time.monotonic() + wall_clock
    used = 0
    stages: list[Stage] = []
    todo = list(plan)  # RECOVERY is appended after a failed re-check
    for i, (config, share) in enumerate(todo):
        last = i == len(todo) - 1
        left = budget - used if budget else 0
        if budget and left <= 0:
            break
        stage_budget = left if (last or not budget) else min(left, max(1, int(budget * share)))
        wall = None if deadline is None else deadline - time.monotonic()
        if wall is not None and wall <= 0:
            stages.append(Stage(config.name, PdrStatus.WALL_CLOCK, 0, "wall-clock cap"))
            break
        stage, body = _spacer(cl, config, stage_budget, wall)
        used += stage.rlimit
        stages.append(stage)
        if stage.status is PdrStatus.PROVED:
            assert body is not None
            wall = None if deadline is None else int(max(0.001, deadline - time.monotonic()) * 1000)
            check = recheck_why(system, prop, body, wall)
            checked = check.rlimit
            if not check.ok:
                failed = PdrStatus.WALL_CLOCK if check.wall_clock else PdrStatus.RECHECK_FAILED
                stages[-1] = Stage(config.name, failed, stage.rlimit, check.why)
                if failed is PdrStatus.RECHECK_FAILED and all(c is not RECOVERY for c, _ in todo):
                    todo.append((RECOVERY, 1.0))
                    continue
                return PdrAttempt(prop, failed, used, budget, tuple(stages), None, checked)
            proof = Proved(prop, "pdr", pdr_detail(len(system.vars), whole), (readable(system, body),), (), ())
            return PdrAttempt(prop, PdrStatus.PROVED, used, budget, tuple(stages), proof, checked)
        if stage.status in (PdrStatus.REACHABLE, PdrStatus.UNSUPPORTED, PdrStatus.WALL_CLOCK):
            break  # another configuration would not change these
    final = stages[-1].status if stages else PdrStatus.BUDGET
    return PdrAttempt(prop, final, used, budget, tuple(stages))


def _spacer(cl: Clauses, config: SpacerConfig, rlimit: int, wall: float | None) -> tuple[Stage, z3.ExprRef | None]:
    """One Spacer query in a fresh context; on `sat` also Inv's interpretation, simplified."""
    ctx = z3.Context()
    s = z3.SolverFor("HORN", ctx=ctx)
    s.set("random_seed", 0)
    for name, value in config.options:
        s.set(name, value)
    if rlimit:
        s.set("rlimit", rlimit)
    if wall is not None:
        s.set("timeout", max(1, int(wall * 1000)))
    s.add(_isolated([_closed(c) for c in (cl.init, cl.step, cl.query)], ctx))
    answer = s.check()
    used = _rlimit_count(s)
    if answer == z3.unsat:
        return Stage(config.name, PdrStatus.REACHABLE, used), None
    if answer == z3.unknown:
        reason = s.reason_unknown()
        status = _unknown_status(reason, used, rlimit, wall is not None)
        return Stage(config.name, status, used, reason.split("\n", 1)[0]), None
    body = _interpretation(s.model(), cl.inv.translate(ctx))
    if body is None:
        return Stage(config.name, PdrStatus.UNKNOWN, used, "no interpretation of Inv in the model"), None
    # Spacer writes `m[i] == v` as `m == Store(m, i, v)` inside its quantifiers; the
    # re-check solver gave up on that form ("incomplete quantifiers", z3 5.4.1, on
    # models/section_hotplug.zdl) and proves the equivalent select form in 30 ms.
    return Stage(config.name, PdrStatus.PROVED, used), z3.simplify(body, expand_store_eq=True)


def _isolated(formulas: list[z3.BoolRef], ctx: z3.Context) -> z3.AstVector:
    """`formulas` (built in the main context) re-created in `ctx` through SMT-LIB text.

    Why not `translate`: Spacer's answer on a translated query still depended on what
    the main context had solved before (one BMC run before the same query changed the
    rlimit used and the invariant found; z3 5.4.1), while the query parsed from text
    gave the same answer, units and invariant after any history (bench/spacer_options.py
    --determinism, the Spacer options measurement (bench/spacer_options.py; its ADR is still to be written))."""
    printer = z3.Solver()
    for f in formulas:
        printer.add(f)
    return z3.parse_smt2_string(printer.to_smt2(), ctx=ctx)


def _rlimit_count(s: z3.Solver) -> int:
    """The resource units the solver's context has used (the context is fresh: this query's)."""
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def _unknown_status(reason: str, used: int, rlimit: int, wall: bool) -> PdrStatus:
    """Why Z3 answered unknown. The rlimit decides first: an exhausted budget is reported
    as "max. resource limit exceeded" or, inside Spacer's push, as "push canceled"."""
    if "quantifier in a recursive rule" in reason:
        return PdrStatus.UNSUPPORTED
    if (rlimit and used >= rlimit) or "resource limit" in reason:
        return PdrStatus.BUDGET
    if wall and ("timeout" in reason or "canceled" in reason):
        return PdrStatus.WALL_CLOCK
    return PdrStatus.UNKNOWN


def pdr_detail(used: int, whole: int) -> str:
    """How a PDR proof is named: on the cone of influence when that left variables out."""
    if used == whole:
        return "PDR (Spacer)"
    return f"PDR (Spacer) on the cone of influence ({used} of {whole} variables)"


def _interpretation(model: z3.ModelRef, inv: z3.FuncDeclRef):  # type: ignore[no-untyped-def]
    """Inv's interpretation as a function of its arguments (a lambda over Var(i))."""
    interp = model[inv]
    if interp is None:
        return None
    if isinstance(interp, z3.FuncInterp):
        return interp.else_value() if interp.num_entries() == 0 else None
    return interp


def _apply(body: z3.ExprRef, args: list[z3.ExprRef]) -> z3.BoolRef:
    """Substitute the actual arguments for the free variables Var(i) of `body` (Var(i) is argument i)."""
    return z3.substitute_vars(body, *args) if args else body


def recheck(system: System, prop: Property, body: z3.ExprRef, timeout_ms: int | None = None,
            rlimit: int = RECHECK_RLIMIT) -> bool:
    """Fresh solvers: the invariant holds initially, every step preserves it, and it
    excludes every bad state of the property."""
    return recheck_why(system, prop, body, timeout_ms, rlimit).ok


@dataclass(frozen=True)
class Recheck:
    ok: bool
    why: str  # the obligation that failed and how ("" if none)
    rlimit: int  # units used by all obligations checked
    wall_clock: bool = False  # stopped by the wall-clock safety net (not a verdict)


def recheck_why(system: System, prop: Property, body: z3.ExprRef, timeout_ms: int | None = None,
                rlimit: int = RECHECK_RLIMIT) -> Recheck:
    """`recheck`, which obligation failed and the rlimit units used. Each
    obligation is solved in a fresh Z3 context within `rlimit` units (`timeout_ms`, if
    given, is a wall-clock safety net), so the verdict does not depend on the machine
    or on what ran before. (A fixed 60 s wall clock here failed the re-check of a
    33 k-unit invariant of models/memory_block_locks.zdl on a machine at load 12.)"""
    body = _in_ctx(body, z3.main_ctx())
    first = Encoding(system)
    enc = Encoding(system, from_init=False)
    inv0 = _apply(body, _args(enc, 0))
    obligations = [
        ("initiation", z3.And(first.init(), z3.Not(_apply(body, _args(first, 0))))),
        ("consecution", z3.And(inv0, enc.trans(0), z3.Not(_apply(body, _args(enc, 1))))),
    ]
    for b in (enc.bad(prop, 0), enc.site_bad(prop, 0)):
        if b is not None:
            obligations.append(("safety", z3.And(inv0, b[0])))
    i = first.site_bad(prop, None)
    if i is not None:
        obligations.append(("initial asserts", z3.And(first.init(), i[0])))
    used = 0
    for name, ob in obligations:
        ctx = z3.Context()
        s = z3.Solver(ctx=ctx)
        if timeout_ms is not None:
            s.set("timeout", max(1, timeout_ms))
        s.set("rlimit", rlimit)
        s.add(_isolated([ob], ctx))
        answer = s.check()
        units = _rlimit_count(s)
        used += units
        if answer != z3.unsat:
            why = "a counterexample" if answer == z3.sat else s.reason_unknown().split("\n", 1)[0]
            wall = answer == z3.unknown and _unknown_status(why, units, rlimit, timeout_ms is not None) \
                is PdrStatus.WALL_CLOCK
            return Recheck(False, f"{name}: {why}", used, wall)
    return Recheck(True, "", used)


def _in_ctx(x, ctx: z3.Context):  # type: ignore[no-untyped-def]
    """`x` in `ctx` (Z3 refuses to translate into the context a term is already in)."""
    return x if x.ctx is ctx else x.translate(ctx)


def readable(system: System, body: z3.ExprRef) -> str:
    """The invariant with Inv's arguments named after the model's constants and
    variables (enum members stay numbers: 0 is the first member)."""
    names = [name for name, _ in system.rigid] + [v.name for v in system.vars]
    named = [z3.Const(n, _in_ctx(s, body.ctx)) for n, s in zip(names, _signature(system))]
    text = str(z3.substitute_vars(body, *named)) if named else str(body)
    return " ".join(text.split())
