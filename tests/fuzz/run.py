"""The fuzz campaign: valid models from `gen.models()` and mutants of each, run through
the command line (`harness.run_case`); figures as JSON.

    nice -n 10 python -m tests.fuzz.run --cases 100000 --seed 1 --report fuzz-report.json

A case is one model text (a generated model or one mutant of it). Every generated
model is also checked by `fmt`: formatted text parses to the same AST and formats to
itself. The report is rewritten every few hundred cases, so a long run can be watched.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, seed as hseed, settings

from tests.fuzz.gen import models, mutate
from tests.fuzz.harness import run_case


@dataclass
class Tally:
    cases: int = 0
    valid_generated: int = 0
    valid_checked: int = 0  # generated models that type-check (exit 0 from `check`)
    mutants: int = 0
    mutants_rejected: int = 0  # exit 2: a diagnostic
    exit_codes: dict[str, int] = field(default_factory=dict)
    fmt_round_trips: int = 0
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, codes: tuple[int, ...], problem: str | None, label: str) -> None:
        self.cases += 1
        key = ",".join(map(str, codes))
        self.exit_codes[key] = self.exit_codes.get(key, 0) + 1
        if problem and len(self.failures) < 50:
            self.failures.append(f"{label}: {problem}")

    def figures(self) -> dict:  # type: ignore[type-arg]
        out = {k: v for k, v in self.__dict__.items() if k != "started"}
        out["failure_count"] = len(self.failures)
        out["seconds"] = round(time.monotonic() - self.started, 1)
        return out


def _fmt_round_trip(text: str) -> str | None:
    from zcheck.diagnostics import DiagnosticError
    from zcheck.fmt import format_text
    from zcheck.spec.parser import parse

    try:
        out = format_text(text, "case.zdl", keep_names=False)  # the layout, whatever lines move
    except DiagnosticError:
        return None
    if parse(out, "case.zdl") != parse(text, "case.zdl"):
        return "fmt changed the AST"
    if format_text(out, "case.zdl", keep_names=False) != out:
        return "fmt is not idempotent"
    return None


def campaign(cases: int, mutants_per_model: int, seed: int, report: str | None, depth: int = 2,
             part: int = 0, parts: int = 1) -> Tally:
    """Run `cases` cases (each generated model, then its mutants). With `parts` > 1, only
    the models whose index is `part` modulo `parts`: the parts of one campaign together
    run exactly its cases (the generation is the same; each part skips the others' runs)."""
    tally = Tally()
    work = tempfile.mkdtemp(prefix="zcheck-fuzz-")
    path = os.path.join(work, "case.zdl")
    per_model = mutants_per_model + 1
    generated = [0]

    @hseed(seed)
    @settings(max_examples=max(1, cases // per_model), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(models())
    def one(text: str) -> None:
        index = generated[0]
        generated[0] += 1
        if index * per_model >= cases or index % parts != part:
            return
        tally.valid_generated += 1
        out = run_case(text, path, depth)
        tally.valid_checked += out.codes[:1] == (0,)
        tally.add(out.codes, out.problem, f"generated model\n{text}")
        problem = _fmt_round_trip(text)
        tally.fmt_round_trips += 1
        if problem:
            tally.failures.append(f"{problem}\n{text}")
        rnd = random.Random(f"{seed}:{index * per_model + 1}")  # the cases before it, in the whole campaign
        for _ in range(mutants_per_model):
            mutant, how = mutate(text, rnd)
            out = run_case(mutant, path, depth)
            tally.mutants += 1
            tally.mutants_rejected += out.codes[:1] == (2,)
            tally.add(out.codes, out.problem, f"mutant ({how})\n{mutant}")
        if report and tally.valid_generated % 20 == 0:
            _write(report, tally)

    one()
    if report:
        _write(report, tally)
    return tally


def _write(report: str, tally: Tally) -> None:
    with open(report, "w", encoding="utf-8") as fh:
        json.dump(tally.figures(), fh, indent=1, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--mutants", type=int, default=19, help="mutants per generated model")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--report", default="fuzz-report.json")
    a = p.parse_args(argv)
    tally = campaign(a.cases, a.mutants, a.seed, a.report, a.depth)
    print(json.dumps({k: v for k, v in tally.figures().items() if k != "failures"}, sort_keys=True))
    for f in tally.failures[:5]:
        print(f, file=sys.stderr)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
