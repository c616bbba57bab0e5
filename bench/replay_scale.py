"""Benchmark: `zcheck replay` time against the size of the trace file.

Traces of N states of a model with a map (every state saved whole, up to 40 segments)
are replayed; the time per MB must stay flat as N grows (replay is linear in the file).
A 4 MB trace used to take 136 s: every value read searched the file from its start.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import fmt_s, run_child, table, zcheck  # noqa: E402
from test_replay import BIG, _big_trace  # noqa: E402

SIZES = (1000, 2000, 4000, 8000)


def measure(sizes: tuple[int, ...] = SIZES) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "big.zdl"
        model.write_text(BIG)
        for n in sizes:
            trace = Path(tmp) / f"t{n}.json"
            trace.write_text(json.dumps(_big_trace(n), indent=1))
            mb = trace.stat().st_size / 1e6
            run = run_child(zcheck("replay", str(model), str(trace)))
            assert run.returncode == 0, run.stdout
            rows.append([f"{n:,}", f"{mb:.1f}", fmt_s(run.wall), f"{run.wall / mb:.2f}", f"{run.peak_mib:.0f}"])
    return rows


def markdown(rows: list[list[str]]) -> str:
    return table(["states", "MB", "replay s (whole process)", "s per MB", "peak MiB"], rows)


if __name__ == "__main__":
    print(markdown(measure()))
