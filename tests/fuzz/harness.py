"""Run one fuzz case through the command line in-process and judge only robustness.

A case is a model text. It is written to a file and run through `zcheck.cli.main`
exactly as a user would: `check`, then (when it checks) `verify` at a small depth with
BMC and k-induction, and `fmt --check`. The verdicts do not matter here (no oracle); what
must never happen is an uncaught exception, a Python traceback on stdout/stderr, or exit
4 (internal error). `Outcome.problem` says which, with the command line.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

from zcheck.cli import main

ALLOWED = {0, 1, 2, 3}


@dataclass(frozen=True)
class Outcome:
    codes: tuple[int, ...]  # exit code of each command run
    problem: str | None  # None: robust


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`zcheck ARGV` in-process: (exit code, stdout, stderr). Exceptions propagate."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _judge(argv: list[str]) -> tuple[int, str | None]:
    try:
        code, out, err = run_cli(argv)
    except BaseException as exc:  # noqa: BLE001 - the point: nothing may escape
        return -1, f"`zcheck {' '.join(argv)}` raised {type(exc).__name__}: {exc}"
    if "Traceback (most recent call last)" in out + err:
        return code, f"`zcheck {' '.join(argv)}` printed a traceback:\n{err[-2000:]}"
    if code not in ALLOWED:
        return code, f"`zcheck {' '.join(argv)}` exited {code}:\n{err[-2000:]}"
    return code, None


def run_case(text: str, path: str, depth: int = 2, verify: bool = True) -> Outcome:
    """Check, verify (bmc and auto) and fmt-check one model text written to `path`."""
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)
    codes: list[int] = []
    code, problem = _judge(["check", path])
    codes.append(code)
    if problem or code != 0 or not verify:
        return Outcome(tuple(codes), problem)
    for argv in (["verify", path, "--depth", str(depth), "--engine", "bmc", "--timeout", "20"],
                 ["verify", path, "--depth", "1", "--engine", "kind", "--max-k", "2", "--timeout", "20"],
                 ["fmt", "--check", path]):
        code, problem = _judge(argv)
        codes.append(code)
        if problem:
            break
    return Outcome(tuple(codes), problem)


def case_path(tmp_dir: str) -> str:
    return os.path.join(tmp_dir, "case.zdl")
