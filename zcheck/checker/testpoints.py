"""Checker: quantifier instantiation at test points (exact, no Z3 quantifiers).

Maps are piecewise constant: every array is built from K(default) by range fills
[lo, hi) and stores at i, so it is constant between its *breakpoints* (each lo, hi, i,
i+1). If a bound variable x occurs in the body only as a map index `m[x + c]` and in
comparisons `x + c OP t` with t free of x, the body's truth is constant on every piece
[p, next point) of the points {b - c} ∪ {t - c or t - c + 1, where `x + c OP t` changes
truth}, and on the piece left of them all. Hence

    forall x. phi(x)  <=>  AND over test points p, p - 1 of phi(p)
    exists x. phi(x)  <=>  OR  over the same points

(p - 1 represents the piece left of the smallest point; a quantifier over a range
`lo .. hi` is decided without it, see `lower_bounded`). Finite domains (bool, enums,
small ranges) are expanded in full. Anything outside the fragment returns None and the
caller falls back to a Z3 quantifier. Measured on the seed model: Z3 did not answer the
depth-2 query in 10 minutes with ForAll over Lambda arrays; with test points it takes
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zcheck.spec import typed as t
from zcheck.spec.ops import COMPARISONS, Op
from zcheck.spec.types import BoolT, EnumT, IntT, RangeT

FULL_EXPANSION = 16


@dataclass
class Fragment:
    reads: list[tuple[t.Var | t.Old, t.TExpr | None]] = field(default_factory=list)  # (map, offset c)
    cmps: list[tuple[t.TExpr, t.TExpr | None, tuple[int, ...]]] = field(default_factory=list)  # (t, c, starts)


# `x + c OP t` with x on the left: where, relative to t - c, a piece of constant truth
# starts (x < t: at t - c; x <= t: at t - c + 1; ==, !=: both). Flipped for x on the right.
_STARTS_LEFT = {Op.LT: (0,), Op.GE: (0,), Op.LE: (1,), Op.GT: (1,)}
_STARTS_RIGHT = {Op.GT: (0,), Op.LE: (0,), Op.GE: (1,), Op.LT: (1,)}


def finite_values(typ: object) -> list[int | bool] | None:
    if isinstance(typ, BoolT):
        return [False, True]
    if isinstance(typ, EnumT):
        return list(range(len(typ.members)))
    if isinstance(typ, RangeT) and typ.hi - typ.lo <= FULL_EXPANSION:
        return list(range(typ.lo, typ.hi))
    return None


def literal_range(body: t.TExpr, var: str, var_type: object) -> list[int] | None:
    """The keys of a bounded quantifier over a small literal range: the body of
    `forall x in lo .. hi :: e` is `lo <= x && x < hi -> e` (`&&` for exists), false
    or vacuous outside [lo, hi), so those keys decide it exactly, with or without
    known breakpoints (k-induction and PDR have none)."""
    match body:
        case t.Binop(op=Op.IMPLIES | Op.AND, left=t.Binop(
                op=Op.AND, left=t.Binop(op=Op.LE, left=t.Lit(value=lo), right=t.Bound(name=a)),
                right=t.Binop(op=Op.LT, left=t.Bound(name=b), right=t.Lit(value=hi)))) \
                if a == b == var and isinstance(var_type, IntT) and not isinstance(lo, bool) \
                and not isinstance(hi, bool) and 0 <= int(hi) - int(lo) <= FULL_EXPANSION:
            return list(range(int(lo), int(hi)))
        case _:
            return None


def lower_bounded(body: t.TExpr, var: str, kind: str) -> bool:
    """Is the quantifier decided by keys >= some bound `lo` that is itself a test
    point: a forall whose body is `... && lo <= x && ... -> e` (vacuous below lo) or an
    exists whose body has the conjunct `lo <= x` (false below lo)? Then the piece left
    of every test point lies below lo and needs no representative (`encode._points`)."""
    match kind, body:
        case "forall", t.Binop(op=Op.IMPLIES, left=guard):
            return any(_is_lower_bound(c, var) for c in conjuncts(guard))
        case "exists", t.Binop(op=Op.AND):
            return any(_is_lower_bound(c, var) for c in conjuncts(body))
        case _:
            return False


def _is_lower_bound(e: t.TExpr, var: str) -> bool:
    match e:
        case t.Binop(op=Op.LE, left=lo, right=t.Bound(name=n)) if n == var:
            return not _mentions(lo, var)
        case t.Binop(op=Op.GE, left=t.Bound(name=n), right=lo) if n == var:
            return not _mentions(lo, var)
        case _:
            return False


def conjuncts(e: t.TExpr) -> list[t.TExpr]:
    """The operands of a chain of `&&`."""
    if isinstance(e, t.Binop) and e.op is Op.AND:
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def analyse(body: t.TExpr, var: str, var_type: object) -> Fragment | None:
    """The reads and comparisons of `var` in `body`, or None outside the fragment."""
    if not isinstance(var_type, (IntT, RangeT)):
        return None
    frag = Fragment()
    return frag if _ok(body, var, frozenset(), frag) else None


def _offset(e: t.TExpr, var: str) -> tuple[bool, t.TExpr | None]:
    """(True, c) when e is `var`, `var + c`, `c + var` or `var - c` (c free of var)."""
    match e:
        case t.Bound(name=n) if n == var:
            return True, None
        case t.Binop(op=Op.ADD, left=t.Bound(name=n), right=c) if n == var and not _mentions(c, var):
            return True, c
        case t.Binop(op=Op.ADD, left=c, right=t.Bound(name=n)) if n == var and not _mentions(c, var):
            return True, c
        case t.Binop(op=Op.SUB, left=t.Bound(name=n), right=c) if n == var and not _mentions(c, var):
            return True, t.Unop(Op.NEG, c, c.type)
        case _:
            return False, None


def _free(e: t.TExpr, var: str, inner: frozenset[str]) -> bool:
    return not any(isinstance(n, t.Bound) and (n.name == var or n.name in inner) for n in t.walk(e))


def _ok(e: t.TExpr, var: str, inner: frozenset[str], frag: Fragment) -> bool:
    match e:
        case t.Bound(name=n):
            return n != var
        case t.Read(map=m, index=i):
            is_off, c = _offset(i, var)
            if is_off and isinstance(m, (t.Var, t.Old)) and (c is None or _free(c, var, inner)):
                frag.reads.append((m, c))
                return True
            return _ok(m, var, inner, frag) and _ok(i, var, inner, frag)
        case t.Binop(op=op, left=a, right=b) if op in COMPARISONS and _offset(a, var)[0] and _offset(b, var)[0]:
            ca, cb = _offset(a, var)[1], _offset(b, var)[1]  # x + c1 OP x + c2: independent of x
            return all(c is None or _free(c, var, inner) for c in (ca, cb))
        case t.Binop(op=op, left=a, right=b) if op in COMPARISONS:
            for x, y, starts in ((a, b, _STARTS_LEFT), (b, a, _STARTS_RIGHT)):
                is_off, c = _offset(x, var)
                if is_off and _free(y, var, inner) and (c is None or _free(c, var, inner)):
                    if not _ok(y, var, inner, frag):
                        return False
                    frag.cmps.append((y, c, starts.get(op, (0, 1))))
                    return True
            return _ok(a, var, inner, frag) and _ok(b, var, inner, frag)
        case t.Quant(var=v, body=b):
            return _ok(b, var, inner | {v}, frag)
        case _:
            return all(_ok(x, var, inner, frag) for x in t.children(e))


def _mentions(e: t.TExpr, var: str) -> bool:
    return any(isinstance(n, t.Bound) and n.name == var for n in t.walk(e))
