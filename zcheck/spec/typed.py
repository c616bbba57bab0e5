"""Front end: the typed, name-resolved tree produced by the type checker.

Every expression carries its type. Names are resolved to their role (state variable,
symbolic constant, parameter, `let` local, quantifier-bound variable); concrete
constants are folded into literals, `fn` calls are inlined, `min`/`max` become `Ite`.
Bound variables have unique names (`p#3`) so inlining never captures.
The system stage and the checker consume this tree; it never changes after checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union, assert_never

from zcheck.diagnostics import NO_SPAN, Span
from zcheck.spec.ops import Op
from zcheck.spec.types import Type


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Lit:
    value: int | bool  # enum members: their index
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Var:
    """A state variable (post-state of the statements executed so far)."""

    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Old:
    """A state variable's value in the pre-state of the current step."""

    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Const:
    """A symbolic constant (declared without a value)."""

    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Param:
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Local:
    name: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Bound:
    name: str  # unique: "p#3"; display with display_name()
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Read:
    map: "TExpr"
    index: "TExpr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Unop:
    op: Op  # a unary operator (spec/ops.py: OPS[op].arity == 1)
    arg: "TExpr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Binop:
    op: Op  # a binary operator (spec/ops.py: OPS[op].arity == 2)
    left: "TExpr"
    right: "TExpr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Ite:
    cond: "TExpr"
    then: "TExpr"
    else_: "TExpr"
    type: Type
    span: Span = _span()


@dataclass(frozen=True)
class Quant:
    """One binder. Domain restrictions (range types, `in lo .. hi`) are in the body."""

    kind: str  # "forall" | "exists"
    var: str
    var_type: Type
    body: "TExpr"
    type: Type
    span: Span = _span()


TExpr = Union[Lit, Var, Old, Const, Param, Local, Bound, Read, Unop, Binop, Ite, Quant]


def children(e: TExpr) -> tuple[TExpr, ...]:
    """The direct sub-expressions of `e`: the one child-walk every pass shares."""
    match e:
        case Lit() | Var() | Old() | Const() | Param() | Local() | Bound():
            return ()
        case Read(map=m, index=i):
            return (m, i)
        case Unop(arg=a):
            return (a,)
        case Binop(left=a, right=b):
            return (a, b)
        case Ite(cond=c, then=a, else_=b):
            return (c, a, b)
        case Quant(body=b):
            return (b,)
        case _:
            assert_never(e)


def with_children(e: TExpr, kids: tuple[TExpr, ...]) -> TExpr:
    """`e` rebuilt with new direct sub-expressions (in the order `children` gives)."""
    match e:
        case Lit() | Var() | Old() | Const() | Param() | Local() | Bound():
            return e
        case Read():
            return replace(e, map=kids[0], index=kids[1])
        case Unop():
            return replace(e, arg=kids[0])
        case Binop():
            return replace(e, left=kids[0], right=kids[1])
        case Ite():
            return replace(e, cond=kids[0], then=kids[1], else_=kids[2])
        case Quant():
            return replace(e, body=kids[0])
        case _:
            assert_never(e)


def walk(e: TExpr) -> list[TExpr]:
    """Every node of `e` (iteratively: deep trees do not exhaust the stack)."""
    out: list[TExpr] = []
    stack = [e]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out


def _head(e: TExpr) -> tuple[object, ...]:
    """What `e` is apart from its sub-expressions and span."""
    match e:
        case Lit(value=v, type=typ):
            return (Lit, type(v), v, typ)
        case Var(name=n, type=typ) | Old(name=n, type=typ) | Const(name=n, type=typ) | Param(name=n, type=typ) \
                | Local(name=n, type=typ) | Bound(name=n, type=typ):
            return (type(e), n, typ)
        case Read(type=typ) | Ite(type=typ):
            return (type(e), typ)
        case Unop(op=op, type=typ) | Binop(op=op, type=typ):
            return (type(e), op, typ)
        case Quant(kind=kind, var=var, var_type=vt, type=typ):
            return (Quant, kind, var, vt, typ)
        case _:
            assert_never(e)


class Shapes:
    """Numbers for typed expressions by structure: two expressions get the same number
    exactly when they are equal (spans aside), whichever nodes they share in memory, so
    a memo keyed by these numbers hits the same way however the tree was built. Each node
    numbered is kept alive, so the table of numbers by `id` stays valid."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[TExpr, int]] = {}
        self._by_shape: dict[tuple[object, ...], int] = {}
        self._quantified: list[bool] = []  # by number: the expression has a quantifier

    def of(self, e: TExpr) -> int:
        hit = self._by_id.get(id(e))
        if hit is not None:
            return hit[1]
        stack = [e]  # iteratively, children first: deep trees do not exhaust the stack
        while stack:
            n = stack[-1]
            if id(n) in self._by_id:
                stack.pop()
                continue
            kids = children(n)
            todo = [k for k in kids if id(k) not in self._by_id]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            numbers = tuple(self._by_id[id(k)][1] for k in kids)
            number = self._by_shape.setdefault((_head(n), numbers), len(self._by_shape))
            if number == len(self._quantified):
                self._quantified.append(isinstance(n, Quant) or any(self._quantified[k] for k in numbers))
            self._by_id[id(n)] = (n, number)
        return self._by_id[id(e)][1]

    def quantified(self, e: TExpr) -> bool:
        """Does `e` contain a quantifier?"""
        return self._quantified[self.of(e)]


def display_name(name: str) -> str:
    return name.split("#", 1)[0]


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class SAssign:
    var: str
    value: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class SStore:
    var: str
    index: TExpr
    value: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class SFill:
    """`m[lo .. hi] := value`."""

    var: str
    lo: TExpr
    hi: TExpr
    value: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class SHavoc:
    """`x := any T` / `m[i] := any T` / `... := any in lo .. hi`; `choice` names the pick."""

    var: str
    index: TExpr | None
    domain: Type
    lo: TExpr | None
    hi: TExpr | None
    choice: str
    span: Span = _span()
    local: bool = False  # `let x = any T`: `var` names a step-local value, not a state variable


@dataclass(frozen=True)
class SIf:
    cond: TExpr
    then: tuple["TStmt", ...]
    else_: tuple["TStmt", ...]
    span: Span = _span()


@dataclass(frozen=True)
class SLet:
    name: str
    value: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class LockWait:
    """What a blocking require waits for (set by lowering on lock statements): the lock
    state variable, its index for a lock array, and the mode ("lock", "read", "write")."""

    var: str
    index: "TExpr | None"
    mode: str


@dataclass(frozen=True)
class SRequire:
    cond: TExpr
    span: Span = _span()
    wait: LockWait | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SAssert:
    prop: str  # the property this site belongs to
    cond: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class SGoto:
    label: str
    span: Span = _span()


@dataclass(frozen=True)
class SDone:
    span: Span = _span()


@dataclass(frozen=True)
class SLock:
    """acquire | release | down_read | up_read | down_write | up_write (lowered away)."""

    op: str
    lock: str
    index: TExpr | None
    nested: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class STry:
    """`local := try_acquire L` (and the rwsem trylocks), hoisted out of an expression."""

    local: str
    op: str  # "try_acquire" | "down_read_trylock" | "down_write_trylock"
    lock: str
    index: TExpr | None
    span: Span = _span()


@dataclass(frozen=True)
class SBugOn:
    prop: str
    cond: TExpr
    span: Span = _span()


@dataclass(frozen=True)
class SRcu:
    op: str  # "rcu_read_lock" | "rcu_read_unlock" | "synchronize_rcu"
    span: Span = _span()


TStmt = Union[SAssign, SStore, SFill, SHavoc, SIf, SLet, SRequire, SAssert, SGoto, SDone, SLock, STry, SBugOn, SRcu]


def walk_stmts(body: tuple[TStmt, ...]) -> list[TStmt]:
    """Every statement of `body`, nested ones included, in source order (an `if` before
    the statements of its branches): the one statement walk passes share."""
    out: list[TStmt] = []
    for s in body:
        out.append(s)
        if isinstance(s, SIf):
            out += walk_stmts(s.then) + walk_stmts(s.else_)
    return out


def stmt_exprs(s: TStmt) -> tuple[TExpr, ...]:
    """The expressions `s` itself evaluates (an `if`: its condition, not its branches)."""
    match s:
        case SAssign(value=x) | SLet(value=x):
            return (x,)
        case SStore(index=i, value=x):
            return (i, x)
        case SFill(lo=lo, hi=hi, value=x):
            return (lo, hi, x)
        case SHavoc(index=i, lo=lo, hi=hi):
            return tuple(x for x in (i, lo, hi) if x is not None)
        case SIf(cond=c) | SRequire(cond=c) | SAssert(cond=c) | SBugOn(cond=c):
            return (c,)
        case SLock(index=i) | STry(index=i):
            return () if i is None else (i,)
        case SGoto() | SDone() | SRcu():
            return ()
        case _:
            assert_never(s)

# statements that the system stage lowers to the core ones above
CONCURRENCY_STMTS = (SGoto, SDone, SLock, STry, SBugOn, SRcu)
