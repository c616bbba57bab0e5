"""Benchmark plumbing: run one measurement in a fresh process, medians, machine facts.

Every measurement runs in its own child process (`bench/worker.py`, or a whole command
line), so that Z3's term cache and Python's import cache never carry over from one
measurement to the next, and the child's peak resident memory (`ru_maxrss` from
`os.wait4`) is that measurement's alone.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from typing import Any
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Sample:
    """One child process: its JSON answer (workers) or exit code (commands), wall time
    of the whole process, and peak resident memory in MiB."""

    answer: dict
    returncode: int
    wall: float
    peak_mib: float
    timed_out: bool = False
    stdout: str = ""
    cpu: float = 0.0  # user + system seconds of the child (and its reaped children)


def run_child(argv: list[str], timeout: float | None = None, cwd: Path = ROOT) -> Sample:
    """Run argv and reap it with wait4, which gives this child's own rusage (peak RSS).
    The last stdout line is parsed as JSON when it is JSON. On timeout the whole process
    group is killed and the sample says so."""
    with tempfile.TemporaryFile(mode="w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    return Sample(_last_json(text), proc.returncode, wall, usage.ru_maxrss / 1024, fired.is_set(), text,
                  usage.ru_utime + usage.ru_stime)


def _last_json(out: str) -> dict:
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return {}
    return {}


def zcheck(*args: str) -> list[str]:
    """The argv of a whole `zcheck` command, as a user runs it."""
    return [sys.executable, "-m", "zcheck", *args]


def worker(task: str, **args: object) -> list[str]:
    """The argv of one worker measurement."""
    return [sys.executable, str(BENCH / "worker.py"), task, json.dumps(args, sort_keys=True)]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def machine() -> dict[str, str]:
    """Facts printed at the top of docs/benchmarks.md."""
    import z3  # noqa: PLC0415 - only the benchmark driver needs the version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "z3": z3.get_version_string(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": _git("rev-parse", "--short", "HEAD"),
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt_s(x: float) -> str:
    """Seconds for a table cell."""
    if x != x:  # nan
        return "–"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def library_directives() -> list[tuple[str, Any, tuple[tuple[str, str], ...], bool]]:
    """Every `check` directive of models/*.zdl, in file order: (the model's path relative
    to ROOT, the directive, its overrides as -D pairs, whether its target is a liveness
    property). The benches of directives (liveness.py, proofs.py) pick theirs from it."""
    sys.path.insert(0, str(ROOT))
    from zcheck.spec.frontend import check_file
    from zcheck.testing import override_text

    out = []
    for path in sorted((ROOT / "models").glob("*.zdl")):
        checked = check_file(str(path))
        live = {p.name for p in checked.properties if p.op is not None}
        for c in checked.checks:
            defines = tuple((o.name, override_text(o.value)) for o in c.overrides)
            out.append((str(path.relative_to(ROOT)), c, defines, c.target in live))
    return out
