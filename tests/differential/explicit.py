"""Explicit-state breadth-first exploration of a `gen.Model` (independent of zcheck).

Semantics (docs/semantics-notes.md, /work/shared/ZDL.md):
- state 0 = var initialisers, then the `init` block; a trace of N steps has states 0..N;
- one action fires per step, its parameter ranging over its `0 .. n` type; the action is
  enabled for a parameter value when every `require` on its executed path holds;
  statements run sequentially (later writes win, reads see earlier writes);
- an invariant is violated at N when the shortest path to a state falsifying it has N
  steps (state 0 included); a cover is reached at N when the nearest state satisfying it
  is N steps away;
- `assert e` in an action is violated at N when the N-th step runs that action, every
  `require` before the assert on the executed path holds and `e` is false there; a later
  `require` does not cancel it, and a failing assert does not block the step. Asserts in
  `init` are checked at depth 0;
- `%` is Euclidean (remainder in 0 .. |d|-1); the generator never divides by zero.

Processes and locks (docs/language.md §6, /work/shared/ZDL-concurrency.md), written from
the contract, not from zcheck's lowering:
- each instance `P[i]` has a pc (K = at step sK, #steps = done, #steps + 1 = crashed); a
  step runs atomically when the pc is at it and every `require`/lock statement on its
  executed path lets it through; the instance is at the step while the body runs, and
  its pc moves to the next step (step 0 after the last with `loop`) when the body ends,
  to sK at `goto sK` (which ends the step at once), or to crashed at a `bug_on` that
  fires (a violation of its name; the locks stay held). In a global action a firing
  `bug_on` ends the action, the changes before it standing. Global actions own locks as
  `env`;
- `acquire L` is enabled when L is free (held by nobody, the instance itself included),
  `down_read S` when S has no writer, `down_write S` when it has neither writer nor
  readers; `release`/`up_write` by a non-holder and `up_read` without a read hold violate
  `lock(L)` (the lock is freed / nothing changes). A trylock takes the lock if available
  and gives true, else false and changes nothing;
- `lockdep`: a blocking acquisition of class B that succeeds, by an owner holding class A
  (a read hold counts), violates it when a chain of recorded orders leads from B to A, or
  when A = B without `nested`; it then records A -> B for every other class held.
  Trylocks neither check nor record. Checked like an assert where it stands;
- `deadlock` (a state predicate): a wait-for cycle among instances, where an instance
  waits for the owners holding the lock of a blocking statement its step's run reaches
  with every earlier `require` holding and the lock unavailable *at that point of the
  run*, for every value of the step's picks (no value lets the step run);
- `stuck` (a state predicate): some instance neither done nor crashed and no move at all;
- `let x = any bool` runs the body once per value (each a separate move).

Since BFS visits states in order of their shortest distance, the first depth at which a
property is decided is the shortest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .gen import (
    BLOCKING, ENUM_MEMBERS, AnyBool, AnyIn, AnyRange, Assert, Assign, At, AtIdx, Bin, BugOn, Call, Done, Field,
    Fill, Goto, HeldBy, If, InRange, InstIdx, Ite, Let, Lit, LockOp, Model, Name, Not, OwnerOf, Quant, Rcu, Read,
    ReadersOf, Require, SelfIdx, Store, TBool, TEnum, TMap, TryLock, Who, flatten,
)

ENV = "env"
DEADLOCK, STUCK, LOCKDEP = "deadlock", "stuck", "lockdep"


class _Disabled(Exception):
    """A `require` failed: the action is not enabled for this parameter value."""


class _Blocked(_Disabled):
    """A blocking lock statement found its lock unavailable; `holders` are the owners
    holding it at that point of the run (the writer, and the readers for `down_write`)."""

    def __init__(self, holders: list) -> None:
        super().__init__(holders)
        self.holders = holders


class _End(Exception):
    """`goto sK` (target K) or a `bug_on` that fires (target "crashed") ends the step."""

    def __init__(self, target) -> None:
        super().__init__(target)
        self.target = target


class _MorePicks(Exception):
    """The run reached a pick (`let x = any ...`) beyond the picks it was given; `domain`
    lists its values (empty: no value, the step cannot run)."""

    def __init__(self, domain: list) -> None:
        super().__init__(domain)
        self.domain = domain


def euclid_mod(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("the generator never divides by zero")
    return a % abs(b)  # Python's result has the divisor's sign; with |b| it is in 0 .. |b|-1


# Lock state, kept in the state dict under these prefixes (none of them a ZDL name):
# LOCK+L the holder of mutex L (an owner name or None; a tuple for an array), WRITER+S the
# writer of rwsem S (likewise), READS+S {(owner, index or None): read holds > 0}, and DEP the
# lockdep record: the set of class pairs (A, B) "B was acquired while A was held".
# RCU+P[i] is instance P[i]'s read-side nesting depth, GP+P[i] the readers its last
# synchronize_rcu recorded that are still inside their section; NOENTRY+P[i] says that the
# instance came to a procedure's first step by a `goto` inside the procedure, not by the
# call (so the call's arguments and the procedure's locals are not set again).
# An instance's locals and parameters are `P[i].x`, a procedure's `P[i].q1.q0.x` (by call path).
LOCK, WRITER, READS, DEP = "#lock:", "#writer:", "#reads:", "#lockdep"
RCU, GP, NOENTRY = "#rcu:", "#gp:", "#noentry:"


def _cell(state: dict, key: str, index):
    v = state[key]
    return v if index is None else v[index]


def _lock_index(index, state: dict, env: dict):
    """A lock index in an expression: None, a literal int, or an expression (in range)."""
    return index if index is None or isinstance(index, int) else eval_expr(index, state, env)


def _where(name: str, state: dict, env: dict) -> str:
    """The state key of variable `name` read or written in the current frame: a local or
    parameter of the running instance (or procedure call), else the global."""
    frame = env.get("#frame")
    if frame is not None and f"{frame}.{name}" in state:
        return f"{frame}.{name}"
    return name


def eval_expr(e, state: dict, env: dict):
    match e:
        case Lit(value, _):
            return value
        case Name(name):
            return env[name] if name in env else state[_where(name, state, env)]
        case Read(m, index):
            i = eval_expr(index, state, env)
            table = state[m]
            if not 0 <= i < len(table):
                raise AssertionError(f"generator bug: index {i} outside the key range of {m}")
            return table[i]
        case Not(arg):
            return not eval_expr(arg, state, env)
        case Bin(op, a, b):
            if op == "&&":
                return eval_expr(a, state, env) and eval_expr(b, state, env)
            if op == "||":
                return eval_expr(a, state, env) or eval_expr(b, state, env)
            if op == "->":
                return (not eval_expr(a, state, env)) or eval_expr(b, state, env)
            x, y = eval_expr(a, state, env), eval_expr(b, state, env)
            match op:
                case "<->":
                    return bool(x) == bool(y)
                case "+":
                    return x + y
                case "-":
                    return x - y
                case "%":
                    return euclid_mod(x, y)
                case "==":
                    return x == y
                case "!=":
                    return x != y
                case "<":
                    return x < y
                case "<=":
                    return x <= y
                case ">":
                    return x > y
                case ">=":
                    return x >= y
            raise ValueError(op)
        case Ite(c, a, b):
            return eval_expr(a, state, env) if eval_expr(c, state, env) else eval_expr(b, state, env)
        case Call(fn, a, b):
            x, y = eval_expr(a, state, env), eval_expr(b, state, env)
            return min(x, y) if fn == "min" else max(x, y)
        case Quant(kind, var, n, body):
            vals = (eval_expr(body, state, {**env, var: j}) for j in range(n))
            return all(vals) if kind == "forall" else any(vals)
        case InRange(elem, lo, hi):
            return lo <= eval_expr(elem, state, env) < hi
        case SelfIdx():
            return env["#self"]
        case Who(who, _):
            return who
        case OwnerOf(fn, lock, index):
            return _cell(state, (LOCK if fn == "owner" else WRITER) + lock, _lock_index(index, state, env))
        case ReadersOf(lock, index):
            idx = _lock_index(index, state, env)
            return sum(c for (o, i), c in state[READS + lock].items() if i == idx)
        case HeldBy(lock, index, who):
            idx, w = _lock_index(index, state, env), eval_expr(who, state, env)
            if LOCK + lock in state:
                return _cell(state, LOCK + lock, idx) == w
            return _cell(state, WRITER + lock, idx) == w or state[READS + lock].get((w, idx), 0) > 0
        case At(inst, _, _, pc):
            return state[f"{inst}.pc"] == pc
        case InstIdx(proc, count, index):
            i = eval_expr(index, state, env)
            return f"{proc}[{i}]" if 0 <= i < count else None
        case AtIdx(proc, count, index, _, pcs):
            i = eval_expr(index, state, env)
            return 0 <= i < count and state[f"{proc}[{i}].pc"] in pcs
        case Field(proc, count, index, name):
            i = eval_expr(index, state, env)
            return state[f"{proc}[{i if 0 <= i < count else count - 1}].{name}"]
        case TryLock():
            raise AssertionError("a trylock has an effect: evaluate it with _eval_effect")
    raise TypeError(e)


@dataclass
class _Ctx:
    """One run of a body: the state it changes in place, its locals, the failed asserts,
    the owner running it (None in `init`), and the values of its picks so far."""

    model: Model
    state: dict
    env: dict
    failed: list
    me: Optional[str] = None
    picks: tuple = ()
    used: int = 0

    def pick(self, domain: list):
        if self.used == len(self.picks):
            raise _MorePicks(domain)
        self.used += 1
        return self.picks[self.used - 1]

    def domain(self, value) -> list:
        match value:
            case AnyBool():
                return [False, True]
            case AnyRange(n):
                return list(range(n))
            case AnyIn(lo, hi):
                return list(range(eval_expr(lo, self.state, self.env), eval_expr(hi, self.state, self.env)))
        raise TypeError(value)

    def kind(self, lock: str) -> str:
        return next(lk.kind for lk in self.model.locks if lk.name == lock)


def exec_stmts(stmts, state: dict, env: dict, failed: list) -> None:
    """Run statements in place on `state` (maps are lists) with no owner (the `init`
    block). Raises `_Disabled` on a failed `require`; appends names of failed asserts
    (reached before any failed require) to `failed`."""
    _exec(stmts, _Ctx(None, state, env, failed))  # type: ignore[arg-type]


def _exec(stmts, ctx: _Ctx) -> None:
    state, env, failed = ctx.state, ctx.env, ctx.failed
    for s in stmts:
        match s:
            case Assign(var, value):
                value = _eval_effect(value, ctx)
                state[_where(var, state, env)] = value
            case Store(m, index, value):
                i = eval_expr(index, state, env)
                v = eval_expr(value, state, env)
                if not 0 <= i < len(state[m]):
                    raise AssertionError(f"generator bug: index {i} outside the key range of {m}")
                state[m][i] = v
            case Fill(m, lo, hi, value):
                v = eval_expr(value, state, env)
                for i in range(lo, hi):
                    state[m][i] = v
            case If(c, then, else_):
                _exec(then if _eval_effect(c, ctx) else else_, ctx)
            case Require(c):
                if not eval_expr(c, state, env):
                    raise _Disabled()
            case Assert(name, c):
                if not eval_expr(c, state, env):
                    failed.append(name)
            case Let(name, value):
                if isinstance(value, (AnyBool, AnyRange, AnyIn)):
                    env[name] = ctx.pick(ctx.domain(value))
                else:
                    env[name] = _eval_effect(value, ctx)
            case BugOn(name, c):
                if eval_expr(c, state, env):
                    failed.append(name)
                    raise _End("crashed")
            case Goto(k):
                raise _End(("goto", k))
            case Done():
                raise _End("done")
            case Rcu():
                _rcu(s.op, ctx)
            case LockOp():
                _lock_op(s, ctx)
            case _:
                raise TypeError(s)


def _eval_effect(e, ctx: _Ctx):
    if isinstance(e, TryLock):
        return _try(e, ctx)
    if isinstance(e, Not) and isinstance(e.arg, TryLock):
        return not _try(e.arg, ctx)
    return eval_expr(e, ctx.state, ctx.env)


def _set_cell(state: dict, key: str, index, value) -> None:
    if index is None:
        state[key] = value
    else:
        cells = list(state[key])
        cells[index] = value
        state[key] = tuple(cells)


def _index(op, ctx: _Ctx):
    if op.index is None:
        return None
    i = eval_expr(op.index, ctx.state, ctx.env)
    decl = next(lk for lk in ctx.model.locks if lk.name == op.lock)
    if not 0 <= i < decl.count:
        raise AssertionError(f"generator bug: lock index {i} outside {op.lock}[{decl.count}]")
    return i


def _readers(ctx: _Ctx, lock: str, index) -> list:
    return sorted(o for (o, i), c in ctx.state[READS + lock].items() if i == index and c > 0)


def _holds_class(ctx: _Ctx, lock: str, who: str) -> bool:
    """`who` holds some lock of class `lock` (any element of an array; a read hold counts)."""
    decl = next(lk for lk in ctx.model.locks if lk.name == lock)
    idxs = [None] if decl.count is None else list(range(decl.count))
    if decl.kind != "rwsem":
        return any(_cell(ctx.state, LOCK + lock, i) == who for i in idxs)
    return (any(_cell(ctx.state, WRITER + lock, i) == who for i in idxs)
            or any(ctx.state[READS + lock].get((who, i), 0) > 0 for i in idxs))


def _reaches(edges, src: str, dst: str) -> bool:
    """A chain of recorded orders src -> ... -> dst."""
    seen, todo = {src}, [src]
    while todo:
        x = todo.pop()
        for a, b in edges:
            if a == x and b not in seen:
                if b == dst:
                    return True
                seen.add(b)
                todo.append(b)
    return False


def _lockdep(ctx: _Ctx, lock: str, nested: bool) -> None:
    """The owner takes class `lock` (a blocking acquisition that succeeds): check it against
    the classes it holds, then record the new orders."""
    held = [lk.name for lk in ctx.model.locks if _holds_class(ctx, lk.name, ctx.me)]
    edges = ctx.state[DEP]
    if lock in held and not nested:
        ctx.failed.append(LOCKDEP)
    if any(a != lock and _reaches(edges, lock, a) for a in held):
        ctx.failed.append(LOCKDEP)
    ctx.state[DEP] = edges | frozenset((a, lock) for a in held if a != lock)


def _lock_op(s: LockOp, ctx: _Ctx) -> None:
    state, me, idx = ctx.state, ctx.me, _index(s, ctx)
    reads = state.get(READS + s.lock)
    match s.op:
        case "acquire":
            holder = _cell(state, LOCK + s.lock, idx)
            if holder is not None:
                raise _Blocked([holder])
            _lockdep(ctx, s.lock, s.nested)
            _set_cell(state, LOCK + s.lock, idx, me)
        case "release":
            if _cell(state, LOCK + s.lock, idx) != me:
                ctx.failed.append(f"lock({s.lock})")
            _set_cell(state, LOCK + s.lock, idx, None)
        case "down_read":
            writer = _cell(state, WRITER + s.lock, idx)
            if writer is not None:
                raise _Blocked([writer])
            _lockdep(ctx, s.lock, s.nested)
            reads[(me, idx)] = reads.get((me, idx), 0) + 1
        case "up_read":
            if reads.get((me, idx), 0) == 0:
                ctx.failed.append(f"lock({s.lock})")
            else:
                reads[(me, idx)] -= 1
                if reads[(me, idx)] == 0:
                    del reads[(me, idx)]
        case "down_write":
            writer = _cell(state, WRITER + s.lock, idx)
            readers = _readers(ctx, s.lock, idx)
            if writer is not None or readers:
                raise _Blocked(([writer] if writer is not None else []) + readers)
            _lockdep(ctx, s.lock, s.nested)
            _set_cell(state, WRITER + s.lock, idx, me)
        case "up_write":
            if _cell(state, WRITER + s.lock, idx) != me:
                ctx.failed.append(f"lock({s.lock})")
            _set_cell(state, WRITER + s.lock, idx, None)
        case _:
            raise ValueError(s.op)


def _rcu(op: str, ctx: _Ctx) -> None:
    state, me = ctx.state, ctx.me
    if op == "rcu_read_lock":
        state[RCU + me] += 1
    elif op == "rcu_read_unlock":
        if state[RCU + me] == 0:
            ctx.failed.append("lock(rcu)")
            return
        state[RCU + me] -= 1
        if state[RCU + me] == 0:  # left its outermost section: no grace period waits for it now
            for key in [k for k in state if k.startswith(GP)]:
                state[key] = state[key] - {me}
    else:  # synchronize_rcu: record the readers inside a section, end the step
        state[GP + me] = frozenset(k[len(RCU):] for k, d in state.items()
                                   if k.startswith(RCU) and d > 0 and k != RCU + me)
        raise _End("next")


def _try(e: TryLock, ctx: _Ctx) -> bool:
    """A trylock: take the lock if it is available (no lockdep check, no order recorded)."""
    state, me, idx = ctx.state, ctx.me, _index(e, ctx)
    match e.op:
        case "try_acquire":
            if _cell(state, LOCK + e.lock, idx) is not None:
                return False
            _set_cell(state, LOCK + e.lock, idx, me)
        case "down_read_trylock":
            if _cell(state, WRITER + e.lock, idx) is not None:
                return False
            reads = state[READS + e.lock]
            reads[(me, idx)] = reads.get((me, idx), 0) + 1
        case "down_write_trylock":
            if _cell(state, WRITER + e.lock, idx) is not None or _readers(ctx, e.lock, idx):
                return False
            _set_cell(state, WRITER + e.lock, idx, me)
        case _:
            raise ValueError(e.op)
    return True


def _in_type(t, x) -> bool:
    if isinstance(t, TBool):
        return isinstance(x, bool)
    if isinstance(t, TEnum):
        return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < len(ENUM_MEMBERS)
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < t.n


def _uses_rcu(model: Model) -> bool:
    return any(isinstance(s, Rcu) for s in _walk_all(model))


@dataclass
class _Shape:
    """What the interpreter needs again and again about one model, computed once."""

    flats: dict  # process name -> [Flat]
    lock_keys: list = field(default_factory=list)
    inst_vars: list = field(default_factory=list)
    pcs: list = field(default_factory=list)
    keys: list = field(default_factory=list)  # the state's keys in the order of a frozen state
    maps: frozenset = frozenset()  # keys holding a map (a list in a state, a tuple when frozen)
    reads: frozenset = frozenset()  # keys holding read holds (a dict; a sorted tuple when frozen)
    index: dict = field(default_factory=dict)  # key -> its position in a frozen state


_SHAPES: dict = {}  # id(model) -> (model, _Shape)


def _shape(model: Model) -> _Shape:
    got = _SHAPES.get(id(model))
    if got is None or got[0] is not model:
        if len(_SHAPES) > 64:
            _SHAPES.clear()
        shape = _Shape({q.name: flatten(model, q) for q in model.procs})
        got = _SHAPES[id(model)] = (model, shape)
        shape.pcs = [f"{p.name}[{i}].pc" for p in model.procs for i in range(p.count)]
        shape.inst_vars = _compute_inst_vars(model)
        shape.lock_keys = _compute_lock_keys(model)
        shape.keys = [v.name for v in model.vars] + shape.pcs + [k for k, _ in shape.inst_vars] + shape.lock_keys
        shape.maps = frozenset(v.name for v in model.vars if isinstance(v.typ, TMap))
        shape.reads = frozenset(k for k in shape.lock_keys if k.startswith(READS))
        shape.index = {k: i for i, k in enumerate(shape.keys)}
    return got[1]


def flat(model: Model, p) -> list:
    """The steps of process p with its calls inlined (gen.flatten), cached per model."""
    return _shape(model).flats[p.name]


def _inst_vars(model: Model) -> list[tuple]:
    return _shape(model).inst_vars


def _lock_keys(model: Model) -> list[str]:
    return _shape(model).lock_keys


def _compute_inst_vars(model: Model) -> list[tuple]:
    """(state key, initial value or None for a parameter) of every instance's locals and
    parameters and of the procedures' (per instance and call path)."""
    out: list[tuple] = []
    for p, i, inst in instances(model):
        out += [(f"{inst}.{n}", None) for n, _ in p.params] + [(f"{inst}.{v.name}", v.init) for v in p.locals]
        seen: set = set()
        for f in flat(model, p):
            for caller, callee, _ in f.entry:
                path = f"{caller}.{callee.name}" if caller else callee.name
                if path in seen:
                    continue
                seen.add(path)
                out += [(f"{inst}.{path}.{n}", 0) for n, _ in callee.params]
                out += [(f"{inst}.{path}.{v.name}", v.init) for v in callee.locals]
    return out


def _compute_lock_keys(model: Model) -> list[str]:
    keys: list[str] = []
    for lk in model.locks:
        keys += [LOCK + lk.name] if lk.kind != "rwsem" else [WRITER + lk.name, READS + lk.name]
    keys += [DEP] if model.locks else []
    if _uses_rcu(model):
        keys += [RCU + inst for _, _, inst in instances(model)] + [GP + inst for _, _, inst in instances(model)]
    if model.procedures:
        keys += [NOENTRY + inst for _, _, inst in instances(model)]
    return keys


def _freeze(model: Model, state: dict) -> tuple:
    for v in model.vars:  # the generator promises every write stays in its type
        x = state[v.name]
        ok = all(_in_type(v.typ.val, y) for y in x) if isinstance(v.typ, TMap) else _in_type(v.typ, x)
        if not ok:
            raise AssertionError(f"generator bug: {v.name} = {x!r} is outside {v.typ}")
    shape = _shape(model)
    return tuple(tuple(state[k]) if k in shape.maps
                 else tuple(sorted((o, c) for o, c in state[k].items() if c > 0)) if k in shape.reads
                 else state[k] for k in shape.keys)


def pc_names(model: Model) -> list[str]:
    """One program counter per process instance (not a model variable: kept apart)."""
    return _shape(model).pcs


def instances(model: Model) -> list[tuple]:
    """(process, index, canonical name `P[i]`) of every instance."""
    return [(p, i, f"{p.name}[{i}]") for p in model.procs for i in range(p.count)]


def thaw(model: Model, key: tuple) -> dict:
    shape = _shape(model)
    state = dict(zip(shape.keys, key))
    for k in shape.maps:
        state[k] = list(state[k])
    for k in shape.reads:
        state[k] = dict(state[k])
    return state


def initial_states(model: Model, failed: list | None = None) -> list[dict]:
    """State 0: one per choice of the processes' parameters (any value of their type)."""
    state = {v.name: ([v.init] * v.typ.key if isinstance(v.typ, TMap) else v.init) for v in model.vars}
    exec_stmts(model.init, state, {}, failed if failed is not None else [])
    state.update((pc, 0) for pc in pc_names(model))
    for lk in model.locks:
        free = None if lk.count is None else (None,) * lk.count
        if lk.kind == "rwsem":
            state[WRITER + lk.name] = free
            state[READS + lk.name] = {}
        else:
            state[LOCK + lk.name] = free
    if model.locks:
        state[DEP] = frozenset()
    for k in _lock_keys(model):
        if k.startswith(RCU):
            state[k] = 0
        elif k.startswith(GP):
            state[k] = frozenset()
        elif k.startswith(NOENTRY):
            state[k] = False
    out = [state]
    for key, init in _inst_vars(model):
        if init is not None:
            for s in out:
                s[key] = init
            continue
        inst, name = key.split(".", 1)
        p = next(p for p, _, i in instances(model) if i == inst)
        values = range(dict(p.params)[name])
        out = [{**s, key: v} for s in out for v in values]
    return out


def initial_state(model: Model, failed: list | None = None) -> dict:
    return initial_states(model, failed)[0]


def _runs(model: Model, key: tuple, body, env: dict, me: Optional[str], step=None):
    """Every run of `body` from state `key`, one per sequence of values of its picks:
    (successor state, or None when disabled; failed asserts; the holders when a blocking
    lock statement, or a grace period, disabled it, else None). `step` = (process, instance
    index, pc) for a process step."""
    if step is not None:
        p, i, pc = step
        steps = flat(model, p)
        gp = _shape(model).index.get(GP + me)
        if gp is not None and key[gp]:  # a grace period still waits for these readers
            yield None, [], sorted(key[gp])
            return
    pending: list[tuple] = [()]
    while pending:
        picks = pending.pop(0)
        state = thaw(model, key)
        ctx = _Ctx(model, state, dict(env), [], me, picks)
        try:
            if step is not None:
                _enter(steps[pc], ctx, i)
            _exec(body, ctx)  # the instance is at this step while it runs (`at(me, sK)` holds)
        except _MorePicks as more:
            if not more.domain:  # no value: the step cannot run
                yield None, ctx.failed, None
            pending += [picks + (v,) for v in more.domain]
            continue
        except _Blocked as b:
            yield None, ctx.failed, b.holders
            continue
        except _Disabled:
            yield None, ctx.failed, None
            continue
        except _End as end:
            if step is not None:
                _move(state, me, steps, pc, p.loop, end.target)
        else:
            if step is not None:
                _move(state, me, steps, pc, p.loop, "next")
        yield state, ctx.failed, None


def _enter(f, ctx: _Ctx, i: int) -> None:
    """The calls entered at flat step f (unless the instance came by a goto inside the
    procedure): each argument is evaluated in the caller's frame, in order, and the
    procedure's locals start again."""
    me, state = ctx.me, ctx.state
    if not f.entry or state.get(NOENTRY + me):
        return
    for caller, callee, args in f.entry:
        env = {"#self": i, "#frame": f"{me}.{caller}" if caller else me}
        path = f"{me}.{caller}.{callee.name}" if caller else f"{me}.{callee.name}"
        values = [eval_expr(a, state, env) for a in args]
        for (name, _), v in zip(callee.params, values):
            state[f"{path}.{name}"] = v
        for v in callee.locals:
            state[f"{path}.{v.name}"] = v.init


def _move(state: dict, me: str, steps: list, pc: int, loop: bool, target) -> None:
    """The pc after the step: `next` (step 0 after the last with `loop`), a goto's step
    in the same copy of the frame, `done`, `crashed`."""
    if target == "next":
        nxt = pc + 1
        state[f"{me}.pc"] = 0 if nxt == len(steps) and loop else nxt
    elif target == "done":
        state[f"{me}.pc"] = len(steps)
    elif target == "crashed":
        state[f"{me}.pc"] = len(steps) + 1
    else:
        state[f"{me}.pc"] = steps[pc].gotos[target[1]]
    if NOENTRY + me in state:  # kept only where it changes what `_enter` does (a state
        # that differs in nothing observable is the same state: a lasso closes on it)
        state[NOENTRY + me] = isinstance(target, tuple) and any(
            c.params or c.locals for _, c, _ in steps[state[f"{me}.pc"]].entry)


def _step_runs(model: Model, key: tuple, p, i: int, pc: int):
    steps = flat(model, p)
    me = f"{p.name}[{i}]"
    env = {"#self": i, "#frame": f"{me}.{steps[pc].frame}" if steps[pc].frame else me}
    yield from _runs(model, key, steps[pc].body, env, me, (p, i, pc))


def moves(model: Model, key: tuple):
    """Every (successor state or None when disabled, failed assert names) from `key`:
    each action with each parameter value, then each enabled process step (each with
    every value of its picks). pc = #steps is done, #steps + 1 crashed."""
    for a in model.actions:
        values = range(a.param[1]) if a.param else [None]
        for val in values:
            env = {a.param[0]: val} if a.param else {}
            for state, failed, _ in _runs(model, key, a.body, env, ENV, None):
                yield state, failed
    state0 = thaw(model, key)
    for p, i, inst in instances(model):
        pc = state0[f"{inst}.pc"]
        if pc >= len(flat(model, p)):
            continue  # done or crashed
        for state, failed, _ in _step_runs(model, key, p, i, pc):
            yield state, failed


def labelled_moves(model: Model, key: tuple) -> set:
    """Every enabled move from `key` as (group, successor key): the group of an action's
    move (any parameter value, any pick) is the action's name, that of a process step the
    instance `P[i]` -- the units a `fair action` / `fair process` declaration makes fair.
    A failing assert does not block a move (only `require`s and lock waits do)."""
    out: set = set()
    for a in model.actions:
        for val in (range(a.param[1]) if a.param else [None]):
            env = {a.param[0]: val} if a.param else {}
            out.update((a.name, _freeze(model, s)) for s, _, _ in _runs(model, key, a.body, env, ENV, None)
                       if s is not None)
    state0 = thaw(model, key)
    for p, i, inst in instances(model):
        if state0[f"{inst}.pc"] < len(flat(model, p)):
            out.update((inst, _freeze(model, s)) for s, _, _ in _step_runs(model, key, p, i, state0[f"{inst}.pc"])
                       if s is not None)
    return out


@dataclass(frozen=True)
class Graph:
    """The reachable state graph: state ids index `keys` (frozen states); `init` the ids of
    the initial states; `succ[s]` the (group, successor id) pairs of the moves from s
    (empty: a dead end); `dist[s]` the shortest number of steps from an initial state."""

    keys: tuple
    init: tuple
    succ: tuple
    dist: tuple

    def enabled(self, s: int) -> frozenset:
        """The groups with a move from s."""
        return frozenset(g for g, _ in self.succ[s])


def state_graph(model: Model, max_states: int = 2_000) -> Graph:
    """Breadth-first over every reachable state (TooBig past `max_states`)."""
    ids: dict = {}
    keys: list = []
    dist: list = []
    for s0 in initial_states(model):
        k0 = _freeze(model, s0)
        if k0 not in ids:
            ids[k0] = len(keys)
            keys.append(k0)
            dist.append(0)
    init = tuple(range(len(keys)))
    succ: list = []
    s = 0
    while s < len(keys):  # keys grows as states are found: breadth-first order
        out = []
        for group, k in sorted(labelled_moves(model, keys[s]), key=repr):
            if k not in ids:
                if len(keys) >= max_states:
                    raise TooBig(f"more than {max_states} states")
                ids[k] = len(keys)
                keys.append(k)
                dist.append(dist[s] + 1)
            out.append((group, ids[k]))
        succ.append(tuple(out))
        s += 1
    return Graph(tuple(keys), init, tuple(succ), tuple(dist))


def wait_for(model: Model, key: tuple) -> dict:
    """inst -> the owners it waits for: the instance's step is enabled for no value of its
    picks, and some run reaches a blocking lock statement (every earlier `require` on its
    path holding) whose lock is held, at that point of the run, by those owners; or the
    instance waits for the readers its synchronize_rcu recorded."""
    out: dict = {}
    state0 = thaw(model, key)
    for p, i, inst in instances(model):
        pc = state0[f"{inst}.pc"]
        if pc >= len(flat(model, p)):
            continue
        enabled, holders = False, set()
        for state, _, blocked in _step_runs(model, key, p, i, pc):
            if state is not None:
                enabled = True
            elif blocked is not None:
                holders.update(blocked)
        if not enabled and holders:
            out[inst] = holders
    return out


def deadlocked(model: Model, key: tuple) -> bool:
    """A wait-for cycle among instances (an instance waiting for itself included)."""
    graph = {a: {b for b in hs if b != ENV} for a, hs in wait_for(model, key).items()}
    for start in graph:
        seen, todo = set(), [start]
        while todo:
            x = todo.pop()
            for y in graph.get(x, ()):
                if y == start:
                    return True
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
    return False


def stuck(model: Model, key: tuple) -> bool:
    """Some instance neither done nor crashed, and no step and no action enabled."""
    state = thaw(model, key)
    running = any(state[f"{inst}.pc"] < len(flat(model, p)) for p, _, inst in instances(model))
    return running and all(s is None for s, _ in moves(model, key))


def _walk_all(model: Model):
    def walk(stmts):
        for s in stmts:
            yield s
            if isinstance(s, If):
                yield from walk(s.then)
                yield from walk(s.else_)

    yield from walk(model.init)
    for a in model.actions:
        yield from walk(a.body)
    for p in model.procs + model.procedures:  # every procedure is called (gen_lay)
        for body in p.steps:
            yield from walk(body)


def implicit_properties(model: Model) -> dict:
    """The implicit concurrency properties a lock model has (name -> kind): `deadlock`
    and `stuck` (state predicates) with processes and locks (or a synchronize_rcu),
    `lockdep` when some blocking acquisition exists, `lock(L)` for each lock some
    release/up statement names, `lock(rcu)` when some rcu_read_unlock exists."""
    stmts = list(_walk_all(model))
    out: dict = {}
    if any(s == Rcu("rcu_read_unlock") for s in stmts):
        out["lock(rcu)"] = "assert"
    if not model.procs or not (model.locks or any(s == Rcu("synchronize_rcu") for s in stmts)):
        return out
    out = {DEADLOCK: "invariant", STUCK: "invariant", **out}
    if not model.locks:
        return out
    ops = [s for s in stmts if isinstance(s, LockOp)]
    # a blocking acquisition checks lockdep when it is not `nested` (same class) or when
    # another class exists (order); `acquire L nested` in a one-lock model checks nothing
    if any(s.op in BLOCKING and (not s.nested or len(model.locks) > 1) for s in ops):
        out[LOCKDEP] = "assert"
    for lk in model.locks:
        if any(s.lock == lk.name and s.op not in BLOCKING for s in ops):
            out[f"lock({lk.name})"] = "assert"
    return out


@dataclass
class Expected:
    """Shortest depth per property (None: not violated / not reached within the bound)."""
    depth: dict = field(default_factory=dict)  # name -> Optional[int]
    kind: dict = field(default_factory=dict)  # name -> "invariant" | "cover" | "assert"
    states: int = 0  # distinct reachable states within the bound
    diameter: int = 0  # the largest shortest distance of a state within the bound
    layers: list = field(default_factory=list)  # layers[d]: states first reached at depth d

    def describe(self) -> str:
        return ", ".join(f"{n}({self.kind[n]})={self.depth[n]}" for n in self.depth)


class TooBig(Exception):
    """More reachable states than the enumeration was allowed: no oracle for this model."""


# The soundness tests compare a proof with the whole reachable state space; a generated
# model with more states than this is skipped (rejected), not enumerated (a 200,000-state
# enumeration in Python took minutes, and the engines' proofs are exercised as well on
# the small models, which are most of them). scripts/soundness.py allows more.
ORACLE_STATES = 5_000


def explore(model: Model, depth: int, max_states: int = 200_000) -> Expected:
    res = Expected()
    invs = [p for p in model.props if p.kind == "invariant"]
    covers = [p for p in model.props if p.kind == "cover"]
    for p in model.props:
        res.depth[p.name], res.kind[p.name] = None, p.kind
    for name in model.asserts():
        res.depth[name], res.kind[name] = None, "assert"
    implicit = implicit_properties(model)
    for name, kind in implicit.items():
        res.depth[name], res.kind[name] = None, kind

    def hit(name: str, d: int) -> None:
        if name not in res.depth:
            raise AssertionError(f"{name} violated, but the generated model keeps writes in range")
        if res.depth[name] is None:  # BFS order: the first hit is the shortest
            res.depth[name] = d

    def check_state(state: dict, d: int) -> None:
        for p in invs:
            if res.depth[p.name] is None and not eval_expr(p.expr, state, {}):
                hit(p.name, d)
        for p in covers:
            if res.depth[p.name] is None and eval_expr(p.expr, state, {}):
                hit(p.name, d)
        if implicit:
            key = _freeze(model, state)
            if res.depth[DEADLOCK] is None and deadlocked(model, key):
                hit(DEADLOCK, d)
            if res.depth[STUCK] is None and stuck(model, key):
                hit(STUCK, d)

    failed: list = []
    frontier = []
    for s0 in initial_states(model, failed):
        k0 = _freeze(model, s0)
        if k0 not in frontier:
            check_state(s0, 0)
            frontier.append(k0)
    for name in failed:
        hit(name, 0)
    seen = set(frontier)
    res.layers.append(frontier)
    for d in range(1, depth + 1):
        nxt = []
        for key in frontier:
            for state, failed in moves(model, key):
                for name in failed:
                    hit(name, d)
                if state is None:
                    continue
                k = _freeze(model, state)
                if k not in seen:
                    seen.add(k)
                    nxt.append(k)
                    check_state(state, d)
                    if len(seen) > max_states:
                        raise TooBig(f"more than {max_states} states")
        frontier = nxt
        if not frontier:
            break
        res.layers.append(frontier)
        res.diameter = d
    res.states = len(seen)
    return res
