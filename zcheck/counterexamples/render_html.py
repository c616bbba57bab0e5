"""Counterexamples: the self-contained HTML report (`zcheck verify --format html`).

Input: the system and the run's results. Output: one HTML page with the content of the
Markdown report plus, for every map over integers (pfns), an inline SVG timeline of the
key space: one row per state (initial, then one per step), each exact range coloured by
the map's value, the witness values marked. It loads nothing (no scripts, fonts or
style sheets; a Content-Security-Policy forbids them) and every string that comes from
the model — names, source lines, comments, values — goes through `html.escape`, or,
for the model excerpts (the property's line, each step's line), through the ZDL
highlighter (pygments_zdl.html: escaped text in spans with inline styles).

The x axis is not to scale: every interval between two breakpoints (range ends of any
state, and witnesses) gets the same width, so a 4 KiB range beside a 64 GiB one stays
visible; the breakpoints are labelled in hex.

A lasso (liveness) is drawn as an SVG of its states in a row, the loop's states
shaded, with the back edge of its last step to the state the loop starts at (or, for a
dead end, the last state staying where it is); its step table marks the loop's steps,
and a section says what is false on the loop and which fairness groups were enabled and
taken there.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from zcheck.counterexamples import lasso_text
from zcheck.counterexamples.cti import NOT_A_BUG, CtiTrace
from zcheck.counterexamples.relevance import Relevance, analyse
from zcheck.counterexamples.render_markdown import (Row, loop_failure, property_source, report_rows, state_note,
                                                    violation_lines)
from zcheck.counterexamples.render_text import VERDICT_WORDS, noun, source_line
from zcheck.counterexamples.trace import Trace
from zcheck.counterexamples.values import key_text, scalar_of, scalar_text
from zcheck.pygments_zdl import html as zdl_html
from zcheck.spec.types import BoolT, IntT, MapT, RangeT
from zcheck.system.ir import System
from zcheck.system.pmap import PMap

PALETTE = ("#e6e6e6", "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f")
CELL, LABEL, ROW, TOP = 84, 190, 24, 34

STYLE = """
table.lanes td.idle { color: #888; }
table.lanes td.ran { background: #eef6ff; }
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 80em; }
pre, code { font-family: monospace; background: #f5f5f5; }
pre { padding: .6em; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: .5em 0 1em; }
td, th { border: 1px solid #ccc; padding: .25em .5em; vertical-align: top; text-align: left; }
tr.droppable { color: #888; }
tr.loop td:first-child { border-left: 4px solid #f28e2b; }
tr.loopstart td { border-top: 2px solid #f28e2b; }
svg.lasso circle.prefix { fill: #f5f5f5; stroke: #666; }
svg.lasso circle.loop { fill: #fde3c8; stroke: #f28e2b; }
svg.lasso .edge { stroke: #444; fill: none; }
svg.lasso .back { stroke: #f28e2b; fill: none; stroke-width: 2; }
svg.lasso polygon { fill: #444; } svg.lasso polygon.back { fill: #f28e2b; stroke: none; }
svg.lasso text.backlabel { fill: #c05a00; }
.badge { font-weight: bold; }
.violated { color: #b00020; } .reached { color: #1a6b1a; }
svg text { font-family: monospace; font-size: 11px; }
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(system: System, results: Sequence[object], header_line: str) -> str:
    title = f"zcheck report: model {system.model}"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           f"<h1>{escape(title)}</h1>", f"<p>{escape(header_line)}</p>", _verdicts(results)]
    if system.header:
        out += ["<h2>Kernel context</h2>", f"<pre>{escape(system.header)}</pre>"]
    for r in results:
        trace = getattr(r, "trace")
        if trace is not None:
            out.append(html_trace(system, trace))
        cti = getattr(r, "cti", None)
        if cti is not None:
            out.append(html_cti(cti))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def html_cti(cti: CtiTrace) -> str:
    head = (f"<h2><code>{escape(cti.prop)}</code>: not proved — counterexample to induction at k = {cti.k}</h2>"
            f"<p><strong>{escape(NOT_A_BUG)}.</strong> These states are not known to be reachable.</p>")
    if cti.lemma is not None:
        head += f"<p>A lemma that rules them out: <code>{escape(cti.lemma)}</code></p>"
    cols = "".join(f"<th>{escape(s.label)}</th>" for s in cti.states)
    rows = "".join(f"<tr><td><code>{escape(c.name)}</code></td>"
                   + "".join(f"<td><code>{escape(s.cells[i].text())}</code></td>" for s in cti.states) + "</tr>"
                   for i, c in enumerate(cti.states[0].cells))
    return f'<section class="cti">{head}<table><tr><th>variable</th>{cols}</tr>{rows}</table></section>'


def _verdicts(results: Sequence[object]) -> str:
    rows = []
    for r in results:
        verdict, depth = getattr(r, "verdict"), getattr(r, "depth")
        rows.append(f'<tr><td class="badge {escape(verdict)}">{escape(VERDICT_WORDS[verdict])}</td>'
                    f"<td><code>{escape(getattr(r, 'name'))}</code></td><td>{'' if depth is None else depth}</td></tr>")
    return "<table><tr><th>verdict</th><th>property</th><th>depth</th></tr>" + "".join(rows) + "</table>"


def html_trace(system: System, trace: Trace, rel: Relevance | None = None) -> str:
    rel = rel if rel is not None else analyse(system, trace)
    where, src = property_source(system, trace)
    rows = report_rows(system, trace, rel)
    out = [f'<section class="trace" data-property="{escape(trace.prop)}">',
           f'<h2><code>{escape(trace.prop)}</code>: <span class="badge {escape(trace.verdict)}">'
           f"{escape(VERDICT_WORDS[trace.verdict])}</span> at depth {trace.length}</h2>",
           f"<p>Property, at <code>{escape(where)}</code>:</p>", f'<pre class="zdl">{_excerpt(system, trace, src)}</pre>']
    if trace.lasso is not None:
        out.append(f"<p><strong>Lasso:</strong> {escape(lasso_text.shape(trace))}.</p>")
    else:
        out.append(f"<p><strong>Relevance:</strong> {escape(rel.summary(noun(trace)))}.</p>")
        if rel.unused:
            out.append("<p>The property does not depend on "
                       + ", ".join(f"<code>{escape(v)}</code>" for v in rel.unused) + ".</p>")
    out += ["<h3>Steps</h3>", _step_table(rows, trace)]
    if trace.lasso is not None:
        out += ["<h3>The loop</h3>", lasso_svg(trace, rows), html_loop(system, trace)]
    lanes = _lanes(system, trace)
    if lanes:
        out += ["<h3>Lanes: one per instance</h3>", lanes]
    for var in system.vars:
        if not var.hidden and isinstance(var.type, MapT) and isinstance(var.type.key, (IntT, RangeT)):
            out += [f"<h3>Timeline of <code>{escape(var.name)}</code></h3>", timeline(trace, var.name, var.type, rows)]
    out += ["<h3>Memory map after each step</h3>", _memory_table(rows, trace)]
    if trace.lasso is not None:
        out += ["<h3>What is false</h3>", "<ul>", f"<li>{sentence(loop_failure(system, trace))}</li>"]
    else:
        out += ["<h3>What is false</h3>", "<ul>"] + [f"<li><code>{escape(x)}</code></li>" for x in violation_lines(trace)]
    out += ["</ul>", "</section>"]
    return "\n".join(out)


def sentence(s: lasso_text.Sentence) -> str:
    """A sentence with its parts from the model as escaped code."""
    return "".join(f"<code>{escape(p.text)}</code>" if isinstance(p, lasso_text.Code) else escape(p) for p in s.parts)


def _excerpt(system: System, trace: Trace, src: str) -> str:
    """The property's source line, highlighted; an implicit check's description, as text."""
    prop = system.prop(trace.prop)
    return zdl_html(src) if prop.kind != "implicit" and src == source_line(system, prop.span.file, prop.span.line) \
        else escape(src)


def _step_table(rows: list[Row], trace: Trace) -> str:
    lasso = trace.lasso is not None
    out = ['<table class="steps"><tr><th>step</th><th>action</th><th>source</th><th>changes</th>'
           f"<th>{'loop' if lasso else 'relevant'}</th></tr>"]
    for row in rows[1:]:
        if lasso:
            cls = "step loop" if row.loop else "step prefix"
            cls += " loopstart" if trace.lasso is not None and row.index == trace.lasso.loop + 1 else ""
            mark = "loop" if row.loop else "prefix"
        else:
            cls = "step relevant" if row.relevant else "step droppable"
            mark = "yes" if row.relevant else "no (can be dropped)"
        changed = "<br>".join(f"<code>{escape(c)}</code>" for c in row.changes) or "(no change)"
        out.append(f'<tr class="{cls}" data-step="{row.index}"><td>{row.index}</td><td><code>{escape(row.call)}</code></td>'
                   f'<td><code>{escape(row.where)}</code><br><code class="zdl">{zdl_html(row.source)}</code></td><td>{changed}</td>'
                   f"<td>{mark}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def html_loop(system: System, trace: Trace) -> str:
    """Where the loop starts and ends, what is false on it, and the fairness table."""
    lasso = lasso_text.lasso_of(trace)
    where = "dead end" if lasso_text.dead_end(trace) else "loop start"
    items = [f"<li>{where}: state {lasso.loop}: {escape(lasso_text.repeats(trace))}</li>"]
    if not lasso_text.dead_end(trace):
        items.append(f"<li>loop end: {escape(lasso_text.closes(trace))}</li>")
    items.append(f"<li>{sentence(loop_failure(system, trace))}</li>")
    out = ['<ul class="loop">', *items, "</ul>", f"<p>{escape(lasso_text.fairness_head(trace))}</p>"]
    rows = lasso_text.fairness(trace)
    if rows:
        out.append('<table class="fairness"><tr><th>group</th><th>fairness</th><th>enabled in states</th>'
                   "<th>taken in steps</th><th>fair because</th></tr>")
        out += [f'<tr data-group="{escape(r.name)}"><td><code>{escape(r.name)}</code></td><td>{escape(r.kind)}</td>'
                f"<td>{escape(r.enabled)}</td><td>{escape(r.taken)}</td><td>{escape(r.why)}</td></tr>" for r in rows]
        out.append("</table>")
    return "\n".join(out)


# ---------------------------------------------------------------- the SVG lasso

GAP, RADIUS, MID = 72, 15, 44


def lasso_svg(trace: Trace, rows: list[Row]) -> str:
    """The states in a row (the last one of a loop is drawn as the state it repeats),
    one arrow per step, the loop's states shaded and its last step as a back edge."""
    lasso = lasso_text.lasso_of(trace)
    k, dead = trace.length, lasso_text.dead_end(trace)
    shown = k + 1 if dead else k  # a loop's last state is state `loop` again
    label = 7 * (len(f"step {k}: back to state {lasso.loop}") // 2 + 4)  # half the widest label, in pixels
    width, height = _x(shown - 1) + max(RADIUS + 40, label), MID + 100
    out = [f'<svg class="lasso" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(lasso_text.shape(trace))}">']
    for j in range(1, shown):
        out.append(_edge(j, rows[j].call))
    if dead:
        out.append(_self_loop(k, "stays forever: nothing is enabled"))
    elif lasso.loop == k - 1:
        out.append(_self_loop(k - 1, f"step {k}: back to state {lasso.loop}", k, rows[k].call))
    else:
        out.append(_back_edge(k, lasso.loop, rows[k].call))
    for i in range(shown):
        cls = "loop" if i >= lasso.loop else "prefix"
        out.append(f'<g class="state" data-state="{i}"><circle class="{cls}" cx="{_x(i)}" cy="{MID}" r="{RADIUS}"/>'
                   f'<text x="{_x(i)}" y="{MID + 4}" text-anchor="middle">{i}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _x(i: int) -> int:
    return 40 + RADIUS + GAP * i


def _edge(j: int, call: str) -> str:
    """Step j, from state j - 1 to state j."""
    x1, x2 = _x(j - 1) + RADIUS, _x(j) - RADIUS
    return (f'<g class="step" data-step="{j}"><title>{escape(f"step {j}: {call}")}</title>'
            f'<line class="edge" x1="{x1}" y1="{MID}" x2="{x2 - 6}" y2="{MID}"/>'
            f'<polygon points="{x2},{MID} {x2 - 7},{MID - 4} {x2 - 7},{MID + 4}"/>'
            f'<text x="{(x1 + x2) // 2}" y="{MID - 8}" text-anchor="middle">{j}</text></g>')


def _back_edge(k: int, loop: int, call: str) -> str:
    """Step k, from state k - 1 back to state `loop`, below the row."""
    x1, x2, y = _x(k - 1), _x(loop), MID + RADIUS
    low = y + 46
    label = f"step {k}: back to state {loop}"
    return (f'<g class="step backedge" data-step="{k}"><title>{escape(f"step {k}: {call}")}</title>'
            f'<path class="back" d="M {x1} {y} C {x1} {low}, {x2} {low}, {x2} {y + 7}"/>'
            f'<polygon class="back" points="{x2},{y} {x2 - 4},{y + 8} {x2 + 4},{y + 8}"/>'
            f'<text class="backlabel" x="{(x1 + x2) // 2}" y="{low + 4}" text-anchor="middle">{escape(label)}</text></g>')


def _self_loop(i: int, label: str, step: int | None = None, call: str = "") -> str:
    """An arc below state i back to itself: the one step of a loop (`step`), or a dead end."""
    x, y = _x(i), MID + RADIUS
    head = (f'<g class="step backedge" data-step="{step}"><title>{escape(f"step {step}: {call}")}</title>'
            if step is not None else f'<g class="dead-end" data-state="{i}">')
    dash = "" if step is not None else ' stroke-dasharray="4 3"'
    return (f'{head}<path class="back"{dash} d="M {x - 8} {y - 2} C {x - 30} {y + 40}, {x + 30} {y + 40}, {x + 8} {y + 5}"/>'
            f'<polygon class="back" points="{x + 6},{y - 1} {x + 5},{y + 9} {x + 13},{y + 5}"/>'
            f'<text class="backlabel" x="{x}" y="{y + 50}" text-anchor="middle">{escape(label)}</text></g>')


def _lanes(system: System, trace: Trace) -> str:
    """One column per process instance (and one for global actions): each step sits in
    the lane of who ran it; every lane shows its instance's step label after each step."""
    pcs = [v for v in system.vars if v.exact_domain and v.name.endswith(".pc")]
    if not pcs:
        return ""
    insts = [v.name[:-len(".pc")] for v in pcs]
    head = "<th>step</th><th>actions</th>" + "".join(f"<th><code>{escape(i)}</code></th>" for i in insts)
    out = [f'<table class="lanes"><tr>{head}</tr>']
    for i in range(trace.length + 1):
        state = trace.state(i)
        who = trace.steps[i - 1].transition if i else ""
        owner = who.split(".", 1)[0] if i else ""
        cells = [f"<td>{'<code>' + escape(who) + '</code>' if i and owner not in insts else ''}</td>"]
        for inst, var in zip(insts, pcs):
            label = escape(scalar_text(scalar_of(state[var.name]), var.type))
            ran = i and owner == inst
            text = f"<strong><code>{escape(who.split('.', 1)[1])}</code></strong> &rarr; {label}" if ran else label
            cells.append(f'<td class="{"ran" if ran else "idle"}">{text}</td>')
        out.append(f'<tr data-step="{i}"><td>{i if i else "0 (initial)"}</td>{"".join(cells)}</tr>')
    out.append("</table>")
    return "\n".join(out)


def _memory_table(rows: list[Row], trace: Trace) -> str:
    names = [n for n, _ in rows[0].memory]
    out = ['<table class="memory"><tr><th>state</th>' + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"]
    for row in rows:
        label = "0 (initial)" if row.index == 0 else f"{row.index}: {row.call}"
        note = state_note(trace, row.index)
        shown = f"<code>{escape(label)}</code>" + (f"<br><em>{escape(note)}</em>" if note else "")
        cells = "".join(f"<td><code>{escape(v)}</code></td>" for _, v in row.memory)
        out.append(f'<tr data-state="{row.index}"><td>{shown}</td>{cells}</tr>')
    out.append("</table>")
    return "\n".join(out)


# ---------------------------------------------------------------- the SVG timeline


def timeline(trace: Trace, name: str, typ: MapT, rows: list[Row]) -> str:
    maps = [trace.state(i)[name] for i in range(trace.length + 1)]
    assert all(isinstance(m, PMap) for m in maps)
    marks = [(w, int(v)) for w, wt, v in trace.witnesses
             if isinstance(wt, (IntT, RangeT)) and isinstance(v, int) and not isinstance(v, bool)]
    points = sorted({k for m in maps for k in m.breakpoints()} | {v for _, v in marks})  # type: ignore[union-attr]
    bounds: list[int | None] = [None, *points, None]
    width = LABEL + CELL * (len(bounds) - 1) + 10
    height = TOP + ROW * len(maps) + 46
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(f"timeline of {name}")}">']
    for i, p in enumerate(points):
        x = LABEL + CELL * (i + 1)
        out.append(f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{TOP + ROW * len(maps)}" stroke="#999" stroke-width="0.5"/>')
        out.append(f'<text x="{x}" y="{TOP - 8}" text-anchor="middle">{escape(key_text(p, typ.key))}</text>')
    for row, m in zip(rows, maps):
        out.append(_row(row, m, bounds, typ))  # type: ignore[arg-type]
    for wname, v in marks:
        x = LABEL + CELL * (points.index(v) + 1)
        label = f"{wname} = {key_text(v, typ.key)}"
        out.append(f'<g class="witness"><line x1="{x}" y1="{TOP - 2}" x2="{x}" y2="{TOP + ROW * len(maps) + 4}" '
                   f'stroke="#c00" stroke-width="2" stroke-dasharray="4 2"/><text x="{x + 3}" '
                   f'y="{TOP + ROW * len(maps) + 16}" fill="#c00">{escape(label)}</text></g>')
    out.append(_legend(maps, typ, TOP + ROW * len(maps) + 34))  # type: ignore[arg-type]
    out.append("</svg>")
    return "\n".join(out)


def _row(row: Row, m: PMap, bounds: list[int | None], typ: MapT) -> str:
    y = TOP + ROW * row.index
    label = "0 initial" if row.index == 0 else f"{row.index} {row.call.split('(')[0]}"
    faded = "" if row.relevant else ' opacity="0.45"'
    out = [f'<g class="row" data-step="{row.index}"{faded}>',
           f'<text x="4" y="{y + ROW // 2 + 4}"><title>{escape(row.call)}</title>{escape(label)}'
           f"{'' if row.relevant else ' (not needed)'}</text>"]
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        probe = lo if lo is not None else (hi - 1 if hi is not None else 0)
        v = m.get(probe)
        tip = f"[{key_text(lo, typ.key)}, {key_text(hi, typ.key, upper=True)}) {scalar_text(v, typ.value)}"
        out.append(f'<rect x="{LABEL + CELL * i}" y="{y + 2}" width="{CELL}" height="{ROW - 4}" '
                   f'fill="{_colour(v, typ)}"><title>{escape(tip)}</title></rect>')
    out.append("</g>")
    return "\n".join(out)


def _colour(v: int | bool, typ: MapT) -> str:
    if isinstance(typ.value, BoolT):
        return PALETTE[1] if v else PALETTE[0]
    return PALETTE[int(v) % len(PALETTE)]


def _legend(maps: list[PMap], typ: MapT, y: int) -> str:
    values = sorted({v for m in maps for v in m.vals}, key=int)
    out, x = ['<g class="legend">'], LABEL
    for v in values:
        text = scalar_text(v, typ.value)
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{_colour(v, typ)}"/>'
                   f'<text x="{x + 16}" y="{y}">{escape(text)}</text>')
        x += 24 + 8 * len(text)
    out.append("</g>")
    return "\n".join(out)
