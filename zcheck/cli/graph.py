"""`zcheck graph SPEC [-D N=V] [-o FILE]`: the DOT text of graph.py on standard output
or written atomically to FILE; ZC901 lifecycle warnings on standard error."""

from __future__ import annotations

import argparse

from zcheck import api
from zcheck.cli.check import lifecycle_warnings
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import emit_or_fail, print_diagnostics
from zcheck.graph import to_dot


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    with control.loading():
        system = api.build(args.spec, defines)
    emit_or_fail(to_dot(system), args.output)
    print_diagnostics(lifecycle_warnings(system), system.sources)
    return Exit.OK
