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
    BLOCKING, ENUM_MEMBERS, AnyBool, Assert, Assign, At, Bin, BugOn, Call, Fill, Goto, HeldBy, If, InRange, Ite,
    Let, Lit, LockOp, Model, Name, Not, OwnerOf, Quant, Read, ReadersOf, Require, SelfIdx, Store, TBool, TEnum,
    TMap, TryLock, Who,
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
    """The run reached a `let x = any bool` beyond the picks it was given."""


def euclid_mod(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("the generator never divides by zero")
    return a % abs(b)  # Python's result has the divisor's sign; with |b| it is in 0 .. |b|-1


# Lock state, kept in the state dict under these prefixes (none of them a ZDL name):
# LOCK+L the holder of mutex L (an owner name or None; a tuple for an array), WRITER+S the
# writer of rwsem S (likewise), READS+S {(owner, index or None): read holds > 0}, and DEP the
# lockdep record: the set of class pairs (A, B) "B was acquired while A was held".
LOCK, WRITER, READS, DEP = "#lock:", "#writer:", "#reads:", "#lockdep"


def _cell(state: dict, key: str, index):
    v = state[key]
    return v if index is None else v[index]


def eval_expr(e, state: dict, env: dict):
    match e:
        case Lit(value, _):
            return value
        case Name(name):
            return env[name] if name in env else state[name]
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
            return _cell(state, (LOCK if fn == "owner" else WRITER) + lock, index)
        case ReadersOf(lock, index):
            return sum(c for (o, i), c in state[READS + lock].items() if i == index)
        case HeldBy(lock, index, who):
            if LOCK + lock in state:
                return _cell(state, LOCK + lock, index) == who.who
            return _cell(state, WRITER + lock, index) == who.who or state[READS + lock].get((who.who, index), 0) > 0
        case At(inst, _, _, pc):
            return state[f"{inst}.pc"] == pc
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

    def pick(self) -> bool:
        if self.used == len(self.picks):
            raise _MorePicks()
        self.used += 1
        return self.picks[self.used - 1]

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
                state[var] = _eval_effect(value, ctx)
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
                env[name] = ctx.pick() if isinstance(value, AnyBool) else _eval_effect(value, ctx)
            case BugOn(name, c):
                if eval_expr(c, state, env):
                    failed.append(name)
                    raise _End("crashed")
            case Goto(k):
                raise _End(k)
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


def _lock_keys(model: Model) -> list[str]:
    keys: list[str] = []
    for lk in model.locks:
        keys += [LOCK + lk.name] if lk.kind != "rwsem" else [WRITER + lk.name, READS + lk.name]
    return keys + ([DEP] if model.locks else [])


def _freeze(model: Model, state: dict) -> tuple:
    for v in model.vars:  # the generator promises every write stays in its type
        x = state[v.name]
        ok = all(_in_type(v.typ.val, y) for y in x) if isinstance(v.typ, TMap) else _in_type(v.typ, x)
        if not ok:
            raise AssertionError(f"generator bug: {v.name} = {x!r} is outside {v.typ}")
    data = tuple(tuple(state[v.name]) if isinstance(v.typ, TMap) else state[v.name] for v in model.vars)
    locks = tuple(tuple(sorted((k, c) for k, c in state[key].items() if c > 0)) if key.startswith(READS)
                  else state[key] for key in _lock_keys(model))
    return data + tuple(state[pc] for pc in pc_names(model)) + locks


def pc_names(model: Model) -> list[str]:
    """One program counter per process instance (not a model variable: kept apart)."""
    return [f"{p.name}[{i}].pc" for p in model.procs for i in range(p.count)]


def instances(model: Model) -> list[tuple]:
    """(process, index, canonical name `P[i]`) of every instance."""
    return [(p, i, f"{p.name}[{i}]") for p in model.procs for i in range(p.count)]


def thaw(model: Model, key: tuple) -> dict:
    n = len(model.vars)
    state = {v.name: (list(x) if isinstance(v.typ, TMap) else x) for v, x in zip(model.vars, key[:n])}
    pcs = pc_names(model)
    state.update(zip(pcs, key[n:n + len(pcs)]))
    for k, x in zip(_lock_keys(model), key[n + len(pcs):]):
        state[k] = dict(x) if k.startswith(READS) else x
    return state


def initial_state(model: Model, failed: list | None = None) -> dict:
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
    return state


def _runs(model: Model, key: tuple, body, env: dict, me: Optional[str], pcs: Optional[tuple]):
    """Every run of `body` from state `key`, one per sequence of values of its picks:
    (successor state, or None when disabled; failed asserts; the holders when a blocking
    lock statement disabled it, else None). `pcs` = (pc variable, next pc) for a step."""
    pending: list[tuple] = [()]
    while pending:
        picks = pending.pop(0)
        state = thaw(model, key)
        ctx = _Ctx(model, state, dict(env), [], me, picks)
        try:
            _exec(body, ctx)  # the instance is at this step while it runs (`at(me, sK)` holds)
        except _MorePicks:
            pending += [picks + (False,), picks + (True,)]
            continue
        except _Blocked as b:
            yield None, ctx.failed, b.holders
            continue
        except _Disabled:
            yield None, ctx.failed, None
            continue
        except _End as end:
            if pcs is not None:
                state[pcs[0]] = end.target if end.target != "crashed" else _crashed(model, pcs[0])
        else:
            if pcs is not None:
                state[pcs[0]] = pcs[1]
        yield state, ctx.failed, None


def _crashed(model: Model, pc_var: str) -> int:
    p = next(p for p in model.procs if pc_var.startswith(p.name + "["))
    return len(p.steps) + 1


def _step_runs(model: Model, key: tuple, p, i: int, pc: int):
    nxt = pc + 1
    if nxt == len(p.steps) and p.loop:
        nxt = 0
    yield from _runs(model, key, p.steps[pc], {"#self": i}, f"{p.name}[{i}]", (f"{p.name}[{i}].pc", nxt))


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
        if pc >= len(p.steps):
            continue  # done or crashed
        for state, failed, _ in _step_runs(model, key, p, i, pc):
            yield state, failed


def wait_for(model: Model, key: tuple) -> dict:
    """inst -> the owners it waits for: the instance's step is enabled for no value of its
    picks, and some run reaches a blocking lock statement (every earlier `require` on its
    path holding) whose lock is held, at that point of the run, by those owners."""
    out: dict = {}
    state0 = thaw(model, key)
    for p, i, inst in instances(model):
        pc = state0[f"{inst}.pc"]
        if pc >= len(p.steps):
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
    running = any(state[f"{inst}.pc"] < len(p.steps) for p, _, inst in instances(model))
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
    for p in model.procs:
        for body in p.steps:
            yield from walk(body)


def implicit_properties(model: Model) -> dict:
    """The implicit concurrency properties a lock model has (name -> kind): `deadlock`
    and `stuck` (state predicates), `lockdep` when some blocking acquisition exists, and
    `lock(L)` for each lock some release/up statement names."""
    if not model.procs or not model.locks:
        return {}
    out = {DEADLOCK: "invariant", STUCK: "invariant"}
    ops = [s for s in _walk_all(model) if isinstance(s, LockOp)]
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
    pass


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
    s0 = initial_state(model, failed)
    for name in failed:
        hit(name, 0)
    check_state(s0, 0)
    k0 = _freeze(model, s0)
    seen = {k0}
    frontier = [k0]
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
