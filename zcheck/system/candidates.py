"""System: candidate invariants of a `System`, mined from its structure and its reachable samples.

Input: a `System`, the property to prove, the model's lemmas, and `Samples` (reachable
states, system/sample.py). Output: `Candidate`s — typed state predicates, each tagged
with its `Kind` and printed in ZDL (system/zdl.py) — true in every sample, for the
checker to prune with Houdini (checker/infer.py). Nothing here is trusted: a candidate
is only a guess until the solver has shown it inductive.

The families are the lemmas a human writes for a concurrent model:

- LOCK_HELD: an instance between `acquire L` and `release L` holds L
  (`at(I, s) -> owner(L) == I`), and holds it only there (`owner(L) == I -> at(I, s1) || ...`);
- RWSEM: at most one writer, and no readers beside it (`writer(S) != none -> readers(S) == 0`);
  read holds only inside read sections;
- PC_EXCLUSION: two instances are never at two steps together (`!(at(I, s) && at(J, t))`),
  a step no run reaches (`!at(I, s)`);
- PC_LOCAL: an instance's locals and the globals at each of its steps (`at(I, s) -> x == c`,
  `at(I, s) -> x == y`, `at(I, s) -> (a -> b)`);
- ENUM_DOMAIN: an enum variable holds only the values its assignments can produce;
- MAP_SHAPE: facts of the property's shape: its body instantiated at the map keys each
  instance works on, at each of its steps, and implications between the property's
  per-key atoms for all keys;
- SCALAR: equalities, bounds and implications between scalars that hold in every sample;
- PROPERTY: the property itself and the model's lemmas.

Samples are encoded as bitsets (a Python int, bit j for sample j), so a family of
thousands of templates is filtered with a few integer operations each. Every order here
is fixed by the model's declaration order and the candidates' text (no hash order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator, cast

from zcheck.spec import typed as t
from zcheck.spec.ops import COMPARISONS, Op
from zcheck.spec.types import BOOL, INT, BoolT, BvT, EnumT, IntT, MapT, RangeT, Type, finite_size
from zcheck.spec.typecheck import substitute
from zcheck.system.evaluate import EvalError, Value, evaluate
from zcheck.system.ir import Property, System
from zcheck.system.sample import Samples
from zcheck.system.zdl import describe

SMALL_KEYS = 4  # maps over at most this many keys are read at every key
MAX_INT_VALUES = 3  # an int term taking at most this many values gets one atom per value


class Kind(Enum):
    PROPERTY = "property"
    LOCK_HELD = "lock-held"
    RWSEM = "rwsem"
    PC_EXCLUSION = "pc-exclusion"
    PC_LOCAL = "pc-local"
    ENUM_DOMAIN = "enum-domain"
    MAP_SHAPE = "map-shape"
    SCALAR = "scalar"


_ORDER = {k: i for i, k in enumerate(Kind)}


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    expr: t.TExpr | None  # None: a property with no state part (its assert sites only)
    text: str  # ZDL, or trace names where ZDL has none (`zdl` False)
    zdl: bool
    prop: Property | None = field(default=None, compare=False)  # PROPERTY: the property itself
    tier: int = 0  # 0: single facts; 1: relations at one step; 2: relations anywhere (tried last)

    @property
    def key(self) -> tuple[int, str]:
        """The stable order of candidates: by family, then by text."""
        return (_ORDER[self.kind], self.text)


@dataclass(frozen=True)
class Mined:
    candidates: tuple[Candidate, ...]  # true in every sample, sorted by key, duplicates removed
    generated: int  # templates considered before the samples were consulted


# ---------------------------------------------------------------- typed helpers


def _b(op: str, a: t.TExpr, b: t.TExpr) -> t.TExpr:
    return t.Binop(Op(op), a, b, BOOL)


def _not(a: t.TExpr) -> t.TExpr:
    return a.arg if isinstance(a, t.Unop) and a.op == "not" else t.Unop(Op.NOT, a, BOOL)


def _any(parts: list[t.TExpr]) -> t.TExpr:
    out = parts[0]
    for p in parts[1:]:
        out = _b("or", out, p)
    return out


def _lit(v: Value, typ: Type) -> t.TExpr:
    return t.Lit(v, typ)  # type: ignore[arg-type]


def _is(x: t.TExpr, v: Value) -> t.TExpr:
    """`x == v`, written `x` / `!x` for a bool (as a person writes it)."""
    if isinstance(x.type, BoolT):
        return x if v else _not(x)
    return _b("eq", x, _lit(v, x.type))


def _cat(typ: Type) -> object:
    """Terms of one category can be compared with each other."""
    match typ:
        case IntT() | RangeT():
            return "int"
        case BvT(width=w):
            return ("bv", w)
        case _:
            return typ


def _state_only(e: t.TExpr) -> bool:
    return all(isinstance(n, (t.Var, t.Lit, t.Const, t.Read, t.Unop, t.Binop, t.Ite)) for n in t.walk(e))


# ---------------------------------------------------------------- the model's shape


@dataclass(frozen=True)
class Instance:
    name: str  # "udev[0]"
    pc: str  # "udev[0].pc"
    labels: tuple[str, ...]  # the pc's values by name (steps, done, crashed)

    def at(self, k: int) -> t.TExpr:
        return _b("eq", t.Var(self.pc, INT), t.Lit(k, INT))


@dataclass(frozen=True)
class Term:
    expr: t.TExpr
    inst: str | None  # the instance whose local it is (its variables, or a map at its index)
    values: tuple[Value, ...]  # in each sample


def instances(system: System) -> list[Instance]:
    return [Instance(v.name[:-3], v.name, v.type.members) for v in system.vars
            if v.name.endswith(".pc") and isinstance(v.type, EnumT)]


def _index_exprs(system: System, inst: str) -> list[t.TExpr]:
    """State expressions (not literals) at which instance `inst`'s steps index maps."""
    found: dict[t.TExpr, None] = {}

    def visit_expr(e: t.TExpr) -> None:
        for n in t.walk(e):
            if isinstance(n, t.Read) and not isinstance(n.index, t.Lit) and _state_only(n.index):
                found.setdefault(n.index, None)

    def visit(body: tuple[t.TStmt, ...]) -> None:
        for s in body:
            for e in _stmt_exprs(s):
                visit_expr(e)
            if isinstance(s, (t.SStore, t.SHavoc)) and s.index is not None and not isinstance(s.index, t.Lit) \
                    and _state_only(s.index):
                found.setdefault(s.index, None)
            if isinstance(s, t.SIf):
                visit(s.then)
                visit(s.else_)

    for tr in system.transitions:
        if tr.name.startswith(inst + "."):
            visit(tr.body)
    return [e for e in found if any(isinstance(n, t.Var) and n.name.startswith(inst + ".") for n in t.walk(e))]


def _stmt_exprs(s: t.TStmt) -> list[t.TExpr]:
    match s:
        case t.SAssign(value=x) | t.SLet(value=x):
            return [x]
        case t.SStore(index=i, value=x):
            return [i, x]
        case t.SIf(cond=c) | t.SRequire(cond=c) | t.SAssert(cond=c):
            return [c]
        case _:
            return []


def _keys(typ: MapT, count: int | None) -> list[int] | None:
    size = finite_size(typ.key) if isinstance(typ.key, RangeT) else None
    if isinstance(typ.key, RangeT) and size is not None and size <= SMALL_KEYS:
        return list(range(typ.key.lo, typ.key.hi))
    if count is not None and count <= SMALL_KEYS:
        return list(range(count))
    return None


def map_keys(system: System, v) -> list[int] | None:  # type: ignore[no-untyped-def]
    """Every key of map variable `v` when its key domain is small (a lock array: its size)."""
    counts = {lk.name: lk.count for lk in system.locks}
    return _keys(v.type, counts.get(v.name.split(".read[", 1)[0]))


def _key_type(system: System, name: str, typ: MapT) -> Type:
    counts = {lk.name: lk.count for lk in system.locks}
    base = name.split(".read[", 1)[0]
    if counts.get(base) is not None:
        return RangeT(0, counts[base])  # type: ignore[arg-type]
    return typ.key


def term_exprs(system: System, insts: list[Instance]) -> list[tuple[t.TExpr, str | None]]:
    """Scalar state terms: scalar variables, maps at every key of a small domain, and
    maps at the keys each instance indexes them with."""
    counts = {lk.name: lk.count for lk in system.locks}
    owner_of = {v.name: next((i.name for i in insts if v.name.startswith(i.name + ".")), None) for v in system.vars}
    out: list[tuple[t.TExpr, str | None]] = []
    for v in system.vars:
        if v.name == "scenario.pos" or v.name.endswith(".pc") and owner_of[v.name] is not None:
            continue
        if not isinstance(v.type, MapT):
            out.append((t.Var(v.name, v.type), owner_of[v.name]))
            continue
        keys = _keys(v.type, counts.get(v.name.split(".read[", 1)[0]))
        for k in keys or []:
            out.append((t.Read(t.Var(v.name, v.type), t.Lit(k, INT), v.type.value), owner_of[v.name]))
    for inst in insts:
        for idx in _index_exprs(system, inst.name):
            for v in system.vars:
                if isinstance(v.type, MapT) and not isinstance(v.type.value, MapT) and _index_fits(system, v, idx):
                    out.append((t.Read(t.Var(v.name, v.type), idx, v.type.value), inst.name))
    return out


def _index_fits(system: System, v, idx: t.TExpr) -> bool:  # type: ignore[no-untyped-def]
    key = _key_type(system, v.name, v.type)
    return _cat(key) == _cat(idx.type)


# ---------------------------------------------------------------- mining


class _Miner:
    def __init__(self, system: System, prop: Property, lemmas: list[Property], samples: Samples):
        self.sys = system
        self.prop = prop
        self.lemmas = lemmas
        self.samples = samples.samples
        self.n = len(self.samples)
        self.all = (1 << self.n) - 1
        self.insts = instances(system)
        self.generated = 0
        self.out: dict[t.TExpr, Candidate] = {}
        self.terms = [x for x in (self.term(e, i) for e, i in term_exprs(system, self.insts)) if x is not None]
        self.pcs = {i.name: self.pc_bits(i) for i in self.insts}

    # ------------------------------------------------------------ evaluation

    def values(self, e: t.TExpr) -> tuple[Value, ...] | None:
        """`e` in every sample (None when some sample cannot evaluate it). `e` is
        evaluated once per distinct value of what it reads: samples that agree on those
        variables give the same value (the evaluator is a function of them)."""
        try:
            return tuple(self._each(e, stop_at_false=False))
        except (EvalError, KeyError, ZeroDivisionError, AssertionError):
            return None

    def _each(self, e: t.TExpr, stop_at_false: bool) -> Iterator[Value]:
        state, rigid = _reads(e)
        memo: dict[tuple[Value, ...], Value] = {}
        for s in self.samples:
            key = tuple(s.state[n] for n in state) + tuple(s.rigid[n] for n in rigid)
            v = memo.get(key, _MISSING)
            if v is _MISSING:
                v = memo[key] = evaluate(e, s.env())
            yield v  # type: ignore[misc]
            if stop_at_false and not v:
                return

    def term(self, e: t.TExpr, inst: str | None) -> Term | None:
        vals = self.values(e)
        return None if vals is None else Term(e, inst, vals)

    def bits(self, vals: tuple[Value, ...], want: Value) -> int:
        out = 0
        for j, v in enumerate(vals):
            if v == want:
                out |= 1 << j
        return out

    def pc_bits(self, inst: Instance) -> list[int]:
        vals = tuple(s.state[inst.pc] for s in self.samples)
        return [self.bits(vals, k) for k in range(len(inst.labels))]

    def holds(self, e: t.TExpr) -> bool:
        """Counted as one template: is `e` true in every sample?"""
        self.generated += 1
        try:
            return all(bool(v) for v in self._each(e, stop_at_false=True))
        except (EvalError, KeyError, ZeroDivisionError, AssertionError):
            return False

    def add(self, kind: Kind, e: t.TExpr, tier: int = 0) -> None:
        if e not in self.out:
            shown = describe(self.sys, e)
            self.out[e] = Candidate(kind, e, shown.text, shown.zdl, tier=tier)

    # ------------------------------------------------------------ atoms

    def atoms(self, term: Term) -> list[tuple[t.TExpr, int]]:
        """Boolean features of a term, with the samples where each is true."""
        typ = term.expr.type
        if isinstance(typ, BoolT):
            return [(term.expr, self.bits(term.values, True))]
        seen = sorted(set(term.values), key=lambda v: (str(type(v)), v))
        if isinstance(typ, EnumT) or len(seen) <= MAX_INT_VALUES:
            return [(_b("eq", term.expr, _lit(v, typ)), self.bits(term.values, v)) for v in seen]
        return []


_MISSING = object()


def _reads(e: t.TExpr) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The state variables and symbolic constants `e` reads, in first-seen order."""
    state: dict[str, None] = {}
    rigid: dict[str, None] = {}
    for n in t.walk(e):
        match n:
            case t.Var(name=name):
                state[name] = None
            case t.Const(name=name):
                rigid[name] = None
            case _:
                pass
    return tuple(state), tuple(rigid)


def mine(system: System, prop: Property, lemmas: list[Property], samples: Samples) -> Mined:
    """Every family's candidates that hold in every sample (see the module docstring)."""
    m = _Miner(system, prop, lemmas, samples)
    static = (_properties, _enum_domains)
    mined = (_scalars, _pc_facts, _apart, _lock_held, _rwsem, _pc_exclusion, _map_shape) if m.n else ()
    for fam in static + mined:  # without samples every template would pass: only the static ones
        fam(m)
    cands = sorted(m.out.values(), key=lambda c: c.key)
    return Mined(tuple(cands), m.generated)


# ---------------------------------------------------------------- families


def _properties(m: _Miner) -> None:
    for p in [m.prop] + [lm for lm in m.lemmas if lm.name != m.prop.name]:
        m.generated += 1
        text = p.name
        m.out[t.Var(f"<property {p.name}>", BOOL)] = Candidate(Kind.PROPERTY, p.expr, text, False, p)


def _scalars(m: _Miner) -> None:
    """Constants, bounds and equalities between terms in every sample."""
    moving: list[Term] = []
    for x in m.terms:
        m.generated += 1
        first = x.values[0] if x.values else None
        if all(v == first for v in x.values) and m.n:
            m.add(Kind.SCALAR, _is(x.expr, first))  # type: ignore[arg-type]
            continue
        moving.append(x)
        if _cat(x.expr.type) == "int":
            m.generated += 2
            ints = cast("tuple[int, ...]", x.values)  # the samples of an int term
            lo, hi = min(ints), max(ints)
            if not isinstance(x.expr.type, RangeT) or lo > x.expr.type.lo:
                m.add(Kind.SCALAR, _b("ge", x.expr, t.Lit(lo, INT)))
            if not isinstance(x.expr.type, RangeT) or hi < x.expr.type.hi - 1:
                m.add(Kind.SCALAR, _b("le", x.expr, t.Lit(hi, INT)))
    for i, x in enumerate(moving):
        for y in moving[i + 1:]:
            if _cat(x.expr.type) != _cat(y.expr.type):
                continue
            m.generated += 1
            if x.values == y.values:
                m.add(Kind.SCALAR, _b("eq", x.expr, y.expr), 2)
            elif _cat(x.expr.type) == "int":
                m.generated += 1
                if all(a <= b for a, b in zip(x.values, y.values)):  # type: ignore[operator]
                    m.add(Kind.SCALAR, _b("le", x.expr, y.expr), 2)
                elif all(b <= a for a, b in zip(x.values, y.values)):  # type: ignore[operator]
                    m.add(Kind.SCALAR, _b("le", y.expr, x.expr), 2)
    atoms = [(a, bits, id_) for id_, x in enumerate(moving) for a, bits in m.atoms(x) if 0 < bits < m.all]
    _implications(m, atoms, m.all, None, Kind.SCALAR, 2)


def _implications(m: _Miner, atoms: list[tuple[t.TExpr, int, int]], guard: int, at: t.TExpr | None,
                  kind: Kind, tier: int) -> None:
    """`a -> b` (under `at`) for atoms of different terms, where the samples in `guard`
    never have a without b; skipped where a is never or b always true there (a shorter
    candidate says so)."""
    live = [(a, bits & guard, i) for a, bits, i in atoms if 0 < bits & guard < guard]
    for a, ab, ia in live:
        for b, bb, ib in live:
            if ia == ib:
                continue
            m.generated += 2
            if ab & ~bb == 0:
                m.add(kind, _guarded(at, _b("implies", a, b)), tier)
            if ab & bb == 0 and ia < ib:
                m.add(kind, _guarded(at, _not(_b("and", a, b))), tier)


def _guarded(at: t.TExpr | None, e: t.TExpr) -> t.TExpr:
    return e if at is None else _b("implies", at, e)


def _relevant(term: Term, inst: str) -> bool:
    return term.inst == inst


def _pc_facts(m: _Miner) -> None:
    """At each step of each instance: its locals (and the map cells it works on) equal a
    constant, another such term, or imply each other."""
    for inst in m.insts:
        for k, g in enumerate(m.pcs[inst.name]):
            if g == 0 or g == m.all:
                continue
            at = inst.at(k)
            idx = [j for j in range(m.n) if g >> j & 1]
            moving: list[Term] = []
            others: list[Term] = []
            for x in m.terms:
                m.generated += 1
                vals = {x.values[j] for j in idx}
                if len(vals) == 1:
                    (v,) = vals
                    if not all(w == v for w in x.values):
                        m.add(_local_kind(m, x, inst, v), _b("implies", at, _is(x.expr, v)))
                else:
                    (moving if _relevant(x, inst.name) else others).append(x)
            for i, x in enumerate(moving):
                for y in moving[i + 1:] + others:
                    if _cat(x.expr.type) == _cat(y.expr.type):
                        _pair_at(m, at, idx, x, y)
            atoms = [(a, bits, i) for i, x in enumerate(moving) for a, bits in m.atoms(x)]
            _implications(m, atoms, g, at, Kind.PC_LOCAL, 1)
            _implications(m, atoms + _wide_atoms(m, inst), g, at, Kind.PC_LOCAL, 2)


def _pair_at(m: _Miner, at: t.TExpr, idx: list[int], x: Term, y: Term) -> None:
    """`at -> x == y`, or for ints `x < y` / `x <= y` (either way round), when every
    sample at the step says so (and not every sample anywhere: that is a SCALAR fact)."""
    m.generated += 1
    xs, ys = [x.values[j] for j in idx], [y.values[j] for j in idx]
    if xs == ys:
        if x.values != y.values:
            m.add(Kind.PC_LOCAL, _b("implies", at, _b("eq", x.expr, y.expr)), 1)
        return
    if _cat(x.expr.type) != "int":
        return
    m.generated += 2
    for a, b, av, bv in ((x, y, xs, ys), (y, x, ys, xs)):
        if all(p < q for p, q in zip(av, bv)):  # type: ignore[operator]
            m.add(Kind.PC_LOCAL, _b("implies", at, _b("lt", a.expr, b.expr)), 1)
        elif all(p <= q for p, q in zip(av, bv)):  # type: ignore[operator]
            m.add(Kind.PC_LOCAL, _b("implies", at, _b("le", a.expr, b.expr)), 1)


def _apart(m: _Miner) -> None:
    """Two instances at two steps hold different values in their locals of one type
    (two tickets taken are different): `at(I, s) && at(J, u) -> x != y`."""
    for a_i, a in enumerate(m.insts):
        for b in m.insts[a_i + 1:]:
            xs = [x for x in m.terms if x.inst == a.name and _cat(x.expr.type) == "int"]
            ys = [y for y in m.terms if y.inst == b.name and _cat(y.expr.type) == "int"]
            if not xs or not ys:
                continue
            for k, g in enumerate(m.pcs[a.name]):
                for j, h in enumerate(m.pcs[b.name]):
                    both = g & h
                    if not both:
                        continue
                    idx = [n for n in range(m.n) if both >> n & 1]
                    for x in xs:
                        for y in ys:
                            m.generated += 1
                            if all(x.values[n] != y.values[n] for n in idx):
                                m.add(Kind.PC_LOCAL, _b("implies", _b("and", a.at(k), b.at(j)), _b("ne", x.expr, y.expr)), 2)


def _wide_atoms(m: _Miner, inst: Instance) -> list[tuple[t.TExpr, int, int]]:
    """The other instances' steps and the global terms' atoms, for the widest tier of
    facts at a step (Peterson's `at(p[0], cs) -> (at(p[1], wait) -> turn == 0)`)."""
    out: list[tuple[t.TExpr, int, int]] = []
    for other in m.insts:
        if other.name != inst.name:
            out += [(other.at(k), g, -1 - len(out)) for k, g in enumerate(m.pcs[other.name]) if g]
    base = len(m.terms) + 1
    for i, x in enumerate(m.terms):
        if x.inst is None:
            out += [(a, bits, base + i) for a, bits in m.atoms(x)]
    return out


def _local_kind(m: _Miner, x: Term, inst: Instance, v: Value) -> Kind:
    owners = m.sys.owners
    if owners is not None and x.expr.type == owners and owners.members[int(v)] == inst.name:  # type: ignore[arg-type]
        return Kind.LOCK_HELD
    return Kind.PC_LOCAL


def _lock_held(m: _Miner) -> None:
    """`at(I, s) -> owner(L) == I` comes from _pc_facts; here the converse: I holds L
    only at the steps where the samples saw it hold L."""
    owners = m.sys.owners
    if owners is None:
        return
    for inst in m.insts:
        if inst.name not in owners.members:
            continue
        me = owners.members.index(inst.name)
        for x in m.terms:
            if x.expr.type != owners:
                continue
            m.generated += 1
            held = m.bits(x.values, me)
            _only_at(m, inst, _b("eq", x.expr, t.Lit(me, owners)), held, Kind.LOCK_HELD)
        for x in m.terms:
            if ".read[" in _var_name(x.expr) and _var_name(x.expr).endswith(f"[{inst.name}]"):
                m.generated += 1
                held = sum(1 << j for j, v in enumerate(x.values) if v != 0)
                _only_at(m, inst, _b("gt", x.expr, t.Lit(0, INT)), held, Kind.RWSEM)


def _var_name(e: t.TExpr) -> str:
    while isinstance(e, t.Read):
        e = e.map
    return e.name if isinstance(e, t.Var) else ""


def _only_at(m: _Miner, inst: Instance, fact: t.TExpr, bits: int, kind: Kind) -> None:
    if bits == 0:
        return
    where = [k for k, g in enumerate(m.pcs[inst.name]) if g & bits]
    if len(where) < len(inst.labels):
        m.add(kind, _b("implies", fact, _any([inst.at(k) for k in where])))


def _rwsem(m: _Miner) -> None:
    """A writer excludes every reader; a read count is never negative."""
    owners = m.sys.owners
    for info in m.sys.locks:
        if info.kind != "rwsem" or owners is None:
            continue
        keys: list[int | None] = [None] if info.count is None else list(range(min(info.count, SMALL_KEYS)))
        for k in keys:
            writer = _cell(info.name, owners, k)
            for o in info.readers:
                count = _cell(f"{info.name}.read[{o}]", INT, k)
                for e in (_b("implies", _b("ne", writer, t.Lit(0, owners)), _b("eq", count, t.Lit(0, INT))),
                          _b("ge", count, t.Lit(0, INT)), _b("le", count, t.Lit(1, INT))):
                    if m.holds(e):
                        m.add(Kind.RWSEM, e)


def _cell(name: str, typ: Type, k: int | None) -> t.TExpr:
    if k is None:
        return t.Var(name, typ)
    return t.Read(t.Var(name, MapT(INT, typ)), t.Lit(k, INT), typ)


def _pc_exclusion(m: _Miner) -> None:
    for i, a in enumerate(m.insts):
        for k, g in enumerate(m.pcs[a.name]):
            m.generated += 1
            if g == 0:
                m.add(Kind.PC_EXCLUSION, _not(a.at(k)))
        for b in m.insts[i + 1:]:
            for k, g in enumerate(m.pcs[a.name]):
                for j, h in enumerate(m.pcs[b.name]):
                    m.generated += 1
                    if g and h and g & h == 0:
                        m.add(Kind.PC_EXCLUSION, _not(_b("and", a.at(k), b.at(j))))


def _enum_domains(m: _Miner) -> None:
    """An enum variable (or map of enums) holds only what its assignments can produce."""
    produced = _assigned_values(m.sys)
    for v in m.sys.vars:
        typ = v.type.value if isinstance(v.type, MapT) else v.type
        if not isinstance(typ, EnumT) or v.name.endswith(".pc") or v.name in _locks(m.sys):
            continue
        vals = produced.get(v.name)
        if vals is None or len(vals) >= len(typ.members):
            continue
        m.generated += 1
        if isinstance(v.type, MapT):
            key = _key_type(m.sys, v.name, v.type)
            if finite_size(key) is None:
                continue
            bound = t.Bound(f"k#{v.name}", key)
            cell: t.TExpr = t.Read(t.Var(v.name, v.type), bound, typ)
            body = _any([_b("eq", cell, t.Lit(x, typ)) for x in sorted(vals)])
            e: t.TExpr = t.Quant("forall", bound.name, key, _range_guard(bound, key, body), BOOL)
        else:
            e = _any([_b("eq", t.Var(v.name, typ), t.Lit(x, typ)) for x in sorted(vals)])
        if m.holds(e):
            m.add(Kind.ENUM_DOMAIN, e)


def _range_guard(bound: t.TExpr, key: Type, body: t.TExpr) -> t.TExpr:
    return body  # the quantifier's type bounds the key (range types are enumerated)


def _locks(system: System) -> set[str]:
    return {lk.name for lk in system.locks}


def _assigned_values(system: System) -> dict[str, set[int] | None]:
    """Enum values each variable can be given: its initialiser and the literals (through
    `if-then-else`) assigned to it; None when some assignment is not such a literal."""
    out: dict[str, set[int] | None] = {}
    for v in system.vars:
        out[v.name] = _literals(v.init) if v.init is not None else None

    def note(var: str, value: t.TExpr | None) -> None:
        if var not in out or out[var] is None:
            return
        got = None if value is None else _literals(value)
        out[var] = None if got is None else out[var] | got  # type: ignore[operator]

    def visit(body: tuple[t.TStmt, ...]) -> None:
        for s in body:
            match s:
                case t.SAssign(var=var, value=x) | t.SStore(var=var, value=x) | t.SFill(var=var, value=x):
                    note(var, x)
                case t.SHavoc(var=var, local=False):
                    note(var, None)
                case t.SIf(then=a, else_=b):
                    visit(a)
                    visit(b)
                case _:
                    pass

    visit(system.init)
    for tr in system.transitions:
        visit(tr.body)
    return out


def _literals(e: t.TExpr) -> set[int] | None:
    match e:
        case t.Lit(value=v):
            return {int(v)}
        case t.Ite(then=a, else_=b):
            x, y = _literals(a), _literals(b)
            return None if x is None or y is None else x | y
        case _:
            return None


def _map_shape(m: _Miner) -> None:
    """The property's body at the keys each instance works on, at each of its steps;
    and implications between its per-key atoms, for all keys."""
    e = m.prop.expr
    if not isinstance(e, t.Quant) or e.kind != "forall" or finite_size(e.var_type) is None:
        return
    for inst in m.insts:
        for idx in _index_exprs(m.sys, inst.name):
            if _cat(idx.type) != _cat(e.var_type):
                continue
            body = _instantiate(e.body, e.var, idx)
            for k, g in enumerate(m.pcs[inst.name]):
                if g == 0:
                    continue
                cand = _b("implies", inst.at(k), body)
                if m.holds(cand):
                    m.add(Kind.MAP_SHAPE, cand)
    atoms = _key_atoms(m, e)
    for a in atoms:
        for b in atoms:
            if a == b:
                continue
            for cand in (_b("implies", a, b), _b("implies", a, _not(b))):
                q = t.Quant("forall", e.var, e.var_type, cand, BOOL)
                if m.holds(q):
                    m.add(Kind.MAP_SHAPE, q)


def _instantiate(body: t.TExpr, var: str, value: t.TExpr) -> t.TExpr:
    return substitute(body, lambda n: value if isinstance(n, t.Bound) and n.name == var else None)


def _key_atoms(m: _Miner, q: t.Quant) -> list[t.TExpr]:
    """The comparisons and boolean map reads of the property's body that mention its
    key, and `owner(L[k]) == none` for the lock arrays over as many keys."""
    found: dict[t.TExpr, None] = {}
    for n in t.walk(q.body):
        mentions = any(isinstance(x, t.Bound) and x.name == q.var for x in t.walk(n))
        if not mentions or isinstance(n, t.Quant):
            continue
        if isinstance(n, t.Binop) and n.op in COMPARISONS or isinstance(n, t.Read) and isinstance(n.type, BoolT):
            found.setdefault(n, None)
    owners = m.sys.owners
    size = finite_size(q.var_type)
    for info in m.sys.locks:
        if info.count is not None and info.count == size and owners is not None and info.kind != "rwsem":
            cell = t.Read(t.Var(info.name, MapT(INT, owners)), t.Bound(q.var, q.var_type), owners)
            found.setdefault(_b("eq", cell, t.Lit(0, owners)), None)
    return list(found)
