"""Checker: the Portfolio — which engines run on which property, in what order, with
what budget.

Input: a `System`, the properties to check, `VerifyOptions` and a `Deadline`.
Output: an `Outcome`: one `Result` per property, the counterexamples to induction, and
for each property the log of the engines that ran on it and what ended each.

Determinism is the rule here: every budget is counted in Z3's resource units (rlimit),
never in seconds, and nothing that reaches a solver depends on timing. PDR runs in a
child process beside BMC (pdr_job.py), but its proofs never feed back into BMC's
queries; they are merged when both are done. So the same command gives the same
verdicts, depths, traces and certificates on any machine and under load. The
`Deadline` is a safety net only: when it runs out, what is still open is UNKNOWN.

The `auto` schedule, for the properties not yet decided at each stage:

1. BMC at depth 0 (the base case of induction), then BMC to `SHALLOW` steps: a shallow
   bug keeps BMC's shortest counterexample and never costs an induction query; then
   explicit-state exhaustion of each open property's cone within a budget of states;
2. k = 1 induction with the model's lemmas (Houdini drops lemmas a CTI breaks);
3. PDR in a child process, while the parent runs BMC to the requested depth;
4. PDR's re-checked invariants merged; invariant inference (infer.py) for what still
   holds, then k = 2..max_k induction.

`kind` is BMC and k-induction up to max_k; `pdr` is the shallow BMC, then PDR on every
open property, then BMC; `bmc` is BMC only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, assert_never

from zcheck.checker.bmc import Options, bmc
from zcheck.checker.encode import Encoding
from zcheck.checker.explicit import Stop, explore
from zcheck.checker.explicit_layout import needs_interpreter
from zcheck.checker.kind import Cti, GaveUp, prove
from zcheck.checker.pdr import PDR_RLIMIT_AUTO, PDR_RLIMIT_PDR, PdrStatus
from zcheck.checker.results import BUDGET_SPENT, Holds, Proved, Result, Unknown, Violated
from zcheck.deadline import NO_DEADLINE, Deadline
from zcheck.spec import typed as t
from zcheck.system.evaluate import Value
from zcheck.system.ir import Property, System

if TYPE_CHECKING:  # imported where used: a run that BMC and k = 1 settle loads neither (start-up time)
    from zcheck.checker.infer import Budget as InferBudget
    from zcheck.checker.pdr_job import PdrJob, PdrOutcome
    from zcheck.system.sample import Samples


class Engine(StrEnum):
    AUTO = "auto"
    BMC = "bmc"
    KIND = "kind"
    PDR = "pdr"


ENGINE_LABELS: Mapping[Engine, str] = {
    Engine.AUTO: "auto (bmc + exhaustion + k-induction + inference + pdr)", Engine.BMC: "bmc", Engine.KIND: "kind", Engine.PDR: "pdr",
}


class Stage(StrEnum):
    """An engine as named in a property's log."""

    BMC = "bmc"
    EXPLICIT = "exhaustion"
    KIND = "k-induction"
    INFER = "inference"
    PDR = "pdr"


class End(StrEnum):
    """What ended one engine's work on one property."""

    DECIDED = "decided"  # it proved or refuted the property
    BOUND = "bound"  # BMC reached the depth asked
    NOT_INDUCTIVE = "not inductive"  # a counterexample to induction at the largest k
    BUDGET = "budget"  # its deterministic resource budget ran out
    UNKNOWN = "solver unknown"  # the solver gave up for another reason
    TIMEOUT = "timeout"  # the wall-clock --timeout
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    NOT_RUN = "not run"  # the stage had nothing to try (e.g. BMC too shallow for k)
    STOPPED = "stopped"  # BMC: every property it checked was proved by another engine
    REACHABLE = "bad state reachable"  # PDR: a violation exists (BMC shows it if within its depth)


@dataclass(frozen=True)
class StageRun:
    stage: Stage
    end: End
    note: str = ""  # "k = 1..3", "depth 10", "40 M units"

    def describe(self) -> str:
        return f"{self.stage}: {self.end}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Budgets:
    """Z3 resource units (rlimit; 7-10 M per second of solving on a 2-core x86_64 here).

    They replace the seconds the engines used to get (1 s for the shallow BMC, 1 s per
    auto induction query, 5 s per `--engine kind` query, 20 s / 60 s of PDR per
    property), at about the same cost on this machine, but with the same outcome on
    every machine."""

    shallow_query: int = 1_000_000  # per query of the shallow BMC before k = 1 (at depth <= 2, most take < 0.5 M)
    induction_query: int = 10_000_000  # per k-induction query in auto
    kind_query: int = 50_000_000  # per k-induction query with --engine kind
    explicit_states: int = 500_000  # reachable states for exhaustion of the open properties (explicit.py;
    # about 0.5 KB and 10 µs a state: Peterson at N = 5, 230,965 states, 2.6 s and 133 MB)
    explicit_states_interpreted: int = 5_000  # ... when a quantifier over `int` must be interpreted per state
    infer_query: int = 10_000_000  # per inference (Houdini) query
    infer_total: int = 100_000_000  # per property, all inference queries together
    pdr_auto: int = PDR_RLIMIT_AUTO  # per property, Spacer, in auto (zcheck/checker/pdr.py)
    pdr_only: int = PDR_RLIMIT_PDR  # per property with --engine pdr


SHALLOW = 2  # BMC depth run before k = 1 induction
AUTO_MAX_K = 3  # auto's largest k unless --max-k says otherwise
KIND_MAX_K = 8  # --engine kind's largest k unless --max-k says otherwise


@dataclass(frozen=True)
class VerifyOptions:
    engine: Engine = Engine.AUTO
    depth: int = 10
    max_k: int | None = None  # None: the engine's default (AUTO_MAX_K, KIND_MAX_K)
    seed: int = 0
    budgets: Budgets = field(default_factory=Budgets)

    @classmethod
    def of(cls, engine: str = "auto", depth: int = 10, max_k: int | None = None, seed: int = 0,
           max_states: int | None = None) -> VerifyOptions:
        """The options of a command line: `max_states` (`--max-states`) replaces both
        budgets of exhaustion (the user who raises it accepts its memory, about 0.4 KB a
        state, and its time)."""
        budgets = Budgets()
        if max_states is not None:
            budgets = dataclasses.replace(budgets, explicit_states=max_states, explicit_states_interpreted=max_states)
        return cls(Engine(engine), depth, max_k, seed, budgets)

    def largest_k(self) -> int:
        if self.max_k is not None:
            return self.max_k
        return KIND_MAX_K if self.engine is Engine.KIND else AUTO_MAX_K


class Listener(Protocol):
    """Who is told of verdicts as they are decided (the command's watchdog board), and
    of which engine works on which properties (the command's live progress)."""

    def hooks(self, opts: Options) -> Options: ...

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None: ...

    def sync(self, props: list[Property], raw: dict[str, Result]) -> None: ...

    def attach(self, job: PdrJob | None) -> PdrJob | None: ...


class _Silent:
    def hooks(self, opts: Options) -> Options:
        return opts

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        return None

    def sync(self, props: list[Property], raw: dict[str, Result]) -> None:
        return None

    def attach(self, job: PdrJob | None) -> PdrJob | None:
        return job


@dataclass(frozen=True)
class Outcome:
    results: Mapping[str, Result]
    ctis: Mapping[str, Cti]
    log: Mapping[str, tuple[StageRun, ...]]
    inferred: Mapping[str, str] = field(default_factory=dict)  # property -> inferred lemmas in ZDL


def lasso_free(r: Result, unbounded: tuple[str, ...]) -> Result:
    """Which proofs stand on a liveness product (system/liveness.py) whose model has the
    unbounded variables `unbounded`: a proof there says no *lasso* violates the
    property, but with an `int` (or a map over `int`) a violating run may never repeat a
    state. Only a proof by exhaustion (finitely many reachable states: every infinite
    run repeats one) stands; any other becomes UNKNOWN, with the reason."""
    if not unbounded or not isinstance(r, Proved) or r.engine == "explicit":
        return r
    names = ", ".join(f"`{n}`" for n in unbounded[:3]) + (", ..." if len(unbounded) > 3 else "")
    return Unknown(r.prop, -1, f"no lasso violates it ({r.detail}), but {names} can grow without bound, "
                               "so a violating run need not repeat a state")


@dataclass(frozen=True)
class _LassoFree:
    """A listener told of verdicts as `lasso_free` makes them, so that neither the
    watchdog's report nor the live progress shows a proof the run will not claim."""

    listener: Listener
    unbounded: tuple[str, ...]

    def hooks(self, opts: Options) -> Options:
        return self.listener.hooks(opts)

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        self.listener.working(stage, names, running)

    def sync(self, props: list[Property], raw: dict[str, Result]) -> None:
        self.listener.sync(props, {n: lasso_free(r, self.unbounded) for n, r in raw.items()})

    def attach(self, job: PdrJob | None) -> PdrJob | None:
        return self.listener.attach(job)


class EngineDisagreement(Exception):
    """Two engines contradict each other: a soundness bug, reported as an internal error."""


class Portfolio:
    """One run of the engines on `props` (use once). `unbounded`: the system is a
    liveness product and these variables of the model are unbounded, so only proofs by
    exhaustion are claimed (`lasso_free`)."""

    def __init__(self, system: System, options: VerifyOptions, deadline: Deadline = NO_DEADLINE,
                 listener: Listener | None = None, progress: Callable[[str], None] | None = None,
                 unbounded: tuple[str, ...] = ()):
        self.system, self.opts, self.deadline, self.unbounded = system, options, deadline, unbounded
        listener = listener if listener is not None else _Silent()
        self.listener: Listener = _LassoFree(listener, unbounded) if unbounded else listener
        self.progress = progress
        self.raw: dict[str, Result] = {}
        self.ctis: dict[str, Cti] = {}
        self.log: dict[str, list[StageRun]] = {}
        self.lemmas = [p for p in system.properties if p.kind == "lemma"]
        self.enc = Encoding(system)
        self._job: PdrJob | None = None  # the PDR child, stopped when the run ends
        self.inferred: dict[str, str] = {}  # property -> its inferred lemmas, as ZDL to paste
        self._reached: tuple[tuple[dict[str, Value], dict[str, Value]], ...] | None = None  # exhaustion's first states, for inference
        self._refuted: dict[str, str] = {}  # property -> the violation an engine found beyond --depth: no prover runs on it

    def run(self, props: list[Property]) -> Outcome:
        try:
            self._schedule(props)
        except KeyboardInterrupt:  # Ctrl-C: the verdicts so far, the rest "interrupted"
            pass
        finally:
            if self._job is not None:
                self._job.stop()
        for p in props:  # a stage interrupted before it could say anything: claim nothing
            self.raw.setdefault(p.name, Unknown(p, -1, "interrupted"))
        return Outcome({n: lasso_free(r, self.unbounded) for n, r in self.raw.items()}, dict(self.ctis), {n: tuple(v) for n, v in self.log.items()},
                       dict(self.inferred))

    def _schedule(self, props: list[Property]) -> None:
        match self.opts.engine:
            case Engine.BMC:
                self._bmc(props)
            case Engine.KIND:
                self._base_and_k1(props)
                self._bmc(self._open(props), facts=self._proved(props))
                self._deeper(props)
            case Engine.AUTO:
                self._base_and_k1(props)
                job = self._start_pdr(props, self.opts.budgets.pdr_auto)
                self._bmc(self._open(props), facts=self._proved(props), job=job)
                self._merge_pdr(job, props)
                self._infer(props)  # after BMC: a property BMC refuted costs no inference
                self._deeper(props)
            case Engine.PDR:
                self._shallow(props)
                job = self._start_pdr(props, self.opts.budgets.pdr_only)
                self._merge_pdr(job, props)
                self._bmc(self._open(props), facts=self._proved(props))
            case _:
                assert_never(self.opts.engine)

    # -- stages ----------------------------------------------------------------------

    def _note(self, p: Property, run: StageRun) -> None:
        self.log.setdefault(p.name, []).append(run)
        if run.end is End.DECIDED and self.progress is not None:
            self.progress(f"{p.name} decided by {run.stage}")

    @contextmanager
    def _stage(self, stage: Stage, props: list[Property]) -> Iterator[None]:
        """Tell the listener that `stage` works on `props` while the block runs."""
        names = tuple(p.name for p in props)
        self.listener.working(stage, names, True)
        try:
            yield
        finally:
            self.listener.working(stage, names, False)

    def _open(self, props: list[Property]) -> list[Property]:
        return [p for p in props if p.name not in self.raw or isinstance(self.raw[p.name], Unknown)]

    def _provable(self, props: list[Property]) -> list[Property]:
        """The properties a prover may still work on: not covers (reached or not, never
        proved), and none an engine has shown violated beyond --depth (a proof of one
        would be a soundness bug; running the provers on it only spends their budgets)."""
        return [p for p in props if p.kind != "cover" and p.name not in self._refuted]

    def _proved(self, props: list[Property]) -> list[Property]:
        return [p for p in props if isinstance(self.raw.get(p.name), Proved)]

    def _options(self, depth: int, rlimit: int | None) -> Options:
        return self.listener.hooks(Options(depth=depth, timeout=self.deadline.left(), seed=self.opts.seed,
                                           rlimit=rlimit, progress=self.progress))

    def _bmc(self, props: list[Property], facts: list[Property] = (), job: PdrJob | None = None) -> None:  # type: ignore[assignment]
        """BMC to the requested depth (for `--engine kind`, at least max_k - 1: the base
        case). PDR's proofs do not change BMC's queries: BMC stops early only when
        every property it checks is proved elsewhere, which changes no verdict."""
        if not props:
            return
        depth = self.opts.depth if self.opts.engine is not Engine.KIND else max(self.opts.depth,
                                                                               self.opts.largest_k() - 1)
        stop = None if job is None else job.proved
        opts = dataclasses.replace(self._options(depth, None), proved_elsewhere=stop)
        with self._stage(Stage.BMC, props):
            found = bmc(self.enc, props, opts, facts=facts)
        for p in props:
            r = found[p.name]
            self.raw[p.name] = r
            if isinstance(r, Holds) and r.depth < depth:
                self._note(p, StageRun(Stage.BMC, End.STOPPED, f"at depth {r.depth}"))
            else:
                self._note(p, _bmc_run(r))
        self.listener.sync(props, self.raw)
        _reraise_interrupt(found)

    def _shallow(self, props: list[Property]) -> dict[str, Result]:
        """Depth-0 BMC for the properties and lemmas (the base case of induction), then
        BMC to SHALLOW steps within a per-query budget; violations are final."""
        everything = props + [lm for lm in self.lemmas if lm not in props]
        with self._stage(Stage.BMC, props):
            base = bmc(self.enc, everything, self._options(0, None))
            clean = [p for p in props if isinstance(base[p.name], Holds)]
            early = bmc(self.enc, clean, self._options(min(self.opts.depth, SHALLOW),
                                                        self.opts.budgets.shallow_query)) if SHALLOW > 0 else {}
        for p in props:
            r = early.get(p.name, base[p.name])
            if isinstance(r, Violated) or not isinstance(base[p.name], Holds):
                self.raw[p.name] = base[p.name] if not isinstance(base[p.name], Holds) else r
                self._note(p, _bmc_run(self.raw[p.name]))
        self.listener.sync(props, self.raw)
        _reraise_interrupt({**base, **early})  # Ctrl-C in the shallow BMC ends the schedule here
        return base

    def _exhaust(self, props: list[Property]) -> None:
        """Explicit-state exhaustion of the open properties' joint cone, within a budget
        of states (deterministic): PROVED "by exhaustion, N states", or the shortest
        violation. Answers at once (nothing noted) when a choice cannot be enumerated.
        One search for all of them: the library's properties mostly share a cone, and
        a search per property cost one pass over the same states each."""
        todo = self._open(props)
        if not todo or self.deadline.expired():
            return
        limit = self.opts.budgets.explicit_states
        if _interpreted(self.system):  # each state costs the evaluator's walk of a quantifier
            limit = self.opts.budgets.explicit_states_interpreted
        with self._stage(Stage.EXPLICIT, todo):
            run = explore(self.system, todo, limit, timeout=self.deadline.left())
        self._reached = run.samples()
        for p in todo:
            r = run.results[p.name]
            match r:
                case Violated(depth=d) if d > self.opts.depth:  # beyond the bound asked: said, not reported
                    self._note(p, StageRun(Stage.EXPLICIT, End.REACHABLE, f"a violation at depth {d}, beyond --depth"))
                    self._refuted[p.name] = f"exhaustion found a violation at depth {d}"
                case Proved() | Violated():
                    self.raw[p.name] = r
                    self._note(p, StageRun(Stage.EXPLICIT, End.DECIDED, r.detail if isinstance(r, Proved) else ""))
                case Unknown():
                    if run.stats.stop is Stop.BUDGET:
                        self._note(p, StageRun(Stage.EXPLICIT, End.BUDGET, f"{limit:,} states"))
                    elif run.stats.stop is Stop.TIMEOUT:
                        self._note(p, StageRun(Stage.EXPLICIT, End.TIMEOUT))
                case Holds():
                    pass
                case _:
                    assert_never(r)
        self.listener.sync(props, self.raw)

    def _base_and_k1(self, props: list[Property]) -> None:
        """The shallow BMC, exhaustion of small cones, then k = 1 induction for each
        property still open."""
        base = self._shallow(props)
        if self.opts.engine is Engine.AUTO:
            self._exhaust(props)
        clean0 = [lm for lm in self.lemmas if isinstance(base.get(lm.name), Holds)]
        for p in self._provable(props):
            if p.name not in self.raw:
                self._induct(p, props, clean0, 0, 1, 1)

    def _infer(self, props: list[Property]) -> None:
        """Invariant inference (infer.py) for each open safety property: candidate
        lemmas mined from the model and from sampled states, pruned by Houdini, the
        property proved by 1-induction with the survivors and the set re-checked."""
        todo = [p for p in self._provable(props) if not isinstance(self.raw.get(p.name), (Proved, Violated))]
        if not todo:
            return
        from zcheck.checker.infer import Budget, infer

        b = self.opts.budgets
        budget = Budget(rlimit=b.infer_query, total=b.infer_total, deadline=self.deadline.at)
        with self._stage(Stage.INFER, todo):  # sampling reachable states, for every property at once
            samples = self._samples(budget)
        for p in todo:
            if self.deadline.expired():
                self._note(p, StageRun(Stage.INFER, End.TIMEOUT))
                continue
            with self._stage(Stage.INFER, [p]):
                got = infer(self.system, p, self.lemmas, budget, samples)
            if got is None:
                continue
            if got.proved:
                lemmas = tuple(c.text for c in got.used)
                detail = (f"1-induction with {len(lemmas)} inferred lemmas (Houdini kept {len(got.kept)} of "
                          f"{got.sampled} candidates)")
                self.raw[p.name] = Proved(p, "infer", detail, (p.name, *lemmas), (), ())
                self.ctis.pop(p.name, None)
                self.inferred[p.name] = got.lemmas_zdl
                self._note(p, StageRun(Stage.INFER, End.DECIDED, f"{len(lemmas)} lemmas"))
            else:
                end = End.BUDGET if "budget" in got.reason else End.NOT_INDUCTIVE
                self._note(p, StageRun(Stage.INFER, end, got.reason))
        self.listener.sync(props, self.raw)

    def _samples(self, budget: InferBudget) -> Samples:
        """The reachable states inference mines candidates from: the first states of
        exhaustion's breadth-first search when it covered every variable (compiled, a
        hundred times faster than the evaluator's search, and every choice enumerated),
        else system/sample.py's search."""
        from zcheck.checker.infer import sample
        from zcheck.system.sample import Sample, Samples

        if self._reached is None:
            return sample(self.system, budget)
        kept = self._reached[:budget.samples.states]
        return Samples(tuple(Sample(state, rigid) for state, rigid in kept), False)

    def _deeper(self, props: list[Property]) -> None:
        """k = 2..max_k for what BMC left holding (k - 1 <= the BMC depth: the base case)."""
        top = self.opts.largest_k()
        clean = [lm for lm in self.lemmas if isinstance(self.raw.get(lm.name), (Holds, Proved))]
        for p in self._provable(props):
            r0 = self.raw.get(p.name)
            if isinstance(r0, Holds) and top >= 2:
                self._induct(p, props, clean, r0.depth, top, 2)

    def _induct(self, p: Property, props: list[Property], lemmas: list[Property], base_depth: int,
                top: int, low: int) -> None:
        budget = self.opts.budgets.kind_query if self.opts.engine is Engine.KIND else self.opts.budgets.induction_query
        assumed = tuple(q for q in props if isinstance(self.raw.get(q.name), Proved) and q.kind in ("invariant", "lemma"))
        with self._stage(Stage.KIND, [p]):
            r = prove(self.system, p, lemmas, base_depth, top, self.deadline.at, budget, min_k=low, assumed=assumed)
        span = f"k = {low}" if top == low else f"k = {low}..{top}"
        match r:
            case Proved():
                self._record_group(r, props)
                self._note(p, StageRun(Stage.KIND, End.DECIDED, r.detail.removeprefix("k-induction, ")))
                self.listener.sync(props, self.raw)
            case Cti():
                self.ctis[p.name] = r
                self._note(p, StageRun(Stage.KIND, End.NOT_INDUCTIVE, f"counterexample to induction at k = {r.k}"))
            case GaveUp(reason=why, k=k, cti=last):
                if last is not None:
                    self.ctis[p.name] = last
                budget_note = f"{_units(budget)} per query at k = {k}"
                self._note(p, StageRun(Stage.KIND, _end_of(why), budget_note if why == BUDGET_SPENT else f"k = {k}"))
            case None:
                self._note(p, StageRun(Stage.KIND, End.NOT_RUN, f"{span} needs BMC to depth {low - 1}"))
            case _:
                assert_never(r)

    def _record_group(self, r: Proved, props: list[Property]) -> None:
        """A k-induction proof proves every member of its group: the conjunction is what
        is inductive, and the re-check covered the base case of each member."""
        self.raw[r.prop.name] = r
        self.ctis.pop(r.prop.name, None)
        for name in set(r.certificate) & set(self._refuted):
            raise EngineDisagreement(f"k-induction proved `{name}`, but {self._refuted[name]}")
        for q in props:
            if q.name in r.certificate and q.name != r.prop.name and not isinstance(self.raw.get(q.name), Proved):
                others = tuple(n for n in r.certificate if n != q.name)
                self.raw[q.name] = Proved(q, r.engine, r.detail, r.certificate, others, r.assumed)
                self.ctis.pop(q.name, None)
                self._note(q, StageRun(Stage.KIND, End.DECIDED, f"with {r.prop.name}"))

    def _start_pdr(self, props: list[Property], budget: int) -> PdrJob | None:
        targets = [p for p in self._open(self._provable(props))]
        if not targets or self.deadline.expired():
            return None
        from zcheck.checker.pdr_job import PdrJob

        self._job = self.listener.attach(PdrJob(self.system, targets, budget))
        self.listener.working(Stage.PDR, tuple(p.name for p in targets), True)  # until merged
        return self._job

    def _merge_pdr(self, job: PdrJob | None, props: list[Property]) -> None:
        """Take PDR's re-checked invariants for the properties no other engine decided.
        A PDR proof of a property BMC found violated is an internal error, never hidden."""
        if job is None:
            return
        try:
            outcomes = job.collect(self.deadline.left())
        finally:
            self.listener.working(Stage.PDR, tuple(p.name for p in job.props), False)
        for p in job.props:
            o = outcomes.get(p.name)
            self._note(p, _pdr_run(o, job.budget))
            if o is not None and o.status is PdrStatus.REACHABLE and not isinstance(self.raw.get(p.name), Violated):
                self._refuted[p.name] = "PDR found a bad state reachable"
            if o is None or o.certificate is None:
                continue
            r = self.raw.get(p.name)
            if isinstance(r, Violated):
                raise EngineDisagreement(f"PDR proved `{p.name}`, which BMC found violated at depth {r.depth}")
            if not isinstance(r, Proved):
                self.raw[p.name] = Proved(p, "pdr", o.detail, (o.certificate,))
                self.ctis.pop(p.name, None)
        self.listener.sync(props, self.raw)


def _interpreted(system: System) -> bool:
    """Some expression of the model is a quantifier the explicit engine cannot enumerate
    (or reads a map that is not a variable): it evaluates it per state, about a thousand
    times slower (tests/golden/cover_and_assert.zdl: over 300 s for 200,000 states)."""
    exprs = [p.expr for p in system.properties if p.expr is not None]
    exprs += [x for tr in system.transitions for st in t.walk_stmts(tr.body) for x in t.stmt_exprs(st)]
    return any(needs_interpreter(n) for e in exprs for n in t.walk(e))


def _reraise_interrupt(found: Mapping[str, Result]) -> None:
    """BMC keeps what it found when Ctrl-C arrives; the rest of the schedule must not run."""
    if any(isinstance(r, Unknown) and r.reason == "interrupted" for r in found.values()):
        raise KeyboardInterrupt


def _units(n: int) -> str:
    return f"{n // 1_000_000} M units" if n >= 1_000_000 else f"{n} units"


def _end_of(reason: str) -> End:
    if reason == BUDGET_SPENT:
        return End.BUDGET
    if reason == "timeout":
        return End.TIMEOUT
    if reason == "interrupted":
        return End.INTERRUPTED
    return End.UNKNOWN


def _bmc_run(r: Result) -> StageRun:
    match r:
        case Violated(depth=d):
            return StageRun(Stage.BMC, End.DECIDED, f"depth {d}")
        case Holds(depth=d):
            return StageRun(Stage.BMC, End.BOUND, f"depth {d}")
        case Unknown(depth=d, reason=why):
            return StageRun(Stage.BMC, _end_of(why), f"after depth {d}" if d >= 0 else "")
        case Proved():
            return StageRun(Stage.BMC, End.NOT_RUN, "proved elsewhere")
        case _:
            assert_never(r)


def _pdr_run(o: PdrOutcome | None, budget: int) -> StageRun:
    if o is None:
        return StageRun(Stage.PDR, End.TIMEOUT)
    match o.status:
        case PdrStatus.PROVED:
            return StageRun(Stage.PDR, End.DECIDED)
        case PdrStatus.REACHABLE:
            return StageRun(Stage.PDR, End.REACHABLE)
        case PdrStatus.BUDGET:
            return StageRun(Stage.PDR, End.BUDGET, _units(budget))
        case PdrStatus.WALL_CLOCK:
            return StageRun(Stage.PDR, End.TIMEOUT)
        case PdrStatus.NOT_SAFETY:
            return StageRun(Stage.PDR, End.NOT_RUN)
        case PdrStatus.UNKNOWN | PdrStatus.UNSUPPORTED | PdrStatus.RECHECK_FAILED:
            return StageRun(Stage.PDR, End.UNKNOWN, o.why)
        case _:
            assert_never(o.status)
