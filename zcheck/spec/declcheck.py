"""Front end: checks every declaration of a model, in dependency order → `CheckedSpec`.

Uses `typecheck.Checker` for names, types and expressions; adds the checks that need a
whole-model view: variable initialisers are constant, processes and their steps,
`transitions` blocks (including the static writer check), scenarios and check directives.
"""

from __future__ import annotations

from functools import partial

from zcheck.diagnostics import Diagnostic, DiagnosticError, Sources, Span
from zcheck.spec import ast, threads
from zcheck.spec import typed as t
from zcheck.spec.checked import (
    ActionInfo, CheckedSpec, ConstInfo, LockInfo, ProcessInfo, PropertyInfo, StepInfo, TransitionsInfo, VarInfo,
)
from zcheck.spec.ops import Op
from zcheck.spec.typecheck import Checker, _Bad, _Scope, substitute
from zcheck.spec.types import BOOL, INT, BoolT, BvT, EnumT, IntT, MapT, RangeT, Type

MAX_INSTANCES = 64
MAX_LOCKS = 4096


def check_modules(
    modules: list[ast.Module], overrides: dict[str, ast.Expr], sources: Sources, main_file: str, header: str
) -> CheckedSpec:
    c = Checker(modules, overrides, sources)
    c.collect()
    decls = [d for m in modules for d in m.decls]
    for name in overrides:
        entry = c.decl_of.get(name)
        if entry is None or entry[0] != "constant":
            c.diags.append(Diagnostic("ZC401", f"-D {name}: no constant named `{name}` in the model",
                                      Span("<command line>", 1, 1, 1, 1)))
    consts = _consts(c, decls)
    for d in decls:
        if isinstance(d, ast.TypeDecl):
            c.guard(partial(c.named_type, d.name, d.span, frozenset()))
    vars_ = _vars(c, decls)
    _layout(c, decls)
    for d in decls:
        if isinstance(d, ast.FnDecl) and c.decl_of[d.name][1] is d:
            c.guard(lambda: c.fn(d.name, d.span))
    processes = _processes(c, decls)
    _uncalled_procedures(c, decls)
    init = tuple(s for d in decls if isinstance(d, ast.InitDecl) for s in c.body(d.body, _Scope(where="init")))
    assumes = tuple(
        e for d in decls if isinstance(d, ast.AssumeDecl)
        for e in [c.guard(lambda: c.cond(d.cond, _Scope(where="assume"), "`assume`"))] if e is not None
    )
    actions = _actions(c, decls)
    props = _properties(c, decls)
    transitions = _transitions(c, decls, actions, processes)
    scenarios = tuple(
        _check_scenario(c, d, actions, processes) for d in decls if isinstance(d, ast.ScenarioDecl)
    )
    checks = tuple(d for d in decls if isinstance(d, ast.CheckDecl) and d.span.file == main_file)
    for chk in checks:
        _check_directive(c, chk, props, actions, processes, transitions, scenarios)
    errors = [d for d in c.diags if d.severity == "error"]
    if errors:
        raise DiagnosticError(errors)
    models = [d for d in decls if isinstance(d, ast.ModelDecl) and d.span.file == main_file]
    model = models[0].name if models else _stem(main_file)
    return CheckedSpec(
        model=model, main_file=main_file, sources=sources, consts=consts,
        enums=tuple(v for v in c.types.values() if isinstance(v, EnumT)),
        vars=vars_, assumes=assumes, init=init, actions=actions, properties=props,
        processes=processes, locks=tuple(c.layout.locks.values()), owners=c.layout.owners,
        transitions=transitions,
        scenarios=scenarios, checks=checks, header=header,
        warnings=tuple(d for d in c.diags if d.severity != "error"),
    )


def _stem(path: str) -> str:
    import os

    return os.path.splitext(os.path.basename(path))[0]


def _consts(c: Checker, decls: list[ast.Decl]) -> tuple[ConstInfo, ...]:
    out = []
    for d in decls:
        if isinstance(d, ast.ConstDecl) and c.decl_of[d.name][1] is d:
            r = c.guard(lambda: c.const_value(d.name, d.span))
            if isinstance(r, tuple):
                out.append(ConstInfo(d.name, r[0], r[1], d.span))
    return tuple(out)


def _constant_expr(c: Checker, e: t.TExpr, span: Span, allowed: frozenset[str] = frozenset()) -> None:
    found: list[t.TExpr] = []

    def visit(node: t.TExpr) -> t.TExpr | None:
        if isinstance(node, (t.Var, t.Old)) and node.name not in allowed:
            found.append(node)
        return None

    substitute(e, visit)
    if found:
        c.err("ZC304", "an initial value may use constants only (set other variables in `init { ... }`)", span)


def _vars(c: Checker, decls: list[ast.Decl]) -> tuple[VarInfo, ...]:
    out = []
    for d in decls:
        if not isinstance(d, ast.VarDecl) or c.decl_of[d.name][1] is not d:
            continue
        try:
            vtype = c.var_type(d.name)
            init = None
            if d.init is not None:
                want = vtype.value if isinstance(vtype, MapT) else vtype
                init = c.expect_type(want, c.expr(d.init, _Scope(where="var")), d.init.span, f"`{d.name}`")
                _constant_expr(c, init, d.init.span)
                _in_range(c, want, init, d.init.span)
            elif isinstance(vtype, MapT):
                c.err("ZC302", f"map `{d.name}` needs a default value: `var {d.name}: {vtype} = VALUE`", d.span)
            out.append(VarInfo(d.name, vtype, init, d.span))
        except _Bad:
            continue
    return tuple(out)


def _layout(c: Checker, decls: list[ast.Decl]) -> None:
    """Instances, steps, fields and locks, before any body is checked (see spec.threads)."""
    procs: list[tuple[ast.ProcessDecl, int]] = []
    for d in decls:
        if isinstance(d, ast.ProcessDecl) and c.decl_of[d.name][1] is d:
            count = c.guard(partial(c.const_int, d.count)) if d.count is not None else 1
            count = count if isinstance(count, int) and 1 <= count <= MAX_INSTANCES else 1
            procs.append((d, count))
    owners = EnumT("owner", threads.owner_names([(d.name, n) for d, n in procs]))
    c.layout.owners = owners
    first = 1
    for d, count in procs:
        labels = threads.step_labels(d.steps, c.procedures)
        fields = [(p.name, c.guard(lambda: c.resolve_type(p.type))) for p in d.params]
        fields += [(v.name, c.guard(lambda: c.resolve_type(v.type))) for v in d.locals]
        c.layout.procs[d.name] = threads.ProcLayout(
            d.name, count, first, tuple(labels), tuple((n, ty) for n, ty in fields if ty is not None))
        first += count
    readers: dict[str, list[str]] = {}
    for d, count in procs:
        for op, lock in threads.lock_uses(d.steps, c.procedures):
            if op in threads.READ_OPS:
                readers.setdefault(lock, []).extend(f"{d.name}[{i}]" for i in range(count))
    for d in decls:
        if isinstance(d, ast.ActionDecl):
            for op, lock in threads.stmt_lock_uses(d.body):
                if op in threads.READ_OPS and threads.ENV not in readers.get(lock, []):
                    readers.setdefault(lock, []).append(threads.ENV)
    for name, decl in c.lock_decls.items():
        _lock_info(c, decl, readers.get(name, []))


def _lock_info(c: Checker, d: ast.LockDecl, readers: list[str]) -> None:
    if d.kind not in ("mutex", "spinlock", "rwsem"):
        c.diags.append(Diagnostic("ZC201", f"unknown lock kind `{d.kind}` (a lock is a `mutex` or a `spinlock`; "
                                  "declare a reader-writer semaphore with `rwsem`)", d.span))
    count = None
    if d.count is not None:
        got = c.guard(partial(c.const_int, d.count))
        count = got if isinstance(got, int) else 1
        if count < 1 or count > MAX_LOCKS:
            c.diags.append(Diagnostic("ZC503", f"a lock array has 1..{MAX_LOCKS} locks, not {count}", d.span))
            count = 1
    order = list(c.layout.owners.members)
    kind = d.kind if d.kind in ("mutex", "spinlock", "rwsem") else "mutex"
    ordered = tuple(sorted(set(readers), key=order.index)) if kind == "rwsem" else ()
    c.layout.locks[d.name] = LockInfo(d.name, kind, count, ordered, d.span)


def _in_range(c: Checker, want: Type, e: t.TExpr, span: Span) -> None:
    if isinstance(want, RangeT) and isinstance(e, t.Lit) and not want.lo <= int(e.value) < want.hi:
        c.err("ZC301", f"{e.value} is outside the range {want}", span)


def _params(c: Checker, params: tuple[ast.Param, ...], scope: _Scope, make: object) -> list[tuple[str, Type]]:
    out: list[tuple[str, Type]] = []
    for p in params:
        if p.name in scope.names:
            c.err("ZC202", f"parameter `{p.name}` listed twice", p.span)
        ptype = c.resolve_type(p.type)
        if isinstance(ptype, MapT):
            c.err("ZC302", "parameters must have a scalar type", p.span)
        node = make(p.name, ptype, p.span)  # type: ignore[operator]
        scope.names[p.name] = node
        out.append((node.name, ptype))
    return out


def _actions(c: Checker, decls: list[ast.Decl]) -> tuple[ActionInfo, ...]:
    out = []
    for d in decls:
        if not isinstance(d, ast.ActionDecl):
            continue
        try:
            scope = _Scope(where=f"action {d.name}")
            params = _params(c, d.params, scope, lambda n, ty, sp: t.Param(n, ty, sp))
            scope.effects = True
            out.append(ActionInfo(d.name, tuple(params), c.body(d.body, scope), d.span, d.fair))
        except _Bad:
            continue
    return tuple(out)


def _properties(c: Checker, decls: list[ast.Decl]) -> tuple[PropertyInfo, ...]:
    out = []
    for d in decls:
        if isinstance(d, ast.PropertyDecl):
            what = f"{d.kind} `{d.name}`" if d.op is None else f"property `{d.name}`"
            e = c.guard(lambda: c.cond(d.expr, _Scope(where="property"), what))
            goal = d.goal
            q = None if goal is None else c.guard(lambda: c.cond(goal, _Scope(where="property"), what))
            if e is not None and (goal is None or q is not None):
                out.append(PropertyInfo(d.kind, d.name, e, d.span, d.op, q))
    return tuple(out)


def _processes(c: Checker, decls: list[ast.Decl]) -> tuple[ProcessInfo, ...]:
    out = []
    for d in decls:
        if isinstance(d, ast.ProcessDecl):
            p = c.guard(lambda: _process(c, d))
            if p is not None:
                out.append(p)
    return tuple(out)


def _process(c: Checker, d: ast.ProcessDecl) -> ProcessInfo:
    count = 1 if d.count is None else c.const_int(d.count)
    if not 1 <= count <= MAX_INSTANCES:
        c.err("ZC503", f"a process has 1..{MAX_INSTANCES} instances, not {count}", d.span)
    if not d.steps:
        c.err("ZC503", f"process `{d.name}` has no steps", d.span)
    scope = _Scope(where=f"process {d.name}", proc=d.name)
    params = _params(c, d.params, scope, lambda n, ty, sp: t.Var(f"{d.name}[].{n}", ty, sp))
    for name, ptype in params:
        c.var_types[name] = ptype
    locals_ = _locals(c, d.name, d.locals, scope, f"{d.name}[].", frozenset(n for n, _ in params))
    steps: list[StepInfo] = []
    pending: list[t.TStmt] = []
    _expand(c, d.name, d.steps, scope, (), steps, pending, locals_)
    return ProcessInfo(d.name, count, tuple(params), tuple(locals_), tuple(steps), d.loop, d.span, d.fair)


def _uncalled_procedures(c: Checker, decls: list[ast.Decl]) -> None:
    """A procedure no process calls is never checked (its steps need a caller's instance):
    say so, and still reject recursion among such procedures."""
    called: set[str] = set()
    for d in decls:
        if isinstance(d, ast.ProcessDecl):
            called |= _callees(c, d, frozenset())
    for name, d in c.procedures.items():
        if name in called:
            continue
        c.diags.append(Diagnostic("ZC503", f"procedure `{name}` is never called, so its steps are not checked",
                                  d.span, severity="warning"))
        if name in _callees(c, d, frozenset()):
            c.diags.append(Diagnostic("ZC306", f"procedure `{name}` calls itself; procedures are inlined, "
                                      "not recursive", d.span))


def _callees(c: Checker, d: ast.ProcedureDecl | ast.ProcessDecl, seen: frozenset[str]) -> set[str]:
    out: set[str] = set()
    for item in d.steps:
        if isinstance(item, ast.CallItem) and item.proc not in seen:
            out.add(item.proc)
            callee = c.procedures.get(item.proc)
            if callee is not None:
                out |= _callees(c, callee, seen | {item.proc})
    return out


def _locals(c: Checker, proc: str, decls: tuple[ast.VarDecl, ...], scope: _Scope, prefix: str,
            allowed: frozenset[str]) -> list[VarInfo]:
    out: list[VarInfo] = []
    for v in decls:
        if v.name in scope.names or v.name == "self":
            c.err("ZC202", f"`{v.name}` is already declared in `{scope.where.split()[-1]}`", v.span)
        vtype = c.resolve_type(v.type)
        vname = prefix + v.name
        init = None
        if v.init is not None:
            want = vtype.value if isinstance(vtype, MapT) else vtype
            init = c.expect_type(want, c.expr(v.init, scope), v.init.span, f"`{v.name}`")
            _constant_expr(c, init, v.init.span, allowed | {f"{proc}[].#self"})
        elif isinstance(vtype, MapT):
            c.err("ZC302", f"map `{v.name}` needs a default value", v.span)
        c.var_types[vname] = vtype
        scope.names[v.name] = t.Var(vname, vtype, v.span)
        scope.writable[v.name] = vname
        out.append(VarInfo(vname, vtype, init, v.span))
    return out


def _expand(c: Checker, proc: str, items: tuple[ast.ProcItem, ...], scope: _Scope, path: tuple[str, ...],
            out: list[StepInfo], pending: list[t.TStmt], locals_: list[VarInfo]) -> None:
    """Check the steps of a process or procedure frame, inlining `call`s; resolve the
    frame's gotos to step indices (`#N`). `pending` holds the argument and local
    assignments of calls, run at the start of the next step."""
    mine: dict[str, int] = {}
    entry = 0  # statements of the calls entered at this frame's first step (at the head of its body)
    where = scope.where
    for item in items:
        if isinstance(item, ast.StepDecl):
            if item.label in mine:
                c.diags.append(Diagnostic("ZC202", f"step `{item.label}` declared twice in `{where.split()[-1]}`",
                                          item.span))
                continue
            if item.label in ("done", "crashed"):
                c.diags.append(Diagnostic("ZC202", f"`{item.label}` is reserved (the pc of a finished or crashed "
                                          "instance); name the step otherwise", item.span))
                continue
            step_scope = _Scope(dict(scope.names), dict(scope.writable), f"{where}.{item.label}", proc, effects=True)
            body = c.body(item.body, step_scope)
            if not mine:
                entry = len(pending)
            mine[item.label] = len(out)
            out.append(StepInfo(".".join(path + (item.label,)), tuple(pending) + body, item.span))
            pending.clear()
        else:
            c.guard(lambda: _call(c, proc, item, scope, path, out, pending, locals_))
    for idx in mine.values():
        body = _resolve_gotos(c, out[idx].body, mine, where.split()[-1])
        out[idx] = StepInfo(out[idx].label, body, out[idx].span)
    if entry and mine:
        _no_call_on_goto(proc, path, list(mine.values()), out, entry, locals_)


def _no_call_on_goto(proc: str, path: tuple[str, ...], mine: list[int], out: list[StepInfo], entry: int,
                     locals_: list[VarInfo]) -> None:
    """A `goto` inside a procedure back to its first step is not a call: the call's
    argument and local assignments at the head of that step run only when the instance
    comes by the call (a kernel `goto retry` keeps the function's arguments and stack
    variables). A hidden per-instance flag, set by such gotos and cleared by the step,
    says that it came by a goto."""
    first = mine[0]
    target = f"#{first}"
    if not any(isinstance(s, t.SGoto) and s.label == target for idx in mine for s in _all_stmts(out[idx].body)):
        return
    flag = f"{proc}[].{'.'.join(path)}.#goto"
    if all(v.name != flag for v in locals_):  # one flag for every call site, like the arguments
        locals_.append(VarInfo(flag, BOOL, t.Lit(False, BOOL)))
    for idx in mine:
        out[idx] = StepInfo(out[idx].label, _flag_gotos(out[idx].body, target, flag), out[idx].span)
    body, span = out[first].body, out[first].span
    head = (t.SIf(t.Unop(Op.NOT, t.Var(flag, BOOL, span), BOOL, span), body[:entry], (), span),
            t.SAssign(flag, t.Lit(False, BOOL, span), span))
    out[first] = StepInfo(out[first].label, head + body[entry:], span)


def _all_stmts(body: tuple[t.TStmt, ...]) -> list[t.TStmt]:
    out: list[t.TStmt] = []
    for s in body:
        out.append(s)
        if isinstance(s, t.SIf):
            out += _all_stmts(s.then) + _all_stmts(s.else_)
    return out


def _flag_gotos(body: tuple[t.TStmt, ...], target: str, flag: str) -> tuple[t.TStmt, ...]:
    out: list[t.TStmt] = []
    for s in body:
        if isinstance(s, t.SGoto) and s.label == target:
            out.append(t.SAssign(flag, t.Lit(True, BOOL, s.span), s.span))
        elif isinstance(s, t.SIf):
            s = t.SIf(s.cond, _flag_gotos(s.then, target, flag), _flag_gotos(s.else_, target, flag), s.span)
        out.append(s)
    return tuple(out)


def _call(c: Checker, proc: str, item: ast.CallItem, scope: _Scope, path: tuple[str, ...],
          out: list[StepInfo], pending: list[t.TStmt], locals_: list[VarInfo]) -> None:
    callee = c.procedures.get(item.proc)
    if callee is None:
        entry = c.decl_of.get(item.proc)
        if entry is not None:
            c.err("ZC203", f"`{item.proc}` is a {entry[0]}, not a procedure", item.span)
        c.err("ZC201", f"unknown procedure `{item.proc}`", item.span)
    if item.proc in path:
        cycle = " -> ".join(path[path.index(item.proc):] + (item.proc,))
        c.err("ZC306", f"procedure `{item.proc}` calls itself ({cycle}); procedures are inlined, not recursive",
              item.span)
    if len(path) >= threads.MAX_CALL_DEPTH:
        c.err("ZC306", f"calls nested more than {threads.MAX_CALL_DEPTH} deep", item.span)
    if len(item.args) != len(callee.params):
        c.err("ZC204", f"`{item.proc}` takes {len(callee.params)} arguments, got {len(item.args)}", item.span)
    if not callee.steps:
        c.err("ZC503", f"procedure `{item.proc}` has no steps", callee.span)
    inner_path = path + (item.proc,)
    prefix = f"{proc}[].{'.'.join(inner_path)}."
    inner = _Scope(where=f"process {proc}.{'.'.join(inner_path)}", proc=proc)
    assigns: list[t.TStmt] = []
    for p, arg in zip(callee.params, item.args):
        ptype = c.resolve_type(p.type)
        if isinstance(ptype, MapT):
            c.err("ZC302", "parameters must have a scalar type", p.span)
        value = c.expect_type(ptype, c.expr(arg, scope), arg.span, f"argument `{p.name}` of `{item.proc}`")
        vname = prefix + p.name
        if vname not in c.var_types:
            c.var_types[vname] = ptype
            locals_.append(VarInfo(vname, ptype, _zero(ptype), p.span))
        inner.names[p.name] = t.Var(vname, ptype, p.span)
        inner.writable[p.name] = vname
        assigns.append(t.SAssign(vname, value, item.span))
    fresh = [v for v in callee.locals if prefix + v.name not in c.var_types]
    declared = _locals(c, proc, callee.locals, inner, prefix, frozenset())
    locals_.extend(v for v in declared if v.name in {prefix + f.name for f in fresh})
    for v in declared:  # a local starts afresh at each call
        if v.init is not None:
            assigns.append(t.SAssign(v.name, v.init, item.span))
    pending.extend(assigns)
    _expand(c, proc, callee.steps, inner, inner_path, out, pending, locals_)


def _zero(typ: Type) -> t.TExpr:
    match typ:
        case BoolT():
            return t.Lit(False, BOOL)
        case RangeT(lo=lo):
            return t.Lit(lo, typ)
        case EnumT() | IntT() | BvT():
            return t.Lit(0, typ)
        case MapT():
            raise AssertionError("scalar parameters only")


def _resolve_gotos(c: Checker, body: tuple[t.TStmt, ...], labels: dict[str, int], frame: str) -> tuple[t.TStmt, ...]:
    out: list[t.TStmt] = []
    for s in body:
        if isinstance(s, t.SGoto) and not s.label.startswith("#"):
            if s.label not in labels:
                known = ", ".join(f"`{lab}`" for lab in labels)
                c.diags.append(Diagnostic(
                    "ZC201", f"`goto {s.label}`: `{frame}` has no such step (its steps: {known}; a goto may not "
                    "leave a procedure or enter one)", s.span))
                out.append(s)
                continue
            out.append(t.SGoto(f"#{labels[s.label]}", s.span))
        elif isinstance(s, t.SIf):
            out.append(t.SIf(s.cond, _resolve_gotos(c, s.then, labels, frame),
                             _resolve_gotos(c, s.else_, labels, frame), s.span))
        else:
            out.append(s)
    return tuple(out)


# ---------------------------------------------------------------- transitions


def _writes(body: tuple[t.TStmt, ...], var: str) -> list[t.TStmt]:
    return [s for s in t.walk_stmts(body) if isinstance(s, (t.SAssign, t.SStore, t.SFill, t.SHavoc))
            and s.var == var and not getattr(s, "local", False)]


def _writers(actions: tuple[ActionInfo, ...], processes: tuple[ProcessInfo, ...]) -> dict[str, tuple[t.TStmt, ...]]:
    out: dict[str, tuple[t.TStmt, ...]] = {a.name: a.body for a in actions}
    for p in processes:
        for s in p.steps:
            name = f"{p.name}.{s.label}"
            out[name] = out.get(name, ()) + s.body  # a procedure called twice: both copies
    return out


def _transitions(
    c: Checker, decls: list[ast.Decl], actions: tuple[ActionInfo, ...], processes: tuple[ProcessInfo, ...]
) -> tuple[TransitionsInfo, ...]:
    out = []
    bodies = _writers(actions, processes)
    seen: set[str] = set()
    for d in decls:
        if not isinstance(d, ast.TransitionsDecl):
            continue
        if d.var in seen:
            c.diags.append(Diagnostic("ZC202", f"a second `transitions` block for `{d.var}`", d.span))
            continue
        seen.add(d.var)
        info = c.guard(lambda: _transitions_block(c, d, bodies))
        if info is not None:
            out.append(info)
    return tuple(out)


def _transitions_block(c: Checker, d: ast.TransitionsDecl, bodies: dict[str, tuple[t.TStmt, ...]]) -> TransitionsInfo:
    entry = c.decl_of.get(d.var)
    if entry is None or entry[0] != "variable":
        c.err("ZC201", f"`transitions {d.var}`: no state variable named `{d.var}`", d.span)
    vtype = c.var_type(d.var)
    value_type = vtype.value if isinstance(vtype, MapT) else vtype
    edges: list[tuple[int | bool, int | bool, tuple[str, ...]]] = []
    for e in d.entries:
        writers = tuple(w.name if w.step is None else f"{w.name}.{w.step}" for w in e.writers)
        for w, wname in zip(e.writers, writers):
            if wname not in bodies:
                c.diags.append(Diagnostic("ZC201", f"`{wname}` is not an action or process step", w.span))
        match e:
            case ast.TransFlag(kind=kind):
                if not isinstance(value_type, BoolT):
                    c.err("ZC301", f"`{kind}:` applies to bool variables; `{d.var}` holds {value_type}", e.span)
                edges.append((kind == "clear", kind == "set", writers))
            case ast.TransEdge(src=src, dst=dst):
                if not isinstance(value_type, EnumT):
                    c.err("ZC301", f"`A -> B` edges apply to enum variables; `{d.var}` holds {value_type}", e.span)
                for member in (src, dst):
                    if member not in value_type.members:
                        c.err("ZC201", f"`{member}` is not a member of {value_type.name}", e.span)
                edges.append((value_type.members.index(src), value_type.members.index(dst), writers))
    _static_writers(c, d, edges, bodies, value_type)
    return TransitionsInfo(d.var, tuple(edges), value_type, d.span)


def _static_writers(
    c: Checker, d: ast.TransitionsDecl, edges: list[tuple[int | bool, int | bool, tuple[str, ...]]],
    bodies: dict[str, tuple[t.TStmt, ...]], value_type: Type,
) -> None:
    """An unlisted writer, or a literal write no listed edge allows to it, is a spec error."""
    for writer, body in bodies.items():
        writes = _writes(body, d.var)
        if not writes:
            continue
        allowed_targets = {dst for _, dst, ws in edges if writer in ws}
        if not any(writer in ws for _, _, ws in edges):
            c.diags.append(Diagnostic(
                "ZC502", f"`{writer}` writes `{d.var}` but its `transitions` block lists it nowhere",
                writes[0].span, notes=(f"transitions block at {d.span}",)))
            continue
        for w in writes:
            value = getattr(w, "value", None)
            if isinstance(value, t.Lit) and value.value not in allowed_targets:
                shown = _show(value.value, value_type)
                c.diags.append(Diagnostic(
                    "ZC502", f"`{writer}` sets `{d.var}` to {shown}, but the transitions block does not let it"
                    f" make any change to {shown}", w.span, notes=(f"transitions block at {d.span}",)))


def _show(value: int | bool, typ: Type) -> str:
    if isinstance(typ, EnumT):
        return typ.members[int(value)]
    return str(value).lower()


# ---------------------------------------------------------------- scenarios and checks


def _check_scenario(
    c: Checker, sc: ast.ScenarioDecl, actions: tuple[ActionInfo, ...], processes: tuple[ProcessInfo, ...]
) -> ast.ScenarioDecl:
    """Check a scenario; return it with every fixed argument folded to a literal."""
    by_name = {a.name: a for a in actions}
    procs = {p.name: p for p in processes}
    items: list[ast.ScenItem] = []
    for item in sc.items:
        match item:
            case ast.ScenGap():
                pass
            case ast.ScenCall(action=name, args=args):
                if name not in by_name:
                    c.diags.append(Diagnostic("ZC201", f"scenario `{sc.name}`: no action named `{name}`", item.span))
                elif args is not None and len(args) != len(by_name[name].params):
                    c.diags.append(Diagnostic(
                        "ZC204", f"`{name}` takes {len(by_name[name].params)} arguments, got {len(args)}", item.span))
                elif args is not None:
                    folded = [_fold_arg(c, arg, ptype, pname) for (pname, ptype), arg in zip(by_name[name].params, args)]
                    item = ast.ScenCall(name, tuple(folded), item.span)
            case ast.ScenStep(process=pname, index=idx, step=label):
                p = procs.get(pname)
                if p is None:
                    c.diags.append(Diagnostic("ZC201", f"scenario `{sc.name}`: no process named `{pname}`", item.span))
                elif label not in [s.label for s in p.steps]:
                    c.diags.append(Diagnostic("ZC201", f"process `{pname}` has no step `{label}`", item.span))
                elif idx is not None and not 0 <= idx < p.count:
                    c.diags.append(Diagnostic("ZC503", f"`{pname}` has instances 0..{p.count - 1}", item.span))
        items.append(item)
    return ast.ScenarioDecl(sc.name, tuple(items), sc.span)


def _fold_arg(c: Checker, arg: ast.Expr | None, ptype: Type, pname: str) -> ast.Expr | None:
    if arg is None:
        return None
    try:
        texpr = c.expect_type(ptype, c.expr(arg, _Scope(where="scenario")), arg.span, f"argument `{pname}`")
        value = c.fold(texpr, arg.span)
    except _Bad:
        return None
    if isinstance(value, bool):
        return ast.BoolLit(value, arg.span)
    return ast.IntLit(int(value), str(value), arg.span)


def _check_directive(
    c: Checker, chk: ast.CheckDecl, props: tuple[PropertyInfo, ...], actions: tuple[ActionInfo, ...],
    processes: tuple[ProcessInfo, ...], transitions: tuple[TransitionsInfo, ...], scenarios: tuple[ast.ScenarioDecl, ...],
) -> None:
    for ov in chk.overrides:
        entry = c.decl_of.get(ov.name)
        if entry is None or entry[0] != "constant":
            c.diags.append(Diagnostic("ZC504", f"`with {ov.name} = ...`: no constant named `{ov.name}`", ov.span))
    if chk.scenario is not None and chk.scenario not in {s.name for s in scenarios}:
        c.diags.append(Diagnostic("ZC504", f"`under {chk.scenario}`: no such scenario", chk.span))
    if chk.engine is not None and chk.engine not in ("auto", "bmc", "kind", "pdr"):
        c.diags.append(Diagnostic("ZC504", f"unknown engine `{chk.engine}`", chk.span))
    if not _known_target(chk.target, c, props, actions, processes, transitions):
        c.diags.append(Diagnostic("ZC504", f"`check {chk.target}`: no such property in the model", chk.span))
    if chk.at is not None and chk.expect not in ("violated", "reached"):
        c.diags.append(Diagnostic("ZC504", "`at N` goes with `expect violated` or `expect reached`", chk.span))


def _known_target(target: str, c: Checker, props: tuple[PropertyInfo, ...], actions: tuple[ActionInfo, ...],
                  processes: tuple[ProcessInfo, ...], transitions: tuple[TransitionsInfo, ...]) -> bool:
    """Declared properties, named asserts, and the implicit ones (`X.assert@N`, ...)."""
    if target == "*" or target == "no_div_by_zero" or any(p.name == target for p in props):
        return True
    entry = c.decl_of.get(target)
    if entry is not None and entry[0] == "assertion":
        return True
    if target.startswith("transitions(") and target[12:-1] in {t_.var for t_ in transitions}:
        return True
    if target.startswith("lock(") and (target[5:-1] in c.layout.locks or target == "lock(rcu)"):
        return True
    if target in ("deadlock", "stuck"):  # with locks, or with synchronize_rcu (lowering decides)
        return bool(c.layout.procs)
    if target == "lockdep":
        return bool(c.layout.procs) and bool(c.layout.locks)
    owner, _, rest = target.partition(".")
    writers = {a.name for a in actions} | {f"{p.name}[{i}]" for p in processes for i in range(p.count)} | {"init"}
    kinds = ("assert@", "range@", "bug_on@")
    return owner in writers and rest.startswith(kinds) or ("." in rest and rest.rsplit(".", 1)[1].startswith(kinds))
