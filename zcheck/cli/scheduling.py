"""Where a command's jobs run, from its arguments (`sweep`, `test`): `--jobs N` worker
processes on this machine, or a Dask cluster named by `--scheduler tcp://HOST:8786` or,
when neither option is given, by the environment variable `ZCHECK_SCHEDULER`.

Without the `cluster` extra, or with a scheduler that cannot be reached, the command
stops with ZC409 (exit 2) before or instead of running anything.
"""

from __future__ import annotations

import argparse
import importlib
import os

from zcheck import jobs
from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError

SCHEDULER_ENV = "ZCHECK_SCHEDULER"
EXTRA = "pip install 'zcheck[cluster]'"


def where(args: argparse.Namespace, default_jobs: int) -> jobs.Where:
    """The place the jobs run; ZC409 when a cluster is asked for without the extra."""
    address = args.scheduler or ("" if args.jobs else os.environ.get(SCHEDULER_ENV, "").strip())
    if not address:
        return jobs.Local(args.jobs or default_jobs)
    try:
        importlib.import_module("distributed")
    except ImportError:
        raise unusable(f"`--scheduler {address}` needs Dask's `distributed`, which is not installed") from None
    return jobs.Cluster(address)


def unusable(message: str) -> DiagnosticError:
    """ZC409, with the install command."""
    return DiagnosticError([Diagnostic("ZC409", message, NO_SPAN, "error", (f"install it with `{EXTRA}`",))])


def refused(exc: jobs.SchedulerError) -> DiagnosticError:
    """The scheduler's own refusal (unreachable, the extra missing) as ZC409."""
    return DiagnosticError([Diagnostic("ZC409", str(exc), NO_SPAN)])
