"""System: `PMap`, the exact value of a ZDL map in the concrete evaluator.

A total map over integer keys stored as piecewise-constant segments: `keys` are the
sorted breakpoints b0 < b1 < ...; `vals[0]` holds below b0, `vals[i]` on [b(i-1), b(i)),
`vals[-1]` from the last breakpoint up. Range assignments over 2**46 pfns cost O(segments).
Immutable; adjacent equal segments are merged so equal maps have equal representations.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

Scalar = int | bool


@dataclass(frozen=True)
class PMap:
    keys: tuple[int, ...]
    vals: tuple[Scalar, ...]

    @staticmethod
    def const(value: Scalar) -> "PMap":
        return PMap((), (value,))

    def get(self, key: int) -> Scalar:
        return self.vals[bisect.bisect_right(self.keys, int(key))]

    def fill(self, lo: int, hi: int, value: Scalar) -> "PMap":
        """The map with every key in [lo, hi) set to `value` (no change when lo >= hi)."""
        lo, hi = int(lo), int(hi)
        if lo >= hi:
            return self
        at_hi = self.get(hi)
        keys: list[int] = []
        vals: list[Scalar] = [self.vals[0]]
        for i, k in enumerate(self.keys):
            if k < lo:
                keys.append(k)
                vals.append(self.vals[i + 1])
        keys.append(lo)
        vals.append(value)
        keys.append(hi)
        vals.append(at_hi)
        for i, k in enumerate(self.keys):
            if k > hi:
                keys.append(k)
                vals.append(self.vals[i + 1])
        return _normalise(keys, vals)

    def store(self, key: int, value: Scalar) -> "PMap":
        return self.fill(int(key), int(key) + 1, value)

    @property
    def default(self) -> Scalar:
        """The value far below and far above every breakpoint (when they agree)."""
        return self.vals[0]

    def segments(self) -> list[tuple[int | None, int | None, Scalar]]:
        """(lo, hi, value) for every segment; None stands for -inf / +inf."""
        out: list[tuple[int | None, int | None, Scalar]] = []
        bounds: list[int | None] = [None, *self.keys, None]
        for i, v in enumerate(self.vals):
            out.append((bounds[i], bounds[i + 1], v))
        return out

    def breakpoints(self) -> tuple[int, ...]:
        return self.keys


def _normalise(keys: list[int], vals: list[Scalar]) -> PMap:
    out_k: list[int] = []
    out_v: list[Scalar] = [vals[0]]
    for k, v in zip(keys, vals[1:]):
        if out_k and out_k[-1] == k:
            out_v[-1] = v
            continue
        if v == out_v[-1]:
            continue
        out_k.append(k)
        out_v.append(v)
    return PMap(tuple(out_k), tuple(out_v))


def diff(old: PMap, new: PMap) -> list[tuple[int | None, int | None, Scalar, Scalar]]:
    """Maximal segments (lo, hi, old value, new value) on which the two maps differ."""
    points = sorted(set(old.keys) | set(new.keys))
    bounds: list[int | None] = [None, *points, None]
    out: list[tuple[int | None, int | None, Scalar, Scalar]] = []
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        probe = lo if lo is not None else (hi - 1 if hi is not None else 0)
        a, b = old.get(probe), new.get(probe)
        if a == b:
            continue
        if out and out[-1][1] == lo and out[-1][2] == a and out[-1][3] == b:
            out[-1] = (out[-1][0], hi, a, b)
        else:
            out.append((lo, hi, a, b))
    return out
