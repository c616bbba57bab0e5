"""transitions blocks: the static writer check and the run-time implicit property."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASE = """
model flags
enum memmap_t { UNINIT, INIT, POISONED }
var reserved: map[0 .. 4] bool = false
var memmap: map[0 .. 4] memmap_t = UNINIT
transitions reserved {
  set: add_ram
  clear: online_pages
}
transitions memmap {
  UNINIT -> INIT: memmap_init
  INIT -> POISONED: offline_pages
}
action add_ram(p: 0 .. 4) { reserved[p] := true }
action online_pages(p: 0 .. 4) { reserved[p] := false }
action memmap_init(p: 0 .. 4) { require memmap[p] == UNINIT; memmap[p] := INIT }
"""


def run(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    spec = tmp_path / "m.zdl"
    spec.write_text(text)
    return subprocess.run([sys.executable, "-m", "zcheck", *args, str(spec)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_listed_writers_are_accepted_and_proved(tmp_path: Path) -> None:
    text = BASE + "action offline_pages(p: 0 .. 4) { require memmap[p] == INIT; memmap[p] := POISONED }\n"
    proc = run(tmp_path, text, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PROVED       transitions(memmap)" in proc.stdout


def test_clearing_a_flag_only_another_action_may_clear_is_rejected(tmp_path: Path) -> None:
    text = BASE + "action add_dev(p: 0 .. 4) { reserved[p] := false }\n" + \
        "action offline_pages(p: 0 .. 4) { memmap[p] := POISONED }\n"
    proc = run(tmp_path, text, "check")
    assert proc.returncode == 2
    assert "error[ZC502]" in proc.stderr and "add_dev" in proc.stderr


def test_literal_write_outside_the_writers_edges_is_rejected(tmp_path: Path) -> None:
    text = BASE.replace("action add_ram(p: 0 .. 4) { reserved[p] := true }",
                        "action add_ram(p: 0 .. 4) { reserved[p] := false }")
    text += "action offline_pages(p: 0 .. 4) { memmap[p] := POISONED }\n"
    proc = run(tmp_path, text, "check")
    assert proc.returncode == 2
    assert "error[ZC502]" in proc.stderr


def test_unlisted_edge_at_run_time_is_violated_with_key_and_values(tmp_path: Path) -> None:
    # offline_pages may take INIT -> POISONED only, but nothing stops it from UNINIT
    text = BASE + "action offline_pages(p: 0 .. 4, v: memmap_t) { memmap[p] := v }\n"
    proc = run(tmp_path, text, "verify", "--engine", "bmc", "--depth", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"VIOLATED +transitions\(memmap\) +at depth 1", out)
    assert "step 1  offline_pages(" in out
    assert "with key = 0" in out
    assert "memmap[0]: UNINIT -> " in out and "is not an edge `offline_pages` may take" in out


def test_lifecycle_warnings_zc901_and_exact_untaken_edges_zc902() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = str(root / "tests" / "lifecycle" / "untaken_edges.zdl")
    check = subprocess.run([sys.executable, "-m", "zcheck", "check", spec], capture_output=True, text=True)
    assert check.returncode == 0
    assert "warning[ZC901]: state `ZOMBIE` of `memmap` is unreachable" in check.stderr
    proc = subprocess.run([sys.executable, "-m", "zcheck", "verify", spec, "--edges", "--depth", "4"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    untaken = sorted(line for line in proc.stderr.splitlines() if line.startswith("warning[ZC902]"))
    assert len(untaken) == 3
    assert any("`POISONED -> INIT` of `memmap` (online)" in line for line in untaken)
    assert any("`INIT -> POISONED` of `memmap` (offline)" in line for line in untaken)
    assert any("`ZOMBIE -> GONE`" in line for line in untaken)
    assert not any("GONE -> POISONED" in line for line in untaken)  # add takes it at depth 1


def test_edge_coverage_gives_shortest_depths() -> None:
    from zcheck.api import build
    from zcheck.checker.edges import edge_coverage
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    system = build(str(root / "models" / "pfn_walker_toctou.zdl"))
    got = {(e.var, e.src, e.dst): e.taken_at for e in edge_coverage(system, 4)}
    # memmap: GONE(0) -> POISONED(1) by add_memory at step 1, then INIT(2) by online_pages,
    # back to POISONED by offline_pages, GONE by remove_memory (3 steps from a POISONED one)
    assert got[("memmap", 0, 1)] == 1
    assert got[("memmap", 1, 2)] == 2
    assert got[("memmap", 2, 1)] == 1  # boot section 0 is INIT: offline_pages at step 1
    assert got[("memmap", 1, 0)] == 2
