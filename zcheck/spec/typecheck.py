"""Front end: name resolution and type checking, `ast.Module`s → `CheckedSpec`.

Input: the parsed modules of a model (main file first, then its imports) and the `-D`
overrides. Output: a `CheckedSpec` whose expressions are typed trees (`spec.typed`),
or a `DiagnosticError` with every problem found (one per statement at most).
Concrete constants are evaluated here, so `-D` changes ranges and folded literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NoReturn, TypeVar, assert_never

from zcheck.diagnostics import Diagnostic, Sources, Span
from zcheck.spec import ast, ops, threads
from zcheck.spec import typed as t
from zcheck.spec.checked import LockInfo
from zcheck.spec.ops import Op, Operands, Result
from zcheck.spec.types import (
    BOOL, INT, BoolT, BvT, EnumT, IntT, MapT, RangeT, Type, compatible, is_intlike, is_scalar,
)

MAX_BV_WIDTH = 4096
MAX_INLINED_NODES = 100_000  # an expression with every `fn` call inlined (ZC102 beyond)
MAX_INLINED_DEPTH = 2_000

R = TypeVar("R")


class _Bad(Exception):
    """Abandon the current statement or declaration; the diagnostic is already recorded."""


@dataclass
class _Scope:
    """Names visible inside one body: params, lets, bound variables, process locals."""

    names: dict[str, t.TExpr] = field(default_factory=dict)
    writable: dict[str, str] = field(default_factory=dict)  # local name → state var name
    where: str = "expression"  # "action NAME", "process P step S", "init", "property"
    proc: str | None = None
    hoist: list[t.TStmt] | None = None  # statements a trylock in the current statement runs first
    effects: bool = False  # a step or action body: lock statements and trylocks allowed

    def child(self) -> "_Scope":
        return _Scope(dict(self.names), dict(self.writable), self.where, self.proc, None, self.effects)


class Checker:
    """Holds the global tables while checking one model. Not shared between runs."""

    def __init__(self, modules: list[ast.Module], overrides: dict[str, ast.Expr], sources: Sources):
        self.modules = modules
        self.overrides = overrides
        self.sources = sources
        self.diags: list[Diagnostic] = []
        self.decl_of: dict[str, tuple[str, ast.Decl | None, Span]] = {}  # name → (role, decl, span)
        self.types: dict[str, Type] = {}
        self.enum_of_member: dict[str, EnumT] = {}
        self.const_values: dict[str, int | bool | None] = {}
        self.const_types: dict[str, Type] = {}
        self.const_state: dict[str, str] = {}  # "busy" | "done"
        self.var_types: dict[str, Type] = {}
        self.fns: dict[str, ast.FnDecl] = {}
        self.fn_state: dict[str, str] = {}
        self.fn_checked: dict[str, tuple[tuple[tuple[str, Type], ...], Type, t.TExpr]] = {}
        self.counter = 0
        self.actions: dict[str, ast.ActionDecl] = {}
        self.processes: dict[str, ast.ProcessDecl] = {}
        self.procedures: dict[str, ast.ProcedureDecl] = {}
        self.lock_decls: dict[str, ast.LockDecl] = {}
        self.layout = threads.Layout()

    # ------------------------------------------------------------ reporting

    def err(self, code: str, msg: str, span: Span, notes: tuple[str, ...] = ()) -> NoReturn:
        self.diags.append(Diagnostic(code, msg, span, notes=notes))
        raise _Bad()

    def guard(self, fn: Callable[[], R]) -> R | None:
        """`fn()`, or None when it reported an error (and raised `_Bad`); `fn` runs now."""
        try:
            return fn()
        except _Bad:
            return None

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}#{self.counter}"

    # ------------------------------------------------------------ declarations

    def declare(self, name: str, role: str, decl: ast.Decl | None, span: Span) -> None:
        if name in self.decl_of:
            prev = self.decl_of[name][2]
            self.diags.append(
                Diagnostic("ZC202", f"`{name}` is already declared (as a {self.decl_of[name][0]})", span,
                           notes=(f"first declared at {prev}",))
            )
            return
        self.decl_of[name] = (role, decl, span)

    def collect(self) -> None:
        models = [d for m in self.modules for d in m.decls if isinstance(d, ast.ModelDecl)]
        for extra in models[1:]:
            if extra.span.file == models[0].span.file:
                self.diags.append(Diagnostic("ZC202", "at most one `model` declaration per file", extra.span))
        for m in self.modules:
            for d in m.decls:
                self.collect_decl(d)

    def collect_decl(self, d: ast.Decl) -> None:
        match d:
            case ast.ConstDecl(name=name):
                self.declare(name, "constant", d, d.span)
            case ast.TypeDecl(name=name):
                self.declare(name, "type", d, d.span)
            case ast.EnumDecl(name=name, members=members):
                self.declare(name, "type", d, d.span)
                enum = EnumT(name, members)
                seen: set[str] = set()
                for member, mspan in zip(members, d.member_spans or [d.span] * len(members)):
                    if member in seen:
                        self.diags.append(Diagnostic("ZC202", f"enum member `{member}` listed twice", mspan))
                        continue
                    seen.add(member)
                    self.declare(member, "enum member", d, mspan)
                    self.enum_of_member.setdefault(member, enum)
                self.types[name] = enum
            case ast.VarDecl(name=name):
                self.declare(name, "variable", d, d.span)
            case ast.FnDecl(name=name):
                self.declare(name, "function", d, d.span)
                self.fns.setdefault(name, d)
            case ast.ActionDecl(name=name):
                self.declare(name, "action", d, d.span)
                self.actions.setdefault(name, d)
            case ast.PropertyDecl(name=name, kind=kind):
                self.declare(name, "liveness property" if kind == "liveness" else kind, d, d.span)
            case ast.LockDecl(name=name):
                self.declare(name, "lock", d, d.span)
                self.lock_decls.setdefault(name, d)
            case ast.ProcessDecl(name=name):
                self.declare(name, "process", d, d.span)
                self.processes.setdefault(name, d)
            case ast.ProcedureDecl(name=name):
                self.declare(name, "procedure", d, d.span)
                self.procedures.setdefault(name, d)
            case ast.ScenarioDecl(name=name):
                self.declare(name, "scenario", d, d.span)
            case (ast.ModelDecl() | ast.ImportDecl() | ast.AssumeDecl() | ast.InitDecl()
                  | ast.TransitionsDecl() | ast.CheckDecl()):
                pass

    # ------------------------------------------------------------ types

    def resolve_type(self, te: ast.TypeExpr, seen: frozenset[str] = frozenset()) -> Type:
        match te:
            case ast.TypeName(name=name):
                return self.named_type(name, te.span, seen)
            case ast.TypeMap(key=key, value=value):
                kt = self.resolve_type(key, seen)
                vt = self.resolve_type(value, seen)
                if not is_scalar(kt) or not is_scalar(vt):
                    self.err("ZC302", "map keys and values must be scalar types (no maps of maps)", te.span)
                return MapT(kt, vt)
            case ast.TypeRange(lo=lo, hi=hi):
                lo_v = self.const_int(lo)
                hi_v = self.const_int(hi)
                if hi_v <= lo_v:
                    self.err("ZC302", f"empty range type {lo_v} .. {hi_v} (ranges are half-open)", te.span)
                return RangeT(lo_v, hi_v)

    def named_type(self, name: str, span: Span, seen: frozenset[str]) -> Type:
        if name == "int":
            return INT
        if name == "bool":
            return BOOL
        if name.startswith("bv") and name[2:].isdigit():
            width = int(name[2:])
            if not 1 <= width <= MAX_BV_WIDTH:
                self.err("ZC302", f"bit-vector width must be 1..{MAX_BV_WIDTH}", span)
            return BvT(width)
        if name in self.types:
            return self.types[name]
        entry = self.decl_of.get(name)
        if entry is None:
            self.err("ZC201", f"unknown type `{name}`", span)
        role, decl, _ = entry
        if not isinstance(decl, ast.TypeDecl) or role != "type":
            self.err("ZC203", f"`{name}` is a {role}, not a type", span)
        if name in seen:
            self.err("ZC306", f"type alias `{name}` refers to itself", span)
        resolved = self.resolve_type(decl.type, seen | {name})
        if isinstance(resolved, IntT):
            resolved = IntT(hint=name)
        self.types[name] = resolved
        return resolved

    # ------------------------------------------------------------ constants

    def const_value(self, name: str, span: Span) -> tuple[Type, int | bool | None]:
        state = self.const_state.get(name)
        if state == "done":
            return self.const_types[name], self.const_values[name]
        if state == "busy":
            self.err("ZC306", f"constant `{name}` is defined in terms of itself", span)
        decl = self.decl_of[name][1]
        assert isinstance(decl, ast.ConstDecl)
        self.const_state[name] = "busy"
        try:
            typ = self.resolve_type(decl.type)
            if isinstance(typ, MapT):
                self.err("ZC302", "a constant must have a scalar type", decl.type.span)
            value_expr = self.overrides.get(name, decl.value)
            value: int | bool | None = None
            if value_expr is not None:
                texpr = self.expr(value_expr, _Scope(where="constant"))
                if name in self.overrides and not compatible(typ, texpr.type) and not (
                    isinstance(typ, BvT) and isinstance(texpr, t.Lit) and isinstance(texpr.type, IntT)
                ):
                    self.err("ZC401", f"-D {name}: `{name}` has type {typ}, the value has type {texpr.type}",
                             Span("<command line>", 1, 1, 1, 1))
                self.expect_type(typ, texpr, value_expr.span, f"constant `{name}`")
                value = self.fold(texpr, value_expr.span)
                if isinstance(typ, RangeT) and not typ.lo <= int(value) < typ.hi:
                    self.err("ZC301", f"value {value} of `{name}` is outside {typ}", value_expr.span)
                if isinstance(typ, BvT):
                    value = int(value) % (1 << typ.width)
        except _Bad:
            self.const_state[name] = "done"
            self.const_types[name] = INT
            self.const_values[name] = 0
            raise
        self.const_state[name] = "done"
        self.const_types[name] = typ
        self.const_values[name] = value
        return typ, value

    def fold(self, e: t.TExpr, span: Span) -> int | bool:
        """Evaluate a closed typed expression (constants only) to a value."""
        match e:
            case t.Lit(value=v):
                return v
            case t.Unop(op=op, arg=a, type=typ):
                return ops.unop(op, self.fold(a, span), typ)
            case t.Binop(op=op, left=a, right=b):
                return ops.binop(op, self.fold(a, span), self.fold(b, span), a.type)
            case t.Ite(cond=c, then=a, else_=b):
                return self.fold(a, span) if self.fold(c, span) else self.fold(b, span)
            case t.Var() | t.Old() | t.Const() | t.Param() | t.Local() | t.Bound() | t.Read() | t.Quant():
                self.err("ZC304", "a constant expression is required here (no variables or symbolic constants)", span)
            case _:
                assert_never(e)

    def const_int(self, e: ast.Expr) -> int:
        texpr = self.expr(e, _Scope(where="constant"))
        if not is_intlike(texpr.type):
            self.err("ZC301", f"expected an integer constant, found {texpr.type}", e.span)
        return int(self.fold(texpr, e.span))

    # ------------------------------------------------------------ expressions

    def expect_type(self, want: Type, got: t.TExpr, span: Span, what: str) -> t.TExpr:
        if isinstance(want, BvT) and isinstance(got, t.Lit) and isinstance(got.type, IntT):
            return t.Lit(int(got.value) % (1 << want.width), want, got.span)
        if not compatible(want, got.type):
            self.err("ZC301", f"{what} has type {want}, but the value has type {got.type}", span)
        return got

    def expr(self, e: ast.Expr, scope: _Scope) -> t.TExpr:
        match e:
            case ast.IntLit(value=v):
                return t.Lit(v, INT, e.span)
            case ast.BoolLit(value=v):
                return t.Lit(v, BOOL, e.span)
            case ast.Name(id=name):
                return self.name(name, e.span, scope)
            case ast.Call():
                return self.call(e, scope)
            case ast.Index(base=base, index=index):
                return self.index(e, base, index, scope)
            case ast.Unary(op=op, operand=operand):
                return self.unary(e, op, self.expr(operand, scope))
            case ast.Binary(op=op, left=left, right=right):
                return self.binary(e, op, self.expr(left, scope), self.expr(right, scope))
            case ast.IfExpr(cond=c, then=a, else_=b):
                return self.ite(e.span, self.cond(c, scope, "`if` condition"), self.expr(a, scope), self.expr(b, scope))
            case ast.InRange(elem=elem, lo=lo, hi=hi):
                x = self.intlike(elem, scope)
                lo_t, hi_t = self.intlike(lo, scope), self.intlike(hi, scope)
                return self.between(x, lo_t, hi_t, e.span)
            case ast.Quant():
                return self.quant(e, scope)
            case ast.Field():
                return self.field(e, scope)
            case ast.TryLock():
                return self.trylock(e, scope)
            case _:
                assert_never(e)

    def name(self, name: str, span: Span, scope: _Scope) -> t.TExpr:
        if name in scope.names:
            found = scope.names[name]
            return _respan(found, span)
        entry = self.decl_of.get(name)
        if entry is None and name == "self":
            if scope.proc is None:
                self.err("ZC505", "`self` is only meaningful inside a process (the instance's index)", span)
            count = self.layout.procs[scope.proc].count
            return t.Var(f"{scope.proc}[].#self", RangeT(0, count), span)
        if entry is None and name in (threads.NONE, threads.ENV):
            return self.layout.owner_lit(name, span)
        if entry is None:
            self.err("ZC201", f"unknown name `{name}`", span, _suggest(name, list(self.decl_of) + list(scope.names)))
        role = entry[0]
        if role == "constant":
            typ, value = self.const_value(name, span)
            if value is None:
                return t.Const(name, typ, span)
            return t.Lit(value, typ, span)
        if role == "enum member":
            enum = self.enum_of_member[name]
            return t.Lit(enum.members.index(name), enum, span)
        if role == "variable":
            if scope.where == "constant":  # before var_type: `type t = v .. 4; var v: t` would recurse
                self.err("ZC304", "a constant expression is required here (no variables or symbolic constants)", span)
            return t.Var(name, self.var_type(name), span)
        if role == "lock":
            info = self.lock_info(name, span)
            if info.kind == "rwsem" or info.count is not None:
                self.err("ZC301", f"`{name}` is {_a_lock(info)}: write `owner({name}[i])`, `writer({name})` "
                         "or `readers(...)`", span)
            return threads.lock_var(info, self.layout.owners, None, span)
        if role == "process":
            p = self.layout.procs[name]
            if p.count != 1:
                self.err("ZC301", f"process `{name}` has {p.count} instances: name one as `{name}[i]`", span)
            return self.layout.owner_lit(f"{name}[0]", span)
        self.err("ZC203", f"`{name}` is a {role}, not a value", span)

    # ------------------------------------------------------------ instances and locks

    def lock_info(self, name: str, span: Span) -> LockInfo:
        info = self.layout.locks.get(name)
        if info is None:
            entry = self.decl_of.get(name)
            if entry is not None:
                self.err("ZC203", f"`{name}` is a {entry[0]}, not a lock", span)
            self.err("ZC201", f"unknown lock `{name}`", span, _suggest(name, list(self.layout.locks)))
        return info

    def lock_ref(self, name: str, index: ast.Expr | None, span: Span, scope: _Scope) -> tuple[LockInfo, t.TExpr | None]:
        """A lock (array element) named in a statement or a lock expression."""
        info = self.lock_info(name, span)
        if info.count is None and index is not None:
            self.err("ZC301", f"`{name}` is a single lock, not an array", span)
        if info.count is not None and index is None:
            self.err("ZC301", f"`{name}` is an array of {info.count} locks: name one as `{name}[i]`", span)
        idx = None if index is None else self.intlike(index, scope)
        if isinstance(idx, t.Lit) and info.count is not None and not 0 <= int(idx.value) < info.count:
            self.err("ZC503", f"lock index {idx.value} is outside `{name}`'s 0 .. {info.count}", index.span)  # type: ignore[union-attr]
        return info, idx

    def lock_expr_ref(self, e: ast.Expr, scope: _Scope, what: str) -> tuple[LockInfo, t.TExpr | None]:
        match e:
            case ast.Name(id=name):
                return self.lock_ref(name, None, e.span, scope)
            case ast.Index(base=ast.Name(id=name), index=index):
                return self.lock_ref(name, index, e.span, scope)
            case _:
                self.err("ZC301", f"{what} takes a lock: `L` or `L[i]`", e.span)

    def instance(self, e: ast.Expr, scope: _Scope) -> tuple[threads.ProcLayout, t.TExpr]:
        """An instance written `walker[i]` or `unplug`: its process and index."""
        match e:
            case ast.Name(id=name) if name in self.layout.procs:
                p = self.layout.procs[name]
                if p.count != 1:
                    self.err("ZC301", f"process `{name}` has {p.count} instances: name one as `{name}[i]`", e.span)
                return p, t.Lit(0, INT, e.span)
            case ast.Index(base=ast.Name(id=name), index=index) if name in self.layout.procs:
                p = self.layout.procs[name]
                i = self.intlike(index, scope)
                if isinstance(i, t.Lit) and not 0 <= int(i.value) < p.count:
                    self.err("ZC503", f"`{name}` has instances 0 .. {p.count - 1}", index.span)
                return p, i
            case _:
                self.err("ZC301", "expected a process instance: `walker[i]`, or `unplug` for a single instance", e.span)

    def instance_value(self, p: threads.ProcLayout, i: t.TExpr, span: Span) -> t.TExpr:
        owners = self.layout.owners
        return threads.chain(i, p.count, lambda j: t.Lit(p.first_owner + j, owners, span),
                             self.layout.owner_lit(threads.NONE, span), owners, span)

    def field(self, e: ast.Field, scope: _Scope) -> t.TExpr:
        p, i = self.instance(e.base, scope)
        ftype = dict(p.fields).get(e.name)
        if ftype is None:
            names = ", ".join(f"`{n}`" for n, _ in p.fields) or "none"
            self.err("ZC201", f"process `{p.name}` has no local or parameter `{e.name}` (it has: {names})", e.span)
        return threads.chain(i, p.count, lambda j: t.Var(f"{p.name}[{j}].{e.name}", ftype, e.span),
                             t.Var(f"{p.name}[{p.count - 1}].{e.name}", ftype, e.span), ftype, e.span)

    def at(self, e: ast.Call, scope: _Scope) -> t.TExpr:
        if len(e.args) != 2:
            self.err("ZC204", f"`at` takes 2 arguments (an instance and a step), got {len(e.args)}", e.span)
        p, i = self.instance(e.args[0], scope)
        label = _dotted(e.args[1])
        if label is None:
            self.err("ZC301", "the second argument of `at` is a step label: `read`, `online_block.check`, `done`",
                     e.args[1].span)
        pcs = p.pcs(label)
        if not pcs:
            self.diags.append(threads.missing_label(p, label, e.args[1].span))
            raise _Bad()
        span = e.span

        def at_pc(j: int) -> t.TExpr:
            pc = t.Var(f"{p.name}[{j}].pc", INT, span)
            return threads.disjoin([t.Binop(Op.EQ, pc, t.Lit(k, INT, span), BOOL, span) for k in pcs], span)

        return threads.chain(i, p.count, at_pc, t.Lit(False, BOOL, span), BOOL, span)

    def lock_call(self, e: ast.Call, scope: _Scope) -> t.TExpr:
        want = 2 if e.func == "held_by" else 1
        if len(e.args) != want:
            self.err("ZC204", f"`{e.func}` takes {want} argument{'s' if want > 1 else ''}, got {len(e.args)}", e.span)
        info, idx = self.lock_expr_ref(e.args[0], scope, f"`{e.func}`")
        owners = self.layout.owners
        if e.func == "owner" and info.kind == "rwsem":
            self.err("ZC301", f"`{info.name}` is an rwsem: use `writer(...)` or `readers(...)`", e.span)
        if e.func in ("writer", "readers") and info.kind != "rwsem":
            self.err("ZC301", f"`{e.func}` applies to an rwsem; `{info.name}` is {_a_lock(info)}: use `owner(...)`",
                     e.span)
        match e.func:
            case "owner" | "writer":
                return threads.lock_var(info, owners, idx, e.span)
            case "readers":
                return threads.readers_sum(info, idx, e.span)
            case _:
                who = self.expr(e.args[1], scope)
                if who.type != owners:
                    self.err("ZC301", f"the second argument of `held_by` is an owner (`walker[i]`, `env`), "
                             f"found {who.type}", e.args[1].span)
                return threads.held_by(info, owners, idx, who, e.span)

    def trylock(self, e: ast.TryLock, scope: _Scope) -> t.TExpr:
        if scope.hoist is None:
            self.err("ZC505", f"`{e.op}` takes a lock: it may stand only in a statement of a step or action", e.span)
        info, idx = self.lock_ref(e.lock.name, e.lock.index, e.lock.span, scope)
        want = threads.TRY_OPS[e.op]
        if (want == "rwsem") != (info.kind == "rwsem"):
            self.err("ZC301", f"`{e.op}` applies to {'an rwsem' if want == 'rwsem' else 'a mutex or spinlock'}; "
                     f"`{info.name}` is {_a_lock(info)}", e.span)
        local = self.fresh(f"try:{info.name}")
        scope.hoist.append(t.STry(local, e.op, info.name, idx, e.span))
        return t.Local(local, BOOL, e.span)

    def var_type(self, name: str) -> Type:
        if name not in self.var_types:
            decl = self.decl_of[name][1]
            assert isinstance(decl, ast.VarDecl)
            try:
                self.var_types[name] = self.resolve_type(decl.type)
            except _Bad:
                self.var_types[name] = INT
                raise
        return self.var_types[name]

    def intlike(self, e: ast.Expr, scope: _Scope) -> t.TExpr:
        x = self.expr(e, scope)
        if not is_intlike(x.type) and not isinstance(x.type, BvT):
            self.err("ZC301", f"expected an integer, found {x.type}", e.span)
        return x

    def cond(self, e: ast.Expr, scope: _Scope, what: str) -> t.TExpr:
        x = self.expr(e, scope)
        if not isinstance(x.type, BoolT):
            self.err("ZC301", f"{what} must be bool, found {x.type}", e.span)
        return x

    def between(self, x: t.TExpr, lo: t.TExpr, hi: t.TExpr, span: Span) -> t.TExpr:
        x, lo = self.unify(x, lo, span)
        x, hi = self.unify(x, hi, span)
        return t.Binop(Op.AND, t.Binop(Op.LE, lo, x, BOOL, span), t.Binop(Op.LT, x, hi, BOOL, span), BOOL, span)

    def unify(self, a: t.TExpr, b: t.TExpr, span: Span) -> tuple[t.TExpr, t.TExpr]:
        """Make two operands comparable: int literals adapt to a bit-vector partner, and
        `0` to an owner (v1 read a free lock as 0)."""
        owners = self.layout.owners
        if a.type == owners and isinstance(b, t.Lit) and isinstance(b.type, IntT) and b.value == 0:
            return a, t.Lit(0, owners, b.span)
        if b.type == owners and isinstance(a, t.Lit) and isinstance(a.type, IntT) and a.value == 0:
            return t.Lit(0, owners, a.span), b
        if isinstance(a.type, BvT) and isinstance(b, t.Lit) and isinstance(b.type, IntT):
            return a, t.Lit(int(b.value) % (1 << a.type.width), a.type, b.span)
        if isinstance(b.type, BvT) and isinstance(a, t.Lit) and isinstance(a.type, IntT):
            return t.Lit(int(a.value) % (1 << b.type.width), b.type, a.span), b
        if is_intlike(a.type) and is_intlike(b.type):
            return a, b
        if a.type != b.type:
            self.err("ZC301", f"operands have different types: {a.type} and {b.type}", span)
        return a, b

    def call(self, e: ast.Call, scope: _Scope) -> t.TExpr:
        if e.func == "at" and e.func not in self.fns:
            return self.at(e, scope)
        if e.func in ("owner", "writer", "readers", "held_by") and e.func not in self.fns:
            return self.lock_call(e, scope)
        if e.func in ("min", "max") and e.func not in self.fns:
            if len(e.args) != 2:
                self.err("ZC204", f"`{e.func}` takes 2 arguments, got {len(e.args)}", e.span)
            a, b = self.unify(self.intlike(e.args[0], scope), self.intlike(e.args[1], scope), e.span)
            op = Op.LE if e.func == "min" else Op.GE
            if isinstance(a.type, BvT):
                typ: Type = a.type
            else:
                typ = a.type if a.type == b.type else INT
            return t.Ite(t.Binop(op, a, b, BOOL, e.span), a, b, typ, e.span)
        if e.func == "signed" and e.func not in self.fns:
            if len(e.args) != 1:
                self.err("ZC204", "`signed` takes 1 argument", e.span)
            x = self.expr(e.args[0], scope)
            if not isinstance(x.type, BvT):
                self.err("ZC301", "`signed` applies to bit-vectors", e.span)
            return t.Unop(Op.SIGNED, x, x.type, e.span)
        if e.func not in self.fns:
            entry = self.decl_of.get(e.func)
            if entry is None:
                self.err("ZC201", f"unknown function `{e.func}`", e.span, _suggest(e.func, list(self.fns)))
            self.err("ZC203", f"`{e.func}` is a {entry[0]}, not a function", e.span)
        params, ret, body = self.fn(e.func, e.span)
        if len(e.args) != len(params):
            self.err("ZC204", f"`{e.func}` takes {len(params)} arguments, got {len(e.args)}", e.span)
        mapping: dict[str, t.TExpr] = {}
        for (pname, ptype), arg in zip(params, e.args):
            targ = self.expect_type(ptype, self.expr(arg, scope), arg.span, f"argument `{pname}` of `{e.func}`")
            mapping[pname] = targ
        size, depth = _inlined_size(body, mapping)
        if size > MAX_INLINED_NODES or depth > MAX_INLINED_DEPTH:
            self.err("ZC102", f"this call of `{e.func}` inlines to an expression of {size:,} nodes, {depth:,} deep "
                     f"(functions are inlined; the limits are {MAX_INLINED_NODES:,} nodes and "
                     f"{MAX_INLINED_DEPTH:,} levels)", e.span)
        return _respan(self.subst(body, mapping), e.span)

    def fn(self, name: str, span: Span) -> tuple[tuple[tuple[str, Type], ...], Type, t.TExpr]:
        if name in self.fn_checked:
            return self.fn_checked[name]
        if self.fn_state.get(name) == "busy":
            self.err("ZC306", f"function `{name}` calls itself (ZDL functions are not recursive)", span)
        if self.fn_state.get(name) == "bad":
            raise _Bad()
        decl = self.fns[name]
        self.fn_state[name] = "busy"
        try:
            scope = _Scope(where=f"function {name}")
            params: list[tuple[str, Type]] = []
            for p in decl.params:
                if p.name in scope.names:
                    self.err("ZC202", f"parameter `{p.name}` listed twice", p.span)
                ptype = self.resolve_type(p.type)
                uname = f"fn:{name}.{p.name}"
                scope.names[p.name] = t.Local(uname, ptype, p.span)
                params.append((uname, ptype))
            ret = self.resolve_type(decl.ret)
            body = self.expect_type(ret, self.expr(decl.body, scope), decl.body.span, f"result of `{name}`")
        except _Bad:
            self.fn_state[name] = "bad"
            raise
        self.fn_state[name] = "done"
        self.fn_checked[name] = (tuple(params), ret, body)
        return self.fn_checked[name]

    def subst(self, e: t.TExpr, mapping: dict[str, t.TExpr]) -> t.TExpr:
        return substitute(e, lambda node: mapping.get(node.name) if isinstance(node, t.Local) else None)

    def index(self, e: ast.Index, base: ast.Expr, index: ast.Expr, scope: _Scope) -> t.TExpr:
        if isinstance(base, ast.Name) and base.id not in scope.names:
            role = self.decl_of.get(base.id, ("", None, None))[0]
            if role == "process":
                p, i = self.instance(e, scope)
                return self.instance_value(p, i, e.span)
            if role == "lock":
                info, idx = self.lock_ref(base.id, index, e.span, scope)
                if info.kind == "rwsem":
                    self.err("ZC301", f"`{base.id}` is an rwsem: write `writer({base.id}[i])` or `readers(...)`", e.span)
                return threads.lock_var(info, self.layout.owners, idx, e.span)
        m = self.expr(base, scope)
        if not isinstance(m.type, MapT):
            self.err("ZC301", f"only maps can be indexed; this has type {m.type}", base.span)
        i = self.expect_type(m.type.key, self.expr(index, scope), index.span, "the map index")
        return t.Read(m, i, m.type.value, e.span)

    def unary(self, e: ast.Unary, sym: str, a: t.TExpr) -> t.TExpr:
        op = ops.UNARY[sym]
        if op is Op.NEG and isinstance(a, t.Lit) and isinstance(a.type, IntT):
            return t.Lit(-int(a.value), INT, e.span)  # a negative literal
        info = ops.OPS[op]
        if not _accepts(info.operands, a.type):
            self.err("ZC301", f"`{sym}` needs {_NEEDS[info.operands]}, found {a.type}", e.span)
        return t.Unop(op, a, _result(info, a.type), e.span)

    def binary(self, e: ast.Binary, sym: str, a: t.TExpr, b: t.TExpr) -> t.TExpr:
        op = ops.BINARY[sym]
        match ops.OPS[op].operands:
            case Operands.BOOL:
                return self.logic(e.span, sym, op, a, b)
            case Operands.EQUALITY | Operands.ORDERED:
                return self.compare(e.span, sym, op, a, b)
            case Operands.NUMBER | Operands.BITS | Operands.SHIFT:
                return self.arith(e.span, sym, op, a, b)
            case other:
                assert_never(other)

    def logic(self, span: Span, sym: str, op: Op, a: t.TExpr, b: t.TExpr) -> t.TExpr:
        for side, x in (("left", a), ("right", b)):
            if not isinstance(x.type, BoolT):
                self.err("ZC301", f"the {side} side of `{sym}` must be bool, found {x.type}", span)
        return t.Binop(op, a, b, BOOL, span)

    def compare(self, span: Span, sym: str, op: Op, a: t.TExpr, b: t.TExpr) -> t.TExpr:
        signed = _is_signed(a) or _is_signed(b)
        a, b = self.unify(_unsigned(a), _unsigned(b), span)
        if isinstance(a.type, MapT):
            self.err("ZC301", "maps cannot be compared", span)
        if not _accepts(ops.OPS[op].operands, a.type):
            self.err("ZC301", f"`{sym}` needs numbers, found {a.type}", span)
        return t.Binop(ops.SIGNED.get(op, op) if signed else op, a, b, BOOL, span)

    def arith(self, span: Span, sym: str, op: Op, a: t.TExpr, b: t.TExpr) -> t.TExpr:
        a, b = self.unify(a, b, span)
        if not _accepts(Operands.NUMBER, a.type):
            self.err("ZC301", f"`{sym}` needs numbers, found {a.type}", span)
        info = ops.OPS[op]
        if info.operands is Operands.BITS and not isinstance(a.type, BvT):
            return self.int_bits(op, a, b, span)
        if info.divides and isinstance(b, t.Lit) and int(b.value) == 0:
            self.err("ZC305", f"`{sym}` by the constant 0", span)
        if info.operands is Operands.SHIFT and not isinstance(a.type, BvT):
            if not isinstance(b, t.Lit) or int(b.value) < 0 or int(b.value) > 4096:
                self.err("ZC304", "an int can only be shifted by a constant amount 0..4096 (use bvN)", span)
        typ = _result(info, a.type)
        result = t.Binop(op, a, b, typ, span)
        if isinstance(a, t.Lit) and isinstance(b, t.Lit):
            return t.Lit(self.fold(result, span), typ, span)
        return result

    def int_bits(self, op: Op, a: t.TExpr, b: t.TExpr, span: Span) -> t.TExpr:
        if isinstance(a, t.Lit) and isinstance(b, t.Lit):
            return t.Lit(ops.binop(op, a.value, b.value, INT), INT, span)
        self.err("ZC301", "bitwise operators need bit-vectors (bvN) unless both sides are constants", span)

    def ite(self, span: Span, c: t.TExpr, a: t.TExpr, b: t.TExpr) -> t.TExpr:
        a, b = self.unify(a, b, span)
        typ = a.type if a.type == b.type else INT
        return t.Ite(c, a, b, typ, span)

    def quant(self, e: ast.Quant, scope: _Scope) -> t.TExpr:
        inner = scope.child()
        binders: list[tuple[str, Type, t.TExpr | None]] = []
        for b in e.binders:
            if b.type is None:
                assert e.lo is not None and e.hi is not None
                lo, hi = self.intlike(e.lo, scope), self.intlike(e.hi, scope)
                btype: Type = lo.type if isinstance(lo.type, BvT) else INT
                var = t.Bound(self.fresh(b.name), btype, b.span)
                guard: t.TExpr | None = self.between(var, lo, hi, e.span)
            else:
                btype = self.resolve_type(b.type)
                if isinstance(btype, MapT):
                    self.err("ZC302", "quantified variables must have a scalar type", b.span)
                var = t.Bound(self.fresh(b.name), btype, b.span)
                guard = self.domain(var)
            inner.names[b.name] = var
            binders.append((var.name, btype, guard))
        body = self.cond(e.body, inner, "a quantifier body")
        for name, btype, guard in reversed(binders):
            if guard is not None:
                op = Op.IMPLIES if e.kind == "forall" else Op.AND
                body = t.Binop(op, guard, body, BOOL, e.span)
            body = t.Quant(e.kind, name, btype, body, BOOL, e.span)
        return body

    def domain(self, var: t.TExpr) -> t.TExpr | None:
        """The range restriction of a variable of a range or enum type (None if none)."""
        typ = var.type
        if isinstance(typ, RangeT):
            return self.between(var, t.Lit(typ.lo, INT), t.Lit(typ.hi, INT), var.span)
        if isinstance(typ, EnumT):
            return t.Binop(Op.AND, t.Binop(Op.LE, t.Lit(0, INT), var, BOOL),
                           t.Binop(Op.LT, var, t.Lit(len(typ.members), INT), BOOL), BOOL, var.span)
        return None

    # ------------------------------------------------------------ statements

    def body(self, stmts: tuple[ast.Stmt, ...], scope: _Scope) -> tuple[t.TStmt, ...]:
        out: list[t.TStmt] = []
        ended: ast.Stmt | None = None
        for s in stmts:
            if ended is not None:
                self.diags.append(Diagnostic(
                    "ZC506", "unreachable: the step always ends before this statement", s.span,
                    notes=(f"`{_ender(ended)}` at line {ended.span.line} ends the step",)))
                break
            scope.hoist = [] if scope.effects else None
            try:
                misplaced = _misplaced_trylock(s)
                if misplaced is not None:
                    self.err("ZC505", f"`{misplaced.op}` would run only on some evaluations here (under `&&`, `||`, "
                             "`->`, a branch or a quantifier): take it first with `let ok = ...`", misplaced.span)
                typed = self.stmt(s, scope)
                out.extend(scope.hoist or [])
                out.extend(typed)
            except _Bad:
                continue
            finally:
                scope.hoist = None
            if _always_ends(s):
                ended = s
        return tuple(out)

    def stmt(self, s: ast.Stmt, scope: _Scope) -> list[t.TStmt]:
        match s:
            case ast.Assign(target=target, value=value):
                return [self.assign(target, value, scope, s.span)]
            case ast.HavocType(target=target, type=typ):
                name, index, vtype = self.lvalue_target(target, scope)
                dom = self.resolve_type(typ)
                if not compatible(vtype, dom):
                    self.err("ZC301", f"`any {dom}` cannot be stored in a {vtype}", s.span)
                return [t.SHavoc(name, index, dom, None, None, self.fresh(target.name), s.span)]
            case ast.HavocRange(target=target, lo=lo, hi=hi):
                name, index, vtype = self.lvalue_target(target, scope)
                lo_t, hi_t = self.intlike(lo, scope), self.intlike(hi, scope)
                if not is_intlike(vtype):
                    self.err("ZC301", f"`any in lo .. hi` needs an integer target, found {vtype}", s.span)
                return [t.SHavoc(name, index, INT, lo_t, hi_t, self.fresh(target.name), s.span)]
            case ast.If(cond=c, then=then, else_=else_):
                cond = self.cond(c, scope, "`if` condition")
                return [t.SIf(cond, self.body(then, scope.child()), self.body(else_, scope.child()), s.span)]
            case ast.Let(name=name, value=value):
                v = self.expr(value, scope)
                if isinstance(v.type, MapT):
                    self.err("ZC501", "`let` of a whole map is not supported", s.span)
                uname = self.fresh(f"let:{name}")
                scope.names[name] = t.Local(uname, v.type, s.span)
                return [t.SLet(uname, v, s.span)]
            case ast.Require(cond=c):
                return [t.SRequire(self.cond(c, scope, f"`{s.keyword}`"), s.span)]
            case ast.Assert(name=name, cond=c):
                prop = name or f"{scope.where.split()[-1]}.assert@{s.span.line}"
                if name is not None:
                    self.declare_site(name, s.span)
                return [t.SAssert(prop, self.cond(c, scope, "`assert`"), s.span)]
            case ast.BugOn(name=name, cond=c):
                prop = name or f"{scope.where.split()[-1]}.bug_on@{s.span.line}"
                if name is not None:
                    self.declare_site(name, s.span)
                return [t.SBugOn(prop, self.cond(c, scope, "`bug_on`"), s.span)]
            case ast.Rcu(op=op):
                if scope.proc is None:
                    self.err("ZC505", f"`{op}` belongs to a process step: RCU read sections and grace periods "
                             "are an instance's", s.span)
                return [t.SRcu(op, s.span)]
            case ast.LetAny(name=name, type=typ, lo=lo, hi=hi):
                if typ is not None:
                    dom = self.resolve_type(typ)
                    if isinstance(dom, MapT):
                        self.err("ZC501", "`let ... = any` picks a scalar value", s.span)
                    low: t.TExpr | None = None
                    high: t.TExpr | None = None
                else:
                    assert lo is not None and hi is not None
                    low, high = self.intlike(lo, scope), self.intlike(hi, scope)
                    dom = low.type if isinstance(low.type, BvT) else INT
                uname = self.fresh(f"let:{name}")
                scope.names[name] = t.Local(uname, dom, s.span)
                return [t.SHavoc(uname, None, dom, low, high, self.fresh(name), s.span, local=True)]
            case ast.Goto(label=label):
                self.need_process(scope, "goto", s.span)
                return [t.SGoto(label, s.span)]
            case ast.Done():
                self.need_process(scope, "done", s.span)
                return [t.SDone(s.span)]
            case ast.LockStmt(op=op, lock=ref, nested=nested):
                info, idx = self.lock_ref(ref.name, ref.index, ref.span, scope)
                want = threads.LOCK_OPS[op]
                if (want == "rwsem") != (info.kind == "rwsem"):
                    hint = "acquire/release" if info.kind != "rwsem" else "down_read/up_read/down_write/up_write"
                    self.err("ZC301", f"`{op}` applies to {'an rwsem' if want == 'rwsem' else 'a mutex or spinlock'}; "
                             f"`{info.name}` is {_a_lock(info)} (use {hint})", s.span)
                if nested and op in ("release", "up_read", "up_write"):
                    self.err("ZC301", "`nested` annotates taking a lock, not releasing it", s.span)
                return [t.SLock(op, info.name, idx, nested, s.span)]

    def declare_site(self, name: str, span: Span) -> None:
        """A named assert or bug_on: one property may have several sites."""
        entry = self.decl_of.get(name)
        if entry is not None and entry[0] == "assertion":
            return
        self.declare(name, "assertion", None, span)

    def need_process(self, scope: _Scope, what: str, span: Span) -> None:
        if scope.proc is None:
            self.err("ZC501", f"`{what}` is only allowed in a process step", span)

    def lvalue_target(self, target: ast.LValue, scope: _Scope) -> tuple[str, t.TExpr | None, Type]:
        name = target.name
        var_name = self.writable_var(name, target.span, scope)
        vtype = self.var_type(var_name) if var_name in self.var_types or var_name in self.decl_of else scope.names[name].type
        match target:
            case ast.LvVar():
                return var_name, None, vtype
            case ast.LvElem(index=index):
                if not isinstance(vtype, MapT):
                    self.err("ZC301", f"`{name}` is not a map", target.span)
                idx = self.expect_type(vtype.key, self.expr(index, scope), index.span, "the map index")
                return var_name, idx, vtype.value
            case ast.LvSlice():
                self.err("ZC501", "`any` cannot fill a range; assign an element or the whole variable", target.span)

    def writable_var(self, name: str, span: Span, scope: _Scope) -> str:
        if name in scope.writable:
            return scope.writable[name]
        if name in scope.names:
            self.err("ZC303", f"`{name}` is a parameter or local, not a state variable; it cannot be assigned", span)
        entry = self.decl_of.get(name)
        if entry is None:
            self.err("ZC201", f"unknown variable `{name}`", span, _suggest(name, list(self.var_types) + list(self.decl_of)))
        if entry[0] != "variable":
            self.err("ZC303", f"`{name}` is a {entry[0]}; only state variables can be assigned", span)
        self.var_type(name)
        return name

    def assign(self, target: ast.LValue, value: ast.Expr, scope: _Scope, span: Span) -> t.TStmt:
        var_name = self.writable_var(target.name, target.span, scope)
        vtype = self.var_types.get(var_name) or scope.names[target.name].type
        match target:
            case ast.LvVar():
                v = self.expect_type(vtype, self.expr(value, scope), value.span, f"`{target.name}`")
                return t.SAssign(var_name, v, span)
            case ast.LvElem(index=index):
                if not isinstance(vtype, MapT):
                    self.err("ZC301", f"`{target.name}` is not a map", target.span)
                idx = self.expect_type(vtype.key, self.expr(index, scope), index.span, "the map index")
                v = self.expect_type(vtype.value, self.expr(value, scope), value.span, f"an element of `{target.name}`")
                return t.SStore(var_name, idx, v, span)
            case ast.LvSlice(lo=lo, hi=hi):
                if not isinstance(vtype, MapT):
                    self.err("ZC301", f"`{target.name}` is not a map", target.span)
                lo_t = self.expect_type(vtype.key, self.intlike(lo, scope), lo.span, "the range start")
                hi_t = self.expect_type(vtype.key, self.intlike(hi, scope), hi.span, "the range end")
                v = self.expect_type(vtype.value, self.expr(value, scope), value.span, f"an element of `{target.name}`")
                return t.SFill(var_name, lo_t, hi_t, v, span)


def _always_ends(s: ast.Stmt) -> bool:
    """Does every path through `s` end the step (goto, done, synchronize_rcu)?"""
    match s:
        case ast.Goto() | ast.Done():
            return True
        case ast.Rcu(op="synchronize_rcu"):
            return True
        case ast.If(then=a, else_=b):
            return any(_always_ends(x) for x in a) and any(_always_ends(x) for x in b)
        case _:
            return False


def _ender(s: ast.Stmt) -> str:
    match s:
        case ast.Goto(label=label):
            return f"goto {label}"
        case ast.Done():
            return "done"
        case ast.Rcu(op=op):
            return op
        case _:
            return "if"


def _misplaced_trylock(s: ast.Stmt) -> ast.TryLock | None:
    for e in threads._stmt_exprs(s) + ([s.cond] if isinstance(s, ast.If) else []):
        found = threads.trylock_misplaced(e)
        if found is not None:
            return found
    return None


def _dotted(e: ast.Expr) -> str | None:
    """`read`, `online_block.check` as a label string."""
    match e:
        case ast.Name(id=name):
            return name
        case ast.Field(base=b, name=name):
            head = _dotted(b)
            return None if head is None else f"{head}.{name}"
        case _:
            return None


def _a_lock(info: LockInfo) -> str:
    kind = {"mutex": "a mutex", "spinlock": "a spinlock", "rwsem": "an rwsem"}[info.kind]
    return kind if info.count is None else f"an array of {info.count} {info.kind}es".replace("rwsemes", "rwsems")


_NEEDS = {Operands.BOOL: "a bool", Operands.NUMBER: "a number", Operands.BITS: "a bit-vector"}  # unary operands


def _accepts(operands: Operands, typ: Type) -> bool:
    """May an operand of type `typ` stand where `operands` are asked for (once unified)?"""
    match operands:
        case Operands.BOOL:
            return isinstance(typ, BoolT)
        case Operands.EQUALITY:
            return True
        case Operands.ORDERED | Operands.NUMBER | Operands.SHIFT:
            return is_intlike(typ) or isinstance(typ, BvT)
        case Operands.BITS:
            return isinstance(typ, BvT)
        case other:
            assert_never(other)


def _result(info: ops.OpInfo, operand: Type) -> Type:
    match info.result:
        case Result.BOOL:
            return BOOL
        case Result.OPERAND:
            return operand if isinstance(operand, BvT) else INT
        case other:
            assert_never(other)


def _is_signed(e: t.TExpr) -> bool:
    return isinstance(e, t.Unop) and e.op is Op.SIGNED


def _unsigned(e: t.TExpr) -> t.TExpr:
    return e.arg if isinstance(e, t.Unop) and e.op is Op.SIGNED else e


def _inlined_size(body: t.TExpr, args: dict[str, t.TExpr]) -> tuple[int, int]:
    """(nodes, depth) of `body` with each parameter replaced by its argument, counted as a
    tree, without building it: inlined bodies share subtrees, so `f1(a) = f0(f0(a))`,
    `f2(a) = f1(f1(a))`, ... doubles the tree at each level while the shared graph grows
    by a few nodes. Iterative and memoised per shared node (linear in the graph)."""
    memo: dict[int, tuple[int, int]] = {}
    keep: list[t.TExpr] = []  # the nodes measured stay alive, so their ids stay theirs

    def measure(root: t.TExpr, leaf: Callable[[t.TExpr], tuple[int, int] | None]) -> tuple[int, int]:
        stack: list[tuple[t.TExpr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            fixed = leaf(node)
            if fixed is not None:
                memo[id(node)] = fixed
                keep.append(node)
                continue
            kids = t.children(node)
            if not ready:
                stack.append((node, True))
                stack.extend((k, False) for k in kids if id(k) not in memo)
                continue
            sizes = [memo[id(k)] for k in kids]
            memo[id(node)] = (1 + sum(a for a, _ in sizes), 1 + max((d for _, d in sizes), default=0))
            keep.append(node)
        return memo[id(root)]

    measured = {name: measure(arg, lambda n: None) for name, arg in args.items()}
    memo.clear()
    return measure(body, lambda n: measured.get(n.name) if isinstance(n, t.Local) else None)


def _respan(e: t.TExpr, span: Span) -> t.TExpr:
    """The same node with the use site's span (for diagnostics and explanations)."""
    import dataclasses

    return dataclasses.replace(e, span=span)


def _suggest(name: str, candidates: list[str]) -> tuple[str, ...]:
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1)
    return (f"did you mean `{close[0]}`?",) if close else ()


def substitute(e: t.TExpr, fn: Callable[[t.TExpr], t.TExpr | None]) -> t.TExpr:
    """Rebuild `e`, replacing every node for which `fn` returns a replacement."""
    repl = fn(e)
    if repl is not None:
        return repl
    kids = t.children(e)
    return t.with_children(e, tuple(substitute(k, fn) for k in kids)) if kids else e
