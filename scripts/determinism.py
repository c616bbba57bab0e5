"""Run `zcheck verify` on every bundled model several times and compare the outputs byte
for byte: different PYTHONHASHSEED values, optionally with every core kept busy by
other processes (`--load`). Reproducibility is a requirement (docs/cli.md): the same
command gives the same verdicts, depths, traces, CTIs and certificates on any machine
and under load.

  python3 scripts/determinism.py [--runs 5] [--load] [--format text|json] [MODEL...]

Prints one line per model (identical or which runs differ, and the seconds per run)
and exits 1 when any model's outputs differ.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import multiprocessing
import os
import subprocess
import sys
import time
from typing import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _burn(stop) -> None:  # type: ignore[no-untyped-def]
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


@contextlib.contextmanager
def cpu_load(on: bool) -> Iterator[None]:
    """Keep every core busy while active (the 'under full CPU load' condition)."""
    if not on:
        yield
        return
    stop = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(os.cpu_count() or 1)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()


def run_once(model: str, fmt: str, hashseed: int, extra: list[str]) -> tuple[str, float]:
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "zcheck", "verify", model, "--format", fmt, *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    digest = hashlib.sha256((done.stdout + f"\nexit {done.returncode}\n").encode()).hexdigest()[:12]
    return digest, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--load", action="store_true", help="keep every core busy with other processes")
    ap.add_argument("--format", default="text", choices=["text", "json"])
    ap.add_argument("--extra", default="", help="more arguments for zcheck verify, space-separated")
    args = ap.parse_args(argv)
    models = args.models or sorted(glob.glob(os.path.join(ROOT, "models", "*.zdl")))
    bad = 0
    with cpu_load(args.load):
        for m in models:
            outs = [run_once(m, args.format, h, args.extra.split()) for h in range(args.runs)]
            digests = [d for d, _ in outs]
            same = len(set(digests)) == 1
            bad += not same
            secs = " ".join(f"{t:.1f}" for _, t in outs)
            print(f"{'identical' if same else 'DIFFER':9}  {os.path.basename(m):32} {' '.join(digests) if not same else digests[0]}  ({secs} s)",
                  flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
