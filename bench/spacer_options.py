"""Benchmark: Spacer's options, alone and as a small portfolio, and PDR's rlimit budgets.

    python bench/spacer_options.py run [--budget N] [--configs A,B] [--seeds-of NAME] [--only T] [--skip T] [-j N]
    python bench/spacer_options.py report [--out FILE]
    python bench/spacer_options.py determinism

`run` measures PDR (`checker.pdr.run_pdr`, exactly as zcheck runs it: the property's
cone, clauses fed to Spacer in a fresh Z3 context, the invariant re-checked) with one
Spacer configuration at a time and a fixed budget in Z3 resource units (rlimit), on
every safety property of

- every library model (models/*.zdl) in each fixed variant: the defines and scenario of
  each `check ... expect holds|proved` directive (properties those directives name are
  marked "expected"; the others of the variant are measured too, some are violated);
- the concurrent models: bench/models/memmap_publish_race.zdl (issue 15's race),
  bench/models/three_instances.zdl, and the models of tests/test_concurrency_v2.py.

Each cell records the outcome (`PdrStatus`), the rlimit units Spacer used, the wall time
of the attempt (Spacer and re-check; noisy, secondary) and a hash of the certificate.
Queries whose SMT-LIB text is identical (the same cone in two variants) are solved once:
the answer is a function of the text (see `determinism`). One child process per model
variant; results are appended to bench/data/spacer_options.jsonl, so a run resumes.

`report` prints Markdown: per configuration the properties proved and the rlimit spent;
portfolios "A within b units, then B with the rest", simulated exactly from the
single-configuration cells (a budget does not change Spacer's search, only where it
stops: measured, see `determinism`); and the properties on which configurations differ.
The default is chosen by most properties proved, then least total rlimit.

`determinism` runs the default configuration on the library's fixed variants in four
child processes: plain, PYTHONHASHSEED=1, after a BMC run in the same process, and beside
two processes that burn CPU; outcomes, rlimit and certificate hashes must be identical.
"""

from __future__ import annotations

import argparse
import ast as pyast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "spacer_options.jsonl"
BUDGET = 100_000_000  # rlimit units per property and configuration (about 40 s on the Xeon)
WALL_CAP = 600.0  # seconds: the safety net of one attempt (never reached in the recorded runs)

CONFIGS: dict[str, tuple[tuple[str, bool | int], ...]] = {
    "defaults": (),
    "ground_pobs=false": (("fp.spacer.ground_pobs", False),),
    "q3.use_qgen": (("fp.spacer.q3.use_qgen", True),),
    "qgen+ground_pobs=false": (("fp.spacer.q3.use_qgen", True), ("fp.spacer.ground_pobs", False)),
    "current": (("fp.spacer.q3.use_qgen", True), ("fp.spacer.ground_pobs", False), ("fp.spacer.mbqi", False),
                ("fp.spacer.use_euf_gen", True)),
    "current-euf_gen": (("fp.spacer.q3.use_qgen", True), ("fp.spacer.ground_pobs", False),
                        ("fp.spacer.mbqi", False)),
    "current+mbqi": (("fp.spacer.q3.use_qgen", True), ("fp.spacer.ground_pobs", False),
                     ("fp.spacer.use_euf_gen", True)),
}
SEEDS = (1, 2, 3)


def config_options(name: str) -> tuple[tuple[str, bool | int], ...]:
    """`NAME` or `NAME@seedN` (spacer.random_seed = N on top of NAME's options)."""
    base, _, seed = name.partition("@seed")
    opts = CONFIGS[base]
    return opts + ((("fp.spacer.random_seed", int(seed)),) if seed else ())


# ------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    group: str  # "library" | "concurrent"
    label: str  # model file and defines, as shown in the tables
    path: str
    defines: tuple[tuple[str, str], ...] = ()
    scenario: str | None = None
    text: str | None = None  # inline model (tests/test_concurrency_v2.py)
    expected: tuple[str, ...] = ()  # properties a directive expects to hold (or be proved) here


def _value_text(e) -> str:  # type: ignore[no-untyped-def]
    from zcheck.testing import override_text

    return override_text(e)


def library_cases() -> list[Case]:
    from zcheck.spec.frontend import check_file

    out = []
    for path in sorted((ROOT / "models").glob("*.zdl")):
        variants: dict[tuple, list[str]] = {}  # type: ignore[type-arg]
        for c in check_file(str(path)).checks:
            if c.expect in ("holds", "proved"):
                key = (tuple((o.name, _value_text(o.value)) for o in c.overrides), c.scenario)
                variants.setdefault(key, []).append(c.target)
        for (defines, scenario), targets in variants.items():
            label = path.name + "".join(f" {n}={v}" for n, v in defines) + (f" under {scenario}" if scenario else "")
            out.append(Case("library", label, str(path.relative_to(ROOT)), defines, scenario, None, tuple(targets)))
    return out


def concurrent_cases() -> list[Case]:
    out = []
    for name in ("memmap_publish_race.zdl", "three_instances.zdl"):
        path = ROOT / "bench" / "models" / name
        from zcheck.spec.frontend import check_file

        expected = tuple(c.target for c in check_file(str(path)).checks
                         if c.expect in ("holds", "proved") and not c.overrides)
        out.append(Case("concurrent", name, str(path.relative_to(ROOT)), expected=expected))
    tests = ROOT / "tests" / "test_concurrency_v2.py"
    for node in pyast.parse(tests.read_text()).body:
        if (isinstance(node, pyast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], pyast.Name)
                and isinstance(node.value, pyast.Constant) and isinstance(node.value.value, str)
                and "process " in node.value.value and node.value.value.lstrip().startswith("model")):
            name = node.targets[0].id
            out.append(Case("concurrent", f"test_concurrency_v2.{name}", f"{name}.zdl", text=node.value.value))
    return out


def all_cases() -> list[Case]:
    return library_cases() + concurrent_cases()


# ------------------------------------------------------------------ the child


def _query_hash(system, prop) -> str:  # type: ignore[no-untyped-def]
    """The SMT-LIB text Spacer gets for `prop` (its cone), hashed: equal hashes, equal answers."""
    import z3

    from zcheck.checker import pdr
    from zcheck.system.cone import slice_system

    cl = pdr.clauses(slice_system(system, [prop]), prop)
    printer = z3.Solver()
    for c in (cl.init, cl.step, cl.query):
        printer.add(pdr._closed(c))
    names: dict[str, str] = {}  # the printer names shared subterms after their ids: renumber
    text = re.sub(r"[$?]x\d+", lambda m: names.setdefault(m.group(0), f"{m.group(0)[0]}x{len(names)}"),
                  printer.to_smt2())
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _expected(case: Case, name: str) -> bool:
    return name in case.expected or "*" in case.expected


def child(case: Case, configs: list[str], budget: int, pollute: bool = False, known: str | None = None) -> None:
    """Print one JSON line per (property, configuration) of `case`. `known`: a file with
    the cells already measured, by query hash and configuration (copied instead of
    solved), and by "property configuration" (skipped)."""
    from zcheck import api
    from zcheck.checker import pdr

    cache = json.loads(Path(known).read_text()) if known else {}
    skip = set(cache.pop("skip", []))

    system = api.build(case.path, dict(case.defines), case.scenario, text=case.text)
    if pollute:  # solve something else in the main context first (see `determinism`)
        api.verify_system(system, api.select(system, None), 3, engine="bmc")
    for prop in system.properties:
        if prop.kind == "cover":
            continue
        qh = _query_hash(system, prop)
        for name in configs:
            if f"{prop.name} {name}" in skip:
                continue
            old = cache.get(f"{qh} {name}")
            if old is not None:
                print(json.dumps({**old, "budget": budget, "case": case.label, "group": case.group, "prop": prop.name,
                                  "expected": _expected(case, prop.name), "reused": True}), flush=True)
                continue
            plan = ((pdr.SpacerConfig(name, config_options(name)), 1.0),)
            t0 = time.perf_counter()
            try:
                a = pdr.run_pdr(system, prop, budget, wall_clock=WALL_CAP, plan=plan)
                status, used, reason = a.status.value, a.rlimit, (a.stages[-1].reason if a.stages else "")
                cert = a.proof.certificate[0] if a.proof is not None else ""
                checked = a.recheck_rlimit
            except Exception as exc:  # noqa: BLE001 - recorded, not hidden
                status, used, reason, cert, checked = "error", 0, f"{type(exc).__name__}: {exc}"[:200], "", 0
            row = {"case": case.label, "group": case.group, "prop": prop.name, "config": name, "budget": budget,
                   "status": status, "rlimit": used, "recheck_rlimit": checked, "seconds": round(time.perf_counter() - t0, 3),
                   "reason": reason[:120], "cert": hashlib.sha1(cert.encode()).hexdigest()[:12] if cert else "",
                   "query": qh, "expected": _expected(case, prop.name)}
            print(json.dumps(row), flush=True)


# ------------------------------------------------------------------ the parent


def load(path: Path = DATA) -> list[dict]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for r in rows:  # recorded before pdr read "push canceled" past the rlimit as the budget
        if r["status"] == "wall-clock" and r["rlimit"] >= r["budget"] and r["seconds"] < WALL_CAP:
            r["status"] = "budget"
    return rows


def _spawn(case: Case, configs: list[str], budget: int, env: dict[str, str] | None = None,
           pollute: bool = False, known: str | None = None, sink=None) -> list[dict]:  # type: ignore[no-untyped-def]
    arg = json.dumps({"case": asdict(case), "configs": configs, "budget": budget, "pollute": pollute,
                      "known": known})
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    rows = []
    with subprocess.Popen([sys.executable, __file__, "child", arg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, cwd=ROOT) as p:
        assert p.stdout is not None and p.stderr is not None
        for line in p.stdout:
            if line.startswith("{"):
                rows.append(json.loads(line))
                if sink is not None:
                    sink(rows[-1])
        err = p.stderr.read()
    if p.returncode != 0:
        print(f"{case.label}: child exited {p.returncode}: {err.strip()[-300:]}", file=sys.stderr)
    return rows


def effective(row: dict, budget: int) -> dict | None:
    """`row` as it would be with `budget`: a cell measured with a larger budget is cut
    at `budget` (exact: a budget only decides where Spacer stops, not what it does
    before; see `determinism`), and one that ended on its own below `budget` stands.
    None: measured with a smaller budget, which ran out."""
    if row["budget"] >= budget:
        if row["status"] == "proved" and row["rlimit"] <= budget:
            return row
        if row["rlimit"] <= budget and row["status"] != "budget":
            return row
        return {**row, "status": "budget", "rlimit": budget, "cert": "", "reason": "(cut from a larger budget)",
                "seconds": round(row["seconds"] * budget / max(1, row["rlimit"]), 3)}  # wall time pro rata
    return row if row["status"] != "budget" else None


def run(configs: list[str], budget: int, jobs: int, only: str | None, skip: str | None = None) -> None:
    cases = [c for c in all_cases() if (only is None or only in c.label) and (skip is None or skip not in c.label)]
    DATA.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def sink(row: dict) -> None:
        with lock, DATA.open("a") as fh:
            fh.write(json.dumps(row) + "\n")

    def one(case: Case) -> None:
        with lock:
            rows = load()
        have = {f"{r['prop']} {r['config']}" for r in rows if r["case"] == case.label
                and effective(r, budget) is not None}
        known = {f"{r['query']} {r['config']}": r for r in rows if effective(r, budget) is not None
                 and not r.get("reused")}
        known = {k: effective(r, budget) for k, r in known.items()}
        todo = configs
        t0 = time.monotonic()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump({**known, "skip": sorted(have)}, fh)
        try:
            got = _spawn(case, todo, budget, known=fh.name, sink=sink)
        finally:
            os.unlink(fh.name)
        if got:
            proved = sum(r["status"] == "proved" for r in got)
            print(f"{case.label}: {len(got)} cells, {proved} proved, {time.monotonic() - t0:.0f} s", file=sys.stderr,
                  flush=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, cases))


# ------------------------------------------------------------------ the report


def _m(units: int) -> str:
    return f"{units / 1e6:.1f}M" if units >= 100_000 else f"{units / 1e6:.2f}M"


def cells(rows: list[dict], budget: int) -> dict[tuple[str, str], dict[str, dict]]:
    """(case, property) -> configuration -> cell, as it is with `budget`."""
    out: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        e = effective(r, budget)
        if e is not None:
            out.setdefault((r["case"], r["prop"]), {})[r["config"]] = e
    return out


def within(cell: dict, b: int) -> tuple[bool, int]:
    """Cell run with a budget of b units instead: (proved, units used). Exact, because
    a budget only decides where Spacer stops, not what it does before."""
    if cell["status"] == "proved" and cell["rlimit"] <= b:
        return True, cell["rlimit"]
    return False, min(cell["rlimit"], b)


def portfolio(table: dict, first: str, b: int, second: str, budget: int) -> tuple[int, int, list]:
    """`first` within b units, then `second` with what is left of `budget`."""
    proved, total, which = 0, 0, []
    for key, by in table.items():
        if first not in by or second not in by:
            continue
        ok, used = within(by[first], b)
        if not ok and by[first]["status"] not in ("reachable", "unsupported"):
            ok2, used2 = within(by[second], budget - used)
            ok, used = ok2, used + used2
            if ok2:
                which.append(key)
        proved += ok
        total += used
    return proved, total, which


def summary(table: dict, configs: list[str], budget: int) -> list[str]:
    lines = ["| configuration | proved: library (expected) | concurrent (expected) | total | rlimit, proofs | "
             "rlimit, all (failures at their cost) | seconds, all |",
             "|---|---|---|---|---|---|---|"]
    for name in configs:
        got = [(k, by[name]) for k, by in table.items() if name in by]
        if not got:
            continue
        lib = [c for _, c in got if c["group"] == "library"]
        con = [c for _, c in got if c["group"] == "concurrent"]

        def count(cs: list[dict]) -> str:
            p = [c for c in cs if c["status"] == "proved"]
            return f"{len(p)}/{len(cs)} ({sum(c['expected'] for c in p)}/{sum(c['expected'] for c in cs)})"

        proofs = sum(c["rlimit"] for _, c in got if c["status"] == "proved")
        allr = sum(c["rlimit"] for _, c in got)
        secs = sum(c["seconds"] for _, c in got)
        lines.append(f"| {name} | {count(lib)} | {count(con)} | {sum(c['status'] == 'proved' for _, c in got)} | "
                     f"{_m(proofs)} | {_m(allr)} | {secs:.0f} |")
    return lines


def report(budget: int) -> str:
    rows = load()
    table = cells(rows, budget)
    present = [n for n in list(CONFIGS) + sorted({r["config"] for r in rows} - set(CONFIGS))
               if any(n in by for by in table.values())]
    # the portfolios are compared on the properties every configuration has a cell for
    common = {k: by for k, by in table.items() if all(n in by for n in present)}
    full = present
    out = [f"Budget {budget:,} rlimit units per property and configuration; {len(table)} properties "
           f"({sum(1 for k, by in table.items() if next(iter(by.values()))['group'] == 'library')} library, "
           f"{sum(1 for k, by in table.items() if next(iter(by.values()))['group'] == 'concurrent')} concurrent).",
           "", *summary(table, present, budget), ""]
    # the portfolios: every ordered pair of complete configurations, a few first budgets
    pairs = []
    for a in full:
        for b_ in full:
            if a == b_:
                continue
            for b in (1_000_000, 5_000_000, 10_000_000, 25_000_000):
                p, t, _ = portfolio(common, a, b, b_, budget)
                pairs.append((-p, t, a, b, b_))
    pairs.sort()
    singles = sorted((-sum(by[n]["status"] == "proved" for by in common.values()), n) for n in present)
    out += [f"On the {len(common)} properties every configuration was run on: "
            + ", ".join(f"{n} {-c}" for c, n in singles) + " proved.", "",
            "Portfolios (first configuration within b units, then the second with the rest of the budget), best 12:",
            "", "| first | b | then | proved | rlimit, all |", "|---|---|---|---|---|"]
    for negp, t, a, b, b_ in pairs[:12]:
        out.append(f"| {a} | {_m(b)} | {b_} | {-negp} | {_m(t)} |")
    out += ["", "Properties on which the configurations differ (proved: rlimit units; otherwise the outcome):", ""]
    out.append("| model | property | " + " | ".join(present) + " |")
    out.append("|---|---|" + "---|" * len(present))
    for (case, prop), by in sorted(table.items()):
        if len({by[n]["status"] == "proved" for n in present if n in by}) < 2:
            continue
        row = [case, prop.replace("|", "\\|") + (" (expected)" if next(iter(by.values()))["expected"] else "")]
        for n in present:
            c = by.get(n)
            row.append("" if c is None else (_m(c["rlimit"]) if c["status"] == "proved" else c["status"]))
        out.append("| " + " | ".join(row) + " |")
    proved = [c["rlimit"] for by in table.values() for c in by.values() if c["status"] == "proved"]
    if proved:
        proved.sort()
        q = lambda f: proved[min(len(proved) - 1, int(f * len(proved)))]  # noqa: E731
        out += ["", f"rlimit of the proofs (all configurations): median {_m(q(0.5))}, 90th percentile "
                f"{_m(q(0.9))}, 99th {_m(q(0.99))}, largest {_m(proved[-1])}."]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ determinism


def determinism(config: str, budget: int) -> str:
    """The same cells in five settings; every outcome, rlimit and certificate must agree
    (with a quarter of the budget: agree with the plain cells cut at that budget)."""
    cases = [c for c in library_cases()] + [c for c in concurrent_cases() if c.text is None]
    settings = {"plain": ({}, False, budget), "PYTHONHASHSEED=1": ({"PYTHONHASHSEED": "1"}, False, budget),
                "after BMC in-process": ({}, True, budget), "2 CPU burners": ({}, False, budget),
                "budget / 4": ({}, False, budget // 4)}
    got: dict[str, dict] = {}
    for name, (env, pollute, b) in settings.items():
        burners = []
        if name == "2 CPU burners":
            burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            t0 = time.monotonic()
            rows = [r for c in cases for r in _spawn(c, [config], b, {"PYTHONHASHSEED": "0", **env}, pollute)]
            print(f"{name}: {len(rows)} cells, {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
        finally:
            for p in burners:
                p.kill()
                p.wait()
        got[name] = {(r["case"], r["prop"]): r for r in rows}
    key = lambda r: (r["status"], r["rlimit"], r["cert"])  # noqa: E731
    lines = [f"Configuration `{config}`, budget {budget:,} units.", "",
             "| setting | cells | proved | identical to plain (outcome, rlimit, certificate) |", "|---|---|---|---|"]
    for name, cs in got.items():
        b = settings[name][2]
        base = {k: key(effective(r, b) or r) for k, r in got["plain"].items()}
        same = sum(k in cs and key(cs[k]) == v for k, v in base.items())
        lines.append(f"| {name} | {len(cs)} | {sum(r['status'] == 'proved' for r in cs.values())} | "
                     f"{same}/{len(base)} |")
        for k, v in base.items():
            if k not in cs or key(cs[k]) != v:
                lines.append(f"|   differs: {k[0]} {k[1]} | | | {v} vs {key(cs[k]) if k in cs else None} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["child"]:
        a = json.loads(argv[1])
        child(Case(**{**a["case"], "defines": tuple(map(tuple, a["case"]["defines"])),
                      "expected": tuple(a["case"]["expected"])}), a["configs"], a["budget"], a.get("pollute", False),
              a.get("known"))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--budget", type=int, default=BUDGET)
    r.add_argument("--configs", default=",".join(CONFIGS))
    r.add_argument("--seeds-of", help="also run this configuration with spacer.random_seed = 1, 2, 3")
    r.add_argument("--only", help="only model variants whose label contains this text")
    r.add_argument("--skip", help="leave out model variants whose label contains this text")
    r.add_argument("-j", "--jobs", type=int, default=1)
    p = sub.add_parser("report")
    p.add_argument("--budget", type=int, default=BUDGET)
    p.add_argument("--out", type=Path)
    d = sub.add_parser("determinism")
    d.add_argument("--config", default="current")
    d.add_argument("--budget", type=int, default=BUDGET)
    args = ap.parse_args(argv)
    if args.cmd == "run":
        configs = args.configs.split(",")
        if args.seeds_of:
            configs += [f"{args.seeds_of}@seed{s}" for s in SEEDS]
        run(configs, args.budget, args.jobs, args.only, args.skip)
    elif args.cmd == "report":
        text = report(args.budget)
        if args.out:
            args.out.write_text(text)
        else:
            print(text)
    else:
        print(determinism(args.config, args.budget))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
