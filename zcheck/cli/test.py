"""`zcheck test [PATH]... [--junit FILE]`: run the `check ... expect` directives of
models (testing.py), one line per check, a summary, and JUnit XML written atomically.
Exit 1 when an expectation failed, 2 when a file has errors (or the XML cannot be
written), else 0. On a terminal, and unless `--quiet`, standard error shows the live
progress of the directives being checked (progress.py)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from typing import TYPE_CHECKING

from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import OutputError, stderr_terminal, write_atomic
from zcheck.diagnostics import NO_SPAN, Diagnostic, render

if TYPE_CHECKING:
    from zcheck.cli.progress import Display
    from zcheck.testing import Outcome


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    from zcheck.testing import collect, junit, run_file

    files = collect(args.paths or ["models"])
    outcomes: list[Outcome] = []
    errors: list[str] = []
    display = _display(args.quiet)
    try:
        for f in files:
            got, errs = run_file(f, display)
            if display is not None:
                display.checking([])  # the file is done, errors included: no row stays behind
            with display.suspended() if display is not None else nullcontext():
                _print(got, errs)
            outcomes += got
            errors += errs
    finally:
        if display is not None:
            display.stop()
    passed = sum(1 for o in outcomes if o.passed)
    failed = len(outcomes) - passed
    unwritten = None
    if args.junit:
        try:
            write_atomic(args.junit, junit(outcomes, errors))
        except OutputError as exc:
            unwritten = Diagnostic("ZC405", str(exc), NO_SPAN)
    summary = f"{passed} passed, {failed} failed"
    if errors:
        summary += f", {len(errors)} errors"
    print(summary)
    if unwritten is not None:
        sys.stderr.write(render(unwritten) + "\n")
        return Exit.USAGE
    if errors:
        return Exit.USAGE if not outcomes else Exit.VIOLATED
    return Exit.VIOLATED if failed else Exit.OK


def _print(got: list[Outcome], errs: list[str]) -> None:
    for o in got:
        status = "PASSED" if o.passed else "FAILED"
        line = f"{o.file}::{o.name} {status}"
        if not o.passed:
            line += f" (got: {o.got})"
        print(line, flush=True)
    for e in errs:
        print(e, flush=True)


def _display(quiet: bool) -> Display | None:
    """The live progress (one row per directive being checked), on a terminal unless `--quiet`."""
    stream = None if quiet else stderr_terminal()
    if stream is None:
        return None
    from zcheck.cli import progress

    display = progress.on(stream, verdicts=False)
    display.start()
    return display
