"""Counterexamples: the Markdown design-review report (`zcheck verify --format markdown`).

Input: the system and the run's results (verdicts, decoded traces). Output: Markdown —
the verdict table, then for each violation (or reached cover) the property with its
source line, the model header's kernel context, a step table with the relevant steps
marked, the memory map (every variable, maps as exact ranges) after each step, and what
is false at the end. A lasso (liveness) has no relevance: its step table says which
steps are the loop, and a section says where the loop starts, what is false on it and
which fairness groups were enabled and taken there. `report_rows` and `false_lines` are
shared with the HTML and SARIF renderers. Deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from zcheck.counterexamples import lasso_text
from zcheck.counterexamples.cti import NOT_A_BUG, CtiTrace
from zcheck.counterexamples.relevance import Relevance, analyse
from zcheck.counterexamples.render_text import VERDICT_WORDS, noun, source_line
from zcheck.counterexamples.trace import Trace
from zcheck.counterexamples.values import map_changes, value_text
from zcheck.spec.types import MapT
from zcheck.system.ir import System


@dataclass(frozen=True)
class Row:
    """One state of the trace, as the reports show it (all texts are unescaped)."""

    index: int  # 0 for the initial state
    call: str  # "add_dev(start = 0x40000, ...)" or "initial"
    where: str  # "file:line" of the transition, "" for state 0
    source: str  # the transition's source line
    changes: tuple[str, ...]
    memory: tuple[tuple[str, str], ...]  # (variable, value) for every visible variable
    relevant: bool
    loop: bool = False  # a lasso's step that the run repeats forever


def in_loop(trace: Trace, step: int) -> bool:
    """Whether step `step` of `trace` is one of its lasso's repeated steps."""
    return trace.lasso is not None and step in trace.lasso.loop_steps(trace.length)


def report_rows(system: System, trace: Trace, rel: Relevance) -> list[Row]:
    types = {v.name: v.type for v in system.vars if not v.hidden}
    memory0 = tuple((n, value_text(trace.initial[n], typ)) for n, typ in types.items())
    rows = [Row(0, "initial", "", "", (), memory0, True)]
    prev = trace.initial
    for s in trace.steps:
        args = ", ".join(f"{n} = {value_text(v, typ)}" for n, typ, v in s.params)
        call = f"{s.transition}({args})" if s.params or "[" not in s.transition else s.transition
        memory = tuple((n, value_text(s.state[n], typ)) for n, typ in types.items())
        rows.append(Row(s.index, call, f"{s.span.file}:{s.span.line}", source_line(system, s.span.file, s.span.line),
                        tuple(changes(prev, s.state, types)), memory, s.index not in rel.droppable,
                        in_loop(trace, s.index)))
        prev = s.state
    return rows


def changes(old: dict, new: dict, types: dict) -> list[str]:  # type: ignore[type-arg]
    out = []
    for name, typ in types.items():
        a, b = old[name], new[name]
        if a == b:
            continue
        if isinstance(typ, MapT):
            out += [f"{name}{rng}: {was} -> {now}" for rng, was, now in map_changes(a, b, typ)]
        else:
            out.append(f"{name}: {value_text(a, typ)} -> {value_text(b, typ)}")
    return out


def property_source(system: System, trace: Trace) -> tuple[str, str]:
    """(`file:line`, the property's source line or a description of an implicit check)."""
    prop = system.prop(trace.prop)
    where = f"{prop.span.file}:{prop.span.line}"
    src = source_line(system, prop.span.file, prop.span.line)
    if prop.kind == "implicit" or not src:
        src = prop.description or f"implicit check {trace.prop}"
    return where, src


def false_lines(system: System, trace: Trace) -> list[str]:
    """What is false: at the end of a trace, or on a lasso's loop (as plain text)."""
    if trace.lasso is None:
        return violation_lines(trace)
    return [loop_failure(system, trace).text()]


def loop_failure(system: System, trace: Trace) -> lasso_text.Sentence:
    """`violation on the loop: ...`, with the conditions marked as code."""
    where = "at the dead end" if lasso_text.dead_end(trace) else "on the loop"
    failure = lasso_text.failure(system, trace)
    return lasso_text.Sentence((f"violation {where}: ", *failure.parts))


def state_note(trace: Trace, i: int) -> str:
    """What a lasso's state `i` is to the loop ("" for the others, and for safety traces)."""
    if trace.lasso is None:
        return ""
    notes = []
    if i == trace.lasso.loop:
        notes.append(("dead end: " if lasso_text.dead_end(trace) else "the loop starts here: ") + lasso_text.repeats(trace))
    if i == trace.length and not lasso_text.dead_end(trace):
        notes.append(lasso_text.closes(trace))
    return "; ".join(notes)


def violation_lines(trace: Trace) -> list[str]:
    where = f"in state {trace.length}" if trace.failing_span is None else f"in step {trace.length} at {trace.failing_span}"
    line = f"{'witness' if trace.verdict == 'reached' else 'violation'} {where}"
    if trace.witnesses:
        line += ", with " + ", ".join(f"{n} = {value_text(v, typ)}" for n, typ, v in trace.witnesses)
    out = [line]
    ex = trace.explanation
    if ex is not None and trace.verdict == "violated":
        detail = f"false: {ex.text}"
        if ex.values:
            detail += "   where " + ", ".join(f"{k} = {v}" for k, v in ex.values)
        out.append(detail)
    return out


# ---------------------------------------------------------------- Markdown


def _code(text: str) -> str:
    """An inline code span that survives backticks and table pipes in `text`."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _fenced(text: str, lang: str = "") -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, text, fence]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|#!~])")


def _plain(text: str) -> str:
    """`text` with every character Markdown could read as markup backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _header(line: str, spec: str) -> str:
    """The run's line, with the model's path (any text: it comes from the command line)
    in a code span and the rest escaped."""
    before, found, after = line.partition(spec) if spec else (line, "", "")
    return _plain(before) + (_code(spec) if found else "") + _plain(after)


def render_markdown(system: System, spec: str, results: Sequence[object], header_line: str) -> str:
    out = [f"# zcheck report: model `{system.model}`", "", _header(header_line, spec), "",
           "| verdict | property | depth |",
           "| --- | --- | --- |"]
    for r in results:
        depth = "" if getattr(r, "depth") is None else str(getattr(r, "depth"))
        out.append(f"| {VERDICT_WORDS[getattr(r, 'verdict')]} | {_code(getattr(r, 'name'))} | {depth} |")
    if system.header:
        out += ["", "## Kernel context", "", *_fenced(system.header, "text")]
    for r in results:
        trace = getattr(r, "trace")
        if trace is not None:
            out += [""] + markdown_trace(system, trace)
        cti = getattr(r, "cti", None)
        if cti is not None:
            out += [""] + markdown_cti(cti)
    return "\n".join(out) + "\n"


def markdown_cti(cti: CtiTrace) -> list[str]:
    out = [f"## {cti.prop}: not proved — counterexample to induction at k = {cti.k}", "",
           f"**{NOT_A_BUG[0].upper() + NOT_A_BUG[1:]}.** These states are not known to be reachable; "
           "a lemma that rules them out, or a larger `--max-k`, may prove the property.", ""]
    if cti.lemma is not None:
        out += [f"A lemma that rules them out: {_code(cti.lemma)}", ""]
    if cti.witnesses:
        out += ["Witness: " + ", ".join(_code(f"{w.name} = {w.text()}") for w in cti.witnesses), ""]
    names = [c.name for c in cti.states[0].cells]
    out += ["| variable | " + " | ".join(s.label for s in cti.states) + " |",
            "| --- |" + " --- |" * len(cti.states)]
    for i, n in enumerate(names):
        out.append(f"| {_code(n)} | " + " | ".join(_code(s.cells[i].text()) for s in cti.states) + " |")
    return out


def markdown_trace(system: System, trace: Trace, rel: Relevance | None = None) -> list[str]:
    rel = rel if rel is not None else analyse(system, trace)
    where, src = property_source(system, trace)
    out = [f"## {trace.prop}: {VERDICT_WORDS[trace.verdict]} at depth {trace.length}", "",
           f"Property, at `{where}`:", "", *_fenced(src, "zdl"), ""]
    if trace.rigid:
        consts = ", ".join(f"{n} = {value_text(trace.rigid[n], typ)}" for n, typ in system.rigid)
        out += [f"Constants chosen: {_code(consts)}", ""]
    if trace.lasso is not None:
        out += [f"**Lasso:** {_plain(lasso_text.shape(trace))}."]
    else:
        out += [f"**Relevance:** {rel.summary(noun(trace))}."]
        if rel.unused:
            out.append(f"The property does not depend on {', '.join(_code(v) for v in rel.unused)}.")
    last = "loop" if trace.lasso is not None else "relevant"
    out += ["", "### Steps", "", f"| step | action | source | changes | {last} |", "| --- | --- | --- | --- | --- |"]
    rows = report_rows(system, trace, rel)
    for row in rows[1:]:
        changed = "<br>".join(_code(c) for c in row.changes) or "(no change)"
        out.append(f"| {row.index} | {_code(row.call)} | {_code(row.where)} {_code(row.source)} | {changed} | "
                   f"{_step_mark(trace, row)} |")
    if trace.lasso is not None:
        out += ["", "### The loop", ""] + markdown_loop(system, trace)
    out += ["", "### Memory map after each step", ""]
    for row in rows:
        title = "State 0 (initial)" if row.index == 0 else f"After step {row.index}: {_code(row.call)}"
        note = state_note(trace, row.index)
        out += [f"**{title}**" + ("" if row.relevant else " (step not needed)") + (f" — {_plain(note)}" if note else ""), ""]
        out += [f"- {_code(name)} = {_code(value)}" for name, value in row.memory]
        out.append("")
    if trace.lasso is not None:
        out += ["### What is false", "", f"- {_sentence(loop_failure(system, trace))}"]
    else:
        out += ["### What is false", ""] + [f"- {_code(line)}" for line in violation_lines(trace)]
    return out


def _sentence(s: lasso_text.Sentence) -> str:
    return "".join(_code(p.text) if isinstance(p, lasso_text.Code) else _plain(p) for p in s.parts)


def _step_mark(trace: Trace, row: Row) -> str:
    if trace.lasso is not None:
        return "**loop**" if row.loop else "prefix"
    return "**yes**" if row.relevant else "no (can be dropped)"


def markdown_loop(system: System, trace: Trace) -> list[str]:
    """Where the loop starts, what is false on it, and the fairness table."""
    lasso = lasso_text.lasso_of(trace)
    where = "dead end" if lasso_text.dead_end(trace) else "loop start"
    out = [f"- {where}: state {lasso.loop}: {_plain(lasso_text.repeats(trace))}"]
    if not lasso_text.dead_end(trace):
        out.append(f"- loop end: {_plain(lasso_text.closes(trace))}")
    out += [f"- {_sentence(loop_failure(system, trace))}"]
    out += ["", _plain(lasso_text.fairness_head(trace))]
    rows = lasso_text.fairness(trace)
    if rows:
        out += ["", "| group | fairness | enabled in states | taken in steps | fair because |",
                "| --- | --- | --- | --- | --- |"]
        out += [f"| {_code(r.name)} | {r.kind} | {r.enabled} | {r.taken} | {r.why} |" for r in rows]
    return out
