"""Top level: run the whole pipeline on a model, for the CLI, tests and benchmarks.

text/path → spec (check) → system (lower) → checker (engines) → counterexamples
(decode + replay). Returns plain results; printing is the CLI's job.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field

from zcheck.checker.bmc import Options, bmc
from zcheck.checker.kind import Cti, prove
from zcheck.checker.portfolio import PdrJob
from zcheck.counterexamples.cti import render_cti
from zcheck.checker.encode import Encoding
from zcheck.checker.results import Holds, Proved, Result, Unknown, Violated
from zcheck.counterexamples.decode import ReplayError, decode
from zcheck.counterexamples.trace import Trace
from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN
from zcheck.system.ir import Property, System
from zcheck.system.build import build  # noqa: F401 - re-exported: api.build is the pipeline's entry


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
    cti: list[str] | None = None  # a counterexample to induction, rendered


@dataclass(frozen=True)
class Run:
    system: System
    results: tuple[PropertyResult, ...]
    depth: int
    engine: str
    seed: int
    warnings: tuple[Diagnostic, ...] = field(default=())


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
                  seed: int = 0, progress=None, engine: str = "auto", max_k: int = 8,  # type: ignore[no-untyped-def]
                  board: Board | None = None) -> Run:
    """Check `props` with the chosen engine; every engine also runs BMC to `depth`, so
    violations always come with their shortest counterexample.

    auto: k = 1 induction (cheap; a proved property leaves the BMC loop), then PDR starts
    in a separate process for the properties still open while BMC runs, then PDR's
    proofs are collected, then k = 2..3 for what still holds. kind: k-induction up to max_k. pdr: PDR only.
    Lemmas take part in every k-induction proof (Houdini drops the ones that fail).
    Verdicts are posted on `board` as they are decided (see Board)."""
    board = board if board is not None else Board()
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    lemmas = [p for p in system.properties if p.kind == "lemma"]
    raw: dict[str, Result] = {}
    ctis: dict[str, Cti] = {}
    enc = Encoding(system)
    job = board.attach(_start_pdr(system, props, engine)) if engine == "pdr" else None
    try:
        if engine in ("auto", "kind"):
            _induction_k1(system, enc, props, lemmas, engine, min(depth, _SHALLOW), deadline, seed, raw, ctis, board)
        left = _left(deadline)
        if engine == "auto" and (left is None or left > _PDR_MIN_LEFT):
            # PDR only for what k = 1 left open: no second process when k = 1 proved all,
            # nor when too little time is left to pay for starting one
            job = board.attach(_start_pdr(system, [p for p in props if p.name not in raw], engine))
        if engine == "pdr" and job is not None:
            _merge_pdr(job, props, raw, ctis, engine, deadline)
        board.sync(props, raw)
        rest = [p for p in props if p.name not in raw]
        bmc_depth = depth if engine != "kind" else max(depth, max_k - 1)
        facts = [p for p in props if isinstance(raw.get(p.name), Proved)]
        poll = job.proved if job is not None and engine == "auto" else None
        raw.update(bmc(enc, rest, board.hooks(Options(depth=bmc_depth, timeout=_left(deadline), seed=seed,
                                                      progress=progress, proved_elsewhere=poll)), facts=facts))
        if engine == "auto" and job is not None:
            _merge_pdr(job, props, raw, ctis, engine, deadline)
        board.sync(props, raw)
        if engine in ("auto", "kind"):
            _induction_deeper(system, props, rest, lemmas, engine, max_k, deadline, raw, ctis, board)
    finally:
        if job is not None:
            job.stop()
    for p in props:  # BMC stopped on a PDR proof that was then lost: say so, claim nothing
        raw.setdefault(p.name, Unknown(p, -1, "interrupted"))
    return Run(system, tuple(board.final(p, raw[p.name], ctis.get(p.name)) for p in props), depth,
               ENGINE_NAMES[engine], seed)


ENGINE_NAMES = {"auto": "auto (bmc + k-induction + pdr)", "bmc": "bmc", "kind": "kind", "pdr": "pdr"}
_QUERY_TIMEOUT = 5.0  # seconds per k-induction query (--engine kind)
_SHALLOW = 2  # BMC depth run before k = 1 induction (see _induction_k1)
_SHALLOW_SECONDS = 1.0  # ... and its time budget
_AUTO_MAX_K = 3  # auto keeps induction cheap; use --engine kind --max-k N to go further
_AUTO_QUERY_TIMEOUT = 1.0
_PDR_PER_PROP = {"auto": 20.0, "pdr": 60.0}  # seconds of Spacer per property
_PDR_MIN_LEFT = 1.0  # seconds: starting the PDR process costs about 0.4 s of wall time here
_AUTO_PDR_WAIT = 3.0  # auto waits at most this long after BMC for PDR's remaining answers


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.001, deadline - time.monotonic())


def _start_pdr(system: System, props: list[Property], engine: str) -> PdrJob | None:
    if engine not in ("auto", "pdr"):
        return None
    targets = [p for p in props if p.kind != "cover"]
    return PdrJob(system, targets, _PDR_PER_PROP[engine]) if targets else None


def _induction_k1(system: System, enc: Encoding, props: list[Property], lemmas: list[Property], engine: str,
                  shallow: int, deadline: float | None, seed: int, raw: dict[str, Result],
                  ctis: dict[str, Cti], board: Board) -> None:
    """Depth-0 BMC (the base case), BMC to a shallow depth within a small time budget,
    then k = 1 induction for each property neither refuted. A property violated within
    `shallow` steps keeps BMC's shortest counterexample and never reaches an induction
    query: Z3 often answers such a query unknown only when its time limit runs out
    (1 s of the 2.9 s that `zcheck verify models/zone_device_max_pfn.zdl` took). The
    budget keeps a model whose first steps are hard for the solver from starving the
    induction queries. (It used to be skipped under a tight `--timeout`, so that an
    induction query Z3 answered late could not push the run past the deadline; the
    watchdog in commands.py bounds the run now, whatever Z3 does.)"""
    everything = props + [lm for lm in lemmas if lm not in props]
    base = bmc(enc, everything, board.hooks(Options(depth=0, timeout=_left(deadline), seed=seed)))
    left = _left(deadline)
    budget = _SHALLOW_SECONDS if left is None else min(left, _SHALLOW_SECONDS)
    early = bmc(enc, [p for p in props if isinstance(base[p.name], Holds)],
                board.hooks(Options(depth=shallow, timeout=budget, seed=seed))) if shallow > 0 else {}
    clean0 = [lm for lm in lemmas if isinstance(base.get(lm.name), Holds)]
    limit = _QUERY_TIMEOUT if engine == "kind" else _AUTO_QUERY_TIMEOUT
    for p in props:
        if isinstance(early.get(p.name), Violated):
            raw[p.name] = early[p.name]
            continue
        if not isinstance(base[p.name], Holds) or p.kind == "cover":
            continue
        if isinstance(raw.get(p.name), Proved):
            continue
        proved = tuple(q for q in props if isinstance(raw.get(q.name), Proved) and q.kind == "invariant")
        r = prove(system, p, clean0, 0, 1, deadline, limit, assumed=proved)
        if isinstance(r, Proved):
            _record_group(r, props, raw, ctis)
            board.sync(props, raw)
        elif isinstance(r, Cti):
            ctis[p.name] = r


def _record_group(r: Proved, props: list[Property], raw: dict[str, Result], ctis: dict[str, Cti]) -> None:
    """A k-induction proof proves every member of its group: the conjunction is what is
    inductive, and the re-check covered the base case of each member."""
    raw[r.prop.name] = r
    ctis.pop(r.prop.name, None)
    for q in props:
        if q.name in r.certificate and q.name != r.prop.name and not isinstance(raw.get(q.name), Proved):
            others = tuple(n for n in r.certificate if n != q.name)
            raw[q.name] = Proved(q, r.engine, r.detail, r.certificate, others, r.assumed)
            ctis.pop(q.name, None)


def _induction_deeper(system: System, props: list[Property], rest: list[Property], lemmas: list[Property],
                      engine: str, max_k: int, deadline: float | None, raw: dict[str, Result],
                      ctis: dict[str, Cti], board: Board) -> None:
    """k = 2..max_k for what BMC left holding (k - 1 <= the BMC depth: the base case)."""
    clean = [lm for lm in lemmas if isinstance(raw.get(lm.name), (Holds, Proved))]
    top = max_k if engine == "kind" else min(max_k, _AUTO_MAX_K)
    limit = _QUERY_TIMEOUT if engine == "kind" else _AUTO_QUERY_TIMEOUT
    for p in rest:
        r0 = raw[p.name]
        if not isinstance(r0, Holds) or p.kind == "cover" or max_k < 2:
            continue
        proved = tuple(q for q in props if isinstance(raw.get(q.name), Proved) and q.kind == "invariant")
        r = prove(system, p, clean, r0.depth, top, deadline, limit, min_k=2, assumed=proved)
        if isinstance(r, Proved):
            _record_group(r, props, raw, ctis)
            board.sync(props, raw)
        elif isinstance(r, Cti):
            ctis[p.name] = r


def _merge_pdr(job: PdrJob, props: list[Property], raw: dict[str, Result], ctis: dict[str, Cti], engine: str,
               deadline: float | None) -> None:
    """Take PDR's re-checked invariants for the properties no other engine decided.
    A PDR proof of a property BMC found violated is an internal error, never hidden."""
    open_ = [p for p in props if p.kind != "cover" and not isinstance(raw.get(p.name), (Proved, Violated))]
    if not open_:
        return
    wait = _AUTO_PDR_WAIT if engine == "auto" else _PDR_PER_PROP["pdr"] * len(props)
    left = _left(deadline)
    outcomes = job.collect(wait if left is None else min(wait, left))
    for p in props:
        o = outcomes.get(p.name)
        if o is None or o.certificate is None:
            continue
        r = raw.get(p.name)
        if isinstance(r, Violated):
            raise EngineDisagreement(f"PDR proved `{p.name}`, which BMC found violated at depth {r.depth}")
        if not isinstance(r, Proved):
            raw[p.name] = Proved(p, "pdr", o.detail, (o.certificate,))
            ctis.pop(p.name, None)


class EngineDisagreement(Exception):
    """Two engines contradict each other: a soundness bug, reported as an internal error."""


def _result(p: Property, r: Result, cti: Cti | None) -> PropertyResult:
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
        detail += "; certificate re-checked"
    elif isinstance(r, Unknown):
        detail = f"{r.reason}" + (f" (no violation up to depth {r.depth})" if r.depth >= 0 else "")
    shown = render_cti(cti) if cti is not None and verdict == "holds" else None
    return PropertyResult(p.name, p.kind, verdict, d, r, trace, error, detail, shown)


class Board:
    """The verdicts decided so far, for a watchdog thread that ends a run whose solver
    overruns the deadline (commands.py: Z3 checks its time limit only between steps, and
    a nonlinear step can run 0.7 s past it). The engines' thread posts results as they
    are decided; a violation is decoded there, because a Z3 context must not be used by
    two threads. Whoever `take`s the board first reports: the run's end or the watchdog."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posted: dict[str, PropertyResult] = {}
        self._depth: dict[str, int] = {}  # no violation of the property in traces of up to this many steps
        self._jobs: list[PdrJob] = []
        self._taken = False

    def post(self, r: PropertyResult) -> None:
        with self._lock:
            self._posted[r.name] = r

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

    def final(self, p: Property, r: Result, cti: Cti | None) -> PropertyResult:
        """The run's result for `p`: a violation posted earlier is not decoded again."""
        posted = self._get(p.name)
        return posted if posted is not None and posted.result is r and cti is None else self._make(p, r, cti)

    def take(self) -> bool:
        with self._lock:
            first, self._taken = not self._taken, True
        return first

    def partial(self, props: list[Property]) -> tuple[PropertyResult, ...]:
        """What is known now; the rest UNKNOWN (timeout), with the depth BMC reached."""
        with self._lock:
            posted = dict(self._posted)
        return tuple(posted.get(p.name) or self._make(p, Unknown(p, -1, "timeout"), None) for p in props)

    def kill(self) -> None:
        """Kill the PDR processes (from the watchdog; the engines' thread may be using them)."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.kill()

    def _make(self, p: Property, r: Result, cti: Cti | None) -> PropertyResult:
        """`_result`, except that an unknown says the deepest depth any BMC run reached
        for `p`: the base case and the shallow run before induction can go deeper than
        a main run that the deadline cut short."""
        if isinstance(r, Unknown):
            with self._lock:
                reached = self._depth.get(p.name, -1)
            r = dataclasses.replace(r, depth=max(r.depth, reached))
        return _result(p, r, cti)

    def _get(self, name: str) -> PropertyResult | None:
        with self._lock:
            return self._posted.get(name)

    def _violated(self, v: Violated) -> None:
        self.post(_result(v.prop, v, None))

    def _reached(self, depth: int, pending: list[str]) -> None:
        with self._lock:
            for name in pending:
                self._depth[name] = max(depth, self._depth.get(name, -1))


def verify_text(text: str, file: str = "<model>", depth: int = 10, properties: list[str] | None = None,
                overrides: dict[str, str] | None = None, seed: int = 0, scenario: str | None = None,
                timeout: float | None = None) -> list[PropertyResult]:
    """Check a model given as text; raises DiagnosticError for bad input."""
    system = build(file, overrides, scenario, text=text)
    return list(verify_system(system, select(system, properties), depth, timeout, seed).results)


def verify_groups(path: str, defines: dict[str, str], scenario: str | None, names: list[str], depth: int,
                  deadline: float | None, seed: int, engine: str, max_k: int, jobs: int,
                  memory_mb: int | None = None, board: Board | None = None) -> tuple[str, tuple[PropertyResult, ...]]:
    """`--jobs N`: each selected property checked on its own (a fresh `verify_system` over
    the model rebuilt from `path`), in N worker processes, results in declaration order.
    The groups do not depend on N, so every N gives the same results; N = 1 runs them in
    this process. Counterexamples come back decoded (the Z3 model stays in the worker).
    Each group's result is posted on `board` when it comes back."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    board = board if board is not None else Board()
    work = [(path, defines, scenario, n, depth, deadline, seed, engine, max_k, memory_mb) for n in names]
    if jobs == 1:
        done = []
        for w in work:
            done.append(_verify_group(*w))
            board.post(done[-1][1])
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_verify_group, *w) for w in work]
            for f in as_completed(futures):
                board.post(f.result()[1])
            done = [f.result() for f in futures]
    label = done[0][0] if done else engine
    return label, tuple(r for _, r in done)


def _verify_group(path: str, defines: dict[str, str], scenario: str | None, name: str, depth: int,
                  deadline: float | None, seed: int, engine: str, max_k: int,
                  memory_mb: int | None) -> tuple[str, PropertyResult]:
    import dataclasses

    import z3

    if memory_mb is not None:
        z3.set_param("memory_high_watermark_mb", memory_mb)
    system = build(path, defines, scenario)
    timeout = None if deadline is None else max(0.001, deadline - time.monotonic())
    run = verify_system(system, select(system, [name]), depth, timeout, seed, engine=engine, max_k=max_k)
    (r,) = run.results
    if isinstance(r.result, Violated):  # the Z3 model cannot leave the process; the trace is decoded
        r = dataclasses.replace(r, result=dataclasses.replace(r.result, execution=None))
    return run.engine, r
