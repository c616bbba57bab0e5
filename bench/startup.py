"""Benchmark: start-to-exit times of whole commands, beside the interpreter's own.

`python -c pass` is the floor every command pays (on this machine the site packages'
.pth hooks make it a large part); `zcheck check` on a generated 300-line model must
stay under 0.2 s, and `zcheck verify` of the bundled seed model under 0.5 s (issue 17).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import fmt_s, median, run_child, table, zcheck

CHECK_TARGET, VERIFY_TARGET = 0.2, 0.5  # issue 17


def model_300_lines() -> str:
    return model_lines(300, 24)


def model_lines(total: int, actions: int) -> str:
    """A well-typed model of `total` lines: `actions` actions of 11 lines over 4 maps and
    a scalar, and invariants (the shape of the library models, written out longer)."""
    lines = [f"model startup{total}", "enum kind_t { NONE, RAM, DEVICE }", "const SECTION: int = 0x8000",
             "var kind: map[int] kind_t = NONE", "var reserved: map[int] bool = false",
             "var buddy: map[int] bool = false", "var online: map[int] bool = false", "var max_pfn: int = 0", ""]
    for i in range(actions):
        lines += [f"action step{i}(start: int, nr: int) {{",
                  "  require start >= 0 && nr > 0 && start % SECTION == 0",
                  "  require forall p in start .. start + nr :: kind[p] == NONE",
                  f"  kind[start .. start + nr] := {'RAM' if i % 2 else 'DEVICE'}",
                  "  reserved[start .. start + nr] := true",
                  "  if start + nr > max_pfn {",
                  "    max_pfn := start + nr",
                  "  }",
                  f"  online[start .. start + nr] := {'true' if i % 3 else 'false'}",
                  "}",
                  ""]
    while len(lines) < total - 2:
        n = len(lines)
        lines.append(f"invariant inv{n}: forall p: int :: buddy[p] -> kind[p] == RAM && !reserved[p]")
    lines += ["invariant max_pfn_nonneg: max_pfn >= 0", ""]
    return "\n".join(lines[:total]) + "\n"


def measure(reps: int, quick: bool = False) -> list[tuple[str, float, float, bool | None]]:
    """Medians of `reps` runs; the 2,000-line rows run once (the verify takes minutes,
    and is left out of --quick)."""
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "startup300.zdl"
        big.write_text(model_300_lines())
        huge = Path(d) / "model2000.zdl"
        huge.write_text(model_lines(2000, 150))
        runs = [
            ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], None, 0),
            ("zcheck check, 300-line model", zcheck("check", str(big)), CHECK_TARGET, 0),
            ("zcheck check models/zone_device_max_pfn.zdl", zcheck("check", "models/zone_device_max_pfn.zdl"), None, 0),
            ("zcheck verify models/zone_device_max_pfn.zdl", zcheck("verify", "models/zone_device_max_pfn.zdl"),
             VERIFY_TARGET, 1),
            ("zcheck verify bench/models/seed.zdl (README's short model)", zcheck("verify", "bench/models/seed.zdl"),
             None, 1),
            ("zcheck check, 2,000-line model (150 actions)", zcheck("check", str(huge)), None, 0),
            ("zcheck verify --engine bmc --depth 2, 2,000-line model", zcheck("verify", str(huge), "--engine", "bmc",
                                                                          "--depth", "2"), None, 0),
        ]
        if quick:
            runs = runs[:-1]
        out = []
        for label, argv, target, want in runs:
            t, mib = timed(label, argv, want, 1 if "2,000" in label else reps)
            out.append((label, t, mib, None if target is None else t <= target))
        return out


def timed(label: str, argv: list[str], want: int, n: int, timeout: float = 900) -> tuple[float, float]:
    """Median wall seconds and peak MiB of `n` whole processes; fails the run unless each
    exits with `want`."""
    samples = [run_child(argv, timeout=timeout) for _ in range(n)]
    if any(s.returncode != want for s in samples):
        raise SystemExit(f"{label}: exit {[s.returncode for s in samples]}, expected {want}")
    return median([s.wall for s in samples]), median([s.peak_mib for s in samples])


def markdown(rows: list[tuple[str, float, float, bool | None]]) -> str:
    floor = rows[0][1]
    body = [[label, fmt_s(t), fmt_s(t - floor), f"{mib:.0f}",
             {None: "", True: "met", False: "missed"}[ok]] for label, t, mib, ok in rows]
    return table(["command", "seconds (median)", "above the floor", "peak MiB", "target"], body)
