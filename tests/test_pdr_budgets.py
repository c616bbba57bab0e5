"""PDR's deterministic budgets (checker/pdr.py, docs/adr/0002-spacer-options-and-budgets.md):
a budget in Z3 resource units that ends in a stated outcome, and the same answer, rlimit
and certificate whatever ran before, in any process, under any PYTHONHASHSEED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import z3

from zcheck.api import build
from zcheck.checker.pdr import PDR_RLIMIT_AUTO, PdrStatus, prove_pdr, run_pdr

ROOT = Path(__file__).resolve().parent.parent
RACE = ROOT / "bench" / "models" / "memmap_publish_race.zdl"
SECTION = ROOT / "models" / "section_hotplug.zdl"


def prop(system, name):  # type: ignore[no-untyped-def]
    (p,) = [p for p in system.properties if p.name == name]
    return p


def test_tiny_budget_ends_in_budget_exhausted() -> None:
    system = build(str(SECTION))
    a = run_pdr(system, prop(system, "device_not_allocatable"), 1000)
    assert a.status is PdrStatus.BUDGET and a.proof is None
    assert a.rlimit >= 1000 and a.budget == 1000
    assert "budget of 1,000 rlimit units ran out" in a.explain()


def test_outcomes_say_why_there_is_no_proof() -> None:
    race = build(str(RACE), {"PUBLISH_EARLY": "true"})
    assert run_pdr(race, prop(race, "published_init")).status is PdrStatus.REACHABLE
    seed = build(str(ROOT / "models" / "zone_device_max_pfn.zdl"))  # a quantified guard in the step
    a = run_pdr(seed, prop(seed, "device_not_allocatable"))
    assert a.status is PdrStatus.UNSUPPORTED and "quantifier in a recursive rule" in a.explain()
    assert run_pdr(seed, prop(seed, "device_below_ram")).status is PdrStatus.NOT_SAFETY


def test_issue_15_race_proved_within_the_auto_budget() -> None:
    system = build(str(RACE))
    for name in ("read_init", "published_init"):
        a = run_pdr(system, prop(system, name))
        assert a.status is PdrStatus.PROVED and a.rlimit < PDR_RLIMIT_AUTO // 10, (name, a.explain())
        assert a.proof is not None and "ForAll" in a.proof.certificate[0]


def test_same_call_twice_same_certificate_and_units() -> None:
    system = build(str(RACE))
    p = prop(system, "read_init")
    first, second = run_pdr(system, p), run_pdr(system, p)
    assert first.status is PdrStatus.PROVED
    assert (first.rlimit, first.proof.certificate) == (second.rlimit, second.proof.certificate)  # type: ignore[union-attr]


def test_earlier_solving_in_the_main_context_changes_nothing() -> None:
    """A query translated from the main context gave another invariant and rlimit after
    one unrelated main-context check (z3 5.4.1); fed through SMT-LIB text it does not."""
    system = build(str(RACE))
    p = prop(system, "read_init")
    before = run_pdr(system, p)
    x = z3.Int("unrelated")
    assert z3.Solver().check(x > 3, x < 9) == z3.sat
    after = run_pdr(system, p)
    assert (before.status, before.rlimit, before.proof) == (after.status, after.rlimit, after.proof)


def test_prove_pdr_keeps_its_signature() -> None:
    system = build(str(SECTION))
    r = prove_pdr(system, prop(system, "buddy_not_reserved"), 60.0)
    assert r is not None and r.engine == "pdr" and r.certificate
    assert prove_pdr(system, prop(system, "buddy_not_reserved"), 60.0, rlimit=1000) is None


CHILD = """
import json, sys
from zcheck.api import build
from zcheck.checker.pdr import run_pdr
system = build(sys.argv[1])
out = {}
for p in system.properties:
    if p.kind != "cover":
        a = run_pdr(system, p)
        out[p.name] = [a.status.value, a.rlimit, a.proof.certificate[0] if a.proof else None]
print(json.dumps(out))
"""


def test_certificates_do_not_depend_on_pythonhashseed() -> None:
    got = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        p = subprocess.run([sys.executable, "-c", CHILD, str(SECTION)], capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=300)
        assert p.returncode == 0, p.stderr
        got.append(json.loads(p.stdout))
    assert got[0] == got[1] == got[2]
    assert all(v[0] == "proved" and v[2] for v in got[0].values())


def test_an_invariant_that_fails_its_recheck_gets_spacer_defaults_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A wrong invariant from Spacer is never a proof; the defaults get the rest of the
    budget once (with the quantified options Spacer has answered `false` as the invariant
    of the ticket lock at N = 3, caught by the re-check)."""
    from zcheck.checker import pdr

    real, calls = pdr.recheck_why, []

    def first_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        got = real(*args, **kwargs)
        return pdr.Recheck(False, "initiation: a counterexample", got.rlimit) if len(calls) == 1 else got

    monkeypatch.setattr(pdr, "recheck_why", first_fails)
    system = build(str(ROOT / "bench" / "protocols" / "ticket.zdl"), {"N": "2"})
    a = run_pdr(system, prop(system, "mutex"))
    assert [(s.config, s.status) for s in a.stages] == [("quantified", PdrStatus.RECHECK_FAILED),
                                                         ("defaults", PdrStatus.PROVED)]
    assert a.status is PdrStatus.PROVED and a.proof is not None
    monkeypatch.setattr(pdr, "recheck_why", lambda *a, **k: pdr.Recheck(False, "consecution: a counterexample", 0))
    b = run_pdr(system, prop(system, "mutex"))
    assert b.status is PdrStatus.RECHECK_FAILED and len(b.stages) == 2 and b.proof is None
    monkeypatch.undo()
    ticket = build(str(ROOT / "bench" / "protocols" / "ticket.zdl"), {"N": "3"})
    assert run_pdr(ticket, prop(ticket, "mutex"), pdr.PDR_RLIMIT_PDR).status is PdrStatus.PROVED
