"""`zcheck check SPEC`: the front end and the lowering only, with lifecycle warnings.

Input: the parsed command line; output: one `ok:` line (exit 0), or diagnostics raised
as `DiagnosticError` for cli.py to print (exit 2). Imports no solver, so that the
command answers in the time Python takes to load the front end.
"""

from __future__ import annotations

import argparse
import sys

from zcheck.diagnostics import Diagnostic, render
from zcheck.system.build import build
from zcheck.system.ir import System


def check_command(args: argparse.Namespace, defines: dict[str, str]) -> int:
    system = build(args.spec, defines)
    warn(list(system.warnings) + lifecycle_warnings(system), system)
    print(f"ok: model {system.model} ({args.spec}): {len(system.vars)} state variables, "
          f"{len(system.transitions)} transitions, {len(system.properties)} properties")
    return 0


def lifecycle_warnings(system: System) -> list[Diagnostic]:
    """ZC901 warnings (networkx is imported only for models with transitions blocks)."""
    if not system.lifecycles:
        return []
    from zcheck.graph import lifecycle_warnings as warnings

    return warnings(system)


def warn(diags: list[Diagnostic], system: System) -> None:
    for d in diags:
        sys.stderr.write(render(d, system.sources) + "\n")
