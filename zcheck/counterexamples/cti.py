"""Counterexamples: a counterexample to induction (CTI), shown as what it is.

Input: a `Cti` from k-induction. Output: text lines presenting k+1 states that are NOT
known to be reachable — the property is not inductive, which is not a bug — with the
scalars of each state and the maps at the witness keys.
"""

from __future__ import annotations

import z3

from zcheck.checker.encode import sort_of
from zcheck.checker.kind import Cti
from zcheck.counterexamples.decode import scalar
from zcheck.counterexamples.values import key_text, scalar_text
from zcheck.spec.types import IntT, MapT, RangeT, Type


def render_cti(cti: Cti) -> list[str]:
    enc, model = cti.encoding, cti.model
    out = [
        f"{cti.prop}: not proved — counterexample to induction at k = {cti.k}",
        "  not a real bug: the property is not inductive; add a lemma (`lemma NAME: EXPR`)",
        "  that rules out these states, or raise --max-k. These states are NOT known to be reachable.",
    ]
    keys = [scalar(model, w.const, w.type) for w in cti.witnesses if isinstance(w.type, (IntT, RangeT))]
    if cti.witnesses:
        out.append("  witness: " + ", ".join(
            f"{w.name} = {scalar_text(scalar(model, w.const, w.type), w.type)}" for w in cti.witnesses))
    for i in range(cti.k + 1):
        state = enc.state(i)
        label = "arbitrary state" if i == 0 else f"after step {i}"
        if i > 0:
            idx = scalar(model, enc.act(i - 1), IntT())
            label += f" ({enc.sys.transitions[int(idx)].name})"
        out.append(f"  state {i} ({label})")
        for v in enc.sys.vars:
            if v.hidden:
                continue
            term = state[v.name]
            if isinstance(v.type, MapT):
                if sort_of(v.type.key) != z3.IntSort():
                    continue
                for key in keys:
                    sel = term.read(z3.IntVal(key))  # type: ignore[attr-defined]
                    out.append(f"    {v.name}[{key_text(key, v.type.key)}] = {_shown(model, sel, v.type.value)}")
            else:
                out.append(f"    {v.name} = {_shown(model, term, v.type)}")
    return out


def _shown(model: z3.ModelRef, term: z3.ExprRef, typ: Type) -> str:
    """The value of `term` in the CTI, or `?` when the model leaves it open: a map
    written under a quantified guard that Z3 kept as a quantifier cannot be evaluated
    by `model.eval` (the CTI is still a CTI; only this cell is not shown)."""
    v = model.eval(term, model_completion=True)
    if not (z3.is_int_value(v) or z3.is_bv_value(v) or z3.is_true(v) or z3.is_false(v)):
        return "?"
    return scalar_text(scalar(model, term, typ), typ)
