"""Benchmark: classic protocols from mypyvy's examples under the default `zcheck verify` (issue 15).

Input: the models in bench/protocols/ (lockserv, peterson, ticket, consensus; each with a
`_lemmas` companion that imports it and adds the textbook inductive invariant as `lemma`s).
For each protocol x N in 2..5 x {fixed, buggy} x {no lemmas, textbook lemmas} it runs
`zcheck verify FILE -D N=.. -D BUG=.. --format json` as a user would (a fresh process,
this checkout's zcheck first on PYTHONPATH), and records the verdict of the safety property,
how it was decided (engine, k, lemmas), the verdicts of all properties, the exit code and
the wall time. Output: a Markdown table (stdout, or -o FILE, with the raw rows beside it as
FILE.json), with mypyvy's inference times from the issue as the reference.

    python3 bench/protocols.py -o bench/protocols-baseline.md
    python3 bench/protocols.py --only ticket --n 2 3 --timeout 60

Buggy variants whose shortest counterexample is longer than the default depth (10) are
run with `--depth` = that length, and the table says so. `--extras` adds two measurements:
`--engine kind --max-k 8` on consensus without lemmas, whether the default engine
honours `--max-k` (the k of its counterexample to induction with --max-k 1 .. 8), and
`--engine kind` on peterson with its lemmas.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fmt_s, machine, run_child, table, zcheck  # noqa: E402

MODELS = ROOT / "bench" / "protocols"


@dataclass(frozen=True)
class Protocol:
    name: str
    safety: str
    mypyvy: float | None  # seconds of mypyvy's automatic inference (issue 15), None: not given

    def bug_depth(self, n: int) -> int:
        """Steps of the shortest counterexample of BUG = 1 at n nodes (see each model's header)."""
        match self.name:
            case "peterson":
                return 6 * (n - 1)
            case "consensus":
                return 2 * (n // 2 + 1) + 2
            case _:
                return 6

    def bug_states(self, n: int) -> int | None:
        """States exhaustion must visit to reach that counterexample, when more than its
        default budget of 500,000 (then the row passes `--max-states` above it)."""
        return 1_409_460 if (self.name, n) == ("peterson", 5) else None


PROTOCOLS = [
    Protocol("lockserv", "mutex", 3.2),
    Protocol("peterson", "mutex", 10.1),
    Protocol("ticket", "mutex", 34.3),
    Protocol("consensus", "agreement", None),
]
DEFAULT_DEPTH = 10
LOAD = os.getloadavg()  # the machine is shared: say how busy it was


@dataclass(frozen=True)
class Row:
    protocol: str
    n: int
    variant: str  # fixed | buggy
    lemmas: bool
    args: list[str]
    verdict: str  # of the safety property: proved | holds | violated | unknown | timeout | error
    how: str
    others: str  # "3 proved, 1 holds" over every property checked
    exit_code: int
    wall: float
    mypyvy: float | None


def run_one(p: Protocol, n: int, buggy: bool, lemmas: bool, timeout: float) -> Row:
    spec = MODELS / f"{p.name}{'_lemmas' if lemmas else ''}.zdl"
    extra: list[str] = []
    if buggy and p.bug_depth(n) > DEFAULT_DEPTH:
        extra = ["--depth", str(p.bug_depth(n))]
    if buggy and (states := p.bug_states(n)) is not None:
        extra += ["--max-states", str(2 * states)]
    args = ["-D", f"N={n}", "-D", f"BUG={1 if buggy else 0}", *extra]
    s = run_child(zcheck("verify", str(spec.relative_to(ROOT)), *args, "--format", "json"), timeout=timeout)
    verdict, how, others = "error", "", ""
    if s.timed_out:
        verdict, how = "timeout", f"killed after {timeout:g} s"
    else:
        try:
            meta = json.loads(s.stdout)["#meta"]
        except (json.JSONDecodeError, KeyError, TypeError):
            meta = None
        if meta is not None:
            results = meta["results"]
            counts: dict[str, int] = {}
            for r in results:
                counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
                if r["property"] == p.safety:
                    verdict, how = r["verdict"], describe(r)
            others = ", ".join(f"{c} {v}" for v, c in sorted(counts.items()))
    return Row(p.name, n, "buggy" if buggy else "fixed", lemmas, extra, verdict, how, others,
               s.returncode, s.wall, p.mypyvy)


def describe(r: dict) -> str:
    """How a result was decided, from its JSON: engine, k, lemmas; depth for bounded verdicts."""
    match r["verdict"]:
        case "proved":
            text = r.get("proof") or r.get("engine", "")
            if r.get("lemmas"):
                text += f" with {len(r['lemmas'])} lemma{'s' if len(r['lemmas']) > 1 else ''}"
            return text
        case "violated":
            return f"at depth {r['depth']}"
        case "holds":
            return f"up to depth {r['depth']}"
        case _:
            return r.get("reason", "") or str(r.get("depth", ""))


def render(rows: list[Row], extras: list[str], timeout: float) -> str:
    facts = machine()
    out = [
        "# Classic protocols under `zcheck verify` (issue 15)",
        "",
        "Generated by `python3 bench/protocols.py`; models in `bench/protocols/`. Each cell is one",
        "`zcheck verify FILE -D N=.. -D BUG=.. --format json` in a fresh process (default engine",
        f"`auto`, depth {DEFAULT_DEPTH}, no `--timeout`; the harness kills a run after {timeout:g} s). *verdict* is the",
        "safety property's (mutex, or agreement for consensus); *all* counts every property",
        "checked (lemmas, implicit properties). *mypyvy* is the time of mypyvy's automatic",
        "inference on its own version of the protocol, quoted from the issue (no figure for",
        "consensus). Timings are wall-clock on a machine shared with other work: compare",
        "orders of magnitude, not digits.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items())
        + f"; load average {LOAD[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "",
    ]
    header = ["protocol", "N", "variant", "lemmas", "verdict", "how", "all", "exit", "wall s", "mypyvy s"]
    cells = []
    for r in rows:
        variant = r.variant + (f" ({' '.join(r.args)})" if r.args else "")
        cells.append([r.protocol, str(r.n), variant, "textbook" if r.lemmas else "none",
                      r.verdict.upper(), r.how, r.others, str(r.exit_code), fmt_s(r.wall),
                      "–" if r.mypyvy is None else f"{r.mypyvy:g}"])
    out.append(table(header, cells))
    out += ["", summary(rows)]
    if extras:
        out += ["", "## `--max-k` and `--engine kind`", "", *extras]
    return "\n".join(out) + "\n"


def summary(rows: list[Row]) -> str:
    def count(pred) -> str:  # type: ignore[no-untyped-def]
        sel = [r for r in rows if pred(r)]
        ok = [r for r in sel if (r.verdict == "violated") == (r.variant == "buggy")
              and r.verdict in ("proved", "violated")]
        return f"{len(ok)}/{len(sel)}"
    return "\n".join([
        "Summary (decided correctly / runs):",
        f"- fixed, no lemmas, PROVED: {count(lambda r: r.variant == 'fixed' and not r.lemmas)}",
        f"- fixed, textbook lemmas, PROVED: {count(lambda r: r.variant == 'fixed' and r.lemmas)}",
        f"- buggy, VIOLATED: {count(lambda r: r.variant == 'buggy')}",
    ])


_CTI_K = re.compile(r"counterexample to induction at k = (\d+)")
_PROOF = re.compile(r"PROVED\s+\S+\s+(by .*?)(;|$)", re.M)


def extras(timeout: float, ns: list[int]) -> list[str]:
    """`--engine kind --max-k 8` on consensus, and the default engine's use of --max-k."""
    lines = ["`zcheck verify bench/protocols/consensus.zdl -D N=n --engine kind --max-k 8` (no lemmas):", ""]
    cells = []
    for n in ns:
        s = run_child(zcheck("verify", "bench/protocols/consensus.zdl", "-D", f"N={n}", "--engine", "kind",
                             "--max-k", "8"), timeout=timeout)
        cells.append([str(n), verdict_text(s), str(s.returncode), fmt_s(s.wall)])
    lines += [table(["N", "agreement", "exit", "wall s"], cells), ""]
    lines += ["Does the default engine honour `--max-k`? `zcheck verify bench/protocols/consensus.zdl -D N=3 "
              "--max-k K` (text output; the k of the counterexample to induction it reports is the largest "
              "k it tried):", ""]
    cells = []
    for k in (1, 2, 3, 5, 8):
        s = run_child(zcheck("verify", "bench/protocols/consensus.zdl", "-D", "N=3", "--max-k", str(k)),
                      timeout=timeout)
        cells.append([str(k), verdict_text(s), str(s.returncode), fmt_s(s.wall)])
    lines += [table(["--max-k", "agreement", "exit", "wall s"], cells), ""]
    lines += ["The textbook lemmas make Peterson 1-inductive at every N, but the default engine gives each "
              "k-induction query 1 s: `zcheck verify bench/protocols/peterson_lemmas.zdl -D N=n --engine kind`:", ""]
    cells = []
    for n in ns:
        s = run_child(zcheck("verify", "bench/protocols/peterson_lemmas.zdl", "-D", f"N={n}", "--engine", "kind"),
                      timeout=timeout)
        cells.append([str(n), verdict_text(s), str(s.returncode), fmt_s(s.wall)])
    lines += [table(["N", "mutex", "exit", "wall s"], cells)]
    return lines


def verdict_text(s) -> str:  # type: ignore[no-untyped-def]
    if s.timed_out:
        return "timeout"
    m = _PROOF.search(s.stdout)
    if m:
        return "PROVED " + m.group(1)
    m = _CTI_K.search(s.stdout)
    if m:
        return f"HOLDS; counterexample to induction at k = {m.group(1)}"
    return (s.stdout.strip().splitlines() or ["?"])[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", default=[p.name for p in PROTOCOLS], help="protocols to run")
    ap.add_argument("--n", nargs="*", type=int, default=[2, 3, 4, 5])
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before the harness kills one run")
    ap.add_argument("--extras", action="store_true", help="also measure --engine kind and --max-k")
    ap.add_argument("-o", "--output", type=Path, help="write the Markdown here (and the rows to OUTPUT.json)")
    a = ap.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if "PYTHONPATH" in os.environ else "")
    rows: list[Row] = []
    for p in PROTOCOLS:
        if p.name not in a.only:
            continue
        for n in a.n:
            for buggy in (False, True):
                for lemmas in (False, True):
                    r = run_one(p, n, buggy, lemmas, a.timeout)
                    print(f"{r.protocol} N={n} {r.variant} lemmas={lemmas}: {r.verdict} {r.how} "
                          f"({r.wall:.1f} s)", file=sys.stderr, flush=True)
                    rows.append(r)
    more = extras(a.timeout, a.n) if a.extras else []
    text = render(rows, more, a.timeout)
    if a.output is None:
        sys.stdout.write(text)
    else:
        a.output.write_text(text)
        a.output.with_suffix(".json").write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")


if __name__ == "__main__":
    main()
