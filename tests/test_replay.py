"""`zcheck replay SPEC TRACE.json`: a trace saved by `verify --format json` is confirmed on
the same model, refuted once the bug is fixed, and a bad file gets a located diagnostic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "models" / "zone_device_max_pfn.zdl"
ZHANG_GUARD = "if max_pfn >= start && max_pfn < start + nr {\n      max_pfn := start"
FIXED_GUARD = "if max_pfn > start && max_pfn <= start + nr {\n      max_pfn := start"


def zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def zhang_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replay") / "zhang.json"
    proc = zcheck("verify", str(SEED), "-p", "max_pfn_tracks_removal", "-D", "REMOVE=ZHANG_2014",
                  "--format", "json", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    return out


@pytest.mark.parametrize("prop, defines", [
    ("device_above_max_pfn", []),
    ("device_above_max_pfn", ["-D", "POLICY=V4_3_TO_V6_14"]),
    ("max_pfn_tracks_removal", []),
    ("device_below_ram", []),
])
def test_replay_confirms_what_verify_wrote(tmp_path: Path, prop: str, defines: list[str]) -> None:
    out = tmp_path / "t.json"
    proc = zcheck("verify", str(SEED), "-p", prop, *defines, "--format", "json", "-o", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    depth = json.loads(out.read_text())["#meta"]["trace_depth"]
    again = zcheck("replay", str(SEED), str(out), *defines)
    assert again.returncode == 1, again.stdout + again.stderr
    word = "STILL REACHED" if prop == "device_below_ram" else "STILL VIOLATED"
    assert f"{word}: `{prop}`" in again.stdout
    assert f"state {depth} of the replayed trace" in again.stdout
    assert "relevance:" in again.stdout


def test_replay_refutes_after_the_guard_is_fixed(tmp_path: Path, zhang_trace: Path) -> None:
    confirm = zcheck("replay", str(SEED), str(zhang_trace), "-D", "REMOVE=ZHANG_2014")
    assert confirm.returncode == 1 and "STILL VIOLATED" in confirm.stdout
    text = SEED.read_text()
    assert ZHANG_GUARD in text
    fixed = tmp_path / "fixed.zdl"
    fixed.write_text(text.replace(ZHANG_GUARD, FIXED_GUARD))
    refute = zcheck("replay", str(fixed), str(zhang_trace), "-D", "REMOVE=ZHANG_2014")
    assert refute.returncode == 0, refute.stdout + refute.stderr
    assert "REFUTED: `max_pfn_tracks_removal` holds in every state of the replayed trace" in refute.stdout
    assert "note: state 2 differs from the saved trace (first in `max_pfn`)" in refute.stdout


def test_replay_refutes_when_a_step_is_no_longer_enabled(zhang_trace: Path) -> None:
    proc = zcheck("replay", str(SEED), str(zhang_trace), "-D", "REMOVE=RECOMPUTE")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "REFUTED: the trace is no longer a run of the model: step 2 (remove_ram) is not enabled" in proc.stdout


def _broken(tmp_path: Path, zhang_trace: Path, edit) -> tuple[subprocess.CompletedProcess[str], str]:  # type: ignore[no-untyped-def]
    doc = json.loads(zhang_trace.read_text())
    edit(doc)
    bad = tmp_path / "bad.json"
    text = json.dumps(doc, indent=2)
    bad.write_text(text)
    return zcheck("replay", str(SEED), str(bad), "-D", "REMOVE=ZHANG_2014"), text


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_unknown_transition_is_located(tmp_path: Path, zhang_trace: Path) -> None:
    def edit(doc):  # type: ignore[no-untyped-def]
        doc["states"][2]["#meta"]["transition"] = "remove_everything"

    proc, text = _broken(tmp_path, zhang_trace, edit)
    assert proc.returncode == 2
    line = _line_of(text, '"transition": "remove_everything"')
    assert f"error[ZC404]: state 2: the model has no transition `remove_everything`" in proc.stderr
    assert f"bad.json:{line}:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_argument_value_is_located(tmp_path: Path, zhang_trace: Path) -> None:
    def edit(doc):  # type: ignore[no-untyped-def]
        doc["states"][1]["#meta"]["args"]["start"] = "lots"

    proc, text = _broken(tmp_path, zhang_trace, edit)
    assert proc.returncode == 2 and "error[ZC404]: state 1: `start` is not a value of type" in proc.stderr
    assert f"bad.json:{_line_of(text, chr(34) + 'start' + chr(34) + ': ' + chr(34) + 'lots')}:" in proc.stderr


@pytest.mark.parametrize("content, message", [
    ("{ not json", "error[ZC404]: not JSON"),
    ('{"states": []}', "error[ZC404]: not an ITF trace"),
    (b"\xff\xfe", "error[ZC100]"),
])
def test_bad_files(tmp_path: Path, content: str | bytes, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = zcheck("replay", str(SEED), str(bad), "-p", "device_above_max_pfn")
    assert proc.returncode == 2
    assert message in proc.stderr and "bad.json:1:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_and_unknown_property(tmp_path: Path, zhang_trace: Path) -> None:
    proc = zcheck("replay", str(SEED), str(tmp_path / "nope.json"))
    assert proc.returncode == 2 and "error[ZC100]" in proc.stderr
    proc = zcheck("replay", str(SEED), str(zhang_trace), "-p", "no_such_property")
    assert proc.returncode == 2 and "the model has no property `no_such_property`" in proc.stderr
