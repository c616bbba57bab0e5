"""Maps as cells (one constant per key, `maps.MapCells`) against maps as read chains.

The encoding keeps a map over a small key type as one constant per key and state when
the type has at most `Encoding(cell_keys=...)` keys. Both representations must give
BMC the same verdicts at the same shortest depths, counterexamples of that length
that replay on the evaluator (decode compares every state's maps with the evaluator's,
keys outside the key type included), and the explicit engine's answers. The models below read and write
keys outside the key type (ZDL maps are total), fill ranges that straddle its end, index
a map by its own values, and key maps by an enum.
"""

from __future__ import annotations

import pytest

from zcheck.checker.bmc import Options, bmc
from zcheck.checker.encode import Encoding
from zcheck.checker.explicit import exhaust
from zcheck.checker.maps import MapCells
from zcheck.checker.results import Holds, Proved, Result, Violated
from zcheck.counterexamples.decode import decode
from zcheck.system.build import build
from zcheck.system.ir import System

DEPTH = 5

OUTSIDE = """
model outside
var m: map[0 .. 3] int = 0
var j: 0 .. 3 = 0
action poke(i: 0 .. 6) {
  require m[i] < 2
  m[i] := m[i] + 1
}
action bump {
  require j < 6
  j := j + 1
}
action write_j {
  m[j] := 7
}
action smear(i: 0 .. 5) {
  m[i .. i + 2] := 3
}
invariant low_inside: m[2] < 2
invariant low_outside: m[4] < 2
invariant no_seven_outside: m[3] != 7
invariant no_three_far: m[5] != 3
cover far_cover: m[5] == 2 && m[0] == 1
"""

INDIRECT = """
model indirect
var m: map[0 .. 4] 0 .. 5 = 1
action a0 {
  m[m[3]] := (m[m[3]] + 1) % 4
}
action a1 {
  m[m[0]] := (m[m[0]] + 1) % 4
  m[m[1]] := m[m[m[2]]]
}
invariant below_four: forall i: 0 .. 4 :: m[i] < 4
invariant not_all_zero: m[0] + m[1] + m[2] + m[3] > 0
cover two_threes: m[0] == 3 && m[1] == 3
cover a_three: m[m[0]] == 3
"""

ENUM_KEYS = """
model enum_keys
enum colour { RED, GREEN, BLUE }
var seen: map[colour] 0 .. 3 = 0
var last: colour = RED
action see(c: colour) {
  require seen[c] < 2
  seen[c] := seen[c] + 1
  last := c
}
action reset {
  seen[RED] := 0
  seen[BLUE] := 0
}
invariant not_both: !(seen[GREEN] == 2 && seen[BLUE] == 1)
invariant last_seen: seen[last] <= 2
cover full: seen[RED] == 2 && seen[GREEN] == 2
"""

MODELS = {"outside": OUTSIDE, "indirect": INDIRECT, "enum_keys": ENUM_KEYS}


def _system(name: str) -> System:
    return build(f"<{name}>", None, text=MODELS[name])


def _check(system: System, cell_keys: int) -> dict[str, Result]:
    enc = Encoding(system, cell_keys=cell_keys)
    return bmc(enc, list(system.properties), Options(depth=DEPTH))


def _verdict(r: Result) -> tuple[str, int]:
    return type(r).__name__, r.depth


def _trace(r: Result) -> tuple[list[str], list[dict[str, object]]]:
    """The replayed trace: the transitions taken and every state (decode raises
    ReplayError when the solver's states differ from the evaluator's). Two encodings
    need not give the same trace when several shortest ones exist: BMC minimises the
    integer choices of a counterexample, not which transitions it takes nor its enum
    choices, and the solver's pick among the rest depends on the terms it was given
    (and on what earlier tests created in Z3's shared context)."""
    assert isinstance(r, Violated)
    trace = decode(r)
    return [s.transition for s in trace.steps], [trace.state(i) for i in range(trace.length + 1)]


def test_cells_are_used_at_and_below_the_threshold() -> None:
    system = _system("outside")
    assert isinstance(Encoding(system, cell_keys=3).state(1)["m"], MapCells)
    assert not isinstance(Encoding(system, cell_keys=2).state(1)["m"], MapCells)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cells_and_chains_give_the_same_verdicts_and_traces(name: str) -> None:
    system = _system(name)
    chains, cells = _check(system, 0), _check(system, 64)
    assert {n: _verdict(r) for n, r in cells.items()} == {n: _verdict(r) for n, r in chains.items()}
    violated = [n for n, r in cells.items() if isinstance(r, Violated)]
    assert violated, "each model violates something, so that traces are compared"
    for n in violated:  # both replay; the paths themselves may differ (see _trace)
        assert len(_trace(cells[n])[0]) == len(_trace(chains[n])[0]) == cells[n].depth, n


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cells_agree_with_the_explicit_engine(name: str) -> None:
    system = _system(name)
    got = _check(system, 64)
    for p in system.properties:
        want = exhaust(system, [p])[p.name]
        if isinstance(want, Violated) and want.depth <= DEPTH:
            assert _verdict(got[p.name]) == ("Violated", want.depth), p.name
        else:
            assert isinstance(want, (Violated, Holds, Proved)), (p.name, want)
            assert isinstance(got[p.name], Holds), (p.name, got[p.name])
