"""The SPIN peer of the benchmarks (bench/spin/): the Promela twin of
models/section_hotplug.zdl is the same transition system as the ZDL model.

For NSECT = 4, BOOT = 1: pan's state count for the fixed twin is checked against a
small explicit-state BFS written here, straight from the ZDL text (independent of
bench/spin/promela.py), and the buggy twin's shortest counterexample against that
BFS and against zcheck's own verdict (device_not_allocatable VIOLATED at depth 2).
Needs ``spin`` and ``gcc`` (Debian: ``apt-get install spin``); skipped without them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest
from bench_modules import load, load_bench

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "section_hotplug.zdl"

ABSENT, RAM, DEVICE = 0, 1, 2


def _load(name: str):
    return load(f"bench/spin/{name}.py")


# --- the reference: models/section_hotplug.zdl as an explicit-state system ---------

def _initial(n: int, boot: int):
    kind = tuple(RAM if s < boot else ABSENT for s in range(n))
    reserved = (False,) * n
    buddy = tuple(s < boot for s in range(n))
    return kind, reserved, buddy


def _set(t: tuple, i: int, v) -> tuple:
    return t[:i] + (v,) + t[i + 1:]


def _successors(state, n: int, boot: int, bug: bool):
    kind, reserved, buddy = state
    for s in range(n):  # sect(s)
        if kind[s] == ABSENT:
            yield f"add_ram({s})", (_set(kind, s, RAM), _set(reserved, s, True), buddy)
            yield f"add_dev({s})", (_set(kind, s, DEVICE), _set(reserved, s, True), buddy)
        if reserved[s] and not buddy[s] and (kind[s] == RAM or (bug and kind[s] == DEVICE)):
            yield f"online({s})", (kind, _set(reserved, s, False), _set(buddy, s, True))
        if kind[s] == RAM and buddy[s] and s >= boot:
            yield f"offline({s})", (kind, _set(reserved, s, True), _set(buddy, s, False))
        if kind[s] == RAM and not buddy[s] and s >= boot:
            yield f"remove({s})", (_set(kind, s, ABSENT), _set(reserved, s, False), buddy)


def _violated(state) -> str | None:
    kind, reserved, buddy = state
    if any(b and k == DEVICE for k, b in zip(kind, buddy)):
        return "device_not_allocatable"
    if any(b and r for r, b in zip(reserved, buddy)):
        return "buddy_not_reserved"
    return None


def explore(n: int, boot: int, bug: bool):
    """BFS: (number of reachable states, shortest counterexample as a list of actions
    or None). Stops at the first violating state, as pan does."""
    init = _initial(n, boot)
    if _violated(init):
        return 1, []
    parent = {init: None}
    queue = deque([init])
    while queue:
        st = queue.popleft()
        for act, nxt in _successors(st, n, boot, bug):
            if nxt in parent:
                continue
            parent[nxt] = (st, act)
            if _violated(nxt):
                path = []
                cur = nxt
                while parent[cur] is not None:
                    cur, a = parent[cur]
                    path.append(a)
                return len(parent), path[::-1]
            queue.append(nxt)
    return len(parent), None


def test_reference_bfs_counts():
    # sections are independent: a non-boot section is ABSENT, RAM reserved, RAM in the
    # buddy or DEVICE reserved (and, with the bug, DEVICE in the buddy); boot RAM stays
    for n, boot in ((3, 1), (4, 1), (5, 2)):
        assert explore(n, boot, False) == (4 ** (n - boot), None)
    count, path = explore(4, 1, True)
    assert [a.split("(")[0] for a in path] == ["add_dev", "online"]


def test_promela_text_is_well_formed():
    pml = _load("promela").promela(4, 1, True)
    assert "byte kind[N];" in pml and "bool reserved[N];" in pml and "bool buddy[N];" in pml
    assert "#define BUG_ONLINE_DEVICE 1" in pml
    assert pml.count(":: add_dev(") == 4 and pml.count(":: remove(") == 4
    assert "#define BUG_ONLINE_DEVICE 0" in _load("promela").promela(4, 1, False)


# --- SPIN --------------------------------------------------------------------------

needs_spin = pytest.mark.skipif(
    shutil.which("spin") is None or shutil.which("gcc") is None, reason="spin (and gcc) not installed"
)


@needs_spin
def test_fixed_twin_has_the_reference_state_space(tmp_path):
    run_spin = _load("run_spin").run_spin
    reachable, cex = explore(4, 1, False)
    assert cex is None and reachable == 64
    r = run_spin(4, 1, False, search="dfs", time_cap_s=60, mem_cap_mb=1024, workdir=tmp_path)
    assert r["status"] == "ok", r["pan_stdout_tail"]
    assert r["errors"] == 0 and not r["depth_limited"]
    # pan also stores the state before the boot d_step (see bench/spin/promela.py)
    assert r["states_stored"] == reachable + 1
    assert r["spin_version"].startswith("Spin Version")


@needs_spin
def test_buggy_twin_shortest_trail_is_two_actions(tmp_path):
    run_spin = _load("run_spin").run_spin
    _, cex = explore(4, 1, True)
    r = run_spin(4, 1, True, search="bfs", time_cap_s=60, mem_cap_mb=1024, workdir=tmp_path)
    assert r["status"] == "violation", r["pan_stdout_tail"]
    assert r["violated"] == "device_not_allocatable"
    assert r["trail_actions"] == r["pan_depth"] == len(cex) == 2
    assert [a.split("(")[0] for a in r["trail"]] == ["add_dev", "online"]
    assert len({a.split("(")[1] for a in r["trail"]}) == 1  # the same section twice


def test_zcheck_agrees_on_the_buggy_model():
    out = subprocess.run(
        [sys.executable, "-m", "zcheck", "verify", str(MODEL), "-D", "NSECT=4", "-D", "BOOT=1",
         "-D", "BUG_ONLINE_DEVICE=true"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(r"^device_not_allocatable: VIOLATED at depth 2$", out.stdout, re.M), out.stdout
    steps = re.findall(r"^\s+step \d+\s+(\w+)\(s = (\d+)\)", out.stdout.split("device_not_allocatable: VIOLATED")[1],
                       re.M)
    assert [a for a, _ in steps[:2]] == ["add_dev", "online"]
    # zcheck's shortest counterexample is also one of the reference's shortest ones
    _, cex = explore(4, 1, True)
    assert len(cex) == 2


@needs_spin
def test_local_check_variant_finds_the_same_violation(tmp_path):
    r = _load("run_spin").run_spin(4, 1, True, search="bfs", time_cap_s=60, mem_cap_mb=1024, workdir=tmp_path,
                                   check="local")
    assert r["status"] == "violation" and r["violated"] == "device_not_allocatable"
    assert r["trail_actions"] == 2


# --- the section's prose: where the comparison means something --------------------

def _vs_spin(monkeypatch):
    return load_bench("bench/vs_spin.py", monkeypatch)


def _row(n: int, status: str, total: float, compile_s: float, zcheck_s: float = 0.6) -> dict:
    spin = {"status": status, "total_s": total, "gen_compile_s": compile_s}
    return {"n": n, "buggy": False, "zcheck_s": zcheck_s, "spin": {"dfs": spin, "bfs": dict(spin)}}


def test_regime_says_where_the_comparison_means_something(monkeypatch):
    mod = _vs_spin(monkeypatch)
    small, mid, big = _row(6, "ok", 2.0, 1.8), _row(12, "ok", 8.0, 2.6), _row(16, "did not finish: time", 120.0, 3.0)
    below, above = mod._regime([small, mid, big])
    assert "Below N = 16 both tools finish" in below
    assert "90% at N = 6" in below and "at N = 6 the ratio is dominated by SPIN's compile time" in below
    assert "at N = 12 its search already takes most of it" in below
    assert "means something from N = 16" in above and "does not finish within the cap (N = 16)" in above
    assert "at least 200x" in above and above.endswith("met.")
    quick = mod._regime([small])
    assert "did not measure N that large" in quick[-1]
