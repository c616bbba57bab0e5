"""The explicit-state engine (zcheck/checker/explicit.py) against the independent BFS and BMC.

- On random models of tests/differential/gen.py (plain, with processes, with processes
  and locks) the engine's verdicts and shortest depths equal those of the whole
  reachable space enumerated by tests/differential/explicit.py, and every violation's
  trace decodes and replays through `decode` like a BMC trace;
- on a few of them BMC agrees too (to its bound);
- symmetry reduction never changes a verdict or a depth, and does reduce;
- the trace is a shortest one; a state budget gives UNKNOWN, never PROVED;
- the order of the states and the traces do not depend on PYTHONHASHSEED.

Environment: ZCHECK_EXPLICIT_EXAMPLES (default 10 per family, 6 with locks).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # `tests/` is not a package; make `tests.differential` importable
    sys.path.insert(0, ROOT)

from tests.differential.explicit import TooBig, explore as oracle  # noqa: E402
from tests.differential.gen import Model, models, render  # noqa: E402
from zcheck import api  # noqa: E402
from zcheck.checker.explicit import Stop, exhaust, explore, finite_domain  # noqa: E402
from zcheck.checker.results import Proved, Unknown, Violated  # noqa: E402
from zcheck.counterexamples.decode import decode  # noqa: E402

EXAMPLES = int(os.environ.get("ZCHECK_EXPLICIT_EXAMPLES", "10"))
LOCK_EXAMPLES = int(os.environ.get("ZCHECK_EXPLICIT_EXAMPLES", "6"))
SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FAMILIES = {"plain": dict(), "procs": dict(procs=True), "locks": dict(procs=True, locks=True)}


def _system(text: str):  # type: ignore[no-untyped-def]
    return api.build("<model>", None, None, text=text)


def _verdicts(results: dict, unknown_ok: bool = False) -> dict:  # type: ignore[type-arg]
    """name -> depth of the violation, or None when proved ("?" when unknown, if allowed)."""
    out = {}
    for name, r in results.items():
        if unknown_ok and isinstance(r, Unknown):
            out[name] = "?"
            continue
        assert isinstance(r, (Violated, Proved)), f"{name}: {r}"
        out[name] = r.depth if isinstance(r, Violated) else None
    return out


def check_against_oracle(model: Model) -> dict | None:  # type: ignore[type-arg]
    try:
        want = oracle(model, 10_000, max_states=4_000)  # the whole reachable space, or skip
    except TooBig:
        return None
    text = render(model)
    system = _system(text)
    results = exhaust(system, api.select(system, None))
    got = _verdicts(results)
    for name, depth in want.depth.items():
        if name not in got:  # deadlock/stuck left out with ZC904 (tests/test_differential_locks.py)
            assert name in dict(system.notes), f"{name} missing\n{text}"
            continue
        assert got[name] == depth, f"{name}: BFS {depth}, explicit engine {got[name]}\n{text}"
    for name, depth in got.items():
        assert name in want.depth or depth is None, f"{name} violated at {depth}, the model keeps writes in range\n{text}"
    for r in results.values():
        if isinstance(r, Violated):
            trace = decode(r)  # replays on the evaluator, on the whole system
            assert trace.length == r.depth
    return got


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_agrees_with_the_bfs_oracle(family: str) -> None:
    compared = []

    @settings(max_examples=LOCK_EXAMPLES if family == "locks" else EXAMPLES, **SETTINGS)
    @given(models(max_vars=3, max_actions=3, **FAMILIES[family]))
    def one(model: Model) -> None:
        got = check_against_oracle(model)
        if got is not None:
            compared.append(sum(d is not None for d in got.values()))

    one()
    assert len(compared) >= 3 and sum(compared) > 0, compared


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
def test_agrees_with_bmc() -> None:
    depth = 4
    seen = {"violated": 0}

    @settings(max_examples=4, **SETTINGS)
    @given(models(max_vars=3, max_actions=2, procs=True, locks=True))
    def one(model: Model) -> None:
        system = _system(render(model))
        props = api.select(system, None)
        mine = _verdicts(exhaust(system, props, max_states=20_000), unknown_ok=True)
        run = api.verify_system(system, props, depth, timeout=30, engine="bmc")
        for r in run.results:
            if r.verdict == "unknown" or mine[r.name] == "?":
                continue
            want = mine[r.name]
            if want is not None and want <= depth:
                assert r.verdict in ("violated", "reached") and r.depth == want, f"{r.name}: {r.verdict} {r.depth}"
                seen["violated"] += 1
            else:
                assert r.verdict in ("holds", "not_reached", "proved", "unreachable"), f"{r.name}: {r.verdict}"

    one()
    assert seen["violated"] > 0


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@pytest.mark.parametrize("family", ["procs", "locks"])
def test_symmetry_never_changes_a_verdict(family: str) -> None:
    used = []

    @settings(max_examples=LOCK_EXAMPLES if family == "locks" else EXAMPLES, **SETTINGS)
    @given(models(max_vars=3, max_actions=2, **FAMILIES[family]))
    def one(model: Model) -> None:
        system = _system(render(model))
        # the per-instance properties (`p0[1].s0.range@4`) would make every cone asymmetric
        props = [p for p in api.select(system, None) if "]." not in p.name]
        with_ = explore(system, props, 20_000, symmetry=True)
        without = explore(system, props, 20_000, symmetry=False)
        if Stop.BUDGET in (with_.stats.stop, without.stats.stop):
            return
        assert _verdicts(with_.results) == _verdicts(without.results), render(model)
        assert with_.stats.states <= without.stats.states
        if with_.stats.symmetry:
            used.append(without.stats.states - with_.stats.states)
            for r in with_.results.values():
                if isinstance(r, Violated):
                    assert decode(r).length == r.depth

    one()
    assert used and max(used) > 0, "no model was symmetric"


SYMMETRIC = textwrap.dedent("""\
    model sym
    var count: 0 .. 8 = 0
    lock L0
    process p[3] {
      step s0 {
        acquire L0
      }
      step s1 {
        count := (count + 1) % 8
      }
      step s2 {
        release L0
      }
      loop
    }
    invariant seven: count != 7
    invariant first: !(at(p[0], s1) && count == 6)
    """)


def test_symmetry_reduces_and_the_trace_replays() -> None:
    system = _system(SYMMETRIC)
    deadlock, seven, first = system.prop("deadlock"), system.prop("seven"), system.prop("first")
    reduced = explore(system, [deadlock])
    full = explore(system, [deadlock], symmetry=False)
    assert reduced.stats.symmetry == "p[0..2]" and not full.stats.symmetry
    assert reduced.stats.states < full.stats.states
    assert isinstance(reduced.results["deadlock"], Proved)
    r = explore(system, [seven]).results["seven"]
    assert isinstance(r, Violated) and r.depth == 20 and decode(r).length == 20
    asym = explore(system, [first])  # names p[0]: not symmetric
    assert not asym.stats.symmetry and isinstance(asym.results["first"], Violated)


DEEP = textwrap.dedent("""\
    model deep
    var v0: 0 .. 2 = 0
    lock L0
    lock L1
    process p0[2] {
      step s0 {
        acquire L0
      }
      step s1 {
        acquire L1 nested
        release L1
        release L0
      }
      loop
    }
    process p1[2] {
      step s0 {
        acquire L1
      }
      step s1 {
        acquire L0
        release L0
        release L1
      }
      loop
    }
    process p2[2] {
      step s0 {
        acquire L1
        release L1
        v0 := (v0 + 1) % 2
      }
      loop
    }
    """)


def test_deep_deadlock_predicate_and_three_symmetric_groups() -> None:
    """Six instances give a `deadlock` predicate nested 421 deep (Python's parser stops at
    200 parentheses: `and`/`or` chains are compiled flat); each process is a group."""
    system = _system(DEEP)
    props = api.select(system, ["deadlock", "stuck"])
    reduced, full = explore(system, props), explore(system, props, symmetry=False)
    assert reduced.stats.symmetry == "p0[0..1], p1[0..1], p2[0..1]"
    assert _verdicts(reduced.results) == _verdicts(full.results) == {"deadlock": 2, "stuck": 2}
    assert reduced.stats.states < full.stats.states
    assert decode(reduced.results["deadlock"]).length == 2


SHORTEST = textwrap.dedent("""\
    model shortest
    var x: 0 .. 16 = 0
    action inc {
      require x < 15
      x := x + 1
    }
    action jump {
      require x == 2
      x := 12
    }
    invariant small: x < 13
    cover nine: x == 9
    """)


def test_violation_has_a_shortest_trace() -> None:
    system = _system(SHORTEST)
    res = exhaust(system, api.select(system, ["small", "nine"]))
    small, nine = res["small"], res["nine"]
    assert isinstance(small, Violated) and small.depth == 4  # inc, inc, jump, inc (13 steps of inc alone)
    trace = decode(small)
    assert [s.transition for s in trace.steps] == ["inc", "inc", "jump", "inc"]
    assert trace.steps[-1].state["x"] == 13
    assert isinstance(nine, Violated) and nine.depth == 9 and decode(nine).verdict == "reached"


def test_max_states_gives_unknown_never_proved() -> None:
    system = _system(SHORTEST)
    props = api.select(system, ["small"])
    r = exhaust(system, props, max_states=3)["small"]
    assert isinstance(r, Unknown) and "more than 3 states" in r.reason and 0 <= r.depth < 4
    done = exhaust(system, api.select(system, ["nine"]) + props)
    assert isinstance(done["small"], Violated)
    counter = _system("model c\nvar n: int = 0\naction up { n := n + 1 }\ninvariant ok: n >= 0\n")
    r = exhaust(counter, api.select(counter, None), max_states=50)["ok"]
    assert isinstance(r, Unknown) and r.depth >= 40


def test_max_states_option_is_the_budget_of_exhaustion() -> None:
    """`verify --max-states N` (and the API's `max_states`, and sweep's) is exhaustion's
    budget: under it Peterson at N = 3 (465 states) is not proved by exhaustion and the
    output says which budget ended it (the other engines are cut short by --timeout,
    which only turns into UNKNOWN); with the default it is."""
    peterson = os.path.join(ROOT, "bench", "protocols", "peterson.zdl")
    small = subprocess.run([sys.executable, "-m", "zcheck", "verify", peterson, "-D", "N=3", "--max-states", "100",
                            "--max-k", "1", "--depth", "2", "--timeout", "3"], capture_output=True, text=True, timeout=300)
    assert "exhaustion: budget (100 states)" in small.stdout, small.stdout + small.stderr
    assert "by exhaustion" not in small.stdout
    system = api.build(peterson, {"N": "3"}, None)
    (r,) = api.verify_system(system, api.select(system, ["mutex"]), 10, max_states=500).results
    assert r.verdict == "proved" and "465 states" in r.result.detail
    options = api.VerifyOptions.of("auto", 10, None, 0, 100)
    assert options.budgets.explicit_states == options.budgets.explicit_states_interpreted == 100
    bad = subprocess.run([sys.executable, "-m", "zcheck", "verify", peterson, "--max-states", "0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--max-states" in bad.stderr


GOTO_TWICE = textwrap.dedent("""\
    model goto_twice
    var x: 0 .. 3 = 0
    procedure q(a: 0 .. 1) {
      step a0 {
        x := (x + 1) % 4
        if x == 1 {
          goto a0
        }
      }
    }
    process p {
      call q(0)
      call q(1)
      step s { x := x }
    }
    invariant small: x != 3
    """)


def test_goto_flag_of_a_procedure_called_twice_is_one_variable() -> None:
    # Found by scripts/soundness.py (seed 1): the hidden flag of a `goto` back to a
    # procedure's first step was declared once per call site under one name, so the
    # compiled step kept two slots for it and the evaluator one, and rebuilding the
    # trace failed with ExplicitError.
    system = _system(GOTO_TWICE)
    names = [v.name for v in system.vars]
    assert names.count("p[0].q.#goto") == 1
    res = exhaust(system, api.select(system, ["small"]))
    trace = decode(res["small"])
    assert [s.transition for s in trace.steps] == ["p[0].q.a0", "p[0].q.a0", "p[0].q.a0#2"]
    assert trace.steps[-1].state["x"] == 3


ESCAPE = textwrap.dedent("""\
    model escape
    var m: map[0 .. 3] bool = false
    var i: int = 0
    action put {
      require i < 5
      m[i] := true
      i := i + 1
    }
    invariant never_four: !m[4]
    invariant three: !m[2]
    """)


def test_map_written_outside_its_key_type_is_followed_exactly() -> None:
    system = _system(ESCAPE)
    ex = explore(system, api.select(system, ["never_four", "three"]))
    assert ex.stats.sparse == ("m",)  # the tuple form met key 3 and was given up
    assert ex.results["never_four"].depth == 5 and ex.results["three"].depth == 3
    assert decode(ex.results["never_four"]).steps[-1].state["m"].get(4) is True


def test_finite_domain_and_unsupported_choices() -> None:
    system = _system(SYMMETRIC)
    b = finite_domain(system, system.prop("seven"))
    assert b is not None and b.states == 8 * 5 ** 3 * 5  # count, three pcs (s0..s2, done, crashed), L0
    counter = _system("model c\nvar n: int = 0\naction up { n := n + 1 }\ninvariant ok: n >= 0\n")
    assert finite_domain(counter, counter.prop("ok")) is None
    param = _system("model p\nvar x: bool = false\naction a(v: int) { x := v > 3 }\ninvariant ok: !x\n")
    assert finite_domain(param, param.prop("ok")) is None
    r = exhaust(param, api.select(param, None))["ok"]
    assert isinstance(r, Unknown) and "parameter `v`" in r.reason
    rigid = _system("model r\nconst N: 0 .. 4\nassume N > 1\nvar x: 0 .. 8 = 0\n"
                    "action a { require x < N\n x := x + 1 }\ninvariant ok: x != 3\n")
    assert finite_domain(rigid, rigid.prop("ok")).initial == 2  # N = 2, 3
    r = exhaust(rigid, api.select(rigid, None))["ok"]
    assert isinstance(r, Violated) and r.depth == 3 and decode(r).rigid["N"] == 3


def test_library_model_decided_by_exhaustion() -> None:
    path = os.path.join(ROOT, "models", "memory_block_locks.zdl")
    system = api.build(path)
    r = exhaust(system, [system.prop("deadlock")])["deadlock"]
    assert isinstance(r, Violated) and r.depth == 6 and decode(r).length == 6
    fixed = api.build(path, expr_overrides=None, overrides={"ERA": "V4_1"})
    r = exhaust(fixed, [fixed.prop("deadlock")])["deadlock"]
    assert isinstance(r, Proved) and r.engine == "explicit" and r.detail.startswith("exhaustion, ")


HASHSEED = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {root!r})
    from zcheck import api
    from zcheck.checker import explicit
    from zcheck.counterexamples.decode import decode
    seen = []
    real = explicit._Search.finish
    def finish(self, *a):
        seen.append(self.states[:200])
        return real(self, *a)
    explicit._Search.finish = finish
    system = api.build({path!r})
    res = explicit.exhaust(system, api.select(system, None))
    for name in sorted(res):
        r = res[name]
        print(name, type(r).__name__, getattr(r, "depth", None))
        if type(r).__name__ == "Violated":
            print([(s.transition, s.params, s.picks) for s in decode(r).steps])
    print(repr(seen))
    """)


def test_states_and_traces_do_not_depend_on_the_hash_seed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "m.zdl"
    model.write_text(SYMMETRIC.replace("invariant first", "cover c0: count == 3 && at(p[1], s2)\ninvariant first"))
    script = HASHSEED.format(root=ROOT, path=str(model))
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert "Violated" in outs[0]
