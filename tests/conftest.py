"""Hypothesis profiles for the suite.

`ci` (the default): derandomized, so every run of the suite, on any machine, checks the
same generated models and a red CI run can be reproduced exactly. `explore`: fresh
random examples each run, to hunt for new disagreements between the engines and the
explicit-state enumeration (for example
`ZCHECK_HYPOTHESIS_PROFILE=explore ZCHECK_DIFF_EXAMPLES=3000 pytest tests/test_differential.py`);
what it finds becomes a hand-checked case in tests/test_differential.py.

Before the tests start, zcheck's modules are compiled to bytecode once: about a tenth of
the suite's tests run `python -m zcheck` in a child process, and where the machine sets
PYTHONDONTWRITEBYTECODE (as the benchmark machine does) each child would otherwise
compile every module it imports from source again (0.12 s of CPU a process).
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("ZCHECK_HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # once, on the controller, not on each xdist worker
        compileall.compile_dir(Path(__file__).resolve().parent.parent / "zcheck", quiet=1)
