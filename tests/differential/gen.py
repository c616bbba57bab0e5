"""Random small finite-state ZDL models: a data structure, a hypothesis strategy, a renderer.

The model is kept as frozen dataclasses (never as ZDL text) so that `explicit.py` can
interpret it independently of zcheck's parser and type checker. `render(model)` turns it
into ZDL text for zcheck.

Everything is finite: scalar variables are `bool`, `0 .. n` (n <= 4) or the enum
`color_t`; maps have a `0 .. k` key (k <= 4) and a bool / `0 .. n` / enum value. Every
write to a range-typed location is in range *by construction* (a range-valued
expression is a literal in range, a location of a no-larger range, `(e) % n`, or an
`if`/`min`/`max` of such), so implicit `range@LINE` properties never fire. Divisors
are non-zero literals, so `no_div_by_zero` never fires either. Map indices are
range-valued expressions of the key's range, so reads and writes stay in the key domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Union

from hypothesis import strategies as st

ENUM_NAME = "color_t"
ENUM_MEMBERS = ("RED", "GREEN", "BLUE")


# ----------------------------------------------------------------------------- types


@dataclass(frozen=True)
class TBool:
    pass


@dataclass(frozen=True)
class TRange:
    n: int  # values 0 .. n-1 (ZDL `0 .. n`, half-open)


@dataclass(frozen=True)
class TEnum:
    pass


Scalar = Union[TBool, TRange, TEnum]


@dataclass(frozen=True)
class TMap:
    key: int  # keys 0 .. key-1
    val: Scalar


Type = Union[TBool, TRange, TEnum, TMap]


# ----------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Lit:
    value: Union[bool, int]  # enum literals are member indices
    typ: Scalar


@dataclass(frozen=True)
class Name:
    name: str  # a state variable, an action parameter or a quantified variable


@dataclass(frozen=True)
class Read:
    map: str
    index: "Expr"


@dataclass(frozen=True)
class Not:
    arg: "Expr"


@dataclass(frozen=True)
class Bin:
    op: str  # + - % == != < <= > >= && || -> <->
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"


@dataclass(frozen=True)
class Call:
    fn: str  # min | max
    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class Quant:
    kind: str  # forall | exists
    var: str
    n: int  # var ranges over 0 .. n-1
    body: "Expr"


@dataclass(frozen=True)
class InRange:
    elem: "Expr"
    lo: int
    hi: int


# --- concurrency v2 (docs/language.md §6): locks, trylocks, picks, owners in expressions


@dataclass(frozen=True)
class TryLock:
    """`try_acquire L`, `down_read_trylock S`, `down_write_trylock S` (`L[i]` for an array): a
    bool expression with an effect, generated only as an `if` condition (maybe under `!`),
    a `let` value or an assigned value."""

    op: str
    lock: str
    index: Optional["Expr"] = None


@dataclass(frozen=True)
class AnyBool:
    """`any bool`: only as the value of a `let` (a nondeterministic local)."""


@dataclass(frozen=True)
class SelfIdx:
    """`self`: the instance's index, inside a process step."""


@dataclass(frozen=True)
class Who:
    """An owner constant: `none` (who=None), `env`, or an instance (`p0[1]`, `p1` when
    p1 has one instance); `who` is the instance's canonical name `P[i]`."""

    who: Optional[str]
    text: str


@dataclass(frozen=True)
class OwnerOf:
    fn: str  # owner (a mutex) | writer (an rwsem)
    lock: str
    index: Optional[int] = None  # a literal index for a lock array


@dataclass(frozen=True)
class ReadersOf:
    lock: str
    index: Optional[int] = None


@dataclass(frozen=True)
class HeldBy:
    lock: str
    index: Optional[int]
    who: Who


@dataclass(frozen=True)
class At:
    inst: str  # canonical `P[i]`
    text: str  # as written in ZDL
    label: str  # `sK`, `done`, `crashed`
    pc: int  # the pc value of that label: K, #steps (done), #steps + 1 (crashed)


@dataclass(frozen=True)
class InstIdx:
    """`p0[e]` as an owner, with a computed index `e`: `none` outside 0 .. count."""

    proc: str
    count: int
    index: "Expr"


@dataclass(frozen=True)
class AtIdx:
    """`at(p0[e], label)` (`at(p0, label)` when `short`): false for an index outside
    0 .. count; `pcs` are the flat pcs the label names (a procedure's step `q0s1` or
    `q0.q0s1` names every call of it; see `flatten`)."""

    proc: str
    count: int
    index: "Expr"
    label: str
    pcs: tuple
    short: bool = False


@dataclass(frozen=True)
class Field:
    """`p0[e].x` (`p0.x` when `short`): instance e's local or parameter x; a computed
    index outside 0 .. count reads the last instance's."""

    proc: str
    count: int
    index: "Expr"
    name: str
    short: bool = False


Expr = Union[Lit, Name, Read, Not, Bin, Ite, Call, Quant, InRange, TryLock, SelfIdx, Who, OwnerOf, ReadersOf,
             HeldBy, At, InstIdx, AtIdx, Field]


# ----------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Assign:
    var: str
    value: Expr


@dataclass(frozen=True)
class Store:
    map: str
    index: Expr
    value: Expr


@dataclass(frozen=True)
class Fill:
    map: str
    lo: int
    hi: int
    value: Expr


@dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple
    else_: tuple


@dataclass(frozen=True)
class Require:
    cond: Expr


@dataclass(frozen=True)
class Assert:
    name: str
    cond: Expr


@dataclass(frozen=True)
class LockOp:
    """`acquire L`, `release L`, `down_read S`, `up_read S`, `down_write S`, `up_write S`;
    `index` for an element of a lock array, `nested` on a blocking acquisition."""

    op: str
    lock: str
    index: Optional[Expr] = None
    nested: bool = False


@dataclass(frozen=True)
class Let:
    name: str
    value: object  # an Expr (a TryLock included) or AnyBool()


@dataclass(frozen=True)
class BugOn:
    name: str
    cond: Expr


@dataclass(frozen=True)
class Goto:
    step: int  # `goto sK`: only in process steps, only as the last statement of a branch; K is
    # the index of a step of the same frame (the process's own steps, or the procedure's)


@dataclass(frozen=True)
class Done:
    """`done`: ends the step, the instance is done (in process and procedure steps)."""


@dataclass(frozen=True)
class Rcu:
    """`rcu_read_lock`, `rcu_read_unlock`, `synchronize_rcu` (process and procedure steps;
    `synchronize_rcu` ends the step, so it is generated last in its branch)."""

    op: str


@dataclass(frozen=True)
class AnyRange:
    """`any 0 .. n`: only as the value of a `let`."""

    n: int


@dataclass(frozen=True)
class AnyIn:
    """`any in lo .. hi`: only as the value of a `let`; no value (the step cannot run)
    when hi <= lo."""

    lo: "Expr"
    hi: "Expr"


Stmt = Union[Assign, Store, Fill, If, Require, Assert, LockOp, Let, BugOn, Goto, Done, Rcu]
PICKS = (AnyBool, AnyRange, AnyIn)

BLOCKING = ("acquire", "down_read", "down_write")


# ----------------------------------------------------------------------------- model


@dataclass(frozen=True)
class VarDecl:
    name: str
    typ: Type
    init: Union[bool, int]  # for a map: the default of every key


@dataclass(frozen=True)
class Action:
    name: str
    param: Optional[tuple]  # (name, n) for a parameter of type `0 .. n`, or None
    body: tuple
    parens: bool = True  # render `a()` rather than `a` when there is no parameter
    fair: Optional[str] = None  # "weak" (`fair action`), "strong" (`strong fair action`) or None


@dataclass(frozen=True)
class Proc:
    """`process NAME[count] { step s0 {...} ... [loop] }`: instances interleave with the
    actions; each runs its steps in order (pc = index of the next step; len(steps) =
    done), and `loop` sends the pc back to step 0 after the last step."""

    name: str
    count: int
    steps: tuple  # one statement tuple per step (the process's own steps, labelled sK)
    loop: bool
    params: tuple = ()  # (name, n): `name: 0 .. n`, any value per instance, chosen initially
    locals: tuple = ()  # VarDecl (scalar): `var name: T = init`, one per instance
    calls: tuple = ()  # (position, CallItem): `call` before own step `position` (len(steps): after all)
    fair: Optional[str] = None  # "weak" (`fair process`: each instance), "strong" or None


@dataclass(frozen=True)
class CallItem:
    proc: str
    args: tuple  # expressions in the caller's scope, one per parameter of the procedure


@dataclass(frozen=True)
class Procedure:
    """`procedure qN(params) { var ...; step qNs0 {...} ...; call ... }`: its steps run
    where it is called, as steps of the calling instance; arguments are evaluated and
    locals reset at the start of its first step when entered by the call (docs/language.md §6.4)."""

    name: str
    params: tuple  # (name, n)
    locals: tuple  # VarDecl
    steps: tuple
    calls: tuple = ()


@dataclass(frozen=True)
class Prop:
    kind: str  # invariant | cover
    name: str
    expr: Expr


@dataclass(frozen=True)
class Live:
    """`property NAME: always eventually P`, `eventually always P`, `P leads_to Q` (written
    `P ~> Q` when `arrow`)."""

    op: str  # LIVE_OPS
    name: str
    p: Expr
    q: Optional[Expr] = None
    arrow: bool = False


AE, EA, LT = "always eventually", "eventually always", "leads_to"
LIVE_OPS = (AE, EA, LT)


@dataclass(frozen=True)
class LockDecl:
    name: str
    kind: str  # mutex | spinlock (checked like a mutex) | rwsem
    count: Optional[int] = None  # `lock L[count]`


@dataclass(frozen=True)
class Model:
    vars: tuple
    init: tuple
    actions: tuple
    props: tuple
    procs: tuple = ()  # Proc
    locks: tuple = ()  # LockDecl
    procedures: tuple = ()  # Procedure
    live: tuple = ()  # Live: liveness properties (apart from `props`, which the safety BFS reads)

    def asserts(self) -> list[str]:
        """Names of all `assert name: e` and `bug_on name: e` statements (init block,
        actions and steps), each once (one name may have several sites)."""
        out: list[str] = []

        def walk(stmts):
            for s in stmts:
                if isinstance(s, (Assert, BugOn)) and s.name not in out:
                    out.append(s.name)
                elif isinstance(s, If):
                    walk(s.then)
                    walk(s.else_)

        walk(self.init)
        for a in self.actions:
            walk(a.body)
        for p in self.procs + self.procedures:
            for body in p.steps:
                walk(body)
        return out

    def procedure(self, name: str) -> "Procedure":
        return next(q for q in self.procedures if q.name == name)


# ----------------------------------------------------------------------------- layout


def own_label(decl, k: int) -> str:
    """The label of own step k of a process (`sK`) or of procedure qN (`qNsK`)."""
    return f"s{k}" if isinstance(decl, Proc) else f"{decl.name}s{k}"


@dataclass(frozen=True)
class Flat:
    """One step of a process after its `call`s are inlined (docs/language.md §6.4)."""

    label: str  # as zcheck names the pc: `s1`, `q0.q0s0`, `q1.q0.q0s0`
    body: tuple
    frame: str  # the call path: "" for the process's own steps, `q1.q0` in q0 called from q1
    gotos: tuple  # the flat pc of each step of this copy of the frame: `Goto(k)` goes to gotos[k]
    entry: tuple  # the calls entered at this step, in order: (caller frame, Procedure, args)


def _items(decl) -> list:
    calls = sorted(decl.calls, key=lambda c: c[0])  # stable: calls at one position keep their order
    out: list = []
    for k, body in enumerate(decl.steps):
        out += [c for pos, c in calls if pos == k]
        out.append((k, body))
    out += [c for pos, c in calls if pos >= len(decl.steps)]
    return out


def flatten(model: "Model", proc: "Proc") -> list[Flat]:
    """The steps an instance of `proc` runs, in pc order (pc = index; len = done)."""
    rows: list[list] = []
    pending: list = []

    def expand(decl, path: tuple) -> None:
        mine: dict[int, int] = {}
        for item in _items(decl):
            if isinstance(item, CallItem):
                callee = model.procedure(item.proc)
                pending.append((".".join(path), callee, item.args))
                expand(callee, path + (callee.name,))
            else:
                k, body = item
                mine[k] = len(rows)
                rows.append([".".join(path + (own_label(decl, k),)), body, ".".join(path), None, tuple(pending)])
                pending.clear()
        gotos = tuple(mine[k] for k in range(len(decl.steps)))
        for i in mine.values():
            rows[i][3] = gotos

    expand(proc, ())
    return [Flat(*r) for r in rows]


def label_pcs(flat: list[Flat], label: str) -> tuple:
    """The pcs `at(x, label)` names: a step by its full label, or a procedure's step by its
    own label (every call of it); `done` and `crashed`."""
    if label == "done":
        return (len(flat),)
    if label == "crashed":
        return (len(flat) + 1,)
    return tuple(i for i, f in enumerate(flat) if f.label == label or f.label.endswith("." + label))


# ----------------------------------------------------------------------------- rendering


def render_type(t: Type) -> str:
    match t:
        case TBool():
            return "bool"
        case TRange(n):
            return f"0 .. {n}"
        case TEnum():
            return ENUM_NAME
        case TMap(key, val):
            return f"map[0 .. {key}] {render_type(val)}"
    raise TypeError(t)


def render_lit(value, typ: Scalar) -> str:
    if isinstance(typ, TBool):
        return "true" if value else "false"
    if isinstance(typ, TEnum):
        return ENUM_MEMBERS[value]
    return f"(-{-value})" if value < 0 else str(value)


def render_expr(e: Expr) -> str:
    """Fully parenthesised, so ZDL precedence never matters."""
    match e:
        case Lit(value, typ):
            return render_lit(value, typ)
        case Name(name):
            return name
        case Read(m, index):
            return f"{m}[{render_expr(index)}]"
        case Not(arg):
            return f"(!{render_expr(arg)})"
        case Bin(op, a, b):
            return f"({render_expr(a)} {op} {render_expr(b)})"
        case Ite(c, a, b):
            return f"(if {render_expr(c)} then {render_expr(a)} else {render_expr(b)})"
        case Call(fn, a, b):
            return f"{fn}({render_expr(a)}, {render_expr(b)})"
        case Quant(kind, var, n, body):
            return f"({kind} {var} in 0 .. {n} :: {render_expr(body)})"
        case InRange(elem, lo, hi):
            return f"({render_expr(elem)} in {render_lit(lo, TRange(0))} .. {render_lit(hi, TRange(0))})"
        case TryLock(op, lock, index):
            return f"{op} {render_lock(lock, index)}"
        case SelfIdx():
            return "self"
        case Who(_, text):
            return text
        case OwnerOf(fn, lock, index):
            return f"{fn}({render_lock(lock, index)})"
        case ReadersOf(lock, index):
            return f"readers({render_lock(lock, index)})"
        case HeldBy(lock, index, who):
            return f"held_by({render_lock(lock, index)}, {render_expr(who)})"
        case At(_, text, label):
            return f"at({text}, {label})"
        case InstIdx(proc, _, index):
            return f"{proc}[{render_expr(index)}]"
        case AtIdx(proc, _, index, label, _, short):
            return f"at({proc if short else f'{proc}[{render_expr(index)}]'}, {label})"
        case Field(proc, _, index, name, short):
            return f"{proc if short else f'{proc}[{render_expr(index)}]'}.{name}"
    raise TypeError(e)


def render_lock(lock: str, index) -> str:
    if index is None:
        return lock
    if isinstance(index, int):
        return f"{lock}[{index}]"
    return f"{lock}[{render_expr(index)}]"


def render_stmts(stmts, indent: int, frame: str = "") -> list[str]:
    """`frame`: "" in a process's own steps or an action, `qN` in procedure qN (goto labels)."""
    pad = "  " * indent
    out: list[str] = []
    for s in stmts:
        match s:
            case Assign(var, value):
                out.append(f"{pad}{var} := {render_expr(value)}")
            case Store(m, index, value):
                out.append(f"{pad}{m}[{render_expr(index)}] := {render_expr(value)}")
            case Fill(m, lo, hi, value):
                out.append(f"{pad}{m}[{lo} .. {hi}] := {render_expr(value)}")
            case Require(c):
                out.append(f"{pad}require {render_expr(c)}")
            case Assert(name, c):
                out.append(f"{pad}assert {name}: {render_expr(c)}")
            case LockOp(op, lock, index, nested):
                out.append(f"{pad}{op} {render_lock(lock, index)}{' nested' if nested else ''}")
            case Let(name, AnyBool()):
                out.append(f"{pad}let {name} = any bool")
            case Let(name, AnyRange(n)):
                out.append(f"{pad}let {name} = any 0 .. {n}")
            case Let(name, AnyIn(lo, hi)):
                out.append(f"{pad}let {name} = any in {render_expr(lo)} .. {render_expr(hi)}")
            case Let(name, value):
                out.append(f"{pad}let {name} = {render_expr(value)}")
            case BugOn(name, c):
                out.append(f"{pad}bug_on {name}: {render_expr(c)}")
            case Goto(k):
                out.append(f"{pad}goto {frame}s{k}")
            case Done():
                out.append(f"{pad}done")
            case Rcu(op):
                out.append(f"{pad}{op}")
            case If():
                out.extend(_render_if(s, indent, pad, frame=frame))
            case _:
                raise TypeError(s)
    return out


def _render_if(s: If, indent: int, pad: str, lead: str | None = None, frame: str = "") -> list[str]:
    cond = render_expr(s.cond)
    lines = [f"{pad if lead is None else lead}if {cond} {{"]
    lines += render_stmts(s.then, indent + 1, frame)
    if len(s.else_) == 1 and isinstance(s.else_[0], If):
        inner = _render_if(s.else_[0], indent, pad, lead=f"{pad}}} else ", frame=frame)
        return lines + inner
    if s.else_:
        lines.append(f"{pad}}} else {{")
        lines += render_stmts(s.else_, indent + 1, frame)
    lines.append(f"{pad}}}")
    return lines


def _uses_enum(model: Model) -> bool:
    for v in model.vars:
        t = v.typ.val if isinstance(v.typ, TMap) else v.typ
        if isinstance(t, TEnum):
            return True
    return False


def _render_frame(decl, frame: str) -> list[str]:
    lines: list[str] = []
    for v in decl.locals:
        lines.append(f"  var {v.name}: {render_type(v.typ)} = {render_lit(v.init, v.typ)}")
    for item in _items(decl):
        if isinstance(item, CallItem):
            lines.append(f"  call {item.proc}({', '.join(render_expr(a) for a in item.args)})")
            continue
        k, body = item
        lines.append(f"  step {own_label(decl, k)} {{")
        lines += render_stmts(body, 2, frame)
        lines.append("  }")
    return lines


def render(model: Model) -> str:
    lines = ["model diff"]
    if _uses_enum(model):
        lines.append(f"enum {ENUM_NAME} {{ {', '.join(ENUM_MEMBERS)} }}")
    for v in model.vars:
        scalar = v.typ.val if isinstance(v.typ, TMap) else v.typ
        lines.append(f"var {v.name}: {render_type(v.typ)} = {render_lit(v.init, scalar)}")
    for lk in model.locks:
        kw = "rwsem" if lk.kind == "rwsem" else "lock"
        lines.append(f"{kw} {lk.name}" + ("" if lk.count is None else f"[{lk.count}]")
                     + (": spinlock" if lk.kind == "spinlock" else ""))
    if model.init:
        lines.append("init {")
        lines += render_stmts(model.init, 1)
        lines.append("}")
    for a in model.actions:
        if a.param is not None:
            head = f"action {a.name}({a.param[0]}: 0 .. {a.param[1]})"
        else:
            head = f"action {a.name}()" if a.parens else f"action {a.name}"
        lines.append(_fair_prefix(a.fair) + head + " {")
        lines += render_stmts(a.body, 1)
        lines.append("}")
    for q in model.procedures:
        params = ", ".join(f"{n}: 0 .. {k}" for n, k in q.params)
        lines.append(f"procedure {q.name}({params}) {{")
        lines += _render_frame(q, q.name)
        lines.append("}")
    for proc in model.procs:
        head = f"process {proc.name}" + (f"[{proc.count}]" if proc.count > 1 else "")
        if proc.params:
            head += "(" + ", ".join(f"{n}: 0 .. {k}" for n, k in proc.params) + ")"
        lines.append(_fair_prefix(proc.fair) + head + " {")
        lines += _render_frame(proc, "")
        if proc.loop:
            lines.append("  loop")
        lines.append("}")
    for p in model.props:
        lines.append(f"{p.kind} {p.name}: {render_expr(p.expr)}")
    lines += [render_live(lv) for lv in model.live]
    return "\n".join(lines) + "\n"


def _fair_prefix(fair: Optional[str]) -> str:
    return {None: "", "weak": "fair ", "strong": "strong fair "}[fair]


def render_live(lv: Live) -> str:
    if lv.op == LT:
        return f"property {lv.name}: {render_expr(lv.p)} {'~>' if lv.arrow else 'leads_to'} {render_expr(lv.q)}"
    return f"property {lv.name}: {lv.op} {render_expr(lv.p)}"


# ----------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class Ctx:
    scalars: tuple  # (name, Scalar) state variables
    maps: tuple  # (name, TMap)
    locals: tuple = ()  # (name, n): parameters and quantified variables, all of type 0 .. n
    qlevel: int = 0
    blocals: tuple = ()  # names of bool locals (`let x = any bool`, `let ok = try_acquire L`)
    selfn: Optional[int] = None  # in a process or procedure: `self` lies in 0 .. selfn
    lay: Optional[object] = None  # in a lock model: the `Lay`, for atoms over owners and pcs


def _scalar_vars(ctx: Ctx, cls) -> list[str]:
    return [n for n, t in ctx.scalars if isinstance(t, cls)]


def _range_sources(ctx: Ctx, max_n: int | None, reads: bool = True) -> list[tuple]:
    """Range-typed places whose values lie in 0 .. max_n (None: any range)."""
    out: list[tuple] = []
    for n, t in ctx.scalars:
        if isinstance(t, TRange) and (max_n is None or t.n <= max_n):
            out.append(("name", n))
    for n, k in ctx.locals:
        if max_n is None or k <= max_n:
            out.append(("name", n))
    for n, t in ctx.maps:
        if reads and isinstance(t.val, TRange) and (max_n is None or t.val.n <= max_n):
            out.append(("read", n, t.key))
    return out


def _source_expr(draw, ctx: Ctx, src: tuple, d: int) -> Expr:
    if src[0] == "name":
        return Name(src[1])
    return Read(src[1], gen_ranged(draw, ctx, src[2], d - 1))


def gen_index(draw, ctx: Ctx, key: int, d: int) -> Expr:
    """A map index: d < 0 allows no further map reads (no unbounded m[m[m[..]]] chains)."""
    return gen_ranged(draw, ctx, key, min(d, 1) - 1)


def gen_ranged(draw, ctx: Ctx, n: int, d: int) -> Expr:
    """An int expression whose value is always in 0 .. n-1 (d < 0: a literal or a name)."""
    srcs = _range_sources(ctx, n, reads=d >= 0)
    opts = ["lit"] + ["src"] * (3 if srcs else 0)
    if d > 0:
        opts += ["mod", "mod", "ite", "minmax"]
        if srcs:
            opts += ["step", "step"]
    if ctx.selfn is not None and ctx.selfn <= n:
        opts += ["self"]
    k = draw(st.sampled_from(opts))
    if k == "lit":
        return Lit(draw(st.integers(0, n - 1)), TRange(n))
    if k == "self":
        return SelfIdx()
    if k == "src":
        return _source_expr(draw, ctx, draw(st.sampled_from(srcs)), d)
    if k == "step":  # the typical counter update `(x + c) % n`
        src = _source_expr(draw, ctx, draw(st.sampled_from(srcs)), d - 1)
        c = draw(st.integers(1, n + 1))
        return Bin("%", Bin(draw(st.sampled_from(["+", "+", "-"])), src, Lit(c, TRange(0))), Lit(n, TRange(0)))
    if k == "mod":
        div = draw(st.sampled_from([n, n, n, -n]))
        return Bin("%", gen_int(draw, ctx, d - 1), Lit(div, TRange(0)))
    if k == "ite":
        return Ite(gen_bool(draw, ctx, d - 1), gen_ranged(draw, ctx, n, d - 1), gen_ranged(draw, ctx, n, d - 1))
    fn = draw(st.sampled_from(["min", "max"]))
    return Call(fn, gen_ranged(draw, ctx, n, d - 1), gen_ranged(draw, ctx, n, d - 1))


def gen_int(draw, ctx: Ctx, d: int) -> Expr:
    srcs = _range_sources(ctx, None, reads=d >= 0)
    opts = ["lit"] + ["src"] * (4 if srcs else 0)
    if d > 0:
        opts += ["add", "add", "sub", "mod", "ite", "minmax"]
    k = draw(st.sampled_from(opts))
    if k == "lit":
        return Lit(draw(st.integers(-2, 5)), TRange(0))
    if k == "src":
        return _source_expr(draw, ctx, draw(st.sampled_from(srcs)), d)
    if k in ("add", "sub"):
        a = gen_int(draw, ctx, d - 1)
        b = gen_int(draw, ctx, d - 1)
        return Bin("+" if k == "add" else "-", a, b)
    if k == "mod":
        div = draw(st.sampled_from([2, 3, 4, -3]))
        return Bin("%", gen_int(draw, ctx, d - 1), Lit(div, TRange(0)))
    if k == "ite":
        return Ite(gen_bool(draw, ctx, d - 1), gen_int(draw, ctx, d - 1), gen_int(draw, ctx, d - 1))
    fn = draw(st.sampled_from(["min", "max"]))
    return Call(fn, gen_int(draw, ctx, d - 1), gen_int(draw, ctx, d - 1))


def gen_enum(draw, ctx: Ctx, d: int) -> Expr:
    vs = _scalar_vars(ctx, TEnum)
    ms = [(n, t) for n, t in ctx.maps if isinstance(t.val, TEnum)]
    opts = ["lit"] + ["var"] * (2 if vs else 0) + ["read"] * (2 if ms else 0)
    if d > 0:
        opts += ["ite"]
    k = draw(st.sampled_from(opts))
    if k == "lit":
        return Lit(draw(st.integers(0, len(ENUM_MEMBERS) - 1)), TEnum())
    if k == "var":
        return Name(draw(st.sampled_from(vs)))
    if k == "read":
        name, t = draw(st.sampled_from(ms))
        return Read(name, gen_index(draw, ctx, t.key, d))
    return Ite(gen_bool(draw, ctx, d - 1), gen_enum(draw, ctx, d - 1), gen_enum(draw, ctx, d - 1))


def gen_bool(draw, ctx: Ctx, d: int) -> Expr:
    vs = _scalar_vars(ctx, TBool) + list(ctx.blocals)
    ms = [(n, t) for n, t in ctx.maps if isinstance(t.val, TBool)]
    has_enum = bool(_scalar_vars(ctx, TEnum)) or any(isinstance(t.val, TEnum) for _, t in ctx.maps)
    opts = ["lit"] + ["var"] * (3 if vs else 0) + ["read"] * (3 if ms else 0) + ["cmp"] * 2
    if d > 0:
        opts += ["and", "or", "imp", "not", "cmp", "cmp", "quant", "quant", "ite", "inrange", "iff"]
        if has_enum:
            opts += ["enumeq", "enumeq"]
        if vs or ms:
            opts += ["booleq"]
        if ctx.lay is not None:
            opts += ["lock"]
    k = draw(st.sampled_from(opts))
    if k == "lock":
        return gen_lock_atom(draw, ctx.lay, ctx)
    if k == "lit":
        return Lit(draw(st.booleans()), TBool())
    if k == "var":
        return Name(draw(st.sampled_from(vs)))
    if k == "read":
        name, t = draw(st.sampled_from(ms))
        return Read(name, gen_index(draw, ctx, t.key, d))
    if k == "cmp":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        sub = max(0, d - 1)
        return Bin(op, gen_int(draw, ctx, sub), gen_int(draw, ctx, sub))
    if k in ("and", "or", "imp", "iff"):
        op = {"and": "&&", "or": "||", "imp": "->", "iff": "<->"}[k]
        return Bin(op, gen_bool(draw, ctx, d - 1), gen_bool(draw, ctx, d - 1))
    if k == "not":
        return Not(gen_bool(draw, ctx, d - 1))
    if k == "ite":
        return Ite(gen_bool(draw, ctx, d - 1), gen_bool(draw, ctx, d - 1), gen_bool(draw, ctx, d - 1))
    if k == "inrange":
        lo = draw(st.integers(-1, 3))
        hi = draw(st.integers(lo, 5))
        return InRange(gen_int(draw, ctx, d - 1), lo, hi)
    if k == "enumeq":
        op = draw(st.sampled_from(["==", "!="]))
        return Bin(op, gen_enum(draw, ctx, d - 1), gen_enum(draw, ctx, d - 1))
    if k == "booleq":
        op = draw(st.sampled_from(["==", "!="]))
        return Bin(op, gen_bool(draw, ctx, 0), gen_bool(draw, ctx, 0))
    # quantifier over 0 .. n; the bound variable is usable as an index of maps with key >= n
    n = draw(st.integers(1, 4))
    var = f"j{ctx.qlevel}"
    inner = replace(ctx, locals=ctx.locals + ((var, n),), qlevel=ctx.qlevel + 1)
    kind = draw(st.sampled_from(["forall", "exists"]))
    return Quant(kind, var, n, gen_bool(draw, inner, d - 1))


def gen_atom(draw, ctx: Ctx) -> Expr:
    """A state-dependent test of one location against a literal (maps: for one key, or
    for all/some keys) -- the typical shape of an invariant or a cover."""
    locs = [(n, None, t) for n, t in ctx.scalars] + [(n, t.key, t.val) for n, t in ctx.maps]
    name, key, typ = draw(st.sampled_from(locs))
    quant = None
    if key is None:
        target: Expr = Name(name)
    elif draw(st.booleans()):
        target = Read(name, Lit(draw(st.integers(0, key - 1)), TRange(key)))
    else:
        var = f"j{ctx.qlevel}"
        quant = (draw(st.sampled_from(["forall", "exists"])), var, key)
        target = Read(name, Name(var))
    if isinstance(typ, TBool):
        test = target if draw(st.booleans()) else Not(target)
    elif isinstance(typ, TEnum):
        test = Bin(draw(st.sampled_from(["==", "!="])), target, Lit(draw(st.integers(0, 2)), TEnum()))
    else:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        test = Bin(op, target, Lit(draw(st.integers(0, typ.n - 1)), TRange(typ.n)))
    if quant is not None:
        return Quant(quant[0], quant[1], quant[2], test)
    return test


def gen_prop(draw, ctx: Ctx) -> Expr:
    k = draw(st.sampled_from(["atom", "atom", "two", "two", "any"]))
    if k == "atom":
        return gen_atom(draw, ctx)
    if k == "two":
        op = draw(st.sampled_from(["&&", "||", "->"]))
        return Bin(op, gen_atom(draw, ctx), gen_atom(draw, ctx))
    return gen_bool(draw, ctx, 3)


def gen_value(draw, ctx: Ctx, typ: Scalar, d: int) -> Expr:
    if isinstance(typ, TBool):
        return gen_bool(draw, ctx, d)
    if isinstance(typ, TEnum):
        return gen_enum(draw, ctx, d)
    return gen_ranged(draw, ctx, typ.n, d)


class _Names:
    def __init__(self) -> None:
        self.asserts = 0
        self.lets = 0
        self.bugs = 0
        self.used: list[str] = []  # assert names so far (a bug_on may share one)

    def next_let(self, stem: str) -> str:
        self.lets += 1
        return f"{stem}{self.lets - 1}"

    def next_assert(self) -> str:
        name = f"as{self.asserts}"
        self.asserts += 1
        self.used.append(name)
        return name


MAX_ASSERTS = 3


def gen_update(draw, ctx: Ctx) -> Stmt:
    """A typical state change of one location: a counter step, a toggle, an enum cycle."""
    locs = [(Name(n), n, None, t) for n, t in ctx.scalars]
    locs += [(None, n, t.key, t.val) for n, t in ctx.maps]
    target, name, key, typ = draw(st.sampled_from(locs))
    if target is None:
        target = Read(name, gen_index(draw, ctx, key, 1))
    if isinstance(typ, TBool):
        value = Not(target)
    elif isinstance(typ, TEnum):
        a, b = draw(st.permutations(range(len(ENUM_MEMBERS))))[:2]
        value = Ite(Bin("==", target, Lit(a, TEnum())), Lit(b, TEnum()), target)
    else:
        c = draw(st.sampled_from([1, 1, 1, 2]))
        op = draw(st.sampled_from(["+", "+", "+", "-"]))
        value = Bin("%", Bin(op, target, Lit(c, TRange(0))), Lit(typ.n, TRange(0)))
    if isinstance(target, Name):
        return Assign(name, value)
    return Store(name, target.index, value)


def gen_stmts(draw, ctx: Ctx, depth: int, names: _Names, *, guards: bool, lo: int, hi: int) -> tuple:
    count = draw(st.integers(lo, hi))
    out: list[Stmt] = []
    for _ in range(count):
        opts = ["update"] * 4 + ["assign"]
        if ctx.maps:
            opts += ["store", "fill"]
        if depth > 0:
            opts += ["if"]
        if guards:
            opts += ["require", "require"]
            if names.asserts < MAX_ASSERTS:
                opts += ["assert"]
        k = draw(st.sampled_from(opts))
        if k == "update":
            out.append(gen_update(draw, ctx))
            continue
        if k == "assign":
            name, typ = draw(st.sampled_from(ctx.scalars)) if ctx.scalars else (None, None)
            if name is None:  # only maps declared: write an element instead
                k = "store"
            else:
                out.append(Assign(name, gen_value(draw, ctx, typ, 2)))
                continue
        if k == "store":
            name, t = draw(st.sampled_from(ctx.maps))
            out.append(Store(name, gen_index(draw, ctx, t.key, 2), gen_value(draw, ctx, t.val, 2)))
        elif k == "fill":
            name, t = draw(st.sampled_from(ctx.maps))
            a = draw(st.integers(0, t.key))
            b = draw(st.integers(a, t.key))
            out.append(Fill(name, a, b, gen_value(draw, ctx, t.val, 2)))
        elif k == "if":
            cond = gen_bool(draw, ctx, 2)
            then = gen_stmts(draw, ctx, depth - 1, names, guards=guards, lo=1, hi=2)
            else_ = gen_stmts(draw, ctx, depth - 1, names, guards=guards, lo=0, hi=2)
            out.append(If(cond, then, else_))
        elif k == "require":
            out.append(Require(gen_bool(draw, ctx, 2)))
        elif k == "assert":
            out.append(Assert(names.next_assert(), gen_bool(draw, ctx, 2)))
    return tuple(out)


_scalar_types = st.one_of(
    st.just(TBool()),
    st.builds(TRange, st.integers(2, 4)),
    st.just(TEnum()),
)
_types = st.one_of(
    _scalar_types,
    st.builds(TMap, st.integers(2, 4), _scalar_types),
)


def _domain(t: Scalar):
    if isinstance(t, TBool):
        return st.booleans()
    if isinstance(t, TEnum):
        return st.integers(0, len(ENUM_MEMBERS) - 1)
    return st.integers(0, t.n - 1)


@st.composite
def models(draw, max_vars: int = 4, max_actions: int = 4, procs: bool = False, locks: bool = False,
           targets: bool = True):
    """A random model; `procs`: with 2-3 processes; `locks` (with `procs`): with 1-2
    mutexes or spinlocks (maybe an array) and maybe an rwsem used by steps and actions,
    trylocks, `nested`, `bug_on` and asserts sharing names, `goto` and `done`, picks
    (`let x = any bool`, `any 0 .. n`, `any in lo .. hi`), `self`, process parameters and
    locals, procedures and calls, RCU read sections and `synchronize_rcu`, and
    expressions over owners, pcs and instance fields (see `gen_lay`, `gen_frame`,
    `gen_lock_atom`). Without `locks` the draws are those of earlier versions, so the
    derandomized suite checks the same models as before. `targets=False` aims no
    property at deep states (no exploration while generating: for tests that only need
    the text)."""
    nvars = draw(st.integers(1, max_vars))
    decls: list[VarDecl] = []
    for k in range(nvars):
        typ = draw(_types)
        scalar = typ.val if isinstance(typ, TMap) else typ
        name = f"m{k}" if isinstance(typ, TMap) else f"v{k}"
        decls.append(VarDecl(name, typ, draw(_domain(scalar))))
    ctx = Ctx(
        scalars=tuple((v.name, v.typ) for v in decls if not isinstance(v.typ, TMap)),
        maps=tuple((v.name, v.typ) for v in decls if isinstance(v.typ, TMap)),
    )
    names = _Names()
    lockdecls = gen_locks(draw) if locks else ()
    lay = gen_lay(draw, lockdecls) if procs and locks else None
    init: tuple = ()
    if draw(st.integers(0, 2)) == 0:
        init = gen_stmts(draw, ctx, 0, names, guards=False, lo=1, hi=2)
        if draw(st.integers(0, 5)) == 0:
            init += (Assert(names.next_assert(), gen_bool(draw, ctx, 2)),)
    actions: list[Action] = []
    for k in range(draw(st.integers(0 if locks else 1, max_actions))):
        param = None
        if draw(st.booleans()):
            param = ("i", draw(st.integers(2, 4)))
        actx = replace(ctx, locals=(param,)) if param else ctx
        if lay is not None:
            actx = replace(actx, lay=lay)
        body = gen_stmts(draw, actx, 1, names, guards=True, lo=0, hi=3)
        at = draw(st.integers(0, len(body)))  # every action changes something
        body = body[:at] + (gen_update(draw, actx),) + body[at:]
        if locks:
            body = gen_action_locks(draw, actx, body, lockdecls, names)
        actions.append(Action(f"a{k}", param, body, parens=draw(st.booleans())))
    ps: list[Proc] = []
    procedures: tuple = ()
    if lay is not None:
        lps, procedures = gen_lock_procs(draw, ctx, names, lay)
        ps = list(lps)
    elif procs:
        for k in range(draw(st.integers(2, 3))):
            steps = tuple(gen_stmts(draw, ctx, 1, names, guards=True, lo=0, hi=2) + (gen_update(draw, ctx),)
                          for _ in range(draw(st.integers(2, 3))))
            ps.append(Proc(f"p{k}", draw(st.integers(1, 2)), steps, draw(st.booleans())))
    model = Model(tuple(decls), init, tuple(actions), (), tuple(ps), lockdecls, procedures)

    # Properties. A property decided in the initial state says little about the
    # transition relation, so most of those are negated; and about half of the atoms are
    # aimed at a state far from the initial one (found by the explicit interpreter, which
    # depends only on the data structure), so that violations deeper than 1 are common.
    from .explicit import TooBig, _freeze, eval_expr, explore, initial_state

    s0 = initial_state(model)
    layers = [[_freeze(model, s0)]]
    if targets:
        try:
            layers = explore(model, TARGET_DEPTH, max_states=TARGET_STATES).layers
        except TooBig:  # aim at the initial state only (a model that big took minutes to draw)
            pass
    props: list[Prop] = []
    for k in range(draw(st.integers(1, 3))):
        if locks and draw(st.integers(0, 2)) == 0:
            e = gen_lock_prop(draw, model, lay, layers, s0, cover=False)
        elif draw(st.booleans()):
            e = Not(gen_target(draw, ctx, model, layers))
        else:
            e = gen_prop(draw, ctx)
            if not eval_expr(e, s0, {}) and draw(st.integers(0, 3)) > 0:
                e = Not(e)
        props.append(Prop("invariant", f"inv{k}", e))
    if draw(st.booleans()):
        if locks and draw(st.integers(0, 2)) == 0:
            e = gen_lock_prop(draw, model, lay, layers, s0, cover=True)
        elif draw(st.booleans()):
            e = gen_target(draw, ctx, model, layers)
        else:
            e = gen_prop(draw, ctx)
            if eval_expr(e, s0, {}) and draw(st.integers(0, 3)) > 0:
                e = Not(e)
        props.append(Prop("cover", "cov0", e))
    return replace(model, props=tuple(props))


TARGET_DEPTH = 6
TARGET_STATES = 20_000  # states explored to find targets (the pure-Python interpreter: about 5,000 a second)


def gen_target(draw, ctx: Ctx, model: Model, layers: list) -> Expr:
    """A conjunction of `location == value` tests that holds in a reachable state picked
    from one of the deepest layers (so it is first true at that depth or earlier): the
    locations where that state differs from the initial one (at most 4 of them), plus
    maybe one more."""
    from .explicit import thaw

    d = len(layers) - 1 - draw(st.integers(0, min(2, len(layers) - 1)))
    s0 = thaw(model, layers[0][0])
    state = thaw(model, draw(st.sampled_from(layers[d])))
    locs = [(n, None, t) for n, t in ctx.scalars]
    locs += [(n, i, t.val) for n, t in ctx.maps for i in range(t.key)]

    def get(st_, name, i):
        return st_[name] if i is None else st_[name][i]

    differ = [loc for loc in locs if get(state, loc[0], loc[1]) != get(s0, loc[0], loc[1])]
    if len(differ) > 4:
        differ = draw(st.permutations(differ))[:4]
    chosen = list(differ)
    if not chosen or draw(st.booleans()):
        chosen.append(draw(st.sampled_from(locs)))
    tests: list[Expr] = []
    for name, i, typ in chosen:
        value = get(state, name, i)
        target = Name(name) if i is None else Read(name, Lit(i, TRange(i + 1)))
        if isinstance(typ, TBool):
            tests.append(target if value else Not(target))
        else:
            tests.append(Bin("==", target, Lit(value, typ)))
    e = tests[0]
    for t in tests[1:]:
        e = Bin("&&", e, t)
    return e


# ----------------------------------------------------------------------------- locks (v2)
#
# docs/language.md §6: each process takes 1-2 "sections" (a lock taken in one step and
# released in the same or a later one, sometimes never), in an order of its own, so that
# AB-BA deadlocks and lockdep inversions are common; some acquisitions are trylocks (in an
# `if`, or a `let` tested later, often with a `goto` back to retry); a little noise (a
# release of a lock not held, an extra acquisition); `bug_on`s (sometimes sharing a name
# with an assert), `goto`s at the end of an `if` branch, and `let x = any bool` picks.
# Nothing is placed after a `goto` in its branch (ZC506). Lock indices stay in range.

# A blocking lock statement after an earlier statement of the same body that changes the
# same lock (`release L; acquire L`, `try_acquire L` then `acquire L`, `down_read S;
# down_write S`) is generated too; ZCHECK_DIFF_LOCKS_RELOCK=0 drops them (`_no_relock`).
# They found FINDINGS.md #9 (zcheck's `deadlock` read the holder before the step).
import os as _os

RELOCK = _os.environ.get("ZCHECK_DIFF_LOCKS_RELOCK", "1") == "1"

RELEASE_OF = {"acquire": "release", "down_read": "up_read", "down_write": "up_write"}
TRY_OF = {"acquire": "try_acquire", "down_read": "down_read_trylock", "down_write": "down_write_trylock"}


def gen_locks(draw) -> tuple:
    decls = []
    for k in range(draw(st.integers(1, 2))):
        count = 2 if draw(st.integers(0, 4)) == 0 else None
        decls.append(LockDecl(f"L{k}", "spinlock" if draw(st.integers(0, 3)) == 0 else "mutex", count))
    if draw(st.integers(0, 2)) == 0:
        decls.append(LockDecl("S", "rwsem", 2 if draw(st.integers(0, 5)) == 0 else None))
    return tuple(decls)


def _lock_index(draw, ctx: Ctx, decl: LockDecl, count: Optional[int]):
    """An in-range index of lock array `decl` (None for a single lock); `self` when every
    instance (`count` of them; None outside a process) has its own element."""
    if decl.count is None:
        return None
    opts = ["lit", "lit", "expr"] + (["self", "self"] if count is not None and count <= decl.count else [])
    k = draw(st.sampled_from(opts))
    if k == "self":
        return SelfIdx()
    if k == "expr":
        return gen_ranged(draw, ctx, decl.count, 0)
    return Lit(draw(st.integers(0, decl.count - 1)), TRange(decl.count))


def _blocking_op(draw, decl: LockDecl) -> str:
    if decl.kind == "rwsem":
        return draw(st.sampled_from(["down_read", "down_write"]))
    return "acquire"


def _insert(draw, body: tuple, block: tuple, into_if: bool = True) -> tuple:
    """`block` (consecutive statements) at a random top-level position of `body`, or at
    the start/inside of a top-level `if` branch (never after a `goto`, `done` or
    `synchronize_rcu`)."""
    ifs = [k for k, s in enumerate(body) if isinstance(s, If)]
    if into_if and ifs and draw(st.integers(0, 4)) == 0:
        k = draw(st.sampled_from(ifs))
        s = body[k]
        which = draw(st.sampled_from(["then", "else_"]))
        branch = getattr(s, which)
        limit = len(branch) - 1 if _ends(branch) else len(branch)
        at = draw(st.integers(0, max(0, limit)))
        new = replace(s, **{which: branch[:at] + block + branch[at:]})
        return body[:k] + (new,) + body[k + 1:]
    at = draw(st.integers(0, len(body)))
    return body[:at] + block + body[at:]


def _bug_name(draw, names: _Names) -> str:
    if names.used and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(names.used))  # one property, several sites (§6.5)
    names.bugs += 1
    name = f"bug{names.bugs - 1}"
    names.used.append(name)
    return name


def _try_block(draw, ctx: Ctx, names: _Names, op: LockOp, here: Optional[int]) -> tuple:
    """The trylock form of the blocking `op`: `if try_acquire L { .. } else { .. [goto] }`,
    or `let ok = try_acquire L` tested by a later `if` (`here`: this step, for a retry)."""
    tl = TryLock(TRY_OF[op.op], op.lock, op.index)
    retry = (Goto(here),) if here is not None and draw(st.booleans()) else ()
    k = draw(st.sampled_from(["if", "if", "notif", "let", "assign"]))
    small = lambda lo: gen_stmts(draw, ctx, 0, names, guards=False, lo=lo, hi=1)  # noqa: E731
    if k == "if":
        return (If(tl, small(0), small(0 if retry else 1) + retry),)
    if k == "notif":
        return (If(Not(tl), small(0 if retry else 1) + retry, small(0)),)
    if k == "assign" and _scalar_vars(ctx, TBool):
        return (Assign(draw(st.sampled_from(_scalar_vars(ctx, TBool))), tl),)
    ok = names.next_let("ok")
    test = Name(ok) if not retry else Not(Name(ok))
    return (Let(ok, tl), If(test, small(1) + retry if retry else small(1), ()))


def _lock_noise(draw, ctx: Ctx, decls: tuple, count: Optional[int]) -> LockOp:
    decl = draw(st.sampled_from(decls))
    ops = ["acquire", "release"] if decl.kind != "rwsem" else ["down_read", "up_read", "down_write", "up_write"]
    op = draw(st.sampled_from(ops))
    return LockOp(op, decl.name, _lock_index(draw, ctx, decl, count), op in BLOCKING and draw(st.booleans()))


def _ends(stmts: tuple) -> bool:
    """The branch ends with a statement that ends the step (nothing may follow it)."""
    return bool(stmts) and (isinstance(stmts[-1], (Goto, Done)) or stmts[-1] == Rcu("synchronize_rcu"))


# ----------------------------------------------------------------------------- process layout


@dataclass(frozen=True)
class Lay:
    """The shape of a lock model's processes and procedures (bodies still empty), drawn
    before any body, so that bodies and properties can name instances, steps and fields."""

    locks: tuple
    procs: tuple  # Proc skeletons: params, locals, calls (args None), one () per own step
    procedures: tuple  # Procedure skeletons
    readers: frozenset = frozenset()  # processes with an RCU read-side section
    waiters: frozenset = frozenset()  # processes that call synchronize_rcu

    def flat(self, proc: str) -> list:
        model = Model((), (), (), (), self.procs, self.locks, self.procedures)
        return flatten(model, next(p for p in self.procs if p.name == proc))


def _local_decl(draw, name: str) -> VarDecl:
    typ = draw(st.sampled_from([TBool(), TRange(2), TRange(3)]))
    return VarDecl(name, typ, draw(_domain(typ)))


def gen_lay(draw, decls: tuple) -> Lay:
    """2-3 processes of 1-2 instances; maybe 1-2 procedures (q1 maybe calling q0), each
    called somewhere; maybe a parameter and a local per process or procedure; maybe RCU
    (read sections in some processes, synchronize_rcu in another)."""
    procedures: list[Procedure] = []
    for n in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        params = ((f"ra{n}", draw(st.integers(2, 3))),) if draw(st.booleans()) else ()
        locs = (_local_decl(draw, f"rl{n}"),) if draw(st.integers(0, 2)) == 0 else ()
        nsteps = draw(st.integers(1, 2))
        calls = ((draw(st.integers(0, nsteps)), CallItem("q0", None)),) if n == 1 and draw(st.booleans()) else ()
        procedures.append(Procedure(f"q{n}", params, locs, ((),) * nsteps, calls))
    procs: list[Proc] = []
    for k in range(draw(st.integers(2, 3))):
        nsteps = draw(st.integers(1, 3) if procedures else st.integers(2, 4))
        calls: tuple = ()
        if procedures:
            for _ in range(draw(st.integers(0, 2))):
                calls += ((draw(st.integers(0, nsteps)), CallItem(draw(st.sampled_from(procedures)).name, None)),)
        params = ((f"pa{k}", draw(st.integers(2, 3))),) if draw(st.integers(0, 3)) == 0 else ()
        locs = (_local_decl(draw, f"pl{k}"),) if draw(st.integers(0, 2)) == 0 else ()
        procs.append(Proc(f"p{k}", draw(st.integers(1, 2)), ((),) * nsteps, draw(st.booleans()), params, locs, calls))
    called = {c.proc for p in procs for _, c in p.calls}
    if "q1" in called:
        called |= {c.proc for _, c in procedures[1].calls}
    for q in procedures:  # every procedure is called (an uncalled one is never checked)
        if q.name not in called:
            p0 = procs[0]
            procs[0] = replace(p0, calls=p0.calls + ((draw(st.integers(0, len(p0.steps))), CallItem(q.name, None)),))
            called.add(q.name)
            if q.name == "q1":
                called |= {c.proc for _, c in q.calls}
    readers: frozenset = frozenset()
    waiters: frozenset = frozenset()
    if draw(st.integers(0, 3)) == 0:
        names = [p.name for p in procs]
        waiters = frozenset([draw(st.sampled_from(names))])
        readers = frozenset(n for n in names if n not in waiters and draw(st.integers(0, 2)) > 0) or frozenset(
            [next(n for n in names if n not in waiters)])
        if draw(st.integers(0, 4)) == 0:  # a waiter that reads too
            readers |= waiters
    return Lay(decls, tuple(procs), tuple(procedures), readers, waiters)


def _callers_count(lay: Lay, q: str) -> int:
    """The largest instance count among the processes that run procedure q (`self` < it)."""
    out = 1
    for p in lay.procs:
        if any(q in f.frame.split(".") for f in lay.flat(p.name)):
            out = max(out, p.count)
    return out


# ----------------------------------------------------------------------------- frame bodies


def _pick_lead(draw, ctx: Ctx, names: _Names) -> tuple:
    """`let x = any bool` / `any 0 .. n` / `any in lo .. hi`, then an `if` on it: the
    statements and the context in which x is known."""
    kind = draw(st.sampled_from(["bool", "bool", "range", "in"]))
    x = names.next_let("x")
    if kind == "bool":
        sctx = replace(ctx, blocals=ctx.blocals + (x,))
        test: Expr = Name(x)
        value: object = AnyBool()
    else:
        n = draw(st.integers(2, 4))
        # `any in lo .. hi` with hi computed: empty (the step cannot run) when hi <= lo
        value = AnyRange(n) if kind == "range" else AnyIn(Lit(draw(st.integers(0, 1)), TRange(n)),
                                                              gen_ranged(draw, ctx, n + 1, 1))
        sctx = replace(ctx, locals=ctx.locals + ((x, n),))
        test = Bin(draw(st.sampled_from(["==", "<", ">="])), Name(x), Lit(draw(st.integers(0, n - 1)), TRange(n)))
    branch = If(test, gen_stmts(draw, sctx, 0, names, guards=True, lo=1, hi=1),
                gen_stmts(draw, sctx, 0, names, guards=True, lo=0, hi=1))
    return (Let(x, value), branch), sctx


def gen_frame(draw, ctx: Ctx, names: _Names, decls: tuple, nsteps: int, selfn: int,
              rcu_read: bool = False, rcu_sync: bool = False) -> tuple:
    """The bodies of the own steps of a process or procedure whose `self` lies in
    0 .. selfn: lock sections, trylocks, picks, gotos and `done`, RCU, `bug_on`."""
    bodies: list[tuple] = []
    leads: list[int] = []
    sctxs: list[Ctx] = []
    for k in range(nsteps):
        sctx, lead = ctx, ()
        if draw(st.integers(0, 5)) == 0:  # a pick, used at once and maybe later
            lead, sctx = _pick_lead(draw, ctx, names)
        body = lead + gen_stmts(draw, sctx, 1, names, guards=True, lo=0, hi=2)
        at = draw(st.integers(len(lead), len(body)))
        bodies.append(body[:at] + (gen_update(draw, sctx),) + body[at:])
        leads.append(len(lead))
        sctxs.append(sctx)

    # lock sections: a lock (both elements of an array, sometimes) taken in step a and
    # released in step r >= a (or never); a second section is usually taken inside the
    # first, so that orders A -> B are recorded (and inverted by another process)
    order = draw(st.permutations(range(len(decls))))
    nsec = 1 if len(decls) == 1 else (2 if draw(st.integers(0, 2)) else 1)
    keyed: list[tuple] = []  # ((step, phase, rank), kind, op)
    prev = None
    for rank, j in enumerate(order[:nsec]):
        decl = decls[j]
        op = _blocking_op(draw, decl)
        if prev is not None and draw(st.integers(0, 2)):
            a = draw(st.integers(prev[0], prev[1] if prev[1] is not None else nsteps - 1))
        else:
            a = draw(st.integers(0, nsteps - 1))
        r = None if draw(st.integers(0, 5)) == 0 else draw(st.integers(a, nsteps - 1))
        prev = (a, r)
        if decl.count is not None and draw(st.integers(0, 2)) == 0:  # both elements: same class twice
            first = draw(st.integers(0, 1))
            idxs = [Lit(first, TRange(2)), Lit(1 - first, TRange(2))]
            acqs = [LockOp(op, decl.name, idxs[0], False), LockOp(op, decl.name, idxs[1], draw(st.booleans()))]
        else:
            idxs = [_lock_index(draw, ctx, decl, selfn)]
            acqs = [LockOp(op, decl.name, idxs[0], draw(st.integers(0, 3)) == 0)]
        for n, acq in enumerate(acqs):
            kind = "try" if draw(st.integers(0, 3)) == 0 else "op"
            keyed.append(((a, 0, rank * 2 + n), kind, acq))
        if r is not None:
            for n, index in enumerate(idxs):
                rel_index = index if draw(st.integers(0, 5)) else _lock_index(draw, ctx, decl, selfn)
                keyed.append(((r, 1, -(rank * 2 + n)), "op", LockOp(RELEASE_OF[op], decl.name, rel_index)))
    if rcu_read:  # a read-side section (maybe nested, maybe never left)
        a = draw(st.integers(0, nsteps - 1))
        r = None if draw(st.integers(0, 4)) == 0 else draw(st.integers(a, nsteps - 1))
        depth = 2 if draw(st.integers(0, 3)) == 0 else 1
        for n in range(depth):
            keyed.append(((a, 0, 10 + n), "op", Rcu("rcu_read_lock")))
            if r is not None:
                keyed.append(((r, 1, -(10 + n)), "op", Rcu("rcu_read_unlock")))
    keyed.sort(key=lambda x: x[0])
    events: list[list] = [[] for _ in range(nsteps)]
    for (step, _, _), kind, op in keyed:
        events[step].append((kind, op))
    if draw(st.integers(0, 3)) == 0:
        events[draw(st.integers(0, nsteps - 1))].append(("op", _lock_noise(draw, ctx, decls, selfn)))
    if rcu_read and draw(st.integers(0, 5)) == 0:  # an unlock outside any section: lock(rcu)
        events[draw(st.integers(0, nsteps - 1))].append(("op", Rcu("rcu_read_unlock")))

    for k in range(nsteps):
        sctx = sctxs[k]
        # events go in order, each at or after the previous one's top-level position
        body = bodies[k]
        lo = leads[k]
        for kind, op in events[k]:
            block = _try_block(draw, sctx, names, op, k) if kind == "try" else (op,)
            at = draw(st.integers(lo, len(body)))
            if kind == "op" and draw(st.integers(0, 4)) == 0:
                body = body[:lo] + _insert(draw, body[lo:], block)  # maybe inside an `if`
                lo = min(lo + len(block), len(body))
            else:
                body = body[:at] + block + body[at:]
                lo = at + len(block)
        if draw(st.integers(0, 3)) == 0:  # goto or done, ending a branch
            end = Done() if draw(st.integers(0, 3)) == 0 else Goto(draw(st.integers(0, nsteps - 1)))
            branch = gen_stmts(draw, sctx, 0, names, guards=True, lo=0, hi=1) + (end,)
            g = If(gen_bool(draw, sctx, 1), branch, gen_stmts(draw, sctx, 0, names, guards=False, lo=0, hi=1))
            at = draw(st.integers(lo if lo <= len(body) else len(body), len(body)))
            body = body[:at] + (g,) + body[at:]
        if names.used and draw(st.integers(0, 7)) == 0:  # a second site of an assert (§6.5)
            site = Assert(draw(st.sampled_from(names.used)), gen_bool(draw, sctx, 1))
            body = body[:leads[k]] + _insert(draw, body[leads[k]:], (site,))
        bodies[k] = body
    if draw(st.integers(0, 2)) == 0:  # bug_on
        k = draw(st.integers(0, nsteps - 1))
        bug = BugOn(_bug_name(draw, names), gen_bool(draw, sctxs[k], 1))
        bodies[k] = bodies[k][:leads[k]] + _insert(draw, bodies[k][leads[k]:], (bug,))
    if rcu_sync:  # a grace period: ends its step, so it stands last (in a branch, sometimes)
        k = draw(st.integers(0, nsteps - 1))
        sync = Rcu("synchronize_rcu")
        if draw(st.integers(0, 2)) == 0:
            sctx = sctxs[k]
            g = If(gen_bool(draw, sctx, 1), gen_stmts(draw, sctx, 0, names, guards=False, lo=0, hi=1) + (sync,),
                   gen_stmts(draw, sctx, 0, names, guards=False, lo=0, hi=1))
            bodies[k] = bodies[k] + (g,)
        else:
            bodies[k] = bodies[k] + (sync,)
    if not RELOCK:
        bodies = [_no_relock(b) for b in bodies]
    return tuple(bodies)


def _frame_ctx(ctx: Ctx, params: tuple, locs: tuple, selfn: int, lay: Lay) -> Ctx:
    """A process's or procedure's view: the globals, its locals (writable), its
    parameters (read-only, `0 .. n`), `self`, and lock atoms over the layout."""
    return replace(ctx, scalars=ctx.scalars + tuple((v.name, v.typ) for v in locs),
                   locals=ctx.locals + tuple(params), selfn=selfn, lay=lay)


def _args(draw, ctx: Ctx, lay: Lay, calls: tuple) -> tuple:
    out = []
    for pos, c in calls:
        callee = next(q for q in lay.procedures if q.name == c.proc)
        out.append((pos, CallItem(c.proc, tuple(gen_ranged(draw, ctx, n, 1) for _, n in callee.params))))
    return tuple(out)


def gen_lock_procs(draw, ctx: Ctx, names: _Names, lay: Lay) -> tuple:
    """The processes and procedures of `lay` with their bodies and call arguments."""
    procedures = []
    for q in lay.procedures:
        selfn = _callers_count(lay, q.name)
        qctx = _frame_ctx(ctx, q.params, q.locals, selfn, lay)
        bodies = gen_frame(draw, qctx, names, lay.locks, len(q.steps), selfn)
        procedures.append(replace(q, steps=bodies, calls=_args(draw, qctx, lay, q.calls)))
    procs = []
    for p in lay.procs:
        pctx = _frame_ctx(ctx, p.params, p.locals, p.count, lay)
        bodies = gen_frame(draw, pctx, names, lay.locks, len(p.steps), p.count,
                           rcu_read=p.name in lay.readers, rcu_sync=p.name in lay.waiters)
        procs.append(replace(p, steps=bodies, calls=_args(draw, pctx, lay, p.calls)))
    return tuple(procs), tuple(procedures)


def _touched(s) -> Optional[str]:
    """The lock a statement (not its branches) changes, if any."""
    if isinstance(s, LockOp):
        return s.lock
    e = s.value if isinstance(s, (Let, Assign)) else s.cond if isinstance(s, If) else None
    if isinstance(e, Not):
        e = e.arg
    return e.lock if isinstance(e, TryLock) else None


def _no_relock(body: tuple, seen: Optional[set] = None) -> tuple:
    """`body` without the blocking lock statements that follow (in text order, any
    branch) a statement changing the same lock."""
    seen = set() if seen is None else seen
    out = []
    for s in body:
        if isinstance(s, LockOp) and s.op in BLOCKING and s.lock in seen:
            continue
        lock = _touched(s)
        if isinstance(s, If):
            if lock is not None:
                seen.add(lock)
            s = replace(s, then=_no_relock(s.then, seen), else_=_no_relock(s.else_, seen))
        elif lock is not None:
            seen.add(lock)
        out.append(s)
    return tuple(out)


def gen_action_locks(draw, ctx: Ctx, body: tuple, decls: tuple, names: _Names) -> tuple:
    """Maybe a lock use by the owner `env`: a critical section around the body, an
    acquisition or a release alone, a trylock; maybe a pick; maybe a `bug_on`."""
    k = draw(st.sampled_from(["none", "none", "section", "section", "acquire", "release", "try"]
                             + (["pair", "pair"] if len(decls) > 1 else [])))
    decl = draw(st.sampled_from(decls))
    op = _blocking_op(draw, decl)
    index = _lock_index(draw, ctx, decl, None)
    acq = LockOp(op, decl.name, index)
    if k == "pair":  # env takes two locks in some order (records an order at once)
        other = draw(st.sampled_from([d for d in decls if d.name != decl.name]))
        op2 = _blocking_op(draw, other)
        index2 = _lock_index(draw, ctx, other, None)
        body = ((acq, LockOp(op2, other.name, index2)) + body
                + (LockOp(RELEASE_OF[op2], other.name, index2), LockOp(RELEASE_OF[op], decl.name, index)))
    elif k == "section":
        body = (acq,) + body + (LockOp(RELEASE_OF[op], decl.name, index),)
    elif k == "acquire":
        body = _insert(draw, body, (acq,))
    elif k == "release":
        body = _insert(draw, body, (LockOp(RELEASE_OF[op], decl.name, index),))
    elif k == "try":
        body = _try_block(draw, ctx, names, acq, None) + body
    if draw(st.integers(0, 7)) == 0:
        x = names.next_let("x")
        xctx = replace(ctx, blocals=(x,))
        body = (Let(x, AnyBool()), If(Name(x), (gen_update(draw, xctx),), ())) + body
    if draw(st.integers(0, 5)) == 0:
        body = _insert(draw, body, (BugOn(_bug_name(draw, names), gen_bool(draw, ctx, 1)),), into_if=False)
    return body if RELOCK else _no_relock(body)


# ----------------------------------------------------------------------------- owners, pcs, fields


def _owners(lay) -> list[Who]:
    out = [Who(None, "none"), Who("env", "env")]
    for p in lay.procs:
        for i in range(p.count):
            out.append(Who(f"{p.name}[{i}]", f"{p.name}[{i}]" if p.count > 1 else p.name))
    return out


def _closed(e) -> bool:
    """No state, local or `self` in e (zcheck folds it to a literal)."""
    if isinstance(e, (Name, Read, SelfIdx)):
        return False
    if isinstance(e, Lit):
        return True
    kids = [getattr(e, f) for f in ("arg", "left", "right", "cond", "then", "else_", "a", "b", "elem", "body")
            if hasattr(e, f)]
    return all(_closed(k) for k in kids)


def _inst_index(draw, ctx: Ctx, count: int, prefer: Optional[str] = None) -> Expr:
    """An instance index of a process with `count` instances: a literal, or computed
    (maybe one past the last instance: `none`, `false`, the last instance's local)."""
    if prefer is not None and draw(st.integers(0, 3)):
        return Name(prefer)
    k = draw(st.sampled_from(["lit", "lit", "lit", "expr", "wide"]))
    if k == "lit":
        return Lit(draw(st.integers(0, count - 1)), TRange(count))
    e = gen_ranged(draw, ctx, count + (1 if k == "wide" else 0), 1)
    if _closed(e):  # a literal index outside the instances is an error (ZC503)
        from .explicit import eval_expr

        if not 0 <= eval_expr(e, {}, {}) < count:
            return Lit(count - 1, TRange(count))
    return e


def _who(draw, ctx: Ctx, lay, prefer: Optional[tuple] = None) -> Expr:
    if prefer is not None and draw(st.integers(0, 2)):
        p = next(p for p in lay.procs if p.name == prefer[0])
        return InstIdx(p.name, p.count, Name(prefer[1]))
    if draw(st.integers(0, 3)) == 0:
        p = draw(st.sampled_from(lay.procs))
        return InstIdx(p.name, p.count, _inst_index(draw, ctx, p.count))
    return draw(st.sampled_from(_owners(lay)))


def _at_label(draw, flat: list) -> str:
    label = draw(st.sampled_from([f.label for f in flat] + ["done", "crashed"]))
    if "." in label and draw(st.booleans()):
        return label.rsplit(".", 1)[1]  # a procedure's step, every call of it
    return label


def gen_at(draw, ctx: Ctx, lay, p, index: Optional[Expr] = None, label: Optional[str] = None) -> AtIdx:
    flat = lay.flat(p.name)
    if label is None:
        label = _at_label(draw, flat)
    if index is None:
        index = _inst_index(draw, ctx, p.count)
    short = p.count == 1 and index == Lit(0, TRange(1)) and draw(st.booleans())
    return AtIdx(p.name, p.count, index, label, label_pcs(flat, label), short)


def _field_test(draw, p, index: Expr, name: str, typ, value=None) -> Expr:
    short = p.count == 1 and index == Lit(0, TRange(1)) and draw(st.booleans())
    f = Field(p.name, p.count, index, name, short)
    if isinstance(typ, TBool):
        want = draw(st.booleans()) if value is None else value
        return f if want else Not(f)
    if value is not None:
        return Bin("==", f, Lit(value, typ))
    return Bin(draw(st.sampled_from(["==", "!=", "<", ">="])), f, Lit(draw(st.integers(0, typ.n - 1)), typ))


def _fields(p) -> list[tuple]:
    return [(n, TRange(k)) for n, k in p.params] + [(v.name, v.typ) for v in p.locals]


def gen_lock_atom(draw, lay, ctx: Ctx, prefer: Optional[tuple] = None) -> Expr:
    """An atom over owners, pcs and instance fields: `owner(L) == x`, `writer(S) != x`,
    `readers(S) < c`, `held_by(L, x)`, `at(p[i], label)`, `p[i].x == c`; `prefer`
    (process, bound variable) makes instances of that process named by the variable common."""
    with_fields = [p for p in lay.procs if _fields(p)]
    k = draw(st.sampled_from(["owner", "owner", "at", "at", "held"] + (["field"] if with_fields else [])))
    decl = draw(st.sampled_from(lay.locks))
    index = None if decl.count is None else (
        draw(st.integers(0, decl.count - 1)) if draw(st.integers(0, 2)) else gen_ranged(draw, ctx, decl.count, 0))
    if k == "at":
        p = draw(st.sampled_from(lay.procs)) if prefer is None else next(q for q in lay.procs if q.name == prefer[0])
        return gen_at(draw, ctx, lay, p, Name(prefer[1]) if prefer is not None else None)
    if k == "field":
        p = draw(st.sampled_from(with_fields))
        idx = Name(prefer[1]) if prefer is not None and prefer[0] == p.name else _inst_index(draw, ctx, p.count)
        name, typ = draw(st.sampled_from(_fields(p)))
        return _field_test(draw, p, idx, name, typ)
    who = _who(draw, ctx, lay, prefer)
    if k == "held" and who != Who(None, "none"):
        return HeldBy(decl.name, index, who)
    if decl.kind == "rwsem" and draw(st.booleans()):
        return Bin(draw(st.sampled_from(["==", ">=", "<"])), ReadersOf(decl.name, index),
                   Lit(draw(st.integers(0, 2)), TRange(3)))
    fn = "writer" if decl.kind == "rwsem" else "owner"
    return Bin(draw(st.sampled_from(["==", "!="])), OwnerOf(fn, decl.name, index), who)


def gen_lock_prop(draw, model: Model, lay, layers: list, s0: dict, cover: bool) -> Expr:
    """A property over pcs, lock holders and instance fields: the pcs, holders and fields
    of a deep reachable state (negated for an invariant), a quantifier over a process's
    instances (`forall j in 0 .. N :: at(p[j], s) -> held_by(L, p[j])`), or one or two
    random atoms."""
    from .explicit import LOCK, WRITER, eval_expr, thaw

    ctx = Ctx((), ())
    k = draw(st.sampled_from(["deep", "deep", "quant", "atoms", "atoms"]))
    if k == "deep":
        d = len(layers) - 1 - draw(st.integers(0, min(2, len(layers) - 1)))
        state = thaw(model, draw(st.sampled_from(layers[d])))
        tests: list[Expr] = []
        for p in model.procs:
            flat = flatten(model, p)
            labels = [f.label for f in flat] + ["done", "crashed"]
            for i in range(p.count):
                pc = state[f"{p.name}[{i}].pc"]
                if pc != 0:
                    tests.append(gen_at(draw, ctx, lay, p, Lit(i, TRange(p.count)), labels[pc]))
                for name, typ in _fields(p):
                    if draw(st.integers(0, 2)) == 0:
                        tests.append(_field_test(draw, p, Lit(i, TRange(p.count)), name, typ,
                                                 state[f"{p.name}[{i}].{name}"]))
        who = {w.who: w for w in _owners(lay)}
        for lk in model.locks:
            key = (WRITER if lk.kind == "rwsem" else LOCK) + lk.name
            fn = "writer" if lk.kind == "rwsem" else "owner"
            for index in ([None] if lk.count is None else range(lk.count)):
                holder = state[key] if index is None else state[key][index]
                if holder is not None:
                    tests.append(Bin("==", OwnerOf(fn, lk.name, index), who[holder]))
        if len(tests) > 4:
            tests = draw(st.permutations(tests))[:4]
        if tests:
            e = tests[0]
            for t in tests[1:]:
                e = Bin("&&", e, t)
            return e if cover else Not(e)
    if k == "quant":
        p = draw(st.sampled_from(lay.procs))
        n = p.count + (1 if draw(st.integers(0, 3)) == 0 else 0)
        qctx = replace(ctx, locals=(("j0", n),), qlevel=1)
        body = Bin(draw(st.sampled_from(["->", "->", "&&", "||"])), gen_lock_atom(draw, lay, qctx, (p.name, "j0")),
                   gen_lock_atom(draw, lay, qctx, (p.name, "j0")))
        e: Expr = Quant(draw(st.sampled_from(["forall", "exists"])), "j0", n, body)
    else:
        e = gen_lock_atom(draw, lay, ctx)
        if draw(st.booleans()):
            e = Bin(draw(st.sampled_from(["&&", "||", "->"])), e, gen_lock_atom(draw, lay, ctx))
    if eval_expr(e, s0, {}) == cover and draw(st.integers(0, 3)) > 0:
        e = Not(e)  # decided in the initial state: usually turned around
    return e


# ----------------------------------------------------------------------------- liveness (issue 18)
#
# Small models (at most LIVE_STATES reachable states) with fairness on some actions and
# processes and 1-3 liveness properties over variables and pcs. Two shapes are planted
# often, since random bodies rarely produce them: `_intermittent` (a worker enabled only
# in every other state of a run that keeps toggling a flag: weak fairness does not force
# it, strong fairness does) and `_fuel` (every action spends fuel, processes may end: dead
# ends). The properties are aimed at predicates that are true in some reachable states
# and false in others.

LIVE_STATES = 300  # models with more reachable states are rejected (the oracle is pure Python)
_FAIR = st.sampled_from([None, None, "weak", "weak", "strong"])


def _live_decl(draw, k: int) -> VarDecl:
    if draw(st.integers(0, 5)) == 0:
        typ: Type = TMap(2, draw(st.sampled_from([TBool(), TRange(2)])))
        return VarDecl(f"m{k}", typ, draw(_domain(typ.val)))
    typ = draw(st.sampled_from([TBool(), TBool(), TRange(2), TRange(3), TEnum()]))
    return VarDecl(f"v{k}", typ, draw(_domain(typ)))


def _ctx_of(decls) -> Ctx:
    return Ctx(scalars=tuple((v.name, v.typ) for v in decls if not isinstance(v.typ, TMap)),
               maps=tuple((v.name, v.typ) for v in decls if isinstance(v.typ, TMap)))


def _with_update(draw, ctx: Ctx, body: tuple) -> tuple:
    at = draw(st.integers(0, len(body)))
    return body[:at] + (gen_update(draw, ctx),) + body[at:]


def _live_base(draw) -> Model:
    """1-3 small variables, 0-2 processes (at most 3 instances, 1-3 steps, maybe looping)
    and 0-3 actions (at least one move of some kind), bodies with `require`s and `if`s."""
    names = _Names()
    decls = [_live_decl(draw, k) for k in range(draw(st.integers(1, 3)))]
    ctx = _ctx_of(decls)
    procs: list[Proc] = []
    for k in range(draw(st.integers(0, 2))):
        count = draw(st.integers(1, 2 if k == 0 else 1))
        steps = tuple(_with_update(draw, ctx, gen_stmts(draw, ctx, 1, names, guards=True, lo=0, hi=2))
                      for _ in range(draw(st.integers(1, 3))))
        procs.append(Proc(f"p{k}", count, steps, draw(st.booleans())))
    actions: list[Action] = []
    for k in range(draw(st.integers(0 if procs else 1, 3))):
        param = ("i", 2) if draw(st.integers(0, 3)) == 0 else None
        actx = replace(ctx, locals=(param,)) if param else ctx
        body = _with_update(draw, actx, gen_stmts(draw, actx, 1, names, guards=True, lo=0, hi=2))
        actions.append(Action(f"a{k}", param, body, parens=draw(st.booleans())))
    return Model(tuple(decls), (), tuple(actions), (), tuple(procs))


def _requires_first(model: Model) -> Model:
    """Every body's top-level `require`s moved to its start: zcheck checks liveness only
    when each move's enabledness is a state predicate (no require after a write or pick)."""
    first = lambda b: tuple(s for s in b if isinstance(s, Require)) + tuple(  # noqa: E731
        s for s in b if not isinstance(s, Require))
    return replace(model, actions=tuple(replace(a, body=first(a.body)) for a in model.actions),
                   procs=tuple(replace(p, steps=tuple(map(first, p.steps))) for p in model.procs))


def _append(body: tuple, stmt) -> tuple:
    """`stmt` last in `body`, but before a final statement that ends the step."""
    return body[:-1] + (stmt,) + body[-1:] if _ends(body) else body + (stmt,)


def _intermittent(draw, model: Model) -> Model:
    """`flip` toggles `tog`; a worker (an action, or one step of a process) requires `tog`
    and toggles `prog` or sets it. A run that keeps flipping enables the worker in every
    other state only: under weak fairness it may starve, under strong fairness it runs
    infinitely often."""
    req = Require(Name("tog"))
    bump = Assign("prog", Not(Name("prog")) if draw(st.booleans()) else Lit(True, TBool()))
    actions, procs = list(model.actions), list(model.procs)
    kind, k = draw(st.sampled_from([("a", k) for k in range(len(actions))] + [("p", k) for k in range(len(procs))]))
    fair = draw(st.sampled_from(["weak", "strong", "strong"]))
    if kind == "a":
        actions[k] = replace(actions[k], body=(req,) + _append(actions[k].body, bump), fair=fair)
    else:
        steps = list(procs[k].steps)
        j = draw(st.integers(0, len(steps) - 1))
        steps[j] = (req,) + _append(steps[j], bump)
        procs[k] = replace(procs[k], steps=tuple(steps), fair=fair)
    flip = Action("flip", None, (Assign("tog", Not(Name("tog"))),), fair=draw(st.sampled_from([None, "weak"])))
    decls = (VarDecl("tog", TBool(), draw(st.booleans())), VarDecl("prog", TBool(), False))
    return replace(model, vars=model.vars + decls, actions=tuple(actions) + (flip,), procs=tuple(procs))


def _fuel(draw, model: Model) -> Model:
    """Every action spends a unit of `fuel` and requires some left; processes (maybe) stop
    looping: once the fuel is spent and every instance is done or blocked, nothing moves."""
    n = draw(st.integers(2, 3))
    left = Bin(">", Name("fuel"), Lit(0, TRange(n)))
    spend = (Require(left), Assign("fuel", Bin("%", Bin("-", Name("fuel"), Lit(1, TRange(0))), Lit(n, TRange(0)))))
    actions = tuple(replace(a, body=spend + a.body) for a in model.actions)
    procs = tuple(replace(p, loop=p.loop and draw(st.booleans())) for p in model.procs)
    fuel = VarDecl("fuel", TRange(n), draw(st.integers(1, n - 1)))
    return replace(model, vars=model.vars + (fuel,), actions=actions, procs=procs)


def _fairness(draw, model: Model) -> Model:
    """Weak, strong or no fairness on each action and process not given one yet."""
    actions = tuple(a if a.fair else replace(a, fair=draw(_FAIR)) for a in model.actions)
    procs = tuple(p if p.fair else replace(p, fair=draw(_FAIR)) for p in model.procs)
    return replace(model, actions=actions, procs=procs)


def weakened(model: Model) -> Model:
    """`model` with every `strong fair` read as `fair` (to tell which verdicts need strong fairness)."""
    weak = lambda x: replace(x, fair="weak") if x.fair == "strong" else x  # noqa: E731
    return replace(model, actions=tuple(map(weak, model.actions)), procs=tuple(map(weak, model.procs)))


def _pc_atom(draw, model: Model) -> Expr:
    """`at(p[i], label)` for a step label, `done` or (with locks) `crashed`."""
    p = draw(st.sampled_from(model.procs))
    i = draw(st.integers(0, p.count - 1))
    labels = [f.label for f in flatten(model, p)] + ["done"] + (["crashed"] if model.locks else [])
    pc = draw(st.integers(0, len(labels) - 1))
    return At(f"{p.name}[{i}]", f"{p.name}[{i}]" if p.count > 1 else p.name, labels[pc], pc)


def _live_atom(draw, model: Model) -> Expr:
    ctx = _ctx_of(model.vars)
    k = draw(st.sampled_from(["var", "var"] + (["pc", "pc"] if model.procs else [])
                             + (["prog"] * 3 if any(v.name == "prog" for v in model.vars) else [])))
    if k == "pc":
        return _pc_atom(draw, model)
    if k == "prog":
        return Name("prog") if draw(st.booleans()) else Not(Name("prog"))
    return gen_atom(draw, ctx)


def _live_expr(draw, model: Model, states: list) -> Expr:
    """A predicate over the variables and pcs, true in some reachable states and false in
    others when one of three tries finds such (else the last try)."""
    from .explicit import eval_expr

    for _ in range(3):
        e = _live_atom(draw, model)
        if draw(st.integers(0, 2)) == 0:
            e = Bin(draw(st.sampled_from(["&&", "||"])), e, _live_atom(draw, model))
        if len({bool(eval_expr(e, s, {})) for s in states}) == 2:
            break
    return e


def gen_live(draw, model: Model, states: list, k: int) -> Live:
    op = draw(st.sampled_from(LIVE_OPS))
    p = _live_expr(draw, model, states)
    q = _live_expr(draw, model, states) if op == LT else None
    return Live(op, f"live{k}", p, q, arrow=op == LT and draw(st.booleans()))


@st.composite
def live_models(draw, locks: bool = False):
    """A model with fairness and liveness properties and at most LIVE_STATES reachable
    states (others are rejected); `locks`: the processes, locks and actions of
    `models(procs=True, locks=True)` (deadlocks are dead ends) instead of `_live_base`."""
    from hypothesis import assume

    from .explicit import TooBig, state_graph, thaw

    if locks:
        model = replace(draw(models(max_vars=1, max_actions=1, procs=True, locks=True, targets=False)), props=())
    else:
        model = _live_base(draw)
        if draw(st.booleans()):
            model = _requires_first(model)
    if draw(st.integers(0, 3)) == 0:
        model = _fuel(draw, model)
    if draw(st.booleans()) and (model.actions or model.procs):
        model = _intermittent(draw, model)
    model = _fairness(draw, model)
    try:
        graph = state_graph(model, LIVE_STATES)
    except TooBig:
        assume(False)
        raise
    states = [thaw(model, key) for key in graph.keys]
    return replace(model, live=tuple(gen_live(draw, model, states, k) for k in range(draw(st.integers(1, 3)))))
