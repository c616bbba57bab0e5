"""The operator table: every operator has every meaning, and the meanings agree.

`OPS` (zcheck/spec/ops.py) is the one list of ZDL's operators; their Z3 meaning is
`Z3OPS` (zcheck/checker/z3ops.py). Checked here: every `Op` has a concrete meaning, a
Z3 meaning and a printer entry (a symbol the grammar parses and the printer gives
back); the type checker's and the printer's symbol tables are derived consistently;
the table's precedence and associativity are the grammar's; and for every operator, on
random small ints, bools and bit-vectors, the concrete meaning equals the Z3 meaning
simplified on literals (with the right operand known as a literal and not).
"""

from __future__ import annotations

import glob
import itertools
import os

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from zcheck.api import build
from zcheck.checker.z3ops import Z3OPS
from zcheck.diagnostics import DiagnosticError
from zcheck.spec import ast, printer
from zcheck.spec import typed as t
from zcheck.spec.ops import BINARY, OPS, SIGNED, UNARY, Assoc, Form, Op, Operands, Scalar
from zcheck.spec.parser import parse_expr

# ---------------------------------------------------------------- every operator, every stage


def test_every_op_has_a_concrete_and_a_z3_meaning() -> None:
    assert set(OPS) == set(Op)
    assert set(Z3OPS) == set(Op)
    for op in Op:
        assert callable(OPS[op].concrete) and callable(Z3OPS[op]), op
        assert OPS[op].arity == (2 if OPS[op].form is Form.INFIX else 1), op


def _written(op: Op) -> str:
    info = OPS[op]
    match info.form:
        case Form.INFIX:
            return f"a {info.symbol} b"
        case Form.PREFIX:
            return f"{info.symbol}a"
        case Form.CALL:
            return f"{info.symbol}(a)"


@pytest.mark.parametrize("op", list(Op))
def test_every_op_has_a_printer_entry(op: Op) -> None:
    """The surface form parses, and prints back as written."""
    text = _written(op)
    assert printer.expr(parse_expr(text, "<op>")) == text


def test_symbol_tables_are_derived_consistently() -> None:
    for op, info in OPS.items():
        match info.form:
            case Form.INFIX:
                base = BINARY[info.symbol]
                assert op == (SIGNED[base] if info.signed else base)
                # the printer reads precedence and associativity by symbol
                assert (info.prec, info.assoc) == (OPS[base].prec, OPS[base].assoc), op
            case Form.PREFIX:
                assert UNARY[info.symbol] == op
            case Form.CALL:
                assert info.symbol not in BINARY and info.symbol not in UNARY
    assert all(OPS[s].operands is Operands.ORDERED and OPS[u].prec == OPS[s].prec for u, s in SIGNED.items())


def _shape(e: ast.Expr) -> str:
    match e:
        case ast.Binary(op=op, left=a, right=b):
            return f"({_shape(a)} {op} {_shape(b)})"
        case ast.Unary(op=op, operand=a):
            return f"({op}{_shape(a)})"
        case ast.Name(id=n):
            return n
    raise AssertionError(e)


@pytest.mark.parametrize("p, q", list(itertools.product(BINARY, repeat=2)))
def test_precedence_and_associativity_are_the_grammars(p: str, q: str) -> None:
    """`a p b q c` groups as the table's precedence and associativity say."""
    pp, qq = OPS[BINARY[p]], OPS[BINARY[q]]
    text = f"a {p} b {q} c"
    if pp.prec == qq.prec and pp.assoc is Assoc.NONE:
        with pytest.raises(DiagnosticError):
            parse_expr(text, "<op>")
        return
    left_first = pp.prec > qq.prec or (pp.prec == qq.prec and pp.assoc is Assoc.LEFT)
    want = f"((a {p} b) {q} c)" if left_first else f"(a {p} (b {q} c))"
    assert _shape(parse_expr(text, "<op>")) == want


@pytest.mark.parametrize("u, p", list(itertools.product(UNARY, BINARY)))
def test_prefix_precedence_is_the_grammars(u: str, p: str) -> None:
    tight = OPS[UNARY[u]].prec > OPS[BINARY[p]].prec
    want = f"(({u}a) {p} b)" if tight else f"({u}(a {p} b))"
    assert _shape(parse_expr(f"{u}a {p} b", "<op>")) == want


_MODELS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(__file__)), "models", "*.zdl")))


@pytest.mark.parametrize("path", _MODELS, ids=os.path.basename)
def test_typed_trees_hold_ops_not_strings(path: str) -> None:
    """Every operator node of a built model carries an `Op` of its arity (a bare string
    would still compare equal to one, but fail `is` and the table lookups' intent)."""
    system = build(path)
    body = system.init + tuple(s for tr in system.transitions for s in tr.body)
    exprs = [p.expr for p in system.properties if p.expr is not None] + list(system.assumes)
    exprs += [x for s in t.walk_stmts(body) for x in t.stmt_exprs(s)]
    exprs += [v.init for v in system.vars if v.init is not None]
    for n in (n for e in exprs for n in t.walk(e)):
        if isinstance(n, (t.Unop, t.Binop)):
            assert type(n.op) is Op and OPS[n.op].arity == (1 if isinstance(n, t.Unop) else 2), n


# ---------------------------------------------------------------- concrete = Z3


_SORTS = {
    Operands.BOOL: ("bool",),
    Operands.EQUALITY: ("bool", "int", "bv"),
    Operands.ORDERED: ("int", "bv"),
    Operands.NUMBER: ("int", "bv"),
    Operands.BITS: ("bv",),  # int operands are constants, folded by the type checker
    Operands.SHIFT: ("int", "bv"),
}


@st.composite
def _operands(draw: st.DrawFn, op: Op) -> tuple[str, int | None, list[Scalar]]:
    info = OPS[op]
    sort = draw(st.sampled_from(_SORTS[info.operands]))
    width = draw(st.sampled_from((1, 3, 8))) if sort == "bv" else None
    values: list[Scalar] = []
    for _ in range(info.arity):
        if sort == "bool":
            values.append(draw(st.booleans()))
        elif width is not None:
            values.append(draw(st.integers(0, (1 << width) - 1)))
        else:
            values.append(draw(st.integers(-20, 20)))
    if info.operands is Operands.SHIFT and sort == "int":
        values[1] = draw(st.integers(0, 6))  # the type checker allows constant amounts only
    return sort, width, values


def _term(sort: str, width: int | None, v: Scalar) -> z3.ExprRef:
    if sort == "bool":
        return z3.BoolVal(bool(v))
    if width is not None:
        return z3.BitVecVal(int(v), width)
    return z3.IntVal(int(v))


def _value(term: z3.ExprRef) -> Scalar:
    s = z3.simplify(term)
    if z3.is_bool(s):
        assert z3.is_true(s) or z3.is_false(s), s
        return z3.is_true(s)
    assert z3.is_int_value(s) or z3.is_bv_value(s), s
    return s.as_long()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("op", list(Op))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_concrete_and_z3_meanings_agree(op: Op, data: st.DataObject) -> None:
    sort, width, values = data.draw(_operands(op))
    concrete = OPS[op].concrete(*values, width)
    terms = [_term(sort, width, v) for v in values]
    if OPS[op].arity == 1:
        assert _value(Z3OPS[op](*terms, width)) == concrete, (op, values, width)
        return
    literal = int(values[1])
    assert _value(Z3OPS[op](*terms, width, literal)) == concrete, (op, values, width, "literal")
    if not (OPS[op].operands is Operands.SHIFT and width is None):
        assert _value(Z3OPS[op](*terms, width, None)) == concrete, (op, values, width)
