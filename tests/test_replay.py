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


BIG = """model big
var x: int = 0
var m: map[0 .. 80] int = 0
action put(k: 0 .. 80) { x := x + 1; m[k] := x }
invariant small: x < 100000000
"""


def _big_trace(n: int) -> dict:  # type: ignore[type-arg]
    """n states of `put`, each saved with its whole map (up to 40 segments)."""
    states: list[dict] = [{"#meta": {"index": 0}, "x": 0, "m": {"default": 0, "segments": []}}]  # type: ignore[type-arg]
    segs: dict[int, int] = {}
    for i in range(1, n):
        k = (2 * i) % 80
        segs[k] = i
        shown = [{"lo": key, "hi": key + 1, "value": v} for key, v in sorted(segs.items())]
        states.append({"#meta": {"index": i, "transition": "put", "args": {"k": k}}, "x": i,
                       "m": {"default": 0, "segments": shown}})
    return {"#meta": {"property": "small"}, "vars": ["x", "m"], "states": states}


def test_replay_does_not_search_the_file_for_a_valid_trace(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Locating a value in the file is a search from its start; it used to be done for
    every value read (a 4 MB trace took 136 s, quadratic). Now only a bad value is
    located, so replay is linear in the file: on 1,500 states (4 MB) no search runs."""
    from zcheck.cli import main
    from zcheck.counterexamples import replay

    (tmp_path / "big.zdl").write_text(BIG)
    trace = tmp_path / "big.json"
    trace.write_text(json.dumps(_big_trace(1500), indent=1))
    assert trace.stat().st_size > 4_000_000
    searches = []
    for name in ("state_span", "key_span"):
        real = getattr(replay._Doc, name)
        monkeypatch.setattr(replay._Doc, name, lambda self, *a, _real=real, _n=name: searches.append(_n) or _real(self, *a))
    assert main(["replay", str(tmp_path / "big.zdl"), str(trace)]) == 0
    assert "REFUTED: `small` holds in every state" in capsys.readouterr().out
    assert searches == []
    doc = _big_trace(30)
    doc["states"][17]["x"] = "seventeen"  # a bad value is still located
    trace.write_text(json.dumps(doc, indent=1))
    assert main(["replay", str(tmp_path / "big.zdl"), str(trace)]) == 2
    err = capsys.readouterr().err
    assert "state 17: `x` is not a value of type int" in err and searches


def test_a_trace_file_larger_than_the_limit_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from zcheck.cli import main
    from zcheck.counterexamples import replay

    monkeypatch.setattr(replay, "MAX_TRACE_BYTES", 1000)
    (tmp_path / "big.zdl").write_text(BIG)
    trace = tmp_path / "big.json"
    trace.write_text(json.dumps(_big_trace(20)))
    assert main(["replay", str(tmp_path / "big.zdl"), str(trace)]) == 2
    assert "larger than 1000 bytes, the limit for a trace file" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "big.zdl"), "/dev/zero"]) == 2  # ends: the read is bounded
