"""Shared sub-expressions of a state predicate are encoded once (encode.Ctx.memo), and
the formula is the same term as without the memo.

The implicit `deadlock` property enumerates wait-for cycles; an edge of the wait-for
graph appears in every cycle through it, so over 5 instances the predicate's tree has
tens of thousands of nodes, most of them repeats.
"""

from __future__ import annotations

import z3

from zcheck import api
from zcheck.checker import encode
from zcheck.checker.encode import Encoding, violation

FIVE = """\
model five
lock A
lock B
process ab[3] {
  step s0 {
    acquire A
    acquire B
    release B
    release A
  }
}
process ba[2] {
  step s0 {
    acquire B
    acquire A
    release A
    release B
  }
}
"""


def _count(e: object) -> int:
    from zcheck.spec import typed as t

    return sum(1 for _ in t.walk(e))  # type: ignore[arg-type]


def test_memo_builds_the_same_terms_with_fewer_encodings() -> None:
    system = api.build("<five>", None, None, text=FIVE)
    deadlock = system.prop("deadlock")
    assert deadlock.expr is not None and _count(deadlock.expr) > 1000
    calls = {"n": 0}
    real = encode._expr

    def counting(e, ctx):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return real(e, ctx)

    encode._expr = counting
    try:
        enc = Encoding(system)
        for k in (0, 2):
            plain, _ = violation(deadlock.expr, enc.ctx(k), "t")
            n_plain, calls["n"] = calls["n"], 0
            memo, _ = enc.bad(deadlock, k, "t")
            n_memo, calls["n"] = calls["n"], 0
            assert z3.eq(plain, memo), "the memo changed the formula"
            assert z3.eq(z3.simplify(enc.good(deadlock, k)), z3.simplify(z3.Not(plain)))
            assert n_memo * 3 < n_plain, (n_memo, n_plain)
    finally:
        encode._expr = real
