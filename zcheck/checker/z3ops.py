"""Checker: the Z3 meaning of each ZDL operator — `Z3OPS`, keyed by `spec.ops.Op`.

Input: the Z3 terms of an operator's operands, the operands' bit width (None for ints,
ranges, enums and bools) and, for a binary operator, the value of its right operand
when that is a literal (None otherwise). Output: the Z3 term of the operator applied.
The concrete meaning in spec/ops.py is the reference; tests/test_ops.py checks that
every operator has both and that they agree on random values. As there, bit-vectors
are unsigned unless the operator is a signed one, and division or remainder by zero
yields 0.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping, TypeAlias

import z3

from zcheck.spec.ops import Op

Term: TypeAlias = z3.ExprRef
Width = int | None
Literal = int | None  # the right operand's value when it is a literal


def _strict(f: Callable[[Term, Term], Term]) -> Callable[[Term, Term, Width, Literal], Term]:
    """The same Z3 operation whatever the operands' sort."""
    return lambda x, y, width, lit: f(x, y)


def _by_sort(on_int: Callable[[Term, Term], Term],
             on_bv: Callable[[Term, Term], Term]) -> Callable[[Term, Term, Width, Literal], Term]:
    return lambda x, y, width, lit: on_int(x, y) if width is None else on_bv(x, y)


def _bv_only(f: Callable[[Term, Term], Term]) -> Callable[[Term, Term, Width, Literal], Term]:
    """Bit operations: int operands are folded by the type checker before they get here."""

    def meaning(x: Term, y: Term, width: Width, lit: Literal) -> Term:
        assert width is not None, "bit operation on ints (the type checker folds constant ones)"
        return f(x, y)

    return meaning


def _division(on_int: Callable[[Term, Term], Term],
              on_bv: Callable[[Term, Term], Term]) -> Callable[[Term, Term, Width, Literal], Term]:
    """x / 0 = 0 (and x % 0 = 0); a literal non-zero int divisor needs no case split."""

    def meaning(x: Term, y: Term, width: Width, lit: Literal) -> Term:
        if width is None:
            return on_int(x, y) if lit is not None and lit != 0 else z3.If(y == 0, z3.IntVal(0), on_int(x, y))
        zero = z3.BitVecVal(0, width)
        return z3.If(y == zero, zero, on_bv(x, y))

    return meaning


def _shift(on_int: Callable[[Term, int], Term],
           on_bv: Callable[[Term, Term], Term]) -> Callable[[Term, Term, Width, Literal], Term]:
    """An int is shifted by a literal amount only (the type checker makes sure)."""

    def meaning(x: Term, y: Term, width: Width, lit: Literal) -> Term:
        if width is not None:
            return on_bv(x, y)
        assert lit is not None, "int shifted by a non-literal amount"
        return on_int(x, 1 << lit)

    return meaning


Z3OPS: Mapping[Op, Callable[..., Term]] = MappingProxyType({
    # unary: (x, width)
    Op.NOT: lambda x, width: z3.Not(x),
    Op.NEG: lambda x, width: -x,
    Op.BVNOT: lambda x, width: ~x,
    Op.SIGNED: lambda x, width: x,  # a marker: the comparisons it stands in are signed ones
    # binary: (x, y, width, literal right operand)
    Op.AND: _strict(lambda x, y: z3.And(x, y)),
    Op.OR: _strict(lambda x, y: z3.Or(x, y)),
    Op.IMPLIES: _strict(lambda x, y: z3.Implies(x, y)),
    Op.IFF: _strict(lambda x, y: x == y),
    Op.EQ: _strict(lambda x, y: x == y),
    Op.NE: _strict(lambda x, y: x != y),
    Op.LT: _by_sort(lambda x, y: x < y, z3.ULT),
    Op.LE: _by_sort(lambda x, y: x <= y, z3.ULE),
    Op.GT: _by_sort(lambda x, y: x > y, z3.UGT),
    Op.GE: _by_sort(lambda x, y: x >= y, z3.UGE),
    Op.SLT: _strict(lambda x, y: x < y),  # Z3's bit-vector < is signed
    Op.SLE: _strict(lambda x, y: x <= y),
    Op.SGT: _strict(lambda x, y: x > y),
    Op.SGE: _strict(lambda x, y: x >= y),
    Op.ADD: _strict(lambda x, y: x + y),
    Op.SUB: _strict(lambda x, y: x - y),
    Op.MUL: _strict(lambda x, y: x * y),
    Op.DIV: _division(lambda x, y: x / y, z3.UDiv),
    Op.MOD: _division(lambda x, y: x % y, z3.URem),
    Op.BAND: _bv_only(lambda x, y: x & y),
    Op.BOR: _bv_only(lambda x, y: x | y),
    Op.BXOR: _bv_only(lambda x, y: x ^ y),
    Op.SHL: _shift(lambda x, k: x * k, lambda x, y: x << y),
    Op.SHR: _shift(lambda x, k: x / k, z3.LShR),
})
