"""Limits and determinism of `zcheck verify`, run as a user runs it (a subprocess):
`--timeout` is honoured with partial verdicts and exit 3, `--memory-limit` stops Z3 with
exit 3 and a clear message, SIGINT prints the verdicts so far and exits 3, and output
is byte-identical across runs and across `--jobs 1` / `--jobs 2`, with the seed shown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "zone_device_max_pfn.zdl")

# Sums of three cubes (x^3 + y^3 + z^3 = 33 + steps, |x| > 10^6): nonlinear integer
# arithmetic that Z3 cannot settle in seconds. `easy` is proved at once, so the partial
# results hold one verdict and one UNKNOWN.
HARD = """model hard
var found: bool = false
var steps: int = 0
action tick() {
  steps := steps + 1
}
action try(x: int, y: int, z: int) {
  require x * x * x + y * y * y + z * z * z == 33 + steps
  require x > 1000000 || x < -1000000
  found := true
}
invariant easy: steps >= 0
invariant no_sum_of_cubes: !found
"""


def _zcheck(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture()
def hard(tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "hard.zdl"
    path.write_text(HARD)
    return str(path)


# `easy` is proved by k = 1 induction after the shallow BMC, whose two queries of
# nonlinear arithmetic spend their budget of Z3 resource units: about 2-3 s on an idle
# 2-core machine, more under load. The limit leaves room for that, so the test asserts
# behaviour (the run ends near the limit with exit 3, the proved property PROVED, the
# other UNKNOWN) and not the speed of the machine; the bound on the wall time is the
# contract, 1 s after the limit, plus Python's start (counted here, not by --timeout).
LIMIT = 10.0


def test_timeout_returns_within_a_second_of_the_limit(hard: str) -> None:
    start = time.monotonic()
    done = _zcheck("verify", hard, "--timeout", f"{LIMIT:g}")
    wall = time.monotonic() - start
    assert done.returncode == 3, done.stderr
    assert wall < LIMIT + 1.5, f"--timeout {LIMIT:g} took {wall:.2f} s"
    lines = done.stdout.splitlines()
    assert any(line.split()[:2] == ["PROVED", "easy"] for line in lines)
    assert any(line.split()[:2] == ["UNKNOWN", "no_sum_of_cubes"] and "timeout" in line for line in lines)
    assert "Traceback" not in done.stderr


# A solver step that ignores its time limit, as Z3 does on nonlinear arithmetic now and
# then (0.6 s late once in CI): the engines' thread proves `easy`, tells the board that
# BMC reached depth 4 on the other property, has a PDR child still running (a sleeper
# stands in for Spacer, which gives up on this model at once), then hangs.
STUCK = """
import multiprocessing, sys, time
from zcheck import api
from zcheck.checker.bmc import Options
from zcheck.checker.pdr_job import PdrJob
from zcheck.cli import main

real = api.check_system

def stuck(system, props, *args, board, **kwargs):
    real(system, [p for p in props if p.name == "easy"], *args, board=board, **kwargs)
    board.hooks(Options()).on_depth(4, ["no_sum_of_cubes"])
    job = PdrJob(system, [], 1.0)
    job.stop()
    job._proc = multiprocessing.get_context("fork").Process(target=time.sleep, args=(90,))
    job._proc.start()
    board.attach(job)
    sys.stderr.write(f"pdr pid {job._proc.pid}\\n")
    sys.stderr.flush()
    time.sleep(60)

if __name__ == "__main__":
    api.check_system = stuck
    sys.stderr.write("main\\n")  # --timeout counts from here: the imports above come before
    sys.stderr.flush()
    sys.exit(main(sys.argv[1:]))
"""


def test_watchdog_reports_the_verdicts_so_far_when_the_solver_overruns(hard: str) -> None:
    script = os.path.join(os.path.dirname(hard), "stuck.py")
    with open(script, "w", encoding="utf-8") as fh:
        fh.write(STUCK)
    proc = subprocess.Popen([sys.executable, script, "verify", hard, "--timeout", f"{LIMIT:g}", "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stderr is not None and proc.stderr.readline() == "main\n"
        start = time.monotonic()
        proc.wait(timeout=60)
        wall = time.monotonic() - start
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert wall < LIMIT + 1.0, f"--timeout {LIMIT:g} took {wall:.2f} s from main() with a stuck solver"
    lines = out.splitlines()
    # Every property gets a line. How far each got by the deadline depends on the machine's load
    # (on a busy machine `easy` may not be proved yet), so only the verdict class is asserted.
    assert any(line.split()[:2] in (["PROVED", "easy"], ["UNKNOWN", "easy"]) for line in lines), out
    assert any(line.split()[:2] == ["UNKNOWN", "no_sum_of_cubes"] and "timeout" in line for line in lines), out
    assert "solver did not stop at the deadline" in err
    pid = int(err.split("pdr pid ")[1].split()[0])
    assert not _running(pid), "the PDR process was left running"


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait for a reaper that never comes)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_memory_limit_stops_z3_with_exit_3() -> None:
    done = _zcheck("verify", os.path.join(ROOT, "models", "section_hotplug.zdl"), "--memory-limit", "5")
    assert done.returncode == 3
    assert "memory limit of 5 MB" in done.stderr and "Traceback" not in done.stderr


def test_memory_limit_large_enough_changes_nothing() -> None:
    model = os.path.join(ROOT, "models", "section_hotplug.zdl")
    plain = _zcheck("verify", model, "--depth", "2")
    limited = _zcheck("verify", model, "--depth", "2", "--memory-limit", "4000")
    assert plain.returncode == limited.returncode == 0
    assert plain.stdout == limited.stdout


def test_sigint_prints_partial_verdicts_and_exits_3(hard: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "zcheck", "verify", hard, "--depth", "5", "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until `easy` is proved (-v says so on stderr)
            seen.append(line)
            if "easy decided by" in line:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, "".join(seen) + err
    lines = out.splitlines()
    assert any(line.split()[:2] == ["PROVED", "easy"] for line in lines)
    assert any(line.split()[:2] == ["UNKNOWN", "no_sum_of_cubes"] for line in lines)
    assert "Traceback" not in err


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children", encoding="utf-8") as fh:
                    kids = {int(x) for x in fh.read().split()}
            except FileNotFoundError:
                continue
            todo += sorted(kids - out)
            out |= kids
    return out


TWO_HARD = HARD + "invariant also_hard: !found || steps > 5\n"


@pytest.mark.parametrize(("extra", "sig", "code"), [
    ((), signal.SIGTERM, 143),
    (("--jobs", "2"), signal.SIGTERM, 143),
    (("--jobs", "2"), signal.SIGINT, 3),
], ids=["sigterm", "sigterm-jobs-2", "sigint-jobs-2"])
def test_a_signal_ends_the_run_with_its_verdicts_and_no_process_left(
        tmp_path, extra: tuple[str, ...], sig: int, code: int) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM (a CI job cancelled) and SIGINT sent to zcheck alone: the verdicts so far
    are printed, the exit is 143 or 3, and no child (PDR's, a --jobs worker) is left.
    With --jobs 2 the workers used to outlive a SIGTERM and the parent hung at exit
    waiting for them."""
    spec = tmp_path / "two.zdl"
    spec.write_text(TWO_HARD)
    proc = subprocess.Popen([sys.executable, "-m", "zcheck", "verify", str(spec), "--depth", "30", "-v", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        want = 2 if extra else 0  # the workers (one per property), or none needed
        while time.monotonic() < deadline and len(_descendants(proc.pid)) < want:
            time.sleep(0.1)
        if not extra:
            assert proc.stderr is not None
            for line in proc.stderr:  # wait until `easy` is proved: then it must be printed
                if "easy decided by" in line:
                    break
        time.sleep(1.0)
        children = _descendants(proc.pid)
        assert len(children) >= want, children
        if extra:  # min(N, cores, properties) workers; their fork servers, resource trackers and PDR
            # children are below them (how many of those are up 1 s in depends on how fast the workers start)
            workers = {c for c in children if _parent(c) == proc.pid}
            assert len(workers) <= 2, children
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == code, out + err
    assert "Traceback" not in err
    lines = out.splitlines()
    for name in ("easy", "no_sum_of_cubes", "also_hard"):
        assert any(line.split()[1:2] == [name] and line.split()[0] in ("PROVED", "UNKNOWN") for line in lines), out
    if not extra:
        assert any(line.split()[:2] == ["PROVED", "easy"] for line in lines), out
    time.sleep(0.5)
    left = [c for c in children if _running(c)]
    assert not left, f"processes left after the run: {left}"


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def _pdr_children(pids: set[int]) -> list[int]:
    """The processes among `pids` forked by a fork server (PDR's children)."""
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{ppid}/cmdline", "rb") as fh:
                if b"forkserver" in fh.read():
                    out.append(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return out


def test_no_process_outlives_a_killed_zcheck(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL leaves zcheck no chance to stop its workers (they die with it: the kernel's
    parent-death signal) nor their PDR processes, whose parent is a fork server. Two PDR
    children were once found solving 40 minutes after their zcheck had been SIGKILLed
    (not reproduced here since); a PDR child now also watches the process that started
    it and ends with it. This pins the outcome: nothing below zcheck survives it."""
    spec = tmp_path / "two.zdl"
    spec.write_text(TWO_HARD)
    proc = subprocess.Popen([sys.executable, "-m", "zcheck", "verify", str(spec), "--depth", "30", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 90
        below: set[int] = set()
        while time.monotonic() < deadline and not _pdr_children(below):
            time.sleep(0.2)
            below = _descendants(proc.pid)
        assert _pdr_children(below), f"PDR never started: {below}"
        proc.kill()
        proc.wait(timeout=10)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(_running(c) for c in below):
            time.sleep(0.2)
        assert not [c for c in below if _running(c)], "a child of zcheck outlived it"
    finally:
        proc.kill()
        for c in _descendants(proc.pid):
            os.kill(c, signal.SIGKILL)


def test_same_command_three_times_is_byte_identical() -> None:
    for fmt in ("text", "json"):
        outs = {_zcheck("verify", MODEL, "--depth", "2", "--format", fmt, "--seed", "3").stdout for _ in range(3)}
        assert len(outs) == 1 and outs.pop()


def test_jobs_1_and_2_byte_identical() -> None:
    props = ["-p", "device_above_max_pfn", "-p", "device_not_allocatable", "-p", "max_pfn_tracks_removal"]
    for fmt in ("text", "json"):
        one = _zcheck("verify", MODEL, "--depth", "2", "--jobs", "1", "--format", fmt, *props)
        two = _zcheck("verify", MODEL, "--depth", "2", "--jobs", "2", "--format", fmt, *props)
        assert one.returncode == two.returncode == 1
        assert one.stdout == two.stdout
    assert "VIOLATED     device_above_max_pfn" in _zcheck("verify", MODEL, "--depth", "2", "--jobs", "2", *props).stdout


def test_seed_in_verbose_and_json() -> None:
    # depth 2: BMC finds the violation and the run ends (at depth 1 the proof engines
    # spend seconds on a property that is false, which says nothing about the seed)
    text = _zcheck("verify", MODEL, "--depth", "2", "--seed", "7", "-v", "-p", "device_above_max_pfn")
    assert "seed 7" in text.stdout
    doc = json.loads(_zcheck("verify", MODEL, "--depth", "2", "--seed", "7", "--format", "json",
                             "-p", "device_above_max_pfn").stdout)
    assert doc["#meta"]["seed"] == 7


def test_board_holds_what_the_run_reports() -> None:
    """What the watchdog would print at the end of a run is what the run prints; a
    violation is decoded once, when found; only the first `take` reports."""
    from zcheck import api

    system = api.build(MODEL, {}, None)
    props = api.select(system, None)
    board = api.Board()
    run = api.verify_system(system, props, 3, engine="bmc", board=board)
    assert board.partial(props) == run.results
    violated = [r for r in run.results if r.verdict == "violated"]
    assert violated and all(r is p for r in violated for p in board.partial(props) if p.name == r.name)
    assert board.take() and not board.take()


def test_board_reports_undecided_properties_with_the_depth_reached() -> None:
    from zcheck import api
    from zcheck.checker.bmc import Options

    system = api.build(MODEL, {}, None)
    props = api.select(system, None)
    board = api.Board()
    hooks = board.hooks(Options())
    assert hooks.on_depth is not None
    hooks.on_depth(2, [props[0].name])
    hooks.on_depth(1, [props[0].name, props[1].name])
    first, second, third = board.partial(props)[:3]
    assert (first.verdict, first.detail) == ("unknown", "timeout (no violation up to depth 2)")
    assert (second.verdict, second.detail) == ("unknown", "timeout (no violation up to depth 1)")
    assert (third.verdict, third.detail) == ("unknown", "timeout")
    # a run whose main BMC the deadline cut at depth 1 still says how deep BMC got for it
    from zcheck.checker.results import Unknown

    cut = Unknown(props[0], 1, "timeout")
    assert board.final(props[0], cut, None).detail == "timeout (no violation up to depth 2)"
    board.sync(props[:1], {props[0].name: cut})
    assert board.partial(props)[0].detail == "timeout (no violation up to depth 2)"


# Found by test_differential's proof campaign run outside pytest: Spacer finds an
# invariant for the range check of `a0` at once and then spends 47 s of its rlimit
# re-checking it. Where PDR cannot run in a child (a script without a `__main__` guard,
# a daemonic Dask worker), nothing stops an attempt from outside, so the deadline must
# go into it: `verify_system(..., timeout=10)` took 44 s here before.
SLOW_RECHECK = """model slow_recheck
enum color_t { RED, GREEN, BLUE }
var v0: 0 .. 3 = 1
var v1: 0 .. 2 = 0
var m2: map[0 .. 2] color_t = RED
var v3: color_t = RED
action a0 {
  v3 := (if (v3 == RED) then GREEN else v3)
  v0 := ((v0 + 2) % 3)
  v1 := ((v1 + 1) % 2)
  m2[2 .. 2] := v3
}
action a1 {
  require (if (v0 <= v1) then (5 != v0) else (3 in 1 .. 1))
  m2[v1] := (if (m2[v1] == RED) then GREEN else m2[v1])
  v0 := ((v0 - 1) % 3)
}
"""


def test_an_in_process_pdr_attempt_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    from zcheck import api
    from zcheck.checker import pdr_job
    from zcheck.checker.pdr import PDR_RLIMIT_PDR

    monkeypatch.setattr(pdr_job, "_main_is_importable", lambda: False)
    system = api.build("<model>", text=SLOW_RECHECK)
    props = [p for p in system.properties if p.name.startswith("a0.range")]
    assert props
    job = pdr_job.PdrJob(system, props, PDR_RLIMIT_PDR)
    assert job._proc is None  # in-process
    start = time.monotonic()
    got = job.collect(1.0)
    assert time.monotonic() - start < 4.0
    assert all(o.certificate is None for o in got.values())
