"""Counterexamples: ITF (Informal Trace Format, Apalache ADR-015) JSON output.

One trace object: `vars`, `states` (each with `#meta.index`, and from step 1 on the
transition and its arguments), and a trace-level `#meta` recording the zcheck and Z3
versions, seed, property, verdict, depth and every property's verdict. Integers are
`{"#bigint": "..."}`, enum members are strings, maps are records
`{"default": v, "segments": [{"lo": .., "hi": .., "value": ..}]}` listing the exact ranges.
Constants are `params`, set in state 0.

A lasso (liveness) has the ITF `loop`: the index of the state the last state repeats
(the run goes on with steps loop + 1 .. last forever; `loop` equal to the last index is
a dead end, whose last state repeats itself); `#meta.fairness` lists each fairness
group's loop states where it was enabled and loop steps that took it (what `zcheck
replay` recomputes, never reads).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from zcheck.counterexamples.cti import NOT_A_BUG

from zcheck.counterexamples.trace import Trace
from zcheck.counterexamples.values import scalar_of
from zcheck.spec.types import BoolT, EnumT, MapT, Type
from zcheck.system.evaluate import Value
from zcheck.system.ir import System
from zcheck.system.pmap import PMap

FORMAT_URL = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def itf_scalar(v: int | bool, typ: Type) -> Any:
    if isinstance(typ, BoolT):
        return bool(v)
    if isinstance(typ, EnumT):
        return typ.members[int(v)]
    return {"#bigint": str(int(v))}


def itf_value(v: Value, typ: Type) -> Any:
    if isinstance(typ, MapT):
        assert isinstance(v, PMap)
        default = v.vals[0]
        segs = []
        for lo, hi, val in v.segments():
            if lo is None or hi is None:
                if val == default:
                    continue
            elif val == default:
                continue
            seg: dict[str, Any] = {"value": itf_scalar(val, typ.value)}
            if lo is not None:
                seg["lo"] = itf_scalar(lo, typ.key)
            if hi is not None:
                seg["hi"] = itf_scalar(hi, typ.key)
            segs.append(seg)
        return {"default": itf_scalar(default, typ.value), "segments": segs}
    assert not isinstance(v, PMap)
    return itf_scalar(v, typ)


def trace_to_itf(system: System, trace: Trace | None, meta: dict[str, Any]) -> dict[str, Any]:
    vars_ = [v for v in system.vars if not v.hidden]
    doc: dict[str, Any] = {
        "#meta": {"format": "ITF", "format-description": FORMAT_URL, **meta},
        "params": [c.name for c in system.consts],
        "vars": [v.name for v in vars_],
        "states": [],
    }
    if trace is None:
        return doc
    consts = {c.name: itf_scalar(c.value if c.value is not None else scalar_of(trace.rigid[c.name]), c.type)
              for c in system.consts}
    for i in range(trace.length + 1):
        state = trace.state(i)
        entry: dict[str, Any] = {"#meta": {"index": i}}
        if i == 0:
            entry.update(consts)
        else:
            step = trace.steps[i - 1]
            entry["#meta"]["transition"] = step.transition
            entry["#meta"]["args"] = {n: itf_scalar(v, t) for n, t, v in step.params}  # type: ignore[arg-type]
        for v in vars_:
            entry[v.name] = itf_value(state[v.name], v.type)
        doc["states"].append(entry)
    if trace.witnesses:
        doc["#meta"]["witness"] = {n: itf_scalar(v, t) for n, t, v in trace.witnesses}  # type: ignore[arg-type]
    if trace.lasso is not None:
        doc["#meta"]["fairness"] = [{"group": r.name, "kind": r.kind.value, "enabled": list(r.enabled),
                                     "taken": list(r.taken)} for r in trace.lasso.fairness]
        states = doc.pop("states")
        doc["loop"] = trace.lasso.loop
        doc["states"] = states  # after `loop`, which a reader sees first
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def results_meta(results: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        entry = {"property": r.name, "kind": r.kind, "verdict": r.verdict, "depth": r.depth}
        cert = getattr(r.result, "certificate", None)
        if cert is not None:
            entry["engine"] = r.result.engine
            entry["proof"] = r.result.detail
            entry["certificate"] = list(cert)
            entry["lemmas"] = list(r.result.lemmas)
            entry["assumed"] = list(r.result.assumed)
            entry["certificate_rechecked"] = True
            if getattr(r, "inferred", ""):
                entry["inferred_lemmas"] = r.inferred.splitlines()
        cti = getattr(r, "cti", None)
        if cti is not None:
            entry["cti"] = cti_json(cti)
        engines = getattr(r, "engines", ())
        if engines:
            entry["engines"] = [{"engine": e.stage.value, "end": e.end.value, "note": e.note} for e in engines]
        out.append(entry)
    return out


def cti_json(cti: Any) -> dict[str, Any]:
    """A counterexample to induction, as data (values as ITF values, `null` when open)."""
    def cells(cs: Any) -> dict[str, Any]:
        return {c.name: None if c.value is None else itf_scalar(c.value, c.type) for c in cs}

    return {"k": cti.k, "note": NOT_A_BUG, "lemma": cti.lemma, "witness": cells(cti.witnesses),
            "states": [{"label": st.label, "step": st.transition, "values": cells(st.cells)} for st in cti.states]}
