"""Benchmark: every liveness check of the model library, as a reviewer runs it.

For each `check NAME ... expect ...` directive of models/*.zdl whose target is a liveness
property, one `zcheck verify MODEL -p NAME -D ... [--depth D] --format json` in a fresh
process (default engine, so a fixed variant is proved and a buggy one gets its shortest
lasso). Columns: the verdict and how it was reached, the lasso's length, the CPU time
(user + system) and wall time of the whole process, and peak memory.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from common import fmt_s, library_directives, median, run_child, table, zcheck

CAP = 300.0  # seconds per run before the harness kills it


@dataclass(frozen=True)
class Check:
    model: str  # path relative to ROOT
    target: str
    defines: tuple[tuple[str, str], ...]
    depth: int | None
    expect: str


@dataclass(frozen=True)
class Row:
    check: Check
    verdict: str
    how: str
    cpu: float
    wall: float
    peak_mib: float


def checks() -> list[Check]:
    """The liveness check directives of the library, in file order."""
    return [Check(model, c.target, defines, c.depth, c.expect) for model, c, defines, live in library_directives()
            if live]


def measure(reps: int) -> list[Row]:
    rows = []
    for c in checks():
        argv = ["verify", c.model, "-p", c.target, "--format", "json"]
        for name, value in c.defines:
            argv += ["-D", f"{name}={value}"]
        if c.depth is not None:
            argv += ["--depth", str(c.depth)]
        samples = [run_child(zcheck(*argv), CAP) for _ in range(reps)]
        rows.append(_row(c, samples))
    return rows


def _row(c: Check, samples: list) -> Row:  # type: ignore[type-arg]
    last = samples[-1]
    if last.timed_out:
        return Row(c, "TIMEOUT", f"killed after {CAP:.0f} s", CAP, CAP, last.peak_mib)
    try:
        doc = json.loads(last.stdout)  # the ITF document, printed over many lines
    except json.JSONDecodeError:
        doc = {}
    results = doc.get("#meta", {}).get("results", [])
    r = results[0] if results else {}
    verdict = str(r.get("verdict", "?")).upper()
    how = f"lasso of {r.get('depth')} steps" if verdict == "VIOLATED" else str(r.get("proof") or r.get("reason") or "")
    return Row(c, verdict, how, median([s.cpu for s in samples]), median([s.wall for s in samples]),
               max(s.peak_mib for s in samples))


def markdown(rows: list[Row]) -> str:
    if not rows:
        return "No liveness check in models/."
    body = [[f"`{Path(r.check.model).name}`", f"`{r.check.target}`",
             ", ".join(f"{n} = {v}" for n, v in r.check.defines) or "–", r.check.expect, r.verdict,
             r.how.split(";")[0], fmt_s(r.cpu), fmt_s(r.wall), f"{r.peak_mib:.0f}"] for r in rows]
    return table(["model", "property", "with", "expect", "verdict", "how", "CPU s", "wall s", "peak MiB"], body)


if __name__ == "__main__":
    print(markdown(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1)))
