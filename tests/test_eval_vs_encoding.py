"""Cross-check: the concrete evaluator against the Z3 encoding, expression by expression.

Every counterexample is replayed on the evaluator (zcheck/system/evaluate.py) and every
verdict comes from the encoding (zcheck/checker/encode.py); if the two read one
expression differently, a real trace can fail to replay or a replayed trace can be the
wrong one. Here hypothesis draws random finite models (tests/differential/gen.py: maps,
ranges, enums, `%`, `min`/`max`, `if`, nested reads, quantifiers) and random concrete
states, including map entries outside the key range and values outside the value
range (both are reachable: a range violation is reported and the value kept). Each
property expression is evaluated by the evaluator and encoded over the same state as
Z3 constants; a fresh solver must prove the encoding equal to the evaluator's value.
Not only whole properties: every closed sub-expression of every property and of every
action's conditions, assignments and stores (with random parameter values), so that
each operator is compared on its own. And each property in the form the engines ask
it (`violation`: outer quantifiers replaced by witness constants) must be satisfiable
exactly when the evaluator finds the property false.
Both encodings of quantifiers are checked: test points at the maps' breakpoints (what
BMC uses) and Z3 quantifiers (what k-induction uses when breakpoints are unknown).

`test_evaluator_and_encoding_agree_on_lock_models` does the same for models with the
concurrency vocabulary (docs/language.md §6) and, since lowering turns that vocabulary
into statements, also compares whole steps (enabled, next state, violated asserts), the
initial state, and the `deadlock`/`stuck` predicates with a direct reading of the
evaluator (see the comment above it).

Environment: ZCHECK_EVAL_EXAMPLES (default 150), ZCHECK_EVAL_LOCK_EXAMPLES (default 40);
`ZCHECK_HYPOTHESIS_PROFILE=explore` draws new models (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import sys

import pytest
import z3
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.differential.gen import models, render  # noqa: E402
from zcheck.api import build  # noqa: E402
from zcheck.checker.encode import Ctx, Encoding, _Sym, expr, havocs, literal, violation  # noqa: E402
from zcheck.checker.maps import MapConst, MapFill  # noqa: E402
from zcheck.spec import typed as t  # noqa: E402
from zcheck.spec.types import BoolT, EnumT, IntT, MapT, RangeT, Type  # noqa: E402
from zcheck.system.evaluate import Env, EvalError, evaluate, run_body  # noqa: E402
from zcheck.system.semantics import initial  # noqa: E402
from zcheck.system.pmap import PMap  # noqa: E402

EXAMPLES = int(os.environ.get("ZCHECK_EVAL_EXAMPLES", "150"))


def scalar_values(typ: Type) -> st.SearchStrategy:
    """Values a variable of `typ` can hold: its domain and, for ranges, a little outside."""
    if isinstance(typ, BoolT):
        return st.booleans()
    if isinstance(typ, EnumT):
        return st.integers(0, len(typ.members) - 1)
    if isinstance(typ, RangeT):
        return st.integers(typ.lo - 2, typ.hi + 1)
    if isinstance(typ, IntT):  # read counts, RCU depths, lock array keys: mostly small
        return st.one_of(st.integers(-1, 3), st.integers(-8, 8))
    return st.integers(-8, 8)


@st.composite
def states(draw, system) -> dict:  # type: ignore[no-untyped-def]
    state = {}
    for v in system.vars:
        if isinstance(v.type, MapT):
            m = PMap.const(draw(scalar_values(v.type.value)))
            for _ in range(draw(st.integers(0, 4))):
                lo = draw(scalar_values(v.type.key))
                m = m.fill(lo, lo + draw(st.integers(1, 3)), draw(scalar_values(v.type.value)))
            state[v.name] = m
        else:
            state[v.name] = draw(scalar_values(v.type))
    return state


def encoded_state(system, state: dict) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """Z3 terms for the state (maps as fills over a constant, as BMC builds them) and
    the breakpoints of each map."""
    cur, bps = {}, {}
    for v in system.vars:
        value = state[v.name]
        if isinstance(v.type, MapT):
            term = MapConst(literal(value.vals[0], v.type.value), False)
            for lo, hi, val in value.segments():
                if lo is not None and hi is not None:
                    term = MapFill(term, z3.IntVal(lo), z3.IntVal(hi), literal(val, v.type.value))
            if value.keys:  # the last segment runs to +inf
                term = MapFill(term, z3.IntVal(value.keys[-1]), z3.IntVal(10**9), literal(value.vals[-1], v.type.value))
            cur[v.name] = term
            bps[v.name] = [z3.IntVal(k) for k in value.keys]
        else:
            cur[v.name] = literal(value, v.type)
    return cur, bps


def first_disagreement(pairs: list, base: tuple = ()) -> int | None:
    """The index of the first (term, value) pair whose term is not exactly the value
    under the constraints `base`, or None when all agree. One solver call when they all
    agree (the common case), one per pair only to find the culprit."""
    if not pairs:
        return None
    s = z3.Solver()
    s.set("timeout", 10_000)
    s.add(*base)
    s.add(z3.Or([term != _val(value) for term, value in pairs]))
    answer = s.check()
    if answer == z3.unsat:
        return None
    for k, (term, value) in enumerate(pairs):  # sat, or unknown: one at a time
        s = z3.Solver()
        s.set("timeout", 10_000)
        s.add(*base)
        s.add(term != _val(value))
        one = s.check()
        assert one != z3.unknown, f"the solver could not decide {term} == {value}"
        if one == z3.sat:
            return k
    assert answer == z3.unknown, "some pair differs, but none alone"
    return None


def _val(value: object) -> z3.ExprRef:
    return z3.BoolVal(bool(value)) if isinstance(value, bool) else z3.IntVal(int(value))  # type: ignore[call-overload]


def closed_subterms(e):  # type: ignore[no-untyped-def]
    """Every sub-expression of e with no free quantified variable, e first (in `walk`
    order). Free variables are computed once, bottom-up: the `deadlock` predicate of a
    lock model has thousands of nodes."""
    free: dict[int, frozenset] = {}
    for n in reversed(t.walk(e)):  # children before parents
        names = frozenset().union(*(free[id(k)] for k in t.children(n)))
        if isinstance(n, t.Bound):
            names |= {n.name}
        elif isinstance(n, t.Quant):
            names -= {n.var}
        free[id(n)] = names
    return [n for n in t.walk(e) if not free[id(n)] and not isinstance(n.type, MapT)]


CAP = 150  # at most this many sub-expressions of one expression are compared (a sample)


def expressions(system):  # type: ignore[no-untyped-def]
    """The expressions to compare, grouped by the expression they come from: every
    closed sub-expression of every property, and of every `if` condition, `require`,
    assignment and store of every action that reads only the state and the action's
    parameters."""
    for p in system.properties:
        if p.expr is not None:
            yield p.name, closed_subterms(p.expr), ()
    for tr in system.transitions:
        for stmt in statements(tr.body):
            for x in stmt_exprs(stmt):
                if not any(isinstance(n, (t.Local, t.Old)) for n in t.walk(x)):
                    yield tr.name, closed_subterms(x), tr.params


def statements(body):  # type: ignore[no-untyped-def]
    for s in body:
        yield s
        if isinstance(s, t.SIf):
            yield from statements(s.then)
            yield from statements(s.else_)


def stmt_exprs(s):  # type: ignore[no-untyped-def]
    match s:
        case t.SAssign(value=x) | t.SRequire(cond=x) | t.SIf(cond=x):
            return [x]
        case t.SStore(index=i, value=x):
            return [i, x]
        case _:
            return []


def compare_expressions(data: st.DataObject, system, state: dict, text: str) -> int:
    """Every closed sub-expression of the properties and bodies: the evaluator's value
    and the encoding's (both quantifier encodings) agree. Returns how many were compared."""
    cur, bps = encoded_state(system, state)
    rows = []  # (where, expression, its value, parameter values, the encoding's two terms)
    envs: dict = {}  # parameter values -> (Env, the two Ctx): shared, so that the memo applies
    with memoised():
        for where, xs, params in expressions(system):
            if len(xs) > CAP:  # the whole expression and a sample of its parts
                keep = data.draw(st.lists(st.integers(1, len(xs) - 1), min_size=CAP - 1, max_size=CAP - 1,
                                          unique=True))
                xs = [xs[0]] + [xs[k] for k in sorted(keep)]
            for x in xs:
                rows.append(_row(data, state, where, x, params, cur, bps, envs))
    rows = [r for r in rows if r is not None]
    for k, label in enumerate(("test points", "z3 quantifiers")):
        bad = first_disagreement([(r[4][k], r[2]) for r in rows])
        if bad is not None:
            where, x, want, args, _ = rows[bad]
            raise AssertionError(f"{where}: the evaluator says {want} for {x}, the encoding ({label}) disagrees\n"
                                 f"state: {state}, parameters: {args}\n--- model ---\n{text}")
    return len(rows)


@contextlib.contextmanager
def memoised():  # type: ignore[no-untyped-def]
    """Within: the evaluator's `evaluate` and the encoding's `expr` remember their answer
    per (node, environment), so that comparing every sub-expression of a large property
    (a `deadlock` predicate) encodes and evaluates each node once, not once per enclosing
    node. Both are pure functions of the node and the environment, which the memo keeps
    alive (so their ids are not reused)."""
    import zcheck.checker.encode as encode_mod
    import zcheck.system.evaluate as evaluate_mod

    originals = (encode_mod.expr, evaluate_mod.evaluate)
    memo: dict = {}

    def wrap(fn):  # type: ignore[no-untyped-def]
        def call(node, env):  # type: ignore[no-untyped-def]
            key = (fn, id(node), id(env))
            if key not in memo:
                memo[key] = (fn(node, env), node, env)
            return memo[key][0]
        return call

    encode_mod.expr, evaluate_mod.evaluate = wrap(originals[0]), wrap(originals[1])
    try:
        yield
    finally:
        encode_mod.expr, evaluate_mod.evaluate = originals


def _row(data: st.DataObject, state: dict, where: str, x, params, cur: dict, bps: dict,  # type: ignore[no-untyped-def]
         envs: dict):
    """(where, x, the evaluator's value, parameter values, the encoding's terms with test
    points and with Z3 quantifiers), or None when the evaluator declines x."""
    args = {name: data.draw(scalar_values(typ)) for name, typ in params}
    key = tuple(args.items())
    if key not in envs:
        z3_args = {name: literal(v, typ) for (name, typ), v in zip(params, args.values())}
        envs[key] = (Env(state, state, params=args),
                     [Ctx(cur, cur, z3_args, bps=points, old_bps=points) for points in (bps, None)])
    env, ctxs = envs[key]
    try:
        want = evaluate(x, env)
    except EvalError:  # the evaluator declines some quantifier shapes (tested elsewhere)
        event("evaluator declined")
        return None
    return (where, x, want, args, [expr(x, c) for c in ctxs])


def compare_queries(system, state: dict, text: str) -> None:
    """Each property in the form the engines ask it (`violation`: outer quantifiers
    replaced by witness constants) is satisfiable exactly when the evaluator finds the
    property false."""
    cur, bps = encoded_state(system, state)
    for p in system.properties:
        if p.expr is None:
            continue
        try:
            ok = evaluate(p.expr, Env(state, state))
        except EvalError:
            continue
        for label, points in (("test points", bps), ("z3 quantifiers", None)):
            bad, _ = violation(p.expr, Ctx(cur, cur, bps=points, old_bps=points), f"{p.name}@0")
            s = z3.Solver()
            s.set("timeout", 10_000)
            s.add(bad)
            answer = s.check()
            assert answer != z3.unknown, f"{p.name}: the solver could not decide the violation query"
            assert (answer == z3.sat) == (not ok), (
                f"{p.name}: the evaluator says {ok}, the violation query ({label}) is {answer}\n"
                f"state: {state}\n--- model ---\n{text}")


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.data())
def test_evaluator_and_encoding_agree_on_every_property(data: st.DataObject) -> None:
    text = render(data.draw(models()))
    system = build("<model>", text=text)
    state = data.draw(states(system))
    compared = compare_expressions(data, system, state, text)
    event(f"compared {min(compared, 50) // 10 * 10}+ expressions")
    compare_queries(system, state, text)


# ----------------------------------------------------------------------------------------
# The concurrency vocabulary (docs/language.md §6): models with processes, locks, rwsems,
# lock arrays, trylocks, `self`, owners, `at`, instance fields, procedures, `bug_on`, RCU,
# `goto`/`done` and picks (tests/differential/gen.py, `models(procs=True, locks=True)`).
# Lowering turns all of it into core statements over state variables (lock holders, read
# counts, pcs, lockdep flags, grace-period flags), so here a whole step is compared: the
# evaluator runs the lowered body on a concrete state with concrete parameters and picks,
# and the encoding of the same body (`_Sym`, what trans(k) and the assert sites are built
# from) must agree on whether the step is enabled, on every variable of the next state,
# and on which assert properties (`lock(L)`, `lockdep`, `bug_on`, `range@`) it violates.
# The initial state is compared the same way, and the `deadlock` and `stuck` predicates
# against a direct reading of the evaluator: an instance waits when every run of its step
# stops at a blocking lock statement, for the holders at that point.

LOCK_EXAMPLES = int(os.environ.get("ZCHECK_EVAL_LOCK_EXAMPLES", "40"))
WINDOW = range(-3, 8)  # map keys compared: every lock array and generated map lives in it


def pick_values(typ: Type) -> st.SearchStrategy:
    """Values a pick (`any T`, `any in lo .. hi`) may be given: its domain and around it."""
    if isinstance(typ, IntT):
        return st.integers(-1, 5)
    return scalar_values(typ)


def in_domain_values(typ: Type) -> list:
    if isinstance(typ, BoolT):
        return [False, True]
    if isinstance(typ, EnumT):
        return list(range(len(typ.members)))
    if isinstance(typ, RangeT):
        return list(range(typ.lo, typ.hi))
    raise Unbounded(typ)


class Unbounded(Exception):
    """A parameter or pick over an unbounded type: cannot be enumerated."""


class _NeedPick(Exception):
    def __init__(self, values: list) -> None:
        super().__init__(values)
        self.values = values


def runs(tr, state: dict, params: dict):  # type: ignore[no-untyped-def]
    """Every outcome of running `tr` on the evaluator: one per sequence of pick values
    (each value of the pick's type, or of lo .. hi)."""
    stack: list[tuple] = [()]
    while stack:
        prefix = stack.pop()
        used: list = []

        def choose(s, env, prefix=prefix, used=used):  # type: ignore[no-untyped-def]
            if len(used) < len(prefix):
                used.append(prefix[len(used)])
                return used[-1]
            if s.lo is not None and s.hi is not None:
                raise _NeedPick(list(range(int(evaluate(s.lo, env)), int(evaluate(s.hi, env)))))
            raise _NeedPick(in_domain_values(s.domain))

        try:
            yield run_body(tr.body, state, params, choose, {})
        except _NeedPick as more:
            stack += [prefix + (v,) for v in more.values]


def param_values(tr) -> list[dict]:  # type: ignore[no-untyped-def]
    out: list[dict] = [{}]
    for name, typ in tr.params:
        out = [{**a, name: v} for a in out for v in in_domain_values(typ)]
    return out


def walked_state(data: st.DataObject, system) -> dict:  # type: ignore[no-untyped-def]
    """A state reached from an initial one by up to 6 random enabled steps (so that
    locks, read counts, pcs and grace periods are consistent, as in real runs)."""
    def choose(s, env):  # type: ignore[no-untyped-def]
        if s.lo is not None and s.hi is not None:
            lo, hi = int(evaluate(s.lo, env)), int(evaluate(s.hi, env))
            return data.draw(st.integers(lo, max(lo, hi - 1)))
        return data.draw(st.sampled_from(in_domain_values(s.domain)))

    start = initial(system, choose)
    state = start.state
    for _ in range(data.draw(st.integers(0, 6))):
        tr = data.draw(st.sampled_from(system.transitions))
        args = {name: data.draw(st.sampled_from(in_domain_values(typ))) for name, typ in tr.params}
        out = run_body(tr.body, state, args, choose, {})
        if out.enabled:
            state = out.state
    return state


def _solver(base: list) -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", 10_000)
    s.add(*base)
    return s


def agrees(base: list, term: z3.ExprRef, value: object) -> bool:
    """Under `base` (the step's definitions and picks), `term` is exactly `value`."""
    return first_disagreement([(term, value)], tuple(base)) is None


def same_state(system, base: list, terms: dict, values: dict) -> str | None:  # type: ignore[no-untyped-def]
    """The first variable whose encoded value differs from the evaluator's (maps: at
    WINDOW and at the evaluator's breakpoints), or None."""
    pairs, names = [], []
    for v in system.vars:
        term, value = terms[v.name], values[v.name]
        if isinstance(v.type, MapT):
            for k in sorted(set(WINDOW) | set(value.breakpoints())):
                pairs.append((term.read(z3.IntVal(k)), value.get(k)))
                names.append(f"{v.name}[{k}] = {value.get(k)}")
        else:
            pairs.append((term, value))
            names.append(f"{v.name} = {value}")
    bad = first_disagreement(pairs, tuple(base))
    return None if bad is None else names[bad]


def compare_step(system, tr, state: dict, params: dict, picks: dict, text: str) -> str:  # type: ignore[no-untyped-def]
    """Run `tr` on the evaluator and encode it over the same values; assert they agree.
    Returns a word for `event`."""
    out = run_body(tr.body, state, params, lambda s, env: picks[s.choice], {})
    violated = {}
    for a in out.asserts:
        violated[a.prop] = violated.get(a.prop, False) or not a.ok
    cur, bps = encoded_state(system, state)
    z3_params = {name: literal(params[name], typ) for name, typ in tr.params}
    enc = Encoding(system)
    why = f"\n{tr.name}, state: {state}, parameters: {params}, picks: {picks}\n--- model ---\n{text}"
    for label, points in (("test points", bps), ("z3 quantifiers", None)):
        start = None if points is None else {k: list(v) for k, v in points.items()}
        sym = _Sym(enc, tr.name, 0, Ctx(dict(cur), cur, z3_params, rigid={}, bps=start, old_bps=points))
        sym.block(tr.body, z3.BoolVal(True))
        base = list(sym.defs) + [enc.pick(tr.name, h.choice, h.domain, 0) == literal(picks[h.choice], h.domain)
                                 for h in havocs(tr.body)]
        assert _solver(base).check() == z3.sat, f"the step's definitions are contradictory ({label}){why}"
        assert agrees(base, z3.And(sym.guard), out.enabled), (
            f"the evaluator says the step is {'enabled' if out.enabled else 'disabled'}, the encoding "
            f"({label}) disagrees{why}")
        if out.enabled:
            bad = same_state(system, base, sym.ctx.cur, out.state)
            assert bad is None, f"the next state differs ({label}): the evaluator says {bad}{why}"
        sites: dict[str, list] = {}
        for site in sym.sites:
            sites.setdefault(site.prop, []).append(site)
        assert set(violated) <= set(sites), f"asserts the encoding does not have: {set(violated) - set(sites)}{why}"
        props = sorted(sites)
        fails = [z3.Or([z3.And(x.reach, z3.Not(expr(x.stmt.cond, x.ctx))) for x in sites[p]]) for p in props]
        bad = first_disagreement([(f, violated.get(p, False)) for f, p in zip(fails, props)], tuple(base))
        assert bad is None, (
            f"{props[bad]}: the evaluator says {'violated' if violated.get(props[bad]) else 'not violated'} by "
            f"this step, the encoding ({label}) disagrees{why}")
        queries = {p: z3.Or([z3.And(x.reach, violation(x.stmt.cond, x.ctx, f"{p}#{j}")[0])
                             for j, x in enumerate(sites[p])]) for p in props}  # witnesses for outer quantifiers
        clean = [p for p in props if not violated.get(p, False)]
        for group in ([clean] if clean else []) + [[p] for p in props if violated.get(p, False)]:
            s = _solver(base)
            s.add(z3.Or([queries[p] for p in group]))
            answer = s.check()
            want = group[0] in violated and violated[group[0]]
            if answer == (z3.sat if want else z3.unsat):
                continue
            wrong = group if want or answer == z3.unknown else [
                p for p in group if _solver(base + [queries[p]]).check() != z3.unsat]
            raise AssertionError(f"{wrong[0]}: the evaluator says {'violated' if want else 'not violated'}, the "
                                 f"violation query ({label}) is {answer}{why}")
    return "enabled" if out.enabled else "disabled"


def compare_initial(data: st.DataObject, system, text: str) -> None:  # type: ignore[no-untyped-def]
    """init(): the initial state the encoding defines, with the evaluator's choices (the
    processes' parameters, any unset scalar), is the evaluator's."""
    chosen: dict = {}

    def choose(s, env):  # type: ignore[no-untyped-def]
        chosen[s.choice] = (data.draw(st.sampled_from(in_domain_values(s.domain))), s.domain)
        return chosen[s.choice][0]

    start = initial(system, choose)
    enc = Encoding(system)
    base = [enc.init()] + [enc.init_picks[c] == literal(v, typ) for c, (v, typ) in chosen.items()]
    assert _solver(base).check() == z3.sat, f"init() is unsatisfiable for the evaluator's choices {chosen}\n{text}"
    bad = same_state(system, base, enc.state(0), start.state)
    assert bad is None, f"the initial state differs: the evaluator says {bad}, choices {chosen}\n{text}"


def waits(system, state: dict) -> tuple[dict, bool]:  # type: ignore[no-untyped-def]
    """Read from the evaluator alone: instance -> the instances it waits for (every run of
    its step stops at a blocking require, for the holders at that point), and whether
    anything at all can move."""
    owners = system.owners.members
    instances = [m for m in owners[1:-1]]
    locks = {lk.name: lk for lk in system.locks}
    graph: dict[str, set] = {}
    moves = False
    for tr in system.transitions:
        inst = tr.name.split(".", 1)[0]
        enabled, holders = False, set()
        for args in param_values(tr):
            for out in runs(tr, state, args):
                if out.enabled:
                    enabled = True
                elif out.blocked is not None and out.blocked.wait is not None:
                    holders |= holders_of(out.blocked.wait, out.state, locks, owners)
        moves = moves or enabled
        if inst in instances and not enabled and holders:
            graph.setdefault(inst, set()).update(h for h in holders if h in instances)
    return graph, moves


def holders_of(w, cur: dict, locks: dict, owners: tuple) -> set:  # type: ignore[no-untyped-def]
    from zcheck.spec.threads import read_counter

    def at(var: str):  # type: ignore[no-untyped-def]
        x = cur[var]
        return x.get(int(evaluate(w.index, Env(cur)))) if isinstance(x, PMap) else x

    if w.mode == "gp":  # the caller of synchronize_rcu waits for every reader it recorded
        waiter = w.var.split(".gp[", 1)[0]
        return {v.split(".gp[", 1)[1][:-1] for v, on in cur.items() if v.startswith(f"{waiter}.gp[") and on}
    out = set()
    holder = at(w.var)
    if 0 < holder < len(owners):
        out.add(owners[holder])
    if w.mode == "write":
        out |= {o for o in locks[w.var].readers if at(read_counter(w.var, o)) > 0}
    return out


def cyclic(graph: dict) -> bool:
    def reach(a: str, seen: set) -> bool:
        for b in graph.get(a, ()):
            if b == start:
                return True
            if b not in seen:
                seen.add(b)
                if reach(b, seen):
                    return True
        return False

    for start in graph:
        if reach(start, set()):
            return True
    return False


def compare_waits(system, state: dict, text: str) -> None:  # type: ignore[no-untyped-def]
    """The `deadlock` and `stuck` predicates (implicit_props) on `state` agree with
    running every step and action on the evaluator."""
    props = {p.name: p for p in system.properties}
    if "deadlock" not in props and "stuck" not in props:
        return
    try:
        graph, moves = waits(system, state)
    except Unbounded:
        return
    running = any(int(state[f"{m}.pc"]) < len(system.var(f"{m}.pc").type.members) - 2
                  for m in system.owners.members[1:-1])
    why = f"\nstate: {state}\nwait-for: {graph}\n--- model ---\n{text}"
    if "stuck" in props:
        want = not (running and not moves)
        assert evaluate(props["stuck"].expr, Env(state)) == want, f"`stuck` predicate says {not want}{why}"
    if "deadlock" in props:
        want = not cyclic(graph)
        assert evaluate(props["deadlock"].expr, Env(state)) == want, f"`deadlock` predicate says {not want}{why}"


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(max_examples=LOCK_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.data())
def test_evaluator_and_encoding_agree_on_lock_models(data: st.DataObject) -> None:
    """Lock models: expressions and queries on random and on walked states, every step of
    every transition (random parameters and picks, in and out of their domains), the
    initial state, and the `deadlock`/`stuck` predicates."""
    text = render(data.draw(models(max_vars=3, max_actions=2, procs=True, locks=True, targets=False)))
    system = build("<model>", text=text)
    state = data.draw(states(system)) if data.draw(st.booleans()) else walked_state(data, system)
    compared = compare_expressions(data, system, state, text)
    event(f"compared {min(compared, 100) // 25 * 25}+ expressions")
    compare_queries(system, state, text)
    compare_initial(data, system, text)
    compare_waits(system, state, text)
    for tr in system.transitions:
        params = {name: data.draw(scalar_values(typ)) for name, typ in tr.params}
        picks = {h.choice: data.draw(pick_values(h.domain)) for h in havocs(tr.body)}
        event(compare_step(system, tr, state, params, picks, text))
