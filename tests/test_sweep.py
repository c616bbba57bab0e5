"""`zcheck sweep`: variants × properties as independent jobs, the same table from one
process, from worker processes and from a Dask cluster (a `LocalCluster` on 127.0.0.1),
its JSON and JUnit forms, the cells kept when the time runs out or Ctrl-C comes, a
worker killed in the middle of a job, and `zcheck test --scheduler`. Depths are tiny:
the point is where the jobs run, not the checking."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from zcheck import jobs
from zcheck.cli.sweep import axes_of, split_values
from zcheck.sweep import Axis, variants

ROOT = Path(__file__).resolve().parent.parent
MODEL = "models/zone_device_max_pfn.zdl"
SMALL = ("sweep", MODEL, "-D", "POLICY=RFC_2015,V6_15_PLUS", "-D", "SECTION=0x8000",
         "-p", "device_above_max_pfn", "-p", "device_not_allocatable", "--depth", "2")
SMALL_TABLE = """\
  POLICY      device_above_max_pfn  device_not_allocatable
  RFC_2015    VIOLATED@2            PROVED
  V6_15_PLUS  VIOLATED@2            PROVED
"""

# HARD = false: `no_find` is violated at once; HARD = true: a search for a sum of cubes
# that runs until it is stopped.
FAST_AND_SLOW = """model fast_and_slow
const HARD: bool = false
var found: bool = false
var steps: int = 0
action tick() { steps := steps + 1 }
action try(x: int, y: int, z: int) {
  require HARD || x == 1
  require !HARD || (x * x * x + y * y * y + z * z * z == 33 + steps && (x > 1000000 || x < -1000000))
  found := true
}
invariant no_find: !found
"""


def zcheck(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def table(stdout: str) -> str:
    """The rows of a text report (between the header and the summary)."""
    return stdout.split("\n\n")[1] + "\n"


# ---------------------------------------------------------------- the plan


def test_values_split_on_commas_outside_parentheses() -> None:
    assert split_values("4,8, 16") == ["4", "8", "16"]
    assert split_values("max(2, 3),4") == ["max(2, 3)", "4"]
    axes, fixed = axes_of({"N": "4,8", "FIX": "false,true", "M": "1"})
    assert axes == [Axis("N", ("4", "8")), Axis("FIX", ("false", "true"))] and fixed == {"M": "1"}


def test_variants_are_the_cartesian_product_first_axis_slowest() -> None:
    rows = variants([Axis("N", ("4", "8")), Axis("FIX", ("false", "true"))])
    assert rows == [(("N", "4"), ("FIX", "false")), (("N", "4"), ("FIX", "true")),
                    (("N", "8"), ("FIX", "false")), (("N", "8"), ("FIX", "true"))]


def test_bad_input_is_a_diagnostic_before_anything_runs(tmp_path: Path) -> None:
    done = zcheck("sweep", MODEL, "-D", "POLICY=RFC_2015,NO_SUCH_POLICY", "--depth", "1")
    assert done.returncode == 2 and "error[" in done.stderr and "Traceback" not in done.stderr
    done = zcheck("sweep", MODEL, "-D", "POLICY=RFC_2015,", "--depth", "1")
    assert done.returncode == 2 and "error[ZC401]" in done.stderr
    done = zcheck("sweep", MODEL, "-p", "no_such_property", "--depth", "1")
    assert done.returncode == 2 and "error[ZC402]" in done.stderr


# ---------------------------------------------------------------- on this machine


def test_the_table_is_the_same_for_any_number_of_workers() -> None:
    one = zcheck(*SMALL, "--jobs", "1")
    two = zcheck(*SMALL, "--jobs", "2")
    assert one.returncode == two.returncode == 1  # a violation: verify's exit code
    assert one.stdout == two.stdout
    assert table(one.stdout) == SMALL_TABLE
    assert "2 variants x 2 properties; in every variant SECTION=0x8000" in one.stdout
    assert one.stdout.rstrip().endswith("4 cells: 2 violated, 2 proved")


def test_json_and_junit(tmp_path: Path) -> None:
    done = zcheck(*SMALL, "--jobs", "2", "--format", "json")
    doc = json.loads(done.stdout)
    assert doc["axes"] == [{"name": "POLICY", "values": ["RFC_2015", "V6_15_PLUS"]}]
    assert doc["fixed"] == {"SECTION": "0x8000"}
    assert doc["properties"] == ["device_above_max_pfn", "device_not_allocatable"]
    first = doc["rows"][0]
    assert first["defines"] == {"POLICY": "RFC_2015"}
    assert first["cells"]["device_above_max_pfn"]["verdict"] == "violated"
    assert first["cells"]["device_above_max_pfn"]["depth"] == 2
    assert first["cells"]["device_not_allocatable"]["text"] == "PROVED"
    out = tmp_path / "sweep.xml"
    done = zcheck(*SMALL, "--jobs", "2", "--format", "junit", "-o", str(out))
    assert done.returncode == 1 and done.stdout == ""
    suite = ET.parse(out).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    failed = [(c.get("classname"), c.get("name")) for c in suite if c.find("failure") is not None]
    assert failed == [(f"{MODEL}[POLICY=RFC_2015]", "device_above_max_pfn"),
                      (f"{MODEL}[POLICY=V6_15_PLUS]", "device_above_max_pfn")]


def test_timeout_keeps_the_cells_obtained(tmp_path: Path) -> None:
    spec = tmp_path / "fs.zdl"
    spec.write_text(FAST_AND_SLOW)
    done = zcheck("sweep", str(spec), "-D", "HARD=false,true", "--engine", "bmc", "--depth", "30",
                  "--jobs", "2", "--timeout", "4")
    assert done.returncode == 1, done.stderr  # a violation outranks an unknown
    assert table(done.stdout) == "  HARD   no_find\n  false  VIOLATED@1\n  true   UNKNOWN\n"
    assert "HARD=true  no_find: UNKNOWN, timeout" in done.stdout


def test_ctrl_c_keeps_the_cells_obtained_and_leaves_no_worker(tmp_path: Path) -> None:
    spec = tmp_path / "fs.zdl"
    spec.write_text(FAST_AND_SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "zcheck", "sweep", str(spec), "-D", "HARD=false,true",
                             "--engine", "bmc", "--depth", "30", "--jobs", "2", "-v"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the fast cell is in
            if "HARD=false  no_find: VIOLATED@1" in line:
                break
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1 and "Traceback" not in err
    assert table(out) == "  HARD   no_find\n  false  VIOLATED@1\n  true   UNKNOWN\n"
    assert "HARD=true  no_find: UNKNOWN, interrupted" in out
    assert workers and not [w for w in workers if os.path.exists(f"/proc/{w}")]


def _children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children", encoding="utf-8") as fh:
            out += [int(x) for x in fh.read().split()]
    return out


def _pdr_in_a_daemon(spec: str, out: "multiprocessing.Queue[tuple[str, str]]") -> None:
    from zcheck import api

    system = api.build(spec)
    (r,) = api.verify_system(system, api.select(system, ["small"]), 3, engine="pdr").results
    out.put((r.verdict, r.detail))


def test_pdr_runs_in_process_inside_a_daemonic_worker(tmp_path: Path) -> None:
    """A Dask worker is a daemonic process, which may not start children: PDR runs in
    the worker itself (it raised AssertionError there, a failed job)."""
    import multiprocessing

    spec = tmp_path / "small.zdl"
    spec.write_text("model small\nvar x: 0 .. 5 = 0\naction inc() { require x < 3; x := x + 1 }\n"
                    "invariant small: x <= 3\n")
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    worker = ctx.Process(target=_pdr_in_a_daemon, args=(str(spec), out), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                verdict, detail = out.get(timeout=0.5)
                break
            except queue.Empty:
                assert worker.is_alive() and time.monotonic() < deadline, "the job failed in the daemonic worker"
    finally:
        worker.join(timeout=30)
        worker.kill()
    assert verdict == "proved" and "PDR" in detail, detail


def test_scheduler_without_the_extra_names_it() -> None:
    """`pip install .` alone: `--scheduler` exits 2 and says which extra to install."""
    code = ("import sys; sys.modules['distributed'] = None; from zcheck.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, *SMALL, "--scheduler", "tcp://127.0.0.1:8786"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "error[ZC409]" in done.stderr
    assert "pip install 'zcheck[cluster]'" in done.stderr and done.stdout == ""


def test_an_unreachable_scheduler_is_zc409() -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = zcheck(*SMALL, "--scheduler", f"tcp://127.0.0.1:{port}")
    assert done.returncode == 2 and "error[ZC409]: cannot reach the Dask scheduler" in done.stderr
    assert done.stdout == ""


# ---------------------------------------------------------------- on a Dask cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two single-threaded worker processes and their scheduler, on the loopback only."""
    distributed = pytest.importorskip("distributed")
    c = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                 dashboard_address="127.0.0.1:0", worker_dashboard_address=None)
    try:
        yield c.scheduler_address
    finally:
        c.close()


def test_the_cluster_gives_the_table_of_a_local_run(cluster: str) -> None:
    assert cluster.startswith("tcp://127.0.0.1:")
    local = zcheck(*SMALL, "--jobs", "2")
    remote = zcheck(*SMALL, "--scheduler", cluster)
    assert (remote.returncode, remote.stdout) == (local.returncode, local.stdout), remote.stderr
    assert table(remote.stdout) == SMALL_TABLE
    by_env = zcheck(*SMALL, "--format", "json", env={"ZCHECK_SCHEDULER": cluster})
    assert by_env.stdout == zcheck(*SMALL, "--format", "json", "--jobs", "1").stdout
    # --jobs says "on this machine": the environment's scheduler is not used
    assert zcheck(*SMALL, "--jobs", "1", env={"ZCHECK_SCHEDULER": "tcp://127.0.0.1:1"}).stdout == local.stdout


def test_zcheck_test_runs_the_check_directives_on_the_cluster(cluster: str, tmp_path: Path) -> None:
    spec = tmp_path / "m.zdl"
    spec.write_text(FAST_AND_SLOW.replace("x == 1", "x == 1 && steps > 0")
                    + "check no_find expect violated at 2\n"
                    + "check no_find depth 1 engine bmc expect holds\n"
                    + "check no_find expect holds\n")
    local = zcheck("test", str(spec))
    remote = zcheck("test", str(spec), "--scheduler", cluster)
    assert remote.returncode == local.returncode == 1
    assert remote.stdout == local.stdout
    assert remote.stdout.rstrip().endswith("2 passed, 1 failed")


def _sleepy(i: int, marks: str) -> int:
    """A job that says which process runs it, then sleeps."""
    Path(marks, f"{i}-{os.getpid()}").touch()
    time.sleep(2.0)
    return i


def test_a_worker_killed_mid_job_is_retried_and_nothing_is_lost(cluster: str, tmp_path: Path) -> None:
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers need not import this file
    work = [(i, str(tmp_path)) for i in range(4)]
    got: dict[int, int] = {}
    out: list[jobs.Ran[int]] = []
    runner = threading.Thread(target=lambda: out.append(jobs.run(_sleepy, work, jobs.Cluster(cluster),
                                                                 lambda i, r: got.setdefault(i, r))))
    runner.start()
    deadline = time.monotonic() + 60
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim_job, victim = next(iter(tmp_path.iterdir())).name.split("-")
    os.kill(int(victim), signal.SIGKILL)  # the worker process, in the middle of the job
    runner.join(timeout=120)
    assert not runner.is_alive()
    (ran,) = out
    assert ran.results == {0: 0, 1: 1, 2: 2, 3: 3} and ran.lost == {} and got == ran.results
    runs = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(f"{victim_job}-"))
    assert len(runs) == 2 and f"{victim_job}-{victim}" in runs  # started again, in another process
