"""Top level: run the whole pipeline on a model, for the CLI, tests and benchmarks.

text/path → spec (check) → system (lower) → checker (engines) → counterexamples
(decode + replay). Returns plain results; printing is the CLI's job.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

from zcheck import __version__
from zcheck.checker.bmc import Options
from zcheck.checker.context import own_context
from zcheck.system.liveness import to_safety
from zcheck.checker.kind import Cti
from zcheck.checker.portfolio import (ENGINE_LABELS, EngineDisagreement, Portfolio, Stage, StageRun,
                                      VerifyOptions as VerifyOptions)
from zcheck.counterexamples.cti import CtiTrace, decode_cti
from zcheck.checker.results import Holds, Proved, Result, Unknown, Violated
from zcheck.counterexamples.decode import ReplayError, decode
from zcheck.counterexamples.trace import Trace
from zcheck.deadline import Deadline
from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN
from zcheck.system.ir import Property as Property, System as System
from zcheck.system.build import build as build  # re-exported: api.build is the pipeline's entry

if TYPE_CHECKING:  # the PDR process is started, and its module loaded, only when the portfolio needs it
    from zcheck.checker.pdr_job import PdrJob


@dataclass(frozen=True)
class PropertyResult:
    """One property's verdict, for people and programs."""

    name: str
    kind: str
    verdict: str  # violated | holds | reached | not_reached | proved | unreachable | unknown
    depth: int | None
    result: Result
    trace: Trace | None = None
    error: str | None = None  # a replay failure (internal error)
    detail: str = ""  # how a proof was obtained, or why the result is unknown
    cti: CtiTrace | None = None  # a counterexample to induction (not a bug: not inductive)
    engines: tuple[StageRun, ...] = ()  # the engines that ran on it and what ended each
    inferred: str = ""  # the inferred lemmas its proof used, as ZDL `lemma` lines


@dataclass(frozen=True)
class Run:
    system: System
    results: tuple[PropertyResult, ...]
    depth: int
    engine: str
    seed: int
    warnings: tuple[Diagnostic, ...] = field(default=())

    def headline(self, spec: str) -> str:
        """The first line of a report: `zcheck VERSION: SPEC, engine E, depth D[, scenario S]`."""
        scen = f", scenario {self.system.scenario}" if self.system.scenario else ""
        return f"zcheck {__version__}: {spec}, engine {self.engine}, depth {self.depth}{scen}"


def verdict_of(prop: Property, r: Result) -> tuple[str, int | None]:
    cover = prop.kind == "cover"
    match r:
        case Violated(depth=d):
            return ("reached" if cover else "violated"), d
        case Holds(depth=d):
            return ("not_reached" if cover else "holds"), d
        case Proved():
            return ("unreachable" if cover else "proved"), None
        case Unknown(depth=d):
            return "unknown", d


def select(system: System, names: list[str] | None, skip: frozenset[str] = frozenset()) -> list[Property]:
    """The properties `-p` names (all but `skip`, the opted-out implicit ones, by default)."""
    if not names:
        return [p for p in system.properties if p.name not in skip]
    known = {p.name: p for p in system.properties}
    missing = [n for n in names if n not in known]
    unchecked = dict(system.notes)
    if any(n in unchecked for n in missing):
        raise DiagnosticError([Diagnostic("ZC904", f"`{n}` is not checked on this model: {unchecked[n]}", NO_SPAN)
                               for n in missing if n in unchecked])
    if missing:
        raise DiagnosticError([Diagnostic(
            "ZC402", f"no property named `{n}` (known: {', '.join(sorted(known)) or 'none'})", NO_SPAN
        ) for n in missing])
    return [known[n] for n in names]


def verify_system(system: System, props: list[Property], depth: int = 10, timeout: float | None = None,
                  seed: int = 0, progress: Callable[[str], None] | None = None, engine: str = "auto", max_k: int | None = None,
                  board: Board | None = None, max_states: int | None = None) -> Run:
    """Check `props` with the chosen engine (checker/portfolio.py says which engines run
    and with what deterministic budgets); every engine also runs BMC to `depth`, so
    violations always come with their shortest counterexample. `timeout` (seconds) is a
    safety net: what it cuts short is UNKNOWN. Verdicts are posted on `board` as they
    are decided (see Board). `max_states` is exhaustion's budget of states."""
    options = VerifyOptions.of(engine, depth, max_k, seed, max_states)
    return check_system(system, props, options, timeout, progress, board)


def check_system(system: System, props: list[Property], options: VerifyOptions, timeout: float | None = None,
                 progress: Callable[[str], None] | None = None, board: Board | None = None) -> Run:
    """`verify_system` with its options as one value (the command line's)."""
    board = board if board is not None else Board()
    depth, seed = options.depth, options.seed
    deadline = Deadline.after(timeout)
    safety = [p for p in props if p.temporal is None]
    runs: list[tuple[System, list[Property], tuple[str, ...]]] = [(system, safety, ())] if safety else []
    runs += [_liveness_run(system, p) for p in props if p.temporal is not None]
    done: dict[str, PropertyResult] = {}
    for sysm, group, unbounded in runs:
        if any(_interrupted(r.result) for r in done.values()):  # Ctrl-C ends the whole run
            done.update((p.name, board.final(p, Unknown(p, -1, "interrupted"), None)) for p in group)
            continue
        with own_context():  # traces independent of what ran before in this process
            out = Portfolio(sysm, options, deadline, board, progress, unbounded).run(group)
            for p in group:
                r = board.final(p, out.results[p.name], out.ctis.get(p.name), out.log.get(p.name, ()))
                done[p.name] = board.annotate(r, out.inferred[r.name]) if r.name in out.inferred else r
    return Run(system, tuple(done[p.name] for p in props), depth, ENGINE_LABELS[options.engine], seed)


def _interrupted(r: Result) -> bool:
    return isinstance(r, Unknown) and r.reason == "interrupted"


def _liveness_run(system: System, prop: Property) -> tuple[System, list[Property], tuple[str, ...]]:
    """The product system checking liveness property `prop` as an invariant
    (system/liveness.py), and its unbounded variables; lowering left out the
    properties it cannot build."""
    product = to_safety(system, prop)
    assert not isinstance(product, str), product
    return product.system, [product.system.prop(prop.name)], product.unbounded


ENGINE_NAMES = {e.value: label for e, label in ENGINE_LABELS.items()}


def _result(p: Property, r: Result, cti: Cti | None, log: tuple[StageRun, ...] = ()) -> PropertyResult:
    verdict, d = verdict_of(p, r)
    trace, error, detail = None, None, ""
    if isinstance(r, Violated):
        try:
            trace = decode(r)
        except ReplayError as exc:
            error = str(exc)
    elif isinstance(r, Proved):
        detail = f"by {r.detail}" + (f", with lemmas {', '.join(r.lemmas)}" if r.lemmas else "")
        detail += f", assuming proved {', '.join(r.assumed)}" if r.assumed else ""
        detail += "; every reachable state visited" if r.engine == "explicit" else "; certificate re-checked"
    elif isinstance(r, Unknown):
        detail = f"{r.reason}" + (f" (no violation up to depth {r.depth})" if r.depth >= 0 else "")
    shown = decode_cti(cti) if cti is not None and verdict in ("holds", "unknown") else None
    return PropertyResult(p.name, p.kind, verdict, d, r, trace, error, detail, shown, log)


def unknown_result(p: Property, why: str) -> PropertyResult:
    """UNKNOWN for a property that was not checked (`why`: timeout, interrupted, ...)."""
    return _result(p, Unknown(p, -1, why), None)


DECIDED = frozenset({"violated", "reached", "proved", "unreachable"})  # verdicts no later engine changes


class Watcher(Protocol):
    """Who follows a run as it happens (the command's live progress, cli/progress.py).
    Called from the engines' thread; every call returns at once."""

    def checking(self, tasks: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        """The run is about to check these tasks: (label, the properties it covers);
        `verify` has one per property, `test` one per check directive."""

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        """`stage` starts (`running`) or stops working on the properties `names`."""

    def reached(self, depth: int, names: tuple[str, ...]) -> None:
        """BMC found no violation of `names` in traces of up to `depth` steps."""

    def decided(self, r: PropertyResult) -> None:
        """`r` is the property's verdict: one no engine changes (DECIDED), or the run's last."""


class Board:
    """The verdicts decided so far, for a watchdog thread that ends a run whose solver
    overruns the deadline (cli/verify.py: Z3 checks its time limit only between steps, and
    a nonlinear step can run 0.7 s past it). The engines' thread posts results as they
    are decided; a violation is decoded there, because a Z3 context must not be used by
    two threads. Whoever `take`s the board first reports: the run's end or the watchdog.
    A `watcher` is told of the engines' progress and of each verdict as it is posted."""

    def __init__(self, watcher: Watcher | None = None) -> None:
        self.watcher = watcher
        self._lock = threading.Lock()
        self._posted: dict[str, PropertyResult] = {}
        self._depth: dict[str, int] = {}  # no violation of the property in traces of up to this many steps
        self._jobs: list[PdrJob] = []
        self._taken = False

    def post(self, r: PropertyResult, last: bool = False) -> None:
        """Record `r`; the watcher hears of it if it is decided or the run's `last` word."""
        with self._lock:
            self._posted[r.name] = r
        if self.watcher is not None and (last or r.verdict in DECIDED):
            self.watcher.decided(r)

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        if self.watcher is not None:
            self.watcher.working(stage, names, running)

    def attach(self, job: PdrJob | None) -> PdrJob | None:
        """Remember a PDR process, for the watchdog to kill."""
        if job is not None:
            with self._lock:
                self._jobs.append(job)
        return job

    def hooks(self, opts: Options) -> Options:
        """`opts` with BMC telling this board of each violation and each depth done."""
        return dataclasses.replace(opts, on_violated=self._violated, on_depth=self._reached)

    def sync(self, props: list[Property], raw: dict[str, Result]) -> None:
        """Post every verdict in `raw` not posted yet (in the engines' thread)."""
        for p in props:
            r, posted = raw.get(p.name), self._get(p.name)
            if r is not None and (posted is None or posted.result is not r):
                self.post(self._make(p, r, None))

    def final(self, p: Property, r: Result, cti: Cti | None, log: tuple[StageRun, ...] = ()) -> PropertyResult:
        """The run's result for `p`: a violation posted earlier is not decoded again."""
        posted = self._get(p.name)
        if posted is not None and posted.result is r and cti is None:
            out = dataclasses.replace(posted, engines=log)
        else:
            out = self._make(p, r, cti, log)
        self.post(out, last=True)
        return out

    def annotate(self, r: PropertyResult, inferred: str) -> PropertyResult:
        """`r` with the inferred lemmas of its proof, posted as the run's result."""
        out = dataclasses.replace(r, inferred=inferred)
        self.post(out, last=True)
        return out

    def take(self) -> bool:
        with self._lock:
            first, self._taken = not self._taken, True
        return first

    def partial(self, props: list[Property], why: str = "timeout") -> tuple[PropertyResult, ...]:
        """What is known now; the rest UNKNOWN (`why`), with the depth BMC reached."""
        with self._lock:
            posted = dict(self._posted)
        return tuple(posted.get(p.name) or self._make(p, Unknown(p, -1, why), None) for p in props)

    def kill(self) -> None:
        """Kill the PDR processes (from the watchdog; the engines' thread may be using them)."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.kill()

    def _make(self, p: Property, r: Result, cti: Cti | None, log: tuple[StageRun, ...] = ()) -> PropertyResult:
        """`_result`, except that an unknown says the deepest depth any BMC run reached
        for `p`: the base case and the shallow run before induction can go deeper than
        a main run that the deadline cut short."""
        if isinstance(r, Unknown):
            with self._lock:
                reached = self._depth.get(p.name, -1)
            r = dataclasses.replace(r, depth=max(r.depth, reached))
        return _result(p, r, cti, log)

    def _get(self, name: str) -> PropertyResult | None:
        with self._lock:
            return self._posted.get(name)

    def _violated(self, v: Violated) -> None:
        self.post(_result(v.prop, v, None))

    def _reached(self, depth: int, pending: list[str]) -> None:
        with self._lock:
            for name in pending:
                self._depth[name] = max(depth, self._depth.get(name, -1))
        if self.watcher is not None:
            self.watcher.reached(depth, tuple(pending))


def verify_text(text: str, file: str = "<model>", depth: int = 10, properties: list[str] | None = None,
                overrides: dict[str, str] | None = None, seed: int = 0, scenario: str | None = None,
                timeout: float | None = None) -> list[PropertyResult]:
    """Check a model given as text; raises DiagnosticError for bad input."""
    system = build(file, overrides, scenario, text=text)
    return list(verify_system(system, select(system, properties), depth, timeout, seed).results)


def verify_groups(path: str, defines: dict[str, str], scenario: str | None, names: list[str],
                  options: VerifyOptions, deadline: float | None, jobs: int,
                  memory_mb: int | None = None, board: Board | None = None) -> tuple[str, tuple[PropertyResult, ...]]:
    """`--jobs N`: each selected property checked on its own (`verify_group`), in N
    worker processes (jobs.py), results in declaration order. The groups do not depend
    on N, so every N gives the same results; N = 1 runs them in this process.
    Counterexamples come back decoded (the Z3 model stays in the worker). Each group's
    result is posted on `board` when it comes back."""
    from zcheck import jobs as scheduler

    board = board if board is not None else Board()
    work = [(path, defines, scenario, n, options, deadline, memory_mb) for n in names]
    ran = scheduler.run(verify_group, work, scheduler.Local(jobs), lambda i, got: board.post(got[1], last=True))
    done = [ran.results[i] for i in range(len(work))]
    label = done[0][0] if done else ENGINE_LABELS[options.engine]
    return label, tuple(r for _, r in done)


def verify_group(path: str, defines: dict[str, str], scenario: str | None, name: str, options: VerifyOptions,
                 deadline: float | None, memory_mb: int | None) -> tuple[str, PropertyResult]:
    """One property of the model at `path` with the constants `defines`, checked on its
    own in a fresh build (a job of `verify --jobs`, `sweep`): the engine's label and the
    result, with a counterexample decoded (its Z3 model cannot leave the process).
    `deadline` is a `time.monotonic()` value."""
    import z3

    if memory_mb is not None:
        z3.set_param("memory_high_watermark_mb", memory_mb)
    system = build(path, defines, scenario)
    timeout = None if deadline is None else max(0.001, deadline - time.monotonic())
    run = check_system(system, select(system, [name]), options, timeout)
    (r,) = run.results
    if isinstance(r.result, Violated):  # the Z3 model cannot leave the process; the trace is decoded
        r = dataclasses.replace(r, result=dataclasses.replace(r.result, execution=None))
    return run.engine, r
