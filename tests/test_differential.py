"""Differential test: zcheck's bounded model checker vs an explicit-state BFS.

Hypothesis generates small finite-state models (tests/differential/gen.py); for each,
`zcheck.api.verify_text(text, depth=D)` must agree with the breadth-first enumeration in
tests/differential/explicit.py on every declared invariant, cover and named assert:
violated/reached iff the BFS finds it within D steps, at the same shortest depth. The
generator keeps every range write in range and never divides by zero, so no implicit
property (`ACTION.range@LINE`, `no_div_by_zero`) may be violated either.

Environment: ZCHECK_DIFF_EXAMPLES (default 300), ZCHECK_DIFF_DEPTH (default 5),
ZCHECK_DIFF_TIMEOUT (seconds per verify_text call, default 30).
The suite's hypothesis profile is derandomized (tests/conftest.py): every run checks the same
models, so a failure reproduces with the same command; `ZCHECK_HYPOTHESIS_PROFILE=explore`
draws new ones.

The `test_oracle_*` tests pin the BFS itself to hand-checked answers, so a mismatch can
be blamed on the right side.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # `tests/` is not a package; make `tests.differential` importable
    sys.path.insert(0, ROOT)

from tests.differential.compare import compare, report
from tests.differential.explicit import ORACLE_STATES, TooBig, explore
from tests.differential.gen import (
    Action, Assert, Assign, Bin, Fill, If, Lit, Model, Name, Not, Prop, Quant, Read, Require,
    Store, TBool, TEnum, TMap, TRange, VarDecl, models, render,
)

EXAMPLES = int(os.environ.get("ZCHECK_DIFF_EXAMPLES", "300"))
DEPTH = int(os.environ.get("ZCHECK_DIFF_DEPTH", "5"))

# Per-model solver time limit (seconds), passed when verify_text accepts `timeout`. A
# timeout shows up as verdict "unknown": not wrong, but rare, or the test fails (see
# assert_mostly_conclusive).
TIMEOUT = float(os.environ.get("ZCHECK_DIFF_TIMEOUT", "30"))
# At most this share of generated models may end with some property UNKNOWN. The ones
# that do are models whose map values index the same map (`m[m[i]] := (m[m[i]] + 1) % 3`)
# several times per action: Z3's integer reasoning over those read chains grows steeply
# with depth (docs/reliability.md, section 2).
MAX_INCONCLUSIVE = float(os.environ.get("ZCHECK_DIFF_MAX_INCONCLUSIVE", "0.03"))


def assert_mostly_conclusive(inconclusive: list[bool]) -> None:
    share = sum(inconclusive) / max(1, len(inconclusive))
    assert share <= MAX_INCONCLUSIVE, (
        f"{sum(inconclusive)} of {len(inconclusive)} models ended UNKNOWN (limit {MAX_INCONCLUSIVE:.0%})")


def check_model(model: Model, depth: int = DEPTH) -> bool:
    """Compare zcheck with the BFS on one model; True when some verdict was UNKNOWN."""
    import inspect

    from zcheck.api import verify_text

    text = render(model)
    expected = explore(model, depth)
    kwargs = {"timeout": TIMEOUT} if "timeout" in inspect.signature(verify_text).parameters else {}
    try:
        results = verify_text(text, depth=depth, **kwargs)
    except Exception as exc:  # a crash or a rejected valid model is a finding too
        raise AssertionError(f"zcheck raised {type(exc).__name__}: {exc}\n--- model ---\n{text}") from exc
    problems = compare(expected, results, depth)
    if problems:
        raise AssertionError(report(depth, problems, text, expected, results))
    return any(r.verdict == "unknown" for r in results)


SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
def test_bmc_agrees_with_explicit_bfs() -> None:
    inconclusive: list[bool] = []

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(models())
    def one(model: Model) -> None:
        inconclusive.append(check_model(model))
        event("some verdict UNKNOWN" if inconclusive[-1] else "all verdicts conclusive")

    one()
    assert_mostly_conclusive(inconclusive)


PROC_EXAMPLES = int(os.environ.get("ZCHECK_DIFF_PROC_EXAMPLES", "40"))


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
def test_bmc_agrees_with_explicit_bfs_with_processes() -> None:
    """2-3 processes of 2-3 steps (1-2 instances each) interleaved with the actions."""
    inconclusive: list[bool] = []

    @settings(max_examples=PROC_EXAMPLES, **SETTINGS)
    @given(models(max_vars=3, max_actions=2, procs=True))
    def one(model: Model) -> None:
        inconclusive.append(check_model(model))
        event("some verdict UNKNOWN" if inconclusive[-1] else "all verdicts conclusive")

    one()
    assert_mostly_conclusive(inconclusive)


PROOF_EXAMPLES = int(os.environ.get("ZCHECK_PROOF_EXAMPLES", "30"))
# Only a PROVED or UNREACHABLE verdict is checked here; a proof engine that runs out of
# time proves nothing and is not a failure, so it gets less time than BMC above.
PROOF_TIMEOUT = float(os.environ.get("ZCHECK_PROOF_TIMEOUT", "10"))


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(
    max_examples=PROOF_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(models(), st.sampled_from(["auto", "kind", "pdr"]))
def test_proved_is_never_wrong(model: Model, engine: str) -> None:
    """Soundness of the proof engines: a property PROVED (with a BMC bound of 1, so the
    proof does the work) is violated nowhere in the *whole* reachable state space,
    enumerated explicitly without a depth bound."""
    from zcheck.api import build, select, verify_system

    text = render(model)
    try:
        everything = explore(model, 10_000, max_states=ORACLE_STATES)
    except TooBig:  # too many states to enumerate: not a test case
        reject()
    system = build("<model>", text=text)
    run = verify_system(system, select(system, None), depth=1, timeout=PROOF_TIMEOUT, engine=engine, max_k=4)
    for r in run.results:
        event(f"{engine}: {r.verdict}")
        if r.verdict == "unreachable" and r.name in everything.depth:
            assert everything.depth[r.name] is None, f"{engine}: cover {r.name} UNREACHABLE but reachable\n{text}"
        if r.verdict == "proved" and r.name in everything.depth:
            assert everything.depth[r.name] is None, (
                f"{engine}: {r.name} PROVED ({r.detail}) but violated at depth {everything.depth[r.name]}"
                f"\n--- model ---\n{text}")
        if r.name in everything.depth and everything.depth[r.name] is not None and r.verdict == "violated":
            assert r.depth == everything.depth[r.name]


# --------------------------------------------------------------------- hand-checked models
#
# Each is checked against hand-computed answers (the oracle) and, through check_model,
# against zcheck.

R4 = TRange(4)
n = Name


def lit(v, t=R4):
    return Lit(v, t)


def inc(var: str, m: int = 4, c: int = 1, op: str = "+"):
    return Assign(var, Bin("%", Bin(op, n(var), lit(c)), lit(m)))


COUNTER = Model(
    vars=(VarDecl("v0", R4, 0),),
    init=(),
    actions=(Action("a0", None, (inc("v0"),)),),
    props=(Prop("invariant", "inv0", Bin("!=", n("v0"), lit(3))),
           Prop("cover", "cov0", Bin("==", n("v0"), lit(2)))),
)

# A `require` after a failing assert does not cancel it; one before it does; a failing
# assert does not block the step.
ASSERTS = Model(
    vars=(VarDecl("v0", TBool(), False), VarDecl("v1", R4, 0)),
    init=(),
    actions=(
        Action("a0", ("i", 4), (Require(Bin(">", n("i"), lit(0))),
                                Assert("as0", Bin("!=", n("i"), lit(2))),
                                Require(Lit(False, TBool())))),
        Action("a1", None, (Require(n("v0")), Assert("as1", Lit(False, TBool())))),
        Action("a2", None, (Assert("as2", Bin("<", n("v1"), lit(2))),
                            Assign("v0", Lit(True, TBool())), inc("v1"))),
    ),
    props=(Prop("invariant", "inv0", Bin("<", n("v1"), lit(3))),),
)

# Euclidean `%` (remainder >= 0 whatever the signs), sequential statements, half-open range
# writes, init block and init asserts, enum maps and quantifiers over keys.
SEMANTICS = Model(
    vars=(VarDecl("v0", R4, 0), VarDecl("v1", R4, 0),
          VarDecl("m2", TMap(4, TBool()), False), VarDecl("m3", TMap(3, TEnum()), 0)),
    init=(Fill("m2", 1, 3, Lit(True, TBool())), Store("m3", lit(2, TRange(3)), Lit(2, TEnum())),
          Assert("as0", Not(Read("m2", lit(3))))),
    actions=(
        Action("dec", None, (Assign("v0", Bin("%", Bin("-", n("v0"), lit(1)), lit(-4))),
                             Assign("v1", n("v0")))),
        Action("set", ("i", 3), (Require(Bin("==", n("v0"), lit(3))),
                                 Store("m3", n("i"), Lit(1, TEnum())),
                                 If(Bin("==", n("i"), lit(0)), (Store("m2", lit(0), Lit(True, TBool())),), ()))),
    ),
    props=(
        Prop("invariant", "inv0", Bin("==", n("v0"), n("v1"))),
        Prop("invariant", "inv1", Not(Quant("forall", "j0", 3, Read("m2", n("j0"))))),
        Prop("invariant", "inv2", Quant("exists", "j0", 3, Bin("!=", Read("m3", n("j0")), Lit(1, TEnum())))),
        Prop("cover", "cov0", Bin("==", n("v0"), lit(1))),
    ),
)

# Regressions for tests/differential/FINDINGS.md: #1 (a require after a failing assert
# must not let k-induction "prove" the assert) and #4 (a quantified require with a
# trivially true body crashed the BMC's property attribution).
REQUIRE_AFTER_ASSERT = Model(
    vars=(VarDecl("v0", R4, 0),),
    init=(),
    actions=(Action("a0", None, (inc("v0"),)),
             Action("a1", None, (Assert("as0", Bin("!=", n("v0"), lit(2))),
                                 Require(Bin("==", n("v0"), lit(3)))))),
    props=(),
)
QUANTIFIED_REQUIRE = Model(
    vars=(VarDecl("v0", TBool(), False),),
    init=(),
    actions=(Action("a0", None, (Require(Quant("exists", "j0", 3, Bin(">=", n("j0"), n("j0")))),
                                 Assert("as0", Lit(False, TBool())))),),
    props=(),
)

# Regression: two quantifiers binding the same name in one property shared one witness
# constant, so `(exists j0 :: m0[j0] == 0) && (exists j0 :: m0[j0] != 0)` asked a single
# key to be both 0 and not 0. BMC answered HOLDS and k-induction PROVED a property that
# a0(0) violates in one step.
SHADOWED_BINDERS = Model(
    vars=(VarDecl("m0", TMap(2, TRange(2)), 1),),
    init=(),
    actions=(Action("a0", ("i", 2), (Store("m0", n("i"), n("i")),)),),
    props=(Prop("invariant", "inv0", Not(Bin(
        "&&", Quant("exists", "j0", 2, Bin("==", Read("m0", n("j0")), lit(0, TRange(2)))),
        Quant("exists", "j0", 2, Bin("!=", Read("m0", n("j0")), lit(0, TRange(2))))))),),
)

HAND = {
    "shadowed_binders": (SHADOWED_BINDERS, {"inv0": 1}),
    "finding1_require_after_assert": (REQUIRE_AFTER_ASSERT, {"as0": 3}),
    "finding4_quantified_require": (QUANTIFIED_REQUIRE, {"as0": 1}),
    "counter": (COUNTER, {"inv0": 3, "cov0": 2}),
    # as0: step 1 runs a0(2); as1: a2 then a1; as2: v1 = 2 after two a2 steps, fails in the
    # third; inv0: v1 = 3 after three a2 steps.
    "asserts": (ASSERTS, {"as0": 1, "as1": 2, "as2": 3, "inv0": 3}),
    # dec: v0 = (0 - 1) % -4 = 3 then v1 := 3 (sequential), so inv0 always holds; cov0:
    # v0 = 0, 3, 2, 1 after three steps; as0: m2[1 .. 3] leaves m2[3] false; inv1: the
    # forall over 0 .. 3 needs m2[0], i.e. set(0) after dec (v0 = 3); inv2 fails when all
    # three keys of m3 are GREEN: dec, then set(0), set(1), set(2).
    "semantics": (SEMANTICS, {"inv0": None, "cov0": 3, "as0": None, "inv1": 2, "inv2": 4}),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_oracle_hand_checked(name: str) -> None:
    model, want = HAND[name]
    got = explore(model, 6)
    assert got.depth == want, f"{render(model)}\n{got.describe()}"


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@pytest.mark.parametrize("name", sorted(HAND))
def test_bmc_hand_checked(name: str) -> None:
    check_model(HAND[name][0], depth=6)
