"""Run SPIN on the Promela twin of models/section_hotplug.zdl and report what pan says.

``run_spin(n, boot, buggy, search=..., time_cap_s=..., mem_cap_mb=..., workdir=...)``

  1. writes ``section_hotplug_N<n>_B<boot>[_bug].pml`` (bench/spin/promela.py) in
     ``workdir``, runs ``spin -a`` on it and compiles ``pan`` with
     ``gcc -O2 -DSAFETY -DMEMLIM=<mem_cap_mb> [-DBFS]``;
  2. runs ``./pan -m<max_depth> -w<hash_bits>`` (default -m1000000, -w24, pan's
     own default table size), stopping at the first error (pan's default -c1);
  3. on a violation, replays the trail with ``spin -t -p`` to name its actions.

The time cap is for the whole run (generate + compile + search): the search gets
what is left of it after the compile. When it runs out, pan is sent SIGINT, on
which it prints its statistics as of that moment ("Interrupted"), so even a
search that did not finish reports the states it had stored; SIGKILL to the
process group follows if it does not exit within a few seconds. The memory cap is
pan's own -DMEMLIM: pan stops when its allocations would pass it ("pan: reached
-DMEMLIM bound") and prints its statistics.

The returned dict:

  n, boot, buggy, search     the arguments
  status                     "ok" (search completed, no errors), "violation",
                             "did not finish: time", "did not finish: memory", or
                             "did not finish: depth" (completed without errors but
                             pan said "max search depth too small", so states
                             deeper than max_depth were not explored)
  violated                   for a violation, the invariant whose assert failed
                             ("device_not_allocatable" / "buddy_not_reserved")
  gen_compile_s              seconds for writing the .pml, spin -a and gcc
  search_s                   wall-clock seconds of ./pan, as measured here
  pan_elapsed_s              pan's own "elapsed time" (3 significant digits)
  total_s                    wall-clock seconds of the whole call, including the
                             trail replay
  states_stored              pan's "states, stored" (printed with 8 significant
                             digits, so exact below 1e8): every reachable state of
                             the ZDL model, plus one (see promela.py)
  states_matched, transitions, depth_reached, errors     as pan prints them
  state_vector_bytes         pan's "State-vector N byte"
  memory_mb                  pan's "total actual memory usage" (MB); it includes
                             the hash table (128 MB at -w24) and, for dfs, the
                             DFS stack sized by -m (53 MB at -m1000000)
  depth_limited              pan said "max search depth too small"
  pan_depth                  for a violation, pan's "(at depth D)"
  trail_actions              for a violation, the number of actions in the
                             counterexample: the trail's steps (its lines with a
                             positive step number, one per pan transition, each
                             d_step being one transition) less the first, which
                             is the boot d_step (the ZDL init). This is zcheck's
                             depth: add_dev(s); online(s) is 2. It equals
                             pan_depth; both are kept, and a mismatch is a bug
  trail                      for a violation whose trail has at most
                             REPLAY_MAX_STEPS steps, its actions as
                             ["add_dev(2)", "online(2)"], from spin -t -p
                             (the line of each step's first statement says which
                             inline it is in, its index says which section);
                             None for longer trails
  max_depth, hash_bits, check, cflags, spin_version, pml, pan_stdout_tail
                             for the record (check: "full" or "local", see
                             promela.py; the benchmark uses "full")

``python3 bench/spin/run_spin.py [N ...] [--boot B] [--time-cap S] [--mem-cap MB]
[--json FILE]`` prints a table (fixed/buggy x dfs/bfs) for manual checks; the
benchmark numbers were taken with ``6 8 10 12 16 64 --boot 2 --time-cap 300
--mem-cap 8192``. One call at a time per workdir (pan.c is shared).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from .promela import promela
except ImportError:  # run as a script, or loaded by path from the tests
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from promela import promela  # type: ignore[no-redef]

REPLAY_MAX_STEPS = 2000
DEFAULT_MAX_DEPTH = 1_000_000
KILL_GRACE_S = 15.0
COMPILE_TIMEOUT_S = 600.0

_RE_VECTOR = re.compile(r"State-vector (\d+) byte, depth reached (\d+), errors: (\d+)")
_RE_STORED = re.compile(r"^\s*([0-9.e+]+) states, stored", re.M)
_RE_MATCHED = re.compile(r"^\s*([0-9.e+]+) states, matched", re.M)
_RE_TRANS = re.compile(r"^\s*([0-9.e+]+) transitions \(= ", re.M)
_RE_MEM = re.compile(r"^\s*([0-9.]+)\s+total actual memory usage", re.M)
_RE_ELAPSED = re.compile(r"pan: elapsed time ([0-9.e+]+) seconds")
_RE_ASSERT = re.compile(r"pan:\d+: assertion violated (.*) \(at depth (\d+)\)")
_RE_STEP = re.compile(r"^\s*(\d+):\s+proc\s+\d+ \(\S+\) \S+?:(\d+) \(state \d+\)\s+\[(.*)\]\s*$")


def spin_version() -> str:
    """``spin -V``, e.g. "Spin Version 6.5.2 -- 6 December 2019"."""
    out = subprocess.run(["spin", "-V"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _num(m: re.Match | None) -> int | None:
    return None if m is None else int(float(m.group(1)))


def parse_pan(out: str) -> dict:
    """The numbers in pan's report (keys as in run_spin's dict; None where absent)."""
    r: dict = {}
    m = _RE_VECTOR.search(out)
    r["state_vector_bytes"] = int(m.group(1)) if m else None
    r["depth_reached"] = int(m.group(2)) if m else None
    r["errors"] = int(m.group(3)) if m else None
    r["states_stored"] = _num(_RE_STORED.search(out))
    r["states_matched"] = _num(_RE_MATCHED.search(out))
    r["transitions"] = _num(_RE_TRANS.search(out))
    m = _RE_MEM.search(out)
    r["memory_mb"] = float(m.group(1)) if m else None
    m = _RE_ELAPSED.search(out)
    r["pan_elapsed_s"] = float(m.group(1)) if m else None
    m = _RE_ASSERT.search(out)
    r["pan_depth"] = int(m.group(2)) if m else None
    r["violated"] = None
    if m:
        text = m.group(1)
        if "kind[" in text:
            r["violated"] = "device_not_allocatable"
        elif "reserved[" in text:
            r["violated"] = "buddy_not_reserved"
        else:
            r["violated"] = text
    r["depth_limited"] = "max search depth too small" in out
    r["memory_out"] = "reached -DMEMLIM bound" in out or "out of memory" in out
    r["interrupted"] = "Interrupted" in out
    return r


def _inline_spans(pml: str) -> list[tuple[int, str]]:
    """(first line, name) of each action inline in the generated text, in order."""
    spans = []
    for i, line in enumerate(pml.splitlines(), start=1):
        m = re.match(r"inline (\w+)\(s\)", line)
        if m:
            spans.append((i, m.group(1)))
    return spans


def name_trail(pml: str, replay: str) -> list[str]:
    """The actions of a ``spin -t -p`` replay of the twin, as ["add_dev(2)", ...].

    Every step prints the statements of its d_step, each with its source line; the
    first is the action's guard. Step 1 is the boot d_step and is left out.
    """
    spans = _inline_spans(pml)
    actions, seen = [], set()
    for line in replay.splitlines():
        m = _RE_STEP.match(line)
        if not m:
            continue
        step, src, stmt = int(m.group(1)), int(m.group(2)), m.group(3)
        if step in seen:
            continue
        seen.add(step)
        if step == 1:
            continue
        name = None
        for start, nm in spans:
            if start <= src:
                name = nm
        idx = re.search(r"\[(\d+)\]", stmt)
        actions.append(f"{name}({idx.group(1) if idx else '?'})")
    return actions


def _trail_steps(trail: Path) -> int:
    steps = 0
    for line in trail.read_text().splitlines():
        parts = line.strip().split(":")
        if parts and parts[0].lstrip("-").isdigit() and int(parts[0]) > 0:
            steps += 1
    return steps


def run_capped(cmd: list[str], cwd: Path, timeout: float) -> tuple[str, bool]:
    """Run ``cmd`` in its own process group; (stdout+stderr, timed out)."""
    p = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = p.communicate(timeout=max(timeout, 0.0))
        return out, False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGINT)  # pan prints its statistics on SIGINT
        except ProcessLookupError:
            pass
        try:
            out, _ = p.communicate(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, _ = p.communicate()
        return out, True


def run_spin(
    n: int,
    boot: int,
    buggy: bool,
    *,
    search: str = "dfs",
    time_cap_s: float,
    mem_cap_mb: int,
    workdir: Path,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hash_bits: int = 24,
    check: str = "full",
) -> dict:
    """Generate, compile and search the twin; see the module docstring for the dict."""
    if search not in ("dfs", "bfs"):
        raise ValueError(f"search must be 'dfs' or 'bfs', got {search!r}")
    t0 = time.monotonic()
    deadline = t0 + time_cap_s
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"section_hotplug_N{n}_B{boot}{'_bug' if buggy else ''}_{search}{'' if check == 'full' else '_' + check}"
    pml_path = workdir / f"{name}.pml"
    text = promela(n, boot, buggy, check=check)
    pml_path.write_text(text)
    trail = workdir / f"{name}.pml.trail"
    if trail.exists():
        trail.unlink()

    result: dict = {
        "n": n,
        "boot": boot,
        "buggy": buggy,
        "search": search,
        "max_depth": max_depth,
        "hash_bits": hash_bits,
        "check": check,
        "spin_version": spin_version(),
        "pml": str(pml_path),
        "trail_actions": None,
        "trail": None,
    }

    def finish(status: str) -> dict:
        result["status"] = status
        result["total_s"] = time.monotonic() - t0
        return result

    subprocess.run(["spin", "-a", pml_path.name], cwd=workdir, check=True, capture_output=True, text=True,
                   timeout=COMPILE_TIMEOUT_S)
    pan = f"pan_{name}"
    cflags = ["-O2", "-DSAFETY", f"-DMEMLIM={mem_cap_mb}"] + (["-DBFS"] if search == "bfs" else [])
    subprocess.run(["gcc", *cflags, "-o", pan, "pan.c"], cwd=workdir, check=True, capture_output=True, text=True,
                   timeout=COMPILE_TIMEOUT_S)
    t1 = time.monotonic()
    result["gen_compile_s"] = t1 - t0
    result["cflags"] = cflags

    out, timed_out = run_capped([f"./{pan}", f"-m{max_depth}", f"-w{hash_bits}"], workdir, deadline - t1)
    result["search_s"] = time.monotonic() - t1
    parsed = parse_pan(out)
    result.update({k: v for k, v in parsed.items() if k not in ("memory_out", "interrupted")})
    result["pan_stdout_tail"] = out[-3000:]

    if parsed["errors"]:
        if trail.exists():
            steps = _trail_steps(trail)
            result["trail_actions"] = steps - 1  # step 1 is the boot d_step
            if steps <= REPLAY_MAX_STEPS:
                rep = subprocess.run(["spin", "-t", "-p", "-B", pml_path.name], cwd=workdir, capture_output=True,
                                     text=True, timeout=COMPILE_TIMEOUT_S)
                result["trail"] = name_trail(text, rep.stdout)
        return finish("violation")
    if timed_out or parsed["interrupted"]:
        return finish("did not finish: time")
    if parsed["memory_out"]:
        return finish("did not finish: memory")
    if parsed["errors"] is None:
        raise RuntimeError(f"could not parse pan's output:\n{out}")
    if parsed["depth_limited"]:
        return finish("did not finish: depth")
    return finish("ok")


def _fmt(r: dict) -> str:
    mem = f"{r['memory_mb']:.0f}" if r.get("memory_mb") is not None else "-"
    trail = "" if r["trail_actions"] is None else f" trail={r['trail_actions']} {r['trail'] or ''}"
    return (
        f"N={r['n']:<3} BOOT={r['boot']} {'buggy' if r['buggy'] else 'fixed'} {r['search']}: "
        f"{r['status']:<22} states={r['states_stored']} vec={r['state_vector_bytes']}B mem={mem}MB "
        f"compile={r['gen_compile_s']:.2f}s search={r['search_s']:.2f}s total={r['total_s']:.2f}s{trail}"
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    import argparse
    import json

    ap = argparse.ArgumentParser(description="fixed/buggy x dfs/bfs table of the SPIN twin")
    ap.add_argument("n", nargs="*", type=int, default=[4, 6, 8], help="NSECT values (default 4 6 8)")
    ap.add_argument("--boot", type=int, default=None, help="BOOT (default: 1 for N=4, else 2)")
    ap.add_argument("--time-cap", type=float, default=120.0, help="seconds per run (default 120)")
    ap.add_argument("--mem-cap", type=int, default=2048, help="pan -DMEMLIM in MB (default 2048)")
    ap.add_argument("--search", choices=("dfs", "bfs"), action="append", help="default: both")
    ap.add_argument("--variant", choices=("fixed", "buggy"), action="append", help="default: both")
    ap.add_argument("--check", choices=("full", "local"), default="full", help="see promela.py")
    ap.add_argument("--json", type=Path, help="also append one JSON object per run to this file")
    args = ap.parse_args()
    print(spin_version())
    with tempfile.TemporaryDirectory(prefix="zcheck-spin-") as d:
        for n in args.n:
            boot = args.boot if args.boot is not None else (1 if n == 4 else 2)
            for variant in args.variant or ("fixed", "buggy"):
                for search in args.search or ("dfs", "bfs"):
                    r = run_spin(n, boot, variant == "buggy", search=search, time_cap_s=args.time_cap,
                                 mem_cap_mb=args.mem_cap, workdir=Path(d), check=args.check)
                    print(_fmt(r), flush=True)
                    if args.json:
                        with args.json.open("a") as f:
                            f.write(json.dumps({k: v for k, v in r.items() if k != "pan_stdout_tail"}) + "\n")
