"""`zcheck graph` for models with processes and locks: the process / lock / action boxes
of the deps view (its DOT parsed with pydot, not matched as text), the lock facts of
lockgraph.py, the lock-order graph and its cycles, and SVG with and without graphviz."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pydot
import pytest

from zcheck import api
from zcheck.graph import View, dot_graphs, to_dot
from zcheck.lockgraph import LockOp, analyse, lock_order_graph
from zcheck.spec import typed as t
from zcheck.spec.frontend import check_file
from zcheck.system.ir import System

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "models" / "memory_block_locks.zdl"
WALKER = ROOT / "models" / "pfn_walker_toctou.zdl"

AB_BA = """
model ab_ba
lock a
lock b
var x: int = 0
process one {
  step take_a { acquire a }
  step take_b { acquire b; x := x + 1 }
  step drop { release b; release a }
}
process two {
  step take_b { acquire b }
  step take_a { acquire a; x := x - 1 }
  step drop { release a; release b }
}
"""

# Every lock statement, in processes and in an action; no condition is a constant, so
# every statement is on some path (and must be found).
EVERY_STATEMENT = """
model every
lock m
lock arr[2]
rwsem s
var x: int = 0
process p[2](i: 0 .. 2) {
  var got: bool = false
  step a { acquire m; down_read s }
  step b { if try_acquire arr[i] { got := true } }
  step c { if got { release arr[i] }; up_read s; release m }
  step d { if down_write_trylock s { up_write s } else { if down_read_trylock s { up_read s } } }
  step e { down_write s; acquire arr[0]; acquire arr[1] nested; release arr[1]; release arr[0]; up_write s }
}
action env_op() { acquire m; x := x + 1; release m }
"""


@dataclass(frozen=True)
class Dot:
    """A parsed DOT graph: clusters (name -> label, node names in order), free nodes,
    edges (tail, head, attributes), graph attributes; every name unquoted."""

    clusters: dict[str, tuple[str, list[str]]]
    nodes: dict[str, dict[str, str]]  # every node, in a cluster or not
    free: list[str]  # nodes outside every cluster
    edges: list[tuple[str, str, dict[str, str]]]
    attrs: dict[str, str]


def _unq(s: str) -> str:
    s = str(s)
    return s[1:-1].replace('\\"', '"').replace("\\\\", "\\") if s.startswith('"') and s.endswith('"') else s


def _attrs(d: dict[str, object]) -> dict[str, str]:
    return {k: _unq(str(v)) for k, v in d.items()}


def parse(text: str) -> list[Dot]:
    out = []
    for g in pydot.graph_from_dot_data(text) or []:
        clusters: dict[str, tuple[str, list[str]]] = {}
        nodes: dict[str, dict[str, str]] = {}
        for sub in g.get_subgraphs():
            names = [_unq(n.get_name()) for n in sub.get_nodes() if _unq(n.get_name()) not in ("node", "graph", "edge")]
            clusters[_unq(sub.get_name())] = (_unq(sub.get_label() or ""), names)
            nodes.update({_unq(n.get_name()): _attrs(n.get_attributes()) for n in sub.get_nodes()})
        free = [_unq(n.get_name()) for n in g.get_nodes() if _unq(n.get_name()) not in ("node", "graph", "edge")]
        nodes.update({_unq(n.get_name()): _attrs(n.get_attributes()) for n in g.get_nodes()})
        edges = [(_unq(e.get_source()), _unq(e.get_destination()), _attrs(e.get_attributes())) for e in g.get_edges()]
        out.append(Dot(clusters, nodes, free, edges, _attrs(g.get_attributes())))
    return out


def build(path: Path | str, **defines: str) -> System:
    return api.build(str(path), defines)


def model(tmp_path: Path, text: str) -> System:
    spec = tmp_path / "m.zdl"
    spec.write_text(text)
    return api.build(str(spec))


def deps(system: System) -> Dot:
    (g,) = parse(to_dot(system, view=View.DEPS))
    return g


def lock_edges(g: Dot) -> dict[tuple[str, str], str]:
    locks = {n for n, a in g.nodes.items() if "rounded" in a.get("style", "") and n in g.free}
    return {(u, v): a.get("label", "") for u, v, a in g.edges if v in locks}


# ---------------------------------------------------------------- the deps view


def test_memory_block_locks_one_box_per_process_with_its_steps_in_order() -> None:
    g = deps(build(LOCKS))
    procs = {name: c for name, c in g.clusters.items() if name.startswith("cluster_process_")}
    assert set(procs) == {f"cluster_process_{p}" for p in ("udev", "balloon", "eject", "reader")}
    label, members = procs["cluster_process_eject"]
    assert label == "process eject"
    assert [m for m in members if m.startswith("eject.")] == ["eject.lock", "eject.check", "eject.drain",
                                                             "eject.arch_remove"]
    _, udev = procs["cluster_process_udev"]
    assert [m for m in udev if m.startswith("udev.")] == [
        "udev.open", "udev.lock", "udev.hotplug_begin", "udev.dev_lock", "udev.memory_block_change_state.check",
        "udev.memory_block_change_state.pages", "udev.memory_block_change_state.finish", "udev.unlock"]
    assert "udev[].b" in udev and "reader[].seen" in procs["cluster_process_reader"][1]  # its own variables
    # the pc's moves: in order, the restart of a failed trylock, and the ends
    moves = {(u, v) for u, v, a in g.edges if a.get("color") == "gray50"}
    assert {("eject.lock", "eject.check"), ("eject.check", "eject.drain"), ("eject.check", "eject:done"),
            ("udev.lock", "udev.open"), ("reader.use", "reader:crashed")} <= moves
    # ERA = V3_19: store_mem_state() does not take mem_hotplug_lock; the step is drawn, dashed
    assert g.nodes["udev.hotplug_begin"]["style"] == "dashed" and "style" not in g.nodes["udev.dev_lock"]


def test_memory_block_locks_locks_are_shared_nodes_with_acquire_and_release_edges() -> None:
    g = deps(build(LOCKS))
    locks = {"device_hotplug", "device_lock", "mem_hotplug", "kn_active"}
    assert locks <= set(g.free)  # outside every box
    assert g.nodes["device_lock"]["label"] == "device_lock[2]\\nmutex"
    assert g.nodes["kn_active"]["label"] == "kn_active[2]\\nrwsem"
    got = lock_edges(g)
    assert got[("udev.open", "kn_active")] == "down_read_trylock"
    assert got[("udev.lock", "device_hotplug")] == "try_acquire"
    assert got[("balloon.probe", "device_lock")] == "acquire, release"
    assert got[("eject.drain", "kn_active")] == "down_write, up_write"
    assert got[("reader.get", "mem_hotplug")] == "down_read" and got[("reader.use", "mem_hotplug")] == "up_read"
    assert got[("udev.unlock", "kn_active")] == "up_read"
    # lock state is the lock's node, never a variable of its own
    assert not any("read[" in n or n.startswith("lockdep.") for n in g.nodes)
    assert not any(v in locks and a.get("style") in ("solid", "dashed") and "label" not in a for _, v, a in g.edges)


def test_pfn_walker_actions_boxed_by_what_they_write_and_the_walkers_by_process() -> None:
    g = deps(build(WALKER, WALKER="GET_ONLINE_MEMS"))
    boxes = {label: members for label, members in g.clusters.values()}
    assert boxes["actions writing memmap, state"] == ["add_memory", "online_pages", "offline_pages"]
    assert boxes["actions writing memmap, nr_removed, state"] == ["remove_memory"]
    assert boxes["process walker[2]"][:2] == ["walker.lookup", "walker.read"]
    got = lock_edges(g)
    assert got[("walker.lookup", "mem_hotplug")] == "down_read" and got[("walker.read", "mem_hotplug")] == "up_read"
    assert got[("remove_memory", "mem_hotplug")] == "down_write, up_write"
    assert {("memmap", "walker.read"), ("walker.read", "nr_reads")} <= {(u, v) for u, v, _ in g.edges}
    # ONLINE_PAGE (the default): the walkers take no lock
    assert not any(u.startswith("walker.") for u, _ in lock_edges(deps(build(WALKER))))


def test_the_default_view_is_lifecycles_then_the_process_graph() -> None:
    graphs = parse(to_dot(build(WALKER)))
    assert len(graphs) == 3  # transitions memmap, transitions state, deps
    assert graphs[2].clusters and not graphs[0].clusters
    assert to_dot(build(WALKER)) == to_dot(build(WALKER))


def test_every_lock_statement_is_recognised_after_lowering(tmp_path: Path) -> None:
    """Each lock statement of the source is one event of its step (or action), in
    order: the shapes lowering gives them (system/threads.py) are the ones lockgraph.py
    reads."""
    spec = tmp_path / "every.zdl"
    spec.write_text(EVERY_STATEMENT)
    checked = check_file(str(spec))
    expected: dict[str, list[tuple[str, str]]] = {}
    for p in checked.processes:
        for st in p.steps:
            expected[f"{p.name}.{st.label}"] = _statements(st.body)
    for a in checked.actions:
        expected[a.name] = _statements(a.body)
    system = api.build(str(spec))
    kinds = {lk.name: lk.kind for lk in system.locks}
    got = {s.writer: [(e.verb(kinds[e.lock]), e.lock) for e in s.events] for s in analyse(system).steps}
    assert got == expected
    nested = {(e.lock, e.nested) for s in analyse(system).steps for e in s.events if e.op == LockOp.ACQUIRE}
    assert ("arr", True) in nested and ("arr", False) in nested and ("m", False) in nested


def _statements(body: tuple[t.TStmt, ...]) -> list[tuple[str, str]]:
    return [(s.op, s.lock) for s in t.walk_stmts(body) if isinstance(s, (t.SLock, t.STry))]


def test_a_failed_trylock_path_does_not_hold_the_lock() -> None:
    """udev's `if !try_acquire device_hotplug { up_read ...; goto open }`: the path back
    to `open` is the one where the trylock failed, so `open` starts with nothing held."""
    steps = {s.writer: s for s in analyse(build(LOCKS)).steps}
    assert steps["udev.open"].held == frozenset()
    assert steps["udev.dev_lock"].held == {"device_hotplug", "kn_active"}
    assert steps["reader.use"].held == {"mem_hotplug"}


# ---------------------------------------------------------------- the lock-order graph


def test_ab_ba_inversion_is_a_cycle(tmp_path: Path) -> None:
    system = model(tmp_path, AB_BA)
    g = lock_order_graph(system)
    assert g.graph["cycles"] == [["a", "b"]]
    assert {(u, v): d["writers"] for u, v, d in g.edges(data=True)} == {("a", "b"): ("one.take_b",),
                                                                         ("b", "a"): ("two.take_a",)}
    (dot,) = parse(to_dot(system, view=View.LOCK_ORDER))
    assert set(dot.nodes) == {"a", "b"}
    assert {(u, v, a["color"], a["label"]) for u, v, a in dot.edges} == {("a", "b", "red", "one.take_b"),
                                                                         ("b", "a", "red", "two.take_a")}
    assert "inversion: a -> b -> a" in dot.attrs["label"]


def test_one_order_everywhere_has_no_cycle(tmp_path: Path) -> None:
    system = model(tmp_path, AB_BA.replace("step take_b { acquire b }\n  step take_a { acquire a; x := x - 1 }",
                                          "step take_a { acquire a }\n  step take_b { acquire b; x := x - 1 }"))
    g = lock_order_graph(system)
    assert g.graph["cycles"] == [] and set(g.edges()) == {("a", "b")}
    (dot,) = parse(to_dot(system, view=View.LOCK_ORDER))
    assert "no cycle" in dot.attrs["label"] and all("color" not in a for _, _, a in dot.edges)


def test_a_second_lock_of_a_class_is_a_cycle_unless_nested(tmp_path: Path) -> None:
    text = ("model twice\nlock arr[2]\nvar x: int = 0\n"
            "process p { step s { acquire arr[0]; acquire arr[1]NESTED; x := 1; release arr[1]; release arr[0] } }\n")
    plain = lock_order_graph(model(tmp_path, text.replace("NESTED", "")))
    assert plain.graph["cycles"] == [["arr"]]
    nested = lock_order_graph(model(tmp_path, text.replace("NESTED", " nested")))
    assert nested.graph["cycles"] == [] and [d["nested"] for _, _, d in nested.edges(data=True)] == [True]


def test_a_lock_an_action_leaves_held_orders_the_next_actions(tmp_path: Path) -> None:
    """The global actions share one owner (env): `a` taken by one action is still held
    when another takes `b` (`zcheck verify -p lockdep` finds the inversion at depth 3).
    Taking a held single lock again cannot happen (it waits), so no self-loop."""
    system = model(tmp_path, """model envlocks
lock a
lock b
var x: int = 0
action take_a() { acquire a }
action take_b_under_a() { acquire b; x := x + 1; release b }
action drop_a() { release a }
process p { step s { acquire b; acquire a; x := 2; release a; release b } }
""")
    g = lock_order_graph(system)
    assert g.graph["cycles"] == [["a", "b"]]
    assert {(u, v): d["writers"] for u, v, d in g.edges(data=True)} == {("a", "b"): ("take_b_under_a",),
                                                                         ("b", "a"): ("p.s",)}
    steps = {s.writer: s for s in analyse(system).steps}
    assert steps["drop_a"].held == {"a"} and steps["p.s"].held == frozenset()


@pytest.mark.parametrize("defines, inversions", [
    ({"ERA": "V5_6"}, [["device_lock", "mem_hotplug"]]),  # `check lockdep with ERA = V5_6 expect violated`
    ({"ERA": "V5_6", "ADD": "false"}, []),  # `check lockdep with ERA = V5_6, ADD = false expect proved`
    ({"ERA": "V5_5", "ADD": "false"}, [["device_lock", "mem_hotplug", "kn_active"], ["kn_active", "mem_hotplug"]]),
])
def test_memory_block_locks_lock_order_follows_the_era(defines: dict[str, str], inversions: list[list[str]]) -> None:
    """The constants fold: what the model's `check lockdep` directives say per era."""
    assert lock_order_graph(build(LOCKS, **defines)).graph["cycles"] == inversions


# ---------------------------------------------------------------- the command


def zcheck(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def _without_dot(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has the Python interpreter but no graphviz."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    return {**os.environ, "PATH": str(bin_dir), "PYTHONPATH": str(ROOT)}


def test_cli_lock_order_view(tmp_path: Path) -> None:
    spec = tmp_path / "ab.zdl"
    spec.write_text(AB_BA)
    done = zcheck("graph", str(spec), "--view", "lock-order")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(dot_graphs(model(tmp_path, AB_BA), View.LOCK_ORDER))
    assert done.stdout.startswith("digraph lock_order {")


def test_cli_svg_without_graphviz_writes_dot_and_says_so(tmp_path: Path) -> None:
    env = _without_dot(tmp_path)
    out = tmp_path / "g.svg"
    done = zcheck("graph", str(WALKER), "-o", str(out), env=env)
    assert done.returncode == 0 and "warning[ZC907]" in done.stderr and "g.dot" in done.stderr
    assert not out.exists() and (tmp_path / "g.dot").read_text().startswith("digraph lifecycle_memmap {")
    done = zcheck("graph", str(WALKER), "--format", "svg", "--view", "deps", env=env)
    assert done.returncode == 0 and "warning[ZC907]" in done.stderr and done.stdout.startswith("digraph deps {")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")
def test_cli_svg_with_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "g.svg"
    done = zcheck("graph", str(LOCKS), "-o", str(out))
    assert done.returncode == 0 and "ZC907" not in done.stderr
    root = ET.parse(out).getroot()  # one document: the lifecycles and the deps stacked
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {el.text for el in root.iter("{http://www.w3.org/2000/svg}title")}
    assert {"cluster_process_udev", "device_lock", "udev.dev_lock"} <= titles
    done = zcheck("graph", str(LOCKS), "--view", "lock-order", "--format", "svg")
    assert done.returncode == 0 and ET.fromstring(done.stdout.encode()).tag.endswith("svg")
