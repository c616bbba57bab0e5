"""Liveness differential campaign: zcheck against the explicit fair-cycle reference.

    python3 scripts/differential_liveness.py [--models 5000] [--seed 0] [--depth 6]
        [--engines bmc,auto] [--locks 0.25] [--reference-only] [--out FILE]

Each model comes from tests/differential/gen.py `live_models` (fair and strongly fair
actions and processes; `always eventually`, `eventually always`, `leads_to`; a share
`--locks` of them built on the lock models, where deadlocks are dead ends). The
reference is tests/differential/liveness.py on the explicit state graph: a fair-SCC
verdict and a breadth-first shortest lasso, which must agree with each other (a
disagreement there is a reference bug and is reported as such).

Against zcheck (tests/test_differential_liveness.py states the rules): engine `bmc` at
`--depth` must report "violated" at exactly the reference's shortest lasso length when
it is <= depth and "holds" otherwise; engine `auto` must never say "proved" where the
reference finds a violation (UNKNOWN or HOLDS where the reference proves it is allowed,
and counted). Every disagreement is printed with its ZDL text and written to `--out`
(JSON, atomically, every 50 models). `--reference-only` runs no zcheck (counts only).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hseed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.differential.compare import run_live  # noqa: E402
from tests.differential.explicit import state_graph  # noqa: E402
from tests.differential.gen import Model, live_models, render, weakened  # noqa: E402
from tests.differential.liveness import check  # noqa: E402

ENGINES = ("bmc", "auto")


def _unfair(model: Model) -> Model:
    from dataclasses import replace

    return replace(model, actions=tuple(replace(a, fair=None) for a in model.actions),
                   procs=tuple(replace(p, fair=None) for p in model.procs))


def _reference(model: Model, tally: Counter) -> dict:
    """The reference's verdicts, with counts of what kind of model this is."""
    graph = state_graph(model)
    got = check(model, graph)
    tally["models"] += 1
    tally["states"] += len(graph.keys)
    if any(not s for s in graph.succ):
        tally["models with a dead end"] += 1
    weak = check(weakened(model), graph) if any(x.fair == "strong" for x in model.actions + model.procs) else got
    unfair = check(_unfair(model), graph)
    for name, v in got.items():
        tally["properties"] += 1
        tally["reference: violated" if v.violated else "reference: no violation"] += 1
        if v.length is not None:
            tally[f"reference: shortest lasso {v.length:2d}"] += 1
        if v.violated != (v.length is not None):
            raise AssertionError(f"reference methods disagree on {name}: {v}\n{render(model)}")
        if not v.violated and weak[name].violated:
            tally["reference: holds only with strong fairness"] += 1
        if not v.violated and unfair[name].violated:
            tally["reference: holds only with fairness"] += 1
    return got


def _zcheck(model: Model, expected: dict, engine: str, depth: int, tally: Counter) -> list[str]:
    problems, results, unchecked = run_live(model, depth, engine)
    tally[f"{engine}: not checked (enabledness not a state predicate)"] += len(unchecked)
    for r in results:
        tally[f"{engine}: {r.verdict}"] += 1
        if r.verdict in ("holds", "unknown") and not expected[r.name].violated:
            tally[f"{engine}: {r.verdict} where the reference proves"] += 1
    tally[f"{engine}: disagreements"] += len(problems)
    return problems


def _write(out: Path, report: dict) -> None:
    """Atomically: a campaign stopped at any point leaves its last complete report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    os.replace(tmp, out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--locks", type=float, default=0.25, help="share of models built on lock models")
    ap.add_argument("--reference-only", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("differential-liveness.json"))
    args = ap.parse_args(argv)
    engines = [] if args.reference_only else args.engines.split(",")
    if not set(engines) <= set(ENGINES):
        ap.error(f"engines are among {', '.join(ENGINES)}")
    tally: Counter = Counter()
    failures: list[dict] = []
    cpu: Counter = Counter()
    start = time.process_time()

    def report() -> dict[str, Any]:
        return {"seed": args.seed, "depth": args.depth, "engines": engines, "locks": args.locks,
                "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()}, "tally": dict(sorted(tally.items())),
                "disagreements": failures}

    strategy = st.integers(0, 99).flatmap(lambda r: live_models(locks=r < args.locks * 100))

    @hseed(args.seed)
    @settings(max_examples=args.models, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(model: Model) -> None:
        t = time.process_time()
        expected = _reference(model, tally)
        cpu["reference"] += time.process_time() - t
        for engine in engines:
            t = time.process_time()
            for problem in _zcheck(model, expected, engine, args.depth, tally):
                failures.append({"engine": engine, "problem": problem, "model": render(model)})
                print(f"DISAGREEMENT ({engine}): {problem}\n{render(model)}", flush=True)
            cpu[engine] += time.process_time() - t
        if tally["models"] % 50 == 0:
            _write(args.out, report())
            print(f"{tally['models']} models, {len(failures)} disagreements, "
                  f"{time.process_time() - start:.0f} s CPU", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one()
    final = report()
    _write(args.out, final)
    print(json.dumps({k: final[k] for k in ("tally", "cpu_seconds")}, indent=1))
    print(f"{len(failures)} disagreements; report: {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
