"""Front end: ZDL types after alias resolution.

`int` is the mathematical integers; `RangeT` is an int restricted to `lo .. hi`
(half-open); `BvT` wraps around; enums are encoded by member index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class BoolT:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntT:
    hint: str | None = field(default=None, compare=False)  # alias name, for display (pfn → hex)

    def __str__(self) -> str:
        return "int"


@dataclass(frozen=True)
class BvT:
    width: int

    def __str__(self) -> str:
        return f"bv{self.width}"


@dataclass(frozen=True)
class RangeT:
    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo} .. {self.hi}"


@dataclass(frozen=True)
class EnumT:
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class MapT:
    key: "Type"
    value: "Type"

    def __str__(self) -> str:
        return f"map[{self.key}] {self.value}"


Type = Union[BoolT, IntT, BvT, RangeT, EnumT, MapT]
ScalarType = Union[BoolT, IntT, BvT, RangeT, EnumT]

BOOL = BoolT()
INT = IntT()


def is_intlike(t: Type) -> bool:
    return isinstance(t, (IntT, RangeT))


def is_scalar(t: Type) -> bool:
    return not isinstance(t, MapT)


def compatible(target: Type, source: Type) -> bool:
    """May a value of type `source` be stored where `target` is expected?

    int and ranges mix freely (a store into a range is checked at run time)."""
    if is_intlike(target) and is_intlike(source):
        return True
    if isinstance(target, MapT) and isinstance(source, MapT):
        return compatible(target.key, source.key) and target.value == source.value
    return target == source


def finite_size(t: Type) -> int | None:
    """Number of values of a scalar type, or None when unbounded."""
    match t:
        case BoolT():
            return 2
        case RangeT(lo, hi):
            return max(0, hi - lo)
        case EnumT(_, members):
            return len(members)
        case BvT(width):
            return 1 << width
        case IntT() | MapT():
            return None
    return None
