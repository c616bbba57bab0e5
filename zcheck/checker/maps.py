"""Checker: maps as read functions, so that BMC formulas contain no array theory.

A map value in the encoding is a `MapTerm`: the initial default (`MapConst`), an
arbitrary array (`MapArray`, only for the first state of k-induction), or an update of
another map (`MapStore`, `MapFill`, `MapIte` for the merge of branches and transitions),
or, for a map over a small key type in a reached state, one constant per key
(`MapCells`, with the keys outside the type read from `outside` of its update).
`read(i)` expands into an if-then-else chain over scalars, memoised per index term.

Why: with maps as Z3 arrays (Store/Lambda chains under `If` over the action selector)
BMC of a 5-action section model took 11 s at depth 7 and 50 s at depth 8, growing about
4x per step; the same queries as read chains are plain linear arithmetic.
"""

from __future__ import annotations

from typing import TypeAlias

import z3

Term: TypeAlias = z3.ExprRef


def _ite(c: Term, a: Term, b: Term) -> Term:
    """`z3.If` without its argument coercion: read chains build thousands of these, and
    z3.If's sort checks and casts were a third of BMC's encoding time (seed model,
    depth 12). The operands are already terms of one sort."""
    if not (isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef)):
        return z3.If(c, a, b)  # a Python value: let z3.If coerce it (Z3 itself checks the sorts)
    ctx = a.ctx
    return z3.z3._to_expr_ref(z3.Z3_mk_ite(ctx.ref(), c.as_ast(), a.as_ast(), b.as_ast()), ctx)


def _and2(a: Term, b: Term) -> Term:
    """`z3.And(a, b)` of two Boolean terms, without its argument coercion (as `_ite`)."""
    ctx = a.ctx
    args = (z3.Ast * 2)(a.as_ast(), b.as_ast())
    return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), 2, args), ctx)


SMALL_FILL = 64  # a constant range fill of at most this many keys becomes stores in array()


class MapTerm:
    """A map value; `read(i)` is the element at index term i."""

    def __init__(self, bv_keys: bool):
        self.bv_keys = bv_keys
        self._cache: dict[int, Term] = {}

    def read(self, i: Term) -> Term:
        key = i.get_id()
        got = self._cache.get(key)
        if got is None:
            got = self._read(i)
            self._cache[key] = got
        return got

    def _read(self, i: Term) -> Term:
        raise NotImplementedError

    def array(self, key: z3.SortRef) -> Term:
        """The map as a Z3 array term (for PDR, whose predicates take arrays)."""
        raise NotImplementedError

    def _within(self, lo: Term, i: Term, hi: Term) -> Term:
        if self.bv_keys:
            return z3.And(z3.ULE(lo, i), z3.ULT(i, hi))
        return _and2(lo <= i, i < hi)


class MapConst(MapTerm):
    def __init__(self, value: Term, bv_keys: bool):
        super().__init__(bv_keys)
        self.value = value

    def _read(self, i: Term) -> Term:
        return self.value

    def array(self, key: z3.SortRef) -> Term:
        return z3.K(key, self.value)


class MapArray(MapTerm):
    def __init__(self, array: Term, bv_keys: bool):
        super().__init__(bv_keys)
        self.array_const = array

    def _read(self, i: Term) -> Term:
        return z3.Select(self.array_const, i)

    def array(self, key: z3.SortRef) -> Term:
        return self.array_const


class MapStore(MapTerm):
    """`inside`: the key is known to lie in the map's key type whenever the store is
    taken (a parameter of that type, which its transition requires to be in range), so
    `outside` may drop the store."""

    def __init__(self, prev: MapTerm, key: Term, value: Term, inside: bool = False):
        super().__init__(prev.bv_keys)
        self.prev, self.key, self.value, self.inside = prev, key, value, inside

    def _read(self, i: Term) -> Term:
        return _ite(i == self.key, self.value, self.prev.read(i))

    def array(self, key: z3.SortRef) -> Term:
        return z3.Store(self.prev.array(key), self.key, self.value)


class MapFill(MapTerm):
    def __init__(self, prev: MapTerm, lo: Term, hi: Term, value: Term):
        super().__init__(prev.bv_keys)
        self.prev, self.lo, self.hi, self.value = prev, lo, hi, value

    def _read(self, i: Term) -> Term:
        return _ite(self._within(self.lo, i, self.hi), self.value, self.prev.read(i))

    def array(self, key: z3.SortRef) -> Term:
        """Stores when the range is a small constant one (Spacer rejects lambdas in
        clause heads and rarely solves with them), else a lambda."""
        prev = self.prev.array(key)
        lo, hi = z3.simplify(self.lo), z3.simplify(self.hi)
        if z3.is_int_value(lo) and z3.is_int_value(hi) and hi.as_long() - lo.as_long() <= SMALL_FILL:
            for i in range(lo.as_long(), hi.as_long()):
                prev = z3.Store(prev, z3.IntVal(i), self.value)
            return prev
        x = z3.Const("fill!x", key)
        return z3.Lambda([x], z3.If(self._within(self.lo, x, self.hi), self.value, prev[x]))


class MapIte(MapTerm):
    def __init__(self, cond: Term, then: MapTerm, else_: MapTerm):
        super().__init__(then.bv_keys)
        self.cond, self.then, self.else_ = cond, then, else_

    def _read(self, i: Term) -> Term:
        a, b = self.then.read(i), self.else_.read(i)
        return a if a.eq(b) else _ite(self.cond, a, b)

    def array(self, key: z3.SortRef) -> Term:
        return z3.If(self.cond, self.then.array(key), self.else_.array(key))


class MapCells(MapTerm):
    """A map over a small key type: one term per key (fresh constants in reached
    states), and `rest` for the keys outside the type (ZDL maps are total, so a read or
    store there is legal). A read at a literal key is its cell; a read at any other
    index is an if-then-else over the keys ending in `rest`, so its size is bounded by
    the number of keys instead of growing with the writes of every earlier step."""

    def __init__(self, lo: int, cells: tuple[Term, ...], rest: MapTerm):
        super().__init__(rest.bv_keys)
        self.lo, self.cells, self.rest = lo, cells, rest

    def _read(self, i: Term) -> Term:
        if z3.is_int_value(i):
            at = i.as_long() - self.lo
            return self.cells[at] if 0 <= at < len(self.cells) else self.rest.read(i)
        out = self.rest.read(i)
        for at in reversed(range(len(self.cells))):
            out = _ite(i == self.lo + at, self.cells[at], out)
        return out

    def array(self, key: z3.SortRef) -> Term:
        out = self.rest.array(key)
        for at, cell in enumerate(self.cells):
            out = z3.Store(out, z3.IntVal(self.lo + at), cell)
        return out


def outside(m: MapTerm, lo: int, hi: int, memo: dict[int, MapTerm]) -> MapTerm:
    """A map equal to m at every key outside [lo, hi) (the `rest` of a `MapCells`):
    m with each `MapCells` replaced by its rest and the stores and fills known to
    write only keys inside [lo, hi) dropped. `memo` maps id(node) to its result."""
    got = memo.get(id(m))
    if got is None:
        got = _outside(m, lo, hi, memo)
        memo[id(m)] = got
    return got


def _outside(m: MapTerm, lo: int, hi: int, memo: dict[int, MapTerm]) -> MapTerm:
    if isinstance(m, MapCells):
        return m.rest
    if isinstance(m, MapStore):
        prev = outside(m.prev, lo, hi, memo)
        if m.inside or _within_literal(m.key, m.key + 1, lo, hi):
            return prev
        return m if prev is m.prev else MapStore(prev, m.key, m.value)
    if isinstance(m, MapFill):
        prev = outside(m.prev, lo, hi, memo)
        if _within_literal(m.lo, m.hi, lo, hi):
            return prev
        return m if prev is m.prev else MapFill(prev, m.lo, m.hi, m.value)
    if isinstance(m, MapIte):
        a, b = outside(m.then, lo, hi, memo), outside(m.else_, lo, hi, memo)
        if a is b:
            return a
        return m if a is m.then and b is m.else_ else MapIte(m.cond, a, b)
    return m  # MapConst, MapArray: no cells below


def _within_literal(a: Term, b: Term, lo: int, hi: int) -> bool:
    """[a, b) is a literal range inside [lo, hi) (or empty)."""
    a, b = z3.simplify(a), z3.simplify(b)
    if not (z3.is_int_value(a) and z3.is_int_value(b)):
        return False
    x, y = int(a.as_long()), int(b.as_long())
    return x >= y or (lo <= x and y <= hi)


Value = Term | MapTerm


def same(a: Value, b: Value) -> bool:
    """Syntactically the same value (no formula needed to merge them)."""
    if isinstance(a, MapTerm) or isinstance(b, MapTerm):
        return a is b
    return bool(a.eq(b))  # z3's AstRef.eq, a Python bool


def ite(cond: Term, a: Value, b: Value) -> Value:
    if same(a, b):
        return a
    if isinstance(a, MapTerm) and isinstance(b, MapTerm):
        return MapIte(cond, a, b)
    assert not isinstance(a, MapTerm) and not isinstance(b, MapTerm)
    return z3.If(cond, a, b)


def differ(a: Value, b: Value, key: Term) -> Term:
    """The two values differ (for maps: at the fresh constant `key`)."""
    if isinstance(a, MapTerm) and isinstance(b, MapTerm):
        return a.read(key) != b.read(key)
    assert not isinstance(a, MapTerm) and not isinstance(b, MapTerm)
    return a != b
