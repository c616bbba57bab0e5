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
