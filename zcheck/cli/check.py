"""`zcheck check SPEC`: the front end and the lowering only, with lifecycle warnings.

One `ok:` line (exit 0), or diagnostics raised as `DiagnosticError` for main.py to print
(exit 2). Imports no solver, so that the command answers in the time Python takes to
load the front end.
"""

from __future__ import annotations

import argparse

from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import print_diagnostics
from zcheck.diagnostics import Diagnostic
from zcheck.system.build import build
from zcheck.system.ir import System


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    with control.loading():
        system = build(args.spec, defines)
    print_diagnostics(list(system.warnings) + lifecycle_warnings(system), system.sources)
    print(f"ok: model {system.model} ({args.spec}): {len(system.vars)} state variables, "
          f"{len(system.transitions)} transitions, {len(system.properties)} properties")
    return Exit.OK


def lifecycle_warnings(system: System) -> list[Diagnostic]:
    """ZC901 warnings (graph.py, and networkx, are loaded only for models with
    `transitions` blocks)."""
    if not system.lifecycles:
        return []
    from zcheck.graph import lifecycle_warnings as warnings

    return warnings(system)
