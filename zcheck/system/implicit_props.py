"""System: the implicit concurrency properties `deadlock` and `stuck` as state predicates.

Input: the lowered transitions of a model with processes and locks. Output: `Property`
objects whose `expr` holds in a state iff no deadlock (no wait-for cycle) / the state is
not stuck. Both need, for each transition, its enabling condition and what its blocking
lock requires wait for, as expressions over the current state: a symbolic run of the
body (`_Run`) substitutes each variable's value at the point of the require. Bodies that
write a map or pick a value before a require it depends on cannot be expressed that way;
the property is then left out with a warning in its description (never approximated).

- `deadlock`: some set of instances each waits at a blocking lock statement for a lock
  held by the next (or, for a `synchronize_rcu` caller, for a reader still in the read
  section it waits out). Cycles are enumerated on the static graph of who can wait for
  whom (`simple_cycles`), each cycle a conjunction of its edges.
- `stuck`: some instance is neither done nor crashed, and no step of any instance and no
  global action is enabled (SPIN's invalid end state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zcheck.spec import typed as t
from zcheck.spec.checked import CheckedSpec
from zcheck.spec.ops import Op
from zcheck.spec.threads import read_counter
from zcheck.spec.typecheck import substitute
from zcheck.spec.types import BOOL, INT, BoolT, EnumT, MapT, RangeT
from zcheck.system.ir import Property, Transition
from zcheck.system.threads import Threads, gp_var

DEADLOCK, STUCK = "deadlock", "stuck"
SCENARIO_POS = "scenario.pos"
MAX_CYCLES = 4096


class Unsupported(Exception):
    """The body's guard cannot be written as a state predicate (see the module docstring)."""


@dataclass(frozen=True)
class Wait:
    cond: t.TExpr  # the run reaches this require with everything before it enabled
    var: str  # lock variable, or a grace-period flag ("gp")
    index: t.TExpr | None
    mode: str  # "lock" | "read" | "write" | "gp"
    at: dict[str, t.TExpr] = field(default_factory=dict, compare=False)  # values assigned before the wait


@dataclass
class _Run:
    env: dict[str, t.TExpr] = field(default_factory=dict)
    locals: dict[str, t.TExpr] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    guard: list[t.TExpr] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    grace: list[t.TExpr] = field(default_factory=list)  # the guards of grace-period waits (in `guard` too)

    def sub(self, e: t.TExpr) -> t.TExpr:
        def fn(n: t.TExpr) -> t.TExpr | None:
            if isinstance(n, t.Var):
                if n.name in self.dirty:
                    raise Unsupported(n.name)
                return self.env.get(n.name)
            if isinstance(n, t.Old):
                return t.Var(n.name, n.type, n.span)
            if isinstance(n, t.Local):
                if n.name not in self.locals:
                    raise Unsupported(n.name)
                return self.locals[n.name]
            return None

        return substitute(e, fn)

    def copy(self) -> "_Run":
        """A branch: the same values and guard so far, its own waits."""
        return _Run(dict(self.env), dict(self.locals), set(self.dirty), list(self.guard), [], list(self.grace))


def _fold(op: Op, parts: list[t.TExpr]) -> t.TExpr:
    """`and`/`or` of the parts; the operator's unit is dropped, its zero absorbs."""
    unit = op is Op.AND
    kept = [p for p in parts if not (isinstance(p, t.Lit) and p.value is unit)]
    if any(isinstance(p, t.Lit) and p.value is (not unit) for p in kept):
        return t.Lit(not unit, BOOL)
    if not kept:
        return t.Lit(unit, BOOL)
    out = kept[0]
    for p in kept[1:]:
        out = t.Binop(op, out, p, BOOL)
    return out


def _and(parts: list[t.TExpr]) -> t.TExpr:
    return _fold(Op.AND, parts)


def _or(parts: list[t.TExpr]) -> t.TExpr:
    return _fold(Op.OR, parts)


def _not(e: t.TExpr) -> t.TExpr:
    return t.Unop(Op.NOT, e, BOOL)


def analyse(body: tuple[t.TStmt, ...]) -> tuple[t.TExpr, list[Wait]]:
    """(enabled, waits) of a body, over the current state and the transition's params."""
    run = _Run()
    _block(run, body, t.Lit(True, BOOL))
    return _and(run.guard), run.waits


def _block(run: _Run, body: tuple[t.TStmt, ...], path: t.TExpr) -> None:
    after_scenario = False
    for s in body:
        if after_scenario and isinstance(s, t.SRequire):  # the scenario's move: not the model's
            after_scenario = False
            continue
        after_scenario = isinstance(s, t.SHavoc) and s.var == SCENARIO_POS
        _stmt(run, s, path)


def _stmt(run: _Run, s: t.TStmt, path: t.TExpr) -> None:
    match s:
        case t.SAssign(var=v, value=x):
            try:
                run.env[v] = run.sub(x)
            except Unsupported:  # unknown here; only a later require that reads it is a problem
                run.env.pop(v, None)
                run.dirty.add(v)
        case t.SStore(var=v) | t.SFill(var=v):
            run.dirty.add(v)
        case t.SHavoc(var=v) if v == SCENARIO_POS:  # a scenario's bookkeeping, not the model's
            pass
        case t.SHavoc(var=v, local=local, lo=lo, hi=hi):
            if lo is not None and hi is not None:  # `any in lo .. hi` has no value when hi <= lo: the body stops
                run.guard.append(t.Binop(Op.IMPLIES, path, t.Binop(Op.LT, run.sub(lo), run.sub(hi), BOOL), BOOL))
            if local:
                run.locals.pop(v, None)  # a later read of the pick is unsupported
            else:
                run.dirty.add(v)
        case t.SLet(name=n, value=x):
            try:
                run.locals[n] = run.sub(x)
            except Unsupported:
                run.locals.pop(n, None)
        case t.SRequire(cond=c, wait=w):
            before = _and(run.guard)
            if w is not None and w.mode == "gp":  # waits for every reader it recorded, not for the first one only
                before = _and([g for g in run.guard if not any(g is x for x in run.grace)])
            if w is not None:
                index = None if w.index is None else run.sub(w.index)
                reach = t.Binop(Op.AND, path, before, BOOL) if not isinstance(before, t.Lit) else path
                run.waits.append(Wait(reach, w.var, index, w.mode, dict(run.env)))
            run.guard.append(t.Binop(Op.IMPLIES, path, run.sub(c), BOOL))
            if w is not None and w.mode == "gp":
                run.grace.append(run.guard[-1])
        case t.SAssert():
            pass
        case t.SIf(cond=c, then=a, else_=b):
            try:
                cond = run.sub(c)
            except Unsupported:
                if any(isinstance(x, t.SRequire) for x in t.walk_stmts(a + b)):
                    raise
                run.dirty |= {x.var for x in t.walk_stmts(a + b) if isinstance(x, (t.SAssign, t.SStore, t.SFill))
                              or (isinstance(x, t.SHavoc) and not x.local)}
                return
            base = len(run.guard)
            left, right = run.copy(), run.copy()
            _block(left, a, t.Binop(Op.AND, path, cond, BOOL))
            _block(right, b, t.Binop(Op.AND, path, _not(cond), BOOL))
            run.guard += left.guard[base:] + right.guard[base:]
            run.waits += left.waits + right.waits
            for name in sorted(set(left.env) | set(right.env)):
                lx, rx = left.env.get(name), right.env.get(name)
                either = lx or rx
                assert either is not None  # `name` is set in one branch at least
                typ = either.type
                x = lx if lx is not None else run.env.get(name, t.Var(name, typ))
                y = rx if rx is not None else run.env.get(name, t.Var(name, typ))
                run.env[name] = x if x == y else t.Ite(cond, x, y, typ)
            run.locals.update({k: v for k, v in left.locals.items() if right.locals.get(k) == v})
            run.dirty |= left.dirty | right.dirty
        case _:
            raise AssertionError(f"not lowered: {s}")


# ---------------------------------------------------------------- the properties


def concurrency(cs: CheckedSpec, th: Threads, transitions: tuple[Transition, ...]
                ) -> tuple[tuple[Property, ...], tuple[tuple[str, str], ...]]:
    """`deadlock` and `stuck` for a model with processes and locks (else nothing), and
    for each that cannot be expressed, why (it is then not a property at all: a
    predicate-less property would be vacuously proved)."""
    if not cs.processes or not (cs.locks or th.rcu_waiters):
        return (), ()
    span = cs.processes[0].span
    instances = [f"{p.name}[{i}]" for p in cs.processes for i in range(p.count)]
    analysed: dict[str, tuple[t.TExpr, list[Wait]] | str] = {}
    for tr in transitions:
        try:
            analysed[tr.name] = analyse(tr.body)
        except Unsupported as exc:
            analysed[tr.name] = f"`{tr.name}` reads `{exc}` in a require after writing or picking it"
    out = [_deadlock(th, cs, instances, transitions, analysed, span), _stuck(cs, transitions, analysed, span)]
    props = tuple(p for p in out if p.expr is not None)
    notes = tuple((p.name, p.description) for p in out if p.expr is None)
    return props, notes


def _instance(tr: Transition, instances: list[str]) -> str | None:
    head = tr.name.split(".", 1)[0]
    return head if head in instances else None


def _deadlock(th: Threads, cs: CheckedSpec, instances: list[str], transitions: tuple[Transition, ...],
              analysed: dict, span: object) -> Property:  # type: ignore[type-arg]
    edges: dict[tuple[str, str], list[t.TExpr]] = {}
    problems = [a for a in analysed.values() if isinstance(a, str)]
    for tr in transitions:
        me = _instance(tr, instances)
        got = analysed[tr.name]
        if me is None or isinstance(got, str):
            continue
        for w in got[1]:
            for other in instances:
                held = _held(th, w, other)
                if held is not None:
                    edges.setdefault((me, other), []).append(t.Binop(Op.AND, w.cond, held, BOOL))
    if problems:
        return Property(DEADLOCK, "implicit", None, span, problems[0])  # type: ignore[arg-type]
    cycles = simple_cycles(instances, set(edges), MAX_CYCLES + 1)
    if len(cycles) > MAX_CYCLES:
        return Property(DEADLOCK, "implicit", None, span,  # type: ignore[arg-type]
                        f"more than {MAX_CYCLES} possible wait-for cycles")
    order = {x: i for i, x in enumerate(instances)}
    cycles = sorted(cycles, key=lambda c: (len(c), [order[x] for x in c]))
    bad = _or([_and([_or(edges[(c[i], c[(i + 1) % len(c)])]) for i in range(len(c))]) for c in cycles])
    return Property(DEADLOCK, "implicit", _not(bad), span,  # type: ignore[arg-type]
                    "no set of instances waits for locks held by each other in a cycle")


def _held(th: Threads, w: Wait, other: str) -> t.TExpr | None:
    """`other` holds what wait `w` needs (None: it cannot). The lock's value is the one
    at the wait (`w.at`); `w.index` is already over the state before the body, so only
    the lock and reader-count variables are replaced, never the index's own variables
    (replacing those again applied the body's earlier assignments twice)."""
    if w.mode == "gp":
        return t.Var(w.var, BOOL) if w.var.endswith(f"[{other}]") else None
    info = th.locks[w.var]
    own = th.own(other)

    def at(name: str, typ: object) -> t.TExpr:
        return w.at.get(name, t.Var(name, typ))  # type: ignore[arg-type]

    if info.count is None:
        holder: t.TExpr = at(info.name, th.owners)
    else:
        assert w.index is not None
        holder = t.Read(at(info.name, MapT(INT, th.owners)), w.index, th.owners)
    cond: t.TExpr = t.Binop(Op.EQ, holder, own, BOOL)
    if w.mode == "write" and other in info.readers:
        name = read_counter(info.name, other)
        count = (at(name, INT) if info.count is None
                 else t.Read(at(name, MapT(INT, INT)), w.index, INT))  # type: ignore[arg-type]
        cond = t.Binop(Op.OR, cond, t.Binop(Op.GT, count, t.Lit(0, INT), BOOL), BOOL)
    return cond


def some_params(tr: Transition, guard: t.TExpr) -> t.TExpr:
    """`guard` (over the state and `tr`'s params) for some values of the params."""
    for name, typ in reversed(tr.params):
        if not isinstance(typ, (BoolT, EnumT, RangeT)):
            raise Unsupported(f"action `{tr.name}` has a parameter of unbounded type")
        bound = t.Bound(f"{tr.name}.{name}#en", typ)
        guard = substitute(guard, lambda n: bound if isinstance(n, t.Param) and n.name == name else None)
        guard = t.Quant("exists", bound.name, typ, guard, BOOL)
    return guard


def enabled(tr: Transition) -> t.TExpr:
    """When `tr` can be taken, as a predicate over the current state (raises Unsupported
    for a body whose requires read a value it wrote to a map or picked before)."""
    try:
        guard, _ = analyse(tr.body)
    except Unsupported as exc:
        raise Unsupported(f"`{tr.name}` reads `{exc}` in a require after writing or picking it") from None
    return some_params(tr, guard)


def _stuck(cs: CheckedSpec, transitions: tuple[Transition, ...], analysed: dict, span: object) -> Property:  # type: ignore[type-arg]
    problems = [a for a in analysed.values() if isinstance(a, str)]
    if problems:
        return Property(STUCK, "implicit", None, span, problems[0])  # type: ignore[arg-type]
    enabled: list[t.TExpr] = []
    for tr in transitions:
        try:
            enabled.append(some_params(tr, analysed[tr.name][0]))
        except Unsupported as exc:
            return Property(STUCK, "implicit", None, span, str(exc))  # type: ignore[arg-type]
    running: list[t.TExpr] = []
    for p in cs.processes:
        done = len(p.steps)
        for i in range(p.count):
            pc = t.Var(f"{p.name}[{i}].pc", INT)
            running.append(t.Binop(Op.LT, pc, t.Lit(done, INT), BOOL))
    stuck = t.Binop(Op.AND, _or(running), _not(_or(enabled)), BOOL)
    return Property(STUCK, "implicit", _not(stuck), span,  # type: ignore[arg-type]
                    "some instance can still move, or every instance is done or crashed")


# ---------------------------------------------------------------- explaining a violation


def waits_in(system: "System", state: dict, rigid: dict) -> list[tuple[str, str, str]]:  # type: ignore[name-defined,type-arg]
    """(waiter, what it waits for, holder) in a concrete state: who is blocked by whom."""
    from zcheck.system.evaluate import Env, EvalError, evaluate

    if system.owners is None:
        return []
    th = Threads(system.owners, {lk.name: lk for lk in system.locks})
    instances = [m for m in system.owners.members[1:-1]]
    env = Env(state, rigid=rigid)
    out: list[tuple[str, str, str]] = []
    for tr in system.transitions:
        me = _instance(tr, instances)
        if me is None:
            continue
        try:
            _, waits = analyse(tr.body)
        except Unsupported:
            continue
        for w in waits:
            try:
                if not evaluate(w.cond, env):
                    continue
                what = w.var if w.index is None else f"{w.var}[{evaluate(w.index, env)}]"
                if w.mode == "gp":
                    what = "a grace period (synchronize_rcu)"
                elif w.mode != "lock":
                    what = f"{what} ({w.mode})"
                for other in instances:
                    held = _held(th, w, other)
                    if held is not None and evaluate(held, env):
                        row = (me, what, other)
                        if row not in out:
                            out.append(row)
            except EvalError:
                continue
    return out


def simple_cycles(nodes: list[str], edges: set[tuple[str, str]], limit: int) -> list[list[str]]:
    """The elementary cycles of the graph (at most `limit`), each once, starting at its
    first node in `nodes` order: a depth-first search from each node through later
    nodes only. Deterministic by construction (no set order reaches the result), and
    wait-for graphs have a handful of nodes; networkx cost every `zcheck` command with
    processes 0.2 s and 13 MB at start-up for this."""
    order = {x: i for i, x in enumerate(nodes)}
    succ = {x: sorted((b for a, b in edges if a == x), key=order.__getitem__) for x in nodes}
    out: list[list[str]] = []
    for start in nodes:
        path, stack = [start], [iter(succ[start])]
        while stack and len(out) < limit:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
            elif nxt == start:
                out.append(list(path))
            elif order[nxt] > order[start] and nxt not in path:
                path.append(nxt)
                stack.append(iter(succ[nxt]))
    return out


def cycle_text(rows: list[tuple[str, str, str]]) -> str:
    """The first wait-for cycle among `rows`, as `a waits for L held by b; ...`."""
    order: dict[str, int] = {}
    what: dict[tuple[str, str], str] = {}
    for a, w, b in rows:
        what[(a, b)] = w  # the last label of an edge, as before
        order.setdefault(a, len(order))
        order.setdefault(b, len(order))
    cycles = simple_cycles(list(order), set(what), MAX_CYCLES)
    for c in sorted(cycles, key=lambda c: (len(c), [order[x] for x in c])):
        parts = [f"{c[i]} waits for {what[c[i], c[(i + 1) % len(c)]]} held by {c[(i + 1) % len(c)]}"
                 for i in range(len(c))]
        return "; ".join(parts)
    return "; ".join(f"{a} waits for {w} held by {b}" for a, w, b in rows)


__all__ = ["concurrency", "analyse", "DEADLOCK", "STUCK", "gp_var"]
