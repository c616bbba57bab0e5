"""Counterexamples: a counterexample to induction (CTI), decoded into data.

Input: a `Cti` from k-induction. Output: a `CtiTrace` — k+1 states that are NOT known
to be reachable (the property is not inductive, which is not a bug): the scalars of
each state, the maps at the witness keys, and the step taken between them. Every
renderer (text, ITF JSON, Markdown, HTML, SARIF) shows it from this data, labelled as
what it is; `lemma` names a lemma that would have excluded it, when inference found one.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from zcheck.checker.encode import sort_of
from zcheck.checker.kind import Cti
from zcheck.counterexamples.decode import scalar
from zcheck.counterexamples.values import key_text, scalar_text
from zcheck.spec.types import IntT, MapT, RangeT, Type

NOT_A_BUG = "not a real bug: the property is not inductive"


@dataclass(frozen=True)
class CtiCell:
    name: str  # `pc`, or `kind[0x40]` for a map at a witness key
    type: Type
    value: int | bool | None  # None: the model leaves it open (shown `?`)

    def text(self) -> str:
        return "?" if self.value is None else scalar_text(self.value, self.type)


@dataclass(frozen=True)
class CtiState:
    label: str  # "arbitrary state" | "after step 1 (walker[0].read)"
    transition: str | None  # the step into this state (None for state 0)
    cells: tuple[CtiCell, ...]


@dataclass(frozen=True)
class CtiTrace:
    prop: str
    k: int
    witnesses: tuple[CtiCell, ...]
    states: tuple[CtiState, ...]
    lemma: str | None = None  # ZDL text of a lemma that excludes these states, if known


def decode_cti(cti: Cti, lemma: str | None = None) -> CtiTrace:
    enc, model = cti.encoding, cti.model
    keys = [scalar(model, w.const, w.type) for w in cti.witnesses if isinstance(w.type, (IntT, RangeT))]
    witnesses = tuple(CtiCell(w.name, w.type, scalar(model, w.const, w.type)) for w in cti.witnesses)
    states = []
    for i in range(cti.k + 1):
        state, tr = enc.state(i), None
        label = "arbitrary state" if i == 0 else f"after step {i}"
        if i > 0:
            tr = enc.sys.transitions[int(scalar(model, enc.act(i - 1), IntT()))].name
            label += f" ({tr})"
        cells: list[CtiCell] = []
        for v in enc.sys.vars:
            if v.hidden:
                continue
            term = state[v.name]
            if isinstance(v.type, MapT):
                if sort_of(v.type.key) == z3.IntSort():
                    cells += [CtiCell(f"{v.name}[{key_text(key, v.type.key)}]", v.type.value,
                                      _value(model, term.read(z3.IntVal(key)), v.type.value))
                              for key in keys]
            else:
                cells.append(CtiCell(v.name, v.type, _value(model, term, v.type)))
        states.append(CtiState(label, tr, tuple(cells)))
    return CtiTrace(cti.prop, cti.k, witnesses, tuple(states), lemma)


def render_cti(cti: CtiTrace) -> list[str]:
    """The text form (for `zcheck verify`'s default output)."""
    out = [
        f"{cti.prop}: not proved — counterexample to induction at k = {cti.k}",
        f"  {NOT_A_BUG}; add a lemma (`lemma NAME: EXPR`)",
        "  that rules out these states, or raise --max-k. These states are NOT known to be reachable.",
    ]
    if cti.lemma is not None:
        out.append(f"  a lemma that rules them out: {cti.lemma}")
    if cti.witnesses:
        out.append("  witness: " + ", ".join(f"{w.name} = {w.text()}" for w in cti.witnesses))
    for i, s in enumerate(cti.states):
        out.append(f"  state {i} ({s.label})")
        out.extend(f"    {c.name} = {c.text()}" for c in s.cells)
    return out


def _value(model: z3.ModelRef, term: z3.ExprRef, typ: Type) -> int | bool | None:
    """The value of `term` in the CTI, or None when the model leaves it open: a map
    written under a quantified guard that Z3 kept as a quantifier cannot be evaluated
    by `model.eval` (the CTI is still a CTI; only this cell is not shown)."""
    v = model.eval(term, model_completion=True)
    if not (z3.is_int_value(v) or z3.is_bv_value(v) or z3.is_true(v) or z3.is_false(v)):
        return None
    return scalar(model, term, typ)


def _shown(model: z3.ModelRef, term: z3.ExprRef, typ: Type) -> str:
    value = _value(model, term, typ)
    return "?" if value is None else scalar_text(value, typ)
