"""Soundness campaign: the proof engines against explicit-state enumeration on random
concurrent models.

    python3 scripts/soundness.py --models 10000 [--seed S] [--out bench/data/soundness.json]

Each model comes from the differential generator (tests/differential/gen.py: 2-3
processes, mutexes, spinlocks, lock arrays, rwsems, trylocks, procedures, RCU, `bug_on`,
`goto`, picks). The oracle is tests/differential/explicit.py, an evaluator written
apart from zcheck, run without a depth bound over the whole reachable state space (a
model with more than ORACLE_STATES states is skipped and counted as such). On each model:

- `default`: `zcheck verify` as a user runs it (depth 10, exhaustion first): every
  verdict against the oracle, a violation with its shortest depth, a trace that replays;
- `auto`: the default portfolio with exhaustion turned off and BMC at bound 1, so the
  symbolic proofs do the work (k-induction to 4, inference, PDR): what a model too big
  to enumerate gets;
- each proof engine on its own, on every safety property: k-induction (k <= 4, the
  model's lemmas), invariant inference (small budget; its lemmas re-checked by fresh
  solvers before "proved"), PDR (Spacer, the invariant re-checked), explicit exhaustion.

`--engines` picks among default, auto, explicit, inference, k-induction and pdr (all
by default): `--engines default` costs about a second a model, the symbolic engines
much more.

A PROVED or UNREACHABLE verdict on a property the oracle finds violated is a soundness
failure: the model text is written next to the report and the campaign goes on. Every
budget is in deterministic units, so a failure replays with the same seed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hseed  # noqa: E402

from tests.differential.explicit import TooBig, explore as oracle  # noqa: E402
from tests.differential import gen  # noqa: E402
from tests.differential.gen import models, render  # noqa: E402
from zcheck import api  # noqa: E402
from zcheck.checker.explicit import explore as exhaust  # noqa: E402
from zcheck.checker.infer import Budget, infer, sample  # noqa: E402
from zcheck.checker.kind import prove  # noqa: E402
from zcheck.checker.pdr import run_pdr  # noqa: E402
from zcheck.checker.portfolio import Budgets, Engine, Portfolio, VerifyOptions  # noqa: E402
from zcheck.checker.results import Proved  # noqa: E402
from zcheck.system.sample import Limits  # noqa: E402

ORACLE_STATES = 20_000  # larger models are skipped (and counted)
INFER = Budget(rlimit=2_000_000, samples=Limits(states=300, runs=20_000), max_candidates=300)
PDR_RLIMIT = 5_000_000
KIND_RLIMIT = 5_000_000
PDR_WALL = 2.0  # seconds: a safety net; an attempt it ends counts as not proved (re-checks of
# quantified invariants on tiny models can take a minute at RECHECK_RLIMIT)


ENGINES = ("default", "auto", "explicit", "inference", "k-induction", "pdr")
DEFAULT_DEPTH = 10


def _check(model, tally: Counter, seconds: Counter, failures: list[dict],  # type: ignore[no-untyped-def]
           engines: frozenset[str] = frozenset(ENGINES), oracle_states: int = ORACLE_STATES) -> None:
    clock = [time.monotonic()]

    def lap(engine: str) -> None:
        now = time.monotonic()
        seconds[engine] += now - clock[0]
        clock[0] = now

    try:
        truth = oracle(model, 10_000, max_states=oracle_states)
    except TooBig:
        tally["skipped: over the oracle's state limit"] += 1
        return
    finally:
        lap("oracle")
    text = render(model)
    system = api.build("<model>", None, None, text=text)
    tally["models"] += 1

    def judge(engine: str, name: str, proved: bool) -> None:
        if name not in truth.depth:
            return
        tally[f"{engine}: proved" if proved else f"{engine}: not proved"] += 1
        if proved and truth.depth[name] is not None:
            failures.append({"engine": engine, "property": name, "violated_at": truth.depth[name], "model": text})

    if "default" in engines:
        _default(system, truth, text, tally, failures)
        lap("default")
    if "auto" in engines:  # exhaustion off and BMC at 1: the symbolic engines do the work
        opts = VerifyOptions(Engine.AUTO, 1, 4, 0, Budgets(explicit_states=0, explicit_states_interpreted=0))
        out = Portfolio(system, opts).run(api.select(system, None))
        for name, r in out.results.items():
            judge("auto", name, isinstance(r, Proved))
        lap("auto")
    safety = [p for p in system.properties if p.kind != "cover"]
    lemmas = [p for p in system.properties if p.kind == "lemma"]
    if "explicit" in engines:
        ex = exhaust(system, safety, 20_000)
        for p in safety:
            judge("explicit", p.name, isinstance(ex.results[p.name], Proved))
        lap("explicit")
    states = sample(system, INFER) if "inference" in engines else None
    for p in safety:
        if states is not None:
            got = infer(system, p, lemmas, INFER, states)
            judge("inference", p.name, got is not None and got.proved)
            lap("inference")
        if "k-induction" in engines:
            judge("k-induction", p.name, isinstance(prove(system, p, lemmas, 0, 4, None, KIND_RLIMIT), Proved))
            lap("k-induction")
        if "pdr" in engines:
            a = run_pdr(system, p, PDR_RLIMIT, wall_clock=PDR_WALL)
            judge("pdr", p.name, a.proof is not None)
            lap("pdr")


def _default(system, truth, text: str, tally: Counter, failures: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """`zcheck verify` as a user runs it (depth 10, every engine, exhaustion first):
    every verdict against the oracle, violations with their shortest depth."""
    run = api.verify_system(system, api.select(system, None), DEFAULT_DEPTH, timeout=None)
    for r in run.results:
        if r.name not in truth.depth:
            continue
        want = truth.depth[r.name]
        found = r.verdict in ("violated", "reached")
        tally[f"default: {r.verdict}"] += 1
        wrong = ""
        if r.verdict in ("proved", "unreachable") and want is not None:
            wrong = f"{r.verdict}, the oracle reaches it at depth {want}"
        elif found and (want is None or r.depth != want):
            wrong = f"{r.verdict} at depth {r.depth}, the oracle says {want}"
        elif not found and want is not None and want <= DEFAULT_DEPTH:
            wrong = f"{r.verdict}, the oracle reaches it at depth {want} <= {DEFAULT_DEPTH}"
        elif r.error:
            wrong = f"the trace does not replay: {r.error}"
        if wrong:
            failures.append({"engine": "default", "property": r.name, "error": wrong, "model": text})


def _write(out: Path, report: dict) -> None:
    """Atomically: a campaign stopped at any point leaves its last complete report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    os.replace(tmp, out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "soundness.json")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="comma-separated, of " + ", ".join(ENGINES) + " (default: all)")
    ap.add_argument("--target-states", type=int, default=None,
                    help="states the generator explores to aim properties at (default: its own, "
                         "tests/differential/gen.py TARGET_STATES)")
    ap.add_argument("--oracle-states", type=int, default=ORACLE_STATES,
                    help=f"skip models with more reachable states (default {ORACLE_STATES:,})")
    args = ap.parse_args(argv)
    engines = frozenset(args.engines.split(","))
    if args.target_states is not None:
        gen.TARGET_STATES = args.target_states
    if not engines <= set(ENGINES):
        ap.error(f"unknown engines: {', '.join(sorted(engines - set(ENGINES)))}")
    tally: Counter = Counter()
    seconds: Counter = Counter()
    failures: list[dict] = []
    start = time.monotonic()

    def report() -> dict:
        return {"seed": args.seed, "engines": sorted(engines), "oracle_states": args.oracle_states, "target_states": gen.TARGET_STATES, "seconds": round(time.monotonic() - start), "tally": dict(sorted(tally.items())),
                "seconds_by_engine": {k: round(v, 1) for k, v in sorted(seconds.items())}, "failures": failures}

    @hseed(args.seed)
    @settings(max_examples=args.models, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(models(max_vars=3, max_actions=2, procs=True, locks=True))
    def one(model) -> None:  # type: ignore[no-untyped-def]
        tally["drawn"] += 1
        try:
            _check(model, tally, seconds, failures, engines, args.oracle_states)
        except Exception as exc:  # noqa: BLE001 - a crash is recorded with its model, not fatal
            failures.append({"engine": "crash", "error": f"{type(exc).__name__}: {exc}", "model": render(model)})
        if tally["drawn"] % 10 == 0:
            _write(args.out, report())
            print(f"{tally['drawn']} drawn, {tally['models']} checked, {len(failures)} failures, "
                  f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one()
    final = report()
    _write(args.out, final)
    print(json.dumps({k: final[k] for k in ("tally", "seconds_by_engine", "seconds")}, indent=1))
    print(f"{len(failures)} soundness failures or crashes; report: {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
