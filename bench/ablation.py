"""Benchmark: BMC's optimisations, each switched off in turn and measured.

Each row runs zcheck's BMC (bench/worker.py) with one option of `checker.bmc.Options`
changed, on the same model and depth, in fresh processes; verdicts must not change.
`--jobs` is measured on whole `zcheck verify` processes of a model with many
properties. Optimisations measured once and not switchable at run time (the encoding
of maps as read chains, test-point instantiation of range quantifiers, the C-level
term constructors) are described with their figures in bench/NOTES.md.
"""

from __future__ import annotations

from common import fmt_s, median, run_child, table, worker, zcheck

# (label, model, defines, depth, depth for --quick)
CASES = (
    ("seed", "bench/models/seed.zdl", {}, 12, 8),
    ("section_hotplug", "models/section_hotplug.zdl", {}, 10, 6),
)
OPTIONS = (("hints (known-safe properties added to later depths)", {"hints": False}),)
JOBS_MODEL = "models/memremap_unwind.zdl"


def measure(reps: int, quick: bool) -> list[list[str]]:
    rows = []
    for label, model, defines, depth, qdepth in CASES:
        d = qdepth if quick else depth
        base = [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines), 900) for _ in range(reps)]
        for what, change in OPTIONS:
            off = [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines, options=change), 900)
                   for _ in range(reps)]
            same = {repr(s.answer.get("violations")) for s in base + off}
            if len(same) != 1:
                raise SystemExit(f"ablation changed a verdict on {label}: {same}")
            on_s = median([s.answer["seconds"] for s in base])
            off_s = median([s.answer["seconds"] for s in off])
            rows.append([what, f"{label}, BMC depth {d}", fmt_s(on_s), fmt_s(off_s), f"{off_s / on_s:.2f}x"])
    jobs = {}
    for n in (1, 2):
        samples = [run_child(zcheck("verify", JOBS_MODEL, "--jobs", str(n)), 900) for _ in range(reps)]
        jobs[n] = (median([s.wall for s in samples]), {s.stdout for s in samples})
    if jobs[1][1] != jobs[2][1] or len(jobs[1][1]) != 1:
        raise SystemExit("--jobs 1 and --jobs 2 printed different results")
    rows.append(["--jobs 2 (properties in 2 processes) against --jobs 1", f"{JOBS_MODEL}, zcheck verify",
                 fmt_s(jobs[2][0]), fmt_s(jobs[1][0]), f"{jobs[1][0] / jobs[2][0]:.2f}x"])
    return rows


def markdown(rows: list[list[str]]) -> str:
    return table(["optimisation", "where", "on (s)", "off (s)", "off / on"], rows)
