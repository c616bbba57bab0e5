"""`zcheck sweep SPEC -D N=4,8,16 -D FIX=false,true [-p PROP]...`: every variant (the
cartesian product of the comma-separated `-D` values) × every property, each cell an
independent job, in worker processes (`--jobs N`, default one per core) or on a Dask
cluster (`--scheduler tcp://HOST:8786` or `ZCHECK_SCHEDULER`); a table of the verdicts
(text, JSON or JUnit; sweep_report.py) on standard output or, atomically, in `-o FILE`.

The exit code is verify's for all the cells together. `--timeout`, Ctrl-C and SIGTERM
end the sweep with the cells obtained so far; the others are UNKNOWN (timeout,
interrupted). Progress, one line per cell as it comes, goes to standard error with
`-v`, or on a terminal unless `--quiet`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from zcheck import api, jobs, sweep
from zcheck.cli import exits
from zcheck.cli.control import EXIT_MARGIN, Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import emit, print_diagnostics, stderr_terminal
from zcheck.cli.scheduling import refused, where
from zcheck.cli.sweep_report import SweepFormat, render
from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError

Result = tuple[str, api.PropertyResult]


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    from zcheck.library import resolve

    place = where(args, os.cpu_count() or 1)
    axes, fixed = axes_of(defines)
    options = sweep.Options(args.depth, args.engine, args.seed, args.scenario, args.max_k, args.memory_limit,
                            args.max_states)
    with control.loading():
        args.spec = resolve(args.spec)
        plan = sweep.plan(args.spec, axes, fixed, args.property or None, options)
    if not plan.jobs:
        print_diagnostics([Diagnostic("ZC906", "nothing to check: no property in any variant", NO_SPAN, "warning")])
        return Exit.USAGE
    progress = args.verbose or (not args.quiet and stderr_terminal() is not None)
    result = sweep.assemble(plan, _run_jobs(plan, place, control, progress))
    emit(render(result, args.spec, SweepFormat(args.format)), args.output)
    return exits.for_results(result.results())


def axes_of(defines: dict[str, str]) -> tuple[list[sweep.Axis], dict[str, str]]:
    """`-D` items with several comma-separated values are axes (in the order given); the
    others are constants of every variant. A comma inside parentheses is part of a value."""
    axes, fixed = [], {}
    for name, text in defines.items():
        values = split_values(text)
        if not all(values):
            raise DiagnosticError([Diagnostic("ZC401", f"-D {name}: empty value in `{text}`", NO_SPAN)])
        if len(values) > 1:
            axes.append(sweep.Axis(name, tuple(values)))
        else:
            fixed[name] = values[0]
    return axes, fixed


def split_values(text: str) -> list[str]:
    """`4,8,max(2, 3)` -> [`4`, `8`, `max(2, 3)`]."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return out


def _run_jobs(plan: sweep.Plan, place: jobs.Where, control: Control, progress: bool) -> jobs.Ran[Result]:
    """Every job, or the ones done when the time ran out or Ctrl-C / SIGTERM came."""
    timeout = control.engine_timeout()
    until_wall = None if timeout is None else time.time() + timeout
    at = control.deadline.at
    done: dict[int, Result] = {}

    def on_done(i: int, got: Result) -> None:
        done[i] = got
        if progress:
            job = plan.jobs[i]
            sys.stderr.write(f"  ... [{len(done)}/{len(plan.jobs)}] {plan.variant(job.row)}  {job.prop}: "
                             f"{sweep.Cell(got[1]).text()}\n")

    try:
        return jobs.run(sweep.check_cell, sweep.job_args(plan, until_wall), place, on_done,
                        None if at is None else at - EXIT_MARGIN)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the cells so far
        return jobs.Ran(dict(done))
    except jobs.SchedulerError as exc:
        raise refused(exc) from None
