"""The reports of `zcheck sweep`: a text table for people (rows: the variants; columns:
the properties; cells: `VIOLATED@3`, `HOLDS@10`, `PROVED`, `UNKNOWN`, ...), JSON for
programs and JUnit XML for CI (one test case per cell). No timings: the same sweep gives
the same bytes wherever its jobs ran."""

from __future__ import annotations

import json
from collections import Counter
from enum import Enum
from typing import Any, assert_never
from xml.sax.saxutils import quoteattr

from zcheck import __version__
from zcheck.sweep import Cell, CellVerdict, Sweep


class SweepFormat(Enum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


def render(s: Sweep, spec: str, fmt: SweepFormat) -> str:
    match fmt:
        case SweepFormat.TEXT:
            return text(s, spec)
        case SweepFormat.JSON:
            return as_json(s, spec)
        case SweepFormat.JUNIT:
            return junit(s, spec)
        case _:
            assert_never(fmt)


# ---------------------------------------------------------------- text


def text(s: Sweep, spec: str) -> str:
    p = s.plan
    o = p.options
    scen = f", scenario {o.scenario}" if o.scenario else ""
    lines = [f"zcheck {__version__}: sweep of model {p.model} ({spec}), engine {s.engine}, depth {o.depth}{scen}"]
    fixed = f"; in every variant {', '.join(f'{k}={v}' for k, v in p.fixed)}" if p.fixed else ""
    rows, cols = len(p.rows), len(p.columns)
    lines += [f"{rows} variant{'s' if rows != 1 else ''} x {cols} propert{'ies' if cols != 1 else 'y'}{fixed}", ""]
    head = [a.name for a in p.axes] or ["variant"]
    body = [[v for _, v in row] or ["as declared"] for row in p.rows]
    table = [head + list(p.columns)] + [left + [c.text() for c in cells] for left, cells in zip(body, s.cells)]
    widths = [max(len(r[i]) for r in table) for i in range(len(head) + len(p.columns))]
    lines += ["  " + "  ".join(f"{v:<{w}}" for v, w in zip(r, widths)).rstrip() for r in table]
    lines += ["", summary(s)]
    lines += _open_cells(s)
    return "\n".join(lines) + "\n"


def summary(s: Sweep) -> str:
    """`8 cells: 2 violated, 4 proved, 2 holds` (verdicts in CellVerdict order)."""
    counts: Counter[CellVerdict] = Counter(c.verdict for row in s.cells for c in row if c.verdict != CellVerdict.ABSENT)
    parts = [f"{counts[v]} {v.value.replace('_', ' ')}" for v in CellVerdict if counts[v]]
    n = sum(counts.values())
    return f"{n} cell{'s' if n != 1 else ''}: {', '.join(parts) or 'none'}"


def _open_cells(s: Sweep) -> list[str]:
    """Why each UNKNOWN or ERROR cell is one."""
    out = []
    for row, cells in enumerate(s.cells):
        for name, c in zip(s.plan.columns, cells):
            if c.verdict in (CellVerdict.UNKNOWN, CellVerdict.ERROR) and c.result is not None:
                why = c.result.error or c.result.detail
                out.append(f"  {s.plan.variant(row)}  {name}: {c.text()}, {why}")
    return ["", "not decided:"] + out if out else []


# ---------------------------------------------------------------- JSON and JUnit


def as_json(s: Sweep, spec: str) -> str:
    p = s.plan
    doc: dict[str, Any] = {
        "zcheck": __version__, "model": p.model, "file": spec, "engine": s.engine, "depth": p.options.depth,
        "seed": p.options.seed, "scenario": p.options.scenario,
        "axes": [{"name": a.name, "values": list(a.values)} for a in p.axes],
        "fixed": dict(p.fixed), "properties": list(p.columns),
        "rows": [{"defines": dict(row), "cells": {n: _cell_json(c) for n, c in zip(p.columns, cells)}}
                 for row, cells in zip(p.rows, s.cells)],
        "summary": summary(s),
    }
    return json.dumps(doc, indent=2) + "\n"


def _cell_json(c: Cell) -> dict[str, Any]:
    r = c.result
    return {"verdict": c.verdict.value, "depth": c.depth, "text": c.text(),
            "detail": "" if r is None else (r.error or r.detail)}


def junit(s: Sweep, spec: str) -> str:
    """One test case per cell: VIOLATED is a failure, ERROR an error, UNKNOWN skipped;
    a variant without the property has no test case."""
    cases = [(row, name, c) for row, cells in enumerate(s.cells) for name, c in zip(s.plan.columns, cells)
             if c.verdict != CellVerdict.ABSENT]
    kinds = Counter(_junit_kind(c) for _, _, c in cases)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name={quoteattr(f"zcheck sweep {s.plan.model}")} tests="{len(cases)}" '
             f'failures="{kinds["failure"]}" errors="{kinds["error"]}" skipped="{kinds["skipped"]}">']
    for row, name, c in cases:
        classname = f"{spec}[{s.plan.variant(row)}]"
        lines.append(f"  <testcase classname={quoteattr(classname)} name={quoteattr(name)}>")
        kind = _junit_kind(c)
        detail = "" if c.result is None else (c.result.error or c.result.detail)
        if kind:
            lines.append(f"    <{kind} message={quoteattr(', '.join(x for x in (c.text(), detail) if x))}/>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


def _junit_kind(c: Cell) -> str:
    match c.verdict:
        case CellVerdict.VIOLATED:
            return "failure"
        case CellVerdict.ERROR:
            return "error"
        case CellVerdict.UNKNOWN:
            return "skipped"
        case CellVerdict.HOLDS | CellVerdict.PROVED | CellVerdict.REACHED | CellVerdict.NOT_REACHED \
                | CellVerdict.UNREACHABLE | CellVerdict.ABSENT:
            return ""
        case _:
            assert_never(c.verdict)
