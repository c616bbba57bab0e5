"""Hypothesis profiles for the suite.

`ci` (the default): derandomized, so every run of the suite, on any machine, checks the
same generated models and a red CI run can be reproduced exactly. `explore`: fresh
random examples each run, to hunt for new disagreements between the engines and the
explicit-state enumeration (for example
`ZCHECK_HYPOTHESIS_PROFILE=explore ZCHECK_DIFF_EXAMPLES=3000 pytest tests/test_differential.py`);
what it finds becomes a hand-checked case in tests/test_differential.py.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("ZCHECK_HYPOTHESIS_PROFILE", "ci"))
