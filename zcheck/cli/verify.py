"""`zcheck verify SPEC`: check a model's properties and report the verdicts.

Loading runs under the command's deadline (control.py); the engines get their share of
it; a watchdog reports the verdicts posted so far (api.Board) and ends the process if a
solver step overruns the deadline. Ctrl-C and SIGTERM end the run with the verdicts so
far. The report goes to standard output or, atomically, to `-o FILE` (output.py). On a
terminal, and unless `--quiet`, standard error shows the run's live progress
(progress.py) while the engines work; it is erased before the report is written.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable

import z3

from zcheck import api
from zcheck.checker.vacuity import vacuity_warning
from zcheck.cli import exits
from zcheck.cli.check import lifecycle_warnings
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import emit, print_diagnostics, stderr_terminal
from zcheck.cli.report import Format, render
from zcheck.diagnostics import Diagnostic, Span

if TYPE_CHECKING:  # rich is loaded only when the progress is shown (start-up time)
    from zcheck.cli.progress import Display


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    from zcheck.library import resolve

    with control.loading():
        args.spec = resolve(args.spec)
        system = api.build(args.spec, defines, args.scenario)
    props = api.select(system, args.property, frozenset(args.skip))
    _not_checked(system, args)
    if not props:
        print_diagnostics([Diagnostic("ZC906", "nothing to check: the model has no property (an `invariant`, "
                                      "`assert`, `cover`, ... or an implicit one)", _model_span(system), "warning")],
                          system.sources)
        if not args.allow_empty:
            return Exit.USAGE
    display = _display(args.quiet)
    board = api.Board(display)
    watchdog = control.watch(lambda: _hard_stop(board, system, props, args, display))
    try:
        _warnings(system, args, control)
        if display is not None:
            display.checking([(p.name, (p.name,)) for p in props])
            display.start()
        try:
            outcome: api.Run | z3.Z3Exception = _run_engines(system, props, args, defines, board, control, display)
        except KeyboardInterrupt:  # outside the engines' own handling: what was posted so far
            outcome = _partial(board, system, props, args, "interrupted")
    except z3.Z3Exception as exc:
        if args.memory_limit is None:
            raise
        outcome = exc
    finally:
        if display is not None:
            display.stop()
        _own(board, watchdog)
    if isinstance(outcome, z3.Z3Exception):
        sys.stderr.write(f"UNKNOWN: Z3 stopped at the memory limit of {args.memory_limit} MB "
                         f"({_z3_message(outcome)}); no verdict for the properties left\n")
        return Exit.UNKNOWN
    return _report(outcome, args)


def _model_span(system: api.System) -> Span:
    """Where a whole-model warning points: the first line of the main file."""
    return Span(system.main_file, 1, 1, 1, 1)


def _warnings(system: api.System, args: argparse.Namespace, control: Control) -> None:
    print_diagnostics(list(system.warnings) + lifecycle_warnings(system), system.sources)
    print_diagnostics([d for d in (vacuity_warning(system),) if d is not None], system.sources)
    if args.edges:
        from zcheck.graph import untaken_edge_warnings

        print_diagnostics(untaken_edge_warnings(system, args.depth, control.engine_timeout()), system.sources)


def _not_checked(system: api.System, args: argparse.Namespace) -> None:
    """The properties lowering left out, and why (ZC904; `-p` names one: an error there)."""
    span = system.properties[0].span if system.properties else _model_span(system)
    print_diagnostics([Diagnostic("ZC904", f"`{name}` is not checked: {why}", span, "warning")
                       for name, why in system.notes if not args.property], system.sources)


def _report(outcome: api.Run, args: argparse.Namespace) -> int:
    emit(render(outcome, args.spec, Format(args.format), args.verbose), args.output)
    for r in outcome.results:
        if r.error:
            sys.stderr.write(f"internal error: the counterexample of `{r.name}` does not replay: {r.error}\n")
    return exits.for_results(outcome.results)


def _partial(board: api.Board, system: api.System, props: list[api.Property], args: argparse.Namespace,
             why: str = "timeout") -> api.Run:
    return api.Run(system, board.partial(props, why), args.depth, api.ENGINE_NAMES[args.engine], args.seed)


def _display(quiet: bool) -> Display | None:
    """The live progress, on a terminal unless `--quiet`."""
    stream = None if quiet else stderr_terminal()
    if stream is None:
        return None
    from zcheck.cli import progress

    return progress.on(stream)


def _progress(verbose: bool, display: Display | None) -> Callable[[str], None] | None:
    """`-v`'s engine messages: above the live progress when it is shown."""
    if not verbose:
        return None
    if display is not None:
        return display.log

    def show(msg: str) -> None:
        sys.stderr.write(f"  ... {msg}\n")

    return show


def _run_engines(system: api.System, props: list[api.Property], args: argparse.Namespace,
                 defines: dict[str, str], board: api.Board, control: Control, display: Display | None) -> api.Run:
    """`--memory-limit` is Z3's high watermark (solvers stop with an exception instead
    of growing past it)."""
    timeout = control.engine_timeout()
    if args.memory_limit is not None:
        z3.set_param("memory_high_watermark_mb", args.memory_limit)
    options = api.VerifyOptions.of(args.engine, args.depth, args.max_k, args.seed, args.max_states)
    if args.jobs is None:
        return api.check_system(system, props, options, timeout, _progress(args.verbose, display), board=board)
    deadline = None if timeout is None else time.monotonic() + timeout
    label, results = api.verify_groups(args.spec, defines, args.scenario, [p.name for p in props], options,
                                       deadline, args.jobs, args.memory_limit, board)
    return api.Run(system, results, args.depth, label, args.seed)


def _hard_stop(board: api.Board, system: api.System, props: list[api.Property], args: argparse.Namespace,
               display: Display | None) -> None:
    """The watchdog's report, for a Z3 step that does not check its limit in time
    (nonlinear arithmetic: 0.6 s late, once in CI). The engines' thread is inside Z3 and
    Z3 is not thread-safe, so nothing here may touch a Z3 object, not even by freeing
    one: the garbage collector, which would run in whichever thread allocates, is
    switched off before anything else (the process ends here). The timer thread runs
    Python only while the main thread waits or when it fires."""
    gc.disable()
    if not board.take():
        gc.enable()
        return  # the run ended first and reports itself
    board.kill()
    if display is not None:
        display.stop()
    if args.verbose:
        sys.stderr.write("  ... the solver did not stop at the deadline: verdicts so far, the rest unknown\n")
    code = _report(_partial(board, system, props, args), args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _own(board: api.Board, watchdog: threading.Timer | None) -> None:
    """Claim the report for the run's own end; if the watchdog claimed it first, wait
    for it to end the process. The timer thread is joined, so the board (and the Z3
    objects in its results) is released in this thread: a Z3 context must not be
    touched by two threads at once, and that includes dropping references."""
    if watchdog is None:
        return
    watchdog.cancel()
    if not board.take():
        threading.Event().wait()
    watchdog.join()


def _z3_message(exc: Exception) -> str:
    value = getattr(exc, "value", exc)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
