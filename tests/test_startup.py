"""Start-up cost (issue 17): what a command loads, and the process exit that skips the
interpreter's teardown. bench/startup.py measures the times; these tests pin the
decisions that keep them down, so that a stray import does not quietly undo them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

cli_main = importlib.import_module("zcheck.cli.main")  # the module (zcheck.cli.main is also the function's name)

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
    assert not {m for m in modules if m == "rich" or m.startswith("rich.")}  # no terminal: no live progress


def test_check_loads_no_solver() -> None:
    code, modules = _loaded("check", str(MODEL))
    assert code == 0
    assert not {m for m in modules if m == "z3" or m.startswith("z3.")}
    assert "networkx" not in modules


@pytest.mark.parametrize("argv, code", [(["verify", str(MODEL)], 1), (["check", str(MODEL)], 0),
                                        (["check", "/no/such/model.zdl"], 2)])
def test_the_process_exit_keeps_the_code_and_every_line(argv: list[str], code: int, tmp_path: Path) -> None:
    """`python -m zcheck` ends with os._exit after flushing: the exit code and the whole
    output, to a file (block-buffered), are as `main` made them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out, err = tmp_path / "out", tmp_path / "err"
    with open(out, "w") as fo, open(err, "w") as fe:
        done = subprocess.run([sys.executable, "-m", "zcheck", *argv], env=env, stdout=fo, stderr=fe, timeout=300)
    assert done.returncode == code
    inline = subprocess.run([sys.executable, "-c", "import sys; from zcheck.cli import main; sys.exit(main(sys.argv[1:]))",
                             *argv], env=env, capture_output=True, text=True, timeout=300)
    assert inline.returncode == code
    assert out.read_text() == inline.stdout
    assert err.read_text() == inline.stderr


class _Exited(Exception):
    def __init__(self, how: str, code: int) -> None:
        super().__init__(how, code)
        self.how, self.code = how, code


def _hard(code: int) -> None:
    raise _Exited("os._exit", code)


def test_entry_skips_the_teardown_when_no_child_process_was_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "main", lambda: 7)
    monkeypatch.setattr(cli_main.os, "_exit", _hard)
    for name in ("multiprocessing", "concurrent.futures"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(_Exited) as got:
        cli_main.entry()
    assert (got.value.how, got.value.code) == ("os._exit", 7)


def test_entry_exits_normally_after_multiprocessing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDR process and --jobs workers are joined by multiprocessing's exit handlers."""
    import multiprocessing  # noqa: F401 - loaded, as PdrJob loads it

    monkeypatch.setattr(cli_main, "main", lambda: 5)
    monkeypatch.setattr(cli_main.os, "_exit", _hard)
    with pytest.raises(SystemExit) as got:
        cli_main.entry()
    assert got.value.code == 5


def test_entry_exits_normally_when_standard_output_cannot_be_flushed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Closed:
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli_main, "main", lambda: 1)
    monkeypatch.setattr(cli_main.os, "_exit", _hard)
    for name in ("multiprocessing", "concurrent.futures"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "stdout", Closed())
    with pytest.raises(SystemExit) as got:
        cli_main.entry()
    assert got.value.code == 1
