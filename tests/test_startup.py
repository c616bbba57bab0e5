"""Start-up cost (issue 17): what a command loads, and the process exit that skips the
interpreter's teardown. bench/startup.py measures the times; these tests pin the
decisions that keep them down, so that a stray import does not quietly undo them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "zcheck" / "models" / "zone_device_max_pfn.zdl"

_LOADED = """
import io, contextlib, json, sys
from zcheck.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def _loaded(*argv: str) -> tuple[int, set[str]]:
    """Exit code and the modules loaded by a command, run in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _LOADED, *argv], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return code, set(modules)


def test_verify_settled_by_bmc_and_k1_loads_no_pdr_inference_or_graph_library() -> None:
    """zone_device_max_pfn is decided by the shallow BMC and k = 1 induction: the PDR
    process (multiprocessing), inference and networkx (0.1 s to import) are never needed."""
    code, modules = _loaded("verify", str(MODEL))
    assert code == 1  # two violations
    assert not modules & {"networkx", "multiprocessing", "zcheck.checker.pdr_job", "zcheck.checker.infer",
                          "zcheck.system.candidates"}


def test_check_loads_no_solver() -> None:
    code, modules = _loaded("check", str(MODEL))
    assert code == 0
    assert not {m for m in modules if m == "z3" or m.startswith("z3.")}
    assert "networkx" not in modules
