"""Front end: the layout of processes, procedures and locks, and the expressions about them.

Input: the declarations of a model (after its constants are known). Output: a `Layout`
(each process's instance count, its steps after `call`s are inlined, its fields; each
lock's kind and size; the `owner` enum) computed before any step body is checked, so that
every expression can name an instance (`walker[1]`), where it is (`at(walker[i], read)`),
its locals (`walker[i].page_ok`) and the holders of locks (`owner(L)`, `writer(S)`,
`readers(S)`, `held_by(L, x)`). Those expressions are typed into the core typed tree
(variables, literals, `if-then-else` chains over the instances), so nothing after the
front end needs to know them.

State variables behind them (created by `system.lower`): `P[i].pc` (step index; done =
number of steps, crashed = one more), `P[i].x` for locals and parameters, a lock `L` (its
owner: `none` when free), an rwsem `S` (its writer) and `S.read[O]` (O's read holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from zcheck.diagnostics import Diagnostic, Span
from zcheck.spec import ast, ops
from zcheck.spec import typed as t
from zcheck.spec.checked import LockInfo
from zcheck.spec.ops import Op
from zcheck.spec.types import BOOL, INT, EnumT, MapT, Type

NONE, ENV = "none", "env"
LOCK_OPS = {"acquire": "lock", "release": "lock", "down_read": "rwsem", "up_read": "rwsem",
            "down_write": "rwsem", "up_write": "rwsem"}
TRY_OPS = {"try_acquire": "lock", "down_read_trylock": "rwsem", "down_write_trylock": "rwsem"}
READ_OPS = ("down_read", "down_read_trylock")
MAX_CALL_DEPTH = 32


@dataclass(frozen=True)
class ProcLayout:
    name: str
    count: int
    first_owner: int  # owner index of instance 0 in the owner enum
    labels: tuple[str, ...]  # pc i is at step labels[i]
    fields: tuple[tuple[str, Type], ...]  # locals and parameters, readable as `inst.x`

    @property
    def done(self) -> int:
        return len(self.labels)

    @property
    def crashed(self) -> int:
        return len(self.labels) + 1

    def pcs(self, label: str) -> list[int]:
        """The pcs a label names in `at(...)`: the step itself, or a procedure's step in
        any of its calls (`online_block.check`), `done` and `crashed`."""
        if label == "done":
            return [self.done]
        if label == "crashed":
            return [self.crashed]
        return [i for i, lab in enumerate(self.labels) if lab == label or lab.endswith("." + label)]


@dataclass
class Layout:
    procs: dict[str, ProcLayout] = field(default_factory=dict)
    locks: dict[str, LockInfo] = field(default_factory=dict)
    owners: EnumT = EnumT("owner", (NONE, ENV))

    def owner_lit(self, name: str, span: Span) -> t.TExpr:
        return t.Lit(self.owners.members.index(name), self.owners, span)


def owner_names(procs: list[tuple[str, int]]) -> tuple[str, ...]:
    return (NONE,) + tuple(f"{p}[{i}]" for p, n in procs for i in range(n)) + (ENV,)


# ---------------------------------------------------------------- step labels after inlining


def step_labels(items: tuple[ast.ProcItem, ...], procedures: dict[str, ast.ProcedureDecl],
                path: tuple[str, ...] = ()) -> list[str]:
    """Labels of the steps `items` expand to (calls inlined; unknown or recursive calls
    contribute nothing here: they are reported when the bodies are checked)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, ast.StepDecl):
            out.append(".".join(path + (item.label,)))
        elif item.proc in procedures and item.proc not in path and len(path) < MAX_CALL_DEPTH:
            out += step_labels(procedures[item.proc].steps, procedures, path + (item.proc,))
    return out


def lock_uses(items: tuple[ast.ProcItem, ...], procedures: dict[str, ast.ProcedureDecl],
              seen: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    """(op, lock) of every lock statement and trylock the items can run, calls included."""
    out: set[tuple[str, str]] = set()
    for item in items:
        if isinstance(item, ast.StepDecl):
            out |= stmt_lock_uses(item.body)
        elif item.proc in procedures and item.proc not in seen:
            out |= lock_uses(procedures[item.proc].steps, procedures, seen | {item.proc})
    return out


def stmt_lock_uses(body: tuple[ast.Stmt, ...]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for s in body:
        if isinstance(s, ast.LockStmt):
            out.add((s.op, s.lock.name))
        elif isinstance(s, ast.If):
            out |= stmt_lock_uses(s.then) | stmt_lock_uses(s.else_)
            out |= _expr_trylocks(s.cond)
        for e in _stmt_exprs(s):
            out |= _expr_trylocks(e)
    return out


def _stmt_exprs(s: ast.Stmt) -> list[ast.Expr]:
    match s:
        case ast.Assign(value=x) | ast.Let(value=x):
            return [x]
        case ast.Require(cond=c) | ast.Assert(cond=c) | ast.BugOn(cond=c):
            return [c]
        case _:
            return []


def _expr_trylocks(e: ast.Expr) -> set[tuple[str, str]]:
    return {(n.op, n.lock.name) for n in ast.walk(e) if isinstance(n, ast.TryLock)}


def trylock_misplaced(e: ast.Expr) -> ast.TryLock | None:
    """A trylock that would run only on some evaluations of `e` (under `&&`, `||`, `->`,
    a branch of `if-then-else` or a quantifier): its effect must not depend on that."""
    def go(n: ast.Expr, guarded: bool) -> ast.TryLock | None:
        match n:
            case ast.TryLock() if guarded:
                return n
            case ast.Binary(op=op, left=a, right=b) if ops.OPS[ops.BINARY[op]].lazy is not None:
                return go(a, guarded) or go(b, True)
            case ast.IfExpr(cond=c, then=a, else_=b):
                return go(c, guarded) or go(a, True) or go(b, True)
            case ast.Quant(body=b):
                return _first(go(x, guarded) for x in ast.children(n) if x is not b) or go(b, True)
            case _:
                return _first(go(x, guarded) for x in ast.children(n))
    return go(e, False)


def _first(found: Iterable[ast.TryLock | None]) -> ast.TryLock | None:
    return next((x for x in found if x is not None), None)


# ---------------------------------------------------------------- expressions


def chain(index: t.TExpr, count: int, value: "callable", default: t.TExpr, typ: Type, span: Span) -> t.TExpr:  # type: ignore[valid-type]
    """`value(i)` for the instance `index` names: a literal index picks one, a symbolic
    one an `if-then-else` chain over 0 .. count (`default` outside it)."""
    if isinstance(index, t.Lit):
        i = int(index.value)
        return value(i) if 0 <= i < count else default  # type: ignore[misc]
    out = default
    for i in reversed(range(count)):
        out = t.Ite(t.Binop(Op.EQ, index, t.Lit(i, INT), BOOL, span), value(i), out, typ, span)  # type: ignore[misc]
    return out


def disjoin(parts: list[t.TExpr], span: Span) -> t.TExpr:
    if not parts:
        return t.Lit(False, BOOL, span)
    out = parts[0]
    for p in parts[1:]:
        out = t.Binop(Op.OR, out, p, BOOL, span)
    return out


def lock_var(info: LockInfo, owners: EnumT, index: t.TExpr | None, span: Span) -> t.TExpr:
    """The owner (writer, for an rwsem) of lock `info`, element `index` of an array."""
    if info.count is None:
        return t.Var(info.name, owners, span)
    assert index is not None
    return t.Read(t.Var(info.name, MapT(INT, owners), span), index, owners, span)


def read_var(info: LockInfo, owner: str, index: t.TExpr | None, span: Span) -> t.TExpr:
    """The number of read holds `owner` has on rwsem `info` (element `index`)."""
    name = read_counter(info.name, owner)
    if info.count is None:
        return t.Var(name, INT, span)
    assert index is not None
    return t.Read(t.Var(name, MapT(INT, INT), span), index, INT, span)


def read_counter(lock: str, owner: str) -> str:
    return f"{lock}.read[{owner}]"


def readers_sum(info: LockInfo, index: t.TExpr | None, span: Span) -> t.TExpr:
    out: t.TExpr = t.Lit(0, INT, span)
    for o in info.readers:
        term = read_var(info, o, index, span)
        out = term if isinstance(out, t.Lit) else t.Binop(Op.ADD, out, term, INT, span)
    return out


def held_by(info: LockInfo, owners: EnumT, index: t.TExpr | None, who: t.TExpr, span: Span) -> t.TExpr:
    """`held_by(L, who)`: who owns L, or (rwsem) writes it or holds it for reading."""
    holder = t.Binop(Op.EQ, lock_var(info, owners, index, span), who, BOOL, span)
    if info.kind != "rwsem" or not info.readers:
        return holder
    reads: t.TExpr = t.Lit(0, INT, span)
    for o in reversed(info.readers):
        is_o = t.Binop(Op.EQ, who, t.Lit(owners.members.index(o), owners, span), BOOL, span)
        reads = t.Ite(is_o, read_var(info, o, index, span), reads, INT, span)
    return t.Binop(Op.OR, holder, t.Binop(Op.GT, reads, t.Lit(0, INT, span), BOOL, span), BOOL, span)


def missing_label(p: ProcLayout, label: str, span: Span) -> Diagnostic:
    known = ", ".join(f"`{lab}`" for lab in p.labels)
    return Diagnostic("ZC201", f"process `{p.name}` has no step `{label}` (its steps: {known}, `done`, `crashed`)", span)
