"""Golden tests: each tests/golden/*.zdl starts with `// zcheck ARGS`; the output of that
command must equal the `.out` file beside it (ZCHECK_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "golden").glob("*.zdl"))


def _command(case: Path) -> list[str]:
    first = case.read_text().splitlines()[0]
    assert first.startswith("// zcheck "), first
    return first[len("// zcheck "):].split()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    args = _command(case)
    proc = subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    got = f"exit {proc.returncode}\n{proc.stdout}"
    expected = case.with_suffix(".out")
    if os.environ.get("ZCHECK_UPDATE_GOLDEN"):
        expected.write_text(got)
    assert "Traceback" not in proc.stderr
    assert got == expected.read_text()
