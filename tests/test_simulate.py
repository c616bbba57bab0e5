"""`zcheck simulate`: random runs on the concrete evaluator.

Each test runs the real command line (`zcheck.cli.main`) on a small model written to
tmp_path and checks the exit code and the report. The whole file runs in a few seconds.
"""

from __future__ import annotations

import random

import pytest

from zcheck import api
from zcheck.cli import main
from zcheck.simulate import _Values, simulate, witnesses
from zcheck.system.evaluate import Env
from zcheck.system.pmap import PMap

# The complete small model of ZDL.md section 11.
SEED_MODEL = """\
model zone_device_max_pfn
const SECTION: int = 0x8000
const BOOT_END: int = 0x40000
const SKIP_DEVICE_MAXPFN: bool = true
enum zone_t { NONE, NORMAL, DEVICE }
var max_pfn: int = BOOT_END
var zone_of: map[int] zone_t = NONE
var buddy: map[int] bool = false
init {
  zone_of[0 .. BOOT_END] := NORMAL
  buddy[0 .. BOOT_END] := true
}
fn free_range(s: int, e: int): bool = forall p in s .. e :: zone_of[p] == NONE
action add_ram(start: int, nr: int) {
  require nr > 0 && start >= 0 && start % SECTION == 0 && nr % SECTION == 0 && free_range(start, start + nr)
  zone_of[start .. start + nr] := NORMAL
  max_pfn := max(max_pfn, start + nr)
}
action add_dev(start: int, nr: int) {
  require nr > 0 && start >= 0 && start % SECTION == 0 && nr % SECTION == 0 && free_range(start, start + nr)
  zone_of[start .. start + nr] := DEVICE
  if !SKIP_DEVICE_MAXPFN { max_pfn := max(max_pfn, start + nr) }
}
invariant device_above_max_pfn: forall p: int :: zone_of[p] == DEVICE -> p >= max_pfn
invariant device_not_allocatable: forall p: int :: buddy[p] -> zone_of[p] != DEVICE
check device_above_max_pfn expect violated at 2
check device_not_allocatable expect proved
"""

COUNTER = """\
model counter
const LIMIT: int = 3
var n: int = 0
action inc() { n := n + 1 }
invariant below_limit: n < LIMIT
"""

# Invariants that hold: a wrapping counter, a bounded map write, a reachable cover.
SAFE = """\
model safe
enum colour { RED, GREEN, BLUE }
var n: 0 .. 4 = 0
var c: colour = RED
var seen: map[int] bool = false
action inc() { n := (n + 1) % 4 }
action paint(k: colour) { c := k }
action mark(p: int) { require p >= 0 && p < 8; seen[p] := true }
invariant n_in_range: n >= 0 && n < 4
invariant marks_in_range: forall p: int :: seen[p] -> p >= 0 && p < 8
cover blue: c == BLUE
cover never: n == 7
"""


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _simulate(capsys, path: str, *extra: str) -> tuple[int, str]:
    code = main(["simulate", path, *extra])
    out = capsys.readouterr()
    assert out.err == ""
    return code, out.out


def test_counter_violation_found(tmp_path, capsys):
    code, out = _simulate(capsys, _write(tmp_path, "counter.zdl", COUNTER), "--runs", "5")
    assert code == 1
    assert "below_limit: VIOLATED at depth 3" in out
    assert "inc()" in out
    assert "false: n < LIMIT" in out and "n = 3" in out


def test_seed_model_device_above_max_pfn(tmp_path, capsys):
    path = _write(tmp_path, "s.zdl", SEED_MODEL)
    code, out = _simulate(capsys, path, "--seed", "1")
    assert code == 1
    assert "VIOLATED     device_above_max_pfn" in out
    assert "device_above_max_pfn: VIOLATED" in out
    # the trace adds a device range, then RAM above it; the witness is a device pfn
    assert "add_dev(start = 0x" in out and "add_ram(start = 0x" in out
    assert "violation in state" in out and "with p = 0x" in out
    assert "false: p >= max_pfn" in out
    assert "device_not_allocatable: VIOLATED" not in out


def test_seed_model_found_for_several_seeds(tmp_path):
    system = api.build(_write(tmp_path, "s.zdl", SEED_MODEL))
    for seed in range(5):
        res = simulate(system, steps=10, runs=20, seed=seed)
        assert res.violation is not None, seed
        trace = res.violation.trace
        assert trace.prop == "device_above_max_pfn"
        assert [s.transition for s in trace.steps].count("add_dev") >= 1
        assert trace.steps[-1].transition == "add_ram"


def test_override_changes_the_model(tmp_path, capsys):
    # with add_dev raising max_pfn, the first device range is already a violation
    path = _write(tmp_path, "s.zdl", SEED_MODEL)
    code, out = _simulate(capsys, path, "--seed", "3", "--runs", "5", "-D", "SKIP_DEVICE_MAXPFN=false")
    assert code == 1
    assert "device_above_max_pfn: VIOLATED" in out
    res = simulate(api.build(path, {"SKIP_DEVICE_MAXPFN": "false"}), steps=20, runs=5, seed=3)
    assert res.violation is not None
    assert res.violation.trace.steps[-1].transition == "add_dev"
    assert [s.transition for s in res.violation.trace.steps].count("add_dev") == 1


def test_safe_model_exits_0(tmp_path, capsys):
    code, out = _simulate(capsys, _write(tmp_path, "safe.zdl", SAFE), "--runs", "20", "--steps", "10")
    assert code == 0
    assert "VIOLATED" not in out
    assert "REACHED      blue" in out
    assert "NOT REACHED  never" in out
    assert out.rstrip().endswith(
        "simulated 20 runs of up to 10 steps: no violation; covers reached: blue; deadlocks: none")


@pytest.mark.parametrize("text,name", [(SEED_MODEL, "s.zdl"), (SAFE, "safe.zdl")])
def test_same_seed_same_output(tmp_path, capsys, text, name):
    path = _write(tmp_path, name, text)
    first = _simulate(capsys, path, "--seed", "7", "--runs", "10", "--steps", "8")
    second = _simulate(capsys, path, "--seed", "7", "--runs", "10", "--steps", "8")
    assert first == second


def test_named_assert_and_witness(tmp_path, capsys):
    text = """\
model asserts
const SECTION: int = 0x200
var m: map[int] bool = false
action mark(p: int) {
  require p % SECTION == 0
  m[p .. p + SECTION] := true
  assert below: p + SECTION <= 0x400
}
"""
    code, out = _simulate(capsys, _write(tmp_path, "a.zdl", text), "--seed", "2", "--runs", "20")
    assert code == 1
    assert "below: VIOLATED" in out
    assert "violation in step" in out and "a.zdl:7" in out


def test_assert_before_failing_require_counts(tmp_path, capsys):
    # the assert is checked when the step reaches it, even if a later require blocks
    text = """\
model late_require
var x: int = 0
action a(p: int) {
  assert early: p != 3
  require false
}
"""
    code, out = _simulate(capsys, _write(tmp_path, "l.zdl", text), "--runs", "10")
    assert code == 1
    assert "early: VIOLATED at depth 1" in out
    assert "a(p = 3)" in out


def test_invariant_false_initially(tmp_path, capsys):
    text = "model z\nvar x: int = 5\naction a() { x := x + 1 }\ninvariant small: x < 3\n"
    code, out = _simulate(capsys, _write(tmp_path, "z.zdl", text))
    assert code == 1
    assert "small: VIOLATED at depth 0" in out
    assert "in run 1 at depth 0" in out


def test_symbolic_constant_and_assume(tmp_path, capsys):
    text = """\
model sym
const N: int
assume N > 2 && N < 50
var x: int = 0
action set(v: int) { require v >= 0 && v <= N; x := v }
invariant not_n: x != N
"""
    code, out = _simulate(capsys, _write(tmp_path, "sym.zdl", text), "--runs", "10")
    assert code == 1
    assert "constants: N = " in out
    assert "not_n: VIOLATED at depth 1" in out


def test_deadlock_is_a_note(tmp_path, capsys):
    text = "model d\nvar x: int = 0\naction a() { require x < 2; x := x + 1 }\ninvariant i: x <= 2\n"
    code, out = _simulate(capsys, _write(tmp_path, "d.zdl", text), "--runs", "3")
    assert code == 0
    assert "note: run 1 stopped at depth 2: deadlock: no transition is enabled" in out
    assert "deadlocks: 3 runs" in out


def test_unevaluable_property_is_a_note(tmp_path, capsys):
    text = """\
model e
var m: map[int] bool = false
action a(p: int) { require p >= 0 && p < 4; m[p] := true }
invariant odd: forall p: int :: m[p * 2] -> p < 100
"""
    code, out = _simulate(capsys, _write(tmp_path, "e.zdl", text), "--runs", "3", "--steps", "3")
    assert code == 0
    assert "note: `odd` could not be evaluated" in out


def test_no_initial_state_exits_3(tmp_path, capsys):
    text = "model n\nconst N: int\nassume N * N == 1234567\nvar x: int = 0\naction a() { x := 1 }\n"
    code, out = _simulate(capsys, _write(tmp_path, "n.zdl", text), "--runs", "2")
    assert code == 3
    assert "no initial state found" in out


def test_witnesses_follow_the_false_path(tmp_path):
    system = api.build(_write(tmp_path, "s.zdl", SEED_MODEL))
    prop = system.prop("device_above_max_pfn")
    state = {"max_pfn": 0x50000, "zone_of": PMap((0, 0x40000, 0x48000, 0x50000), (0, 1, 2, 1, 0)),
             "buddy": PMap((0, 0x40000), (False, True, False))}
    assert prop.expr is not None
    wits = witnesses(prop.expr, Env(state), negate=True)
    assert [(n, v) for n, _, v in wits] == [("p", 0x40000)]


def test_points_include_breakpoints_and_section_moves():
    values = _Values(random.Random(0), [0x8000, 0x40000])
    pts = values.points({"m": PMap((0x40000, 0x48000), (0, 2, 0)), "x": 7})
    assert {0, 0x8000, 0x40000, 0x48000, 7} <= set(pts.exact)
    assert {0x50000, 0x38000} <= set(pts.moved)
    assert {0x3ffff, 0x48001} <= set(pts.near)
