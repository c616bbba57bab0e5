"""Structural numbering of typed expressions (typed.Shapes) and the encoder's memo on it.

The memo (encode.Shared) must hit the same way however a tree's nodes are shared in
memory, and must not change a formula: Z3 hash-conses terms, so a state predicate
encoded with the memo is the very term the plain walk builds."""

from __future__ import annotations

import glob
import os

from zcheck import api
from zcheck.checker.encode import Encoding, expr, violation
from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BoolT, IntT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _x_plus_one() -> t.TExpr:
    return t.Binop(Op.ADD, t.Var("x", IntT()), t.Lit(1, IntT()), IntT())


def test_equal_trees_get_one_number_whatever_they_share() -> None:
    shapes = t.Shapes()
    a, b = _x_plus_one(), _x_plus_one()  # equal, no node in common
    assert a is not b and shapes.of(a) == shapes.of(b)
    shared = t.Binop(Op.EQ, a, a, BoolT())
    separate = t.Binop(Op.EQ, _x_plus_one(), _x_plus_one(), BoolT())
    assert shapes.of(shared) == shapes.of(separate)
    other = t.Binop(Op.ADD, t.Var("x", IntT()), t.Lit(2, IntT()), IntT())
    assert shapes.of(other) != shapes.of(a)
    assert shapes.of(t.Var("x", IntT())) != shapes.of(t.Old("x", IntT()))


def test_quantified_is_said_per_subtree() -> None:
    shapes = t.Shapes()
    body = t.Binop(Op.GE, t.Bound("p#1", IntT()), t.Lit(0, IntT()), BoolT())
    q = t.Quant("forall", "p#1", IntT(), body, BoolT())
    both = t.Binop(Op.AND, q, t.Var("b", BoolT()), BoolT())
    assert shapes.quantified(q) and shapes.quantified(both)
    assert not shapes.quantified(body) and not shapes.quantified(t.Var("b", BoolT()))


def test_a_deep_tree_is_numbered_without_recursion() -> None:
    e: t.TExpr = t.Var("x", IntT())
    for _ in range(50_000):
        e = t.Binop(Op.ADD, e, t.Lit(1, IntT()), IntT())
    assert t.Shapes().of(e) >= 50_000


def test_the_memo_builds_the_same_terms_as_the_plain_walk() -> None:
    """Every property of every library model, in state 2 of the unrolling: with the memo
    (Encoding.ctx) and without it (the same context, memo removed), the same term."""
    checked = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*.zdl"))):
        system = api.build(path, {}, None)
        enc = Encoding(system)
        for p in system.properties:
            if p.expr is None:
                continue
            memo, plain = enc.ctx(2), enc.ctx(2)
            plain.shared = None
            assert memo.shared is not None
            assert expr(p.expr, memo).eq(expr(p.expr, plain)), (path, p.name)
            with_memo = violation(p.expr, enc.ctx(2), "t")[0]
            no_memo_ctx = enc.ctx(2)
            no_memo_ctx.shared = None
            assert with_memo.eq(violation(p.expr, no_memo_ctx, "t")[0]), (path, p.name)
            checked += 1
    assert checked >= 80  # 87 state predicates in the library when written
