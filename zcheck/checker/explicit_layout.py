"""Checker: the state layout of the explicit-state engine, and what it can enumerate.

Input: a `System` sliced to the checked properties. Output: a `Layout` — a state is a
flat tuple: the rigid constants the cone reads, then the state variables in
declaration order. Scalars are bool/int; a map over a small finite key type (or a lock
array, whose indices are checked to be in range) is the tuple of its values (DENSE);
any other map is its `PMap`'s (keys, values) pair (SPARSE: plain tuples hash and
compare in C, a dataclass in Python — 2.6 µs per state of
models/memory_block_locks.zdl). `pack`/`unpack` convert to and from the evaluator's
states.

A DENSE map stands for every map that agrees with it on the key type. ZDL maps are
total, so a read or a store outside the key type raises `Escape`, and the engine starts
again with that map SPARSE: a run that never escapes never looked outside the key type,
so merging maps that differ only there changes no verdict (fills are cut to the key
type for the same reason). Maps read by expressions the compiled code hands to the
evaluator (`interpreted_maps`) are SPARSE from the start.

`Unsupported` says that a choice cannot be enumerated (an `int` parameter, an `any`
over a wide range): the engine then answers UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from zcheck.checker import explicit_simplify as simplify
from zcheck.spec import typed as t
from zcheck.spec.threads import read_counter
from zcheck.spec.types import BoolT, BvT, EnumT, MapT, RangeT, Type
from zcheck.system.evaluate import ENUMERATE_LIMIT
from zcheck.system.ir import System
from zcheck.system.pmap import PMap

DENSE_KEYS = 256  # maps over at most this many keys are tuples
HAVOC_WIDTH = 1 << 16  # an `any in lo .. hi` (or a bounded quantifier) over more values is refused


class Unsupported(Exception):
    """The system has a choice the engine cannot enumerate (an `int` parameter, ...)."""


class Escape(Exception):
    """A DENSE map was accessed outside its key type; `slot` must become SPARSE."""

    def __init__(self, slot: int) -> None:
        super().__init__(slot)
        self.slot = slot


class Repr(Enum):
    SCALAR = "scalar"
    DENSE = "dense"
    SPARSE = "sparse"


@dataclass(frozen=True)
class Slot:
    name: str
    type: Type
    repr: Repr
    rigid: bool = False
    key_lo: int = 0  # DENSE: the first key, and how many keys
    key_size: int = 0


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]

    def pack(self, state: dict[str, Any], rigid: dict[str, Any]) -> tuple[Any, ...]:
        """The evaluator's state (PMaps) as a tuple of this layout."""
        out = []
        for s in self.slots:
            v = rigid[s.name] if s.rigid else state[s.name]
            if s.repr is Repr.DENSE:
                assert isinstance(v, PMap)
                v = tuple(v.get(key) for key in range(s.key_lo, s.key_lo + s.key_size))
            elif s.repr is Repr.SPARSE:
                assert isinstance(v, PMap)
                v = (v.keys, v.vals)
            out.append(v)
        return tuple(out)

    def unpack(self, key: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(state, rigid) for the evaluator; a DENSE map gets its first value outside."""
        state: dict[str, Any] = {}
        rigid: dict[str, Any] = {}
        for s, v in zip(self.slots, key):
            if s.repr is Repr.DENSE:
                v = dense_to_pmap(v, s.key_lo)
            elif s.repr is Repr.SPARSE:
                v = PMap(*v)
            (rigid if s.rigid else state)[s.name] = v
        return state, rigid


def dense_to_pmap(values: tuple[Any, ...], lo: int) -> PMap:
    m = PMap.const(values[0]) if values else PMap.const(False)
    for k, v in enumerate(values):
        if v != m.get(lo + k):
            m = m.store(lo + k, v)
    return m


def domain_values(typ: Type) -> tuple[int | bool, ...] | None:
    """Every value of a scalar type, when at most ENUMERATE_LIMIT (the evaluator's bound
    for enumerating a quantifier); None otherwise."""
    match typ:
        case BoolT():
            return (False, True)
        case EnumT(members=m):
            return tuple(range(len(m)))
        case RangeT(lo=lo, hi=hi) if hi - lo <= ENUMERATE_LIMIT:
            return tuple(range(lo, hi))
        case BvT(width=w) if w <= 12:
            return tuple(range(1 << w))
    return None


def key_domain(typ: MapT) -> tuple[int, int] | None:
    """(first key, number of keys) of a map's key type, when small enough to be DENSE."""
    vals = domain_values(typ.key)
    if vals is None or len(vals) > DENSE_KEYS or not vals:
        return None
    return int(vals[0]), len(vals)


def lock_arrays(system: System) -> dict[str, tuple[int, int]]:
    """The maps of lock arrays (holders, read counters): `int` keys, but every index is
    checked to be in 0 .. count (`Escape` covers the rest)."""
    out: dict[str, tuple[int, int]] = {}
    for lk in system.locks:
        if lk.count is not None and lk.count <= DENSE_KEYS:
            out[lk.name] = (0, lk.count)
            out.update((read_counter(lk.name, o), (0, lk.count)) for o in lk.readers)
    return out


def make_layout(system: System, rigid_used: tuple[str, ...], sparse: frozenset[str]) -> Layout:
    slots: list[Slot] = []
    for name, typ in system.rigid:
        if name in rigid_used:
            slots.append(Slot(name, typ, Repr.SCALAR, rigid=True))
    arrays = lock_arrays(system)
    for v in system.vars:
        if isinstance(v.type, MapT):
            kd = key_domain(v.type) or arrays.get(v.name)
            if kd is None or v.name in sparse:
                slots.append(Slot(v.name, v.type, Repr.SPARSE))
            else:
                slots.append(Slot(v.name, v.type, Repr.DENSE, key_lo=kd[0], key_size=kd[1]))
        else:
            slots.append(Slot(v.name, v.type, Repr.SCALAR))
    return Layout(tuple(slots))


# ---------------------------------------------------------------- analysis


def writes(body: tuple[t.TStmt, ...], out: set[str]) -> set[str]:
    """The state variables `body` writes."""
    for s in body:
        match s:
            case t.SAssign(var=v) | t.SStore(var=v) | t.SFill(var=v):
                out.add(v)
            case t.SHavoc(var=v) if not s.local:
                out.add(v)
            case t.SIf(then=a, else_=b):
                writes(a, out)
                writes(b, out)
            case _:
                pass
    return out


def branches(body: tuple[t.TStmt, ...]) -> bool:
    """`body` holds an `any` (it runs more than one way)."""
    for s in body:
        if isinstance(s, t.SHavoc):
            return True
        if isinstance(s, t.SIf) and (branches(s.then) or branches(s.else_)):
            return True
    return False


def stmt_exprs(body: tuple[t.TStmt, ...]) -> list[t.TExpr]:
    out: list[t.TExpr] = []
    for s in body:
        match s:
            case t.SAssign(value=x) | t.SLet(value=x) | t.SRequire(cond=x) | t.SAssert(cond=x):
                out.append(x)
            case t.SStore(index=i, value=x):
                out += [i, x]
            case t.SFill(lo=lo, hi=hi, value=x):
                out += [lo, hi, x]
            case t.SHavoc(index=i, lo=lo, hi=hi):
                out += [e for e in (i, lo, hi) if e is not None]
            case t.SIf(cond=c, then=a, else_=b):
                out += [c, *stmt_exprs(a), *stmt_exprs(b)]
            case _:
                pass
    return out


def all_exprs(system: System) -> list[t.TExpr]:
    out = [v.init for v in system.vars if v.init is not None] + list(system.assumes)
    out += [p.expr for p in system.properties if p.expr is not None]
    out += stmt_exprs(system.init)
    for tr in system.transitions:
        out += stmt_exprs(tr.body)
    return out


def needs_interpreter(e: t.TExpr) -> bool:
    """The compiled code hands `e` to the evaluator (a quantifier it cannot enumerate, or
    a map that is not a variable)."""
    match e:
        case t.Quant(var_type=vt):
            return domain_values(vt) is None and simplify.bounded(e) is None
        case t.Read(map=m):
            return not isinstance(m, (t.Var, t.Old))
    return False


def interpreted_maps(system: System) -> frozenset[str]:
    """Maps read by expressions handed to the evaluator: those must be PMaps."""
    out: set[str] = set()
    for e in all_exprs(system):
        for n in t.walk(e):
            if needs_interpreter(n):
                out.update(x.name for x in t.walk(n) if isinstance(x, (t.Var, t.Old)) and isinstance(x.type, MapT))
    return frozenset(out)
