"""Graphs to text: deterministic DOT for `networkx` graphs, and SVG through graphviz.

Input: a `networkx` graph whose nodes and edges carry DOT attributes (`label`, `shape`,
`style`, ...), optionally a `cluster` node attribute naming the box (`subgraph
cluster_...`) the node is drawn in. Output: DOT text in which nodes, edges and
attributes are sorted (nodes inside a cluster by their `order` attribute, then by
name) and every id and value is quoted and escaped, so the same graph always gives the
same bytes; `to_svg` turns DOT texts into one SVG document with graphviz's `dot` when it
is installed (None when it is not: the caller says so and writes DOT).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Mapping, Sequence

import networkx as nx

NODE_ATTRS = ("color", "fontcolor", "label", "peripheries", "shape", "style", "tooltip")
EDGE_ATTRS = ("color", "fontcolor", "label", "style", "constraint", "weight")
GRAPH_ATTRS = ("label", "rankdir", "labelloc", "compound")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DOT_TIMEOUT = 60.0  # seconds for one `dot -Tsvg` run (a graph of a few hundred nodes takes < 1 s)


@dataclass(frozen=True)
class Cluster:
    """A box of a graph: nodes whose `cluster` attribute is `id` are drawn inside it."""

    id: str  # starts with `cluster` (graphviz draws only such subgraphs as boxes)
    label: str
    style: str = ""  # DOT style of the box: "rounded", "dashed", ...


def quote(text: object) -> str:
    """A DOT double-quoted string."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return f'"{s}"'


def attrs(data: Mapping[str, object], allowed: tuple[str, ...]) -> str:
    items = [f"{k}={quote(data[k])}" for k in allowed if data.get(k) not in (None, "")]
    return f" [{', '.join(items)}]" if items else ""


def graph_to_dot(name: str, g: nx.DiGraph | nx.MultiDiGraph, graph_attrs: Mapping[str, object] | None = None,
                 clusters: Sequence[Cluster] = ()) -> str:
    """Deterministic DOT text for `g` (nodes and edges sorted, everything quoted); the
    nodes of each of `clusters` inside its box, the boxes in the order given."""
    gid = name if _ID.match(name) else quote(name)
    lines = [f"digraph {gid} {{"]
    lines += [f"  {k}={quote(v)};" for k, v in sorted((graph_attrs or {}).items()) if k in GRAPH_ATTRS]
    boxed = {c.id for c in clusters}
    for c in clusters:
        members = [n for n in g.nodes if g.nodes[n].get("cluster") == c.id]
        lines.append(f"  subgraph {quote(c.id)} {{")
        lines.append(f"    label={quote(c.label)};")
        if c.style:
            lines.append(f"    style={quote(c.style)};")
        lines += [f"    {_node(g, n)}" for n in _ordered(g, members)]
        lines.append("  }")
    lines += [f"  {_node(g, n)}" for n in sorted((n for n in g.nodes if g.nodes[n].get("cluster") not in boxed), key=str)]
    edges = [(str(u), str(v), attrs(d, EDGE_ATTRS)) for u, v, d in g.edges(data=True)]
    lines += [f"  {quote(u)} -> {quote(v)}{a};" for u, v, a in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(g: nx.DiGraph | nx.MultiDiGraph, n: object) -> str:
    return f"{quote(n)}{attrs(g.nodes[n], NODE_ATTRS)};"


def _ordered(g: nx.DiGraph | nx.MultiDiGraph, nodes: list[object]) -> list[object]:
    return sorted(nodes, key=lambda n: (int(g.nodes[n].get("order", 0)), str(n)))


# ---------------------------------------------------------------- SVG


def dot_program() -> str | None:
    """graphviz's `dot` on the PATH, or None."""
    return shutil.which("dot")


def to_svg(dots: Sequence[str]) -> str | None:
    """One SVG document for the DOT texts (each laid out by `dot`, stacked top to bottom
    when there are several); None when graphviz is not installed. A layout that `dot`
    refuses raises `SvgError` with its message."""
    program = dot_program()
    if program is None:
        return None
    parts = [_one_svg(program, text) for text in dots]
    return parts[0] if len(parts) == 1 else _stack(parts)


class SvgError(Exception):
    """graphviz's `dot` failed on a graph (its message)."""


def _one_svg(program: str, text: str) -> str:
    try:
        done = subprocess.run([program, "-Tsvg"], input=text, capture_output=True, text=True, timeout=DOT_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SvgError(f"`{program}` did not run: {exc}") from None
    if done.returncode != 0:
        raise SvgError(done.stderr.strip() or f"`{program} -Tsvg` exited {done.returncode}")
    return done.stdout


_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"', re.S)


def _stack(svgs: list[str]) -> str:
    """Several SVG documents as one: each `<svg>` placed below the previous one in an
    outer `<svg>` (one user unit = 1 pt, the unit `dot` writes)."""
    placed, y, width = [], 0.0, 0.0
    for svg in svgs:
        body = svg[svg.index("<svg"):]
        m = _SIZE.search(body)
        w, h = (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)
        body = body.replace(f'width="{m.group(1)}pt"', f'width="{m.group(1)}"', 1) if m else body
        body = body.replace(f'height="{m.group(2)}pt"', f'height="{m.group(2)}"', 1) if m else body
        placed.append(f'<g transform="translate(0 {y:g})">\n{body.strip()}\n</g>')
        y, width = y + h, max(width, w)
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width:g}pt" height="{y:g}pt" viewBox="0 0 {width:g} {y:g}">')
    return "\n".join([head, *placed, "</svg>"]) + "\n"
