"""Checker: the Z3 encoding of a `System` — init(), trans(k), bad(P, k).

Input: a `System` (IR). Output: Z3 formulas over one copy of each state variable per
step (`name@k`), an action selector `act@k`, per-step parameters `T.param@k` and picks
`T.choice@k`, and rigid symbolic constants. Maps are `maps.MapTerm` read functions, so a
BMC formula has no array theory (the first state of k-induction reads a Z3 array); in
states reached from init, a map over at most `cell_keys` keys is a constant per key
(`name[key]@k`, `maps.MapCells`) instead of a read chain over every earlier write. A violation `not forall x. phi` is encoded
with a fresh witness constant per query, so bad(P, k) is quantifier-free at the top.

    init()   = state@0 is the result of the initialisers and `init`, and the assumes hold
    trans(k) = OR_i (act@k = i  and  guard_i(state@k, params@k)  and  state@k+1 = post_i)
    bad(P,k) = not P(state@k)                                  (invariants, state parts)
    site(P,k)= act@k = i and reached_i and not cond           (asserts of transition i)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias, assert_never

import z3

from zcheck.checker import testpoints
from zcheck.checker.maps import MapArray, MapCells, MapConst, MapFill, MapStore, MapTerm, ite, outside, same
from zcheck.checker.z3ops import Z3OPS
from zcheck.spec import typed as t
from zcheck.spec.ops import Op, width_of
from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.ir import Property, System, Transition
from zcheck.system.lower import domain_of
from zcheck.system.semantics import const_choice, init_choice

Term: TypeAlias = z3.ExprRef

CELL_KEYS = 16  # default of Encoding's cell_keys: cells win up to 16 keys, break even at 32, lose at 64 (pfn_walker_toctou BMC, NSECT swept)


def sort_of(typ: Type) -> z3.SortRef:
    match typ:
        case BoolT():
            return z3.BoolSort()
        case IntT() | RangeT() | EnumT():
            return z3.IntSort()
        case BvT(width=w):
            return z3.BitVecSort(w)
        case MapT(key=k, value=v):
            return z3.ArraySort(sort_of(k), sort_of(v))


def literal(value: int | bool, typ: Type) -> Term:
    match typ:
        case BoolT():
            return z3.BoolVal(bool(value))
        case BvT(width=w):
            return z3.BitVecVal(int(value) % (1 << w), w)
        case IntT() | RangeT() | EnumT():
            return z3.IntVal(int(value))
        case MapT():
            raise AssertionError("map literal")


@dataclass
class Ctx:
    """Values of names during encoding of one body or predicate."""

    cur: dict[str, Term]
    old: dict[str, Term]
    params: dict[str, Term] = field(default_factory=dict)
    locals: dict[str, Term] = field(default_factory=dict)
    bound: dict[str, Term] = field(default_factory=dict)
    rigid: dict[str, Term] = field(default_factory=dict)
    bps: dict[str, list[Term]] | None = None  # breakpoints of each current map (None: unknown)
    old_bps: dict[str, list[Term]] | None = None
    shared: "Shared | None" = None  # set for a state predicate's context, never changed after its first use

    def copy(self) -> "Ctx":
        bps = None if self.bps is None else {k: list(v) for k, v in self.bps.items()}
        shared = None if self.shared is None else Shared(self.shared.shapes)
        return Ctx(dict(self.cur), self.old, self.params, dict(self.locals), dict(self.bound), self.rigid,
                   bps, self.old_bps, shared)


@dataclass
class Shared:
    """The terms of the sub-expressions encoded so far under one context, by structure
    (`t.Shapes`): a state predicate repeats sub-expressions (the implicit `deadlock`
    repeats every wait-for edge in each cycle it lists), and each is encoded once. Z3
    hash-conses terms, so the formula is the one the plain walk builds; only the repeated
    walks are saved. Keyed by structure, not by node identity: which nodes a tree shares
    differs between builds of the same model, and the memo must hit the same way in each."""

    shapes: t.Shapes
    terms: dict[int, Term] = field(default_factory=dict)
    polar: dict[tuple[int, bool], Term] = field(default_factory=dict)  # `violation`'s, by (shape, negated)


@dataclass(frozen=True)
class Witness:
    name: str  # display name of the quantified variable
    type: Type
    const: Term


@dataclass(frozen=True)
class Site:
    """An assert site of a transition body, encoded at one step."""

    prop: str
    reach: Term  # the site is reached and every earlier require held
    stmt: t.SAssert
    ctx: Ctx


@dataclass
class StepEncoding:
    trans: Term  # includes defs
    sites: dict[str, list[tuple[int, Site]]]  # prop → (transition index, site)
    defs: Term  # `w == term` for each named store index and value of the step (see _Sym.named)
    quants: tuple[tuple[int, Term, tuple[t.Quant, ...], Ctx], ...] = ()  # (transition, path, range guards, ctx)


def expr(e: t.TExpr, ctx: Ctx) -> Term:
    shared = ctx.shared
    if shared is None:
        return _expr(e, ctx)
    key = shared.shapes.of(e)
    got = shared.terms.get(key)
    if got is None:
        got = shared.terms[key] = _expr(e, ctx)
    return got


def _expr(e: t.TExpr, ctx: Ctx) -> Term:
    match e:
        case t.Lit(value=v, type=typ):
            return literal(v, typ)
        case t.Var(name=n):
            return ctx.cur[n]
        case t.Old(name=n):
            return ctx.old[n]
        case t.Const(name=n):
            return ctx.rigid[n]
        case t.Param(name=n):
            return ctx.params[n]
        case t.Local(name=n):
            return ctx.locals[n]
        case t.Bound(name=n):
            return ctx.bound[n]
        case t.Read(map=m, index=i):
            mt = expr(m, ctx)
            assert isinstance(mt, MapTerm)
            return mt.read(expr(i, ctx))
        case t.Unop(op=op, arg=a, type=typ):
            return Z3OPS[op](expr(a, ctx), width_of(typ))
        case t.Binop(op=op, left=a, right=b):
            lit = int(b.value) if isinstance(b, t.Lit) else None
            return Z3OPS[op](expr(a, ctx), expr(b, ctx), width_of(a.type), lit)
        case t.Ite(cond=c, then=a, else_=b):
            return ite(expr(c, ctx), expr(a, ctx), expr(b, ctx))
        case t.Quant():
            return quant(e, ctx)
        case _:
            assert_never(e)


def quant(e: t.Quant, ctx: Ctx) -> Term:
    """A quantifier: expanded at test points when exact (see testpoints), else Z3's."""
    points = _points(e, ctx)
    if points is None:
        x = z3.Const(e.var, sort_of(e.var_type))
        inner = ctx.copy()
        inner.bound[e.var] = x
        b = expr(e.body, inner)
        return z3.ForAll([x], b) if e.kind == "forall" else z3.Exists([x], b)
    parts = []
    for p in points:
        inner = ctx.copy()
        inner.bound[e.var] = p
        parts.append(expr(e.body, inner))
    return z3.And(parts) if e.kind == "forall" else z3.Or(parts)


def _points(e: t.Quant, ctx: Ctx) -> list[Term] | None:
    values = testpoints.finite_values(e.var_type)
    if values is None:
        values = testpoints.literal_range(e.body, e.var, e.var_type)
    if values is not None:
        return [literal(v, e.var_type) for v in values]
    frag = testpoints.analyse(e.body, e.var, e.var_type)
    if frag is None:
        return None
    base: list[Term] = []
    for m, c in frag.reads:
        table = ctx.bps if isinstance(m, t.Var) else ctx.old_bps
        if table is None or m.name not in table:
            return None
        shift = None if c is None else expr(c, ctx)
        base.extend(b if shift is None else b - shift for b in table[m.name])
    for y, c, starts in frag.cmps:
        y_t = expr(y, ctx)
        if not z3.is_int(y_t):
            return None
        start = y_t if c is None else y_t - expr(c, ctx)
        base.extend(start + s if s else start for s in starts)
    if not base:
        base = [z3.IntVal(0)]
    # every piece of constant truth starts at a point of `base`, except the one left of
    # them all, which p - 1 of every point represents; a lower-bounded quantifier is
    # decided without it (the bound is a point, so that piece lies below it)
    shifts = (0,) if testpoints.lower_bounded(e.body, e.var, e.kind) else (0, -1)
    seen: dict[int, Term] = {}
    for b in base:
        for p in (z3.simplify(b + s if s else b) for s in shifts):
            seen.setdefault(p.get_id(), p)
    return list(seen.values())


def violation(e: t.TExpr, ctx: Ctx, tag: str, negate: bool = True) -> tuple[Term, list[Witness]]:
    """not e (or e when negate=False) with outermost existentials replaced by constants.

    The constants are named `TAG!x` and returned as witnesses of the violation. Two
    quantifiers may bind the same name (`(exists j :: a) && (exists j :: b)`, or one
    `fn` inlined twice): each gets its own constant (`TAG!j`, `TAG!j#2`), since one
    constant for both would ask a single key to witness both bodies and could hide a
    violation."""
    witnesses: list[Witness] = []
    used: dict[str, int] = {}

    def go(x: t.TExpr, neg: bool, c: Ctx) -> Term:
        shared = c.shared
        if shared is None or shared.shapes.quantified(x):  # each quantifier gets its own witness
            return polar(x, neg, c)
        key = (shared.shapes.of(x), neg)
        got = shared.polar.get(key)
        if got is None:
            got = shared.polar[key] = polar(x, neg, c)
        return got

    def polar(x: t.TExpr, neg: bool, c: Ctx) -> Term:
        match x:
            case t.Quant(kind=kind, var=var, var_type=vt, body=body) if (kind == "forall") == neg:
                shown = t.display_name(var)
                used[shown] = used.get(shown, 0) + 1
                suffix = "" if used[shown] == 1 else f"#{used[shown]}"
                const = z3.Const(f"{tag}!{shown}{suffix}", sort_of(vt))
                witnesses.append(Witness(t.display_name(var), vt, const))
                inner = c.copy()
                inner.bound[var] = const
                return go(body, neg, inner)
            case t.Unop(op=Op.NOT, arg=a):
                return go(a, not neg, c)
            case t.Binop(op=Op.IMPLIES, left=a, right=b) if neg:
                return z3.And(expr(a, c), go(b, True, c))
            case t.Binop(op=Op.AND, left=a, right=b):
                return z3.Or(go(a, True, c), go(b, True, c)) if neg else z3.And(go(a, False, c), go(b, False, c))
            case t.Binop(op=Op.OR, left=a, right=b):
                return z3.And(go(a, True, c), go(b, True, c)) if neg else z3.Or(go(a, False, c), go(b, False, c))
            case _:
                v = expr(x, c)
                return z3.Not(v) if neg else v

    return go(e, negate, ctx), witnesses


class Encoding:
    """The unrolled encoding of one `System`; formulas for each step are built once."""

    def __init__(self, system: System, from_init: bool = True, cell_keys: int = CELL_KEYS):
        """`from_init`: states are reached from init, so map breakpoints are known
        (k-induction passes False: its first state is arbitrary). `cell_keys`: in
        states reached from init, a map whose key type has at most this many keys is
        one constant per key (`MapCells`); 0 keeps every map a read chain."""
        self.sys = system
        self.from_init = from_init
        self.cell_keys = cell_keys
        self._types = {v.name: v.type for v in system.vars}
        self._bps: dict[int, dict[str, list[Term]] | None] = {}
        self.rigid = {name: z3.Const(name, sort_of(typ)) for name, typ in system.rigid}
        self._states: dict[int, dict[str, Term]] = {}
        self._steps: dict[int, StepEncoding] = {}
        self.index = {tr.name: i for i, tr in enumerate(system.transitions)}
        self._choices = {tr.name: [h.choice for h in havocs(tr.body)] for tr in system.transitions}
        self.init_picks: dict[str, Term] = {}  # choice name → term (decoded into the trace)
        self._init: tuple[Term, dict[str, list[Site]]] | None = None
        self._qfree: dict[int, Term] = {}  # subterms known to be quantifier-free (hints)
        self._shapes = t.Shapes()  # structural numbers of the property expressions (see Shared)

    # -------------------------------------------------------------- variables

    def state(self, k: int) -> dict[str, Term]:
        """Terms of state k. Reached states hold maps as terms (K/Lambda/Store over the
        initial ones), never as array constants: equating an array constant with a
        Lambda made Z3 time out at depth 2 on the seed model; substituting answers in ms."""
        if k not in self._states:
            if k == 0 and self.from_init:
                self._init_parts()
                return self._states[0]
            if k > 0:
                self.step(k - 1)
                return self._states[k]
            self._states[k] = {v.name: self._fresh(v.name, v.type, str(k)) for v in self.sys.vars}
        return self._states[k]

    def _fresh(self, name: str, typ: Type, suffix: str) -> Term:
        x = z3.Const(f"{name}@{suffix}", sort_of(typ))
        return MapArray(x, isinstance(typ.key, BvT)) if isinstance(typ, MapT) else x

    def bps(self, k: int) -> dict[str, list[Term]] | None:
        """Breakpoints of every map in state k (None when unknown)."""
        if not self.from_init:
            return None
        if k == 0:
            self._init_parts()
        elif k not in self._bps:
            self.step(k - 1)
        return self._bps.get(k)

    def ctx(self, k: int) -> Ctx:
        b = self.bps(k)
        return Ctx(self.state(k), self.state(k), rigid=self.rigid, bps=b, old_bps=b, shared=Shared(self._shapes))

    def act(self, k: int) -> Term:
        return z3.Int(f"act@{k}")

    def param(self, tr: Transition, name: str, typ: Type, k: int) -> Term:
        """The constant of parameter `name` of `tr` at step k. One transition fires per
        step, so transitions share their parameter constants by position and sort: a
        guard `kind[s]` then reads one chain per step instead of one per transition
        (section model, depth 12: 5,800 -> see docs/benchmarks.md)."""
        pos = next(i for i, (n, _) in enumerate(tr.params) if n == name)
        sort = sort_of(typ)
        return z3.Const(f"arg{pos}:{sort}@{k}", sort)

    def pick(self, tr_name: str, choice: str, typ: Type, k: int | None) -> Term:
        """The value chosen by a `havoc`/`any` of `tr_name`; shared across transitions
        at a step by position and sort, like parameters."""
        if k is None:
            return z3.Const(f"{tr_name}.{choice}", sort_of(typ))
        pos = self._choices[tr_name].index(choice)
        sort = sort_of(typ)
        return z3.Const(f"pick{pos}:{sort}@{k}", sort)

    def domains(self, k: int) -> Term:
        """Enum state variables hold members of their enum (for induction, whose first
        state is arbitrary). Only enums: a range-typed variable CAN leave its range (the
        store is reported as `X.range@LINE` and the value kept), so constraining it here
        would hide reachable states and make induction unsound."""
        cs = []
        for v in self.sys.vars:
            if isinstance(v.type, EnumT) or v.exact_domain:
                d = domain_of(t.Var(v.name, v.type), v.type)
                assert d is not None
                cs.append(expr(d, self.ctx(k)))
            elif isinstance(v.type, MapT) and isinstance(v.type.value, EnumT) and k == 0 and not self.from_init:
                key = z3.Const(f"dom!{v.name}", sort_of(v.type.key))
                elem = t.Local("__elem", v.type.value)
                d = domain_of(elem, v.type.value)
                assert d is not None
                ctx = self.ctx(0)
                ctx.locals["__elem"] = self.state(0)[v.name].read(key)
                cs.append(z3.ForAll([key], expr(d, ctx)))
        return z3.And(cs) if cs else z3.BoolVal(True)

    # -------------------------------------------------------------- init

    def init(self) -> Term:
        return self._init_parts()[0]

    def init_sites(self) -> dict[str, list[Site]]:
        return self._init_parts()[1]

    def _init_parts(self) -> tuple[Term, dict[str, list[Site]]]:
        if self._init is not None:
            return self._init
        cs: list[Term] = []
        for name, typ in self.sys.rigid:
            self.init_picks[const_choice(name)] = self.rigid[name]
            d = domain_of(t.Const(name, typ), typ)
            if d is not None:
                cs.append(expr(d, Ctx({}, {}, rigid=self.rigid)))
        values: dict[str, Term] = {}
        for v in self.sys.vars:
            if v.init is None:
                x = z3.Const(f"{v.name}@init", sort_of(v.type))
                self.init_picks[init_choice(v.name)] = x
                d = domain_of(t.Var(v.name, v.type), v.type)
                if d is not None:
                    cs.append(expr(d, Ctx({v.name: x}, {}, rigid=self.rigid)))
                values[v.name] = x
            else:
                value = expr(v.init, Ctx(dict(values), {}, rigid=self.rigid))
                values[v.name] = MapConst(value, isinstance(v.type.key, BvT)) if isinstance(v.type, MapT) else value
        empty: dict[str, list[Term]] = {v.name: [] for v in self.sys.vars if isinstance(v.type, MapT)}
        sym = _Sym(self, "init", None, Ctx(values, dict(values), rigid=self.rigid, bps=empty, old_bps=empty))
        sym.block(self.sys.init, z3.BoolVal(True))
        self._bps[0] = sym.ctx.bps if self.from_init else None
        s0 = {v.name: self._fresh(v.name, v.type, "0") for v in self.sys.vars}
        self._states[0] = s0
        for v in self.sys.vars:
            if isinstance(v.type, MapT) and self.from_init:
                s0[v.name] = sym.ctx.cur[v.name]
            else:
                cs.append(s0[v.name] == sym.ctx.cur[v.name])
        cs.extend(sym.guard)
        post = Ctx(s0, s0, rigid=self.rigid, bps=self._bps[0], old_bps=self._bps[0])
        cs.extend(expr(a, post) for a in self.sys.assumes)
        sites: dict[str, list[Site]] = {}
        for site in sym.sites:
            sites.setdefault(site.prop, []).append(site)
        self._init = (z3.And(cs) if cs else z3.BoolVal(True), sites)
        return self._init

    # -------------------------------------------------------------- transitions

    def step(self, k: int) -> StepEncoding:
        if k in self._steps:
            return self._steps[k]
        pre = self.state(k)
        act = self.act(k)
        n = len(self.sys.transitions)
        options: list[Term] = []
        defs: list[Term] = []
        nexts: dict[str, Term] = {name: pre[name] for name in pre}
        sites: dict[str, list[tuple[int, Site]]] = {}
        quants: list[tuple[int, Term, tuple[t.Quant, ...], Ctx]] = []
        pre_bps = self.bps(k)
        post_bps = None if pre_bps is None else {name: list(v) for name, v in pre_bps.items()}
        for i in reversed(range(n)):
            tr = self.sys.transitions[i]
            params = {name: self.param(tr, name, typ, k) for name, typ in tr.params}
            start = None if pre_bps is None else {name: list(v) for name, v in pre_bps.items()}
            sym = _Sym(self, tr.name, k, Ctx(dict(pre), pre, params, rigid=self.rigid, bps=start, old_bps=pre_bps))
            sym.block(tr.body, z3.BoolVal(True))
            if post_bps is not None and sym.ctx.bps is not None:
                for name, pts in sym.ctx.bps.items():
                    post_bps[name] = _union(post_bps[name], pts)
            options.append(z3.And(act == i, *sym.guard))
            defs.extend(sym.defs)
            for name, value in sym.ctx.cur.items():
                if not same(value, pre[name]):
                    nexts[name] = ite(act == i, value, nexts[name])
            for site in sym.sites:
                sites.setdefault(site.prop, []).append((i, site))
            quants.extend((i, path, guards, ctx) for path, guards, ctx in sym.quants)
        post: dict[str, Term] = {}
        frame: list[Term] = []
        for v in self.sys.vars:
            if isinstance(v.type, MapT):
                post[v.name] = self._cells(v.name, v.type, nexts[v.name], pre[v.name], k + 1, frame)
            else:
                post[v.name] = z3.Const(f"{v.name}@{k + 1}", sort_of(v.type))
                frame.append(post[v.name] == nexts[v.name])
        self._states[k + 1] = post
        trans = z3.And(act >= 0, act < n, z3.Or(options), *frame, *defs) if n else z3.BoolVal(False)
        self._steps[k] = StepEncoding(trans, sites, z3.And(defs), tuple(quants))
        self._bps[k + 1] = post_bps
        return self._steps[k]

    def trans(self, k: int) -> Term:
        return self.step(k).trans

    def inside(self, var: str, index: t.TExpr) -> bool:
        """A store into map `var` at `index` writes a key of the map's key type."""
        typ = self._types[var]
        return isinstance(typ, MapT) and _inside(index, typ.key)

    def _cells(self, name: str, typ: MapT, value: MapTerm, before: MapTerm, k: int, frame: list[Term]) -> MapTerm:
        """The map `name` in state k: `value` itself (a read chain), or a `MapCells` of
        fresh constants `name[key]@k`, each equated in `frame` with `value` at its key,
        when the key type is small (see `cell_keys`) and the step may write the map."""
        keys = key_range(typ.key)
        if value is before or not self.from_init or keys is None or keys[1] - keys[0] > self.cell_keys:
            return value
        lo, hi = keys
        cells = tuple(z3.Const(f"{name}[{x}]@{k}", sort_of(typ.value)) for x in range(lo, hi))
        frame.extend(c == value.read(z3.IntVal(lo + at)) for at, c in enumerate(cells))
        return MapCells(lo, cells, outside(value, lo, hi, {}))

    # -------------------------------------------------------------- properties

    def bad(self, prop: Property, k: int, tag: str | None = None) -> tuple[Term, list[Witness]] | None:
        """The state part of `prop` is false in state k (for a cover: true). The
        witnesses are named `TAG!x`, TAG `prop@k` unless given: BMC gives one tag to all
        the properties it asks together (see bmc._state_queries)."""
        if prop.expr is None:
            return None
        ctx = self.ctx(k)
        return violation(prop.expr, ctx, tag or f"{prop.name}@{k}", negate=prop.kind != "cover")

    def good(self, prop: Property, k: int) -> Term:
        """The state part of `prop` holds in state k (quantifiers kept universal)."""
        if prop.expr is None:
            return z3.BoolVal(True)
        return expr(prop.expr, self.ctx(k))

    def hints(self, prop: Property, k: int, terms: list[Term]) -> tuple[bool, list[Term]]:
        """Quantifier-free consequences of `prop` in state k, for BMC to add where the
        property is known to hold: (True, [the property]) when its quantifiers expand
        (finite domains, test points); else (False, instances with the outer universal
        variables set to `terms` of their sort, at most MAX_INSTANCES)."""
        if prop.expr is None or prop.kind == "cover":
            return True, []
        if _finite(prop.expr):
            return True, [self.good(prop, k)]
        return False, _instances(prop.expr, self.ctx(k), terms, self._qfree)[:MAX_INSTANCES]

    def guard_hints(self, k: int, terms: list[Term]) -> list[Term]:
        """Instances at `terms` of the range guards of step k's requires, each under the
        step's choice of transition: consequences of trans(k) (whose test-point expansion
        of the same quantifier is exact), so adding them loses no model."""
        out: list[Term] = []
        for i, path, guards, ctx in self.step(k).quants:
            sel = z3.And(self.act(k) == i, path)
            for g in guards:
                out += [z3.Implies(sel, x) for x in _instances(g, ctx, terms, self._qfree)]
        return out

    def site_good(self, prop: Property, k: int) -> Term:
        """No assert site of `prop` fails at step k (quantifiers kept universal)."""
        parts = []
        for i, site in self.step(k).sites.get(prop.name, []):
            parts.append(z3.Implies(z3.And(self.act(k) == i, site.reach), expr(site.stmt.cond, site.ctx)))
        return z3.And(self.step(k).defs, *parts) if parts else z3.BoolVal(True)

    def site_bad(self, prop: Property, k: int | None,
                 tag: str | None = None) -> tuple[Term, list[tuple[Term, list[Witness]]]] | None:
        """Some assert site of `prop` fails at step k (k=None: in the initial state).
        Witnesses are named as in `bad`, with TAG `prop@k` unless given."""
        if k is None:
            found = [(-1, s) for s in self.init_sites().get(prop.name, [])]
        else:
            found = self.step(k).sites.get(prop.name, [])
        if not found:
            return None
        where = tag or f"{prop.name}@{'init' if k is None else k}"
        parts: list[tuple[Term, list[Witness]]] = []
        for j, (i, site) in enumerate(found):
            neg, ws = violation(site.stmt.cond, site.ctx, f"{where}#{j}")
            sel = z3.BoolVal(True) if k is None else self.act(k) == i
            parts.append((z3.And(sel, site.reach, neg), ws))
        if k is not None:  # the sites read the step's named terms, defined apart from trans(k)
            parts = [(z3.And(self.step(k).defs, p), ws) for p, ws in parts]
        return z3.Or([p for p, _ in parts]), parts


MAX_INSTANCES = 64


def key_range(typ: Type) -> tuple[int, int] | None:
    """The keys [lo, hi) of a range or enum key type (None: any other type)."""
    match typ:
        case RangeT(lo=lo, hi=hi):
            return lo, hi
        case EnumT(members=members):
            return 0, len(members)
        case _:
            return None


def _inside(index: t.TExpr, key: Type) -> bool:
    """The index is a parameter whose type lies within the key type: its transition
    requires it in range (`lower._with_domains`), so a store at it never writes a key
    outside the key type."""
    own, keys = key_range(index.type), key_range(key)
    return isinstance(index, t.Param) and own is not None and keys is not None \
        and keys[0] <= own[0] and own[1] <= keys[1]


def havocs(body: tuple[t.TStmt, ...]) -> list[t.SHavoc]:
    """The havoc statements of a body, in source order."""
    return [s for s in t.walk_stmts(body) if isinstance(s, t.SHavoc)]


def _instances(e: t.TExpr, ctx: Ctx, terms: list[Term], qfree: dict[int, Term]) -> list[Term]:
    match e:
        case t.Binop(op=Op.AND, left=a, right=b):
            return _instances(a, ctx, terms, qfree) + _instances(b, ctx, terms, qfree)
        case t.Quant(kind="forall", var=var, var_type=vt, body=body):
            sort = sort_of(vt)
            out: list[Term] = []
            for x in terms:
                if x.sort() == sort:
                    inner = ctx.copy()
                    inner.bound[var] = x
                    out += _instances(body, inner, terms, qfree)
                    if len(out) >= MAX_INSTANCES:
                        break
            return out
        case _:
            inst = expr(e, ctx)
            return [] if _quantified(inst, qfree) else [inst]


def _range_guards(e: t.TExpr) -> tuple[t.Quant, ...]:
    """The universal conjuncts of e over an infinite domain (`forall p in s .. e :: ...`)."""
    return tuple(c for c in testpoints.conjuncts(e)
                 if isinstance(c, t.Quant) and c.kind == "forall" and testpoints.finite_values(c.var_type) is None)


def _finite(e: t.TExpr) -> bool:
    """Every quantifier of e ranges over a finite domain (so it expands in full)."""
    return all(testpoints.finite_values(n.var_type) is not None
               for n in t.walk(e) if isinstance(n, t.Quant))


def _quantified(x: Term, qfree: dict[int, Term]) -> bool:
    """Does the term contain a Z3 quantifier (hints must stay quantifier-free)?
    `qfree` holds the subterms already known quantifier-free (by id, the term kept alive
    so that its id is not reused): instances at successive depths share their read
    chains, and walking them again cost half of the encoding time on the seed model."""
    seen: dict[int, Term] = {}
    stack = [x]
    while stack:
        n = stack.pop()
        i = n.get_id()
        if i in seen or i in qfree:
            continue
        seen[i] = n
        if z3.is_quantifier(n):
            return True
        if z3.is_app(n):
            stack.extend(n.children())
    qfree.update(seen)
    return False


class _Sym:
    """Symbolic execution of one body: SSA values, path-conditioned guard, assert sites."""

    def __init__(self, enc: Encoding, tr_name: str, k: int | None, ctx: Ctx):
        self.enc = enc
        self.tr_name = tr_name
        self.k = k
        self.ctx = ctx
        self.guard: list[Term] = []
        self.defs: list[Term] = []
        self.sites: list[Site] = []
        self.quants: list[tuple[Term, tuple[t.Quant, ...], Ctx]] = []  # range guards of requires

    def block(self, body: tuple[t.TStmt, ...], path: Term) -> None:
        for s in body:
            self.stmt(s, path)

    def stmt(self, s: t.TStmt, path: Term) -> None:
        c = self.ctx
        match s:
            case t.SAssign(var=v, value=x):
                c.cur[v] = expr(x, c)
            case t.SStore(var=v, index=i, value=x):
                i_t = self.named(expr(i, c)) if _indirect(i) else expr(i, c)
                x_t = self.named(expr(x, c)) if _indirect(x) else expr(x, c)
                c.cur[v] = MapStore(c.cur[v], i_t, x_t, self.enc.inside(v, i))
                self.breaks(v, [i_t, i_t + 1])
            case t.SFill(var=v, lo=lo, hi=hi, value=x):
                lo_t, hi_t, val = expr(lo, c), expr(hi, c), expr(x, c)
                c.cur[v] = MapFill(c.cur[v], lo_t, hi_t, val)
                self.breaks(v, [lo_t, hi_t])
            case t.SHavoc():
                self.havoc(s, path)
            case t.SIf(cond=cond, then=a, else_=b):
                self.branch(expr(cond, c), a, b, path)
            case t.SLet(name=n, value=x):
                c.locals[n] = expr(x, c)
            case t.SRequire(cond=cond):
                self.guard.append(z3.Implies(path, expr(cond, c)))
                guards = _range_guards(cond)
                if guards:
                    self.quants.append((path, guards, c.copy()))
            case t.SAssert(prop=p):
                reach = z3.And(path, *self.guard)
                self.sites.append(Site(p, reach, s, c.copy()))
            case t.SGoto() | t.SDone() | t.SLock() | t.STry() | t.SBugOn() | t.SRcu():
                raise AssertionError("lowered away")

    def named(self, x: Term) -> Term:
        """A fresh constant `w` for the term x, with `w == x` kept in `defs`: the
        index or value of a map store at step k that is a map read or reads a map at an
        index read from a map (`_indirect`). Later read chains then compare and return the constant
        instead of a copy of the writer's term: on a 5-key model whose actions write
        `m[m[i]] := (m[m[i]] + 1) % 4` BMC at depth 5 took 478 s with the terms
        inlined, 61 s with them named. Stores without such reads (the kernel models'
        `refcount[s] := refcount[s] + 1`) are not named: there the extra constants
        cost 10-20 %. Each definition is satisfiable whatever the other variables
        are, so conjoining it anywhere changes no answer."""
        if self.k is None or z3.is_const(x) or z3.is_quantifier(x):
            return x
        n = z3.Const(f"w!{self.tr_name}@{self.k}#{len(self.defs)}", x.sort())
        self.defs.append(n == x)
        return n

    def havoc(self, s: t.SHavoc, path: Term) -> None:
        c = self.ctx
        vtype = s.domain
        x = self.enc.pick(self.tr_name, s.choice, vtype, self.k)
        if self.k is None:
            self.enc.init_picks[s.choice] = x
        cond = domain_of(t.Local("__pick", vtype), vtype)
        local_ctx = c.copy()
        local_ctx.locals["__pick"] = x
        conds = [] if cond is None else [expr(cond, local_ctx)]
        if s.lo is not None and s.hi is not None:
            conds += [expr(s.lo, c) <= x, x < expr(s.hi, c)]
        if conds:
            self.guard.append(z3.Implies(path, z3.And(conds)))
        if s.local:
            c.locals[s.var] = x
        elif s.index is None:
            c.cur[s.var] = x
        else:
            i_t = expr(s.index, c)
            c.cur[s.var] = MapStore(c.cur[s.var], i_t, x, self.enc.inside(s.var, s.index))
            self.breaks(s.var, [i_t, i_t + 1])

    def breaks(self, var: str, points: list[Term]) -> None:
        bps = self.ctx.bps
        if bps is not None and var in bps and z3.is_int(points[0]):
            bps[var] = _union(bps[var], points)

    def branch(self, cond: Term, a: tuple[t.TStmt, ...], b: tuple[t.TStmt, ...], path: Term) -> None:
        base = self.ctx
        self.ctx = base.copy()
        self.block(a, z3.And(path, cond))
        then_ctx = self.ctx
        self.ctx = base.copy()
        self.block(b, z3.And(path, z3.Not(cond)))
        else_ctx = self.ctx
        merged = base.copy()
        for name in base.cur:
            x, y = then_ctx.cur[name], else_ctx.cur[name]
            merged.cur[name] = ite(cond, x, y)
        merged.locals = {**then_ctx.locals, **else_ctx.locals}
        if then_ctx.bps is not None and else_ctx.bps is not None:
            merged.bps = {n: _union(then_ctx.bps[n], else_ctx.bps[n]) for n in then_ctx.bps}
        self.ctx = merged


def _indirect(e: t.TExpr) -> bool:
    """e is a map read or reads a map at an index that itself reads a map."""
    if isinstance(e, t.Read):
        return True
    return any(isinstance(n, t.Read) and any(isinstance(m, t.Read) for m in t.walk(n.index))
               for n in t.walk(e))


def _union(a: list[Term], b: list[Term]) -> list[Term]:
    seen = {x.get_id() for x in a}
    out = list(a)
    for x in b:
        if x.get_id() not in seen:
            seen.add(x.get_id())
            out.append(x)
    return out
