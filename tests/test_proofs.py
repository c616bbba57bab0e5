"""Proof engines (k-induction, PDR, the auto portfolio): proofs where they are due,
never where they are not, certificates printed, CTIs labelled as not real bugs.

Soundness on random models is in test_differential.py::test_proved_is_never_wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zcheck.api import build, select, verify_system

ROOT = Path(__file__).resolve().parent.parent
PROOFS = ROOT / "tests" / "proofs"


def zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def results(path: Path, engine: str, depth: int, defines: dict[str, str] | None = None) -> dict:
    system = build(str(path), defines)
    run = verify_system(system, select(system, None), depth=depth, engine=engine, max_k=4)
    return {r.name: r for r in run.results}


@pytest.mark.parametrize("bug_at", [15, 17, 19])
def test_planted_counter_bug_found_never_proved(bug_at: int) -> None:
    got = results(PROOFS / "planted_counter.zdl", "auto", bug_at + 2, {"BUG_AT": str(bug_at)})
    r = got["never_broken"]
    assert r.verdict == "violated" and r.depth == bug_at + 1
    steps = [s.transition for s in r.trace.steps]
    assert steps == ["tick"] * bug_at + ["trigger"]


@pytest.mark.parametrize("engine", ["kind", "pdr"])
def test_planted_counter_not_proved_by_proof_engines(engine: str) -> None:
    got = results(PROOFS / "planted_counter.zdl", engine, 3, {"BUG_AT": "17"})
    assert got["never_broken"].verdict in ("holds", "unknown")


def test_planted_map_bug_at_depth_16() -> None:
    got = results(PROOFS / "planted_sections.zdl", "auto", 17)
    r = got["no_device_in_buddy"]
    assert r.verdict == "violated" and r.depth == 16
    assert [s.transition for s in r.trace.steps] == ["online_next"] * 15 + ["bad_offline"]


@pytest.mark.parametrize("engine", ["auto", "kind", "pdr"])
def test_planted_map_bug_not_proved_shallow(engine: str) -> None:
    got = results(PROOFS / "planted_sections.zdl", engine, 4)
    assert got["no_device_in_buddy"].verdict in ("holds", "unknown")


def test_seed_model_proves_device_pages_never_allocatable() -> None:
    got = results(ROOT / "models" / "zone_device_max_pfn.zdl", "auto", 4, {"POLICY": "RFC_2015"})
    assert got["device_not_allocatable"].verdict == "proved"
    assert got["device_above_max_pfn"].verdict == "violated"


@pytest.mark.parametrize("nsect", ["64", "1000000"])
@pytest.mark.parametrize("engine", ["kind", "pdr"])
def test_section_model_proved_at_any_size(engine: str, nsect: str) -> None:
    got = results(ROOT / "models" / "section_hotplug.zdl", engine, 2, {"NSECT": nsect})
    for name in ("device_not_allocatable", "buddy_not_reserved"):
        assert got[name].verdict == "proved", (engine, nsect, name, got[name].detail)
        assert got[name].result.certificate


def test_pdr_proves_what_k_induction_cannot() -> None:
    by_kind = results(PROOFS / "needs_lemma.zdl", "kind", 4)
    assert by_kind["never_5_3"].verdict == "holds"
    by_pdr = results(PROOFS / "needs_lemma.zdl", "pdr", 4)
    r = by_pdr["never_5_3"]
    assert r.verdict == "proved" and r.result.engine == "pdr"
    assert "x" in r.result.certificate[0] and "y" in r.result.certificate[0]


def test_failed_induction_prints_a_cti_labelled_not_a_bug() -> None:
    proc = zcheck("verify", str(PROOFS / "needs_lemma.zdl"), "--engine", "kind", "--max-k", "2", "--depth", "3")
    assert proc.returncode == 0, proc.stderr
    assert "HOLDS" in proc.stdout and "PROVED" not in proc.stdout
    assert "counterexample to induction" in proc.stdout
    assert "not a real bug" in proc.stdout
    assert "VIOLATED" not in proc.stdout


def test_proof_output_names_engine_and_certificate() -> None:
    proc = zcheck("verify", str(PROOFS / "needs_lemma.zdl"), "--engine", "pdr", "--depth", "2")
    assert proc.returncode == 0, proc.stderr
    assert "PROVED" in proc.stdout and "by PDR (Spacer); certificate re-checked" in proc.stdout
    assert "certificate: inductive invariant" in proc.stdout
    js = zcheck("verify", str(PROOFS / "needs_lemma.zdl"), "--engine", "pdr", "--depth", "2", "--format", "json")
    meta = json.loads(js.stdout)["#meta"]
    (entry,) = [r for r in meta["results"] if r["property"] == "never_5_3"]
    assert entry["verdict"] == "proved"
    assert "certificate" in json.dumps(entry)


def test_pdr_certificate_recheck_rejects_a_wrong_invariant() -> None:
    """The re-check is not a rubber stamp: `true` is not an invariant strong enough."""
    import z3

    from zcheck.checker.pdr import recheck

    system = build(str(PROOFS / "planted_counter.zdl"), {"BUG_AT": "2"})
    (prop,) = [p for p in system.properties if p.name == "never_broken"]
    assert not recheck(system, prop, z3.BoolVal(True))


def test_cti_cell_left_open_by_a_quantifier_is_shown_as_unknown() -> None:
    """A CTI whose map was written under a guard Z3 kept quantified cannot be evaluated
    cell by cell; rendering it showed a traceback (found by the differential scan)."""
    import z3

    from zcheck.counterexamples.cti import _shown
    from zcheck.spec.types import IntT

    x, j = z3.Int("x"), z3.Int("j")
    s = z3.Solver()
    s.add(x == 1)
    assert s.check() == z3.sat
    model = s.model()
    open_cell = 1 + z3.If(z3.ForAll([j], x * j != j * j + 1), z3.IntVal(1), z3.IntVal(6))
    assert _shown(model, open_cell, IntT()) == "?"
    assert _shown(model, x + 1, IntT()) == "2"
