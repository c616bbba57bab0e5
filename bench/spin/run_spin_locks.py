"""Run SPIN on the Promela twin of bench/models/lock_workers.zdl and report what pan says.

``run_spin_locks(nw, time_cap_s=..., mem_cap_mb=..., workdir=...)`` writes
``lock_workers_NW<nw>.pml`` (bench/spin/promela_locks.py) in ``workdir``, runs
``spin -a`` and ``gcc -O2 -DSAFETY -DMEMLIM=<mem_cap_mb>`` (plus ``-DNOREDUCE`` when
``reduce`` is false: partial-order reduction is on by default, as in pan; ``-DBFS``
with ``search="bfs"``), then ``./pan -m<max_depth> -w<hash_bits>`` under what is left of the time cap
(SIGINT when it runs out: pan prints its statistics; see run_spin.run_capped).

The dict has the keys of run_spin.parse_pan (states_stored, memory_mb, ...) and:

  nw, abba, search, reduce, check, max_depth, hash_bits, cflags, spin_version, pml
                  the run (abba: the buggy variant, promela_locks.zdl_abba)
  status          "ok" (the whole state space searched, no errors), "violation",
                  "did not finish: time" / "memory" / "depth" (pan's -m was too
                  small: states deeper than max_depth were not explored)
  violated        for a violation, the property: "stuck" (pan's invalid end state),
                  "deadlock", "lockdep", "bounded", "lock(A)", "lock(B)" or "range",
                  read off the failed assert's text (kept in "assertion")
  steps           for a violation, the number of steps of pan's counterexample: pan
                  reports the depth of the state the failing step starts from, and
                  there is no boot step here (every pan step is one ZDL step), so this
                  is that depth + 1, zcheck's "violated at depth" for a shortest one
  gen_compile_s, search_s, total_s   seconds: generate + spin -a + gcc, pan, all

The DFS of this model is deep (every interleaving of the workers' loops): about
320,000 steps for NW = 3, past a million for NW = 4, hence -m1000000 up to NW = 3 and
-m10000000 beyond (a DFS stack of about 530 MB, inside the memory cap); see
``default_max_depth``.

    python3 bench/spin/run_spin_locks.py 2 3 4 [--time-cap S] [--mem-cap MB] [--no-reduce] [--abba] [--bfs]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from promela_locks import promela_locks  # noqa: E402
from run_spin import COMPILE_TIMEOUT_S, parse_pan, run_capped, spin_version  # noqa: E402



def default_max_depth(nw: int) -> int:
    """pan's -m: its DFS stack is allocated whole (53 MB per million), so it is sized to
    the model: the DFS reaches depth 323,835 at NW = 3 and passes a million at NW = 4."""
    return 1_000_000 if nw <= 3 else 10_000_000

_RE_ASSERT = re.compile(r"pan:\d+: assertion violated (.*) \(at depth \d+\)")
_RE_ERROR_DEPTH = re.compile(r"^pan:\d+: .* \(at depth (\d+)\)", re.M)


def _compile(pml: Path, pan: str, cflags: list[str]) -> None:
    for cmd in (["spin", "-a", pml.name], ["gcc", *cflags, "-o", pan, "pan.c"]):
        subprocess.run(cmd, cwd=pml.parent, check=True, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)


def _status(parsed: dict, timed_out: bool, out: str) -> str:
    if parsed["errors"]:
        return "violation"
    if timed_out or parsed["interrupted"]:
        return "did not finish: time"
    if parsed["memory_out"]:
        return "did not finish: memory"
    if parsed["errors"] is None:
        raise RuntimeError(f"could not parse pan's output:\n{out}")
    return "did not finish: depth" if parsed["depth_limited"] else "ok"


def _assertion(out: str) -> str | None:
    m = _RE_ASSERT.search(out)
    return m.group(1).strip() if m else None


def _violated(out: str) -> str | None:
    """The property whose check failed, from the assert pan prints (see promela_locks)."""
    if re.search(r"^pan:\d+: invalid end state", out, re.M):
        return "stuck"
    text = _assertion(out)
    if text is None:
        return None
    for needle, prop in (("wait[", "deadlock"), ("dep_", "lockdep"), ("!=(_pid+1)", "lockdep"),
                         ("load[0]<=3", "bounded"), ("A==(_pid+1)", "lock(A)"), ("B==(_pid+1)", "lock(B)")):
        if needle in text:
            return prop
    return "range"


def _steps(out: str) -> int | None:
    m = _RE_ERROR_DEPTH.search(out)
    return int(m.group(1)) + 1 if m else None


def run_spin_locks(nw: int, *, time_cap_s: float, mem_cap_mb: int, workdir: Path, reduce: bool = True,
                   abba: bool = False, search: str = "dfs", max_depth: int | None = None, hash_bits: int = 24,
                   check: str = "steps") -> dict:
    """Generate, compile and search the twin; see the module docstring for the dict."""
    t0 = time.monotonic()
    max_depth = max_depth or default_max_depth(nw)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if search not in ("dfs", "bfs"):
        raise ValueError(f"search must be 'dfs' or 'bfs', got {search!r}")
    name = (f"lock_workers_NW{nw}{'_abba' if abba else ''}_{search}{'' if reduce else '_noreduce'}"
            f"{'' if check == 'steps' else '_' + check}")
    pml = workdir / f"{name}.pml"
    pml.write_text(promela_locks(nw, check=check, abba=abba))
    cflags = (["-O2", "-DSAFETY", f"-DMEMLIM={mem_cap_mb}"] + ([] if reduce else ["-DNOREDUCE"])
              + (["-DBFS"] if search == "bfs" else []))
    _compile(pml, f"pan_{name}", cflags)
    t1 = time.monotonic()
    out, timed_out = run_capped([f"./pan_{name}", f"-m{max_depth}", f"-w{hash_bits}"], workdir,
                                t0 + time_cap_s - t1)
    parsed = {k: v for k, v in parse_pan(out).items() if k != "violated"}
    r = {"nw": nw, "abba": abba, "search": search, "reduce": reduce, "check": check, "max_depth": max_depth, "hash_bits": hash_bits,
         "cflags": cflags, "spin_version": spin_version(), "pml": str(pml), **parsed,
         "status": _status(parsed, timed_out, out), "violated": _violated(out), "assertion": _assertion(out),
         "steps": _steps(out),
         "gen_compile_s": t1 - t0, "search_s": time.monotonic() - t1, "pan_stdout_tail": out[-3000:]}
    r["total_s"] = time.monotonic() - t0
    return r


def _fmt(r: dict) -> str:
    mem = f"{r['memory_mb']:.0f}" if r.get("memory_mb") is not None else "-"
    return (f"NW={r['nw']} {'buggy' if r['abba'] else 'fixed'} {r['search']} {'por' if r['reduce'] else 'noreduce'}: "
            f"{r['status']:<22} states={r['states_stored']} "
            f"depth={r['depth_reached']} mem={mem}MB compile={r['gen_compile_s']:.2f}s "
            f"search={r['search_s']:.2f}s total={r['total_s']:.2f}s"
            + (f" violated={r['violated'][:40]} steps={r['steps']}" if r["violated"] else ""))


if __name__ == "__main__":  # pragma: no cover - manual use
    import argparse

    ap = argparse.ArgumentParser(description="SPIN on the lock_workers twin, one line per NW")
    ap.add_argument("nw", nargs="*", type=int, default=[2, 3], help="worker counts (default 2 3)")
    ap.add_argument("--time-cap", type=float, default=120.0, help="seconds per run (default 120)")
    ap.add_argument("--mem-cap", type=int, default=4096, help="pan -DMEMLIM in MB (default 4096)")
    ap.add_argument("--no-reduce", action="store_true", help="compile with -DNOREDUCE")
    ap.add_argument("--abba", action="store_true", help="the buggy variant (worker 0 takes B, then A)")
    ap.add_argument("--bfs", action="store_true", help="breadth-first (-DBFS): shortest counterexamples")
    ap.add_argument("--check", choices=("steps", "every"), default="steps", help="see promela_locks.py")
    args = ap.parse_args()
    print(spin_version())
    with tempfile.TemporaryDirectory(prefix="zcheck-spin-locks-") as d:
        for nw in args.nw:
            print(_fmt(run_spin_locks(nw, time_cap_s=args.time_cap, mem_cap_mb=args.mem_cap, workdir=Path(d),
                                      reduce=not args.no_reduce, abba=args.abba,
                                      search="bfs" if args.bfs else "dfs", check=args.check)), flush=True)
