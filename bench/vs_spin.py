"""Benchmark: zcheck against SPIN on the section-granular hotplug model.

The peer is the Promela twin of models/section_hotplug.zdl (bench/spin/promela.py,
checked to be the same transition system by tests/test_bench_spin.py), run by
bench/spin/run_spin.py under a time and a memory cap. Both tools are timed as whole
processes: for SPIN, `spin -a` + gcc + pan; for zcheck, `zcheck verify` from start to
exit. Fixed variant: SPIN searches the whole state space (a proof by exhaustion),
zcheck proves with its engines. Buggy variant: time to the first counterexample and
its length (SPIN's DFS finds a long one first, its BFS the shortest).

The comparison means something from N = 16 sections up: there SPIN's exhaustive
search no longer finishes within the cap (the fixed model has 4 ** (N - BOOT) states),
so SPIN gives no proof and zcheck's proof is the only answer, and the ratio is a lower
bound. Below N = 16 both tools finish, and up to N = 10 SPIN's time is mostly its
compile (`spin -a` and gcc on the generated pan.c), not its search: the ratio there
measures gcc more than model checking (the text under the table gives the shares).
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
MEANINGFUL_N = 16  # from here SPIN's exhaustive search of the fixed model does not finish
TARGET = 100.0


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


def _finished(r: dict) -> bool:
    return all(x["status"] in ("ok", "violation") for x in r["spin"].values())


def _regime(rows: list[dict]) -> list[str]:
    """Where the comparison means something (N >= MEANINGFUL_N, SPIN does not finish)
    and what the ratio is below it (SPIN's compile time), from this run's figures."""
    small = [r for r in rows if not r["buggy"] and r["n"] < MEANINGFUL_N and _finished(r)]
    big = [r for r in rows if not r["buggy"] and r["n"] >= MEANINGFUL_N]
    lines = []
    if small:
        best = {r["n"]: min(r["spin"].values(), key=lambda x: x["total_s"]) for r in small}
        share = {n: b["gen_compile_s"] / b["total_s"] for n, b in best.items()}
        compiled = [n for n, x in share.items() if x >= 0.5]
        searched = [n for n, x in share.items() if x < 0.5]
        line = (f"Below N = {MEANINGFUL_N} both tools finish (fixed: SPIN proves by exhaustion too), and SPIN's "
                "compile (`spin -a` + gcc) is " + ", ".join(f"{x:.0%} at N = {n}" for n, x in share.items())
                + " of its time")
        if compiled:
            line += (f": at N = {', '.join(map(str, compiled))} the ratio is dominated by SPIN's compile time, "
                     "not by its search")
        if searched:
            line += f"; at N = {', '.join(map(str, searched))} its search already takes most of it"
        lines.append(line + ".")
    if big:
        unfinished = [r for r in big if not _finished(r)]
        ratios = [min(x["total_s"] for x in r["spin"].values()) / r["zcheck_s"] for r in unfinished]
        what = (f"SPIN's exhaustive search does not finish within the cap (N = "
                f"{', '.join(str(r['n']) for r in unfinished)}), so only zcheck returns a proof, and zcheck is at least "
                f"{min(ratios):.0f}x faster (a lower bound: SPIN was stopped)" if unfinished else
                "SPIN finished in this run after all")
        lines.append(f"The comparison means something from N = {MEANINGFUL_N}: there {what}. "
                     f"Target (fixed, N >= {MEANINGFUL_N}): at least {TARGET:.0f}x; "
                     + ("met." if unfinished and min(ratios) >= TARGET else "missed."))
    else:
        lines.append(f"The comparison means something from N = {MEANINGFUL_N}, where SPIN's exhaustive search no "
                     "longer finishes; this run did not measure N that large (the full run does).")
    return lines


def markdown(rows: list[dict], time_cap: float, mem_cap: int) -> str:
    out = []
    for r in rows:
        best = min(r["spin"].values(), key=lambda x: x["total_s"])
        ratio = best["total_s"] / r["zcheck_s"]
        out.append([str(r["n"]), "buggy" if r["buggy"] else "fixed",
                    f"{r['zcheck']}; {fmt_s(r['zcheck_s'])} s, {r['zcheck_mib']:.0f} MiB",
                    _spin_cell(r["spin"]["dfs"]), _spin_cell(r["spin"]["bfs"]),
                    f"{ratio:.1f}x" + ("" if _finished(r) else " (at least)")])
    return "\n".join([f"SPIN: `{spin_version()}`; BOOT = {BOOT}; caps: {time_cap:.0f} s and {mem_cap} MB per SPIN run "
                      "(pan -DMEMLIM, -w24, -m1000000). Times are whole processes.", "",
                      table(["N", "variant", "zcheck verify", "SPIN dfs", "SPIN bfs", "SPIN best / zcheck"], out),
                      "", *[x for line in _regime(rows) for x in (line, "")]]).rstrip() + "\n"
