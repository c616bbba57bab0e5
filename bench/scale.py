"""Benchmark: the scale targets of issue 17, each measured in this run.

Rows: BMC to depth 30 on every model of models/ (default constants, every invariant and
assert; bench/worker.py's engine time and the process's peak memory); BMC to depth 20
on the pfn walker with its processes; a generated 2,000-line model (150 actions, 340
invariants) verified by BMC to depth 5 as a whole `zcheck verify` process; start-up of
`zcheck verify` on the seed model and of `zcheck check` on a 300-line model (whole
processes, medians); zcheck's BMC against the hand-written Z3 twin of the seed model
(both variants, depths 12 and 20, side by side, the same violations or the run fails);
and the test suite as the README runs it (`python -m pytest -q`, whole process, full
run only). A figure over its cap is shown as such. The figures of each full run are
kept in bench/data/scale.json; the "previous" column is that file's figure from the
run before (its commit named under the table).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import peers
from common import ROOT, fmt_s, machine, median, run_child, table, worker, zcheck
from startup import CHECK_TARGET, VERIFY_TARGET, model_300_lines, model_lines, timed

SAVED = ROOT / "bench" / "data" / "scale.json"
CAP = 120.0  # seconds per BMC measurement
SUITE_CAP = 1800.0


@dataclass(frozen=True)
class Row:
    """One figure: what was measured, its value (None: not obtained, `failure` says why),
    the peak memory (MiB, when it has a target), the targets, whether they are met, and
    whether the value is a ratio rather than seconds."""

    key: str
    label: str
    value: float | None
    peak_mib: float | None
    target: str
    met: bool
    ratio: bool = False
    failure: str = ""

    def shown(self) -> str:
        if self.value is None:
            return self.failure
        body = f"{self.value:.2f}x" if self.ratio else fmt_s(self.value) + " s"
        return body if self.peak_mib is None else f"{body}, {self.peak_mib:.0f} MiB"


def measure(reps: int, quick: bool) -> list[Row]:
    rows = _library_depth30(quick)
    rows.append(_bmc_row("walker20", "BMC depth 20, pfn walker (processes)", "models/pfn_walker_toctou.zdl",
                         {"WALKER": "GET_ONLINE_MEMS"}, 20, 10.0, None))
    rows += _big_and_startup(reps)
    rows += _twins(reps, quick)
    if not quick:
        rows.append(_suite())
    return rows


def _library_depth30(quick: bool) -> list[Row]:
    models = sorted((ROOT / "models").glob("*.zdl"))
    depth = 10 if quick else 30
    return [_bmc_row(f"depth30:{m.name}", f"BMC depth {depth}, `{m.name}`", str(m.relative_to(ROOT)), {}, depth,
                     60.0, 300.0) for m in models]


def _bmc_row(key: str, label: str, model: str, defines: dict[str, str], depth: int, limit: float,
             mib_limit: float | None) -> Row:
    s = run_child(worker("zcheck-bmc", model=model, depth=depth, defines=defines), CAP)
    if s.timed_out or s.returncode != 0:
        why = f"did not finish (> {CAP:.0f} s)" if s.timed_out else f"failed (exit {s.returncode})"
        return Row(key, label, None, None, _target(limit, mib_limit), False, failure=why)
    sec, mib = s.answer["seconds"], s.peak_mib
    undecided = s.answer.get("undecided", [])
    if undecided:
        label += f" ({len(undecided)} unknown)"
    ok = sec < limit and (mib_limit is None or mib < mib_limit) and not undecided
    return Row(key, label, sec, mib if mib_limit is not None else None, _target(limit, mib_limit), ok)


def _target(limit: float, mib: float | None) -> str:
    return f"< {limit:g} s" + ("" if mib is None else f", < {mib:g} MiB")


def _big_and_startup(reps: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as d:
        big, small = Path(d) / "model2000.zdl", Path(d) / "model300.zdl"
        big.write_text(model_lines(2000, 150))
        small.write_text(model_300_lines())
        s = run_child(zcheck("verify", str(big), "--engine", "bmc", "--depth", "5"), CAP)
        ok = not s.timed_out and s.returncode == 0
        why = f"did not finish (> {CAP:.0f} s)" if s.timed_out else f"failed (exit {s.returncode})"
        rows = [Row("big2000", "2,000-line model, `zcheck verify --engine bmc --depth 5` (whole process)",
                    s.wall if ok else None, s.peak_mib if ok else None, "< 5 s, < 200 MiB",
                    ok and s.wall < 5 and s.peak_mib < 200, failure=why)]
        for key, label, argv, want, limit in (
                ("verify_seed", "`zcheck verify models/zone_device_max_pfn.zdl` (whole process, median)",
                 zcheck("verify", "models/zone_device_max_pfn.zdl"), 1, VERIFY_TARGET),
                ("check300", "`zcheck check` 300-line model (whole process, median)",
                 zcheck("check", str(small)), 0, CHECK_TARGET)):
            t, _ = timed(label, argv, want, max(reps, 5), 60)
            rows.append(Row(key, label, t, None, f"< {limit:g} s", t < limit))
    return rows


def _twins(reps: int, quick: bool) -> list[Row]:
    rows = []
    for depth, limit in ((12, 0.8),) if quick else ((12, 0.8), (20, 1.0)):
        cells = [peers.cell(case, depth, reps) for case in peers.CASES if case[1] == "bench/models/seed.zdl"]
        z_total = sum(median([x.answer["seconds"] for x in c.zcheck]) for c in cells)
        h_total = sum(median([x.answer["seconds"] for x in c.hand]) for c in cells)
        ratio = z_total / h_total
        rows.append(Row(f"twin{depth}", f"zcheck / hand-written Z3 twin, seed model, both variants, depth {depth} "
                        f"({z_total:.2f} s / {h_total:.2f} s)", ratio, None, f"<= {limit:g}x", ratio <= limit,
                        ratio=True))
    return rows


def _suite() -> Row:
    s = run_child([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], SUITE_CAP)
    ok = not s.timed_out and s.returncode == 0
    label = "test suite, `python -m pytest -q` (whole process, 2 workers)"
    summary = next((line.strip("= ") for line in reversed(s.stdout.splitlines()) if " in " in line), "")
    if not ok:
        label += f" (exit {s.returncode}{', stopped at the cap' if s.timed_out else ''}: {summary})"
    return Row("suite", label, s.wall, None, "< 180 s", ok and s.wall < 180)


def markdown(rows: list[Row], quick: bool) -> str:
    before = {} if quick else _load()  # a quick run measures other depths: nothing to compare
    prev = before.get("figures", {})
    body = [[r.label, _prev(prev.get(r.key)), r.shown(), r.target, "met" if r.met else "missed"] for r in rows]
    met = sum(r.met for r in rows)
    lines = [table(["figure", "previous", "now", "target", "met"], body), "",
             f"{met} of {len(rows)} figures meet their target."]
    if before:
        lines.append(f"Previous: the full run at commit {before.get('commit', '?')}.")
    if not quick:
        _save(rows)
    return "\n".join(lines)


def _prev(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _load() -> dict:
    try:
        return json.loads(SAVED.read_text())
    except (OSError, ValueError):
        return {}


def _save(rows: list[Row]) -> None:
    data = {"commit": machine()["commit"], "figures": {r.key: r.value for r in rows}}
    tmp = SAVED.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(SAVED)
