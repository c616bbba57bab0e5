"""Checker: partial evaluation of typed bodies, before the explicit engine compiles them.

Input: a transition body (or a state predicate) and values for some of its parameters.
Output: an equivalent body, where

- the parameters are literals, and so is every closed sub-expression (evaluated by the
  concrete evaluator, so the meaning cannot drift from it);
- a scalar variable or `let` local is a literal after the path assigned it one, or
  after a `require` (or the condition of the `if` branch it is in) said `x == c`, `x`
  or `!x` — until the path writes it again; at the join of an `if`, what both branches
  know; `old(x)` likewise while x is not yet written; map cells `m[c]` at a literal
  index likewise, and a cell the path did not write reads the pre-state (`old(m)[c]`);
- comparisons of two identical expressions are decided (`old(m)[c] == old(m)[c]`: a
  lifecycle check of a map then costs only the cells the step wrote);
- `and`/`or`/`not`/`implies`/`if-then-else` with a literal operand are reduced, an `if`
  with a literal condition is replaced by its branch, `require true` and `assert true`
  are dropped, and a `require false` ends its path (what follows on it is dropped).

Lowering leaves many such constants: configuration constants in `if`s, the lock, RCU
and lockdep bookkeeping written for every instance (`require L == none; ...; assert
L == me`), `self` as a literal. With the parameters fixed, map indices become
literals too, and the compiled code reads a map cell directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BoolT, EnumT, MapT, RangeT
from zcheck.system.evaluate import Env, EvalError, Value, evaluate
from zcheck.system.pmap import PMap

_FREE = (t.Var, t.Old, t.Const, t.Param, t.Local)


def is_lit(e: t.TExpr, value: object = None) -> bool:
    return isinstance(e, t.Lit) and (value is None or (isinstance(e.value, bool) and e.value is value))


@dataclass
class Known:
    """What the path so far says about values (see the module docstring)."""

    params: dict[str, Value]
    vars: dict[str, Value] = field(default_factory=dict)
    olds: dict[str, Value] = field(default_factory=dict)
    locals: dict[str, Value] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)
    cells: dict[tuple[str, int], Value] = field(default_factory=dict)  # m[c] now
    old_cells: dict[tuple[str, int], Value] = field(default_factory=dict)  # old(m)[c]
    stores: dict[str, set[int] | None] = field(default_factory=dict)  # literal indices written (None: others too)

    def copy(self) -> "Known":
        return Known(self.params, dict(self.vars), dict(self.olds), dict(self.locals), set(self.written),
                     dict(self.cells), dict(self.old_cells), {k: None if v is None else set(v)
                                                              for k, v in self.stores.items()})

    def write(self, var: str, value: t.TExpr | None) -> None:
        self.written.add(var)
        if isinstance(value, t.Lit):
            self.vars[var] = value.value
        else:
            self.vars.pop(var, None)

    def write_cell(self, var: str, index: t.TExpr | None, value: t.TExpr | None) -> None:
        """A store into map `var` (index None: a fill, an `any`, or a whole-map write)."""
        first = var not in self.written
        self.written.add(var)
        if isinstance(index, t.Lit):
            j = int(index.value)
            done = set() if first else self.stores.get(var)
            self.stores[var] = None if done is None else done | {j}
            if isinstance(value, t.Lit):
                self.cells[(var, j)] = value.value
            else:
                self.cells.pop((var, j), None)
            return
        self.stores[var] = None
        for key in [k for k in self.cells if k[0] == var]:
            del self.cells[key]

    def cell(self, var: str, j: int) -> tuple[bool, Value | None]:
        """(True, value) when m[j] is known; (False, None) else."""
        if (var, j) in self.cells:
            return True, self.cells[(var, j)]
        if self.unwritten(var, j) and (var, j) in self.old_cells:
            return True, self.old_cells[(var, j)]
        return False, None

    def unwritten(self, var: str, j: int) -> bool:
        """The path has not written m[j]: it still holds old(m)[j]."""
        if var not in self.written:
            return True
        done = self.stores.get(var)
        return done is not None and j not in done

    def learn(self, c: t.TExpr, holds: bool) -> None:
        """`c` is true (holds) or false on the rest of the path."""
        match c:
            case t.Binop(op="and", left=a, right=b) if holds:
                self.learn(a, True)
                self.learn(b, True)
            case t.Binop(op="or", left=a, right=b) if not holds:
                self.learn(a, False)
                self.learn(b, False)
            case t.Unop(op="not", arg=a):
                self.learn(a, not holds)
            case t.Binop(op="eq", left=t.Var(name=n, type=typ), right=t.Lit(value=v)) if holds and _scalar(typ):
                self._set(n, v)
            case t.Binop(op="eq", left=t.Lit(value=v), right=t.Var(name=n, type=typ)) if holds and _scalar(typ):
                self._set(n, v)
            case t.Binop(op="eq", left=t.Read(map=t.Var() | t.Old() as mv, index=t.Lit(value=j)),
                         right=t.Lit(value=v)) if holds:
                self._set_cell(mv, int(j), v)
            case t.Binop(op="eq", left=t.Lit(value=v),
                         right=t.Read(map=t.Var() | t.Old() as mv, index=t.Lit(value=j))) if holds:
                self._set_cell(mv, int(j), v)
            case t.Read(map=t.Var() | t.Old() as mv, index=t.Lit(value=j)):
                self._set_cell(mv, int(j), holds)
            case t.Var(name=n, type=typ) if _scalar(typ):
                self._set(n, holds)
            case t.Local(name=n):
                self.locals[n] = holds
            case _:
                pass

    def _set_cell(self, mv: t.Var | t.Old, j: int, value: Value) -> None:
        """`m[j] == value` (mv a Var) or `old(m)[j] == value` (an Old) on the rest of the path."""
        var = mv.name
        if isinstance(mv, t.Old) or self.unwritten(var, j):
            self.old_cells[(var, j)] = value
        if isinstance(mv, t.Var) or self.unwritten(var, j):
            self.cells[(var, j)] = value

    def _set(self, var: str, value: Value) -> None:
        self.vars[var] = value
        if var not in self.written:
            self.olds[var] = value


def _scalar(typ: object) -> bool:
    return not isinstance(typ, MapT)


def _join(a: Known | None, b: Known | None) -> Known | None:
    """What is known after an `if` whose branches end knowing `a` and `b` (None: the
    branch's path ended)."""
    if a is None or b is None:
        return a if b is None else b
    same = {k: v for k, v in a.vars.items() if k in b.vars and b.vars[k] == v and type(b.vars[k]) is type(v)}
    olds = {k: v for k, v in a.olds.items() if k in b.olds and b.olds[k] == v and type(b.olds[k]) is type(v)}
    locs = {k: v for k, v in a.locals.items() if k in b.locals and b.locals[k] == v and type(b.locals[k]) is type(v)}
    cells = {k: v for k, v in a.cells.items() if k in b.cells and b.cells[k] == v and type(b.cells[k]) is type(v)}
    old_cells = {k: v for k, v in a.old_cells.items()
                 if k in b.old_cells and b.old_cells[k] == v and type(b.old_cells[k]) is type(v)}
    stores: dict[str, set[int] | None] = {}
    for m in set(a.stores) | set(b.stores):
        x, y = a.stores.get(m, set()), b.stores.get(m, set())
        stores[m] = None if x is None or y is None else x | y
    return Known(a.params, same, olds, locs, a.written | b.written, cells, old_cells, stores)


def _closed(e: t.TExpr) -> bool:
    """No state, constant, parameter or local, and no bound variable bound outside."""
    bound = {n.var for n in t.walk(e) if isinstance(n, t.Quant)}
    return not any(isinstance(n, _FREE) or (isinstance(n, t.Bound) and n.name not in bound) for n in t.walk(e))


def expr(e: t.TExpr, known: Known) -> t.TExpr:
    """`e` with what is known substituted and constants folded."""
    match e:
        case t.Param(name=n) if n in known.params:
            return t.Lit(known.params[n], e.type, e.span)  # type: ignore[arg-type]
        case t.Var(name=n) if n in known.vars:
            return t.Lit(known.vars[n], e.type, e.span)  # type: ignore[arg-type]
        case t.Old(name=n) if n in known.olds:
            return t.Lit(known.olds[n], e.type, e.span)  # type: ignore[arg-type]
        case t.Local(name=n) if n in known.locals:
            return t.Lit(known.locals[n], e.type, e.span)  # type: ignore[arg-type]
        case t.Lit() | t.Var() | t.Old() | t.Const() | t.Param() | t.Local() | t.Bound():
            return e
        case t.Read(map=t.Var(name=m) | t.Old(name=m) as mv, index=i):
            i = expr(i, known)
            if isinstance(i, t.Lit):
                j = int(i.value)
                if isinstance(mv, t.Var):
                    ok, v = known.cell(m, j)
                    if ok:
                        return t.Lit(v, e.type, e.span)  # type: ignore[arg-type]
                    if known.unwritten(m, j):
                        mv = t.Old(m, mv.type, mv.span)
                if isinstance(mv, t.Old) and (m, j) in known.old_cells:
                    return t.Lit(known.old_cells[(m, j)], e.type, e.span)  # type: ignore[arg-type]
            return replace(e, map=mv, index=i)
    if isinstance(e, t.Quant):
        values, body = _few_values(e.var_type), e.body
        b = bounded(e)
        if values is None and b is not None:
            lo, hi = expr(b[0], known), expr(b[1], known)
            if isinstance(lo, t.Lit) and isinstance(hi, t.Lit) and int(hi.value) - int(lo.value) <= UNROLL:
                values, body = tuple(range(int(lo.value), int(hi.value))), b[2]
        if values is not None:  # a conjunction (disjunction) of the body's instances
            parts = [expr(_bind(body, e.var, t.Lit(v, e.var_type, e.span)), known) for v in values]
            return _fold(Op.AND if e.kind == "forall" else Op.OR, parts, e)
    e = t.with_children(e, tuple(expr(c, known) for c in t.children(e)))
    # the children are folded already: a closed one is a literal (walking the whole
    # subtree at each level instead was quadratic on the large `deadlock` predicates)
    if all(isinstance(c, t.Lit) for c in t.children(e)) if not isinstance(e, t.Quant) else _closed(e):
        try:
            v = evaluate(e, Env({}))
        except (EvalError, KeyError, ZeroDivisionError):
            return e
        if not isinstance(v, PMap):
            return t.Lit(v, e.type, e.span)
    return _reduce(e)


UNROLL = 8  # quantifiers over at most this many values are expanded


def _few_values(typ: object) -> tuple[int | bool, ...] | None:
    match typ:
        case BoolT():
            return (False, True)
        case EnumT(members=m) if len(m) <= UNROLL:
            return tuple(range(len(m)))
        case RangeT(lo=lo, hi=hi) if hi - lo <= UNROLL:
            return tuple(range(lo, hi))
    return None


def bounded(q: t.Quant) -> tuple[t.TExpr, t.TExpr, t.TExpr] | None:
    """(lo, hi, rest) of `forall x in lo .. hi :: rest` / `exists x in lo .. hi :: rest` over
    `int` (the type checker's `(lo <= x && x < hi) -> rest` / `... && rest`)."""
    op = "implies" if q.kind == "forall" else "and"
    match q.body:
        case t.Binop(op=o, left=t.Binop(op="and", left=t.Binop(op="le", left=lo, right=t.Bound(name=x1)),
                                        right=t.Binop(op="lt", left=t.Bound(name=x2), right=hi)), right=rest) \
                if o == op and x1 == x2 == q.var and not _mentions(lo, q.var) and not _mentions(hi, q.var):
            return lo, hi, rest
    return None


def _mentions(e: t.TExpr, var: str) -> bool:
    return any(isinstance(n, t.Bound) and n.name == var for n in t.walk(e))


def _bind(e: t.TExpr, var: str, value: t.Lit) -> t.TExpr:
    if isinstance(e, t.Bound) and e.name == var:
        return value
    if isinstance(e, t.Quant) and e.var == var:
        return e
    return t.with_children(e, tuple(_bind(c, var, value) for c in t.children(e)))


def _fold(op: Op, parts: list[t.TExpr], q: t.Quant) -> t.TExpr:
    unit, zero = (True, False) if op == "and" else (False, True)
    kept: list[t.TExpr] = []
    for p in parts:
        if is_lit(p, zero):
            return t.Lit(zero, q.type, q.span)
        if not is_lit(p, unit):
            kept.append(p)
    if not kept:
        return t.Lit(unit, q.type, q.span)
    out = kept[0]
    for p in kept[1:]:
        out = t.Binop(op, out, p, q.type, q.span)
    return out


def _reduce(e: t.TExpr) -> t.TExpr:
    match e:
        case t.Unop(op="not", arg=t.Unop(op="not", arg=a)):
            return a
        case t.Binop(op="and", left=a, right=b):
            if is_lit(a, True):
                return b
            if is_lit(b, True) or is_lit(a, False):
                return a
        case t.Binop(op="or", left=a, right=b):
            if is_lit(a, False):
                return b
            if is_lit(b, False) or is_lit(a, True):
                return a
        case t.Binop(op="implies", left=a, right=b):
            if is_lit(a, True):
                return b
            if is_lit(a, False) or is_lit(b, True):
                return t.Lit(True, e.type, e.span)
        case t.Ite(cond=t.Lit(value=c), then=a, else_=b):
            return a if c else b
        case t.Binop(op=op, left=a, right=b) if op in _REFLEXIVE and a == b:
            return t.Lit(_REFLEXIVE[op], e.type, e.span)
        case _:
            pass
    return e


# x op x for a pure x (every expression is): decided
_REFLEXIVE = MappingProxyType({"eq": True, "le": True, "ge": True, "iff": True, "sle": True, "sge": True,
                               "ne": False, "lt": False, "gt": False, "slt": False, "sgt": False})


def predicate(e: t.TExpr) -> t.TExpr:
    return expr(e, Known({}))


def body(stmts: tuple[t.TStmt, ...], params: dict[str, Value]) -> tuple[t.TStmt, ...]:
    """`stmts` simplified with `params` fixed (see the module docstring)."""
    return _block(stmts, Known(dict(params)))[0]


def _block(stmts: tuple[t.TStmt, ...], known: Known) -> tuple[tuple[t.TStmt, ...], Known | None]:
    """The simplified statements, and what is known at their end (None: the path ended)."""
    out: list[t.TStmt] = []
    for s in stmts:
        match s:
            case t.SIf(cond=c, then=a, else_=b):
                c = expr(c, known)
                if isinstance(c, t.Lit):
                    branch, after = _block(a if c.value else b, known)
                    out += branch
                    if after is None:
                        return tuple(out), None
                    known = after
                    continue
                ka, kb = known.copy(), known.copy()
                ka.learn(c, True)
                kb.learn(c, False)
                a2, ka2 = _block(a, ka)
                b2, kb2 = _block(b, kb)
                out.append(replace(s, cond=c, then=a2, else_=b2))
                after = _join(ka2, kb2)
                if after is None:
                    return tuple(out), None
                known = after
            case t.SRequire(cond=c):
                c = expr(c, known)
                if is_lit(c, True):
                    continue
                out.append(replace(s, cond=c))
                if is_lit(c, False):
                    return tuple(out), None
                known.learn(c, True)
            case t.SAssert(cond=c):
                c = expr(c, known)
                if not is_lit(c, True):
                    out.append(replace(s, cond=c))
            case t.SAssign(var=v, value=x):
                x = expr(x, known)
                out.append(replace(s, value=x))
                if isinstance(x.type, MapT):
                    known.write_cell(v, None, None)
                else:
                    known.write(v, x)
            case t.SLet(name=n, value=x):
                x = expr(x, known)
                out.append(replace(s, value=x))
                if isinstance(x, t.Lit):
                    known.locals[n] = x.value
                else:
                    known.locals.pop(n, None)
            case t.SStore(var=v, index=i, value=x):
                i, x = expr(i, known), expr(x, known)
                out.append(replace(s, index=i, value=x))
                known.write_cell(v, i, x)
            case t.SFill(var=v, lo=lo, hi=hi, value=x):
                out.append(replace(s, lo=expr(lo, known), hi=expr(hi, known), value=expr(x, known)))
                known.write_cell(v, None, None)
            case t.SHavoc(var=v, index=i, lo=lo, hi=hi):
                out.append(replace(s, index=None if i is None else expr(i, known),
                                   lo=None if lo is None else expr(lo, known),
                                   hi=None if hi is None else expr(hi, known)))
                if s.local:
                    known.locals.pop(v, None)
                elif s.index is not None or isinstance(s.domain, MapT):
                    known.write_cell(v, expr(s.index, known) if s.index is not None else None, None)
                else:
                    known.write(v, None)
            case _:
                out.append(s)
    return tuple(out), known


def ends(stmts: tuple[t.TStmt, ...]) -> bool:
    """The path always stops at the end of `stmts` (a `require false` closes it)."""
    return bool(stmts) and isinstance(stmts[-1], t.SRequire) and is_lit(stmts[-1].cond, False)
