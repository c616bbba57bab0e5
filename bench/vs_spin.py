"""Benchmark: zcheck against SPIN on the section-granular hotplug model.

The peer is the Promela twin of models/section_hotplug.zdl (bench/spin/promela.py,
checked to be the same transition system by tests/test_bench_spin.py), run by
bench/spin/run_spin.py under a time and a memory cap. Both tools are timed as whole
processes: for SPIN, `spin -a` + gcc + pan; for zcheck, `zcheck verify` from start to
exit. Fixed variant: SPIN searches the whole state space (a proof by exhaustion),
zcheck proves with its engines. Buggy variant: time to the first counterexample and
its length (SPIN's DFS finds a long one first, its BFS the shortest).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from common import BENCH, Sample, fmt_s, median, run_child, table, zcheck

sys.path.insert(0, str(BENCH / "spin"))

from run_spin import run_spin, spin_version  # noqa: E402

MODEL = "models/section_hotplug.zdl"
BOOT = 2
FULL_NS = (6, 8, 10, 12, 16, 64)
QUICK_NS = (6, 8, 10)
TARGET_N, TARGET = 10, 100.0


def available() -> bool:
    return shutil.which("spin") is not None and shutil.which("gcc") is not None


def _zcheck(n: int, buggy: bool, reps: int) -> tuple[list[Sample], str]:
    args = ["verify", MODEL, "-D", f"NSECT={n}", "-D", f"BOOT={BOOT}"]
    if buggy:
        args += ["-D", "BUG_ONLINE_DEVICE=true"]
    samples = [run_child(zcheck(*args), timeout=600) for _ in range(reps)]
    want = 1 if buggy else 0
    if any(s.returncode != want for s in samples):
        raise SystemExit(f"zcheck verify {' '.join(args)}: exit {[s.returncode for s in samples]}, expected {want}")
    out = samples[0].stdout
    if buggy:
        m = re.search(r"VIOLATED\s+device_not_allocatable\s+at depth (\d+)", out)
        verdict = f"VIOLATED at depth {m.group(1)}" if m else "?"
    else:
        verdict = "PROVED" if re.search(r"PROVED\s+device_not_allocatable", out) else "?"
    return samples, verdict


def measure(quick: bool, reps: int, time_cap: float, mem_cap: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="zcheck-spin-") as d:
        for n in QUICK_NS if quick else FULL_NS:
            for buggy in (False, True):
                z, verdict = _zcheck(n, buggy, reps)
                spin = {}
                for search in ("dfs", "bfs"):
                    spin[search] = run_spin(n, BOOT, buggy, search=search, time_cap_s=time_cap,
                                            mem_cap_mb=mem_cap, workdir=Path(d))
                rows.append({"n": n, "buggy": buggy, "zcheck_s": median([s.wall for s in z]),
                             "zcheck_mib": median([s.peak_mib for s in z]), "zcheck": verdict, "spin": spin})
    return rows


def _spin_cell(r: dict) -> str:
    status = r["status"]
    if status == "violation":
        what = f"violation, trail {r['trail_actions']}"
    elif status == "ok":
        what = f"no errors, {r['states_stored']:,} states"
    else:
        what = f"{status} ({r['states_stored']:,} states stored)" if r.get("states_stored") else status
    return f"{what}; {fmt_s(r['total_s'])} s ({fmt_s(r['gen_compile_s'])} compile), {r['memory_mb']:.0f} MB" \
        if r.get("memory_mb") is not None else f"{what}; {fmt_s(r['total_s'])} s"


def markdown(rows: list[dict], time_cap: float, mem_cap: int) -> str:
    out = []
    for r in rows:
        best = min(r["spin"].values(), key=lambda x: x["total_s"])
        finished = all(x["status"] in ("ok", "violation") for x in r["spin"].values())
        ratio = best["total_s"] / r["zcheck_s"]
        out.append([str(r["n"]), "buggy" if r["buggy"] else "fixed",
                    f"{r['zcheck']}; {fmt_s(r['zcheck_s'])} s, {r['zcheck_mib']:.0f} MiB",
                    _spin_cell(r["spin"]["dfs"]), _spin_cell(r["spin"]["bfs"]),
                    f"{ratio:.1f}x" + ("" if finished else " (at least)")])
    target = [r for r in rows if r["n"] == TARGET_N and not r["buggy"]]
    lines = [f"SPIN: `{spin_version()}`; BOOT = {BOOT}; caps: {time_cap:.0f} s and {mem_cap} MB per SPIN run "
             "(pan -DMEMLIM, -w24, -m1000000). Times are whole processes.", "",
             table(["N", "variant", "zcheck verify", "SPIN dfs", "SPIN bfs", "SPIN best / zcheck"], out)]
    if target:
        best = min(x["total_s"] for x in target[0]["spin"].values())
        ratio = best / target[0]["zcheck_s"]
        lines += ["", f"Target (fixed, N = {TARGET_N}): zcheck at least {TARGET:.0f}x faster than SPIN. "
                  f"Measured: {ratio:.1f}x ({'met' if ratio >= TARGET else 'missed'})."]
    return "\n".join(lines)
