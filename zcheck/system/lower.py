"""System: lowering a `CheckedSpec` to a `System` (the IR).

- actions become transitions; each process instance's steps become transitions
  guarded by a program counter `P[i].pc` (steps numbered from 0; `done` = #steps);
- process parameters become per-instance state variables chosen in the initial state;
  locals become per-instance state variables;
- `acquire L` / `release L` become a guard and an ownership check on `L` (0 = free,
  otherwise the owner's id);
- implicit properties are inserted as `SAssert` sites: `no_div_by_zero` (definedness,
  with short-circuit), `X.range@LINE` (stores into range types), `transitions(V)`
  (lifecycle edges), `lock(L)` (release by the owner);
- a scenario becomes a hidden position variable and a guard on every transition.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from zcheck.spec import ast, ops
from zcheck.spec import typed as t
from zcheck.spec.checked import CheckedSpec, ProcessInfo, TransitionsInfo
from zcheck.spec.ops import Op
from zcheck.spec.threads import ENV
from zcheck.spec.typecheck import substitute
from zcheck.spec.types import BOOL, INT, BvT, EnumT, MapT, RangeT, Type
from zcheck.system import implicit_props, threads
from zcheck.system.ir import Fairness, Property, StateVar, System, Temporal, Transition

DIV0 = "no_div_by_zero"


class LoweringError(Exception):
    """A scenario or option that cannot be lowered (reported as a diagnostic by the caller)."""


def lower(cs: CheckedSpec, scenario: str | None = None) -> System:
    th = threads.Threads.of(cs)
    vars_: list[StateVar] = [StateVar(v.name, v.type, v.init, v.span) for v in cs.vars]
    vars_ += th.state_vars()
    transitions: list[Transition] = []
    for a in cs.actions:
        body = threads.close(a.body, threads.Ends(None, {}), th, ENV)
        body = threads.lower_ops(body, th, ENV, a.name)
        body = _with_domains(a.params, body, a.span)
        transitions.append(Transition(a.name, a.name, a.params, body, a.span))
    for p in cs.processes:
        pv, pt = _instantiate(p, th)
        vars_.extend(pv)
        transitions.extend(pt)
    types = {v.name: (INT if v.exact_domain else v.type) for v in vars_}
    transitions = [_add_lifecycle_checks(tr, cs.transitions, types) for tr in transitions]
    # a range check is named after its line's step, whichever copy of a procedure runs it
    transitions = [dataclasses.replace(tr, body=_implicit(tr.body, tr.name.split("#", 1)[0], types))
                   for tr in transitions]
    init = _implicit(cs.init, "init", types)
    props = _properties(cs, transitions, init)
    extra, notes = implicit_props.concurrency(cs, th, tuple(transitions))
    props += extra
    sys = System(
        model=cs.model, main_file=cs.main_file, sources=cs.sources, header=cs.header,
        consts=cs.consts, rigid=tuple((c.name, c.type) for c in cs.consts if c.value is None),
        vars=tuple(vars_), assumes=cs.assumes, init=init, transitions=tuple(transitions),
        properties=props, enums=cs.enums, lifecycles=cs.transitions,
        lock_owners=tuple((lk.name, th.owners.members) for lk in cs.locks), notes=notes,
        locks=cs.locks, owners=th.owners, warnings=cs.warnings,
    )
    if scenario is not None:
        sys = _restrict(sys, cs, scenario)
    return _checkable_liveness(dataclasses.replace(sys, fairness=_fairness(cs, sys.transitions)))


def _checkable_liveness(sys: System) -> System:
    """A liveness property that cannot be checked is left out, with why (as `deadlock`):
    a predicate-less property would be vacuously proved."""
    from zcheck.system.liveness import unsupported

    live = [p for p in sys.properties if p.temporal is not None]
    why = unsupported(sys) if live else None
    if why is None:
        return sys
    kept = tuple(p for p in sys.properties if p.temporal is None)
    return dataclasses.replace(sys, properties=kept, notes=sys.notes + tuple((p.name, why) for p in live))


def _fairness(cs: CheckedSpec, transitions: tuple[Transition, ...]) -> tuple[Fairness, ...]:
    """One group per fair action (its name is its transition's) and one per instance
    of a fair process (the instance's steps: transitions named `P[i].…`)."""
    names = [tr.name for tr in transitions]
    out = [Fairness(a.fair, a.name, tuple(n for n in names if n == a.name), a.span)
           for a in cs.actions if a.fair is not None]
    for p in cs.processes:
        if p.fair is not None:
            out += [Fairness(p.fair, f"{p.name}[{i}]", tuple(n for n in names if n.startswith(f"{p.name}[{i}].")), p.span)
                    for i in range(p.count)]
    return tuple(out)


# ---------------------------------------------------------------- processes and locks


def _rename(e: t.TExpr, prefix: str, inst: str, index: int) -> t.TExpr:
    """Instance `index` of a process body: `P[].x` becomes `P[index].x`, `self` its index."""
    this = prefix + "#self"

    def fn(node: t.TExpr) -> t.TExpr | None:
        if isinstance(node, t.Var) and node.name == this:
            return t.Lit(index, INT, node.span)
        if isinstance(node, (t.Var, t.Old)) and node.name.startswith(prefix):
            return dataclasses.replace(node, name=inst + node.name[len(prefix):])
        return None

    return substitute(e, fn)


def _rename_stmts(body: tuple[t.TStmt, ...], prefix: str, inst: str, index: int) -> tuple[t.TStmt, ...]:
    return tuple(_map_stmt(s, lambda e: _rename(e, prefix, inst, index), prefix, inst) for s in body)


def _map_stmt(s: t.TStmt, f: Callable[[t.TExpr], t.TExpr], prefix: str = "", inst: str = "") -> t.TStmt:
    """Apply expression map `f` to every expression of a statement (and rename targets)."""
    def tgt(name: str) -> str:
        return inst + name[len(prefix):] if prefix and name.startswith(prefix) else name

    match s:
        case t.SAssign(var=v, value=x):
            return dataclasses.replace(s, var=tgt(v), value=f(x))
        case t.SStore(var=v, index=i, value=x):
            return dataclasses.replace(s, var=tgt(v), index=f(i), value=f(x))
        case t.SFill(var=v, lo=lo, hi=hi, value=x):
            return dataclasses.replace(s, var=tgt(v), lo=f(lo), hi=f(hi), value=f(x))
        case t.SHavoc(var=v, index=i, lo=lo, hi=hi):
            return dataclasses.replace(
                s, var=tgt(v), index=None if i is None else f(i),
                lo=None if lo is None else f(lo), hi=None if hi is None else f(hi))
        case t.SIf(cond=c, then=a, else_=b):
            return dataclasses.replace(
                s, cond=f(c),
                then=tuple(_map_stmt(x, f, prefix, inst) for x in a),
                else_=tuple(_map_stmt(x, f, prefix, inst) for x in b))
        case t.SLet(value=x):
            return dataclasses.replace(s, value=f(x))
        case t.SRequire(cond=c):
            return dataclasses.replace(s, cond=f(c))
        case t.SAssert(cond=c):
            return dataclasses.replace(s, cond=f(c))
        case t.SLock(index=i):
            return dataclasses.replace(s, index=None if i is None else f(i))
        case t.STry(index=i):
            return dataclasses.replace(s, index=None if i is None else f(i))
        case t.SBugOn(cond=c):
            return dataclasses.replace(s, cond=f(c))
        case t.SGoto() | t.SDone() | t.SRcu():
            return s


def _instantiate(p: ProcessInfo, th: threads.Threads) -> tuple[list[StateVar], list[Transition]]:
    prefix = f"{p.name}[]."
    done = len(p.steps)
    targets = {f"#{i}": i for i in range(done)} | {"done": done, "crashed": done + 1}
    vars_: list[StateVar] = []
    trans: list[Transition] = []
    for i in range(p.count):
        inst = f"{p.name}[{i}]."
        me = f"{p.name}[{i}]"
        pc = f"{p.name}[{i}].pc"
        vars_.append(StateVar(pc, threads.pc_type(p), t.Lit(0, INT), p.span, exact_domain=True))
        for name, ptype in p.params:
            vars_.append(StateVar(inst + name[len(prefix):], ptype, None, p.span))
        for v in p.locals:
            init = None if v.init is None else _rename(v.init, prefix, inst, i)
            hidden = v.name.endswith(".#goto")  # bookkeeping of a procedure's gotos (declcheck)
            vars_.append(StateVar(inst + v.name[len(prefix):], v.type, init, v.span, hidden=hidden))
        ends = threads.Ends(pc, targets)
        labels = threads.pc_type(p).members  # unique: a procedure called twice has `label#2` steps
        for idx, step in enumerate(p.steps):
            nxt = idx + 1 if idx + 1 < done else (0 if p.loop else done)
            pc_var = t.Var(pc, INT, step.span)
            head: list[t.TStmt] = [
                t.SRequire(t.Binop(Op.EQ, pc_var, t.Lit(idx, INT), BOOL, step.span), step.span),
                *threads.rcu_guard(th, me),
            ]
            # the pc stays at the step while its body runs (`at(self, step)` holds there);
            # a path that does not end by goto/done/bug_on moves it on at the end
            advance = t.SAssign(pc, t.Lit(nxt, INT), step.span)
            body = _rename_stmts(step.body, prefix, inst, i) + (advance,)
            body = threads.close(body, dataclasses.replace(ends, targets=targets | {"next": nxt}), th, me)
            body = threads.lower_ops(body, th, me, f"{me}.{step.label}")
            trans.append(Transition(f"{me}.{labels[idx]}", f"{p.name}.{step.label}", (),
                                    tuple(head) + body, step.span))
    return vars_, trans


def _with_domains(params: tuple[tuple[str, Type], ...], body: tuple[t.TStmt, ...], span: object) -> tuple[t.TStmt, ...]:
    """Parameters of range and enum types are restricted to their values."""
    reqs: list[t.TStmt] = []
    for name, ptype in params:
        dom = domain_of(t.Param(name, ptype), ptype)
        if dom is not None:
            reqs.append(t.SRequire(dom))
    return tuple(reqs) + body


def domain_of(x: t.TExpr, typ: Type) -> t.TExpr | None:
    if isinstance(typ, RangeT):
        lo, hi = t.Lit(typ.lo, INT), t.Lit(typ.hi, INT)
    elif isinstance(typ, EnumT):
        lo, hi = t.Lit(0, INT), t.Lit(len(typ.members), INT)
    else:
        return None
    return t.Binop(Op.AND, t.Binop(Op.LE, lo, x, BOOL), t.Binop(Op.LT, x, hi, BOOL), BOOL)


# ---------------------------------------------------------------- lifecycles


def _add_lifecycle_checks(tr: Transition, blocks: tuple[TransitionsInfo, ...], types: dict[str, Type]) -> Transition:
    extra: list[t.TStmt] = []
    for b in blocks:
        if _writes_var(tr.body, b.var):
            extra.append(t.SAssert(f"transitions({b.var})", _edge_check(b, types[b.var], tr.writer), tr.span))
    return dataclasses.replace(tr, body=tr.body + tuple(extra)) if extra else tr


def _writes_var(body: tuple[t.TStmt, ...], var: str) -> bool:
    return any(isinstance(s, (t.SAssign, t.SStore, t.SFill, t.SHavoc)) and s.var == var and not getattr(s, "local", False)
               for s in t.walk_stmts(body))


def _edge_check(b: TransitionsInfo, var_type: Type, writer: str) -> t.TExpr:
    """forall k :: old[k] != new[k] -> (old[k], new[k]) is an edge `writer` may take."""
    vt = b.value_type
    allowed = [(src, dst) for src, dst, ws in b.edges if writer in ws]

    def ok(old: t.TExpr, new: t.TExpr) -> t.TExpr:
        result: t.TExpr = t.Lit(False, BOOL)
        for src, dst in allowed:
            pair = t.Binop(Op.AND, t.Binop(Op.EQ, old, t.Lit(src, vt), BOOL), t.Binop(Op.EQ, new, t.Lit(dst, vt), BOOL), BOOL)
            result = pair if isinstance(result, t.Lit) else t.Binop(Op.OR, result, pair, BOOL)
        return result

    if isinstance(var_type, MapT):
        key = t.Bound(f"key#{b.var}", var_type.key)
        old = t.Read(t.Old(b.var, var_type), key, vt)
        new = t.Read(t.Var(b.var, var_type), key, vt)
        body = t.Binop(Op.IMPLIES, t.Binop(Op.NE, old, new, BOOL), ok(old, new), BOOL)
        return t.Quant("forall", key.name, var_type.key, body, BOOL)
    old_s, new_s = t.Old(b.var, var_type), t.Var(b.var, var_type)
    return t.Binop(Op.IMPLIES, t.Binop(Op.NE, old_s, new_s, BOOL), ok(old_s, new_s), BOOL)


# ---------------------------------------------------------------- implicit checks


def definedness(e: t.TExpr) -> t.TExpr | None:
    """D(e): the condition under which evaluating `e` divides by no zero (None = always)."""
    match e:
        case t.Binop(op=op, left=a, right=b):
            return _binop_definedness(e, ops.OPS[op], a, b)
        case t.Ite(cond=c, then=a, else_=b):
            dc, da, db = definedness(c), definedness(a), definedness(b)
            return _conj(dc, _conj(_guarded(c, da), _guarded(t.Unop(Op.NOT, c, BOOL), db)))
        case t.Quant(var=var, var_type=vt, body=body):
            db = definedness(body)
            return None if db is None else t.Quant("forall", var, vt, db, BOOL, e.span)
        case _:  # every sub-expression is evaluated
            d: t.TExpr | None = None
            for kid in t.children(e):
                d = _conj(d, definedness(kid))
            return d


def _binop_definedness(e: t.Binop, info: ops.OpInfo, a: t.TExpr, b: t.TExpr) -> t.TExpr | None:
    da, db = definedness(a), definedness(b)
    if info.lazy is not None:  # `b` is evaluated only when `a` has the value `lazy`
        return _conj(da, _guarded(a if info.lazy else t.Unop(Op.NOT, a, BOOL), db))
    d = _conj(da, db)
    if info.divides and not (isinstance(b, t.Lit) and int(b.value) != 0):
        zero = t.Lit(0, b.type if isinstance(b.type, BvT) else INT)
        d = _conj(d, t.Binop(Op.NE, b, zero, BOOL, e.span))
    return d


def _conj(a: t.TExpr | None, b: t.TExpr | None) -> t.TExpr | None:
    if a is None:
        return b
    if b is None:
        return a
    return t.Binop(Op.AND, a, b, BOOL)


def _guarded(c: t.TExpr, d: t.TExpr | None) -> t.TExpr | None:
    return None if d is None else t.Binop(Op.IMPLIES, c, d, BOOL)


def _implicit(body: tuple[t.TStmt, ...], where: str, types: dict[str, Type]) -> tuple[t.TStmt, ...]:
    out: list[t.TStmt] = []
    for s in body:
        d: t.TExpr | None = None
        for x in t.stmt_exprs(s):
            d = _conj(d, definedness(x))
        if d is not None:
            out.append(t.SAssert(DIV0, d, s.span))
        if isinstance(s, t.SIf):
            s = dataclasses.replace(s, then=_implicit(s.then, where, types), else_=_implicit(s.else_, where, types))
        out.append(s)
        check = _range_check(s, types)
        if check is not None:
            out.append(t.SAssert(f"{where}.range@{s.span.line}", check, s.span))
    return tuple(out)


def _range_check(s: t.TStmt, types: dict[str, Type]) -> t.TExpr | None:
    """After a store into a range type: the stored value is in range (None: nothing to check)."""
    if not isinstance(s, (t.SAssign, t.SStore, t.SFill, t.SHavoc)) or (isinstance(s, t.SHavoc) and s.local):
        return None
    vtype = types[s.var]
    elem = vtype.value if isinstance(vtype, MapT) else vtype
    if not isinstance(elem, RangeT):
        return None
    match s:
        case t.SAssign() | t.SHavoc(index=None):
            return domain_of(t.Var(s.var, vtype, s.span), elem)
        case t.SStore(index=i) | t.SHavoc(index=i) if i is not None:
            return domain_of(t.Read(t.Var(s.var, vtype, s.span), i, elem), elem)
        case t.SFill(lo=lo, hi=hi, value=x):
            ok = domain_of(x, elem)
            assert ok is not None
            return t.Binop(Op.IMPLIES, t.Binop(Op.LT, lo, hi, BOOL), ok, BOOL)
    return None


# ---------------------------------------------------------------- properties


def _assert_names(body: tuple[t.TStmt, ...], out: dict[str, t.SAssert]) -> None:
    for s in t.walk_stmts(body):
        if isinstance(s, t.SAssert):
            out.setdefault(s.prop, s)


def _properties(cs: CheckedSpec, transitions: list[Transition], init: tuple[t.TStmt, ...]) -> tuple[Property, ...]:
    props: list[Property] = []
    state_div: t.TExpr | None = None
    for p in cs.properties:
        if p.op is None:
            props.append(Property(p.name, p.kind, p.expr, p.span))
        else:
            props.append(Property(p.name, "liveness", None, p.span, temporal=Temporal(p.op, p.expr, p.goal)))
            state_div = _conj(state_div, None if p.goal is None else definedness(p.goal))
        state_div = _conj(state_div, definedness(p.expr))
    sites: dict[str, t.SAssert] = {}
    _assert_names(init, sites)
    for tr in transitions:
        _assert_names(tr.body, sites)
    blocks = {f"transitions({b.var})": b for b in cs.transitions}
    for name, site in sites.items():
        if name == DIV0:
            continue
        implicit = "(" in name or ".range@" in name or name == threads.LOCKDEP
        kind = "implicit" if implicit else "assert"
        if name in blocks:
            b = blocks[name]
            props.append(Property(name, kind, None, b.span, f"every change of `{b.var}` is a listed edge"))
        elif name == threads.LOCKDEP:
            props.append(Property(name, kind, None, site.span, "no lock-class order inversion (lockdep)"))
        else:
            props.append(Property(name, kind, None, site.span))
    if state_div is not None or DIV0 in sites:
        span = sites[DIV0].span if DIV0 in sites else props[0].span
        props.append(Property(DIV0, "implicit", state_div, span, "no division or remainder by zero"))
    return tuple(props)


# ---------------------------------------------------------------- scenarios


def _restrict(sys: System, cs: CheckedSpec, name: str) -> System:
    decl = next((s for s in cs.scenarios if s.name == name), None)
    if decl is None:
        raise LoweringError(f"no scenario named `{name}`")
    items = decl.items
    pos = "scenario.pos"
    n = len(items)
    new_trans = []
    for tr in sys.transitions:
        moves: t.TExpr | None = None
        for src in range(n + 1):
            for dst, matched in _moves(items, src, tr):
                cond = t.Binop(Op.AND, t.Binop(Op.EQ, t.Var(pos, INT), t.Lit(src, INT), BOOL),
                               t.Binop(Op.EQ, t.Local("scenario.next", INT), t.Lit(dst, INT), BOOL), BOOL)
                if matched is not None:
                    cond = t.Binop(Op.AND, cond, matched, BOOL)
                moves = cond if moves is None else t.Binop(Op.OR, moves, cond, BOOL)
        guard: list[t.TStmt] = [
            t.SHavoc(pos, None, INT, t.Lit(0, INT), t.Lit(n + 1, INT), "scenario.next", decl.span),
        ]
        # the havoc writes the next position directly; the move relation reads the old one
        move = moves if moves is not None else t.Lit(False, BOOL)
        move = _old_pos(move, pos)
        guard.append(t.SRequire(move, decl.span))
        new_trans.append(dataclasses.replace(tr, body=tuple(guard) + tr.body))
    svar = StateVar(pos, INT, t.Lit(0, INT), decl.span, hidden=True)
    return dataclasses.replace(sys, vars=sys.vars + (svar,), transitions=tuple(new_trans), scenario=name)


def _old_pos(e: t.TExpr, pos: str) -> t.TExpr:
    def fn(node: t.TExpr) -> t.TExpr | None:
        if isinstance(node, t.Var) and node.name == pos:
            return t.Old(pos, INT)
        if isinstance(node, t.Local) and node.name == "scenario.next":
            return t.Var(pos, INT)
        return None

    return substitute(e, fn)


def _moves(items: tuple[ast.ScenItem, ...], src: int, tr: Transition) -> list[tuple[int, t.TExpr | None]]:
    """Scenario moves from position `src` on transition `tr`: (new position, argument condition).

    Position i means "items before i are matched". A gap at i may match any step and
    stay at i, or be skipped (epsilon) to i+1."""
    out: list[tuple[int, t.TExpr | None]] = []
    i = src
    while i < len(items):
        item = items[i]
        if isinstance(item, ast.ScenGap):
            out.append((i, None))
            i += 1
            continue
        cond = _match(item, tr)
        if cond is not False:
            out.append((i + 1, cond if cond is not True else None))
        break
    return out


def _match(item: ast.ScenItem, tr: Transition) -> t.TExpr | bool:
    match item:
        case ast.ScenStep(process=p, index=idx, step=label):
            if idx is None:
                return tr.writer == f"{p}.{label}"
            return tr.name == f"{p}[{idx}].{label}"
        case ast.ScenCall(action=name, args=args):
            if tr.name != name:
                return False
            return _args_match(args, tr)
        case ast.ScenGap():
            return True
    return False


def _args_match(args: tuple[ast.Expr | None, ...] | None, tr: Transition) -> t.TExpr | bool:
    if args is None:
        return True
    cond: t.TExpr | None = None
    for (pname, ptype), arg in zip(tr.params, args):
        if arg is None:
            continue
        value = _const_arg(arg)
        eq = t.Binop(Op.EQ, t.Param(pname, ptype), t.Lit(value, ptype), BOOL)
        cond = eq if cond is None else t.Binop(Op.AND, cond, eq, BOOL)
    return True if cond is None else cond


def _const_arg(arg: ast.Expr) -> int | bool:
    """Scenario arguments were folded to literals by the checker."""
    assert isinstance(arg, (ast.IntLit, ast.BoolLit)), arg
    return arg.value
