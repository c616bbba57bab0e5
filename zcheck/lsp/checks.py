"""Language server: run the `check` directives of a model in a child process, bounded.

Input: the model's path, the editor's unsaved texts and a deadline in seconds. Output:
`CheckRun`, one `DirectiveResult` per directive that finished (as `zcheck test` judges
it: testing.py), and whether the deadline cut the run short.

The directives run in `python -m zcheck.lsp.checks`, a child in a session of its own,
so the server's event loop stays free and the solver's work can be stopped: at the
deadline, on cancellation, and after a normal end, the child's whole process group is
killed (the PDR process and multiprocessing's fork server with it). The child also dies
with the server (PR_SET_PDEATHSIG). It reads one JSON request on standard input and
writes one JSON line per finished directive, so what finished before a deadline is kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

from zcheck.diagnostics import Span

LINE_LIMIT = 1 << 24  # bytes in one result line (a `got` listing every property of a big model)


class Status(StrEnum):
    PASSED = "passed"  # the verdicts are what the directive expects
    FAILED = "failed"  # they are not
    ERROR = "error"  # the directive cannot run (unknown property or scenario, ...)
    TIMEOUT = "timeout"  # the deadline came first (set by the server for unfinished directives)


@dataclass(frozen=True)
class DirectiveResult:
    span: Span  # the `check` directive
    status: Status
    got: str  # the verdicts as `zcheck test` prints them, or the error
    verdicts: tuple[tuple[str, str], ...] = ()  # (property, verdict)

    def to_json(self) -> dict[str, Any]:
        s = self.span
        return {"span": [s.file, s.line, s.col, s.end_line, s.end_col], "status": self.status.value,
                "got": self.got, "verdicts": [list(v) for v in self.verdicts]}

    @staticmethod
    def from_json(data: dict[str, Any]) -> DirectiveResult:
        file, line, col, end_line, end_col = data["span"]
        return DirectiveResult(Span(str(file), int(line), int(col), int(end_line), int(end_col)),
                               Status(data["status"]), str(data["got"]),
                               tuple((str(p), str(v)) for p, v in data["verdicts"]))


@dataclass(frozen=True)
class CheckRun:
    results: tuple[DirectiveResult, ...]
    errors: tuple[str, ...] = ()  # the model does not load, or the child failed
    timed_out: bool = False


async def run_checks(path: str, unsaved: Mapping[str, str], timeout: float) -> CheckRun:
    """Run every `check` directive of `path` in a child process, for at most `timeout`
    seconds; cancelling the call kills the child too."""
    request = json.dumps({"path": path, "unsaved": dict(unsaved), "parent": os.getpid()}).encode()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "zcheck.lsp.checks", path, stdin=asyncio.subprocess.PIPE,  # path: for `ps`
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True, limit=LINE_LIMIT)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    results: list[DirectiveResult] = []
    errors: list[str] = []
    stderr = asyncio.ensure_future(proc.stderr.read())
    try:
        async with asyncio.timeout(timeout):
            proc.stdin.write(request)
            await proc.stdin.drain()
            proc.stdin.close()
            async for line in proc.stdout:
                _take(json.loads(line), results, errors)
            code = await proc.wait()
            tail = (await stderr).decode("utf-8", "replace").strip()
        if code != 0:
            errors.append(f"the check runner ended with exit code {code}" + (f": {tail[-2000:]}" if tail else ""))
        return CheckRun(tuple(results), tuple(errors))
    except TimeoutError:
        return CheckRun(tuple(results), tuple(errors), timed_out=True)
    finally:
        stderr.cancel()
        _kill_group(proc.pid)
        if proc.returncode is None:
            await proc.wait()


def _take(message: dict[str, Any], results: list[DirectiveResult], errors: list[str]) -> None:
    if "error" in message:
        errors.append(str(message["error"]))
    else:
        results.append(DirectiveResult.from_json(message))


def _kill_group(pgid: int) -> None:
    """Kill the runner's process group: the runner, its PDR child, its fork server."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # every process of the group has ended


# ---------------------------------------------------------------- the child


def main() -> int:
    """The child: run the directives of the requested model, one JSON line each."""
    request = json.loads(sys.stdin.read())
    _die_with(int(request["parent"]))
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else is printed goes to standard error, not into the results
    run(str(request["path"]), {str(k): str(v) for k, v in request["unsaved"].items()}, out)
    out.close()
    return 0


def run(path: str, unsaved: Mapping[str, str], out: TextIO) -> None:
    from zcheck import testing
    from zcheck.diagnostics import DiagnosticError
    from zcheck.spec.frontend import check_file

    try:
        checked = check_file(path, unsaved=unsaved)
    except DiagnosticError as exc:
        _emit(out, {"error": "the model has errors: " + "; ".join(
            f"{d.span}: {d.message}" for d in exc.diagnostics[:5])})
        return
    for group in testing.groups(checked.checks):
        try:
            for o in testing.run_group(path, group, unsaved=unsaved):
                status = Status.PASSED if o.passed else Status.FAILED
                _emit(out, DirectiveResult(o.check.span, status, o.got, o.verdicts).to_json())
        except DiagnosticError as exc:
            message = "; ".join(f"error[{d.code}]: {d.message}" for d in exc.diagnostics)
            for c in group:
                _emit(out, DirectiveResult(c.span, Status.ERROR, message).to_json())


def _emit(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _die_with(parent: int) -> None:
    """End this process when the server does (Linux; elsewhere the server's kill of the
    process group on shutdown is the only guard)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the server died before the line above took effect
        os._exit(0)


if __name__ == "__main__":  # guarded: multiprocessing's fork server imports this module again
    sys.exit(main())
