"""Language server: build the symbol index of a model from its syntax tree and, when it
type-checks, its checked spec.

Input: the parsed modules (spec/ast.py; every node has its span), the text of each file
(to find where a declaration writes its name) and the `CheckedSpec` or None (a model
with errors still gets an index, with types as written). Output: `symbols.Index`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import assert_never

from zcheck.diagnostics import Span
from zcheck.lsp.symbols import Index, Role, Symbol
from zcheck.spec import ast, printer
from zcheck.spec import typed as t
from zcheck.spec.checked import CheckedSpec, ProcessInfo
from zcheck.spec.types import INT, EnumT, Type

MAX_SIGNATURE = 160  # characters of an expression shown in a declaration's head


def build_index(main_file: str, modules: Iterable[ast.Module], texts: Mapping[str, str],
                checked: CheckedSpec | None) -> Index:
    """The index of every declaration of `modules`; `checked` adds resolved types and values."""
    c = _Collector(texts, _Types(checked))
    outline: list[Symbol] = []
    for module in modules:
        for decl in module.decls:
            top = c.decl(decl)
            if top is not None and module.file == main_file:
                outline.append(top)
    return Index(main_file, tuple(c.symbols), tuple(outline))


class _Types:
    """What the checked spec knows about names: resolved types and constant values."""

    def __init__(self, checked: CheckedSpec | None) -> None:
        self.checked = checked
        self.consts = {i.name: i for i in checked.consts} if checked else {}
        self.vars = {i.name: i for i in checked.vars} if checked else {}
        self.actions = {i.name: dict(i.params) for i in checked.actions} if checked else {}
        self.processes: dict[str, ProcessInfo] = {i.name: i for i in checked.processes} if checked else {}
        self.locks = {i.name: i for i in checked.locks} if checked else {}
        self.locals: dict[Span, Type] = {}
        if checked:
            bodies = [a.body for a in checked.actions] + [s.body for p in checked.processes for s in p.steps]
            for body in [checked.init, *bodies]:
                for s in t.walk_stmts(body):
                    self._local(s)

    def _local(self, s: t.TStmt) -> None:
        if isinstance(s, t.SLet):
            self.locals[s.span] = s.value.type
        elif isinstance(s, t.SHavoc) and s.local:
            self.locals[s.span] = INT if s.lo is not None else s.domain

    def process_param(self, proc: str, name: str) -> Type | None:
        info = self.processes.get(proc)
        return dict(info.params).get(name) if info else None

    def process_local(self, proc: str, name: str) -> Type | None:
        info = self.processes.get(proc)
        found = [v.type for v in info.locals if v.name.rsplit(".", 1)[-1] == name] if info else []
        return found[0] if found else None


class _Collector:
    """Walks declarations, statements and expressions, collecting symbols in order."""

    def __init__(self, texts: Mapping[str, str], types: _Types) -> None:
        self.lines = {file: text.split("\n") for file, text in texts.items()}
        self.types = types
        self.symbols: list[Symbol] = []

    def add(self, s: Symbol) -> Symbol:
        self.symbols.append(s)
        return s

    def name_span(self, span: Span, name: str) -> Span:
        """Where the declaration at `span` writes `name` (its first whole-word occurrence)."""
        lines = self.lines.get(span.file, [])
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
        for n in range(span.line, min(span.end_line, len(lines)) + 1):
            m = word.search(lines[n - 1], span.col - 1 if n == span.line else 0)
            if m is not None:
                return Span(span.file, n, m.start() + 1, n, m.end() + 1)
        return Span(span.file, span.line, span.col, span.line, span.col + len(name))

    def symbol(self, name: str, role: Role, span: Span, signature: str, detail: str = "",
               notes: tuple[str, ...] = (), owner: str | None = None, scope: Span | None = None,
               children: tuple[Symbol, ...] = ()) -> Symbol:
        """A symbol whose name is found in the text of its declaration."""
        return self.add(Symbol(name, role, span, self.name_span(span, name), signature, detail, notes, owner, scope,
                               children))

    # ---------------------------------------------------------------- declarations

    def decl(self, d: ast.Decl) -> Symbol | None:
        """Collect `d`'s symbols; return the one that stands for it in an outline."""
        match d:
            case ast.ModelDecl(name=n, span=sp):
                return self.symbol(n, Role.MODEL, sp, f"model {n}")
            case ast.ImportDecl() | ast.TransitionsDecl() | ast.CheckDecl():
                return None
            case ast.ConstDecl():
                return self.const(d)
            case ast.TypeDecl(name=n, type=ty, span=sp):
                return self.symbol(n, Role.TYPE, sp, f"type {n} = {printer.type_expr(ty)}", detail="type")
            case ast.EnumDecl():
                return self.enum(d)
            case ast.VarDecl():
                return self.var(d)
            case ast.FnDecl():
                return self.fn(d)
            case ast.AssumeDecl(cond=e):
                self.binders([e], "assume")
                return None
            case ast.InitDecl(body=body, span=sp):
                self.body(body, sp, "init")
                return None
            case ast.ActionDecl():
                return self.action(d)
            case ast.PropertyDecl():
                return self.property(d)
            case ast.ProcessDecl() | ast.ProcedureDecl():
                return self.process(d)
            case ast.LockDecl():
                return self.lock(d)
            case ast.ScenarioDecl(name=n, span=sp):
                items = ", ".join(_scen_item(i) for i in d.items)
                return self.symbol(n, Role.SCENARIO, sp, _short(f"scenario {n} {{ {items} }}"), detail="scenario")
            case _:
                assert_never(d)

    def const(self, d: ast.ConstDecl) -> Symbol:
        written = printer.type_expr(d.type)
        sig = f"const {d.name}: {written}" + ("" if d.value is None else f" = {_short(printer.expr(d.value))}")
        notes: list[str] = []
        info = self.types.consts.get(d.name)
        if info is not None:
            notes.append(f"value: {_value(info.value, info.type)}" if info.value is not None
                         else "symbolic: any value the assumptions allow")
            notes += _resolved(written, info.type)
        return self.symbol(d.name, Role.CONSTANT, d.span, sig, detail=written, notes=tuple(notes))

    def enum(self, d: ast.EnumDecl) -> Symbol:
        members = []
        for i, (m, sp) in enumerate(zip(d.members, d.member_spans or (d.span,) * len(d.members))):
            members.append(self.add(Symbol(
                m, Role.ENUM_MEMBER, sp, sp, f"{m}: {d.name}", detail=d.name,
                notes=(f"member {i} of enum `{d.name}` ({len(d.members)} members)",))))
        sig = _short(f"enum {d.name} {{ {', '.join(d.members)} }}")
        return self.symbol(d.name, Role.ENUM, d.span, sig, detail="enum", children=tuple(members))

    def var(self, d: ast.VarDecl) -> Symbol:
        written = printer.type_expr(d.type)
        init = "" if d.init is None else f" = {_short(printer.expr(d.init))}"
        info = self.types.vars.get(d.name)
        notes = tuple(_resolved(written, info.type)) if info else ()
        if d.init is None:
            notes += ("initially any value of its type",)
        return self.symbol(d.name, Role.VARIABLE, d.span, f"var {d.name}: {written}{init}", detail=written,
                           notes=notes)

    def fn(self, d: ast.FnDecl) -> Symbol:
        self.params(d.params, d.span, f"fn {d.name}", {})
        self.binders([d.body], f"fn {d.name}")
        ret = printer.type_expr(d.ret)
        return self.symbol(d.name, Role.FUNCTION, d.span, f"fn {d.name}({_params(d.params)}): {ret}", detail=ret)

    def action(self, d: ast.ActionDecl) -> Symbol:
        self.params(d.params, d.span, f"action {d.name}", self.types.actions.get(d.name, {}))
        self.body(d.body, d.span, f"action {d.name}")
        sig = f"{ast.fair_prefix(d.fair)}action {d.name}" + (f"({_params(d.params)})" if d.params else "")
        return self.symbol(d.name, Role.ACTION, d.span, sig, detail="action", notes=_fairness(d.fair))

    def property(self, d: ast.PropertyDecl) -> Symbol:
        self.binders([d.expr] + ([d.goal] if d.goal is not None else []), f"{d.kind} {d.name}")
        if d.op is None:
            return self.symbol(d.name, Role.PROPERTY, d.span, _short(f"{d.kind} {d.name}: {printer.expr(d.expr)}"),
                               detail=d.kind)
        return self.symbol(d.name, Role.PROPERTY, d.span, _short(_temporal(d.name, d.op, d.expr, d.goal)),
                           detail=f"liveness ({d.op.value})", notes=(_temporal_meaning(d.op),))

    def process(self, d: ast.ProcessDecl | ast.ProcedureDecl) -> Symbol:
        kind = "process" if isinstance(d, ast.ProcessDecl) else "procedure"
        owner = f"{kind} {d.name}"
        info = self.types.processes.get(d.name) if isinstance(d, ast.ProcessDecl) else None
        param_types = dict(info.params) if info else {}
        children = list(self.params(d.params, d.span, owner, param_types))
        for v in d.locals:
            written = printer.type_expr(v.type)
            typ = self.types.process_local(d.name, v.name)
            notes = (f"local of {owner}" + ("; each instance has its own" if kind == "process" else ""),)
            children.append(self.symbol(v.name, Role.LOCAL, v.span, f"var {v.name}: {written}", detail=written,
                                        notes=notes + tuple(_resolved(written, typ)), owner=owner, scope=d.span))
        steps = [i for i in d.steps if isinstance(i, ast.StepDecl)]
        for n, step in enumerate(steps):
            children.append(self.symbol(step.label, Role.STEP, step.span, f"step {step.label}",
                                        detail=f"step {n + 1} of {len(steps)}", notes=(f"a step of {owner}",),
                                        owner=owner, scope=d.span))
            self.body(step.body, step.span, f"{owner}, step {step.label}")
        for item in d.steps:
            if isinstance(item, ast.CallItem):
                self.binders(item.args, owner)
        return self.symbol(d.name, Role.PROCESS if kind == "process" else Role.PROCEDURE, d.span,
                           _process_head(d), detail=kind, notes=_process_notes(d, info),
                           children=tuple(children))

    def lock(self, d: ast.LockDecl) -> Symbol:
        count = "" if d.count is None else f"[{printer.expr(d.count)}]"
        sig = f"rwsem {d.name}{count}" if d.kind == "rwsem" else f"lock {d.name}{count}: {d.kind}"
        info = self.types.locks.get(d.name)
        n = info.count if info is not None else None
        note = f"an array of {n} {d.kind}es" if n is not None and d.kind == "mutex" else (
            f"an array of {n} {d.kind}s" if n is not None else f"one {d.kind}")
        return self.symbol(d.name, Role.LOCK, d.span, sig, detail=d.kind, notes=(note,))

    def params(self, params: Iterable[ast.Param], scope: Span, owner: str,
               resolved: Mapping[str, Type]) -> list[Symbol]:
        out = []
        for p in params:
            written = printer.type_expr(p.type)
            out.append(self.add(Symbol(
                p.name, Role.PARAMETER, p.span, Span(p.span.file, p.span.line, p.span.col, p.span.line,
                                                      p.span.col + len(p.name)),
                f"{p.name}: {written}", detail=written,
                notes=(f"parameter of {owner}", *_resolved(written, resolved.get(p.name))),
                owner=owner, scope=scope)))
        return out

    # ---------------------------------------------------------------- statements and expressions

    def body(self, stmts: tuple[ast.Stmt, ...], block: Span, owner: str) -> None:
        """The locals, named assertions and quantifiers of a block; a local is visible
        from its `let` to the end of the block."""
        for s in stmts:
            self.binders(_stmt_exprs(s), owner)
            self.stmt(s, block, owner)

    def stmt(self, s: ast.Stmt, block: Span, owner: str) -> None:
        match s:
            case ast.Let(name=n, value=v, span=sp):
                self.local(n, sp, block, owner, f"= {_short(printer.expr(v))}")
            case ast.LetAny(name=n, type=ty, lo=lo, hi=hi, span=sp):
                pick = (printer.type_expr(ty) if ty is not None
                        else f"in {printer.expr(lo) if lo else '?'} .. {printer.expr(hi) if hi else '?'}")
                self.local(n, sp, block, owner, f"= any {pick}")
            case ast.Assert(name=str() as n, cond=c, span=sp) | ast.BugOn(name=str() as n, cond=c, span=sp):
                kw = "assert" if isinstance(s, ast.Assert) else "bug_on"
                self.symbol(n, Role.PROPERTY, sp, _short(f"{kw} {n}: {printer.expr(c)}"), detail=kw,
                            notes=(f"checked where it is written, in {owner}",))
            case ast.If(then=a, else_=b, span=sp):
                self.body(a, sp, owner)
                self.body(b, sp, owner)
            case (ast.Assign() | ast.HavocType() | ast.HavocRange() | ast.Require() | ast.Assert() | ast.Goto()
                  | ast.Done() | ast.LockStmt() | ast.BugOn() | ast.Rcu()):
                pass
            case _:
                assert_never(s)

    def local(self, name: str, span: Span, block: Span, owner: str, value: str) -> None:
        typ = self.types.locals.get(span)
        scope = Span(span.file, span.line, span.col, block.end_line, block.end_col)
        sig = f"let {name}" + (f": {typ}" if typ is not None else "") + f" {value}"
        self.symbol(name, Role.LOCAL, span, sig, detail=str(typ) if typ else "", scope=scope, owner=owner,
                    notes=(f"local of {owner}",))

    def binders(self, exprs: Iterable[ast.Expr], owner: str) -> None:
        for e in exprs:
            for q in ast.walk(e):
                if isinstance(q, ast.Quant):
                    self.quant(q, owner)

    def quant(self, q: ast.Quant, owner: str) -> None:
        for b in q.binders:
            if b.type is not None:
                typ = printer.type_expr(b.type)
            else:
                lo, hi = (printer.expr(x) if x is not None else "?" for x in (q.lo, q.hi))
                typ = f"int in {lo} .. {hi}"
            self.add(Symbol(b.name, Role.BOUND, b.span, b.span, f"{b.name}: {typ}", detail=typ,
                            notes=(f"bound by `{q.kind}` in {owner}",), owner=owner, scope=q.span))


def _stmt_exprs(s: ast.Stmt) -> tuple[ast.Expr, ...]:
    """The expressions written directly in `s` (not in the statements of its blocks)."""
    match s:
        case ast.Assign(target=lv, value=v):
            return _lvalue_exprs(lv) + (v,)
        case ast.HavocType(target=lv):
            return _lvalue_exprs(lv)
        case ast.HavocRange(target=lv, lo=lo, hi=hi):
            return _lvalue_exprs(lv) + (lo, hi)
        case ast.If(cond=c) | ast.Require(cond=c) | ast.Assert(cond=c) | ast.BugOn(cond=c) | ast.Let(value=c):
            return (c,)
        case ast.LetAny(lo=lo, hi=hi):
            return tuple(e for e in (lo, hi) if e is not None)
        case ast.LockStmt(lock=ast.LockRef(index=i)):
            return () if i is None else (i,)
        case ast.Goto() | ast.Done() | ast.Rcu():
            return ()
        case _:
            assert_never(s)


def _lvalue_exprs(lv: ast.LValue) -> tuple[ast.Expr, ...]:
    match lv:
        case ast.LvVar():
            return ()
        case ast.LvElem(index=i):
            return (i,)
        case ast.LvSlice(lo=lo, hi=hi):
            return (lo, hi)
        case _:
            assert_never(lv)


# ---------------------------------------------------------------- text of declarations


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SIGNATURE else text[:MAX_SIGNATURE - 3] + "..."


def _params(ps: Iterable[ast.Param]) -> str:
    return ", ".join(f"{p.name}: {printer.type_expr(p.type)}" for p in ps)


def _resolved(written: str, typ: Type | None) -> list[str]:
    """A note giving the resolved type when it says more than the type as written."""
    return [] if typ is None or str(typ) == written else [f"type: `{typ}`"]


def _value(v: int | bool, typ: Type) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(typ, EnumT) and 0 <= v < len(typ.members):
        return typ.members[v]
    return str(v) if -10 < v < 10 else f"{v} ({v:#x})"


def _fairness(f: ast.FairKind | None) -> tuple[str, ...]:
    match f:
        case None:
            return ()
        case ast.FairKind.WEAK:
            return ("weakly fair: if it stays enabled from some point on, it is taken infinitely often",)
        case ast.FairKind.STRONG:
            return ("strongly fair: if it is enabled infinitely often, it is taken infinitely often",)
        case _:
            assert_never(f)


def _temporal(name: str, op: ast.TemporalOp, p: ast.Expr, q: ast.Expr | None) -> str:
    match op:
        case ast.TemporalOp.ALWAYS_EVENTUALLY | ast.TemporalOp.EVENTUALLY_ALWAYS:
            return f"property {name}: {op.value} {printer.expr(p)}"
        case ast.TemporalOp.LEADS_TO:
            return f"property {name}: {printer.expr(p)} leads_to {printer.expr(q) if q is not None else '?'}"
        case _:
            assert_never(op)


def _temporal_meaning(op: ast.TemporalOp) -> str:
    match op:
        case ast.TemporalOp.ALWAYS_EVENTUALLY:
            return "on every fair run, P holds infinitely often"
        case ast.TemporalOp.EVENTUALLY_ALWAYS:
            return "on every fair run, P holds from some point on"
        case ast.TemporalOp.LEADS_TO:
            return "on every fair run, each state where P holds is followed (at it or later) by one where Q holds"
        case _:
            assert_never(op)


def _process_head(d: ast.ProcessDecl | ast.ProcedureDecl) -> str:
    params = f"({_params(d.params)})" if d.params else ""
    if isinstance(d, ast.ProcedureDecl):
        return f"procedure {d.name}({_params(d.params)})"
    count = "" if d.count is None else f"[{printer.expr(d.count)}]"
    return f"{ast.fair_prefix(d.fair)}process {d.name}{count}{params}"


def _process_notes(d: ast.ProcessDecl | ast.ProcedureDecl, info: ProcessInfo | None) -> tuple[str, ...]:
    items = [i.label if isinstance(i, ast.StepDecl) else f"call {i.proc}" for i in d.steps]
    notes = [("steps: " + " → ".join(items) + (" → (loop)" if isinstance(d, ast.ProcessDecl) and d.loop else ""))
             if items else "no steps"]
    if info is not None and info.count > 1:
        notes.append(f"{info.count} instances")
    if isinstance(d, ast.ProcessDecl):
        notes += _fairness(d.fair)
    return tuple(notes)


def _scen_item(i: ast.ScenItem) -> str:
    match i:
        case ast.ScenCall(action=a, args=None):
            return a
        case ast.ScenCall(action=a, args=args):
            return f"{a}({', '.join('_' if x is None else printer.expr(x) for x in args or ())})"
        case ast.ScenStep(process=p, index=None, step=s):
            return f"{p}.{s}"
        case ast.ScenStep(process=p, index=n, step=s):
            return f"{p}[{n}].{s}"
        case ast.ScenGap():
            return "..."
        case _:
            assert_never(i)
