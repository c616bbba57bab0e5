"""Partial-order reduction in BMC (checker/por.py): which adjacent orders it forbids, and
that it changes no verdict and no shortest depth (the random differential tests run with
it on; here, by hand, on models whose orders matter)."""

from __future__ import annotations

from zcheck import api
from zcheck.checker.bmc import Options, bmc
from zcheck.checker.encode import Encoding
from zcheck.checker.por import forbidden_successors, pairs

TWO = """model two
var x: bool = false
var y: bool = false
var z: 0..4 = 0
action a() { x := true }
action b() { y := true }
action c() { require x; z := (z + 1) % 4 }
invariant not_both: !(x && y)
invariant z_small: z < 2
"""


def test_only_independent_earlier_transitions_are_forbidden_after_a_later_one() -> None:
    system = api.build("m.zdl", None, None, text=TWO)
    table = forbidden_successors(system)
    # a and b touch disjoint variables; c reads x, which a writes; b and c are independent
    assert table == ((), (0,), (1,))
    assert pairs(table) == 2


def test_bmc_finds_the_same_shortest_violations_with_and_without_it() -> None:
    system = api.build("m.zdl", None, None, text=TWO)
    found = {}
    for por in (True, False):
        r = bmc(Encoding(system), list(system.properties), Options(depth=6, por=por))
        found[por] = {n: (type(v).__name__, v.depth) for n, v in r.items()}
    assert found[True] == found[False]
    assert found[True]["not_both"] == ("Violated", 2) and found[True]["z_small"] == ("Violated", 3)


def test_the_counterexample_takes_the_canonical_order() -> None:
    system = api.build("m.zdl", None, None, text=TWO)
    run = api.verify_system(system, api.select(system, ["not_both"]), 4, engine="bmc")
    trace = run.results[0].trace
    assert trace is not None and [s.transition for s in trace.steps] == ["a", "b"]
