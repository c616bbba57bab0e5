"""Front end: the concrete meaning of ZDL's scalar operators.

One definition shared by constant folding (spec) and the concrete evaluator (system),
and mirrored by the Z3 encoding (checker). Division is Euclidean like SMT-LIB; a
division or remainder by zero yields 0 (and is reported as `no_div_by_zero`).
Bit-vectors are unsigned Python ints reduced modulo 2**width.
"""

from __future__ import annotations

from zcheck.spec.types import BvT, Type


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


def unop(op: str, a: int | bool, t: Type) -> int | bool:
    if op == "not":
        return not a
    if op == "neg":
        if isinstance(t, BvT):
            return (-int(a)) % (1 << t.width)
        return -int(a)
    if op == "bvnot":
        assert isinstance(t, BvT)
        return (~int(a)) % (1 << t.width)
    raise AssertionError(op)


def binop(op: str, a: int | bool, b: int | bool, operand_type: Type) -> int | bool:
    """Apply `op` to two evaluated operands of `operand_type`."""
    if op in ("and", "or", "implies", "iff"):
        return _logic(op, bool(a), bool(b))
    x, y = int(a), int(b)
    if isinstance(operand_type, BvT):
        return _bv(op, x, y, operand_type.width)
    match op:
        case "eq":
            return x == y
        case "ne":
            return x != y
        case "lt":
            return x < y
        case "le":
            return x <= y
        case "gt":
            return x > y
        case "ge":
            return x >= y
        case "add":
            return x + y
        case "sub":
            return x - y
        case "mul":
            return x * y
        case "div":
            return euclid_div(x, y)
        case "mod":
            return euclid_mod(x, y)
        case "shl":
            return x * (1 << y) if y >= 0 else 0
        case "shr":
            return euclid_div(x, 1 << y) if y >= 0 else 0
    raise AssertionError(op)


def _logic(op: str, a: bool, b: bool) -> bool:
    match op:
        case "and":
            return a and b
        case "or":
            return a or b
        case "implies":
            return (not a) or b
        case "iff":
            return a == b
    raise AssertionError(op)


def _bv(op: str, x: int, y: int, width: int) -> int | bool:
    mask = (1 << width) - 1
    sx, sy = to_signed(x, width), to_signed(y, width)
    match op:
        case "eq":
            return x == y
        case "ne":
            return x != y
        case "lt":
            return x < y
        case "le":
            return x <= y
        case "gt":
            return x > y
        case "ge":
            return x >= y
        case "slt":
            return sx < sy
        case "sle":
            return sx <= sy
        case "sgt":
            return sx > sy
        case "sge":
            return sx >= sy
        case "add":
            return (x + y) & mask
        case "sub":
            return (x - y) & mask
        case "mul":
            return (x * y) & mask
        case "div":
            return 0 if y == 0 else x // y
        case "mod":
            return 0 if y == 0 else x % y
        case "band":
            return x & y
        case "bor":
            return x | y
        case "bxor":
            return x ^ y
        case "shl":
            return (x << y) & mask if y < width else 0
        case "shr":
            return x >> y if y < width else 0
    raise AssertionError(op)
