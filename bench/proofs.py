"""Benchmark: the proofs of the library's fixed variants, with invariant inference and without.

For each `check NAME ... expect proved` directive of models/*.zdl whose target is a
safety property (liveness targets are in section 7; a `check * ...` directive would be
left out, and the library has none that expects proved), two fresh processes, each
timed whole (start-up, parsing and lowering included): `zcheck verify MODEL -p NAME
-D ... [--scenario S] [--depth D] [--engine E] --format json` (default engine), and the
same check with inference switched off (bench/proofs_child.py: the portfolio given a
negative inference budget, so Houdini gives up before its first query; there is no
command-line switch for it; that process does not import the command line, its reports
and networkx, up to 0.1 s of CPU less). Columns: the verdict and how it was proved; for a
proof by inference, the inferred lemmas the proof used, how many candidates Houdini kept,
and how many it started from (those true in every sampled state); CPU time (user +
system) and wall time of each process, and peak memory of the default run. The target is every
fixed variant PROVED in under 10 s of CPU on 2 cores. The machine is shared with other
jobs: the load average when this section's measurement started is under the table (the
header's is that of the last full run); CPU time is the figure that load disturbs least.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from common import BENCH, fmt_s, library_directives, median, run_child, table, zcheck

CAP = 300.0  # seconds per run before the harness kills it
TARGET = 10.0  # CPU seconds a proof should take at most
INFERRED = re.compile(r"with (\d+) inferred lemmas \(Houdini kept (\d+) of (\d+) candidates\)")


@dataclass(frozen=True)
class Check:
    model: str  # path relative to ROOT
    target: str
    defines: tuple[tuple[str, str], ...]
    scenario: str | None
    depth: int | None
    engine: str | None


@dataclass(frozen=True)
class Run:
    verdict: str
    engine: str  # the engine that decided ("kind", "infer", "pdr", "explicit", ...), "" if none
    how: str
    cpu: float
    wall: float
    peak_mib: float

    @property
    def proved(self) -> bool:
        return self.verdict == "PROVED"

    def houdini(self) -> tuple[int, int, int] | None:
        """(lemmas used, candidates kept, candidates started from) of a proof by inference."""
        m = INFERRED.search(self.how)
        return (int(m[1]), int(m[2]), int(m[3])) if m and self.proved else None


@dataclass(frozen=True)
class Row:
    check: Check
    default: Run
    without: Run


def checks() -> list[Check]:
    """The `expect proved` directives of the library whose target is one safety property
    (declared, an `assert` or an implicit one), in file order."""
    return [Check(model, c.target, defines, c.scenario, c.depth, c.engine)
            for model, c, defines, live in library_directives()
            if c.expect == "proved" and c.target != "*" and not live]


def verify_argv(c: Check) -> list[str]:
    argv = ["verify", c.model, "-p", c.target, "--format", "json"]
    for name, value in c.defines:
        argv += ["-D", f"{name}={value}"]
    if c.scenario is not None:
        argv += ["--scenario", c.scenario]
    if c.depth is not None:
        argv += ["--depth", str(c.depth)]
    if c.engine is not None:
        argv += ["--engine", c.engine]
    return zcheck(*argv)


def without_argv(c: Check) -> list[str]:
    return [sys.executable, str(BENCH / "proofs_child.py"), c.model, c.target,
            str(c.depth if c.depth is not None else 10), c.engine or "auto", c.scenario or "-",
            *(f"{n}={v}" for n, v in c.defines)]


def measure(reps: int) -> list[Row]:
    rows = []
    for c in checks():
        default = _run([run_child(verify_argv(c), CAP) for _ in range(reps)], _from_itf)
        without = _run([run_child(without_argv(c), CAP) for _ in range(reps)], _from_child)
        rows.append(Row(c, default, without))
        print(f"{Path(c.model).name} {c.target}: {default.verdict} {fmt_s(default.cpu)} s, "
              f"without inference {without.verdict} {fmt_s(without.cpu)} s", file=sys.stderr)
    return rows


def _from_itf(stdout: str) -> tuple[str, str, str]:
    try:
        doc = json.loads(stdout)  # the ITF document, printed over many lines
    except json.JSONDecodeError:
        doc = {}
    results = doc.get("#meta", {}).get("results", [])
    r = results[0] if results else {}
    return _result(results[0] if results else {})


def _from_child(stdout: str) -> tuple[str, str, str]:
    lines = stdout.strip().splitlines()
    try:
        r = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        r = {}
    return _result(r)


def _result(r: dict) -> tuple[str, str, str]:  # type: ignore[type-arg]
    """Verdict, deciding engine and how: the proof, or else how each engine's run ended."""
    how = r.get("proof") or ", ".join(f"{e['engine']} {e['end']}" for e in r.get("engines", []))
    return str(r.get("verdict", "?")), str(r.get("engine") or ""), str(how)


def _run(samples: list, parse) -> Run:  # type: ignore[type-arg, no-untyped-def]
    last = samples[-1]
    if last.timed_out:
        return Run("TIMEOUT", "", f"killed after {CAP:.0f} s", CAP, CAP, last.peak_mib)
    verdict, engine, how = parse(last.stdout)
    return Run(verdict.upper(), engine, how, median([s.cpu for s in samples]), median([s.wall for s in samples]),
               max(s.peak_mib for s in samples))


def _how(r: Run) -> str:
    if r.houdini() is not None:
        return "inference, 1-induction"
    return r.how.split(";")[0] or "–"


def markdown(rows: list[Row], load: tuple[float, ...] | None = None) -> str:
    """The table and its summary; `load`: os.getloadavg() when the measurement started."""
    if not rows:
        return "No `expect proved` directive on a safety property in models/."
    body = []
    for r in rows:
        c, d, w = r.check, r.default, r.without
        h = d.houdini()
        opts = [f"{n} = {v}" for n, v in c.defines] + ([f"under {c.scenario}"] if c.scenario else [])
        opts += ([f"depth {c.depth}"] if c.depth is not None else []) + ([f"engine {c.engine}"] if c.engine else [])
        body.append([f"`{Path(c.model).name}`", f"`{c.target}`", ", ".join(opts) or "–", d.verdict, _how(d),
                     *([str(x) for x in h] if h else ["–", "–", "–"]), fmt_s(d.cpu), fmt_s(d.wall),
                     f"{d.peak_mib:.0f}", w.verdict, _how(w), fmt_s(w.cpu), fmt_s(w.wall)])
    head = ["model", "property", "with", "verdict", "how", "lemmas used", "Houdini kept", "of candidates",
            "CPU s", "wall s", "peak MiB", "without inference", "how (without)", "CPU s (without)",
            "wall s (without)"]
    text = table(head, body) + "\n\n" + summary(rows)
    if load is not None:
        avg = " / ".join(f"{x:.1f}" for x in load)
        text += f" Load average when this section's measurement started: {avg} (1, 5, 15 min)."
    return text


def summary(rows: list[Row]) -> str:
    proved = [r for r in rows if r.default.proved]
    fast = [r for r in proved if r.default.cpu < TARGET]
    needed = [r for r in proved if not r.without.proved]
    by_infer = [r for r in proved if r.default.houdini() is not None]
    text = (f"{len(proved)} of {len(rows)} checks PROVED by default, {len(fast)} of them in under "
            f"{TARGET:.0f} s of CPU; {len(by_infer)} of these proofs by inference (it runs only on what exhaustion, "
            f"1-induction, BMC and PDR leave open); {len(needed)} PROVED only with inference (not without it)")
    if proved:
        slow = max(proved, key=lambda r: r.default.cpu)
        text += (f"; the slowest: `{Path(slow.check.model).name}` `{slow.check.target}`, "
                 f"{fmt_s(slow.default.cpu)} s CPU ({fmt_s(slow.default.wall)} s wall)")
    other = [r for r in rows if not r.default.proved]
    if other:
        text += "; not PROVED: " + ", ".join(f"`{Path(r.check.model).name}` `{r.check.target}` ({r.default.verdict})"
                                              for r in other)
    return text + "."


if __name__ == "__main__":
    start = os.getloadavg()
    print(markdown(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1), start))
