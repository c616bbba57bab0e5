"""End-to-end tests of the command line: exit codes, ITF output, determinism, docs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zcheck import cli
from zcheck.diagnostics import CODES
from zcheck.spec.frontend import check_file
from zcheck.testing import collect, groups, run_group

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "models" / "zone_device_max_pfn.zdl"

HOLDING = """
model ok
var x: 0 .. 4 = 0
action inc() { require x < 3; x := x + 1 }
invariant small: x <= 3
"""

DEEP = """
model deep
var x: int = 0
var y: int = 0
action step(a: int, b: int) { require a * a + b * b == x * x + 7 * y; x := x + a * b; y := y + a }
invariant never: x * x * x + y * y * y != 33 || x < 0
"""


def zcheck(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_verify_seed_model_finds_jerome_sequence() -> None:
    proc = zcheck("verify", str(SEED), "-p", "device_above_max_pfn", "-p", "device_not_allocatable")
    assert proc.returncode == 1
    out = proc.stdout
    assert "VIOLATED     device_above_max_pfn" in out
    assert "PROVED       device_not_allocatable" in out
    step1 = out.index("step 1  add_dev(start = 0x40000, nr = 0x8000")
    step2 = out.index("step 2  add_ram(start = 0x48000, nr = 0x8000)")
    assert step1 < step2
    assert "max_pfn: 0x40000 -> 0x50000" in out
    assert "false: p >= max_pfn" in out


def test_exit_0_when_everything_holds(tmp_path: Path) -> None:
    spec = tmp_path / "ok.zdl"
    spec.write_text(HOLDING)
    proc = zcheck("verify", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PROVED" in proc.stdout


def test_exit_0_bmc_only_says_holds_not_proved(tmp_path: Path) -> None:
    spec = tmp_path / "ok.zdl"
    spec.write_text(HOLDING)
    proc = zcheck("verify", str(spec), "--engine", "bmc", "--depth", "5")
    assert proc.returncode == 0
    assert re.search(r"HOLDS +small +up to depth 5 \(bounded, not a proof\)", proc.stdout)
    assert "PROVED" not in proc.stdout


def test_exit_2_on_bad_input(tmp_path: Path) -> None:
    spec = tmp_path / "bad.zdl"
    spec.write_text("model m\nvar x: int = 0\naction a() { x = 1 }\n")
    proc = zcheck("check", str(spec))
    assert proc.returncode == 2
    assert "error[ZC101]" in proc.stderr and f"{spec}:3:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_exit_2_on_bad_command_line() -> None:
    proc = zcheck("verify", str(SEED), "--depth", "many")
    assert proc.returncode == 2
    assert "error[ZC403]" in proc.stderr


def test_exit_3_on_timeout(tmp_path: Path) -> None:
    spec = tmp_path / "deep.zdl"
    spec.write_text(DEEP)
    proc = zcheck("verify", str(spec), "--engine", "bmc", "--depth", "30", "--timeout", "3")
    assert proc.returncode == 3, proc.stdout
    # the verdict, or (on a machine so loaded that loading the model took the 3 s) the
    # message that nothing was checked; test_limits.py pins the partial verdicts
    assert "UNKNOWN" in proc.stdout + proc.stderr


def test_exit_4_when_a_trace_does_not_replay(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import zcheck.api as api
    from zcheck.counterexamples.decode import ReplayError

    def broken(_: object) -> None:
        raise ReplayError("deliberately broken decoder")

    monkeypatch.setattr(api, "decode", broken)
    code = cli.main(["verify", str(SEED), "-p", "device_above_max_pfn", "--engine", "bmc", "--depth", "3"])
    assert code == 4
    assert "does not replay" in capsys.readouterr().err


def test_json_is_itf_and_loads_with_itf_py(tmp_path: Path) -> None:
    itf = pytest.importorskip("itf_py")
    out = tmp_path / "trace.itf.json"
    proc = zcheck("verify", str(SEED), "-p", "device_above_max_pfn", "--format", "json", "-o", str(out))
    assert proc.returncode == 1
    doc = json.loads(out.read_text())
    meta = doc["#meta"]
    assert meta["format"] == "ITF" and meta["property"] == "device_above_max_pfn"
    assert meta["verdict"] == "violated" and meta["trace_depth"] == 2
    assert {"zcheck", "z3", "seed", "depth"} <= set(meta)
    assert [s["#meta"].get("transition") for s in doc["states"]] == [None, "add_dev", "add_ram"]
    trace = itf.trace_from_json(doc)
    assert len(trace.states) == 3
    assert trace.states[2].values["max_pfn"] == 0x50000


def test_same_seed_same_bytes() -> None:
    runs = [zcheck("verify", str(SEED), "--seed", "7").stdout for _ in range(2)]
    assert runs[0] == runs[1]


def _library_groups() -> list[tuple[str, int]]:
    """(model, index) of each group of `check` directives of the library that share one run."""
    return [(os.path.relpath(f, ROOT), i) for f in collect([str(ROOT / "models")])
            for i, _ in enumerate(groups(check_file(f).checks))]


@pytest.mark.parametrize("model,index", _library_groups(), ids=lambda v: str(v))
def test_models_pass_their_own_checks(model: str, index: int) -> None:
    """What `zcheck test models` runs, one group of directives per test (in-process, so
    that the workers share the about 60 s it takes; the longest group is ~15 s)."""
    checks = groups(check_file(str(ROOT / model)).checks)[index]
    outcomes = run_group(str(ROOT / model), checks)
    assert len(outcomes) == len(checks)
    assert all(o.passed for o in outcomes), [f"{o.name}: got {o.got}" for o in outcomes if not o.passed]


def test_models_pass_exits_0_with_the_summary() -> None:
    proc = zcheck("test", "models/section_hotplug.zdl", "models/mixed_section.zdl")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed" and len(lines) > 2


def test_failed_expectation_exits_1(tmp_path: Path) -> None:
    spec = tmp_path / "wrong.zdl"
    spec.write_text(HOLDING + "check small expect violated\n")
    junit = tmp_path / "j.xml"
    proc = zcheck("test", str(spec), "--junit", str(junit))
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "0 passed, 1 failed" in proc.stdout
    assert "<failure" in junit.read_text()


def test_every_diagnostic_code_is_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    for code in CODES:
        assert f"`{code}`" in doc, code


def test_readme_sample_output_is_what_zcheck_prints(tmp_path: Path) -> None:
    """The README's short model and the output shown under it do not drift apart."""
    import subprocess
    import sys

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("model zone_device_max_pfn\n")
    (tmp_path / "zone_device_max_pfn.zdl").write_text(readme[start:readme.index("```", start)], encoding="utf-8")
    marker = "`zcheck verify` on it:\n\n```\n"
    shown = readme[readme.index(marker) + len(marker):]
    shown = shown[:shown.index("```")]
    proc = subprocess.run([sys.executable, "-m", "zcheck", "verify", "zone_device_max_pfn.zdl"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    printed = "".join(proc.stdout.splitlines(keepends=True)[2:])
    assert printed == shown


def test_contradictory_assumes_warn_that_every_proof_is_vacuous(tmp_path: Path) -> None:
    """A model with no initial state proves everything; `verify` says so (ZC905, at the
    first `assume`), and says nothing on a model that has one."""
    spec = tmp_path / "vac.zdl"
    spec.write_text("model vac\nconst N: int\nassume N > 5\nassume N < 3\nvar x: int = 0\n"
                    "action inc() { x := x + 1 }\ninvariant pos: x >= 0\n")
    r = zcheck("verify", str(spec), "--depth", "2")
    assert "warning[ZC905]" in r.stderr and f"{spec}:3:1" in r.stderr, r.stderr
    ok = tmp_path / "ok.zdl"
    ok.write_text(HOLDING)
    assert "ZC905" not in zcheck("verify", str(ok), "--depth", "2").stderr
