"""bench/proofs.py, the section of docs/benchmarks.md on the proofs of the library's fixed
variants: the directives it measures, the Houdini figures it reads off a proof, and the
budget its child (bench/proofs_child.py) relies on to run the portfolio without inference.
"""

from __future__ import annotations

import os

import pytest
from bench_modules import ROOT, load_bench

from zcheck import api
from zcheck.checker.infer import Budget, infer


@pytest.fixture
def proofs(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return load_bench("bench/proofs.py", monkeypatch)


def test_checks_are_the_safety_directives_expected_proved(proofs) -> None:  # type: ignore[no-untyped-def]
    found = proofs.checks()
    rows = {(os.path.basename(c.model), c.target, c.defines, c.scenario) for c in found}
    assert ("zone_device_max_pfn.zdl", "device_not_allocatable", (("POLICY", "V6_15_PLUS"),), None) in rows
    assert ("pfn_walker_toctou.zdl", "walker_memmap_init", (), "never_onlined") in rows  # `under SCENARIO`
    assert ("memory_block_locks.zdl", "deadlock", (("ERA", "V4_1"),), None) in rows  # an implicit property
    # liveness targets are section 7's (bench/liveness.py)
    assert not any(c.target in ("offline_returns", "store_returns") for c in found)
    assert proofs.verify_argv(next(c for c in found if c.scenario))[-2:] == ["--scenario", "never_onlined"]


def test_houdini_figures_are_read_off_a_proof_by_inference(proofs) -> None:  # type: ignore[no-untyped-def]
    how = "1-induction with 25 inferred lemmas (Houdini kept 67 of 74 candidates)"
    assert proofs.Run("PROVED", "infer", how, 1.0, 1.0, 90.0).houdini() == (25, 67, 74)
    assert proofs.Run("PROVED", "kind", "k-induction, k = 1", 1.0, 1.0, 90.0).houdini() is None


def test_a_negative_inference_budget_gives_up_before_the_first_query() -> None:
    """What proofs_child.py does to the portfolio (Budgets.infer_total < 0): inference
    answers "not proved, out of budget" without asking Z3 anything."""
    path = os.path.join(ROOT, "tests", "infer", "mutex_pc.zdl")
    system = api.build(path, None, None)
    r = infer(system, system.prop("at_most_one"), [], Budget(total=-1))
    assert r is not None and not r.proved and r.queries == 0 and "out of budget" in r.reason
