"""Invariant inference (zcheck/checker/infer.py): textbook protocols proved, the lemmas it
prints parse back to what it proved, wrong candidates dropped, the same answer under any
hash seed, and never "proved" where the explicit-state explorer finds a violation.

Environment: ZCHECK_INFER_EXAMPLES (random lock models for the soundness test, default 6;
scripts/soundness.py runs every proof engine on many more).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import z3
from hypothesis import HealthCheck, event, given, reject, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.differential.explicit import ORACLE_STATES, TooBig, explore as explore_all  # noqa: E402
from tests.differential.gen import models, render  # noqa: E402
from zcheck import api  # noqa: E402
from zcheck.checker.encode import Encoding, expr  # noqa: E402
from zcheck.checker.infer import Budget, infer, sample  # noqa: E402
from zcheck.checker.kind import Cti, prove  # noqa: E402
from zcheck.system.candidates import Kind  # noqa: E402
from zcheck.system.sample import Limits, explore  # noqa: E402
from zcheck.system.semantics import holds  # noqa: E402

HERE = os.path.join(ROOT, "tests", "infer")
TEXTBOOK = {"peterson": "mutual_exclusion", "lock_server": "mutex", "ticket_lock": "mutex", "mutex_pc": "at_most_one"}
EXAMPLES = int(os.environ.get("ZCHECK_INFER_EXAMPLES", "6"))


def _build(name: str, extra: str = ""):
    path = os.path.join(HERE, f"{name}.zdl")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return api.build(path, None, None, text=text + extra), text


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_protocol_proved(name: str) -> None:
    system, _ = _build(name)
    r = infer(system, system.prop(TEXTBOOK[name]), [])
    assert r is not None and r.proved and r.rechecked, r
    assert r.used, "each of these needs lemmas: the property alone is not inductive"
    assert r.generated >= r.sampled >= len(r.kept) >= len(r.used)


def test_the_property_alone_is_not_inductive_and_a_pc_lock_lemma_is_found() -> None:
    system, _ = _build("mutex_pc")
    prop = system.prop("at_most_one")
    assert isinstance(prove(system, prop, [], base_depth=0, max_k=1, deadline=None), Cti)
    r = infer(system, prop, [])
    assert r is not None and r.proved
    texts = {c.text for c in r.used}
    assert "at(w[0], inc) -> owner(m) == w[0]" in texts, texts
    assert any(c.kind is Kind.LOCK_HELD for c in r.used)


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_printed_lemmas_parse_back_to_what_was_proved(name: str) -> None:
    """Pasted into the model as `lemma`s, the printed lemmas mean exactly the inferred
    candidates (a solver finds no state telling them apart), and with them plain
    1-induction proves the property: the reviewer's workflow."""
    system, _ = _build(name)
    r = infer(system, system.prop(TEXTBOOK[name]), [])
    assert r is not None and r.proved
    printable = [c for c in r.used if c.zdl]
    assert printable == list(r.used), [c.text for c in r.used if not c.zdl]
    pasted, _ = _build(name, "\n" + r.lemmas_zdl + "\n")
    lemmas = [p for p in pasted.properties if p.kind == "lemma"]
    assert len(lemmas) == len(printable)
    enc = Encoding(pasted, from_init=False)
    for c, lm in zip(printable, lemmas):
        s = z3.Solver()
        s.add(enc.domains(0), expr(c.expr, enc.ctx(0)) != expr(lm.expr, enc.ctx(0)))
        assert s.check() == z3.unsat, f"{c.text} parsed back differently"
    proof = prove(pasted, pasted.prop(TEXTBOOK[name]), lemmas, base_depth=0, max_k=1, deadline=None)
    assert not isinstance(proof, Cti) and proof is not None, "the pasted lemmas do not make it inductive"


def test_wrong_candidates_are_dropped() -> None:
    """With three samples most mined candidates are wrong; Houdini keeps only
    invariants (each checked in every reachable state), and a wrong user lemma is
    dropped while the property is still proved."""
    system, _ = _build("mutex_pc", "\nlemma bogus: count == 0\n")
    full = infer(system, system.prop("at_most_one"), [system.prop("bogus")])
    assert full is not None and full.proved
    assert "bogus" not in {c.text for c in full.kept + full.used}
    r = infer(system, system.prop("at_most_one"), [], Budget(samples=Limits(states=3)))
    assert r is not None and r.sampled > len(r.kept)
    reachable = explore(system, Limits(states=100_000))
    assert reachable.complete
    for c in r.kept:
        if c.expr is not None:
            from zcheck.system.ir import Property
            p = Property("c", "lemma", c.expr)
            assert all(holds(p, s.state, s.rigid) for s in reachable.samples), c.text


def test_not_proved_when_false() -> None:
    """A property that is violated is never proved (its candidate is false in a sample)."""
    system, _ = _build("mutex_pc", "\ninvariant never_two: count <= 0\n")
    r = infer(system, system.prop("never_two"), [])
    assert r is not None and not r.proved


_SUMMARY = """
import sys
sys.path.insert(0, {root!r})
from zcheck import api
from zcheck.checker.infer import infer
s = api.build({path!r})
r = infer(s, s.prop({prop!r}), [])
print(r.proved, r.generated, r.sampled, len(r.kept), r.queries, r.effort)
print(r.lemmas_zdl)
"""


def test_same_answer_under_two_hash_seeds() -> None:
    outs = []
    for seed in ("0", "4242"):
        code = _SUMMARY.format(root=ROOT, path=os.path.join(HERE, "peterson.zdl"), prop="mutual_exclusion")
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=ROOT)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0] == outs[1]
    assert outs[0].startswith("True ")


SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
SMALL = Budget(rlimit=2_000_000, samples=Limits(states=300, runs=20_000), max_candidates=300)


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
def test_inferred_proofs_are_never_wrong_on_random_lock_models() -> None:
    """Whenever inference says proved, the explicit-state explorer (independent of
    zcheck) finds no violation in the whole reachable state space."""
    counts = {"proved": 0, "models": 0}

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(models(max_vars=3, max_actions=2, procs=True, locks=True))
    def one(model) -> None:  # type: ignore[no-untyped-def]
        text = render(model)
        try:
            everything = explore_all(model, 10_000, max_states=ORACLE_STATES)
        except TooBig:  # too many states to enumerate: not a test case
            reject()
        system = api.build("<model>", None, None, text=text)
        counts["models"] += 1
        states = sample(system, SMALL)
        for p in system.properties:
            if p.name not in everything.depth or p.kind == "cover":
                continue
            r = infer(system, p, [], SMALL, states)
            event(f"{p.kind}: {'proved' if r is not None and r.proved else 'not proved'}")
            if r is not None and r.proved:
                counts["proved"] += 1
                assert everything.depth[p.name] is None, (
                    f"{p.name} proved with {r.lemmas_zdl!r} but violated at {everything.depth[p.name]}\n{text}")

    one()
    assert counts["proved"] > 0
