"""`zcheck test [PATH]... [--junit FILE] [--jobs N] [--scheduler URL]`: run the `check
... expect` directives of models (testing.py), one line per check, a summary, and JUnit
XML written atomically. Each group of directives that shares a run is a job (jobs.py):
in this process by default, in N worker processes with `--jobs N`, on a Dask cluster
with `--scheduler` (or `ZCHECK_SCHEDULER`); the lines come out in file and directive
order wherever the jobs ran. Exit 1 when an expectation failed, 2 when a file has
errors (or the XML cannot be written), else 0. When the jobs run in this process, on a
terminal and unless `--quiet`, standard error shows the live progress of the directives
being checked (progress.py)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zcheck import jobs
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import OutputError, stderr_terminal, write_atomic
from zcheck.cli.scheduling import refused, where
from zcheck.diagnostics import NO_SPAN, Diagnostic, render

if TYPE_CHECKING:
    from zcheck.cli.progress import Display
    from zcheck.testing import Outcome

GroupResult = tuple[list[tuple[int, "Outcome"]], list[str]]


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    from zcheck.testing import collect, file_jobs, run_group_job

    place = where(args, 1)
    files = collect(args.paths or ["models"])
    planned = [file_jobs(f) for f in files]
    work: list[tuple[object, ...]] = [w for file_work, _ in planned for w in file_work]
    display = _display(args.quiet) if jobs.in_process(place, len(work)) else None
    if display is not None:  # the live rows follow the runs in this process
        work = [(*w, display) for w in work]
    shown = _InOrder(files, [len(w) for w, _ in planned], [errs for _, errs in planned], display)
    try:
        shown.flush()
        jobs.run(run_group_job, work, place, shown.done)
    except jobs.SchedulerError as exc:
        raise refused(exc) from None
    finally:
        if display is not None:
            display.stop()
    return _summary(shown.outcomes, shown.errors, args.junit)


def _summary(outcomes: list[Outcome], errors: list[str], junit_path: str | None) -> int:
    from zcheck.testing import junit

    passed = sum(1 for o in outcomes if o.passed)
    failed = len(outcomes) - passed
    unwritten = None
    if junit_path:
        try:
            write_atomic(junit_path, junit(outcomes, errors))
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


@dataclass
class _InOrder:
    """Prints each file's lines once all its groups are in and every earlier file's
    are printed (so any place and any order of completion prints the same)."""

    files: list[str]
    counts: list[int]  # jobs per file, in job order
    file_errors: list[list[str]]  # each file's own errors (it does not parse)
    display: Display | None
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    got: dict[int, GroupResult] = field(default_factory=dict)
    printed: int = 0  # files printed

    def done(self, i: int, result: GroupResult) -> None:
        self.got[i] = result
        self.flush()

    def flush(self) -> None:
        while self.printed < len(self.files):
            start = sum(self.counts[:self.printed])
            span = range(start, start + self.counts[self.printed])
            if not all(i in self.got for i in span):
                return
            found = sorted((x for i in span for x in self.got[i][0]), key=lambda x: x[0])
            errs = self.file_errors[self.printed] + [e for i in span for e in self.got[i][1]]
            self._print([o for _, o in found], errs)
            self.printed += 1

    def _print(self, outcomes: list[Outcome], errs: list[str]) -> None:
        if self.display is not None:
            self.display.checking([])  # the file is done, errors included: no row stays behind
        with self.display.suspended() if self.display is not None else nullcontext():
            for o in outcomes:
                line = f"{o.file}::{o.name} {'PASSED' if o.passed else 'FAILED'}"
                print(line if o.passed else f"{line} (got: {o.got})", flush=True)
            for e in errs:
                print(e, flush=True)
        self.outcomes += outcomes
        self.errors += errs


def _display(quiet: bool) -> Display | None:
    """The live progress (one row per directive being checked), on a terminal unless `--quiet`."""
    stream = None if quiet else stderr_terminal()
    if stream is None:
        return None
    from zcheck.cli import progress

    display = progress.on(stream, verdicts=False)
    display.start()
    return display
