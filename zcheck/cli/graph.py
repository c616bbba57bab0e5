"""`zcheck graph SPEC [-D N=V] [--view all|lifecycles|deps|lock-order] [--format dot|svg]
[-o FILE]`: the graphs of graph.py as DOT text, or as SVG through graphviz's `dot`, on
standard output or written atomically to FILE; ZC901 lifecycle warnings on standard
error.

SVG is asked for by `--format svg` or by an output file ending in `.svg`. Without
graphviz installed the DOT text is written instead (to FILE with `.dot` in place of
`.svg`), with warning ZC907 saying so; the exit code is still 0.
"""

from __future__ import annotations

import argparse
import os
from enum import Enum
from typing import assert_never

from zcheck import api
from zcheck.cli.check import lifecycle_warnings
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import emit_or_fail, print_diagnostics
from zcheck.diagnostics import NO_SPAN, Diagnostic
from zcheck.dot import to_svg
from zcheck.graph import View, dot_graphs


class GraphFormat(Enum):
    DOT = "dot"
    SVG = "svg"


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    with control.loading():
        system = api.build(args.spec, defines)
    dots = dot_graphs(system, View(args.view))
    fmt = GraphFormat(args.format) if args.format else _format_of(args.output)
    text, output = _rendered(dots, fmt, args.output)
    emit_or_fail(text, output)
    print_diagnostics(lifecycle_warnings(system), system.sources)
    return Exit.OK


def _format_of(output: str | None) -> GraphFormat:
    return GraphFormat.SVG if output and output.lower().endswith(".svg") else GraphFormat.DOT


def _rendered(dots: list[str], fmt: GraphFormat, output: str | None) -> tuple[str, str | None]:
    """The text to write and where (SVG falls back to DOT without graphviz)."""
    match fmt:
        case GraphFormat.DOT:
            return "".join(dots), output
        case GraphFormat.SVG:
            svg = to_svg(dots)
            if svg is not None:
                return svg, output
            instead = _dot_path(output)
            where = f"; wrote `{instead}`" if instead else ""
            print_diagnostics([Diagnostic(
                "ZC907", f"graphviz's `dot` is not installed: DOT text instead of SVG{where}", NO_SPAN, "warning",
                ("install graphviz (`apt-get install graphviz`) for SVG",))])
            return "".join(dots), instead
        case _:
            assert_never(fmt)


def _dot_path(output: str | None) -> str | None:
    """`g.svg` -> `g.dot` (a DOT text is not written under an SVG name)."""
    if output is None:
        return None
    root, ext = os.path.splitext(output)
    return root + ".dot" if ext.lower() == ".svg" else output
