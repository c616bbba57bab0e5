"""Command line: the subcommands, each returning an exit code (printing happens here
and in cli.py only)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from typing import Any

import z3

from zcheck.counterexamples.cti import render_cti
from zcheck.interrupt import interruptible_solvers

from zcheck import __version__, api
from zcheck.diagnostics import NO_SPAN, Diagnostic, Span, render as render_diagnostic
from zcheck.output import OutputError, terminal_safe, write_atomic
from zcheck.counterexamples.render_itf import dumps, results_meta, trace_to_itf
from zcheck.counterexamples.render_text import render_summary, render_trace, verdict_line
from zcheck.check_command import lifecycle_warnings, warn as _warn
from zcheck.checker.vacuity import vacuity_warning

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_TERMINATED = 128 + 15  # SIGTERM, with the verdicts so far printed


def run(args: argparse.Namespace, defines: dict[str, str]) -> int:
    with interruptible_solvers() as signals:  # before the first Z3 context exists: see interrupt.py
        code = _dispatch(args, defines)
    return EXIT_TERMINATED if signals.terminated else code


def _dispatch(args: argparse.Namespace, defines: dict[str, str]) -> int:
    match args.command:
        case "verify":
            return verify(args, defines)
        case "test":
            return test(args)
        case "graph":
            from zcheck.graph import graph_command

            return graph_command(args, defines)
        case "simulate":
            from zcheck.simulate import simulate_command

            return simulate_command(args, defines)
        case "replay":
            return replay(args, defines)
        case "fmt":
            from zcheck.fmt import fmt_command

            return fmt_command(args)
        case "models":
            return models(args)
    raise AssertionError(args.command)


def _model_span(system: api.System) -> Span:
    """Where a whole-model warning points: the first line of the main file."""
    return Span(system.main_file, 1, 1, 1, 1)


def _emit(text: str, output: str | None) -> None:
    """The report to `output` (atomically) or to standard output. A report that cannot be
    written goes to standard output after a ZC405 error: the verdicts are never lost,
    and the exit code still says their class."""
    if output:
        try:
            write_atomic(output, terminal_safe(text))
            return
        except OutputError as exc:
            sys.stderr.write(render_diagnostic(Diagnostic("ZC405", f"{exc}; the report follows on standard output",
                                                          NO_SPAN)) + "\n")
    sys.stdout.write(text)


def _untaken(system: api.System, depth: int, timeout: float | None) -> list:  # type: ignore[type-arg]
    """ZC902 for every lifecycle edge that no trace of up to `depth` steps takes (exact,
    by BMC); edges left undecided when time runs out are not reported."""
    from zcheck.checker.edges import edge_coverage
    from zcheck.diagnostics import Diagnostic
    from zcheck.graph import value_name

    infos = {info.var: info for info in system.lifecycles}
    out = []
    for e in edge_coverage(system, depth, timeout):
        if e.taken_at is None and e.decided:
            info = infos[e.var]
            writers = next(w for a, b, w in info.edges if (a, b) == (e.src, e.dst))
            out.append(Diagnostic(
                "ZC902", f"edge `{value_name(info, e.src)} -> {value_name(info, e.dst)}` of `{e.var}` "
                f"({', '.join(writers)}) is never taken in traces of up to {depth} steps", info.span, "warning"))
    return out


def exit_code(results: list[api.PropertyResult]) -> int:
    if any(r.error for r in results):
        return EXIT_INTERNAL
    if any(r.verdict == "violated" for r in results):
        return EXIT_VIOLATED
    if any(r.verdict == "unknown" for r in results):
        return EXIT_UNKNOWN
    return EXIT_OK


def _progress(verbose: bool):  # type: ignore[no-untyped-def]
    if not (verbose or sys.stderr.isatty()):
        return None
    return lambda msg: sys.stderr.write(f"  ... {msg}\n")


def verify(args: argparse.Namespace, defines: dict[str, str]) -> int:
    from zcheck.library import resolve

    loading = _loading_watchdog(args)
    try:
        args.spec = resolve(args.spec)
        system = api.build(args.spec, defines, args.scenario)
    finally:
        if loading is not None:
            loading.cancel()
    props = api.select(system, args.property, frozenset(getattr(args, "skip", None) or ()))
    if not props:
        _warn([Diagnostic("ZC906", "nothing to check: the model has no property (an `invariant`, `assert`, "
                          "`cover`, ... or an implicit one)", _model_span(system), "warning")], system)
        if not getattr(args, "allow_empty", False):
            return EXIT_USAGE
    board = api.Board()
    watchdog = _watchdog(board, system, props, args)
    try:
        _warn(list(system.warnings) + lifecycle_warnings(system), system)
        _warn([Diagnostic("ZC904", f"`{name}` is not checked: {why}", system.properties[0].span, "warning")
               for name, why in system.notes if not args.property], system)
        _warn([d for d in (vacuity_warning(system),) if d is not None], system)
        if args.edges:
            _warn(_untaken(system, args.depth, _engine_timeout(args)), system)
        try:
            run: api.Run | z3.Z3Exception = _run_verify(system, props, args, defines, board)
        except KeyboardInterrupt:  # outside the engines' own handling: what was posted so far
            run = api.Run(system, board.partial(props, "interrupted"), args.depth, api.ENGINE_NAMES[args.engine],
                          args.seed)
    except z3.Z3Exception as exc:
        if args.memory_limit is None:
            raise
        run = exc
    finally:
        _own(board, watchdog)
    if isinstance(run, z3.Z3Exception):
        sys.stderr.write(f"UNKNOWN: Z3 stopped at the memory limit of {args.memory_limit} MB "
                         f"({_z3_message(run)}); no verdict for the properties left\n")
        return EXIT_UNKNOWN
    return _output(run, args)


def _output(run: api.Run, args: argparse.Namespace) -> int:
    results = list(run.results)
    match args.format:
        case "json":
            _emit(_json(run, results, args), args.output)
        case "markdown" | "html" | "sarif":
            _emit(_report(run, results, args), args.output)
        case _:
            _emit(_text(run, results, args), args.output)
    for r in results:
        if r.error:
            sys.stderr.write(f"internal error: the counterexample of `{r.name}` does not replay: {r.error}\n")
    return exit_code(results)


def _deadline(args: argparse.Namespace) -> float | None:
    """When `--timeout` runs out: it counts from the start of the command
    (`args.started`, set by cli.main), imports and parsing included."""
    if args.timeout is None:
        return None
    return getattr(args, "started", time.monotonic()) + args.timeout


def _engine_timeout(args: argparse.Namespace) -> float | None:
    """The engines' share of what is left of `--timeout`; the rest is kept for reporting."""
    deadline = _deadline(args)
    return None if deadline is None else max(0.001, deadline - time.monotonic() - _EXIT_MARGIN - _STOP_GRACE)


def _loading_watchdog(args: argparse.Namespace) -> threading.Timer | None:
    """`--timeout` while the model is read, parsed, type-checked and lowered (a FIFO
    with no writer, a pathological model): exit 3 at the deadline with nothing checked.
    The front end holds no Z3 object, so ending the process from the timer is safe."""
    deadline = _deadline(args)
    if deadline is None:
        return None
    timer = threading.Timer(max(0.0, deadline - _EXIT_MARGIN - time.monotonic()), _loading_stop, (args,))
    timer.daemon = True
    timer.start()
    return timer


def _loading_stop(args: argparse.Namespace) -> None:
    sys.stderr.write(f"UNKNOWN: --timeout of {args.timeout:g} s ran out while loading the model; "
                     "nothing was checked\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(EXIT_UNKNOWN)


def _watchdog(board: api.Board, system: api.System, props: list[api.Property],
              args: argparse.Namespace) -> threading.Timer | None:
    """A timer that reports the verdicts so far and ends the process when `--timeout` is
    about to pass with the engines still running. The engines stop _STOP_GRACE earlier
    by their own time limits; the timer is for a Z3 step that does not check its limit
    in time (nonlinear arithmetic: 0.6 s late, once in CI). The timer thread runs
    Python only while this thread waits (in `start`, then in `_own`'s `join`) or when
    it fires (`_hard_stop`), so it never frees Z3 objects behind the engines' back."""
    deadline = _deadline(args)
    if deadline is None:
        return None
    timer = threading.Timer(max(0.0, deadline - _EXIT_MARGIN - time.monotonic()), _hard_stop,
                            (board, system, props, args))
    timer.daemon = True
    timer.start()
    return timer


def _hard_stop(board: api.Board, system: api.System, props: list[api.Property], args: argparse.Namespace) -> None:
    """The watchdog's report. The engines' thread is inside Z3 and Z3 is not
    thread-safe, so nothing here may touch a Z3 object, not even by freeing one: the
    garbage collector, which would run in whichever thread allocates, is switched off
    before anything else (the process ends here)."""
    gc.disable()
    if not board.take():
        gc.enable()
        return  # the run ended first and reports itself
    board.kill()
    if args.verbose:
        sys.stderr.write("  ... the solver did not stop at the deadline: verdicts so far, the rest unknown\n")
    code = _output(api.Run(system, board.partial(props), args.depth, api.ENGINE_NAMES[args.engine], args.seed), args)
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


def _run_verify(system, props, args: argparse.Namespace, defines: dict[str, str],  # type: ignore[no-untyped-def]
                board: api.Board) -> api.Run:
    """`--memory-limit` is Z3's high watermark (solvers stop with an exception instead
    of growing past it)."""
    timeout = _engine_timeout(args)
    if args.memory_limit is not None:
        z3.set_param("memory_high_watermark_mb", args.memory_limit)
    if args.jobs is None:
        return api.verify_system(system, props, args.depth, timeout, args.seed, _progress(args.verbose),
                                 engine=args.engine, max_k=args.max_k, board=board)
    deadline = None if timeout is None else time.monotonic() + timeout
    label, results = api.verify_groups(args.spec, defines, args.scenario, [p.name for p in props], args.depth,
                                       deadline, args.seed, args.engine, args.max_k, args.jobs, args.memory_limit,
                                       board)
    return api.Run(system, results, args.depth, label, args.seed)


_EXIT_MARGIN = 0.15  # seconds of --timeout kept for Python's start before main (0.1 s here) and leaving
_STOP_GRACE = 0.25  # ... and for the engines' last steps to end before the watchdog acts


def _z3_message(exc: Exception) -> str:
    value = getattr(exc, "value", exc)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _text(run: api.Run, results: list[api.PropertyResult], args: argparse.Namespace) -> str:
    system = run.system
    scen = f", scenario {system.scenario}" if system.scenario else ""
    lines = [f"zcheck {__version__}: model {system.model} ({args.spec}), engine {run.engine}, "
             f"depth {run.depth}{scen}"]
    if args.verbose:
        lines.append(f"  seed {run.seed}, z3 {z3.get_version_string()}")
    lines.append("")
    width = max((len(r.name) for r in results), default=1)
    for r in results:
        lines.append(verdict_line(r.name, r.verdict, r.depth, r.detail, width))
        if r.verdict in ("holds", "unknown") and _unfinished(r.engines):
            lines.append(f"  {'':<12} {'':<{width}}  engines: {'; '.join(e.describe() for e in _unfinished(r.engines))}")
        cert = getattr(r.result, "certificate", None)
        if cert and r.result.engine == "explicit":
            lines.append(f"  {'':<12} {'':<{width}}  certificate: {'; '.join(cert)}")
        elif cert and r.result.engine == "pdr":
            lines.append(f"  {'':<12} {'':<{width}}  certificate: inductive invariant {cert[0]}")
        elif cert:
            rel = f" relative to {' && '.join(r.result.assumed)}" if r.result.assumed else ""
            shown = ' && '.join(cert) if not r.inferred else f"{cert[0]} && the {len(cert) - 1} lemmas below"
            lines.append(f"  {'':<12} {'':<{width}}  certificate: {shown} is {_inductive(r.result.detail)}{rel}")
            if r.inferred:
                lines.append(f"  {'':<12} {'':<{width}}  inferred lemmas (paste into the model to keep the proof):")
                lines.extend(f"  {'':<12} {'':<{width}}    {line}" for line in r.inferred.splitlines())
    for r in results:
        if r.trace is not None:
            lines.append("")
            lines.extend(render_trace(system, r.trace))
        if r.cti is not None:
            lines.append("")
            lines.extend(render_cti(r.cti))
    lines.append("")
    lines.append(render_summary(results))
    return "\n".join(lines) + "\n"


def _unfinished(log):  # type: ignore[no-untyped-def]
    """The engines that tried to decide a property and stopped short, and why (BMC reaching its
    bound is already said by the verdict line)."""
    return [e for e in log if e.stage.value != "bmc" or e.end.value not in ("bound", "decided")]


def _json(run: api.Run, results: list[api.PropertyResult], args: argparse.Namespace) -> str:
    chosen = next((r for r in results if r.trace is not None and r.verdict == "violated"), None)
    chosen = chosen or next((r for r in results if r.trace is not None), None)
    meta: dict[str, Any] = {
        "source": os.path.basename(args.spec),
        "description": f"zcheck {__version__} verify",
        "zcheck": __version__,
        "z3": z3.get_version_string(),
        "seed": run.seed,
        "engine": run.engine,
        "depth": run.depth,
        "property": chosen.name if chosen else None,
        "verdict": chosen.verdict if chosen else ("holds" if all(r.verdict != "unknown" for r in results) else "unknown"),
        "trace_depth": chosen.trace.length if chosen and chosen.trace else None,
        "results": results_meta(results),
    }
    doc = trace_to_itf(run.system, chosen.trace if chosen else None, meta)
    return dumps(doc)


def _report(run: api.Run, results: list[api.PropertyResult], args: argparse.Namespace) -> str:
    system = run.system
    scen = f", scenario {system.scenario}" if system.scenario else ""
    head = f"zcheck {__version__}: {args.spec}, engine {run.engine}, depth {run.depth}{scen}"
    match args.format:
        case "markdown":
            from zcheck.counterexamples.render_markdown import render_markdown

            return render_markdown(system, args.spec, results, head)
        case "html":
            from zcheck.counterexamples.render_html import render_html

            return render_html(system, results, head)
        case _:
            from zcheck.counterexamples.render_sarif import render_sarif

            return render_sarif(system, results)


def replay(args: argparse.Namespace, defines: dict[str, str]) -> int:
    """Exit 1: the saved trace is still a counterexample; 0: it is not; 2: bad input."""
    from zcheck.counterexamples.replay import first_difference, itf_plan
    from zcheck.counterexamples.replay import replay as run_replay
    from zcheck.counterexamples.trace import Trace
    from zcheck.system.evaluate import EvalError

    system = api.build(args.spec, defines)
    saved = itf_plan(system, args.trace, args.property)
    prop = saved.prop
    try:
        out = run_replay(system, prop, saved.initial, saved.rigid, saved.planned)
    except EvalError as exc:
        print(f"UNKNOWN: the evaluator cannot decide `{prop.name}` on the replayed trace: {exc}")
        return EXIT_UNKNOWN
    n = len(saved.planned)
    print(f"zcheck {__version__}: replay of {args.trace} ({n} steps) on model {system.model} ({args.spec})")
    moved = first_difference(saved.saved, out.steps, saved.initial)
    if moved is not None:
        print(f"  note: state {moved[0]} differs from the saved trace (first in `{moved[1]}`)")
    cover = prop.kind == "cover"
    if out.still:
        word = "STILL REACHED" if cover else "STILL VIOLATED"
        print(f"{word}: `{prop.name}` {'holds' if cover else 'fails'} in "
              f"{'step' if out.site else 'state'} {out.found_in} of the replayed trace")
        verdict = "reached" if cover else "violated"
        trace = Trace(prop.name, prop.kind, verdict, saved.initial, saved.rigid, out.steps, (), None,
                      out.site.stmt.span if out.site else None)
        print()
        print("\n".join(render_trace(system, trace)))
        return EXIT_VIOLATED
    if out.blocked is not None:
        step = out.steps[out.blocked - 1] if out.blocked <= len(out.steps) else None
        name = step.transition if step else saved.planned[out.blocked - 1].transition.name
        print(f"REFUTED: the trace is no longer a run of the model: step {out.blocked} ({name}) is not enabled"
              f" ({out.blocked_why})")
        return EXIT_OK
    print(f"REFUTED: `{prop.name}` {'is not reached' if cover else 'holds'} in every state of the replayed trace")
    return EXIT_OK


def models(args: argparse.Namespace) -> int:
    """List the bundled models: name and the summary line of its header."""
    from zcheck.library import bundled_models

    found = bundled_models()
    if not found:
        print("no bundled models in this installation")
        return EXIT_OK
    width = max(len(m.name) for m in found)
    for m in found:
        print(f"{m.name:<{width}}  {m.summary}" + (f"\n{'':<{width}}  {m.path}" if args.paths else ""))
    return EXIT_OK


def test(args: argparse.Namespace) -> int:
    from zcheck.testing import collect, junit, run_file

    files = collect(args.paths or ["models"])
    outcomes, errors = [], []
    for f in files:
        got, errs = run_file(f)
        for o in got:
            status = "PASSED" if o.passed else "FAILED"
            line = f"{o.file}::{o.name} {status}"
            if not o.passed:
                line += f" (got: {o.got})"
            print(line, flush=True)
        for e in errs:
            print(e, flush=True)
        outcomes += got
        errors += errs
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
        sys.stderr.write(render_diagnostic(unwritten) + "\n")
        return EXIT_USAGE
    if errors:
        return EXIT_USAGE if not outcomes else EXIT_VIOLATED
    return EXIT_VIOLATED if failed else EXIT_OK


def _inductive(detail: str) -> str:
    if detail.startswith("1-induction"):
        return "inductive"
    k = detail.rsplit("=", 1)[-1].strip()
    return "inductive" if k == "1" else f"{k}-inductive"
