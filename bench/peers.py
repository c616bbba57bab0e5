"""Benchmark: zcheck's BMC against hand-written Z3 encodings of the same models.

Each peer (bench/handwritten/*_z3.py) is the transition system of a bench/models/*.zdl
written directly against the z3 API. Both sides run BMC to the same depth in fresh
processes, alternating, and must report the same shortest violation depth for every
property, or the benchmark fails (a wrong answer is not a fast one). The time compared
is each engine's own (encoding + solving; start-up and parsing excluded), the median
of the repetitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from common import Sample, fmt_s, median, run_child, table, worker

# (label, zdl model, -D defines, hand-written peer, bug flag of the peer, depths (full), depths (quick)).
# hotplug4's range actions make plain BMC of its three safe invariants grow about 4x per
# step on both sides (depth 4: 3-6 s; depth 8 did not finish in 14 minutes on either), so
# it is measured at the depths both can reach.
CASES = (
    ("seed (S1, RFC 2015)", "bench/models/seed.zdl", {}, "seed", False, (4, 8, 12), (4, 8, 12)),
    ("seed, max_pfn updated for devices", "bench/models/seed.zdl", {"SKIP_DEVICE_MAXPFN": "false"}, "seed", True,
     (4, 8, 12), (4, 8, 12)),
    ("hotplug4 (5 actions, 3 maps), fixed", "bench/models/hotplug4.zdl", {}, "hotplug4", False,
     (2, 3, 4, 5), (2, 3, 4)),
    ("hotplug4, online accepts devices", "bench/models/hotplug4.zdl", {"BUG_ONLINE_DEVICE": "true"}, "hotplug4", True,
     (2, 3, 4, 5), (2, 3, 4)),
)
TARGET = 1.3


@dataclass(frozen=True)
class Cell:
    label: str
    model: str
    depth: int
    zcheck: list[Sample]
    hand: list[Sample]

    def ratio(self) -> float:
        return median([s.answer["seconds"] for s in self.zcheck]) / median([s.answer["seconds"] for s in self.hand])


def measure(reps: int, quick: bool = False, timeout: float = 900) -> list[Cell]:
    return [cell(case, d, reps, timeout) for case in CASES for d in (case[6] if quick else case[5])]


def cell(case: tuple, depth: int, reps: int, timeout: float = 900) -> Cell:
    """One case of CASES at one depth: both sides, alternating, `reps` times each; fails
    the run unless they report the same violations."""
    label, model, defines, peer, bug = case[:5]
    zs, hs = [], []
    for _ in range(reps):
        zs.append(run_child(worker("zcheck-bmc", model=model, depth=depth, defines=defines), timeout))
        hs.append(run_child(worker("hand", peer=peer, depth=depth, bug=bug), timeout))
    _agree(label, depth, zs + hs)
    return Cell(label, model, depth, zs, hs)


def _agree(label: str, depth: int, samples: list[Sample]) -> None:
    answers = {repr(sorted(s.answer.get("violations", {}).items())) for s in samples}
    if len(answers) != 1 or any(s.returncode != 0 for s in samples):
        raise SystemExit(f"peers disagree or failed on {label} at depth {depth}: {answers}")


def markdown(cells: list[Cell]) -> str:
    rows = []
    for c in cells:
        viol = c.zcheck[0].answer["violations"]
        found = ", ".join(f"{n} @{d}" for n, d in viol.items() if d is not None) or "none"
        rows.append([c.label, str(c.depth), found,
                     fmt_s(median([s.answer["seconds"] for s in c.zcheck])),
                     fmt_s(median([s.answer["seconds"] for s in c.hand])),
                     fmt_s(median([s.answer["solve_time"] for s in c.hand])),
                     f"{c.ratio():.2f}",
                     f"{median([s.answer['peak_mib'] for s in c.zcheck]):.0f} / "
                     f"{median([s.answer['peak_mib'] for s in c.hand]):.0f}"])
    totals = []
    for model in sorted({c.model for c in cells}):
        mine = [c for c in cells if c.model == model]
        top = max(c.depth for c in mine)
        z = sum(median([s.answer["seconds"] for s in c.zcheck]) for c in mine if c.depth == top)
        h = sum(median([s.answer["seconds"] for s in c.hand]) for c in mine if c.depth == top)
        verdict = "met" if z <= TARGET * h else "missed"
        totals.append(f"- {model}, both variants at depth {top}: zcheck {fmt_s(z)} s, hand-written {fmt_s(h)} s, "
                      f"ratio {z / h:.2f} (target <= {TARGET}: {verdict}).")
    return "\n".join([
        table(["model", "depth", "violations (both agree)", "zcheck s", "hand-written s",
               "hand-written solver s", "ratio", "peak MiB zcheck / hand"], rows),
        "",
        *totals,
    ])
