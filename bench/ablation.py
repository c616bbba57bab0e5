"""Benchmark: BMC's optimisations, each switched off in turn and measured.

Each BMC row runs zcheck's BMC (bench/worker.py) with one option of `checker.bmc.Options`
changed, on the same model and depth, in fresh processes; verdicts must not change.
The cone-of-influence row runs PDR on every property of a model, per property on its
cone or on the whole system, with a time limit per property; the properties proved
are listed (the cone must prove every one the whole system does; full run only). `--jobs` is measured on whole `zcheck verify` processes of a model with many
properties. Optimisations measured once and not switchable at run time (the encoding
of maps as read chains, test-point instantiation of range quantifiers, the C-level
term constructors) are described with their figures in bench/NOTES.md.
"""

from __future__ import annotations

from common import fmt_s, median, run_child, table, worker, zcheck

# (what, option switched off, [(label, model, defines, depth, depth for --quick)])
SEED = ("seed", "bench/models/seed.zdl", {}, 12, 8)
SECTION = ("section_hotplug", "models/section_hotplug.zdl", {}, 10, 6)
LIBRARY_SEED = ("zone_device_max_pfn", "models/zone_device_max_pfn.zdl", {}, 8, 6)
BLOCK_LOCKS = ("memory_block_locks", "models/memory_block_locks.zdl", {}, 12, 8)
PETERSON = ("peterson N = 3, buggy", "bench/protocols/peterson.zdl", {"N": "3", "BUG": "1"}, 12, 8)
OPTIONS = (
    ("hints (known-safe properties added to later depths)", {"hints": False}, (SEED, SECTION)),
    ("range-guard instances at the queries' witnesses", {"guard_hints": False}, (SEED, LIBRARY_SEED)),
    ("partial-order reduction (one order of adjacent independent steps)", {"por": False}, (BLOCK_LOCKS, PETERSON)),
)
JOBS_MODEL = "models/memremap_unwind.zdl"
CONE_MODEL = "models/memremap_unwind.zdl"
CONE_DEFINES = {"HOTPLUG_LOCK": "true", "WAIT_BEFORE_REMOVE": "true", "UNTRACK_ON_RANGE_CHECK": "true",
                "READ_PFN_FIRST": "true"}  # every fix on: all 14 safety properties hold
SLOW = 20.0  # seconds: a run this slow is measured once


def measure(reps: int, quick: bool) -> list[list[str]]:
    rows = []
    for what, change, cases in OPTIONS:
        for label, model, defines, depth, qdepth in cases:
            d = qdepth if quick else depth
            base = [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines), 900) for _ in range(reps)]
            off = [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines, options=change), 900)
                   for _ in range(reps)]
            same = {repr(s.answer.get("violations")) for s in base + off}
            if len(same) != 1:
                raise SystemExit(f"ablation changed a verdict on {label}: {same}")
            on_s = median([s.answer["seconds"] for s in base])
            off_s = median([s.answer["seconds"] for s in off])
            rows.append([what, f"{label}, BMC depth {d}", fmt_s(on_s), fmt_s(off_s), f"{off_s / on_s:.2f}x"])
    if not quick:  # the whole-system side takes about 3 minutes (3 properties run into the limits)
        rows.append(_cone(reps, per_prop=20.0))
    jobs = {}
    for n in (1, 2):
        samples = [run_child(zcheck("verify", JOBS_MODEL, "--jobs", str(n)), 900) for _ in range(reps)]
        jobs[n] = (median([s.wall for s in samples]), {s.stdout for s in samples})
    if jobs[1][1] != jobs[2][1] or len(jobs[1][1]) != 1:
        raise SystemExit("--jobs 1 and --jobs 2 printed different results")
    rows.append(["--jobs 2 (properties in 2 processes) against --jobs 1", f"{JOBS_MODEL}, zcheck verify",
                 fmt_s(jobs[2][0]), fmt_s(jobs[1][0]), f"{jobs[1][0] / jobs[2][0]:.2f}x"])
    return rows


def _cone(reps: int, per_prop: float) -> list[str]:
    """PDR on each property's cone of influence against PDR on the whole system."""
    runs = {}
    for cone in (True, False):
        task = worker("zcheck-pdr", model=CONE_MODEL, defines=CONE_DEFINES, cone=cone, per_prop=per_prop)
        samples = [run_child(task, 1800)]
        if samples[0].answer["seconds"] < SLOW:
            samples += [run_child(task, 1800) for _ in range(reps - 1)]
        runs[cone] = (median([s.answer["seconds"] for s in samples]), samples[0].answer["proved"])
    if not set(runs[False][1]) <= set(runs[True][1]):
        raise SystemExit(f"the cone of influence lost a PDR proof: {runs}")
    total = len(runs[True][1])
    return ["cone of influence per property (PDR)",
            f"{CONE_MODEL} with every fix on, PDR on each of its properties (Spacer limit {per_prop:.0f} s, "
            "re-check limit 60 s)",
            f"{fmt_s(runs[True][0])} ({total} proved)", f"{fmt_s(runs[False][0])} ({len(runs[False][1])} proved)",
            f"{runs[False][0] / runs[True][0]:.2f}x"]


def markdown(rows: list[list[str]]) -> str:
    return table(["optimisation", "where", "on (s)", "off (s)", "off / on"], rows)
