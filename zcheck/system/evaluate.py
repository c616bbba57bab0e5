"""System: the concrete evaluator — runs a `System` on concrete values.

Used to simulate, and to replay every counterexample before it is shown. Input: typed
expressions/statements and concrete values (bool, int, `PMap`); output: values, and for
a body the next state, whether it was enabled, and the outcome of every assert site.

Quantifiers over finite small domains, and `x in lo .. hi` with a small range at the
state evaluated, are enumerated. Over unbounded or large domains
they are decided at test points: maps are piecewise constant and a bound variable that
is used only as a map index (plus a closed offset) and in comparisons can change the
body's truth only at map breakpoints and at the values it is compared with, so the body
is evaluated at those points and their neighbours. Outside that fragment the evaluator
raises `EvalError` rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, assert_never, cast

from zcheck.spec import ops
from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type, finite_size
from zcheck.system.pmap import PMap

Value = int | bool | PMap
ENUMERATE_LIMIT = 1 << 12


class EvalError(Exception):
    """The evaluator cannot decide this expression (not a problem of the model)."""


@dataclass(frozen=True)
class Env:
    state: Mapping[str, Value]
    old: Mapping[str, Value] = field(default_factory=dict)
    params: Mapping[str, Value] = field(default_factory=dict)
    locals: Mapping[str, Value] = field(default_factory=dict)
    bound: Mapping[str, Value] = field(default_factory=dict)
    rigid: Mapping[str, Value] = field(default_factory=dict)

    def bind(self, name: str, value: Value) -> "Env":
        return replace(self, bound={**self.bound, name: value})


def default_value(typ: Type, init: Value) -> Value:
    return PMap.const(init) if isinstance(typ, MapT) else init  # type: ignore[arg-type]


def evaluate(e: t.TExpr, env: Env) -> Value:
    match e:
        case t.Lit(value=v):
            return v
        case t.Var(name=n):
            return env.state[n]
        case t.Old(name=n):
            return env.old[n]
        case t.Const(name=n):
            return env.rigid[n]
        case t.Param(name=n):
            return env.params[n]
        case t.Local(name=n):
            return env.locals[n]
        case t.Bound(name=n):
            return env.bound[n]
        case t.Read(map=m, index=i):
            mv = evaluate(m, env)
            assert isinstance(mv, PMap)
            return mv.get(int(evaluate(i, env)))  # type: ignore[arg-type]
        case t.Unop(op=op, arg=a, type=typ):
            return ops.unop(op, evaluate(a, env), typ)  # type: ignore[arg-type]
        case t.Binop(op=op, left=a, right=b):
            return _binop(op, a, b, env)
        case t.Ite(cond=c, then=a, else_=b):
            return evaluate(a, env) if evaluate(c, env) else evaluate(b, env)
        case t.Quant():
            return _quant(e, env)
        case _:
            assert_never(e)


def _binop(op: Op, a: t.TExpr, b: t.TExpr, env: Env) -> Value:
    x = evaluate(a, env)
    lazy = ops.OPS[op].lazy
    if lazy is not None and bool(x) != lazy:  # the right side cannot change the value: not evaluated
        return ops.binop(op, x, x, a.type)  # type: ignore[arg-type]
    y = evaluate(b, env)
    return ops.binop(op, x, y, a.type)  # type: ignore[arg-type]


# ---------------------------------------------------------------- quantifiers


def _quant(q: t.Quant, env: Env) -> bool:
    want = q.kind == "exists"
    for v in _candidates(q, env):
        if bool(evaluate(q.body, env.bind(q.var, v))) == want:
            return want
    return not want


def quantifier_values(q: t.Quant, env: Env) -> list[Value]:
    """The values at which `q`'s bound variable is tried (all of them, or test points)."""
    return _candidates(q, env)


def _candidates(q: t.Quant, env: Env) -> list[Value]:
    typ = q.var_type
    size = finite_size(typ)
    if isinstance(typ, BoolT):
        return [False, True]
    if isinstance(typ, EnumT):
        return list(range(len(typ.members)))
    if isinstance(typ, RangeT) and size is not None and size <= ENUMERATE_LIMIT:
        return list(range(typ.lo, typ.hi))
    if isinstance(typ, BvT) and size is not None and size <= ENUMERATE_LIMIT:
        return list(range(size))
    guarded = _guarded_range(q, env)
    if guarded is not None:
        return guarded
    points = _test_points(q, env)
    if isinstance(typ, BvT):
        return _values(sorted({p % (1 << typ.width) for p in points}))
    if isinstance(typ, RangeT):
        return _values(sorted({p for p in points if typ.lo <= p < typ.hi} | {typ.lo, typ.hi - 1}))
    return _values(sorted(points))


def _values(ints: list[int]) -> list[Value]:
    """A new list of ints as a list of values: `list` is invariant (a list[Value] may be
    given a PMap), but no one else holds this list."""
    return cast("list[Value]", ints)


def _guarded_range(q: t.Quant, env: Env) -> list[Value] | None:
    """Every value of `forall x in lo .. hi` / `exists x in lo .. hi` when the range is
    small: the body is `lo <= x && x < hi ==> ...` (`&& ...` for exists), so no value
    outside it can decide the quantifier. None when the body has another shape or the
    range is larger than the enumeration limit."""
    want = Op.IMPLIES if q.kind == "forall" else Op.AND
    match q.body:
        case t.Binop(op=op, left=t.Binop(op=Op.AND, left=t.Binop(op=Op.LE, left=lo, right=t.Bound(name=a)),
                                         right=t.Binop(op=Op.LT, left=t.Bound(name=b), right=hi))) if (
            op is want and a == b == q.var and not _mentions(lo, q.var) and not _mentions(hi, q.var)
        ):
            low, high = int(evaluate(lo, env)), int(evaluate(hi, env))  # type: ignore[arg-type]
            return list(range(low, high)) if high - low <= ENUMERATE_LIMIT else None
        case _:
            return None


def _test_points(q: t.Quant, env: Env) -> set[int]:
    """Points at which the body can change truth value (see the module docstring)."""
    var = q.var
    depth = _nesting(q.body) + 1
    seeds: set[int] = {0}
    offsets: set[int] = {0}
    for node in t.walk(q.body):
        match node:
            case t.Read(map=m, index=i) if _mentions(i, var):
                off = _offset(i, var, env)
                if off is None:
                    raise EvalError(f"quantified `{t.display_name(var)}` is used in a map index that is not `x + c`")
                offsets.add(off)
                if not _mentions(m, var) and not _has_bound(m):
                    mv = evaluate(m, env)
                    assert isinstance(mv, PMap)
                    seeds.update(mv.breakpoints())
                else:
                    seeds.update(_all_breakpoints(env))
            case t.Binop(op=op, left=a, right=b) if op in ops.ARITHMETIC and (
                _mentions(a, var) or _mentions(b, var)
            ):
                if op not in (Op.ADD, Op.SUB) or (_mentions(a, var) and _mentions(b, var)):
                    raise EvalError(f"quantified `{t.display_name(var)}` is used in `{op}`; cannot evaluate exactly")
            case t.Binop(op=op, left=a, right=b) if op in ops.COMPARISONS:
                for side in (a, b):
                    if not _mentions(side, var) and not _has_bound(side) and isinstance(side.type, (IntT, RangeT, BvT)):
                        seeds.add(int(evaluate(side, env)))  # type: ignore[arg-type]
                    elif not _mentions(side, var) and _has_bound(side):
                        seeds.update(_all_breakpoints(env))
            case _:
                pass
    points: set[int] = set()
    spread = depth + 1
    for s in seeds:
        for off in offsets:
            for d in range(-spread, spread + 1):
                points.add(s - off + d)
    lo, hi = min(points), max(points)
    points.update({lo - spread - 1, hi + spread + 1})
    return points


def _nesting(e: t.TExpr) -> int:
    return sum(1 for n in t.walk(e) if isinstance(n, t.Quant))


def _all_breakpoints(env: Env) -> set[int]:
    out: set[int] = set()
    for v in list(env.state.values()) + list(env.old.values()):
        if isinstance(v, PMap):
            out.update(v.breakpoints())
        elif isinstance(v, int) and not isinstance(v, bool):
            out.add(v)
    for v in list(env.params.values()) + list(env.locals.values()) + list(env.bound.values()):
        if isinstance(v, int) and not isinstance(v, bool):
            out.add(v)
    return out


def _mentions(e: t.TExpr, var: str) -> bool:
    return any(isinstance(n, t.Bound) and n.name == var for n in t.walk(e))


def _has_bound(e: t.TExpr) -> bool:
    return any(isinstance(n, t.Bound) for n in t.walk(e))


def _offset(i: t.TExpr, var: str, env: Env) -> int | None:
    """c when `i` is `var + c` / `var - c` / `c + var` with a closed c; None otherwise."""
    match i:
        case t.Bound(name=n) if n == var:
            return 0
        case t.Binop(op=Op.ADD, left=a, right=b):
            if _is_var(a, var) and not _has_bound(b):
                return int(evaluate(b, env))  # type: ignore[arg-type]
            if _is_var(b, var) and not _has_bound(a):
                return int(evaluate(a, env))  # type: ignore[arg-type]
        case t.Binop(op=Op.SUB, left=a, right=b) if _is_var(a, var) and not _has_bound(b):
            return -int(evaluate(b, env))  # type: ignore[arg-type]
        case _:
            pass
    return None


def _is_var(e: t.TExpr, var: str) -> bool:
    return isinstance(e, t.Bound) and e.name == var


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class AssertOutcome:
    prop: str
    ok: bool
    stmt: t.SAssert
    env: Env


@dataclass(frozen=True)
class BodyOutcome:
    enabled: bool
    state: dict[str, Value]
    asserts: tuple[AssertOutcome, ...]
    blocked: t.SRequire | None = None  # the require that failed
    choices: dict[str, Value] = field(default_factory=dict)


Chooser = Callable[[t.SHavoc, Env], Value]


def run_body(
    body: tuple[t.TStmt, ...], state: Mapping[str, Value], params: Mapping[str, Value],
    choose: Chooser, rigid: Mapping[str, Value],
) -> BodyOutcome:
    """Run a transition body from `state` (the pre-state) with the given parameters."""
    run = _Run(dict(state), dict(state), dict(params), {}, dict(rigid), choose)
    ok = run.block(body)
    return BodyOutcome(ok, run.cur, tuple(run.asserts), run.blocked, run.choices)


@dataclass
class _Run:
    cur: dict[str, Value]
    old: dict[str, Value]
    params: dict[str, Value]
    locals: dict[str, Value]
    rigid: dict[str, Value]
    choose: Chooser
    asserts: list[AssertOutcome] = field(default_factory=list)
    blocked: t.SRequire | None = None
    choices: dict[str, Value] = field(default_factory=dict)

    def env(self) -> Env:
        return Env(dict(self.cur), self.old, self.params, dict(self.locals), {}, self.rigid)

    def ev(self, e: t.TExpr) -> Value:
        return evaluate(e, self.env())

    def block(self, body: tuple[t.TStmt, ...]) -> bool:
        for s in body:
            if not self.stmt(s):
                return False
        return True

    def stmt(self, s: t.TStmt) -> bool:
        match s:
            case t.SAssign(var=v, value=x):
                self.cur[v] = self.ev(x)
            case t.SStore(var=v, index=i, value=x):
                m = self.cur[v]
                assert isinstance(m, PMap)
                self.cur[v] = m.store(int(self.ev(i)), self.ev(x))  # type: ignore[arg-type]
            case t.SFill(var=v, lo=lo, hi=hi, value=x):
                m = self.cur[v]
                assert isinstance(m, PMap)
                self.cur[v] = m.fill(int(self.ev(lo)), int(self.ev(hi)), self.ev(x))  # type: ignore[arg-type]
            case t.SHavoc():
                return self.havoc(s)
            case t.SIf(cond=c, then=a, else_=b):
                return self.block(a if self.ev(c) else b)
            case t.SLet(name=n, value=x):
                self.locals[n] = self.ev(x)
            case t.SRequire(cond=c):
                if not self.ev(c):
                    self.blocked = s
                    return False
            case t.SAssert(prop=p, cond=c):
                self.asserts.append(AssertOutcome(p, bool(self.ev(c)), s, self.env()))
            case t.SGoto() | t.SDone() | t.SLock() | t.STry() | t.SBugOn() | t.SRcu():
                raise AssertionError("lowered away")
        return True

    def havoc(self, s: t.SHavoc) -> bool:
        value = self.choose(s, self.env())
        self.choices[s.choice] = value
        if not in_domain(value, s.domain):
            return False
        if s.lo is not None and s.hi is not None:
            if not int(self.ev(s.lo)) <= int(value) < int(self.ev(s.hi)):  # type: ignore[arg-type]
                return False
        if s.local:
            self.locals[s.var] = value
        elif s.index is None:
            self.cur[s.var] = value
        else:
            m = self.cur[s.var]
            assert isinstance(m, PMap)
            self.cur[s.var] = m.store(int(self.ev(s.index)), value)  # type: ignore[arg-type]
        return True


def in_domain(value: Value, typ: Type) -> bool:
    match typ:
        case RangeT(lo, hi):
            return lo <= int(value) < hi  # type: ignore[arg-type]
        case EnumT(_, members):
            return 0 <= int(value) < len(members)  # type: ignore[arg-type]
        case BvT(width):
            return 0 <= int(value) < (1 << width)  # type: ignore[arg-type]
        case BoolT() | IntT() | MapT():
            return True
    return True
