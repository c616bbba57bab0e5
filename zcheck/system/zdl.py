"""System: typed expressions over a `System`'s state, printed back as ZDL source text.

Input: a typed expression (spec/typed.py) whose variables are the `System`'s state
variables, e.g. an invariant the checker inferred. Output: ZDL text a reviewer can paste
into the model as a `lemma`, through the surface printer (spec/printer.py): the
lowering's bookkeeping variables are written back in the concurrency vocabulary of
docs/language.md §6 — `P[i].pc == k` as `at(P[i], label)`, a lock variable as
`owner(L)` / `writer(S)`, an instance's local `P[i].x` as `P[i].x`, an owner value as
`P[i]`, `none` or `env`.

Some state has no ZDL spelling (a procedure's parameters and locals, the hidden lockdep
and RCU bookkeeping, the read holds of one owner when an rwsem has several readers, the
second inlined copy of a procedure's step). `to_zdl` raises `Unprintable` for those;
`describe` prints them under their trace names instead and says the text is not ZDL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zcheck.spec import ast
from zcheck.spec import printer
from zcheck.spec import typed as t
from zcheck.spec.threads import ENV, NONE
from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.ir import System

_OPS = {"and": "&&", "or": "||", "implies": "->", "iff": "<->", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
        "gt": ">", "ge": ">=", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%", "band": "&",
        "bor": "|", "bxor": "^", "shl": "<<", "shr": ">>"}
_UNOPS = {"not": "!", "neg": "-", "bvnot": "~"}
_INSTANCE = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*)\[(\d+)\]$")


class Unprintable(Exception):
    """The expression reads state that ZDL cannot name (see the module docstring)."""


@dataclass(frozen=True)
class Printed:
    text: str
    zdl: bool  # False: some name is a trace name, not ZDL (the text cannot be pasted)


def to_zdl(system: System, e: t.TExpr) -> str:
    """`e` as ZDL source text; raises `Unprintable`."""
    return printer.expr(_Unparse(system, raw=False).expr(e))


def describe(system: System, e: t.TExpr) -> Printed:
    """`e` as ZDL when it can be written so, else with trace names where ZDL has none."""
    try:
        return Printed(to_zdl(system, e), True)
    except Unprintable:
        return Printed(printer.expr(_Unparse(system, raw=True).expr(e)), False)


class _Unparse:
    def __init__(self, system: System, raw: bool):
        self.sys = system
        self.raw = raw
        self.types = {v.name: v.type for v in system.vars}
        self.locks = {lk.name: lk for lk in system.locks}
        self.procs = {v.name[:-3] for v in system.vars
                      if v.name.endswith(".pc") and isinstance(v.type, EnumT) and not _hidden(v.name)}

    def fail(self, what: str, name: str) -> ast.Expr:
        if self.raw:
            return ast.Name(name)
        raise Unprintable(what)

    # ------------------------------------------------------------ expressions

    def expr(self, e: t.TExpr) -> ast.Expr:
        match e:
            case t.Lit(value=v, type=typ):
                return self.lit(v, typ)
            case t.Var(name=n):
                return self.var(n)
            case t.Read(map=t.Var(name=n), index=i) if self._lock_array(n):
                return self.lock_cell(n, self.expr(i))
            case t.Read(map=m, index=i):
                return ast.Index(self.expr(m), self.expr(i))
            case t.Unop(op=op, arg=a) if op in _UNOPS:
                return ast.Unary(_UNOPS[op], self.expr(a))
            case t.Binop(op=op, left=a, right=b) if op in ("eq", "ne") and self._pc_test(a, b) is not None:
                at = self._pc_test(a, b)
                assert at is not None
                return at if op == "eq" else ast.Unary("!", at)
            case t.Binop(op=op, left=a, right=b) if op in _OPS:
                return ast.Binary(_OPS[op], self.expr(a), self.expr(b))
            case t.Ite(cond=c, then=a, else_=b):
                return ast.IfExpr(self.expr(c), self.expr(a), self.expr(b))
            case t.Quant(kind=kind, var=var, var_type=vt, body=body):
                return ast.Quant(kind, (ast.Binder(t.display_name(var), _type_expr(vt)),), None, None, self.expr(body))
            case t.Bound(name=n):
                return ast.Name(t.display_name(n))
            case t.Const(name=n):
                return ast.Name(n)
            case _:
                return self.fail(f"no ZDL spelling for {type(e).__name__}", repr(e))

    def lit(self, v: int | bool, typ: Type) -> ast.Expr:
        match typ:
            case BoolT():
                return ast.BoolLit(bool(v))
            case EnumT(name=name, members=members) if self.sys.owners is not None and typ == self.sys.owners:
                return _owner(members[int(v)])
            case EnumT(name=name, members=members) if name.endswith(".pc"):
                return self.fail("a program counter value on its own", members[int(v)])
            case EnumT(members=members):
                return ast.Name(members[int(v)])
            case _:
                n = int(v)
                return ast.IntLit(n) if n >= 0 else ast.Unary("-", ast.IntLit(-n))

    def var(self, name: str) -> ast.Expr:
        if name in self.locks:
            info = self.locks[name]
            return ast.Call("writer" if info.kind == "rwsem" else "owner", (ast.Name(name),))
        if ".read[" in name and name.split(".read[", 1)[0] in self.locks:
            return self.readers(name, None)
        head, _, rest = name.partition(".")
        if head in self.procs:
            if re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", rest) and rest not in ("pc", "rcu"):
                return ast.Field(_owner(head), rest)
            return self.fail("a procedure's variable or an instance's bookkeeping", name)
        if name in self.types and not _hidden(name):
            return ast.Name(name)
        return self.fail(f"`{name}` has no ZDL name", name)

    def readers(self, name: str, index: ast.Expr | None) -> ast.Expr:
        lock = name.split(".read[", 1)[0]
        if len(self.locks[lock].readers) != 1:
            return self.fail(f"one owner's read holds of `{lock}`", name if index is None else f"{name}[...]")
        base: ast.Expr = ast.Name(lock) if index is None else ast.Index(ast.Name(lock), index)
        return ast.Call("readers", (base,))

    def _lock_array(self, name: str) -> bool:
        return name in self.locks or (".read[" in name and name.split(".read[", 1)[0] in self.locks)

    def lock_cell(self, name: str, index: ast.Expr) -> ast.Expr:
        if name in self.locks:
            info = self.locks[name]
            return ast.Call("writer" if info.kind == "rwsem" else "owner", (ast.Index(ast.Name(name), index),))
        return self.readers(name, index)

    def _pc_test(self, a: t.TExpr, b: t.TExpr) -> ast.Expr | None:
        """`at(P[i], label)` for `P[i].pc == k` (either side)."""
        if isinstance(b, t.Var) and isinstance(a, t.Lit):
            a, b = b, a
        if not (isinstance(a, t.Var) and isinstance(b, t.Lit) and a.name.endswith(".pc")):
            return None
        inst = a.name[:-3]
        typ = self.types.get(a.name)
        if inst not in self.procs or not isinstance(typ, EnumT):
            return None
        label = typ.members[int(b.value)]
        if "#" in label:  # a procedure's second inlined copy: `at` names every copy at once
            return self.fail("a step of a second call of a procedure", f"at({inst}, {label})")
        return ast.Call("at", (_owner(inst), _dotted(label)))


def _hidden(name: str) -> bool:
    """Bookkeeping with no ZDL name: lockdep's, a scenario's position, a liveness
    product's monitor and shadow variables (`live.shadow.p[0].pc` is no instance's pc)."""
    return name.startswith(("lockdep.", "live.")) or name == "scenario.pos"


def _owner(name: str) -> ast.Expr:
    if name in (NONE, ENV):
        return ast.Name(name)
    m = _INSTANCE.match(name)
    assert m is not None, name
    return ast.Index(ast.Name(m.group(1)), ast.IntLit(int(m.group(2))))


def _dotted(label: str) -> ast.Expr:
    parts = label.split(".")
    out: ast.Expr = ast.Name(parts[0])
    for p in parts[1:]:
        out = ast.Field(out, p)
    return out


def _type_expr(typ: Type) -> ast.TypeExpr:
    match typ:
        case BoolT():
            return ast.TypeName("bool")
        case IntT():
            return ast.TypeName("int")
        case RangeT(lo=lo, hi=hi):
            return ast.TypeRange(ast.IntLit(lo), ast.IntLit(hi))
        case EnumT(name=name):
            return ast.TypeName(name)
        case BvT(width=w):
            return ast.TypeName(f"bv{w}")
        case MapT():
            raise Unprintable("a quantifier over maps")
