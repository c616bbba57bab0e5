"""Line breaks: CR, CRLF, LF, U+2028, U+2029 and U+0085 each end a line (and a `//`
comment), and diagnostics count lines as editors do. A CR-only file used to be one
long line, its first `//` comment hiding every declaration after it: zcheck checked
nothing and exited 0. Also: a model with nothing to check is ZC906 and exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings, strategies as st

from zcheck.diagnostics import DiagnosticError
from zcheck.spec.frontend import check_file

ROOT = Path(__file__).resolve().parent.parent
BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85"]
MODEL = (ROOT / "models" / "zone_device_max_pfn.zdl").read_text()


def _zcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def _shape(text: str) -> tuple:  # type: ignore[type-arg]
    c = check_file("m.zdl", None, text)
    return c.consts, c.vars, c.init, c.actions, c.properties, c.checks, c.header  # spans included


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(BREAKS), min_size=MODEL.count("\n"), max_size=MODEL.count("\n")))
def test_any_mix_of_line_breaks_reads_as_the_lf_model(breaks: list[str]) -> None:
    lines = MODEL.split("\n")
    text = "".join(line + br for line, br in zip(lines, breaks)) + lines[-1]
    assert _shape(text) == _shape(MODEL)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(BREAKS), st.integers(1, 30), st.text(alphabet=st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\n\r\u2028\u2029\x85"), max_size=20))
def test_a_comment_ends_at_any_line_break_and_errors_name_the_editors_line(br: str, pad: int, noise: str) -> None:
    lines = ["model m", f"// {noise}"] * 1 + ["//"] * pad + ["var x: bool = false", "action a { x := 1 }"]
    text = br.join(lines) + br
    try:
        check_file("m.zdl", None, text)
    except DiagnosticError as exc:
        d = exc.diagnostics[0]
        assert d.code == "ZC301" and d.span.line == len(lines), (d, repr(br))
    else:
        raise AssertionError("the type error after the comments was not seen")


def test_cr_only_file_is_checked_and_located(tmp_path: Path) -> None:
    (tmp_path / "cr.zdl").write_bytes(MODEL.replace("\n", "\r").encode())
    (tmp_path / "lf.zdl").write_text(MODEL)
    cr, lf = _zcheck("verify", "cr.zdl", cwd=tmp_path), _zcheck("verify", "lf.zdl", cwd=tmp_path)
    assert cr.returncode == lf.returncode == 1
    assert cr.stdout.replace("cr.zdl", "lf.zdl") == lf.stdout
    (tmp_path / "bad.zdl").write_bytes(b"model m\r// c\rvar x: bool = false\raction a { x := 1 }\r")
    bad = _zcheck("check", "bad.zdl", cwd=tmp_path)
    assert bad.returncode == 2 and "bad.zdl:4:17" in bad.stderr and "4 | action a { x := 1 }" in bad.stderr


def test_a_model_with_nothing_to_check_is_exit_2_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "empty.zdl").write_text("model m\nvar x: bool = false\naction a { x := !x }\n")
    done = _zcheck("verify", "empty.zdl", cwd=tmp_path)
    assert done.returncode == 2 and "warning[ZC906]" in done.stderr and "empty.zdl:1:1" in done.stderr
    done = _zcheck("verify", "empty.zdl", "--allow-empty", cwd=tmp_path)
    assert done.returncode == 0 and "warning[ZC906]" in done.stderr


def test_timeouts_no_clock_can_take_are_refused(tmp_path: Path) -> None:
    (tmp_path / "m.zdl").write_text(MODEL)
    for bad in ("inf", "1e300", "-1", "nan", "0"):
        done = _zcheck("verify", "m.zdl", "--timeout", bad, cwd=tmp_path)
        assert done.returncode == 2 and "error[ZC403]" in done.stderr and "Traceback" not in done.stderr, bad
    for bad in ("1e30", "0", "-3"):
        done = _zcheck("verify", "m.zdl", "--jobs", bad, cwd=tmp_path)
        assert done.returncode == 2 and "error[ZC403]" in done.stderr, bad
