"""System: a liveness property as a safety property of a product system (liveness to safety).

Input: a `System` and one of its liveness properties (`Property.temporal`). Output: a
`Product`, whose `system` is the model extended with monitor variables and whose one
invariant (named as the liveness property) is violated exactly when the model has a
fair run violating the property; or the reason the property cannot be checked. Every
safety engine then applies unchanged: BMC finds the shortest lasso, k-induction, PDR
and inference prove the property for all runs. (Biere, Artho, Schuppan, "Liveness
checking as safety checking", FMICS 2002; fairness as in docs/language.md.)

The counterexamples are lassos s0 .. sk with sk = sl (l < k) on whose loop the
fairness conditions hold and the property fails, and dead ends: a state where no
transition is enabled, in which the run stays forever. The product adds:

- `live.save`, a boolean parameter of every transition: the step that starts the loop
  copies the state before it into `live.shadow.X` and sets `live.saved`;
- from then on, per step, over the state before it: `live.inv` (the loop condition held
  in every loop state), `live.acc` (the acceptance condition held in one), and for each
  fairness group `live.took#i` (the group was taken), `live.dis#i` (weak: it was
  disabled in some loop state) or `live.en#i` (strong: enabled in some);
- for `P leads_to Q`, the monitor `live.pending` = some state since the last Q had P and
  no Q came since: m0 = P and not Q, m' = (m or P') and not Q'.

A loop closes when the state equals the shadow: bad = saved and state = shadow and inv
and acc and every group fair (weak: taken or disabled somewhere; strong: taken or
enabled nowhere). A dead end is bad when nothing is enabled and both conditions hold.

    always eventually P : loop condition not P       acceptance true
    eventually always P : loop condition true        acceptance not P
    P leads_to Q        : loop condition not Q       acceptance pending

For leads_to the P-state may lie on the loop itself (`0 1 2 0` with P at 1 is a lasso
of length 3): requiring `pending` in every loop state would only find the rotation
that starts the loop after P (`0 1 2 0 1`, length 4). With Q false on the whole loop,
`pending` in one loop state means P at some i and Q false from i on, forever.

A run that never repeats a state has no lasso: on a model with unbounded variables
(`int`, maps over `int`) "no lasso" does not mean "no violating run", so a proof on the
product counts only when the compared variables are finite or every reachable state was
enumerated (`Product.unbounded`; api.py turns other proofs into UNKNOWN).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import assert_never

from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BOOL, BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.cone import accesses
from zcheck.system.implicit_props import Unsupported, enabled
from zcheck.system.ir import FairKind, Fairness, Property, StateVar, System, TemporalOp, Transition

PREFIX = "live."
SAVE = "live.save"  # the transition parameter that starts the loop
SAVED, INV, ACC, PENDING = "live.saved", "live.inv", "live.acc", "live.pending"
SHADOW = "live.shadow."


@dataclass(frozen=True)
class Product:
    """The product system for one liveness property, and the names the decoder needs."""

    system: System
    prop: Property  # the liveness property (of the model)
    compared: tuple[str, ...]  # the model's variables a loop must bring back (those some step writes)
    unbounded: tuple[str, ...]  # those of them with infinitely many values (int, maps over int)


def is_monitor(name: str) -> bool:
    """A product variable or parameter, not the model's."""
    return name.startswith(PREFIX)


def unsupported(system: System) -> str | None:
    """Why no liveness property can be checked on `system` (None: they can). Lowering
    asks once per model, without building a product."""
    en = _enabledness(system)
    return en if isinstance(en, str) else None


def to_safety(system: System, prop: Property) -> Product | str:
    """The product for `prop`, or why it cannot be checked."""
    assert prop.temporal is not None
    en = _enabledness(system)
    return en if isinstance(en, str) else _Builder(system, prop, en).product()


def _enabledness(system: System) -> dict[str, t.TExpr] | str:
    """Each transition's enabling condition as a state predicate, or why there is none."""
    if system.scenario is not None:
        return "a liveness property is not checked under a scenario (a scenario is a finite script, not a run)"
    try:
        return {tr.name: enabled(tr) for tr in system.transitions}
    except Unsupported as exc:
        return f"when a step is enabled cannot be written as a state predicate: {exc}"


def _and(parts: list[t.TExpr]) -> t.TExpr:
    out: t.TExpr = t.Lit(True, BOOL)
    for p in parts:
        out = p if isinstance(out, t.Lit) and out.value is True else t.Binop(Op.AND, out, p, BOOL)
    return out


def _or(parts: list[t.TExpr]) -> t.TExpr:
    out: t.TExpr = t.Lit(False, BOOL)
    for p in parts:
        out = p if isinstance(out, t.Lit) and out.value is False else t.Binop(Op.OR, out, p, BOOL)
    return out


def _not(e: t.TExpr) -> t.TExpr:
    return t.Unop(Op.NOT, e, BOOL)


def _flag(name: str) -> t.Var:
    return t.Var(name, BOOL)


class _Builder:
    def __init__(self, system: System, prop: Property, en: dict[str, t.TExpr]):
        assert prop.temporal is not None
        self.sys, self.prop, self.temporal, self.en = system, prop, prop.temporal, en
        self.groups = system.fairness
        self.compared = [v for v in system.vars if v.name in _written(system)]

    # -- the property's two conditions on the loop --------------------------------

    def loop_condition(self) -> t.TExpr:
        match self.temporal.op:
            case TemporalOp.ALWAYS_EVENTUALLY:
                return _not(self.temporal.p)
            case TemporalOp.EVENTUALLY_ALWAYS:
                return t.Lit(True, BOOL)
            case TemporalOp.LEADS_TO:
                assert self.temporal.q is not None
                return _not(self.temporal.q)
            case _:
                assert_never(self.temporal.op)

    def acceptance(self) -> t.TExpr:
        match self.temporal.op:
            case TemporalOp.ALWAYS_EVENTUALLY:
                return t.Lit(True, BOOL)
            case TemporalOp.EVENTUALLY_ALWAYS:
                return _not(self.temporal.p)
            case TemporalOp.LEADS_TO:
                return _flag(PENDING)
            case _:
                assert_never(self.temporal.op)

    def pending_after(self, before: t.TExpr) -> t.TExpr:
        """The leads_to monitor in the current state, from its value `before`."""
        q = self.temporal.q
        assert q is not None
        return t.Binop(Op.AND, t.Binop(Op.OR, before, self.temporal.p, BOOL), _not(q), BOOL)

    # -- fairness groups ----------------------------------------------------------

    def group_enabled(self, g: Fairness) -> t.TExpr:
        return _or([self.en[n] for n in g.transitions])

    def group_flags(self, i: int, g: Fairness) -> tuple[str, str]:
        seen = f"live.dis#{i}" if g.kind is FairKind.WEAK else f"live.en#{i}"
        return f"live.took#{i}", seen

    def group_fair(self, i: int, g: Fairness) -> t.TExpr:
        took, seen = self.group_flags(i, g)
        match g.kind:
            case FairKind.WEAK:
                return t.Binop(Op.OR, _flag(took), _flag(seen), BOOL)
            case FairKind.STRONG:
                return t.Binop(Op.OR, _flag(took), _not(_flag(seen)), BOOL)
            case _:
                assert_never(g.kind)

    # -- the product ----------------------------------------------------------------

    def flags(self) -> list[str]:
        out = [SAVED, INV, ACC]
        for i, g in enumerate(self.groups):
            out += list(self.group_flags(i, g))
        return out

    def product(self) -> Product:
        model_vars = self.compared
        new = [StateVar(f, BOOL, t.Lit(False, BOOL), self.prop.span, hidden=True) for f in self.flags()]
        if self.temporal.op is TemporalOp.LEADS_TO:
            new.append(StateVar(PENDING, BOOL, t.Lit(False, BOOL), self.prop.span, hidden=True))
        new += [StateVar(SHADOW + v.name, v.type, v.init, self.prop.span, hidden=True) for v in model_vars]
        init = self.sys.init
        if self.temporal.op is TemporalOp.LEADS_TO:
            init = init + (t.SAssign(PENDING, self.pending_after(t.Lit(False, BOOL))),)
        transitions = tuple(self.transition(tr) for tr in self.sys.transitions)
        invariant = Property(self.prop.name, "liveness", _not(self.bad(model_vars)), self.prop.span,
                             self.prop.description, self.temporal)
        lemmas = tuple(p for p in self.sys.properties if p.kind == "lemma")
        system = dataclasses.replace(self.sys, vars=self.sys.vars + tuple(new), init=init,
                                     transitions=transitions, properties=(invariant,) + lemmas)
        return Product(system, self.prop, tuple(v.name for v in model_vars),
                       tuple(v.name for v in model_vars if not _finite(v.type)))

    def transition(self, tr: Transition) -> Transition:
        save = t.Param(SAVE, BOOL)
        start = [t.SAssign(SAVED, t.Lit(True, BOOL)), t.SAssign(INV, t.Lit(True, BOOL)),
                 t.SAssign(ACC, t.Lit(False, BOOL))]
        start += [t.SAssign(f, t.Lit(False, BOOL)) for i, g in enumerate(self.groups) for f in self.group_flags(i, g)]
        start += [t.SAssign(SHADOW + v.name, t.Var(v.name, v.type)) for v in self.compared]
        on_loop = [t.SAssign(INV, _and([_flag(INV), self.loop_condition()])),
                   t.SAssign(ACC, _or([_flag(ACC), self.acceptance()]))]
        for i, g in enumerate(self.groups):
            took, seen = self.group_flags(i, g)
            if tr.name in g.transitions:
                on_loop.append(t.SAssign(took, t.Lit(True, BOOL)))
            now = self.group_enabled(g)
            on_loop.append(t.SAssign(seen, _or([_flag(seen), _not(now) if g.kind is FairKind.WEAK else now])))
        prelude: list[t.TStmt] = [
            t.SIf(_and([save, _not(_flag(SAVED))]), tuple(start), ()),
            t.SIf(_flag(SAVED), tuple(on_loop), ()),
        ]
        body = tuple(prelude) + tr.body
        if self.temporal.op is TemporalOp.LEADS_TO:
            body += (t.SAssign(PENDING, self.pending_after(_flag(PENDING))),)
        return dataclasses.replace(tr, params=tr.params + ((SAVE, BOOL),), body=body)

    def bad(self, model_vars: list[StateVar]) -> t.TExpr:
        same = [shadow_equal(v) for v in model_vars]
        fair = [self.group_fair(i, g) for i, g in enumerate(self.groups)]
        closed = _and([_flag(SAVED), *same, _flag(INV), _flag(ACC), *fair])
        dead_end = _and([_not(_or(list(self.en.values()))), self.loop_condition(), self.acceptance()])
        return _or([closed, dead_end])


def _finite(typ: Type) -> bool:
    match typ:
        case MapT(key=k, value=v):
            return _finite(k) and _finite(v)
        case IntT():
            return False
        case BoolT() | BvT() | RangeT() | EnumT():
            return True
        case _:
            assert_never(typ)


def _written(system: System) -> frozenset[str]:
    """The variables some transition writes: a loop must bring these back (the others
    keep their initial values on every run)."""
    out: set[str] = set()
    for tr in system.transitions:
        accesses(tr.body, lambda _prop: False, set(), out)
    return frozenset(out)


def shadow_equal(v: StateVar) -> t.TExpr:
    """The variable equals its shadow (maps: at every key)."""
    here, there = t.Var(v.name, v.type), t.Var(SHADOW + v.name, v.type)
    if not isinstance(v.type, MapT):
        return t.Binop(Op.EQ, here, there, BOOL)
    key, value = v.type.key, v.type.value
    k = t.Bound(f"{v.name}#key", key)
    same = t.Binop(Op.EQ, t.Read(here, k, value), t.Read(there, k, value), BOOL)
    return t.Quant("forall", k.name, key, _in_domain(k, key, same), BOOL)


def _in_domain(k: t.Bound, key: object, body: t.TExpr) -> t.TExpr:
    """`body` for the keys of the map's key type (ranges and enums: only those)."""
    from zcheck.system.lower import domain_of

    dom = domain_of(k, key)  # type: ignore[arg-type]
    return body if dom is None else t.Binop(Op.IMPLIES, dom, body, BOOL)
