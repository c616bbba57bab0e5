"""Front end: the untyped ZDL syntax tree, as produced by the parser.

Every node is a frozen dataclass; its `span` takes no part in equality, so two trees
parsed from differently formatted text compare equal (used by the `fmt` round trip).
Unions are closed: code that walks them ends with `assert_never`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Union, assert_never

from zcheck.diagnostics import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeName:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class TypeRange:
    lo: "Expr"
    hi: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class TypeMap:
    key: "TypeExpr"
    value: "TypeExpr"
    span: Span = _span()


TypeExpr = Union[TypeName, TypeRange, TypeMap]

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class IntLit:
    value: int
    text: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    span: Span = _span()


@dataclass(frozen=True)
class Index:
    base: "Expr"
    index: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Unary:
    op: str  # as written: a key of spec/ops.py UNARY
    operand: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    op: str  # as written: a key of spec/ops.py BINARY
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class IfExpr:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class InRange:
    elem: "Expr"
    lo: "Expr"
    hi: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Binder:
    name: str
    type: TypeExpr | None  # None: `forall x in lo .. hi` (type from the bounds)
    span: Span = _span()


@dataclass(frozen=True)
class Quant:
    kind: str  # "forall" | "exists"
    binders: tuple[Binder, ...]
    lo: "Expr | None"  # bounds of `forall x in lo .. hi`
    hi: "Expr | None"
    body: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Field:
    """`walker[i].page_ok` (an instance's local), `online_block.check` (a step label)."""

    base: "Expr"
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class LockRef:
    """`device_lock` or `device_lock[b]` in a lock statement or trylock expression."""

    name: str
    index: "Expr | None"
    span: Span = _span()


@dataclass(frozen=True)
class TryLock:
    """`try_acquire L`, `down_read_trylock S`, `down_write_trylock S`: take the lock if it
    is free and give true, else give false and change nothing."""

    op: str  # "try_acquire" | "down_read_trylock" | "down_write_trylock"
    lock: LockRef
    span: Span = _span()


Expr = Union[IntLit, BoolLit, Name, Call, Index, Unary, Binary, IfExpr, InRange, Quant, Field, TryLock]


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `e`, in source order: the one child-walk of the
    untyped tree (the typed tree has its own, `typed.children`)."""
    match e:
        case IntLit() | BoolLit() | Name():
            return ()
        case Call(args=args):
            return args
        case Index(base=b, index=i):
            return (b, i)
        case Unary(operand=a):
            return (a,)
        case Binary(left=a, right=b):
            return (a, b)
        case IfExpr(cond=c, then=a, else_=b) | InRange(elem=c, lo=a, hi=b):
            return (c, a, b)
        case Quant(lo=lo, hi=hi, body=b):
            return (lo, hi, b) if lo is not None and hi is not None else (b,)
        case Field(base=b):
            return (b,)
        case TryLock(lock=LockRef(index=i)):
            return () if i is None else (i,)
        case _:
            assert_never(e)


def walk(e: Expr) -> list[Expr]:
    """Every node of `e` (iteratively: deep trees do not exhaust the stack)."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out

# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class LvVar:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class LvElem:
    name: str
    index: Expr
    span: Span = _span()


@dataclass(frozen=True)
class LvSlice:
    name: str
    lo: Expr
    hi: Expr
    span: Span = _span()


LValue = Union[LvVar, LvElem, LvSlice]


@dataclass(frozen=True)
class Assign:
    target: LValue
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class HavocType:
    target: LValue
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class HavocRange:
    target: LValue
    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple["Stmt", ...]
    else_: tuple["Stmt", ...]
    span: Span = _span()


@dataclass(frozen=True)
class Let:
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Require:
    cond: Expr
    keyword: str = field(default="require", compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Assert:
    name: str | None
    cond: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Goto:
    label: str
    span: Span = _span()


@dataclass(frozen=True)
class Done:
    span: Span = _span()


@dataclass(frozen=True)
class LockStmt:
    """acquire | release | down_read | up_read | down_write | up_write, on one lock."""

    op: str
    lock: LockRef
    nested: bool = False  # `acquire L nested`: the kernel's mutex_lock_nested (lockdep)
    span: Span = _span()


@dataclass(frozen=True)
class BugOn:
    name: str | None
    cond: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Rcu:
    op: str  # "rcu_read_lock" | "rcu_read_unlock" | "synchronize_rcu"
    span: Span = _span()


@dataclass(frozen=True)
class LetAny:
    """`let x = any T` / `let x = any in lo .. hi`: a nondeterministic local value."""

    name: str
    type: TypeExpr | None
    lo: Expr | None
    hi: Expr | None
    span: Span = _span()


Stmt = Union[Assign, HavocType, HavocRange, If, Let, Require, Assert, Goto, Done, LockStmt, BugOn, Rcu, LetAny]

# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Param:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class ModelDecl:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class ImportDecl:
    path: str
    span: Span = _span()


@dataclass(frozen=True)
class ConstDecl:
    name: str
    type: TypeExpr
    value: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class EnumDecl:
    name: str
    members: tuple[str, ...]
    member_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)
    span: Span = _span()


@dataclass(frozen=True)
class VarDecl:
    name: str
    type: TypeExpr
    init: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class FnDecl:
    name: str
    params: tuple[Param, ...]
    ret: TypeExpr
    body: Expr
    span: Span = _span()


@dataclass(frozen=True)
class AssumeDecl:
    cond: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InitDecl:
    body: tuple[Stmt, ...]
    span: Span = _span()


@dataclass(frozen=True)
class ActionDecl:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span = _span()
    fair: FairKind | None = None


class TemporalOp(StrEnum):
    """The liveness properties (docs/language.md, "Liveness")."""

    ALWAYS_EVENTUALLY = "always eventually"  # on every run, P holds infinitely often
    EVENTUALLY_ALWAYS = "eventually always"  # on every run, P holds from some point on
    LEADS_TO = "leads_to"  # each state where P holds is followed (at it or later) by one where Q holds


class FairKind(StrEnum):
    WEAK = "weak"  # `fair`: enabled from some point on forever => taken infinitely often
    STRONG = "strong"  # `strong fair`: enabled infinitely often => taken infinitely often


def fair_prefix(f: FairKind | None) -> str:
    """The words written before `process` or `action`: "", "fair " or "strong fair "."""
    match f:
        case None:
            return ""
        case FairKind.WEAK:
            return "fair "
        case FairKind.STRONG:
            return "strong fair "
        case _:
            assert_never(f)


@dataclass(frozen=True)
class PropertyDecl:
    """`kind NAME: expr`; a liveness property (`property NAME: ...`) has kind "liveness",
    its operator in `op`, P in `expr` and, for `leads_to`, Q in `goal`."""

    kind: str  # "invariant" | "cover" | "lemma" | "liveness"
    name: str
    expr: Expr
    span: Span = _span()
    op: TemporalOp | None = None
    goal: Expr | None = None


@dataclass(frozen=True)
class Writer:
    name: str  # action name, or process name when `step` is set
    step: str | None
    span: Span = _span()


@dataclass(frozen=True)
class TransFlag:
    kind: str  # "set" | "clear"
    writers: tuple[Writer, ...]
    span: Span = _span()


@dataclass(frozen=True)
class TransEdge:
    src: str
    dst: str
    writers: tuple[Writer, ...]
    span: Span = _span()


TransEntry = Union[TransFlag, TransEdge]


@dataclass(frozen=True)
class TransitionsDecl:
    var: str
    entries: tuple[TransEntry, ...]
    span: Span = _span()


@dataclass(frozen=True)
class StepDecl:
    label: str
    body: tuple[Stmt, ...]
    span: Span = _span()


@dataclass(frozen=True)
class CallItem:
    """`call P(args)` between the steps of a process or procedure."""

    proc: str
    args: tuple[Expr, ...]
    span: Span = _span()


ProcItem = Union[StepDecl, CallItem]


@dataclass(frozen=True)
class ProcessDecl:
    name: str
    count: Expr | None
    params: tuple[Param, ...]
    locals: tuple[VarDecl, ...]
    steps: tuple[ProcItem, ...]
    loop: bool
    span: Span = _span()
    fair: FairKind | None = None


@dataclass(frozen=True)
class ProcedureDecl:
    name: str
    params: tuple[Param, ...]
    locals: tuple[VarDecl, ...]
    steps: tuple[ProcItem, ...]
    span: Span = _span()


@dataclass(frozen=True)
class LockDecl:
    name: str
    kind: str = "mutex"  # "mutex" | "spinlock" | "rwsem"
    count: Expr | None = None  # an array of locks: `lock device_lock[BLOCKS]`
    kind_written: bool = field(default=False, compare=False)  # `: mutex` written out
    span: Span = _span()


@dataclass(frozen=True)
class ScenCall:
    """`act(a, _, c)`: a global action with some arguments fixed (None = `_`)."""

    action: str
    args: tuple[Expr | None, ...] | None  # None: bare name, any arguments
    span: Span = _span()


@dataclass(frozen=True)
class ScenStep:
    """`proc[i].step` (index None when written `proc.step`)."""

    process: str
    index: int | None
    step: str
    span: Span = _span()


@dataclass(frozen=True)
class ScenGap:
    span: Span = _span()


ScenItem = Union[ScenCall, ScenStep, ScenGap]


@dataclass(frozen=True)
class ScenarioDecl:
    name: str
    items: tuple[ScenItem, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Override:
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class CheckDecl:
    target: str  # property name, "*" for all
    overrides: tuple[Override, ...]
    scenario: str | None
    depth: int | None
    engine: str | None
    expect: str  # holds | proved | violated | reached | unreachable
    at: int | None
    span: Span = _span()


Decl = Union[
    ModelDecl, ImportDecl, ConstDecl, TypeDecl, EnumDecl, VarDecl, FnDecl, AssumeDecl,
    InitDecl, ActionDecl, PropertyDecl, TransitionsDecl, ProcessDecl, ProcedureDecl, LockDecl,
    ScenarioDecl, CheckDecl,
]


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    file: str
    decls: tuple[Decl, ...]
