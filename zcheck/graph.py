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
- `to_dot(system)`: DOT text, one `digraph lifecycle_<var>` per transitions block (in
  declaration order) then `digraph deps`. Nodes, edges and attributes are sorted and
  every id and value is quoted and escaped, so the output is byte-identical across runs.
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
from typing import Iterable, assert_never

import networkx as nx

from zcheck.counterexamples.trace import Trace
from zcheck.diagnostics import Diagnostic
from zcheck.spec import typed as t
from zcheck.spec.checked import TransitionsInfo
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


# ---------------------------------------------------------------- DOT

_NODE_ATTRS = ("color", "fontcolor", "label", "peripheries", "shape", "style", "tooltip")
_EDGE_ATTRS = ("color", "fontcolor", "label", "style")
_GRAPH_ATTRS = ("label", "rankdir")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(text: object) -> str:
    """A DOT double-quoted string."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return f'"{s}"'


def _attrs(data: dict[str, object], allowed: tuple[str, ...]) -> str:
    items = [f"{k}={quote(data[k])}" for k in allowed if data.get(k) not in (None, "")]
    return f" [{', '.join(items)}]" if items else ""


def graph_to_dot(name: str, g: nx.DiGraph | nx.MultiDiGraph, graph_attrs: dict[str, object] | None = None) -> str:
    """Deterministic DOT text for `g` (nodes and edges sorted, everything quoted)."""
    gid = name if _ID.match(name) else quote(name)
    lines = [f"digraph {gid} {{"]
    for k, v in sorted((graph_attrs or {}).items()):
        if k in _GRAPH_ATTRS:
            lines.append(f"  {k}={quote(v)};")
    for node in sorted(g.nodes, key=str):
        lines.append(f"  {quote(node)}{_attrs(g.nodes[node], _NODE_ATTRS)};")
    edges = [(str(u), str(v), _attrs(d, _EDGE_ATTRS)) for u, v, d in g.edges(data=True)]
    for u, v, a in sorted(edges):
        lines.append(f"  {quote(u)} -> {quote(v)}{a};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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


def to_dot(system: System, include_pc: bool = False) -> str:
    """Every lifecycle (declaration order), then the dependency graph."""
    parts = [lifecycle_dot(system, info) for info in system.lifecycles]
    parts.append(graph_to_dot("deps", dependency_graph(system, include_pc), {"rankdir": "LR"}))
    return "".join(parts)


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
