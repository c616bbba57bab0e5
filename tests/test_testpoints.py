"""Cross-check: quantifiers over unbounded ints decided at test points, against brute force.

BMC never hands Z3 a quantifier of the fragment in zcheck/checker/testpoints.py: it
instantiates the body at the maps' breakpoints and the values the bound variable is
compared with (and, unless the quantifier has a lower bound, one less than each).
The random models of tests/differential/gen.py quantify only over small literal ranges,
which are expanded in full, so this file covers the test points themselves: range
quantifiers with bounds held in state variables (`forall p in s .. e`), offsets in map
reads (`m[p + 2]`, `m[p - t]`), every comparison operator against the bound variable,
and quantifiers with and without a lower bound. States are random (maps built from
range fills and single stores, as BMC builds them); the bounds and comparison values are
Z3 constants pinned to their values by the solver, so the points stay symbolic, as in
BMC. The oracle evaluates the body at every key of a window that meets every piece of
constant truth (all breakpoints and compared values lie well inside it).
"""

from __future__ import annotations

import os
import sys

import pytest
import z3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from zcheck.api import build  # noqa: E402
from zcheck.checker.encode import Ctx, expr, violation  # noqa: E402
from zcheck.checker.maps import MapConst, MapFill, MapStore  # noqa: E402
from zcheck.spec import typed as t  # noqa: E402
from zcheck.system.evaluate import Env, evaluate  # noqa: E402
from zcheck.system.pmap import PMap  # noqa: E402

MODEL = """
model testpoints
var s: int = 0
var e: int = 0
var u: int = 0
var m: map[int] int = 0
var b: map[int] bool = false
invariant q_range_eq: forall p in s .. e :: m[p] == 0
invariant q_range_exists: exists p in s .. e :: m[p] != 0
invariant q_range_offset: forall p in s .. e :: m[p + 2] <= m[p]
invariant q_range_sym_offset: exists p in s .. e :: m[p - u] == 1 && b[p]
invariant q_lt: forall p in s .. e :: (p < u) == b[p]
invariant q_le: forall p in s .. e :: (p <= u) == b[p]
invariant q_gt: forall p in s .. e :: (p > u) == b[p + 1]
invariant q_ge: forall p in s .. e :: (p >= u) == b[p]
invariant q_lt_right: exists p in s .. e :: (u < p) != b[p]
invariant q_le_right: exists p in s .. e :: (u <= p) != b[p]
invariant q_gt_right: exists p in s .. e :: (u > p) != b[p - 1]
invariant q_ge_right: exists p in s .. e :: (u >= p) != b[p]
invariant q_eq: forall p in s .. e :: p != u -> m[p] == m[p + 1]
invariant q_implied: forall p in s .. e :: p < u -> b[p]
invariant q_lower_only: forall p: int :: p >= s -> m[p] == 0 || b[p]
invariant q_lower_exists: exists p: int :: s <= p && m[p] == 1 && p < u
invariant q_unbounded: forall p: int :: m[p] != 0 -> p >= s
invariant q_unbounded_exists: exists p: int :: b[p] && m[p] > u
invariant q_upper_only: forall p: int :: p < e -> m[p] <= 1
invariant q_nested: forall p in s .. e :: exists r in s .. e :: m[r] == m[p] && r <= u
"""
WINDOW = range(-40, 41)  # breakpoints and compared values lie in [-12, 12]
SCALARS = ("s", "e", "u")


@st.composite
def states(draw) -> dict:  # type: ignore[no-untyped-def]
    """Scalars in [-3, 3] (so that bounds, compared values and breakpoints often meet); each map a default with up to 4 range fills and 2 stores."""
    state: dict[str, object] = {n: draw(st.integers(-3, 3)) for n in SCALARS}
    for name, values in (("m", st.integers(0, 2)), ("b", st.booleans())):
        ops = draw(st.lists(st.tuples(st.booleans(), st.integers(-4, 4), st.integers(1, 3), values), max_size=6))
        state[name] = (draw(values), tuple(ops))
    return state


def concrete(state: dict) -> dict:
    out = {n: state[n] for n in SCALARS}
    for name in ("m", "b"):
        default, ops = state[name]
        pm = PMap.const(default)
        for is_fill, lo, width, value in ops:
            pm = pm.fill(lo, lo + width, value) if is_fill else pm.store(lo, value)
        out[name] = pm
    return out


def symbolic(state: dict) -> tuple[dict, dict, list]:
    """Z3 terms of the state as BMC builds them: scalars are constants (pinned by the
    returned equalities), maps are fills and stores over a constant, with breakpoints."""
    cur: dict[str, object] = {n: z3.Int(n) for n in SCALARS}
    pins = [z3.Int(n) == state[n] for n in SCALARS]
    bps: dict[str, list] = {}
    for name, lit in (("m", z3.IntVal), ("b", z3.BoolVal)):
        default, ops = state[name]
        term = MapConst(lit(default), False)
        points: list = []
        for is_fill, lo, width, value in ops:
            if is_fill:
                term = MapFill(term, z3.IntVal(lo), z3.IntVal(lo + width), lit(value))
                points += [z3.IntVal(lo), z3.IntVal(lo + width)]
            else:
                term = MapStore(term, z3.IntVal(lo), lit(value))
                points += [z3.IntVal(lo), z3.IntVal(lo + 1)]
        cur[name] = term
        bps[name] = points
    return cur, bps, pins


def brute(q: t.Quant, env: Env) -> bool:
    """The quantifier decided over every key of WINDOW (nested ones by the evaluator,
    whose own test points are cross-checked in test_eval_vs_encoding.py)."""
    values = [bool(evaluate(q.body, env.bind(q.var, v))) for v in WINDOW]
    return all(values) if q.kind == "forall" else any(values)


def value(term: z3.ExprRef, pins: list) -> bool:
    """The closed value of a quantifier-free term once the scalars are substituted."""
    x = z3.simplify(z3.substitute(term, *[(p.arg(0), p.arg(1)) for p in pins]))
    assert z3.is_true(x) or z3.is_false(x), x
    return z3.is_true(x)


def decide(term: z3.ExprRef, pins: list) -> bool:
    s = z3.Solver()
    s.set("timeout", 10_000)
    s.add(*pins, term)
    answer = s.check()
    assert answer != z3.unknown
    return answer == z3.sat


SYSTEM = build("<testpoints>", text=MODEL)


@settings(max_examples=int(os.environ.get("ZCHECK_TESTPOINT_EXAMPLES", "100")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(states())
# `u > p` changes truth at u: found only when no other point falls on u (a fill ending at u)
@example({"s": -1, "e": 3, "u": 1, "m": (0, ()), "b": (False, ((True, -2, 3, True),))})
def test_test_points_decide_range_quantifiers_like_brute_force(state: dict) -> None:
    env = Env(concrete(state), concrete(state))
    cur, bps, pins = symbolic(state)
    for p in SYSTEM.properties:
        assert isinstance(p.expr, t.Quant), p.name
        want = brute(p.expr, env)
        term = expr(p.expr, Ctx(cur, cur, bps=bps, old_bps=bps))
        assert not any(z3.is_quantifier(x) for x in _subterms(term)), f"{p.name} left a Z3 quantifier"
        assert value(term, pins) == want, f"{p.name}: brute force says {want}; state {state}"
        bad, _ = violation(p.expr, Ctx(cur, cur, bps=bps, old_bps=bps), f"{p.name}@0")
        assert decide(bad, pins) == (not want), f"{p.name}: the violation query disagrees; state {state}"


def test_every_property_is_in_the_test_point_fragment() -> None:
    """Without breakpoints (k-induction) the same properties fall back to Z3 quantifiers,
    so the check above is about test points, not about a fallback."""
    cur, bps, _ = symbolic({"s": 0, "e": 3, "u": 1, "m": (0, ((True, 0, 2, 1),)), "b": (False, ())})
    for p in SYSTEM.properties:
        with_points = expr(p.expr, Ctx(cur, cur, bps=bps, old_bps=bps))
        without = expr(p.expr, Ctx(cur, cur))
        assert not any(z3.is_quantifier(x) for x in _subterms(with_points)), p.name
        assert any(z3.is_quantifier(x) for x in _subterms(without)), p.name


def _subterms(x: z3.ExprRef) -> list[z3.ExprRef]:
    out, stack, seen = [], [x], set()
    while stack:
        n = stack.pop()
        if n.get_id() in seen:
            continue
        seen.add(n.get_id())
        out.append(n)
        if z3.is_app(n):
            stack.extend(n.children())
    return out


SHAPES = """
model shapes
var s: int = 0
var e: int = 0
var m: map[int] int = 0
invariant sym_forall: forall p in s .. e :: m[p] == 0
invariant sym_exists: !(exists p in s .. e :: m[p] == 1)
invariant lit_forall: forall p in 2 .. 6 :: m[p] == 0
invariant plain: forall p: int :: m[p] >= 0 || m[p] < 0
"""


def test_the_lowering_keeps_the_shapes_the_shortcuts_read() -> None:
    """`literal_range` and `lower_bounded` read the body the type checker gives a
    bounded quantifier (`lo <= x && x < hi -> e`). If that lowering changed, answers
    would stay right and BMC would only get slower, which no other test notices."""
    from zcheck.checker.testpoints import literal_range, lower_bounded

    system = build("<shapes>", text=SHAPES)

    def quant(name: str) -> t.Quant:
        found = [n for n in t.walk(system.prop(name).expr) if isinstance(n, t.Quant)]
        assert len(found) == 1
        return found[0]

    for name in ("sym_forall", "sym_exists", "lit_forall"):
        q = quant(name)
        assert lower_bounded(q.body, q.var, q.kind), name
    q = quant("lit_forall")
    assert literal_range(q.body, q.var, q.var_type) == [2, 3, 4, 5]
    for name in ("sym_forall", "sym_exists", "plain"):
        q = quant(name)
        assert literal_range(q.body, q.var, q.var_type) is None, name
    q = quant("plain")
    assert not lower_bounded(q.body, q.var, q.kind)


ARITH = """
model arith
var v: 0 .. 4 = 0
var lo: 0 .. 4 = 1
action inc() { v := (v + 1) % 4 }
invariant mod_exists: !(exists j in lo .. v + 2 :: (j * 3) % 4 == 1 && v == 2)
invariant mod_forall: forall j in 0 .. 3 :: (j + v) % 4 != 3 || v < 2
"""


@pytest.mark.parametrize(("v", "holds"), [(0, (True, True)), (1, (True, True)), (2, (False, False)),
                                          (3, (True, False))])
def test_a_small_in_range_quantifier_is_enumerated_whatever_the_body(v: int, holds: tuple[bool, bool]) -> None:
    """Found by the soundness campaign (seeds 21 and 22, five models): `forall j in 0 .. 1
    :: ... p[(j + 2) % 1] ...` could not be evaluated (the bound variable is an int under
    `mod`, outside the test-point fragment), so a correct counterexample was refused as
    not replaying. A range that is small at the state evaluated is enumerated, with
    bounds that are state expressions too."""
    system = build("<arith>", text=ARITH)
    props = {p.name: p.expr for p in system.properties}
    env = Env({"v": v, "lo": 1})
    brute_exists = any((j * 3) % 4 == 1 and v == 2 for j in range(1, v + 2))
    brute_forall = all((j + v) % 4 != 3 or v < 2 for j in range(0, 3))
    assert (not brute_exists, brute_forall) == holds
    assert (evaluate(props["mod_exists"], env), evaluate(props["mod_forall"], env)) == holds
