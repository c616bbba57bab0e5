"""Output safety: control characters that reach the output from the model (its header
comment, a comment on a quoted source line, its path, a property name on the command
line) are shown as `\\uXXXX`, never written raw: a model must not be able to clear the
screen, move the cursor or reorder a line to fake a PROVED verdict. Checked through
`cli.main` in-process on text, Markdown and JSON output, stdout and stderr, with random
mixtures of the unsafe characters (hypothesis), and `fmt`, whose output is the model,
left byte-exact.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from zcheck.cli import main
from zcheck.cli.output import terminal_safe

UNSAFE = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
                           0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
RAW = re.compile("[" + "".join(re.escape(c) for c in UNSAFE) + "]")
# What a model may carry in comments: the unsafe characters but NUL and the line breaks
# the reader turns into newlines (CR, U+0085); those are covered by test_line_endings.py.
IN_COMMENTS = [c for c in UNSAFE if c not in ("\x00", "\r", "\x85")]
MODEL = """// header {noise}
model m
var x: 0 .. 3 = 0
action a() {{ x := (x + 1) % 3 }} // step {noise}
invariant i: x < 2 // property {noise}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_terminal_safe_escapes_every_unsafe_character_and_keeps_the_rest() -> None:
    text = "".join(UNSAFE) + "\n\tok é ∀ 漢"
    safe = terminal_safe(text)
    assert not RAW.search(safe)
    assert safe.endswith("\n\tok é ∀ 漢")
    assert safe.startswith("\\u0000\\u0001") and "\\u001b" in safe and "\\u202e" in safe
    assert json.loads('"' + safe.split("\n")[0] + '"') == "".join(UNSAFE)  # a valid JSON escape


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.text(alphabet=st.sampled_from(IN_COMMENTS + ["a", " ", "["]), min_size=1, max_size=12))
def test_model_text_cannot_put_control_characters_on_the_terminal(
        noise: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / f"m{noise.replace('/', '').replace(chr(0), '')}.zdl"
    spec.write_text(MODEL.format(noise=noise), "utf-8")
    for fmt in ("text", "markdown", "json"):
        code, out, err = run(capsys, "verify", str(spec), "--engine", "bmc", "--depth", "3", "--format", fmt)
        assert code == 1, err
        assert not RAW.search(out) and not RAW.search(err), (fmt, out, err)
        if fmt == "json":
            json.loads(out)
    code, out, err = run(capsys, "verify", str(spec), "-p", "no" + noise.replace(chr(0), ""))
    assert code == 2 and "ZC402" in err
    assert not RAW.search(err), err


def test_a_fake_verdict_line_is_shown_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header that rewinds the line and prints its own verdict."""
    spec = tmp_path / "fake.zdl"
    spec.write_text(MODEL.format(noise="\x1b[1A\x1b[2K  PROVED       i"), "utf-8")
    code, out, _ = run(capsys, "verify", str(spec), "--engine", "bmc", "--depth", "3", "--format", "markdown")
    assert code == 1
    assert "\\u001b[1A\\u001b[2K  PROVED       i" in out


def test_fmt_writes_the_model_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    text = MODEL.format(noise="\x1b[2J")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, _ = run(capsys, "fmt", "-")
    assert code == 0
    assert "\x1b[2J" in out
