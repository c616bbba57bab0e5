"""Reproducibility: nothing that reaches a solver depends on Python's hash order.

Every bundled model is built (front end and lowering) under two PYTHONHASHSEED values
and the whole IR (variables, transitions, properties) must come out identical; a
`deadlock` property whose wait-for cycles were listed in networkx's set order changed
with the seed (and so did the solver's queries). The verdicts, traces and certificates
of whole runs are compared by scripts/determinism.py (slow: it runs every model)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DIGEST = """
import glob, hashlib, os, sys
from zcheck.api import build
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.zdl"))):
    s = build(path, {}, None)
    text = repr((s.vars, s.transitions, s.properties, s.init, s.assumes))
    out.append(os.path.basename(path) + " " + hashlib.sha256(text.encode()).hexdigest()[:16])
print("\\n".join(out))
"""


def _digests(seed: int, folder: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run([sys.executable, "-c", DIGEST, folder], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_library_ir_does_not_depend_on_hash_order() -> None:
    for folder in (os.path.join(ROOT, "models"), os.path.join(ROOT, "bench", "models")):
        assert glob.glob(os.path.join(folder, "*.zdl"))
        a, b = _digests(0, folder), _digests(3, folder)
        assert a == b and a.strip()


def test_wait_for_cycles_are_networkx_cycles_in_a_fixed_rotation() -> None:
    """`simple_cycles` (the deadlock property's enumeration) finds exactly networkx's
    elementary cycles, each starting at its first node, on random small digraphs."""
    import random

    import networkx as nx

    from zcheck.system.implicit_props import simple_cycles

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 6)
        nodes = [f"p[{i}]" for i in range(n)]
        edges = {(a, b) for a in nodes for b in nodes if rng.random() < 0.35}
        order = {x: i for i, x in enumerate(nodes)}
        g = nx.DiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
        want = set()
        for c in nx.simple_cycles(g):
            i = min(range(len(c)), key=lambda j: order[c[j]])
            want.add(tuple(c[i:] + c[:i]))
        got = simple_cycles(nodes, edges, 10_000)
        assert len(got) == len(set(map(tuple, got))) and set(map(tuple, got)) == want


def _deadlock_trace() -> tuple[str, int | None, str]:
    from zcheck import api

    system = api.build(os.path.join(ROOT, "models", "memory_block_locks.zdl"), {"ERA": "V3_11"}, None)
    r = api.verify_system(system, api.select(system, ["deadlock"]), 3, engine="bmc").results[0]
    assert r.trace is not None
    return r.verdict, r.depth, repr(r.trace.steps)


def test_a_trace_does_not_depend_on_what_ran_before_in_the_process() -> None:
    """Each verification gets a Z3 context of its own (checker/context.py). In one shared
    context, checking memmap_on_memory first changed the witness values of this
    deadlock's shortest trace (same verdict and depth, other pfns and instances)."""
    from zcheck import api

    alone = _deadlock_trace()
    other = api.build(os.path.join(ROOT, "models", "memmap_on_memory.zdl"), {}, None)
    api.verify_system(other, [other.properties[0]], 6, engine="bmc")
    assert _deadlock_trace() == alone
    assert alone[0] == "violated" and alone[1] == 3
