"""Front end: checks every declaration of a model, in dependency order → `CheckedSpec`.

Uses `typecheck.Checker` for names, types and expressions; adds the checks that need a
whole-model view: variable initialisers are constant, processes and their steps,
`transitions` blocks (including the static writer check), scenarios and check directives.
"""

from __future__ import annotations

from zcheck.diagnostics import Diagnostic, DiagnosticError, Sources, Span
from zcheck.spec import ast
from zcheck.spec import typed as t
from zcheck.spec.checked import (
    ActionInfo, CheckedSpec, ConstInfo, ProcessInfo, PropertyInfo, StepInfo, TransitionsInfo, VarInfo,
)
from zcheck.spec.typecheck import Checker, _Bad, _Scope, substitute
from zcheck.spec.types import INT, BoolT, EnumT, MapT, RangeT, Type

MAX_INSTANCES = 64


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
            c.guard(lambda d=d: c.named_type(d.name, d.span, frozenset()))
    vars_ = _vars(c, decls)
    for d in decls:
        if isinstance(d, ast.FnDecl) and c.decl_of[d.name][1] is d:
            c.guard(lambda d=d: c.fn(d.name, d.span))
    processes = _processes(c, decls)
    init = tuple(s for d in decls if isinstance(d, ast.InitDecl) for s in c.body(d.body, _Scope(where="init")))
    assumes = tuple(
        e for d in decls if isinstance(d, ast.AssumeDecl)
        for e in [c.guard(lambda d=d: c.cond(d.cond, _Scope(where="assume"), "`assume`"))] if e is not None
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
        processes=processes, locks=tuple(c.locks), transitions=transitions,
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
            r = c.guard(lambda d=d: c.const_value(d.name, d.span))
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
    for lock in c.locks:
        out.append(VarInfo(lock, INT, t.Lit(0, INT), c.decl_of[lock][2]))
    return tuple(out)


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
            out.append(ActionInfo(d.name, tuple(params), c.body(d.body, scope), d.span))
        except _Bad:
            continue
    return tuple(out)


def _properties(c: Checker, decls: list[ast.Decl]) -> tuple[PropertyInfo, ...]:
    out = []
    for d in decls:
        if isinstance(d, ast.PropertyDecl):
            e = c.guard(lambda d=d: c.cond(d.expr, _Scope(where="property"), f"{d.kind} `{d.name}`"))
            if e is not None:
                out.append(PropertyInfo(d.kind, d.name, e, d.span))  # type: ignore[arg-type]
    return tuple(out)


def _processes(c: Checker, decls: list[ast.Decl]) -> tuple[ProcessInfo, ...]:
    out = []
    for d in decls:
        if isinstance(d, ast.ProcessDecl):
            p = c.guard(lambda d=d: _process(c, d))
            if p is not None:
                out.append(p)
    return tuple(out)  # type: ignore[arg-type]


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
    locals_: list[VarInfo] = []
    for v in d.locals:
        if v.name in scope.names:
            c.err("ZC202", f"`{v.name}` is already declared in process `{d.name}`", v.span)
        vtype = c.resolve_type(v.type)
        vname = f"{d.name}[].{v.name}"
        init = None
        if v.init is not None:
            want = vtype.value if isinstance(vtype, MapT) else vtype
            init = c.expect_type(want, c.expr(v.init, scope), v.init.span, f"`{v.name}`")
            _constant_expr(c, init, v.init.span, frozenset(n for n, _ in params))
        elif isinstance(vtype, MapT):
            c.err("ZC302", f"map `{v.name}` needs a default value", v.span)
        c.var_types[vname] = vtype
        scope.names[v.name] = t.Var(vname, vtype, v.span)
        scope.writable[v.name] = vname
        locals_.append(VarInfo(vname, vtype, init, v.span))
    labels = [s.label for s in d.steps]
    steps = []
    for s in d.steps:
        if labels.count(s.label) > 1 and labels.index(s.label) != d.steps.index(s):
            c.diags.append(Diagnostic("ZC202", f"step `{s.label}` declared twice in `{d.name}`", s.span))
            continue
        body = c.body(s.body, _Scope(dict(scope.names), dict(scope.writable), f"process {d.name}.{s.label}", d.name))
        _check_gotos(c, body, labels, d.name)
        steps.append(StepInfo(s.label, body, s.span))
    return ProcessInfo(d.name, count, tuple(params), tuple(locals_), tuple(steps), d.loop, d.span)


def _check_gotos(c: Checker, body: tuple[t.TStmt, ...], labels: list[str], proc: str) -> None:
    for s in body:
        if isinstance(s, t.SGoto) and s.label not in labels:
            c.diags.append(Diagnostic("ZC201", f"`goto {s.label}`: process `{proc}` has no such step", s.span))
        if isinstance(s, t.SIf):
            _check_gotos(c, s.then, labels, proc)
            _check_gotos(c, s.else_, labels, proc)


# ---------------------------------------------------------------- transitions


def _writes(body: tuple[t.TStmt, ...], var: str) -> list[t.TStmt]:
    out: list[t.TStmt] = []
    for s in body:
        match s:
            case t.SAssign(var=v) | t.SStore(var=v) | t.SFill(var=v) | t.SHavoc(var=v):
                if v == var:
                    out.append(s)
            case t.SIf(then=a, else_=b):
                out.extend(_writes(a, var))
                out.extend(_writes(b, var))
            case t.SLet() | t.SRequire() | t.SAssert() | t.SGoto() | t.SDone() | t.SAcquire() | t.SRelease():
                pass
    return out


def _writers(actions: tuple[ActionInfo, ...], processes: tuple[ProcessInfo, ...]) -> dict[str, tuple[t.TStmt, ...]]:
    out: dict[str, tuple[t.TStmt, ...]] = {a.name: a.body for a in actions}
    for p in processes:
        for s in p.steps:
            out[f"{p.name}.{s.label}"] = s.body
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
        info = c.guard(lambda d=d: _transitions_block(c, d, bodies))
        if info is not None:
            out.append(info)
    return tuple(out)  # type: ignore[arg-type]


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
    if target.startswith("lock(") and target[5:-1] in c.locks:
        return True
    owner, _, rest = target.partition(".")
    writers = {a.name for a in actions} | {f"{p.name}[{i}]" for p in processes for i in range(p.count)} | {"init"}
    return owner in writers and (rest.startswith("assert@") or rest.startswith("range@")) or (
        "." in rest and rest.split(".", 1)[1].startswith(("assert@", "range@")))
