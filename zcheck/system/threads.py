"""System: lowering the concurrency vocabulary to plain guarded statements.

Input: the typed bodies of actions and process steps, with lock statements, trylocks,
`bug_on`, RCU and step-ending `goto`/`done` (see docs/language.md §6). Output: bodies of
core statements only (assign, store, if, let, require, assert, havoc), plus the state
variables they use:

- a lock `L` holds its owner (`none` when free; an array is a map from index to owner);
  an rwsem `S` holds its writer, and `S.read[O]` counts the read holds of owner O;
- `acquire L` is `require L == none` (marked with what it waits for, see `waits`) then
  `L := me`; `release L` checks `L == me` (property `lock(L)`) and frees it; the rwsem
  statements likewise; a trylock takes the lock in an `if` and gives a `let` local;
- `lockdep`: a hidden flag `lockdep.A>B` records that class B was taken while A was
  held (transitively closed, as the kernel's lockdep does); taking B while holding A
  when B>A is recorded is a violation, as is taking a second lock of one class without
  `nested`;
- RCU: `P[i].rcu` counts instance i's read-side nesting; `synchronize_rcu` records in
  the hidden flags `P[i].gp[Q[j]]` which readers are inside a section, ends the step, and
  every step of P[i] waits until the flags are clear; a reader leaving its outermost
  section clears its flag everywhere;
- `goto`/`done`/`bug_on`/`synchronize_rcu` end the step: the statements after them on the
  executed path are moved into the other branch, so they do not run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from zcheck.spec import typed as t
from zcheck.spec.checked import CheckedSpec, LockInfo, ProcessInfo
from zcheck.spec.ops import Op
from zcheck.spec.threads import ENV, NONE, read_counter
from zcheck.spec.types import BOOL, INT, EnumT, MapT, RangeT, Type
from zcheck.system.ir import StateVar

LOCKDEP = "lockdep"
RCU_PROP = "lock(rcu)"


@dataclass
class Threads:
    """What lowering needs to know about the model's concurrency, built once."""

    owners: EnumT
    locks: dict[str, LockInfo]
    rcu_readers: list[str] = field(default_factory=list)  # instances with read-side sections
    rcu_waiters: list[str] = field(default_factory=list)  # instances that call synchronize_rcu
    lockdep: bool = False  # the model has processes and locks (docs/language.md §6.7)

    @staticmethod
    def of(cs: CheckedSpec) -> "Threads":
        owners = cs.owners or EnumT("owner", (NONE, ENV))
        th = Threads(owners, {lk.name: lk for lk in cs.locks}, lockdep=bool(cs.processes and cs.locks))
        for p in cs.processes:
            ops = {s.op for st in p.steps for s in t.walk_stmts(st.body) if isinstance(s, t.SRcu)}
            names = [f"{p.name}[{i}]" for i in range(p.count)]
            if "rcu_read_lock" in ops or "rcu_read_unlock" in ops:
                th.rcu_readers += names
            if "synchronize_rcu" in ops:
                th.rcu_waiters += names
        return th

    def own(self, owner: str) -> t.TExpr:
        return t.Lit(self.owners.members.index(owner), self.owners)

    @property
    def none(self) -> t.TExpr:
        return self.own(NONE)

    def classes(self) -> list[str]:
        return list(self.locks)

    def lockdep_pairs(self) -> list[tuple[str, str]]:
        cs = self.classes()
        return [(a, b) for a in cs for b in cs if a != b]

    def state_vars(self) -> list[StateVar]:
        out: list[StateVar] = []
        for info in self.locks.values():
            otype: Type = self.owners if info.count is None else MapT(INT, self.owners)
            out.append(StateVar(info.name, otype, t.Lit(0, self.owners), info.span))
            for o in info.readers:
                rtype: Type = INT if info.count is None else MapT(INT, INT)
                out.append(StateVar(read_counter(info.name, o), rtype, t.Lit(0, INT), info.span))
        if self.lockdep:
            for a, b in self.lockdep_pairs():
                out.append(StateVar(dep_var(a, b), BOOL, t.Lit(False, BOOL), self.locks[a].span, hidden=True))
        for r in self.rcu_readers:
            out.append(StateVar(f"{r}.rcu", INT, t.Lit(0, INT)))
        for w in self.rcu_waiters:
            for r in self.rcu_readers:
                if r != w:
                    out.append(StateVar(gp_var(w, r), BOOL, t.Lit(False, BOOL), hidden=True))
        return out


def dep_var(a: str, b: str) -> str:
    return f"lockdep.{a}>{b}"


def gp_var(waiter: str, reader: str) -> str:
    return f"{waiter}.gp[{reader}]"


# ---------------------------------------------------------------- ending the step


@dataclass(frozen=True)
class Ends:
    """Where a step's terminators send the instance (None for a global action)."""

    pc: str | None
    targets: dict[str, int]  # "#N" → N, "done", "crashed"


def close(body: tuple[t.TStmt, ...], ends: Ends, th: Threads, me: str) -> tuple[t.TStmt, ...]:
    """Lower the terminators of `body` so that nothing after them runs."""
    out: list[t.TStmt] = []
    for i, s in enumerate(body):
        rest = body[i + 1:]
        match s:
            case t.SGoto(label=label):
                out += _jump(ends, label, s)
                return tuple(out)
            case t.SDone():
                out += _jump(ends, "done", s)
                return tuple(out)
            case t.SRcu(op="synchronize_rcu"):
                out += [t.SAssign(gp_var(me, r), _in_rcu(r), s.span) for r in th.rcu_readers if r != me]
                out += _jump(ends, "next", s)
                return tuple(out)
            case t.SBugOn(prop=prop, cond=c):
                out.append(t.SAssert(prop, t.Unop(Op.NOT, c, BOOL, c.span), s.span))
                out.append(t.SIf(c, tuple(_jump(ends, "crashed", s)), close(rest, ends, th, me), s.span))
                return tuple(out)
            case t.SIf(then=a, else_=b) if _may_end(a) or _may_end(b):
                out.append(dataclasses.replace(s, then=close(a + rest, ends, th, me), else_=close(b + rest, ends, th, me)))
                return tuple(out)
            case _:
                out.append(s)
    return tuple(out)


def _jump(ends: Ends, label: str, s: t.TStmt) -> list[t.TStmt]:
    if ends.pc is None:  # a bug_on in a global action ends the action there
        return []
    return [t.SAssign(ends.pc, t.Lit(ends.targets[label], INT), s.span)]


def _may_end(body: tuple[t.TStmt, ...]) -> bool:
    return any(isinstance(s, (t.SGoto, t.SDone, t.SBugOn)) or (isinstance(s, t.SRcu) and s.op == "synchronize_rcu")
               for s in t.walk_stmts(body))


def _in_rcu(inst: str) -> t.TExpr:
    return t.Binop(Op.GT, t.Var(f"{inst}.rcu", INT), t.Lit(0, INT), BOOL)


# ---------------------------------------------------------------- locks and RCU read sections


def lower_ops(body: tuple[t.TStmt, ...], th: Threads, me: str, where: str) -> tuple[t.TStmt, ...]:
    """Replace lock statements, trylocks and RCU read-side statements of owner `me`."""
    out: list[t.TStmt] = []
    for s in body:
        match s:
            case t.SLock():
                out += _lock(s, th, me, where)
            case t.STry():
                out += _try(s, th, me, where)
            case t.SRcu(op=op):
                out += _rcu(op, th, me, s)
            case t.SIf(then=a, else_=b):
                out.append(dataclasses.replace(s, then=lower_ops(a, th, me, where), else_=lower_ops(b, th, me, where)))
            case _:
                out.append(s)
    return tuple(out)


def _cell(info: LockInfo, var: str, typ: Type, index: t.TExpr | None) -> t.TExpr:
    if info.count is None:
        return t.Var(var, typ)
    assert index is not None
    return t.Read(t.Var(var, MapT(INT, typ)), index, typ)


def _set(info: LockInfo, var: str, index: t.TExpr | None, value: t.TExpr, span: object) -> t.TStmt:
    if info.count is None:
        return t.SAssign(var, value, span)  # type: ignore[arg-type]
    assert index is not None
    return t.SStore(var, index, value, span)  # type: ignore[arg-type]


def _eq(a: t.TExpr, b: t.TExpr) -> t.TExpr:
    return t.Binop(Op.EQ, a, b, BOOL)


def _and(a: t.TExpr, b: t.TExpr) -> t.TExpr:
    return t.Binop(Op.AND, a, b, BOOL)


def _readers_zero(info: LockInfo, index: t.TExpr | None) -> t.TExpr:
    out: t.TExpr = t.Lit(True, BOOL)
    for o in info.readers:
        zero = _eq(_cell(info, read_counter(info.name, o), INT, index), t.Lit(0, INT))
        out = zero if isinstance(out, t.Lit) else _and(out, zero)
    return out


def _index_check(info: LockInfo, index: t.TExpr | None, where: str, span: t.Span) -> list[t.TStmt]:  # type: ignore[name-defined]
    if info.count is None or isinstance(index, t.Lit):
        return []
    assert index is not None
    ok = _and(t.Binop(Op.LE, t.Lit(0, INT), index, BOOL), t.Binop(Op.LT, index, t.Lit(info.count, INT), BOOL))
    return [t.SAssert(f"{where}.range@{span.line}", ok, span)]


def _lock(s: t.SLock, th: Threads, me: str, where: str) -> list[t.TStmt]:
    info = th.locks[s.lock]
    owner = th.owners
    own, idx, sp = th.own(me), s.index, s.span
    holder = _cell(info, info.name, owner, idx)
    out: list[t.TStmt] = _index_check(info, idx, where, sp)
    match s.op:
        case "acquire" | "down_write":
            free = _eq(holder, th.none)
            if s.op == "down_write":
                free = _and(free, _readers_zero(info, idx))
            mode = "lock" if s.op == "acquire" else "write"
            out.append(t.SRequire(free, sp, wait=t.LockWait(info.name, idx, mode)))
            out += lockdep_sites(th, info, me, s.nested, sp)
            out.append(_set(info, info.name, idx, own, sp))
        case "release" | "up_write":
            out.append(t.SAssert(f"lock({info.name})", _eq(holder, own), sp))
            out.append(_set(info, info.name, idx, th.none, sp))
        case "down_read":
            out.append(t.SRequire(_eq(holder, th.none), sp, wait=t.LockWait(info.name, idx, "read")))
            out += lockdep_sites(th, info, me, s.nested, sp)
            out.append(_count(info, me, idx, +1, sp))
        case "up_read":
            count = _cell(info, read_counter(info.name, me), INT, idx) if me in info.readers else t.Lit(0, INT)
            out.append(t.SAssert(f"lock({info.name})", t.Binop(Op.GT, count, t.Lit(0, INT), BOOL), sp))
            if me in info.readers:
                out.append(_count(info, me, idx, -1, sp))
        case _:
            raise AssertionError(s.op)
    return out


def _count(info: LockInfo, me: str, idx: t.TExpr | None, delta: int, sp: object) -> t.TStmt:
    var = read_counter(info.name, me)
    cur = _cell(info, var, INT, idx)
    if delta > 0:
        value: t.TExpr = t.Binop(Op.ADD, cur, t.Lit(1, INT), INT)
    else:
        value = t.Ite(t.Binop(Op.GT, cur, t.Lit(0, INT), BOOL), t.Binop(Op.SUB, cur, t.Lit(1, INT), INT), cur, INT)
    return _set(info, var, idx, value, sp)


def _try(s: t.STry, th: Threads, me: str, where: str) -> list[t.TStmt]:
    info = th.locks[s.lock]
    idx, sp = s.index, s.span
    holder = _cell(info, info.name, th.owners, idx)
    out: list[t.TStmt] = _index_check(info, idx, where, sp)
    free = _eq(holder, th.none)
    if s.op == "down_write_trylock":
        free = _and(free, _readers_zero(info, idx))
    take = _count(info, me, idx, +1, sp) if s.op == "down_read_trylock" else _set(info, info.name, idx, th.own(me), sp)
    out.append(t.SLet(s.local, free, sp))
    out.append(t.SIf(t.Local(s.local, BOOL), (take,), (), sp))
    return out


def _rcu(op: str, th: Threads, me: str, s: t.SRcu) -> list[t.TStmt]:
    depth = t.Var(f"{me}.rcu", INT)
    if op == "rcu_read_lock":
        return [t.SAssign(depth.name, t.Binop(Op.ADD, depth, t.Lit(1, INT), INT), s.span)]
    assert op == "rcu_read_unlock"
    positive = t.Binop(Op.GT, depth, t.Lit(0, INT), BOOL)
    lower = t.Ite(positive, t.Binop(Op.SUB, depth, t.Lit(1, INT), INT), depth, INT)
    clear = tuple(t.SAssign(gp_var(w, me), t.Lit(False, BOOL), s.span) for w in th.rcu_waiters if w != me)
    out: list[t.TStmt] = [t.SAssert(RCU_PROP, positive, s.span), t.SAssign(depth.name, lower, s.span)]
    if clear:
        out.append(t.SIf(_eq(depth, t.Lit(0, INT)), clear, (), s.span))
    return out


def rcu_guard(th: Threads, me: str) -> list[t.TStmt]:
    """Every step of a synchronize_rcu caller waits for the grace period it started."""
    if me not in th.rcu_waiters:
        return []
    out: list[t.TStmt] = []
    for r in th.rcu_readers:
        if r != me:
            flag = t.Var(gp_var(me, r), BOOL)
            out.append(t.SRequire(t.Unop(Op.NOT, flag, BOOL), wait=t.LockWait(gp_var(me, r), None, "gp")))
    return out


# ---------------------------------------------------------------- lockdep


def holds(th: Threads, info: LockInfo, me: str) -> t.TExpr:
    """Owner `me` holds some lock of class `info` (any element of an array)."""
    own = th.own(me)
    if info.count is None:
        cell: t.TExpr = _eq(t.Var(info.name, th.owners), own)
        if me in info.readers:
            cell = t.Binop(Op.OR, cell, t.Binop(Op.GT, t.Var(read_counter(info.name, me), INT), t.Lit(0, INT), BOOL), BOOL)
        return cell
    k = t.Bound(f"k#{info.name}", RangeT(0, info.count))
    cell = _eq(t.Read(t.Var(info.name, MapT(INT, th.owners)), k, th.owners), own)
    if me in info.readers:
        reads = t.Read(t.Var(read_counter(info.name, me), MapT(INT, INT)), k, INT)
        cell = t.Binop(Op.OR, cell, t.Binop(Op.GT, reads, t.Lit(0, INT), BOOL), BOOL)
    bounds = _and(t.Binop(Op.LE, t.Lit(0, INT), k, BOOL), t.Binop(Op.LT, k, t.Lit(info.count, INT), BOOL))
    return t.Quant("exists", k.name, k.type, _and(bounds, cell), BOOL)


def lockdep_sites(th: Threads, info: LockInfo, me: str, nested: bool, span: object) -> list[t.TStmt]:
    """Checks and bookkeeping when `me` takes a lock of class `info` (blocking).

    What `me` holds and the recorded orders are read once, into `let`s, before the flags
    change: every check and every update reads those values (and the encoding builds
    each `holds` term once per acquisition, not once per use)."""
    if not th.lockdep:
        return []
    b = info.name
    tag = f"{getattr(span, 'line', 0)}:{getattr(span, 'col', 0)}"
    out: list[t.TStmt] = []
    held: dict[str, t.Local] = {}
    for a in th.classes():
        held[a] = t.Local(f"held#{a}@{tag}", BOOL)
        out.append(t.SLet(held[a].name, holds(th, th.locks[a], me), span))  # type: ignore[arg-type]
    dep: dict[tuple[str, str], t.Local] = {}
    for x, y in th.lockdep_pairs():
        dep[(x, y)] = t.Local(f"dep#{x}>{y}@{tag}", BOOL)
        out.append(t.SLet(dep[(x, y)].name, t.Var(dep_var(x, y), BOOL), span))  # type: ignore[arg-type]
    if not nested:
        out.append(t.SAssert(LOCKDEP, t.Unop(Op.NOT, held[b], BOOL), span))  # type: ignore[arg-type]
    for a in th.classes():
        if a != b:
            out.append(t.SAssert(LOCKDEP, t.Unop(Op.NOT, _and(held[a], dep[(b, a)]), BOOL), span))  # type: ignore[arg-type]
    for x, y in th.lockdep_pairs():
        # x before y is recorded when `me` holds some a reachable from x (or x itself) and
        # y is b or reachable from b: the closure of the new edges a -> b
        grow: t.TExpr | None = None
        for a in th.classes():
            if a == b:
                continue
            parts = [held[a]] + ([] if x == a else [dep[(x, a)]]) + ([] if y == b else [dep[(b, y)]])
            term: t.TExpr = parts[0]
            for p in parts[1:]:
                term = _and(term, p)
            grow = term if grow is None else t.Binop(Op.OR, grow, term, BOOL)
        if grow is not None:
            cur = t.Var(dep_var(x, y), BOOL)
            out.append(t.SAssign(cur.name, t.Binop(Op.OR, cur, grow, BOOL), span))  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------- instances


def pc_type(p: ProcessInfo) -> EnumT:
    """The pc's values, named by step label; a procedure inlined twice gives the second
    copy's steps `label#2` (so a saved trace names each pc exactly)."""
    seen: dict[str, int] = {}
    names: list[str] = []
    for s in p.steps:
        seen[s.label] = seen.get(s.label, 0) + 1
        names.append(s.label if seen[s.label] == 1 else f"{s.label}#{seen[s.label]}")
    return EnumT(f"{p.name}.pc", tuple(names) + ("done", "crashed"))
