"""Graphs: lifecycles of `transitions` blocks and the transition/variable dependency graph
(`zcheck graph` renders them), plus the lifecycle warnings ZC901 (state unreachable in the graph) and
ZC902 (edge never taken in a set of traces).

- `lifecycle_graph(info)`: a `networkx.MultiDiGraph` per `transitions` block. Nodes are
  the values as named in ZDL (enum member names, or `false` / `true` for bool flags);
  every node has `value` (the member index or the bool) and `label`. One edge per listed
  entry, with `writers` (tuple of action names or `proc.step`) and `label` (joined).
- `dependency_graph(system)`: a `networkx.DiGraph` with a node per transition, grouped
  by writer name (`add_dev`, `walker.read`: one node for all instances of a process step)
  and a node per state variable. Per-instance process variables are grouped the same
  way: `walker[0].ok` and `walker[1].ok` are the one node `walker[].ok`. Program counters
  (`walker[].pc`) are left out unless `include_pc=True`; hidden bookkeeping variables
  (the scenario position) always are. Edge `var -> transition` (`kind="read"`) when the
  body or one of its guards (`require`, `if` conditions, `acquire`) reads the variable
  (`Var` or `Old`), `transition -> var` (`kind="write"`) when it assigns, stores, fills or
  havocs it. The assert sites lowering inserts to restate a write (`transitions(V)`
  lifecycle checks and `X.range@LINE` range checks) do not count as reads.
  Node names are unambiguous: global names are unique across kinds (ZC202), process
  steps contain `.` and grouped process variables `[].`.
- `process_graph(system)`: the dependency graph in boxes, for reading a model with
  several processes: one box (`cluster_process_<name>`) per process holding its steps
  in declaration order, joined by the moves of the pc (bold gray; to `done` / `crashed`
  when a step ends the instance), and its own variables; a step that no path of the
  code reaches (a branch on a constant never taken) is dashed. Locks are shared nodes
  outside the boxes, with one edge from each step that uses a lock, labelled with its
  lock statements in order (`down_write, up_write`); lock state is not drawn as
  variables. Global actions are boxed (`cluster_writes_<i>`) by the set of variables they
  write. Variables and read / write edges as in `dependency_graph`. The lock facts come
  from lockgraph.py.
- `dot_graphs(system, view)` / `to_dot(system, ...)`: DOT text, one `digraph` per graph
  of the `View`: `all` is one `digraph lifecycle_<var>` per transitions block (in
  declaration order) then `digraph deps` (the process graph); `lock-order` is the
  lock-order graph of lockgraph.py. Nodes, edges and attributes are sorted and every id
  and value is quoted and escaped (dot.py), so the output is byte-identical across runs.
- `lifecycle_warnings(system)`: ZC901 for every state of an enum lifecycle that no path
  in the graph reaches from an initial value. The initial values are the declared
  initial value of the variable (for maps the default) plus every literal the `init`
  block writes to it; an unconstrained (`any`) or non-literal initial value makes every
  state initial, so no warning is given (warnings never over-report).
- `untaken_edge_warnings(system, depth, timeout)`: the same, exact, for every trace of
  up to `depth` steps (by BMC, checker/edges.py); `zcheck verify --edges`.
- `untaken_edges(system, traces)`: ZC902 for every listed edge that no step of the given
  decoded traces takes (a key of the variable changing from the edge's source to its
  target; maps compared with `pmap.diff`).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Iterable, assert_never

import networkx as nx

from zcheck.counterexamples.trace import Trace
from zcheck.diagnostics import Diagnostic
from zcheck.dot import Cluster, graph_to_dot as graph_to_dot, quote as quote
from zcheck.lockgraph import LockAnalysis, LockOp, StepLocks, analyse, lock_order_dot
from zcheck.spec import typed as t
from zcheck.spec.checked import TransitionsInfo
from zcheck.spec.threads import read_counter
from zcheck.spec.types import BoolT, EnumT
from zcheck.system.cone import accesses
from zcheck.system.ir import System
from zcheck.system.pmap import PMap, diff

Value = int | bool

# ---------------------------------------------------------------- lifecycles


def value_name(info: TransitionsInfo, value: Value) -> str:
    """The ZDL name of a lifecycle value: an enum member, or `false` / `true`."""
    vt = info.value_type
    if isinstance(vt, EnumT):
        idx = int(value)
        return vt.members[idx] if 0 <= idx < len(vt.members) else str(idx)
    if isinstance(vt, BoolT):
        return "true" if value else "false"
    return str(value)


def _all_values(info: TransitionsInfo) -> list[Value]:
    vt = info.value_type
    if isinstance(vt, EnumT):
        return list(range(len(vt.members)))
    if isinstance(vt, BoolT):
        return [False, True]
    seen: list[Value] = []
    for src, dst, _ in info.edges:
        for v in (src, dst):
            if v not in seen:
                seen.append(v)
    return seen


def lifecycle_graph(info: TransitionsInfo) -> nx.MultiDiGraph:
    """The lifecycle of one transitions block (see the module docstring)."""
    g = nx.MultiDiGraph(name=f"lifecycle_{info.var}", var=info.var)
    for v in _all_values(info):
        g.add_node(value_name(info, v), value=v, label=value_name(info, v))
    for src, dst, writers in info.edges:
        g.add_edge(value_name(info, src), value_name(info, dst), writers=tuple(writers), label=", ".join(writers))
    return g


def initial_values(system: System, var: str) -> set[Value] | None:
    """The values `var` (or any key of it, for maps) may hold in the initial state; None
    when that is not known from literals (then any value may be initial)."""
    try:
        sv = system.var(var)
    except KeyError:
        return None
    if not isinstance(sv.init, t.Lit):
        return None
    values: set[Value] = {sv.init.value}
    if not _init_writes(system.init, var, values):
        return None
    return values


def _init_writes(body: tuple[t.TStmt, ...], var: str, out: set[Value]) -> bool:
    """Add the literals the init block writes to `var`; False if a write is not a literal."""
    for s in t.walk_stmts(body):
        match s:
            case t.SAssign(var=v, value=x) | t.SStore(var=v, value=x) | t.SFill(var=v, value=x):
                if v == var:
                    if not isinstance(x, t.Lit):
                        return False
                    out.add(x.value)
            case t.SHavoc(var=v):
                if v == var and not s.local:
                    return False
            case t.SIf() | t.SLet() | t.SRequire() | t.SAssert() | t.SGoto() | t.SDone() | t.SLock() | t.STry() \
                    | t.SBugOn() | t.SRcu():
                pass
            case _:
                assert_never(s)
    return True


def unreachable_states(system: System, info: TransitionsInfo) -> list[str]:
    """States of the lifecycle no path reaches from an initial value (declaration order)."""
    roots = initial_values(system, info.var)
    if roots is None:
        return []
    g = lifecycle_graph(info)
    reached: set[str] = set()
    for r in roots:
        name = value_name(info, r)
        if name in g:
            reached.add(name)
            reached |= nx.descendants(g, name)
    return [value_name(info, v) for v in _all_values(info) if value_name(info, v) not in reached]


def lifecycle_warnings(system: System) -> list[Diagnostic]:
    """ZC901 for each state of an enum lifecycle unreachable from the initial value."""
    out: list[Diagnostic] = []
    for info in system.lifecycles:
        if not isinstance(info.value_type, EnumT):
            continue
        roots = initial_values(system, info.var)
        if roots is None:
            continue
        start = ", ".join(value_name(info, v) for v in sorted(roots, key=int))
        for state in unreachable_states(system, info):
            out.append(Diagnostic(
                "ZC901",
                f"state `{state}` of `{info.var}` is unreachable from the initial value {start} "
                f"in the transitions graph",
                info.span, "warning",
                (f"no chain of listed edges leads from {start} to {state}",),
            ))
    return out


def untaken_edges(system: System, traces: Iterable[Trace], depth: int | None = None,
                  per_writer: bool = False) -> list[Diagnostic]:
    """ZC902 for each listed edge no step of `traces` takes.

    An edge (src -> dst) is taken when a step changes the variable (or one key of a map)
    from src to dst. With `per_writer`, each (edge, writer) pair must be taken by a step of
    that writer, and every one that is not is reported."""
    traces = list(traces)
    writer_of = {tr.name: tr.writer for tr in system.transitions}
    out: list[Diagnostic] = []
    for info in system.lifecycles:
        taken: set[tuple[Value, Value, str]] = set()
        for trace in traces:
            for i, step in enumerate(trace.steps, start=1):
                before, after = trace.state(i - 1), trace.state(i)
                if info.var not in before or info.var not in after:
                    continue
                writer = writer_of.get(step.transition, _strip_instance(step.transition))
                for a, b in _changes(before[info.var], after[info.var]):
                    taken.add((_norm(info, a), _norm(info, b), writer))
        pairs = {(a, b) for a, b, _ in taken}
        up_to = f" up to depth {depth}" if depth is not None else ""
        n = f"{len(traces)} trace{'s' if len(traces) != 1 else ''}"
        for src, dst, writers in info.edges:
            edge = f"{value_name(info, src)} -> {value_name(info, dst)}"
            key = (_norm(info, src), _norm(info, dst))
            if per_writer:
                for w in writers:
                    if key + (w,) not in taken:
                        out.append(Diagnostic(
                            "ZC902", f"edge `{edge}` of `{info.var}` was never taken by `{w}` in {n}{up_to}",
                            info.span, "warning"))
            elif key not in pairs:
                out.append(Diagnostic(
                    "ZC902", f"edge `{edge}` of `{info.var}` ({', '.join(writers)}) was never taken in {n}{up_to}",
                    info.span, "warning"))
    return out


def _norm(info: TransitionsInfo, v: Value) -> Value:
    return bool(v) if isinstance(info.value_type, BoolT) else int(v)


def _changes(old: object, new: object) -> list[tuple[Value, Value]]:
    if isinstance(old, PMap) and isinstance(new, PMap):
        return sorted({(a, b) for _, _, a, b in diff(old, new)}, key=lambda p: (int(p[0]), int(p[1])))
    if old != new and isinstance(old, (int, bool)) and isinstance(new, (int, bool)):
        return [(old, new)]
    return []


_INSTANCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[\d+\]\.(.+)$")


def _strip_instance(name: str) -> str:
    """`walker[1].read` -> `walker.read`; other names unchanged."""
    m = _INSTANCE.match(name)
    return f"{m.group(1)}.{m.group(2)}" if m else name


# ---------------------------------------------------------------- dependencies


def group_var(name: str) -> str:
    """`walker[1].ok` -> `walker[].ok` (per-instance process variables); globals unchanged."""
    m = _INSTANCE.match(name)
    return f"{m.group(1)}[].{m.group(2)}" if m else name


def _restates_write(prop: str) -> bool:
    """Assert sites lowering adds after a write, which mention only the written variable."""
    return prop.startswith("transitions(") or ".range@" in prop


def body_accesses(body: tuple[t.TStmt, ...], reads: set[str], writes: set[str]) -> None:
    """Add the state variables `body` reads (guards included) and writes; the assert
    sites that restate a write (lifecycle and range checks) are not reads."""
    accesses(body, lambda prop: not _restates_write(prop), reads, writes)


def dependency_graph(system: System, include_pc: bool = False) -> nx.DiGraph:
    """Transitions (per writer) and state variables, with read and write edges."""
    g = nx.DiGraph(name="deps")
    locks = {name for name, _ in system.lock_owners}
    shown: set[str] = set()
    for sv in system.vars:
        if sv.hidden or (sv.exact_domain and not include_pc):
            continue
        node = group_var(sv.name)
        kind = "lock" if sv.name in locks else ("pc" if sv.exact_domain else
                                                 ("local" if node != sv.name else "var"))
        shown.add(sv.name)
        g.add_node(node, kind=kind, label=node, shape="ellipse")
    for tr in system.transitions:
        kind = "step" if "." in tr.writer else "action"
        g.add_node(tr.writer, kind=kind, label=tr.writer, shape="box")
        reads: set[str] = set()
        writes: set[str] = set()
        body_accesses(tr.body, reads, writes)
        for v in sorted(reads & shown):
            g.add_edge(group_var(v), tr.writer, kind="read", style="dashed")
        for v in sorted(writes & shown):
            g.add_edge(tr.writer, group_var(v), kind="write", style="solid")
    return g


# ---------------------------------------------------------------- processes, locks, actions


def process_graph(system: System, include_pc: bool = False,
                  analysis: LockAnalysis | None = None) -> tuple[nx.MultiDiGraph, list[Cluster]]:
    """The dependency graph drawn in boxes (see the module docstring): one per process
    with its steps in order, one per set of variables global actions write; locks are
    shared nodes with the steps' acquire / release edges."""
    analysis = analysis if analysis is not None else analyse(system)
    deps = dependency_graph(system, include_pc)
    lock_nodes = _lock_var_nodes(system)
    g = nx.MultiDiGraph(name="deps")
    clusters = _process_clusters(system, analysis, g) + _action_clusters(analysis, deps, lock_nodes, g)
    for lk in system.locks:
        size = f"[{lk.count}]" if lk.count is not None else ""
        g.add_node(lk.name, kind="lock", label=f"{lk.name}{size}\n{lk.kind}", shape="box", style="rounded,bold")
    for n, d in deps.nodes(data=True):
        if d["kind"] in ("step", "action") or n in lock_nodes:
            continue
        proc = _process_of(str(n)) if d["kind"] in ("local", "pc") else None
        g.add_node(n, **d, **({"cluster": f"cluster_process_{proc}", "order": LOCALS_LAST} if proc else {}))
    for u, v, d in deps.edges(data=True):
        if u not in lock_nodes and v not in lock_nodes:
            g.add_edge(u, v, **d)
    for step in analysis.steps:
        _lock_edges(step, {lk.name: lk.kind for lk in system.locks}, g)
    return g, clusters


def _lock_edges(step: StepLocks, kinds: dict[str, str], g: nx.MultiDiGraph) -> None:
    """One edge from the step to each lock it uses, labelled with its lock statements in
    order (`down_write, up_write`): bold when it waits for the lock, dashed for a trylock,
    dotted when it only releases."""
    for lock in dict.fromkeys(e.lock for e in step.events):
        events = [e for e in step.events if e.lock == lock]
        ops = {e.op for e in events}
        style = "bold" if LockOp.ACQUIRE in ops else ("dashed" if LockOp.TRY in ops else "dotted")
        g.add_edge(step.writer, lock, kind="lock", ops=tuple(e.op for e in events), style=style,
                   label=", ".join(e.verb(kinds[lock]) for e in events),
                   color="gray40" if ops == {LockOp.RELEASE} else "darkgreen")


LOCALS_LAST = 1 << 20  # a process's variables are listed after its steps


def _lock_var_nodes(system: System) -> set[str]:
    """The dependency graph's nodes for lock state (owners and read counters)."""
    names = {lk.name for lk in system.locks} | {read_counter(lk.name, o) for lk in system.locks for o in lk.readers}
    return {group_var(n) for n in names}


def _process_of(node: str) -> str | None:
    """`walker[].ok` -> `walker`."""
    head, sep, _ = node.partition("[].")
    return head if sep else None


def _process_clusters(system: System, analysis: LockAnalysis, g: nx.MultiDiGraph) -> list[Cluster]:
    """A box per process: its steps in declaration order, joined by the moves of the pc
    (and to `done` / `crashed` when a step ends the instance there)."""
    counts: dict[str, set[str]] = {}
    for tr in system.transitions:
        if "." in tr.writer:
            counts.setdefault(tr.writer.split(".")[0], set()).add(tr.name.split(".")[0])
    clusters = []
    for proc, instances in counts.items():
        cid = f"cluster_process_{proc}"
        many = f"[{len(instances)}]" if len(instances) > 1 else ""
        clusters.append(Cluster(cid, f"process {proc}{many}", "rounded"))
        steps = [s for s in analysis.steps if s.process == proc]
        for i, s in enumerate(steps):
            label = s.writer[len(proc) + 1:]
            extra = {} if s.reached else {"style": "dashed", "color": "gray", "fontcolor": "gray",
                                          "tooltip": "no path of the code reaches this step"}
            g.add_node(s.writer, kind="step", label=label, shape="box", cluster=cid, order=i, **extra)
        for s in steps:
            for n in s.next:
                target = n if n not in ("done", "crashed") else f"{proc}:{n}"
                if n in ("done", "crashed"):
                    g.add_node(target, kind=n, label=n, shape="plain" if n == "done" else "octagon",
                               cluster=cid, order=len(steps) + (n == "crashed"),
                               **({"color": "red", "fontcolor": "red"} if n == "crashed" else {}))
                g.add_edge(s.writer, target, kind="next", color="gray50", style="bold", weight=4)
    return clusters


def _action_clusters(analysis: LockAnalysis, deps: nx.DiGraph, lock_nodes: set[str],
                     g: nx.MultiDiGraph) -> list[Cluster]:
    """Global actions boxed by the set of (non-lock) variables they write."""
    by_writes: dict[tuple[str, ...], list[str]] = {}
    for s in analysis.steps:
        if s.process is None:
            writes = tuple(sorted(str(v) for _, v, d in deps.out_edges(s.writer, data=True)
                                  if d["kind"] == "write" and v not in lock_nodes))
            by_writes.setdefault(writes, []).append(s.writer)
    clusters = []
    for i, (writes, actions) in enumerate(sorted(by_writes.items())):
        cid = f"cluster_writes_{i}"
        clusters.append(Cluster(cid, f"actions writing {', '.join(writes)}" if writes else "actions writing nothing",
                                "dashed"))
        for j, a in enumerate(actions):
            g.add_node(a, kind="action", label=a, shape="box", cluster=cid, order=j)
    return clusters


# ---------------------------------------------------------------- DOT


def lifecycle_dot(system: System, info: TransitionsInfo) -> str:
    """One lifecycle: initial states drawn with a double border, unreachable ones dashed."""
    g = lifecycle_graph(info)
    roots = initial_values(system, info.var)
    if roots is not None:
        for r in roots:
            name = value_name(info, r)
            if name in g:
                g.nodes[name]["peripheries"] = 2
    if isinstance(info.value_type, EnumT):
        for state in unreachable_states(system, info):
            g.nodes[state].update(style="dashed", color="gray", fontcolor="gray", tooltip="unreachable")
    return graph_to_dot(f"lifecycle_{info.var}", g, {"rankdir": "LR", "label": f"transitions {info.var}"})


class View(Enum):
    """What `zcheck graph` draws."""

    ALL = "all"  # every lifecycle, then the processes and locks
    LIFECYCLES = "lifecycles"  # one graph per `transitions` block
    DEPS = "deps"  # processes, locks and actions with what they read and write
    LOCK_ORDER = "lock-order"  # the lock classes and the orders lockdep records


def dot_graphs(system: System, view: View = View.ALL, include_pc: bool = False) -> list[str]:
    """The DOT text of each graph of `view`, in order (each one `digraph`)."""
    match view:
        case View.ALL:
            return dot_graphs(system, View.LIFECYCLES) + dot_graphs(system, View.DEPS, include_pc)
        case View.LIFECYCLES:
            return [lifecycle_dot(system, info) for info in system.lifecycles]
        case View.DEPS:
            g, clusters = process_graph(system, include_pc)
            return [graph_to_dot("deps", g, {"rankdir": "LR", "compound": "true"}, clusters)]
        case View.LOCK_ORDER:
            return [lock_order_dot(system)]
        case _:
            assert_never(view)


def to_dot(system: System, include_pc: bool = False, view: View = View.ALL) -> str:
    """The graphs of `view` as one DOT text (by default every lifecycle, in declaration
    order, then the processes and locks)."""
    return "".join(dot_graphs(system, view, include_pc))


def untaken_edge_warnings(system: System, depth: int, timeout: float | None) -> list[Diagnostic]:
    """ZC902 for every lifecycle edge that no trace of up to `depth` steps takes (exact,
    by BMC); edges left undecided when time runs out are not reported."""
    from zcheck.checker.edges import edge_coverage

    infos = {info.var: info for info in system.lifecycles}
    out = []
    for e in edge_coverage(system, depth, timeout):
        if e.taken_at is None and e.decided:
            info = infos[e.var]
            writers = next(w for a, b, w in info.edges if (a, b) == (e.src, e.dst))
            out.append(Diagnostic(
                "ZC902", f"edge `{value_name(info, e.src)} -> {value_name(info, e.dst)}` of `{e.var}` "
                f"({', '.join(writers)}) is never taken in traces of up to {depth} steps", info.span, "warning"))
    return out
