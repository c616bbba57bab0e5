"""Counterexamples: how values are written for people.

Integers of a type whose alias mentions `pfn`, and any integer of magnitude 0x1000 or
more, are written in hex; enums by member name; maps as their exact ranges, e.g.
`[0x0, 0x40000) NORMAL, [0x40000, 0x48000) DEVICE; elsewhere NONE`.
"""

from __future__ import annotations

from zcheck.spec.types import BoolT, BvT, EnumT, IntT, MapT, RangeT, Type
from zcheck.system.evaluate import Value
from zcheck.system.pmap import PMap, diff

HEX_FROM = 0x1000


def scalar_of(value: Value) -> int | bool:
    """A scalar variable's or constant's value (states hold `Value`s; only a map's is a PMap)."""
    assert not isinstance(value, PMap)
    return value


def scalar_text(value: int | bool, typ: Type) -> str:
    match typ:
        case BoolT():
            return "true" if value else "false"
        case EnumT(members=members):
            i = int(value)
            return members[i] if 0 <= i < len(members) else f"<{i}>"
        case IntT(hint=hint):
            return int_text(int(value), hex_always=bool(hint and "pfn" in hint.lower()))
        case BvT() | RangeT():
            return int_text(int(value))
        case MapT():
            raise AssertionError("map")


def int_text(v: int, hex_always: bool = False) -> str:
    if hex_always or abs(v) >= HEX_FROM:
        return f"-{-v:#x}" if v < 0 else f"{v:#x}"
    return str(v)


def key_text(k: int | None, typ: Type, upper: bool = False) -> str:
    if k is None:
        return "+inf" if upper else "-inf"
    if isinstance(typ, (EnumT, BoolT)):
        return scalar_text(k, typ)
    if isinstance(typ, IntT):
        return int_text(k, hex_always=bool(typ.hint and "pfn" in typ.hint.lower()))
    return int_text(k)


def _seg(lo: int | None, hi: int | None, key: Type) -> str:
    if lo is not None and hi is not None and hi == lo + 1:
        return f"[{key_text(lo, key)}]"
    return f"[{key_text(lo, key)}, {key_text(hi, key, upper=True)})"


def value_text(value: Value, typ: Type) -> str:
    if isinstance(typ, MapT):
        assert isinstance(value, PMap)
        return map_text(value, typ)
    assert not isinstance(value, PMap)
    return scalar_text(value, typ)


def map_text(m: PMap, typ: MapT) -> str:
    default = m.vals[0] if m.vals[0] == m.vals[-1] else None
    parts = []
    for lo, hi, v in m.segments():
        if default is not None and v == default and (lo is None or hi is None):
            continue
        if default is not None and v == default:
            continue
        parts.append(f"{_seg(lo, hi, typ.key)} {scalar_text(v, typ.value)}")
    if default is None:
        return ", ".join(parts)
    tail = f"all {scalar_text(default, typ.value)}" if not parts else f"elsewhere {scalar_text(default, typ.value)}"
    return ", ".join(parts) + ("; " if parts else "") + tail


def map_changes(old: PMap, new: PMap, typ: MapT) -> list[tuple[str, str, str]]:
    """(`[lo, hi)`, old value, new value) for each maximal changed range."""
    return [
        (_seg(lo, hi, typ.key), scalar_text(a, typ.value), scalar_text(b, typ.value))
        for lo, hi, a, b in diff(old, new)
    ]
