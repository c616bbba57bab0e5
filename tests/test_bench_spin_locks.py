"""The SPIN peer of the concurrency benchmark (bench/spin/promela_locks.py): the Promela
twin of bench/models/lock_workers.zdl is the same transition system as the ZDL model.

For NW = 1 and 2, pan's state count with partial-order reduction off (-DNOREDUCE) must
equal the number of reachable states zcheck's explicit engine reports for
`zcheck verify bench/models/lock_workers.zdl -D NW=n` (82 and 7,351; zcheck does not
reduce by symmetry at these sizes, its certificate says so), and both must find no
violation. With the reduction on, pan must still search the whole (reduced) space
without error, storing fewer states. The buggy variant (worker 0 takes B, then A:
promela_locks.zdl_abba for the ZDL text) must be violated by both, with the same
shortest counterexample length for `deadlock` (pan breadth first, without reduction,
which keeps shortest paths). Needs ``spin`` and ``gcc``; skipped without them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench_modules import load, load_bench

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "bench" / "models" / "lock_workers.zdl"

needs_spin = pytest.mark.skipif(
    shutil.which("spin") is None or shutil.which("gcc") is None, reason="spin (and gcc) not installed"
)


def _load(name: str):
    return load(f"bench/spin/{name}.py")


def _zcheck_states(nw: int) -> int:
    """The reachable states zcheck's explicit engine visits for NW = ``nw`` (all PROVED)."""
    out = subprocess.run([sys.executable, "-m", "zcheck", "verify", str(MODEL), "-D", f"NW={nw}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "VIOLATED" not in out.stdout and "UNKNOWN" not in out.stdout, out.stdout
    certs = set(re.findall(r"certificate: (\d+) reachable states(.*?);", out.stdout))
    assert len(certs) == 1, certs
    (count, note), = certs
    assert "orbit" not in note  # a full count, not one per symmetry orbit
    return int(count)


def _zcheck_violations(path: Path, nw: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-m", "zcheck", "verify", str(path), "-D", f"NW={nw}",
                          "-p", "deadlock", "-p", "lockdep", "-p", "stuck"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+): VIOLATED at depth (\d+)$", out.stdout, re.M)}


def test_promela_text_is_well_formed():
    pml = _load("promela_locks").promela_locks(3)
    assert "#define NW 3" in pml and "active [NW] proctype worker()" in pml
    assert pml.count("d_step") == 4 + 5  # choose's four options, then five steps
    assert pml.count("check()") == 6  # the inline's definition, then every step but choose
    every = _load("promela_locks").promela_locks(3, check="every")
    assert every.count("check()") == 10


def test_deadlock_predicate_covers_every_two_lock_cycle():
    pred = _load("promela_locks").deadlock_predicate(3)
    # self-waits on A and B for each worker, and each ordered pair waiting A / waiting B
    assert pred.count("||") + 1 == 3 + 3 + 3 * 2


@needs_spin
@pytest.mark.parametrize("nw", [1, 2])
def test_twin_without_reduction_has_zchecks_state_space(nw, tmp_path):
    run = _load("run_spin_locks").run_spin_locks
    r = run(nw, time_cap_s=120, mem_cap_mb=1024, workdir=tmp_path, reduce=False)
    assert r["status"] == "ok", r["pan_stdout_tail"]
    assert r["errors"] == 0 and r["violated"] is None
    assert r["states_stored"] == _zcheck_states(nw)


@needs_spin
def test_twin_with_reduction_searches_fewer_states(tmp_path):
    run = _load("run_spin_locks").run_spin_locks
    r = run(2, time_cap_s=120, mem_cap_mb=1024, workdir=tmp_path)
    assert r["status"] == "ok", r["pan_stdout_tail"]
    assert "-DNOREDUCE" not in r["cflags"] and "Partial Order Reduction" in r["pan_stdout_tail"]
    assert 0 < r["states_stored"] < 7351


def test_abba_variant_swaps_worker_zeros_locks():
    mod = _load("promela_locks")
    zdl = mod.zdl_abba(MODEL.read_text())
    assert zdl.count("if self == 0") == 2 and "model lock_workers_abba" in zdl
    pml = mod.promela_locks(2, abba=True)
    assert "(_pid == 0 && B == 0 || _pid != 0 && A == 0) ->" in pml
    with pytest.raises(ValueError):
        mod.zdl_abba("model other\n")


@needs_spin
def test_buggy_twin_deadlocks_at_zchecks_depth(tmp_path):
    zdl = tmp_path / "lock_workers_abba.zdl"
    zdl.write_text(_load("promela_locks").zdl_abba(MODEL.read_text()))
    found = _zcheck_violations(zdl, 2)
    assert found == {"deadlock": 6, "stuck": 6, "lockdep": 10}
    r = _load("run_spin_locks").run_spin_locks(2, time_cap_s=120, mem_cap_mb=1024, workdir=tmp_path, abba=True,
                                               search="bfs", reduce=False)
    assert r["status"] == "violation" and r["violated"] == "deadlock", r["pan_stdout_tail"]
    assert r["steps"] == found["deadlock"]


def _bench(monkeypatch):
    return load_bench("bench/vs_spin_locks.py", monkeypatch)


def test_zcheck_verdicts_are_summarised_as_they_are(monkeypatch):
    mod = _bench(monkeypatch)
    out = ("  PROVED       bounded                    by k-induction, k = 1; certificate re-checked\n"
           "  HOLDS        worker[0].peek.range@33    up to depth 10 (bounded, not a proof)\n"
           "  UNKNOWN      deadlock                   timeout\n"
           "  PROVED       stuck                      by PDR (Spacer); certificate re-checked\n")
    assert mod.summary(mod.verdicts(out)) == "2 proved, 1 holds to depth 10, 1 unknown"
    assert mod.summary(mod.verdicts(out.replace("HOLDS ", "PROVED").replace("UNKNOWN", "PROVED "))) == "PROVED (all 4)"


def test_a_proof_beats_a_faster_non_answer(monkeypatch):
    mod = _bench(monkeypatch)
    row = {"n": 3, "buggy": False, "zcheck": "7 proved, 14 unknown", "zcheck_s": 30.0,
           "spin": {"status": "ok", "total_s": 40.0}}
    assert mod.winner(row) == "SPIN"
    assert mod.winner({**row, "zcheck": "PROVED (all 21)"}) == "zcheck"
    assert mod.winner({**row, "spin": {"status": "did not finish: time", "total_s": 120.0}}) == "neither"
    assert mod.verdict_lines([row]) == ["First to a proof (fixed): SPIN at NW = 3."]
