"""Counterexamples: SARIF 2.1.0 output (`zcheck verify --format sarif`).

Input: the system and the run's results. Output: one SARIF log with one run: a rule per
property checked (its kind and source line), a result per violated property located at
the property (or the failing assert site), whose codeFlow has one threadFlow location
per step at the `.zdl` line of the transition taken, with the step's call, the changed
variables as `state`, and `importance` essential (relevant step) or unimportant. A
lasso's message says where its loop starts and what is false on it; its loop steps are
at `nestingLevel` 1 with the kind `loop`, the thread flow's message says which steps
repeat forever, and the result's `properties.lasso` holds the loop index and the
fairness rows. Deterministic: no timestamps, no absolute paths that the command line
did not give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from zcheck import __version__
from zcheck.counterexamples import lasso_text
from zcheck.counterexamples.cti import NOT_A_BUG, CtiTrace
from zcheck.counterexamples.relevance import analyse
from zcheck.counterexamples.render_markdown import Row, false_lines, property_source, report_rows, violation_lines
from zcheck.counterexamples.trace import Trace, TraceStep
from zcheck.diagnostics import Span
from zcheck.system.ir import System

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _uri(file: str) -> str:
    path = Path(file)
    return path.as_uri() if path.is_absolute() else path.as_posix()


def _location(span: Span, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": {"uri": _uri(span.file)},
        "region": {"startLine": max(span.line, 1), "startColumn": max(span.col, 1)},
    }}
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def render_sarif(system: System, results: Sequence[object]) -> str:
    names = [getattr(r, "name") for r in results]
    rules = [_rule(system, n) for n in names]
    out = []
    for r in results:
        trace = getattr(r, "trace")
        if trace is not None and getattr(r, "verdict") == "violated":
            out.append(_result(system, trace, names.index(trace.prop)))
        cti = getattr(r, "cti", None)
        if cti is not None:
            out.append(_cti_result(system, cti, names.index(cti.prop)))
    files = sorted({system.main_file} | {p.span.file for p in system.properties if p.span.file != "<command line>"})
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "zcheck", "version": __version__, "rules": rules}},
            "artifacts": [{"location": {"uri": _uri(f)}} for f in files],
            "results": out,
            "properties": {"model": system.model},
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _cti_result(system: System, cti: CtiTrace, rule_index: int) -> dict[str, Any]:
    """A note, not an error: the property is not proved, and no bug is known."""
    span = system.prop(cti.prop).span
    text = f"`{cti.prop}` not proved: counterexample to induction at k = {cti.k} ({NOT_A_BUG})"
    if cti.lemma is not None:
        text += f"; a lemma that rules it out: {cti.lemma}"
    states = [{"label": s.label, "values": {c.name: c.text() for c in s.cells}} for s in cti.states]
    return {"ruleId": cti.prop, "ruleIndex": rule_index, "level": "note", "kind": "review",
            "message": {"text": text}, "locations": [_location(span)], "properties": {"cti": states}}


def _rule(system: System, name: str) -> dict[str, Any]:
    prop = system.prop(name)
    src = (system.sources.line(prop.span.file, prop.span.line) or "").strip()
    text = src if src and prop.kind != "implicit" else (prop.description or f"implicit check {name}")
    return {
        "id": name,
        "name": name,
        "shortDescription": {"text": f"{prop.kind} {name}"},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": "error"},
        "properties": {"kind": prop.kind},
    }


def _result(system: System, trace: Trace, rule_index: int) -> dict[str, Any]:
    if trace.lasso is not None:
        return _lasso_result(system, trace, rule_index)
    rel = analyse(system, trace)
    prop = system.prop(trace.prop)
    where, _ = property_source(system, trace)
    at = trace.failing_span if trace.failing_span is not None else prop.span
    lines = violation_lines(trace)
    message = f"`{trace.prop}` is violated at depth {trace.length} ({'; '.join(lines)}); {rel.summary()}"
    rows = report_rows(system, trace, rel)
    steps = [_step(row, step) for row, step in zip(rows[1:], trace.steps)]
    steps.append({"location": _location(at, lines[0]), "executionOrder": len(rows), "importance": "essential"})
    return {
        "ruleId": trace.prop,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": message},
        "locations": [_location(at)],
        "codeFlows": [{"message": {"text": f"a shortest trace to the violation ({where})"},
                       "threadFlows": [{"locations": steps}]}],
        "properties": {"depth": trace.length, "relevantSteps": list(rel.relevant), "unusedVariables": list(rel.unused)},
    }


def _step(row: Row, step: TraceStep, note: str = "") -> dict[str, Any]:
    loc: dict[str, Any] = {
        "location": _location(step.span, f"step {row.index}: {row.call}{note}"),
        "executionOrder": row.index,
        "importance": "essential" if row.relevant else "unimportant",
    }
    if row.loop:
        loc["nestingLevel"] = 1
        loc["kinds"] = ["loop"]
    if row.changes:
        loc["state"] = {c.split(":", 1)[0]: {"text": c.split(":", 1)[1].strip()} for c in row.changes}
    return loc


def _lasso_result(system: System, trace: Trace, rule_index: int) -> dict[str, Any]:
    """A lasso: its loop steps nested one level, the last location says what is false on
    the loop and how the run goes on."""
    lasso = lasso_text.lasso_of(trace)
    prop = system.prop(trace.prop)
    where, _ = property_source(system, trace)
    failure = false_lines(system, trace)[0]
    rows = report_rows(system, trace, analyse(system, trace))
    steps = [_step(row, step, "; the loop starts with this step" if row.index == lasso.loop + 1 else "")
             for row, step in zip(rows[1:], trace.steps)]
    end = lasso_text.closes(trace) or f"state {trace.length}: {lasso_text.repeats(trace)}"
    steps.append({"location": _location(prop.span, f"{end}; {failure}"), "executionOrder": len(rows),
                  "importance": "essential"})
    fairness = [{"group": r.name, "kind": r.kind.value, "enabled": list(r.enabled), "taken": list(r.taken)}
                for r in lasso.fairness]
    return {
        "ruleId": trace.prop,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": f"`{trace.prop}` is violated by a lasso of {trace.length} steps: "
                            f"{lasso_text.shape(trace)}; {failure}"},
        "locations": [_location(prop.span)],
        "codeFlows": [{"message": {"text": f"a shortest lasso ({where}): {lasso_text.shape(trace)}"},
                       "threadFlows": [{"message": {"text": _flow_message(trace)}, "locations": steps}]}],
        "properties": {"depth": trace.length,
                       "lasso": {"loop": lasso.loop, "deadEnd": lasso_text.dead_end(trace), "fairness": fairness}},
    }


def _flow_message(trace: Trace) -> str:
    lasso = lasso_text.lasso_of(trace)
    if lasso_text.dead_end(trace):
        shape = f"state {trace.length} is a dead end: {lasso_text.repeats(trace)}"
    else:
        shape = f"from state {lasso.loop} the run repeats {lasso_text.steps_text(lasso.loop + 1, trace.length)} forever"
    return f"{shape}; {lasso_text.fairness_summary(trace)}"
