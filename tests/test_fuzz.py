"""Fuzzing through the command line: generated valid models and their mutants must
never crash zcheck (no uncaught exception, no traceback, never exit 4).

The CI-sized campaign runs here; the long one (100,000 cases) is `pytest -m fuzz
tests/test_fuzz.py` or `python -m tests.fuzz.run` (figures in docs/reliability.md).
ZCHECK_FUZZ_CASES and ZCHECK_FUZZ_SEED change the size and seed of the CI campaign.
"""

from __future__ import annotations

import os
import random
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.fuzz.gen import mutate, tokens  # noqa: E402
from tests.fuzz.harness import run_case  # noqa: E402
from tests.fuzz.run import campaign  # noqa: E402

CASES = int(os.environ.get("ZCHECK_FUZZ_CASES", "500"))
SEED = int(os.environ.get("ZCHECK_FUZZ_SEED", "0"))


PER_MODEL = 20  # a generated model and its 19 mutants
PARTS = 2  # the campaign in two halves, which the two workers run side by side


@pytest.mark.parametrize("part", range(PARTS))
def test_ci_campaign(part: int) -> None:
    """One half of the CI campaign: every other generated model and its mutants (the
    halves together are exactly the cases of the whole campaign, tests/fuzz/run.py)."""
    tally = campaign(CASES, PER_MODEL - 1, SEED, None, part=part, parts=PARTS)
    assert tally.failures == []
    models = -(-CASES // PER_MODEL)
    assert tally.cases == len(range(part, models, PARTS)) * PER_MODEL
    # the generator makes models zcheck accepts, and the mutator breaks most of them
    assert tally.valid_checked >= 0.8 * tally.valid_generated
    assert tally.mutants_rejected >= 0.6 * tally.mutants


@pytest.mark.fuzz
def test_long_campaign() -> None:
    tally = campaign(int(os.environ.get("ZCHECK_FUZZ_LONG", "100000")), 19, 1, "fuzz-report.json")
    assert tally.failures == []


def test_harness_reports_internal_errors(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zcheck.cli import check, verify

    def boom(args, defines, control):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(verify, "run", boom)
    monkeypatch.setattr(check, "run", boom)
    out = run_case("model m\n", str(tmp_path / "m.zdl"))
    assert out.codes == (4,) and out.problem and "exited 4" in out.problem


def test_mutations_change_the_text() -> None:
    text = "model m\nvar x: bool = true\naction a() { x := !x }\ninvariant i: x || !x\n"
    rnd = random.Random(3)
    seen = {mutate(text, rnd)[1] for _ in range(200)}
    assert seen == {"delete", "duplicate", "swap", "ident", "confuse", "transplant", "truncate", "junk"}
    assert "".join(tokens(text)) == text  # the tokenizer loses nothing


@pytest.mark.parametrize("text", [
    "model m\nvar x: int = 0\naction a() { x := x / 0 }\n",  # constant division by zero
    "model m\nvar x: bool = 0\n",  # type confusion
    "model m\nvar x: 4 .. 1 = 0\n",  # empty range
    "model m\nenum e { A }\nvar x: e = A\ninvariant i: forall y: e :: y == A ->\n",  # truncated
    "model m\nvar x: int = 99999999999999999999999999999\ninvariant i: x > 0\n",
    "\ufeffmodel m\n",
    "model m\x00\n",
])
def test_regressions(tmp_path, text: str) -> None:  # type: ignore[no-untyped-def]
    out = run_case(text, str(tmp_path / "m.zdl"))
    assert out.problem is None
