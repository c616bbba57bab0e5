"""Front end: ZDL's operators — one table, `OPS`, that every stage reads.

Input: none (definitions only). Output: `Op`, the operators of the typed tree, and for
each its `OpInfo`: surface symbol, arity, operand class, result rule, precedence and
associativity for the printer, and its concrete meaning (used by constant folding here
and by the concrete evaluator in zcheck/system). The Z3 meaning lives in the checker
(zcheck/checker/z3ops.py, keyed by the same `Op`), since this package never imports z3.
The type checker's symbol tables (`BINARY`, `UNARY`, `SIGNED`) and the printer's
precedences are derived from `OPS`; no other module lists the operators.

Concrete meaning: division is Euclidean like SMT-LIB; a division or remainder by zero
yields 0 (and is reported as `no_div_by_zero`). Bit-vectors are unsigned Python ints
reduced modulo 2**width; `width` is None for ints, ranges, enums and bools.

Adding an operator touches three places:
  1. zcheck/spec/grammar.lark: its token, in the rule of its precedence level (a new
     level is a new `!?` rule between its neighbours there and a `Prec` member here);
  2. here: an `Op` member and its `OPS` entry — symbol, arity, operand class, result,
     precedence, associativity, laziness, division flag and concrete meaning;
  3. zcheck/checker/z3ops.py: its Z3 meaning.
The parser builds the node from the token; the type checker, printer, constant
folding, evaluator, definedness (division by zero) and trylock placement read the
entry. A new operand class or result rule is a new enum member, and the matches over
them that end in `assert_never` show where it needs a case. Describe it for users in
docs/language.md (section 3). tests/test_ops.py fails until the three agree: every `Op`
needs a concrete meaning, a Z3 meaning and a printer entry, the grammar must group it
as its precedence says, and the two meanings must agree on random values.
A new kind of typed node (not an operator) is a class in typed.py, its case in
`children`/`with_children` there, and its meaning in each stage that gives one
(typecheck.fold, system/evaluate.evaluate, checker/encode.expr: matches ending in
`assert_never`); passes that only recurse reach it through `children`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType
from typing import Callable, Mapping

from zcheck.spec.types import BvT, Type

Scalar = int | bool


class Op(StrEnum):
    """An operator of the typed tree; the value is its name in the typed tree."""

    NOT = "not"
    NEG = "neg"
    BVNOT = "bvnot"
    SIGNED = "signed"  # `signed(x)`: the value unchanged; comparisons with it are signed
    AND = "and"
    OR = "or"
    IMPLIES = "implies"
    IFF = "iff"
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    SLT = "slt"
    SLE = "sle"
    SGT = "sgt"
    SGE = "sge"
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD = "mod"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    SHL = "shl"
    SHR = "shr"


class Prec(IntEnum):
    """Binding strength of each level of the expression grammar, loosest first
    (grammar.lark, the `expr` rules); the printer parenthesises by it."""

    IFF = 0
    IMP = 1
    OR = 2
    AND = 3
    NOT = 4
    CMP = 5
    IN = 6
    BOR = 7
    BXOR = 8
    BAND = 9
    SHIFT = 10
    ADD = 11
    MUL = 12
    UNARY = 13
    POSTFIX = 14
    ATOM = 15


class Form(Enum):
    INFIX = "infix"  # `a SYMBOL b`
    PREFIX = "prefix"  # `SYMBOL a`
    CALL = "call"  # `SYMBOL(a)`: a builtin function


class Assoc(Enum):
    LEFT = "left"  # `a op b op c` is `(a op b) op c`
    RIGHT = "right"  # `a -> b -> c` is `a -> (b -> c)`
    NONE = "none"  # `a < b < c` does not parse


class Operands(Enum):
    """What the type checker accepts as operands."""

    BOOL = "bool"
    EQUALITY = "equality"  # any two scalars of one type
    ORDERED = "ordered"  # two numbers (int-like or one bit-vector type)
    NUMBER = "number"  # two numbers; the result has their type
    BITS = "bits"  # bit-vectors; two int constants are folded
    SHIFT = "shift"  # a bit-vector, or an int shifted by a constant amount


class Result(Enum):
    BOOL = "bool"
    OPERAND = "operand"  # the operands' type (a bit-vector type, else int)


@dataclass(frozen=True)
class OpInfo:
    symbol: str  # the surface form: infix or prefix symbol, or the builtin's name
    arity: int
    form: Form
    operands: Operands
    result: Result
    prec: Prec
    assoc: Assoc
    concrete: Callable[..., Scalar]  # (x, width) or (x, y, width) → value; see the module docstring
    signed: bool = False  # the variant of the comparison with the same symbol used when an operand is `signed(x)`
    lazy: bool | None = None  # the right operand is evaluated only when the left one has this value
    divides: bool = False  # a zero right operand is undefined (yields 0; `no_div_by_zero` reports it)


# ---------------------------------------------------------------- concrete meanings


def euclid_div(a: int, b: int) -> int:
    if b == 0:
        return 0
    r = a % abs(b)
    return (a - r) // b


def euclid_mod(a: int, b: int) -> int:
    if b == 0:
        return 0
    return a % abs(b)


def to_signed(v: int, width: int) -> int:
    return v - (1 << width) if v >= 1 << (width - 1) else v


def _logic(f: Callable[[bool, bool], bool]) -> Callable[[Scalar, Scalar, int | None], Scalar]:
    return lambda a, b, width: f(bool(a), bool(b))


def _num(on_int: Callable[[int, int], Scalar],
         on_bv: Callable[[int, int, int], Scalar] | None = None) -> Callable[[Scalar, Scalar, int | None], Scalar]:
    """A meaning over numbers: `on_int` on ints; on bit-vectors `on_bv`, or else
    `on_int` with an integer result reduced modulo 2**width."""

    def apply(a: Scalar, b: Scalar, width: int | None) -> Scalar:
        x, y = int(a), int(b)
        if width is None:
            return on_int(x, y)
        if on_bv is not None:
            return on_bv(x, y, width)
        r = on_int(x, y)
        return r if isinstance(r, bool) else r & ((1 << width) - 1)

    return apply


def _bits(f: Callable[[int, int], int]) -> Callable[[Scalar, Scalar, int | None], Scalar]:
    return _num(f, lambda x, y, w: f(x, y))  # within the width already: no reduction


def _signed(cmp: Callable[[int, int], bool]) -> Callable[[Scalar, Scalar, int | None], Scalar]:
    return _num(cmp, lambda x, y, w: cmp(to_signed(x, w), to_signed(y, w)))


def _neg(a: Scalar, width: int | None) -> Scalar:
    return -int(a) if width is None else (-int(a)) % (1 << width)


def _bvnot(a: Scalar, width: int | None) -> Scalar:
    return ~int(a) if width is None else (~int(a)) % (1 << width)


def _shl_int(x: int, y: int) -> int:
    return x * (1 << y) if y >= 0 else 0


def _shr_int(x: int, y: int) -> int:
    return euclid_div(x, 1 << y) if y >= 0 else 0


def _shl_bv(x: int, y: int, width: int) -> int:
    return (x << y) & ((1 << width) - 1) if y < width else 0


def _shr_bv(x: int, y: int, width: int) -> int:
    return x >> y if y < width else 0


# ---------------------------------------------------------------- the table


def _infix(symbol: str, operands: Operands, result: Result, prec: Prec, concrete: Callable[..., Scalar],
           assoc: Assoc = Assoc.LEFT, **flags: bool | None) -> OpInfo:
    return OpInfo(symbol, 2, Form.INFIX, operands, result, prec, assoc, concrete, **flags)  # type: ignore[arg-type]


def _cmp(symbol: str, operands: Operands, concrete: Callable[..., Scalar], signed: bool = False) -> OpInfo:
    return _infix(symbol, operands, Result.BOOL, Prec.CMP, concrete, Assoc.NONE, signed=signed)


_B, _N, _V = Result.BOOL, Operands.NUMBER, Result.OPERAND

OPS: Mapping[Op, OpInfo] = MappingProxyType({
    Op.NOT: OpInfo("!", 1, Form.PREFIX, Operands.BOOL, _B, Prec.NOT, Assoc.RIGHT, lambda a, width: not a),
    Op.NEG: OpInfo("-", 1, Form.PREFIX, _N, _V, Prec.UNARY, Assoc.RIGHT, _neg),
    Op.BVNOT: OpInfo("~", 1, Form.PREFIX, Operands.BITS, _V, Prec.UNARY, Assoc.RIGHT, _bvnot),
    Op.SIGNED: OpInfo("signed", 1, Form.CALL, Operands.BITS, _V, Prec.ATOM, Assoc.NONE, lambda a, width: a),
    Op.AND: _infix("&&", Operands.BOOL, _B, Prec.AND, _logic(lambda a, b: a and b), lazy=True),
    Op.OR: _infix("||", Operands.BOOL, _B, Prec.OR, _logic(lambda a, b: a or b), lazy=False),
    Op.IMPLIES: _infix("->", Operands.BOOL, _B, Prec.IMP, _logic(lambda a, b: (not a) or b), Assoc.RIGHT, lazy=True),
    Op.IFF: _infix("<->", Operands.BOOL, _B, Prec.IFF, _logic(lambda a, b: a == b)),
    Op.EQ: _cmp("==", Operands.EQUALITY, _num(lambda x, y: x == y)),
    Op.NE: _cmp("!=", Operands.EQUALITY, _num(lambda x, y: x != y)),
    Op.LT: _cmp("<", Operands.ORDERED, _num(lambda x, y: x < y)),
    Op.LE: _cmp("<=", Operands.ORDERED, _num(lambda x, y: x <= y)),
    Op.GT: _cmp(">", Operands.ORDERED, _num(lambda x, y: x > y)),
    Op.GE: _cmp(">=", Operands.ORDERED, _num(lambda x, y: x >= y)),
    Op.SLT: _cmp("<", Operands.ORDERED, _signed(lambda x, y: x < y), signed=True),
    Op.SLE: _cmp("<=", Operands.ORDERED, _signed(lambda x, y: x <= y), signed=True),
    Op.SGT: _cmp(">", Operands.ORDERED, _signed(lambda x, y: x > y), signed=True),
    Op.SGE: _cmp(">=", Operands.ORDERED, _signed(lambda x, y: x >= y), signed=True),
    Op.ADD: _infix("+", _N, _V, Prec.ADD, _num(lambda x, y: x + y)),
    Op.SUB: _infix("-", _N, _V, Prec.ADD, _num(lambda x, y: x - y)),
    Op.MUL: _infix("*", _N, _V, Prec.MUL, _num(lambda x, y: x * y)),
    Op.DIV: _infix("/", _N, _V, Prec.MUL, _num(euclid_div, lambda x, y, w: 0 if y == 0 else x // y), divides=True),
    Op.MOD: _infix("%", _N, _V, Prec.MUL, _num(euclid_mod, lambda x, y, w: 0 if y == 0 else x % y), divides=True),
    Op.BAND: _infix("&", Operands.BITS, _V, Prec.BAND, _bits(lambda x, y: x & y)),
    Op.BOR: _infix("|", Operands.BITS, _V, Prec.BOR, _bits(lambda x, y: x | y)),
    Op.BXOR: _infix("^", Operands.BITS, _V, Prec.BXOR, _bits(lambda x, y: x ^ y)),
    Op.SHL: _infix("<<", Operands.SHIFT, _V, Prec.SHIFT, _num(_shl_int, _shl_bv)),
    Op.SHR: _infix(">>", Operands.SHIFT, _V, Prec.SHIFT, _num(_shr_int, _shr_bv)),
})


def _symbols(arity: int, form: Form) -> Mapping[str, Op]:
    return MappingProxyType({info.symbol: op for op, info in OPS.items()
                             if info.arity == arity and info.form is form and not info.signed})


BINARY = _symbols(2, Form.INFIX)  # surface symbol → operator ("<" → LT; SIGNED gives SLT)
UNARY = _symbols(1, Form.PREFIX)  # "!" → NOT, "-" → NEG, "~" → BVNOT
SIGNED: Mapping[Op, Op] = MappingProxyType({BINARY[i.symbol]: op for op, i in OPS.items() if i.signed})

# binary operators by kind (a pass that treats all comparisons alike asks these)
COMPARISONS = frozenset(op for op, i in OPS.items() if i.operands in (Operands.EQUALITY, Operands.ORDERED))
ARITHMETIC = frozenset(op for op, i in OPS.items() if i.arity == 2 and i.result is Result.OPERAND)


def width_of(typ: Type) -> int | None:
    """The bit width the concrete meanings take: a bit-vector's, else None."""
    return typ.width if isinstance(typ, BvT) else None


def unop(op: Op, a: Scalar, t: Type) -> Scalar:
    """Apply unary `op` to an evaluated operand; `t` is the result's type."""
    return OPS[op].concrete(a, width_of(t))


def binop(op: Op, a: Scalar, b: Scalar, operand_type: Type) -> Scalar:
    """Apply binary `op` to two evaluated operands of `operand_type`."""
    return OPS[op].concrete(a, b, width_of(operand_type))
