"""The cone of influence (zcheck/system/cone.py): what it keeps, and that slicing keeps verdicts.

PDR proves each property on its cone (checker/pdr.py), so a slice that lost a behaviour
would turn into a false "proved". The differential check here runs BMC on the whole
system and on each property's slice for random models (tests/differential/gen.py) and
requires the same verdict at the same depth; BMC itself is checked against an
explicit-state search in test_differential.py.
"""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.differential.gen import models, render  # noqa: E402
from zcheck.api import build, verify_system  # noqa: E402
from zcheck.checker.bmc import Options, bmc  # noqa: E402
from zcheck.checker.encode import Encoding  # noqa: E402
from zcheck.checker.results import Violated  # noqa: E402
from zcheck.system.cone import cone, slice_system  # noqa: E402

DEPTH = 5


def _verdict(r) -> object:  # type: ignore[no-untyped-def]
    return ("violated", r.depth) if isinstance(r, Violated) else type(r).__name__


@settings(max_examples=int(os.environ.get("ZCHECK_CONE_EXAMPLES", "150")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.data())
def test_slicing_keeps_every_bmc_verdict(data: st.DataObject) -> None:
    text = render(data.draw(models()))
    system = build("<model>", text=text)
    whole = bmc(Encoding(system), list(system.properties), Options(depth=DEPTH, timeout=60))
    for p in system.properties:
        part = slice_system(system, [p])
        sliced = bmc(Encoding(part), [part.prop(p.name)], Options(depth=DEPTH, timeout=60))
        assert _verdict(sliced[p.name]) == _verdict(whole[p.name]), (
            f"{p.name}: whole system {_verdict(whole[p.name])}, its cone ({sorted(cone(system, [p]))}) "
            f"{_verdict(sliced[p.name])}\n--- model ---\n{text}")


def test_cone_of_a_kernel_property() -> None:
    """memremap_unwind: `no_double_release` reads `pat`, written only by setup steps
    that read `setup`; the mapper threads, teardown and the other resources are out."""
    system = build(os.path.join(ROOT, "models", "memremap_unwind.zdl"))
    assert cone(system, [system.prop("no_double_release")]) == {"setup", "pat"}
    part = slice_system(system, [system.prop("no_double_release")])
    assert {v.name for v in part.vars} == {"setup", "pat"}
    assert [p.name for p in part.properties] == ["no_double_release"]
    assert len(part.transitions) < len(system.transitions)


BOUNDED_ANY = """
model bounded_any
var a: int = 0
var z: int = 0
var b: bool = false
action inc() { a := a + 1 }
action go() {
  z := any in 1 .. a  // no value when a < 2: the step is disabled
  b := true
}
invariant never_b: !b
"""


def test_a_dropped_bounded_any_still_guards_its_step() -> None:
    """`z` is outside the cone of `never_b`, but `z := any in 1 .. a` disables `go`
    until a >= 2: the slice keeps that as `require 1 < a`, so b is first true at 3."""
    system = build("<bounded_any>", text=BOUNDED_ANY)
    p = system.prop("never_b")
    part = slice_system(system, [p])
    assert {v.name for v in part.vars} == {"a", "b"}
    got = bmc(Encoding(part), [part.prop("never_b")], Options(depth=5))["never_b"]
    assert isinstance(got, Violated) and got.depth == 3


def test_pdr_names_the_cone_it_proved_on() -> None:
    system = build(os.path.join(ROOT, "models", "memremap_unwind.zdl"))
    run = verify_system(system, [system.prop("no_double_release_xa")], depth=3, engine="pdr", timeout=60)
    (r,) = run.results
    assert r.verdict == "proved", r
    assert "on the cone of influence (2 of 13 variables)" in r.detail
