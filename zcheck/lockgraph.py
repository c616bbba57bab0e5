"""Graphs: the locks each step takes and releases, the locks it may hold, and the
lock-order graph that `lockdep` checks.

Input: a lowered `System`. Lock statements are recognised in the shapes lowering gives
them (system/threads.py `_lock`, `_try`, `lockdep_sites`; tests/test_graph_locks.py
fails if those shapes change without this module):
- a blocking acquisition (`acquire`, `down_write`, `down_read`) is a `require` that
  waits for the lock (`SRequire.wait`, mode lock / write / read), then the write that
  takes it; it is `nested` when no `lockdep` site checks that its class is free;
- a trylock is a write that takes a lock (owner := me, or a read counter + 1) with no
  waiting `require` before it in its block;
- a release (`release`, `up_write`, `up_read`) is the write that frees it (owner :=
  none, a read counter - 1).

Output:
- `analyse(system)`: for each writer (a global action, or a process step `proc.step`
  merged over the process's instances), in declaration order, its lock events in order,
  the lock classes it may hold when it starts, the steps it may go on to and whether a
  run can reach it; and the lock orders (held class, taken class, the writers). The
  global actions share one owner (`env`): a lock one action leaves held is held when
  the next starts.
- `lock_order_graph(system)`: one node per lock class (a lock array is one class) and
  an edge A -> B, labelled with the writers, when a step may take B with a blocking
  acquisition while it holds A: the pairs `lockdep` records (threads.py keeps them as
  the flags `lockdep.A>B`, transitively closed). A self-loop is a second lock of one
  class: allowed (dashed) when `nested`, else a violation. A cycle is an inversion.
- `lock_order_dot(system)`: that graph as DOT, cycle edges red, the cycles named.

"May hold" is computed on the code, not on the reachable states: the locks an instance
may hold when a step starts are the union over every path of its steps that reaches the
step (a branch whose condition is a constant is followed one way, any other both ways;
each class's holds are counted, so releasing one element of a lock array leaves the
others held). So the graph can show an order no run takes (`zcheck verify -p lockdep`
then proves the property), and shows every order a run takes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, assert_never

import networkx as nx

from zcheck.dot import graph_to_dot
from zcheck.spec import typed as t
from zcheck.spec.checked import LockInfo
from zcheck.spec.ops import Op
from zcheck.spec.threads import read_counter
from zcheck.spec.types import EnumT
from zcheck.system.evaluate import Env, EvalError, evaluate
from zcheck.system.ir import System, Transition
from zcheck.system.threads import LOCKDEP

SPLIT_LIMIT = 3  # locals an `if` splits a path on (a trylock's result is one)
MANY = 3  # holds of one class counted up to here; from here on the class stays held (loops end)


class LockOp(Enum):
    ACQUIRE = "acquire"  # blocking: acquire, down_write, down_read
    TRY = "try"  # a trylock (takes the lock only when it is free)
    RELEASE = "release"


@dataclass(frozen=True)
class LockEvent:
    lock: str
    op: LockOp
    read: bool = False  # the read side of an rwsem
    nested: bool = False  # `acquire ... nested`: lockdep allows a second lock of the class

    def verb(self, kind: str) -> str:
        """The ZDL statement: `acquire`, `down_read`, `try_acquire`, `up_write`, ..."""
        if kind != "rwsem":
            match self.op:
                case LockOp.ACQUIRE:
                    return "acquire"
                case LockOp.TRY:
                    return "try_acquire"
                case LockOp.RELEASE:
                    return "release"
                case _:
                    assert_never(self.op)
        side = "read" if self.read else "write"
        match self.op:
            case LockOp.ACQUIRE:
                return f"down_{side}"
            case LockOp.TRY:
                return f"down_{side}_trylock"
            case LockOp.RELEASE:
                return f"up_{side}"
            case _:
                assert_never(self.op)


@dataclass(frozen=True)
class StepLocks:
    writer: str  # "add_dev" or "walker.read"
    process: str | None  # None for a global action
    events: tuple[LockEvent, ...]
    held: frozenset[str]  # lock classes it may hold when it starts
    next: tuple[str, ...]  # the writers (or "done", "crashed") a process step may go on to
    reached: bool  # some path of its instance's steps reaches it (actions: always)


@dataclass(frozen=True)
class LockOrder:
    held: str
    taken: str
    writers: tuple[str, ...]
    nested: bool = False  # a self-loop taken with `nested` (lockdep allows it)


@dataclass(frozen=True)
class LockAnalysis:
    steps: tuple[StepLocks, ...]
    orders: tuple[LockOrder, ...]


@dataclass(frozen=True)
class _Ctx:
    locks: Mapping[str, LockInfo]
    counters: Mapping[str, str]  # read counter variable -> its lock
    none: int  # the owner value of a free lock
    lockdep: bool  # the model checks `lockdep` (else no acquisition is `nested`)
    pc: str | None  # the instance's program counter (None: a global action)


Held = dict[str, int]  # lock class -> holds on some path (0 .. MANY)


@dataclass
class _Path:
    """What the paths through one transition do (filled by `_walk`)."""

    body: tuple[t.TStmt, ...]
    found: dict[int, LockEvent] = field(default_factory=dict)  # id of the statement -> its event
    orders: list[tuple[str, str, bool]] = field(default_factory=list)
    exits: list[tuple[int, Held]] = field(default_factory=list)  # (pc target, holds there)

    def event(self, s: t.TStmt, e: LockEvent) -> None:
        """The event of statement `s` (once, however many paths pass it)."""
        self.found[id(s)] = e

    @property
    def events(self) -> tuple[LockEvent, ...]:
        """In the order of the statements in the body."""
        return tuple(self.found[id(s)] for s in t.walk_stmts(self.body) if id(s) in self.found)


# ---------------------------------------------------------------- one transition


def _walk(body: tuple[t.TStmt, ...], held: Held, path: _Path, ctx: _Ctx, known: Mapping[str, bool]) -> Held | None:
    """Follow `body` from `held`; the holds at its end (None: every path ended, by a
    jump or a `require` that is false). `known`: the `let` locals (a trylock's result)
    fixed on this path: an `if` on an unknown one splits the path there, so the code
    after a trylock knows whether it took the lock."""
    held = dict(held)
    waiting: set[str] = set()  # blocking acquisitions whose taking write is still to come
    for i, s in enumerate(body):
        match s:
            case t.SRequire(cond=c, wait=w):
                if w is not None and w.var in ctx.locks:
                    _acquire(s, LockEvent(w.var, LockOp.ACQUIRE, w.mode == "read", _nested(body[i + 1:], w.var, ctx)),
                             held, path, ctx)
                    waiting.add(w.var)
                elif _constant(c, known) is False:
                    return None
            case t.SAssign(var=v, value=x) | t.SStore(var=v, value=x):
                if v == ctx.pc:
                    assert isinstance(x, t.Lit)
                    path.exits.append((int(x.value), held))
                    return None
                _write(s, waiting, held, path, ctx)
            case t.SIf(cond=c, then=a, else_=b):
                branch = _constant(c, known)
                split = _unknown_locals(c, known) if branch is None else []
                if split:
                    return _split(s, body[i + 1:], split, held, path, ctx, known)
                ends = [_walk(arm, held, path, ctx, known) for arm, go in ((a, branch is not False), (b, branch is not True))
                        if go]
                live = [e for e in ends if e is not None]
                if not live:
                    return None
                held = _join(live)
            case t.SFill() | t.SHavoc() | t.SLet() | t.SAssert() | t.SGoto() | t.SDone() | t.SLock() | t.STry() \
                    | t.SBugOn() | t.SRcu():
                pass  # lowering leaves no goto, done, lock, trylock, bug_on or RCU statement
            case _:
                assert_never(s)
    return held


def _acquire(s: t.TStmt, e: LockEvent, held: Held, path: _Path, ctx: _Ctx) -> None:
    """A blocking acquisition: the orders from every class held. Taking a single lock
    (not an array) for writing while holding it cannot happen (it waits for the lock to
    be free of every owner), so that self-loop is left out."""
    path.event(s, e)
    for h, n in sorted(held.items()):
        if n > 0 and (h != e.lock or e.read or ctx.locks[h].count is not None):
            path.orders.append((h, e.lock, e.nested and h == e.lock))  # `nested` matters on a self-loop only


def _write(s: t.SAssign | t.SStore, waiting: set[str], held: Held, path: _Path, ctx: _Ctx) -> None:
    """A write to a lock's owner or read counter takes or frees the lock."""
    var, value = s.var, s.value
    if var in ctx.locks:
        lock, read = var, False
        takes = not (isinstance(value, t.Lit) and value.value == ctx.none)
    elif var in ctx.counters:
        lock, read = ctx.counters[var], True
        takes = isinstance(value, t.Binop) and value.op == Op.ADD
    else:
        return
    n = held.get(lock, 0)
    if takes:
        if lock not in waiting:
            path.event(s, LockEvent(lock, LockOp.TRY, read))
        held[lock] = min(MANY, n + 1)
    else:
        path.event(s, LockEvent(lock, LockOp.RELEASE, read))
        held[lock] = n if n >= MANY else max(0, n - 1)


def _nested(rest: tuple[t.TStmt, ...], lock: str, ctx: _Ctx) -> bool:
    """No lockdep site of this acquisition checks that `lock`'s class is free."""
    if not ctx.lockdep:
        return False
    for s in rest:
        if isinstance(s, (t.SAssign, t.SStore)) and (s.var == lock or ctx.counters.get(s.var) == lock):
            return True
        if isinstance(s, t.SAssert) and s.prop == LOCKDEP and isinstance(s.cond, t.Unop) \
                and isinstance(s.cond.arg, t.Local) and s.cond.arg.name.startswith(f"held#{lock}@"):
            return False
    return True


def _split(s: t.SIf, rest: tuple[t.TStmt, ...], names: list[str], held: Held, path: _Path, ctx: _Ctx,
           known: Mapping[str, bool]) -> Held | None:
    """Walk `s` and the statements after it once for each value of the locals `names`."""
    ends = []
    for values in itertools.product((True, False), repeat=len(names)):
        fixed = {**known, **dict(zip(names, values))}
        arm = s.then if _constant(s.cond, fixed) else s.else_
        ends.append(_walk(arm + rest, held, path, ctx, fixed))
    live = [e for e in ends if e is not None]
    return _join(live) if live else None


def _unknown_locals(cond: t.TExpr, known: Mapping[str, bool]) -> list[str]:
    """The bool locals of a condition that reads no state variable, when there are at
    most SPLIT_LIMIT of them (else [], and both branches are joined)."""
    found: set[str] = set()
    for e in t.walk(cond):
        if isinstance(e, (t.Var, t.Old)):
            return []
        if isinstance(e, t.Local) and e.name not in known:
            found.add(e.name)
    return sorted(found) if len(found) <= SPLIT_LIMIT else []


def _constant(cond: t.TExpr, known: Mapping[str, bool]) -> bool | None:
    """The value of a condition that reads no variable (constants are literals after
    lowering) and only the `known` locals; None otherwise."""
    try:
        value = evaluate(cond, Env({}, locals=known))
    except (KeyError, EvalError, ArithmeticError, ValueError):
        return None
    return value if isinstance(value, bool) else None


def _join(helds: list[Held]) -> Held:
    out: Held = {}
    for h in helds:
        for k, n in h.items():
            out[k] = max(out.get(k, 0), n)
    return {k: n for k, n in out.items() if n > 0}


# ---------------------------------------------------------------- instances and the model


def analyse(system: System) -> LockAnalysis:
    """Lock events, holds and orders of every writer (see the module docstring)."""
    ctx = _Ctx({lk.name: lk for lk in system.locks},
               {read_counter(lk.name, o): lk.name for lk in system.locks for o in lk.readers},
               system.owners.members.index("none") if system.owners is not None else 0,
               any(p.name == LOCKDEP for p in system.properties), None)
    per_writer: dict[str, list[StepLocks]] = {}
    orders: dict[tuple[str, str, bool], list[str]] = {}
    for instance, trs in _instances(system).items():
        for step, found in _instance(instance, trs, system, ctx):
            per_writer.setdefault(step.writer, []).append(step)
            for h, b, nested in found:
                writers = orders.setdefault((h, b, nested), [])
                if step.writer not in writers:
                    writers.append(step.writer)
    steps = tuple(_merge(v) for v in per_writer.values())
    return LockAnalysis(steps, tuple(LockOrder(h, b, tuple(sorted(ws)), n) for (h, b, n), ws in sorted(orders.items())))


ENV_KEY = "#env"  # the global actions: one owner (`env`), whose locks stay held between actions


def _instances(system: System) -> dict[str, list[Transition]]:
    """Transitions by owner: each process instance (`walker[1]`), and the global actions
    together."""
    out: dict[str, list[Transition]] = {}
    for tr in system.transitions:
        key = tr.name.split(".")[0] if "." in tr.writer else ENV_KEY
        out.setdefault(key, []).append(tr)
    return out


def _env(trs: list[Transition], ctx: _Ctx) -> list[tuple[StepLocks, list[tuple[str, str, bool]]]]:
    """The global actions: each may start with what any action may leave held (a lock
    an action takes and another releases); the least such holds, by iteration."""
    held: Held = {}
    while True:
        paths = [_Path(tr.body) for tr in trs]
        ends = [e for tr, path in zip(trs, paths) if (e := _walk(tr.body, held, path, ctx, {})) is not None]
        joined = _join([held, *ends])
        if joined == held:
            return [(StepLocks(tr.writer, None, path.events, frozenset(held), (), True), path.orders)
                    for tr, path in zip(trs, paths)]
        held = joined


def _instance(key: str, trs: list[Transition], system: System,
              ctx: _Ctx) -> list[tuple[StepLocks, list[tuple[str, str, bool]]]]:
    """The steps of one process instance (or the global actions, ENV_KEY) with the
    orders each records."""
    if key == ENV_KEY:
        return _env(trs, ctx)
    pc = f"{key}.pc"
    local = _Ctx(ctx.locks, ctx.counters, ctx.none, ctx.lockdep, pc)
    by_pc = {_pc_of(tr, pc): tr for tr in trs}
    entry, paths = _fixpoint(by_pc, local)
    names = _pc_names(system, pc)
    out = []
    for k, tr in sorted(by_pc.items()):
        reached = k in paths
        path = paths[k] if reached else _Path(tr.body)
        if not reached:  # no path reaches it: its events, from nothing held
            _walk(tr.body, {}, path, local, {})
        nxt = tuple(dict.fromkeys(by_pc[x].writer if x in by_pc else names[x] for x, _ in path.exits))
        step = StepLocks(tr.writer, tr.writer.split(".")[0], path.events, frozenset(entry.get(k, {})), nxt,
                         reached)
        out.append((step, path.orders if reached else []))
    return out


def _fixpoint(by_pc: dict[int, Transition], ctx: _Ctx) -> tuple[dict[int, Held], dict[int, _Path]]:
    """The holds at the start of each step an instance reaches from pc 0 (a worklist
    over the pc moves; holds only grow and are bounded by MANY, so it ends) and, for
    each, what its last walk found."""
    entry: dict[int, Held] = {0: {}}
    paths: dict[int, _Path] = {}
    work = [0]
    while work:
        k = work.pop()
        if k not in by_pc:
            continue  # done, crashed
        paths[k] = _Path(by_pc[k].body)
        _walk(by_pc[k].body, entry[k], paths[k], ctx, {})
        for target, held in paths[k].exits:
            joined = _join([entry.get(target, {}), held])
            if target not in entry or joined != entry[target]:
                entry[target] = joined
                work.append(target)
    return entry, paths


def _pc_of(tr: Transition, pc: str) -> int:
    """The pc value a process step runs at: its first statement is `require pc == k`."""
    head = tr.body[0]
    assert isinstance(head, t.SRequire) and isinstance(head.cond, t.Binop) and isinstance(head.cond.left, t.Var) \
        and head.cond.left.name == pc and isinstance(head.cond.right, t.Lit), tr.name
    return int(head.cond.right.value)


def _pc_names(system: System, pc: str) -> tuple[str, ...]:
    typ = system.var(pc).type
    assert isinstance(typ, EnumT), pc
    return typ.members


def _merge(steps: list[StepLocks]) -> StepLocks:
    """One writer over its instances (and over the copies of an inlined procedure): the
    same code, so the same events; the holds and moves of all."""
    first = steps[0]
    events = first.events
    nxt = tuple(dict.fromkeys(n for s in steps for n in s.next))
    held = frozenset().union(*(s.held for s in steps))
    return StepLocks(first.writer, first.process, events, held, nxt, any(s.reached for s in steps))


# ---------------------------------------------------------------- the lock-order graph


def lock_order_graph(system: System, analysis: LockAnalysis | None = None) -> nx.MultiDiGraph:
    """Lock classes and the orders between them (see the module docstring). Edges have
    `writers` and `nested`; the graph's `cycles` are the inversions, each a list of
    classes starting at its smallest."""
    analysis = analysis if analysis is not None else analyse(system)
    g = nx.MultiDiGraph(name="lock_order")
    for lk in system.locks:
        size = f"[{lk.count}]" if lk.count is not None else ""
        g.add_node(lk.name, kind=lk.kind, label=f"{lk.name}{size}\n{lk.kind}", shape="box", style="rounded")
    for o in analysis.orders:
        g.add_edge(o.held, o.taken, writers=o.writers, nested=o.nested, label="\n".join(o.writers),
                   style="dashed" if o.nested else "solid")
    g.graph["cycles"] = cycles(g)
    return g


def cycles(g: nx.MultiDiGraph) -> list[list[str]]:
    """The elementary cycles of the orders that lockdep reports (nested self-loops are
    allowed), each rotated to start at its smallest class, sorted."""
    plain = nx.DiGraph()
    plain.add_nodes_from(g.nodes)
    plain.add_edges_from((u, v) for u, v, d in g.edges(data=True) if not (u == v and d.get("nested")))
    found = []
    for c in nx.simple_cycles(plain):
        i = c.index(min(c))
        found.append(c[i:] + c[:i])
    return sorted(found)


def lock_order_dot(system: System, analysis: LockAnalysis | None = None) -> str:
    """The lock-order graph as DOT: the edges of a cycle red, the cycles in the label."""
    g = lock_order_graph(system, analysis)
    on_cycle = {(c[i], c[(i + 1) % len(c)]) for c in g.graph["cycles"] for i in range(len(c))}
    for u, v, d in g.edges(data=True):
        if (u, v) in on_cycle:
            d.update(color="red", fontcolor="red")
    label = ["lock order: A -> B when a step may take B while it holds A (every path of the code)"]
    if not any(p.name == LOCKDEP for p in system.properties):
        label.append("(the model has no `lockdep` property: it needs processes and locks)")
    label += [f"inversion: {' -> '.join(c + c[:1])}" for c in g.graph["cycles"]]
    if not g.graph["cycles"]:
        label.append("no cycle: no inversion is possible")
    return graph_to_dot("lock_order", g, {"label": "\n".join(label), "labelloc": "t"})
