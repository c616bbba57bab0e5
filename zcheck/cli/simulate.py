"""`zcheck simulate SPEC [--steps N] [--runs R] [--seed S]`: random runs on the concrete
evaluator (simulate.py), reported as text. Exit 1 when a run violates a property, 3
when no run found an initial state, else 0."""

from __future__ import annotations

import argparse
import sys

from zcheck import api
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.simulate import Simulation, report, simulate


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    with control.loading():
        system = api.build(args.spec, defines)
    res = simulate(system, args.steps, args.runs, args.seed)
    sys.stdout.write("\n".join(report(system, args.spec, res)) + "\n")
    return exit_code(res)


def exit_code(res: Simulation) -> Exit:
    if res.violation is not None:
        return Exit.VIOLATED
    if res.runs > 0 and len(res.no_initial) == res.runs:
        return Exit.UNKNOWN
    return Exit.OK
