"""zcheck graph: lifecycle graphs, the dependency graph, DOT output, ZC901 and ZC902."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from zcheck import api
from zcheck.counterexamples.trace import Trace, TraceStep
from zcheck.diagnostics import NO_SPAN
from zcheck.graph import (
    dependency_graph, graph_to_dot, initial_values, lifecycle_graph, lifecycle_warnings, quote, to_dot,
    untaken_edges,
)
from zcheck.system.ir import System
from zcheck.system.pmap import PMap

ROOT = Path(__file__).resolve().parent.parent

LIFE = """
model life
enum memmap_t { UNINIT, INIT, POISONED, GONE }
var memmap: map[0 .. 4] memmap_t = UNINIT
var reserved: map[0 .. 4] bool = false
transitions memmap { UNINIT -> INIT: a  INIT -> POISONED: b }
transitions reserved { set: a  clear: b }
action a(p: 0 .. 4) { require memmap[p] == UNINIT; memmap[p] := INIT; reserved[p] := true }
action b(p: 0 .. 4) { require memmap[p] == INIT; memmap[p] := POISONED; reserved[p] := false }
cover poisoned: exists p: 0 .. 4 :: memmap[p] == POISONED
"""

TWO_ACTIONS = """
model two
var x: int = 0
var y: int = 0
var z: bool = false
action inc(n: 0 .. 3) { require !z; x := x + n }
action copy() { if x > 2 { y := x } else { z := true } }
invariant ok: y >= 0
"""

PROCESS = """
model procs
var m: map[0 .. 4] bool = false
var count: int = 0
lock big
process walker[2](p: 0 .. 4) {
  var seen: bool = false
  step look { acquire big; seen := m[p] }
  step done_ { if seen { count := count + 1 }; release big }
}
action setm(p: 0 .. 4) { m[p] := true }
"""


def build(tmp_path: Path, text: str, name: str = "m.zdl") -> System:
    spec = tmp_path / name
    spec.write_text(text)
    return api.build(str(spec))


def edges(g: nx.DiGraph) -> set[tuple[str, str]]:
    return set(g.edges())


# ---------------------------------------------------------------- lifecycles


def test_lifecycle_graph_of_enum_block(tmp_path: Path) -> None:
    system = build(tmp_path, LIFE)
    info = next(b for b in system.lifecycles if b.var == "memmap")
    g = lifecycle_graph(info)
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {"UNINIT", "INIT", "POISONED", "GONE"}
    assert g.nodes["POISONED"]["value"] == 2
    got = {(u, v, d["writers"]) for u, v, d in g.edges(data=True)}
    assert got == {("UNINIT", "INIT", ("a",)), ("INIT", "POISONED", ("b",))}
    assert initial_values(system, "memmap") == {0}


def test_lifecycle_graph_of_bool_flag(tmp_path: Path) -> None:
    system = build(tmp_path, LIFE)
    info = next(b for b in system.lifecycles if b.var == "reserved")
    g = lifecycle_graph(info)
    assert set(g.nodes) == {"false", "true"}
    got = {(u, v, d["label"]) for u, v, d in g.edges(data=True)}
    assert got == {("false", "true", "a"), ("true", "false", "b")}


def test_unreachable_enum_member_is_zc901_at_the_block(tmp_path: Path) -> None:
    system = build(tmp_path, LIFE)
    warnings = lifecycle_warnings(system)
    assert [w.code for w in warnings] == ["ZC901"]
    w = warnings[0]
    assert w.severity == "warning"
    assert "`GONE`" in w.message and "`memmap`" in w.message
    assert w.span.line == 6 and w.span.file.endswith("m.zdl")


def test_init_block_literal_adds_an_initial_value(tmp_path: Path) -> None:
    text = LIFE + "init { memmap[0] := GONE }\n"
    assert lifecycle_warnings(build(tmp_path, text)) == []


def test_unconstrained_initial_value_gives_no_warning(tmp_path: Path) -> None:
    system = build(tmp_path, LIFE + "init { memmap[0] := any memmap_t }\n")
    assert initial_values(system, "memmap") is None
    assert lifecycle_warnings(system) == []
    scalar = "model s\nenum e { A, B, C }\nvar s: e\ntransitions s { A -> B: go }\naction go() { s := B }\n"
    system = build(tmp_path, scalar, "s.zdl")
    assert initial_values(system, "s") is None
    assert lifecycle_warnings(system) == []


def test_fully_reachable_lifecycle_has_no_warning(tmp_path: Path) -> None:
    text = LIFE.replace("UNINIT, INIT, POISONED, GONE", "UNINIT, INIT, POISONED")
    assert lifecycle_warnings(build(tmp_path, text)) == []


# ---------------------------------------------------------------- DOT


def test_dot_contains_lifecycles_and_deps_and_is_deterministic(tmp_path: Path) -> None:
    first = to_dot(build(tmp_path, LIFE))
    second = to_dot(build(tmp_path, LIFE))
    assert first == second
    assert "digraph lifecycle_memmap {" in first
    assert "digraph lifecycle_reserved {" in first
    assert "digraph deps {" in first
    assert first.index("lifecycle_memmap") < first.index("lifecycle_reserved") < first.index("digraph deps")
    assert '"UNINIT" -> "INIT" [label="a"];' in first
    assert '"INIT" -> "POISONED" [label="b"];' in first
    assert '"false" -> "true" [label="a"];' in first
    assert '"GONE" [' in first and 'style="dashed"' in first  # unreachable, drawn dashed
    assert '"UNINIT" [label="UNINIT", peripheries="2"];' in first  # initial
    assert '"a" -> "memmap"' in first and '"memmap" -> "a"' in first


def test_dot_output_is_sorted_and_escaped() -> None:
    g = nx.DiGraph()
    g.add_node('z"q', label='z"q')
    g.add_node("a\\b", label="a\\b\nc")
    g.add_edge('z"q', "a\\b", label="w")
    text = graph_to_dot("odd name", g)
    assert text.startswith('digraph "odd name" {\n')
    lines = text.splitlines()
    assert lines[1] == '  "a\\\\b" [label="a\\\\b\\nc"];'
    assert lines[2] == '  "z\\"q" [label="z\\"q"];'
    assert lines[3] == '  "z\\"q" -> "a\\\\b" [label="w"];'
    assert quote('say "hi"') == '"say \\"hi\\""'


# ---------------------------------------------------------------- dependencies


def test_dependency_graph_two_actions(tmp_path: Path) -> None:
    g = dependency_graph(build(tmp_path, TWO_ACTIONS))
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "action"} == {"inc", "copy"}
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "var"} == {"x", "y", "z"}
    assert edges(g) == {
        ("z", "inc"), ("x", "inc"), ("inc", "x"),  # guard read, read-modify-write
        ("x", "copy"), ("copy", "y"), ("copy", "z"),  # if condition and value read x
    }
    assert g.edges["z", "inc"]["kind"] == "read" and g.edges["inc", "x"]["kind"] == "write"


def test_dependency_graph_with_process_groups_instances(tmp_path: Path) -> None:
    system = build(tmp_path, PROCESS)
    assert any(tr.name == "walker[1].look" for tr in system.transitions)
    g = dependency_graph(system)
    steps = {n for n, d in g.nodes(data=True) if d["kind"] == "step"}
    assert steps == {"walker.look", "walker.done_"}
    assert g.nodes["walker[].seen"]["kind"] == "local"
    assert g.nodes["big"]["kind"] == "lock"
    assert "walker[].pc" not in g and not any("[0]" in n or "[1]" in n for n in g)
    assert edges(g) == {
        ("setm", "m"),
        ("m", "walker.look"), ("walker[].p", "walker.look"), ("big", "walker.look"),
        ("walker.look", "walker[].seen"), ("walker.look", "big"),
        ("walker[].seen", "walker.done_"), ("count", "walker.done_"), ("big", "walker.done_"),
        ("walker.done_", "count"), ("walker.done_", "big"),
    }
    with_pc = dependency_graph(system, include_pc=True)
    assert with_pc.has_edge("walker[].pc", "walker.look") and with_pc.has_edge("walker.look", "walker[].pc")


def test_lifecycle_checks_inserted_by_lowering_are_not_reads(tmp_path: Path) -> None:
    text = LIFE.replace("require memmap[p] == INIT; ", "")
    g = dependency_graph(build(tmp_path, text))
    assert g.has_edge("b", "memmap") and not g.has_edge("memmap", "b")
    assert not g.has_edge("reserved", "a")


# ---------------------------------------------------------------- ZC902


def test_untaken_edges_from_a_decoded_trace(tmp_path: Path) -> None:
    text = LIFE.replace("INIT -> POISONED: b }", "INIT -> POISONED: b  POISONED -> GONE: c }")
    text += "action c(p: 0 .. 4) { require memmap[p] == POISONED; memmap[p] := GONE }\n"
    system = build(tmp_path, text)
    prop = system.prop("poisoned")
    run = api.verify_system(system, [prop], depth=3, engine="bmc")
    trace = run.results[0].trace
    assert trace is not None and trace.length == 2
    warnings = untaken_edges(system, [trace], depth=3)
    assert [w.code for w in warnings] == ["ZC902"]
    assert "POISONED -> GONE" in warnings[0].message and "up to depth 3" in warnings[0].message
    assert warnings[0].severity == "warning"
    assert len(untaken_edges(system, [])) == 5  # three memmap edges, two reserved edges


def _step(i: int, name: str, state: dict[str, object]) -> TraceStep:
    return TraceStep(i, name, (), (), NO_SPAN, state)  # type: ignore[arg-type]


def test_untaken_edges_per_writer_with_process_steps(tmp_path: Path) -> None:
    text = """
model w
enum st { A, B, C }
var s: st = A
var m: map[0 .. 4] bool = false
transitions s { A -> B: go, walker.run  B -> C: walker.run }
transitions m { set: go }
action go() { require s == A; s := B; m[1] := true }
process walker[2] { step run { if s == A { s := B } else { if s == B { s := C } } } }
"""
    system = build(tmp_path, text)
    m0, m1 = PMap.const(False), PMap.const(False).store(1, True)
    trace = Trace("x", "cover", "reached", {"s": 0, "m": m0}, {}, (
        _step(1, "go", {"s": 1, "m": m1}),
        _step(2, "walker[1].run", {"s": 2, "m": m1}),
    ), (), None, None)
    assert untaken_edges(system, [trace]) == []
    per = untaken_edges(system, [trace], per_writer=True)
    assert [w.message for w in per] == ["edge `A -> B` of `s` was never taken by `walker.run` in 1 trace"]


# ---------------------------------------------------------------- command line


def zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_cli_graph_prints_digraph_and_warns(tmp_path: Path) -> None:
    spec = tmp_path / "m.zdl"
    spec.write_text(LIFE)
    proc = zcheck("graph", str(spec))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("digraph lifecycle_memmap {")
    assert "digraph deps {" in proc.stdout
    assert "warning[ZC901]" in proc.stderr
    again = zcheck("graph", str(spec))
    assert again.stdout == proc.stdout


def test_cli_graph_writes_file_and_rejects_bad_input(tmp_path: Path) -> None:
    spec = tmp_path / "m.zdl"
    spec.write_text(PROCESS)
    out = tmp_path / "g.dot"
    proc = zcheck("graph", str(spec), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and out.read_text().startswith("digraph deps {")
    bad = tmp_path / "bad.zdl"
    bad.write_text("model bad\nvar x: int = true\n")
    assert zcheck("graph", str(bad)).returncode == 2
    assert zcheck("graph", str(spec), "-o", str(tmp_path / "missing" / "g.dot")).returncode == 2


@pytest.mark.parametrize("model", sorted((ROOT / "models").glob("*.zdl")), ids=lambda p: p.name)
def test_shipped_models_graph(model: Path) -> None:
    text = to_dot(api.build(str(model)))
    assert "digraph deps {" in text
