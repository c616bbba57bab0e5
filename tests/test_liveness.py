"""Liveness (docs/language.md, "Liveness"): the three temporal forms, weak and strong
fairness, dead ends, proofs by every engine on the liveness-to-safety product, the
lasso each counterexample carries, and the diagnostics for what cannot be checked.

Each model is small enough to reason about by hand; the expected verdicts and shortest
lasso lengths are derived in the comments. The random differential against an
independent explicit-state search is tests/test_differential_liveness.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zcheck import api
from zcheck.fmt import format_text

ROOT = Path(__file__).resolve().parent.parent

# A process waits for `flag`, which a fair action keeps flipping. Weak fairness of the
# process does not force its step (it is disabled every other state), strong fairness
# does. Shortest lasso: flip, flip (back to the initial state), 2 steps.
FLIP = """model flip
var flag: bool = false
var finished: bool = false
fair action flip() { flag := !flag }
FAIRNESS process p {
  step wait { require flag; finished := true }
}
property fin: always eventually finished
property stays: eventually always finished
"""

# Request/answer: `answer` stays enabled from a request until it is taken, so weak
# fairness of `answer` suffices; without it, request then idle forever (2 steps: the
# idle step returns to the state after the request).
ANSWER = """model answer
var req: bool = false
var ack: bool = false
fair action request() { require !req; req := true }
FAIRNESS action answer() { require req; ack := true; req := false }
action reset() { require ack; ack := false }
fair action idle() { }
property resp: req leads_to ack
"""

# A process blocked forever: the initial state is a dead end (nothing is enabled), so
# the run stays there and `a` never holds: violated at depth 0.
DEAD = """model dead
var a: bool = false
process p { step s1 { require a } }
property ev: always eventually a
"""


def run(text: str, engine: str = "auto", depth: int = 10) -> dict[str, api.PropertyResult]:
    system = api.build("m.zdl", None, None, text=text)
    out = api.verify_system(system, api.select(system, None), depth, engine=engine)
    return {r.name: r for r in out.results}


def verdicts(text: str, engine: str = "auto") -> dict[str, tuple[str, int | None]]:
    return {n: (r.verdict, r.depth) for n, r in run(text, engine).items()}


@pytest.mark.parametrize("fairness, expected", [
    ("", ("violated", 2)),
    ("fair", ("violated", 2)),
    ("strong fair", ("proved", None)),
])
def test_only_strong_fairness_forces_a_step_enabled_every_other_state(fairness: str, expected: tuple[str, int | None]) -> None:
    got = verdicts(FLIP.replace("FAIRNESS", fairness))
    assert got["fin"][0] == expected[0] and (expected[1] is None or got["fin"][1] == expected[1])
    assert got["stays"][0] == expected[0]


@pytest.mark.parametrize("engine", ["kind", "pdr"])
def test_each_proof_engine_proves_the_fixed_variants(engine: str) -> None:
    assert verdicts(FLIP.replace("FAIRNESS", "strong fair"), engine)["fin"][0] == "proved"
    assert verdicts(ANSWER.replace("FAIRNESS", "fair"), engine)["resp"][0] == "proved"


def test_leads_to_needs_the_fairness_of_the_answer() -> None:
    assert verdicts(ANSWER.replace("FAIRNESS", ""))["resp"] == ("violated", 2)
    assert verdicts(ANSWER.replace("FAIRNESS", "fair"))["resp"][0] == "proved"
    r = run(ANSWER.replace("FAIRNESS", ""), "bmc")["resp"]
    assert r.trace is not None and r.trace.lasso is not None
    assert [s.transition for s in r.trace.steps] == ["request", "idle"]
    assert r.trace.lasso.loop == 1  # the idle step repeats forever
    rows = {row.name: row for row in r.trace.lasso.fairness}
    assert rows["idle"].taken == (2,) and rows["request"].enabled == ()


def test_a_lasso_closes_on_the_state_it_loops_to_and_is_fair() -> None:
    r = run(FLIP.replace("FAIRNESS", "fair"), "bmc")["fin"]
    trace = r.trace
    assert trace is not None and trace.lasso is not None and trace.kind == "liveness"
    assert trace.state(trace.lasso.loop) == trace.state(trace.length)
    rows = {row.name: row for row in trace.lasso.fairness}
    assert rows["flip"].taken and rows["p[0]"].taken == ()
    assert len(rows["p[0]"].enabled) < trace.length - trace.lasso.loop  # disabled somewhere: weakly fair
    assert all(not n.startswith("live.") for n in trace.state(trace.length))
    assert all(name != "live.save" for s in trace.steps for name, *_ in s.params)


def test_a_dead_end_is_a_counterexample_of_length_zero() -> None:
    r = run(DEAD, "bmc")["ev"]
    assert (r.verdict, r.depth) == ("violated", 0)
    assert r.trace is not None and r.trace.lasso is not None and r.trace.lasso.loop == 0


def test_without_a_counterexample_bmc_says_holds_up_to_its_depth() -> None:
    r = run(ANSWER.replace("FAIRNESS", "fair"), "bmc", depth=6)["resp"]
    assert (r.verdict, r.depth) == ("holds", 6)


def test_fmt_prints_the_temporal_forms_and_fairness_back() -> None:
    text = ANSWER.replace("FAIRNESS", "strong fair") + "property back: ack ~> !ack\nproperty ea: eventually always !req\n"
    pretty = format_text(text, "m.zdl")
    assert "strong fair action answer()" in pretty and "fair action idle()" in pretty
    assert "property resp: req leads_to ack" in pretty and "property back: ack leads_to !ack" in pretty
    assert "property ea: eventually always !req" in pretty
    assert format_text(pretty, "m.zdl") == pretty


def zcheck(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "m.zdl").write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "zcheck", *args, "m.zdl"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def test_a_malformed_temporal_property_is_a_located_syntax_error(tmp_path: Path) -> None:
    proc = zcheck(tmp_path, "model m\nvar a: bool = false\naction t() { a := !a }\nproperty p: always a\n", "check")
    assert proc.returncode == 2 and "m.zdl:4:20" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text, why", [
    ("model m\nvar a: bool = false\naction t(n: int) { require n > 2; a := !a }\nproperty p: always eventually a\n",
     "parameter of unbounded type"),
    ("model m\nvar a: bool = false\naction t() { a := !a }\nproperty p: always eventually a\nscenario s { t() }\n",
     "not checked under a scenario"),
])
def test_what_cannot_be_checked_is_said_and_never_proved(tmp_path: Path, text: str, why: str) -> None:
    args = ("verify", "--scenario", "s") if "scenario" in text else ("verify",)
    proc = zcheck(tmp_path, text, *args)
    assert proc.returncode == 2 and why in proc.stderr and "PROVED" not in proc.stdout


def test_check_directives_state_liveness_verdicts(tmp_path: Path) -> None:
    text = ANSWER.replace("FAIRNESS", "") + "check resp expect violated at 2\n"
    proc = zcheck(tmp_path, text, "test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = zcheck(tmp_path, text.replace("expect violated at 2", "expect violated at 3"), "test")
    assert proc.returncode != 0
    proc = zcheck(tmp_path, ANSWER.replace("FAIRNESS", "fair") + "check resp expect proved\n", "test")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Two instances share a lock. Weak fairness lets w[1] take the lock again every time
# w[0] could: w[0] is disabled while the lock is held, so the loop is weakly fair to it.
# The loop must also bring `n` (counted mod 3) back: 3 rounds of 3 steps, 9 steps.
# Strong fairness makes w[0] get the lock.
LOCKS = """model locks
lock L
var n: 0..3 = 0
FAIRNESS process w[2] {
  step take { acquire L }
  step work { n := (n + 1) % 3 }
  step drop { release L }
  loop
}
property turn0: always eventually at(w[0], work)
property got: at(w[1], take) leads_to at(w[1], work)
"""


@pytest.mark.parametrize("fairness, expected", [
    ("fair", ("violated", 9)),
    ("strong fair", ("proved", None)),
])
def test_weak_fairness_lets_an_instance_starve_on_a_lock_and_strong_does_not(
        fairness: str, expected: tuple[str, int | None]) -> None:
    got = verdicts(LOCKS.replace("FAIRNESS", fairness))
    for name in ("turn0", "got"):
        assert got[name][0] == expected[0] and (expected[1] is None or got[name][1] == expected[1])


def test_ctrl_c_during_one_liveness_check_ends_the_others_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each liveness property runs on its own product; a Ctrl-C in the first one must
    not start the next (the run ends with what it has, the rest "interrupted")."""
    from zcheck.checker import portfolio

    started: list[list[str]] = []

    def interrupted(self: portfolio.Portfolio, props: list[api.Property]) -> None:
        started.append([p.name for p in props])
        raise KeyboardInterrupt

    monkeypatch.setattr(portfolio.Portfolio, "_schedule", interrupted)
    results = run(FLIP.replace("FAIRNESS", "fair"))
    assert started == [["fin"]]
    assert {n: (r.verdict, r.result.reason) for n, r in results.items()} == {  # type: ignore[union-attr]
        "fin": ("unknown", "interrupted"), "stays": ("unknown", "interrupted")}


def test_no_lasso_is_no_proof_when_a_variable_grows_without_bound() -> None:
    """The only run increments `iter` forever with `busy` set: it violates the property
    but repeats no state, so the product has no lasso and PDR proves it lasso-free.
    That must not come out PROVED."""
    text = """model counter
var busy: bool = false
var iter: int = 0
fair process retrier {
  step start { busy := true }
  step retry { iter := iter + 1; goto retry }
}
property returns: busy leads_to !busy
"""
    for engine in ("auto", "pdr", "kind"):
        r = run(text, engine)["returns"]
        assert r.verdict != "proved", engine
    r = run(text)["returns"]
    assert r.verdict == "unknown" and "`iter` can grow without bound" in r.detail


def test_leads_to_whose_trigger_first_holds_inside_the_loop_gets_the_shortest_lasso() -> None:
    """x flips forever: 0 -> 1 -> 0 is a lasso of 2 steps with x (the trigger) inside the
    loop and the goal (false) never; requiring the trigger pending in every loop state
    would make it 3."""
    text = "model k\nvar x: bool = false\nfair action flip() { x := !x }\nproperty settles: x leads_to false\n"
    assert verdicts(text)["settles"] == ("violated", 2)
