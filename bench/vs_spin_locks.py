"""Benchmark: zcheck against SPIN on threads and locks (lock_workers, NW worker instances).

The model is bench/models/lock_workers.zdl: NW workers loop over six atomic steps
(pick a slot, read its load without a lock, take A, take B and move a token, drop B,
drop A); every property holds. The peer is its Promela twin (bench/spin/promela_locks.py:
each ZDL step one `d_step`, the same initial state and every property `zcheck verify`
checks by default: `bounded`, the range checks, `lock(A)`, `lock(B)`, `lockdep`,
`deadlock`, `stuck`; tests/test_bench_spin_locks.py checks that pan without reduction
stores exactly zcheck's reachable states). SPIN runs an exhaustive depth-first search
with its partial-order reduction on (pan's default), timed as a whole process
(`spin -a` + gcc + pan) under a time and a memory cap. zcheck runs `zcheck verify
-D NW=n --timeout CAP`, its default engines, also timed as a whole process; a fair
comparison needs PROVED for every property, and anything less is shown as it is
(how many properties were proved, how many only HOLD up to a depth, or are UNKNOWN).
The model has no buggy variant; the benchmark makes one (bench/spin/promela_locks.py
`zdl_abba`, and its twin): worker 0 takes B, then A. There both tools stop at a first
counterexample: SPIN at its first error (depth first, the trail's length in steps),
zcheck with `-p deadlock` (its shortest counterexample: 6 steps). Runs alternate
between the tools; a run over 20 s or over a cap is not repeated.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from common import BENCH, Sample, fmt_s, median, run_child, table, zcheck

sys.path.insert(0, str(BENCH / "spin"))

from promela_locks import zdl_abba  # noqa: E402
from run_spin import spin_version  # noqa: E402
from run_spin_locks import run_spin_locks  # noqa: E402

MODEL = "bench/models/lock_workers.zdl"
FULL_NS = (2, 3, 4, 5, 6)
QUICK_NS = (2, 3)
SLOW_S = 20.0
_RE_VERDICT = re.compile(r"^\s+(PROVED|HOLDS|UNKNOWN|VIOLATED)\s+(\S+)\s*(.*)$", re.M)
_RE_DEPTH = re.compile(r"depth (\d+)")
_RE_FIRST = re.compile(r"^(\S+): VIOLATED at depth (\d+)$", re.M)


def available() -> bool:
    return shutil.which("spin") is not None and shutil.which("gcc") is not None


def verdicts(out: str) -> dict[str, list[str]]:
    """zcheck verify's text output: property names by verdict, and the HOLDS depths."""
    by: dict[str, list[str]] = {}
    for m in _RE_VERDICT.finditer(out):
        by.setdefault(m.group(1), []).append(m.group(2))
        if m.group(1) == "HOLDS" and (d := _RE_DEPTH.search(m.group(3))):
            by.setdefault("depths", []).append(d.group(1))
    return by


def summary(by: dict[str, list[str]]) -> str:
    """"PROVED (all 16)", or what there is: "12 proved, 9 holds to depth 10"."""
    n = sum(len(v) for k, v in by.items() if k != "depths")
    if n and len(by.get("PROVED", [])) == n:
        return f"PROVED (all {n})"
    parts = [f"{len(by[k])} {k.lower()}" for k in ("VIOLATED", "PROVED", "HOLDS", "UNKNOWN") if by.get(k)]
    if by.get("depths"):
        lo, hi = min(map(int, by["depths"])), max(map(int, by["depths"]))
        parts[parts.index(f"{len(by['HOLDS'])} holds")] += f" to depth {lo}" if lo == hi else f" to depth {lo}-{hi}"
    return ", ".join(parts) or "no verdict"


def _zcheck_once(n: int, cap: float, buggy: Path | None) -> tuple[Sample, str]:
    args = ["verify", str(buggy) if buggy else MODEL, "-D", f"NW={n}", "--timeout", f"{cap:g}"]
    args += ["-p", "deadlock"] if buggy else []
    s = run_child(zcheck(*args), timeout=cap + 60)
    if s.timed_out:  # --timeout not honoured within a minute: said, not hidden
        return s, f"no verdict (killed {cap + 60:.0f} s after start)"
    if s.returncode not in ((1,) if buggy else (0, 3)):
        raise SystemExit(f"zcheck {' '.join(args)}: exit {s.returncode}")
    if buggy:
        m = _RE_FIRST.search(s.stdout)
        return s, f"VIOLATED {m.group(1)} at depth {m.group(2)}" if m else "?"
    return s, summary(verdicts(s.stdout))


def _spin_once(n: int, cap: float, mem: int, workdir: Path, buggy: bool) -> dict:
    r = run_spin_locks(n, time_cap_s=cap, mem_cap_mb=mem, workdir=workdir, abba=buggy)
    if (r["status"] == "violation") != buggy and r["status"] in ("ok", "violation"):
        raise SystemExit(f"SPIN on the lock_workers twin, NW={n}, {'buggy' if buggy else 'fixed'}: {r['status']} "
                         f"{r['violated'] or ''}")
    return r


def measure_n(n: int, reps: int, cap: float, mem: int, workdir: Path, buggy: Path | None = None) -> dict:
    """One row: the tools alternate, each repeated while its runs stay under SLOW_S
    (and, for SPIN on the fixed model, finish)."""
    zs: list[tuple[Sample, str]] = []
    spins: list[dict] = []
    for _ in range(reps):
        if not zs or zs[-1][0].wall < SLOW_S:
            zs.append(_zcheck_once(n, cap, buggy))
        if not spins or (spins[-1]["total_s"] < SLOW_S and spins[-1]["status"] in ("ok", "violation")):
            spins.append(_spin_once(n, cap, mem, workdir, buggy is not None))
    spins.sort(key=lambda r: r["total_s"])
    return {"n": n, "buggy": buggy is not None, "zcheck_s": median([s.wall for s, _ in zs]),
            "zcheck_mib": median([s.peak_mib for s, _ in zs]), "zcheck": zs[-1][1], "zcheck_runs": len(zs),
            "spin": spins[len(spins) // 2], "spin_runs": len(spins)}


def measure(quick: bool, reps: int, time_cap: float, mem_cap: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="zcheck-spin-locks-") as d:
        buggy = Path(d) / "lock_workers_abba.zdl"
        buggy.write_text(zdl_abba((BENCH.parent / MODEL).read_text()))
        ns = QUICK_NS if quick else FULL_NS
        rows = [measure_n(n, reps, time_cap, mem_cap, Path(d)) for n in ns]
        return rows + [measure_n(n, reps, time_cap, mem_cap, Path(d), buggy) for n in ns]


def _spin_cell(r: dict) -> str:
    states = f"{r['states_stored']:,} states" if r.get("states_stored") is not None else "no states reported"
    if r["status"] == "violation":
        what = f"{r['violated']} violated, trail {r['steps']} steps ({states})"
    else:
        what = f"no errors, {states}" if r["status"] == "ok" else f"{r['status']} ({states} stored)"
    mem = f", {r['memory_mb']:.0f} MB" if r.get("memory_mb") is not None else ""
    return f"{what}; {fmt_s(r['total_s'])} s ({fmt_s(r['gen_compile_s'])} compile){mem}"


def winner(r: dict) -> str:
    """Who answers first: for the fixed model a proof beats no proof, whatever the times;
    for the buggy one, both must find a counterexample."""
    if r["buggy"]:
        z_ans, s_ans = r["zcheck"].startswith("VIOLATED"), r["spin"]["status"] == "violation"
    else:
        z_ans, s_ans = r["zcheck"].startswith("PROVED"), r["spin"]["status"] == "ok"
    if z_ans and s_ans:
        return "zcheck" if r["zcheck_s"] < r["spin"]["total_s"] else "SPIN"
    return "zcheck" if z_ans else "SPIN" if s_ans else "neither"


def verdict_lines(rows: list[dict]) -> list[str]:
    """Where each tool answers first, per variant, from this run's rows."""
    lines = []
    for buggy in (False, True):
        by: dict[str, list[str]] = {}
        for r in rows:
            if r["buggy"] == buggy:
                by.setdefault(winner(r), []).append(str(r["n"]))
        if by:
            what = "a counterexample (buggy)" if buggy else "a proof (fixed)"
            lines.append(f"First to {what}: " + "; ".join(f"{w} at NW = {', '.join(ns)}" for w, ns in by.items()) + ".")
    return lines


def markdown(rows: list[dict], time_cap: float, mem_cap: int) -> str:
    out = [[str(r["n"]), "buggy (AB-BA)" if r["buggy"] else "fixed",
            f"{r['zcheck']}; {fmt_s(r['zcheck_s'])} s, {r['zcheck_mib']:.0f} MiB",
            _spin_cell(r["spin"]), f"{r['spin']['total_s'] / r['zcheck_s']:.1f}x", winner(r)] for r in rows]
    return "\n".join([
        f"SPIN: `{spin_version()}`, depth first, partial-order reduction on; caps: {time_cap:.0f} s (both tools) "
        f"and {mem_cap} MB (pan -DMEMLIM; -w24; -m1000000 up to NW = 3, -m10000000 beyond). Times are whole "
        "processes. For the fixed model the zcheck verdict counts every property it checks by default; "
        "\"answers first\" is the tool that returns a proof (fixed) or a counterexample (buggy) in less time, "
        "and a proof beats no proof.", "",
        table(["NW", "variant", "zcheck verify", "SPIN (dfs, POR)", "SPIN / zcheck time", "answers first"], out),
        "", " ".join(verdict_lines(rows))])
