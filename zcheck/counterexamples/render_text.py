"""Counterexamples: the plain-text report (the default output of `zcheck verify`).

Input: the run's results (verdicts and decoded traces) and the system. Output: text for
people — one line per property, then for each violation its trace: step number, the
transition and its arguments, the source line, only the variables that changed (pfns in
hex, maps as exact ranges), and what is false at the end. A lasso (liveness) is marked
where its loop starts and ends (or where the run stays at a dead end) and ends with what
is false on the loop and its fairness table. Deterministic: no timings.
"""

from __future__ import annotations

from typing import Sequence

from zcheck.counterexamples import lasso_text
from zcheck.counterexamples.relevance import Relevance, analyse
from zcheck.counterexamples.trace import Trace
from zcheck.counterexamples.values import int_text, map_changes, value_text
from zcheck.spec.types import MapT
from zcheck.system.ir import System

VERDICT_WORDS = {
    "violated": "VIOLATED", "holds": "HOLDS", "reached": "REACHED", "not_reached": "NOT REACHED",
    "proved": "PROVED", "unreachable": "UNREACHABLE", "unknown": "UNKNOWN",
}


def verdict_line(name: str, verdict: str, depth: int | None, detail: str, width: int) -> str:
    word = VERDICT_WORDS[verdict]
    match verdict:
        case "violated" | "reached":
            where = f"at depth {depth}"
        case "holds":
            where = f"up to depth {depth} (bounded, not a proof)"
        case "not_reached":
            where = f"up to depth {depth}"
        case "proved" | "unreachable":
            where = detail
        case _:
            where = detail
    return f"  {word:<12} {name:<{width}}  {where}".rstrip()


def source_line(system: System, file: str, line: int) -> str:
    text = system.sources.line(file, line)
    return text.strip() if text else ""


def render_trace(system: System, trace: Trace, rel: Relevance | None = None) -> list[str]:
    rel = rel if rel is not None else analyse(system, trace)
    types = {v.name: v.type for v in system.vars if not v.hidden}
    prop = system.prop(trace.prop)
    out = [f"{trace.prop}: {VERDICT_WORDS[trace.verdict]} at depth {trace.length}"]
    where = f"{prop.span.file}:{prop.span.line}"
    head = {"invariant": "invariant", "cover": "cover", "lemma": "lemma"}.get(prop.kind, "check")
    src = source_line(system, prop.span.file, prop.span.line)
    out.append(f"  {where}: {src}" if src and prop.kind != "implicit" else f"  {head} {trace.prop} ({where})")
    if trace.rigid:
        consts = ", ".join(f"{n} = {value_text(v, t)}" for (n, t) in system.rigid for v in [trace.rigid[n]])
        out.append(f"  constants: {consts}")
    out.append("")
    out.append("  state 0 (initial)")
    width = max((len(n) for n in types), default=1)
    for name, typ in types.items():
        out.append(f"    {name:<{width}} = {value_text(trace.initial[name], typ)}")
    out.extend(_loop_marks(trace, 0))
    prev = trace.initial
    for s in trace.steps:
        args = ", ".join(f"{n} = {value_text(v, t)}" for n, t, v in s.params)
        call = f"{s.transition}({args})" if s.params or "[" not in s.transition else s.transition
        loc = f"{s.span.file}:{s.span.line}"
        mark = f"    (not needed: the trace without it is still a {noun(trace)})" if s.index in rel.droppable else ""
        out.append(f"  step {s.index}  {call}    [{loc}]{mark}")
        picks = [(n, v) for n, v in s.picks if not n.startswith("scenario")]
        if picks:
            out.append("    picks: " + ", ".join(f"{n.split('#')[0]} = {pick_text(v)}" for n, v in picks))
        changed = _changes(prev, s.state, types)
        out.extend(f"    {c}" for c in changed) if changed else out.append("    (no change)")
        out.extend(_loop_marks(trace, s.index))
        prev = s.state
    out.append("")
    if trace.lasso is not None:
        return out + lasso_lines(system, trace)
    out.extend(_violation(trace))
    out.append(f"  relevance: {rel.summary(noun(trace))}")
    if rel.unused:
        out.append(f"  `{trace.prop}` does not depend on: {', '.join(rel.unused)}")
    return out


def _loop_marks(trace: Trace, i: int) -> list[str]:
    """The lines after state `i` of a lasso: where its loop starts, where it ends."""
    lasso = trace.lasso
    if lasso is None:
        return []
    out = []
    if i == lasso.loop:
        where = "dead end at" if lasso_text.dead_end(trace) else "loop starts at"
        out.append(f"  {where} state {i}: {lasso_text.repeats(trace)}")
    if i == trace.length and not lasso_text.dead_end(trace):
        out.append(f"  loop ends: {lasso_text.closes(trace)}")
    return out


def lasso_lines(system: System, trace: Trace) -> list[str]:
    """What is false on a lasso's loop, and its fairness table."""
    where = "at the dead end" if lasso_text.dead_end(trace) else "on the loop"
    out = [f"  violation {where}: {lasso_text.failure(system, trace).text()}", f"  {lasso_text.fairness_head(trace)}"]
    rows = lasso_text.fairness(trace)
    if rows:
        table = [("group", "fairness", "enabled in states", "taken in steps", "fair because")]
        table += [(r.name, r.kind, r.enabled, r.taken, r.why) for r in rows]
        widths = [max(len(row[c]) for row in table) for c in range(4)]
        out += ["    " + "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + f"  {row[4]}" for row in table]
    return out


def pick_text(v: object) -> str:
    """A picked value in ZDL syntax (`true`, not Python's `True`)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return int_text(int(v)) if isinstance(v, int) else str(v)


def noun(trace: Trace) -> str:
    return "witness" if trace.verdict == "reached" else "counterexample"


def _changes(old: dict, new: dict, types: dict) -> list[str]:  # type: ignore[type-arg]
    lines = []
    for name, typ in types.items():
        a, b = old[name], new[name]
        if a == b:
            continue
        if isinstance(typ, MapT):
            for rng, was, now in map_changes(a, b, typ):
                lines.append(f"{name}{rng}: {was} -> {now}")
        else:
            lines.append(f"{name}: {value_text(a, typ)} -> {value_text(b, typ)}")
    return lines


def _violation(trace: Trace) -> list[str]:
    out = []
    where = f"in state {trace.length}" if trace.failing_span is None else f"in step {trace.length} at {trace.failing_span}"
    word = "witness" if trace.verdict == "reached" else "violation"
    line = f"  {word} {where}"
    if trace.witnesses:
        line += ", with " + ", ".join(f"{n} = {value_text(v, t)}" for n, t, v in trace.witnesses)
    out.append(line)
    ex = trace.explanation
    if ex is not None and trace.verdict == "violated":
        detail = f"    false: {ex.text}"
        if ex.values:
            detail += "   where " + ", ".join(f"{k} = {v}" for k, v in ex.values)
        out.append(detail)
    return out


def render_summary(results: Sequence[object]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        v = getattr(r, "verdict")
        counts[v] = counts.get(v, 0) + 1
    order = ["violated", "reached", "holds", "not_reached", "proved", "unreachable", "unknown"]
    return ", ".join(f"{counts[v]} {VERDICT_WORDS[v].lower()}" for v in order if v in counts)
