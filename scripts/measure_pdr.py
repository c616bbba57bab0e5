"""Measure PDR (Z3 Spacer) configurations and k-induction on the bundled models.

For each model and each non-cover property: Spacer with default options, Spacer with
the quantified-invariant options zcheck uses (zcheck/checker/pdr.py SPACER_OPTIONS),
and k-induction (k <= 3, with the model's lemmas). Prints a Markdown table of outcome
and seconds. Used for docs/adr/0001-pdr-engine.md.

    python scripts/measure_pdr.py [--timeout 10] [models/X.zdl ...]
"""

from __future__ import annotations

import argparse
import glob
import sys
import time

import z3

from zcheck import api
from zcheck.checker import pdr
from zcheck.checker.kind import prove
from zcheck.checker.results import Proved


def spacer(system, prop, options, timeout):  # type: ignore[no-untyped-def]
    try:
        cl = pdr.clauses(system, prop)
    except Exception as exc:  # noqa: BLE001
        return f"encode error: {type(exc).__name__}", 0.0
    s = z3.SolverFor("HORN")
    s.set("timeout", int(timeout * 1000))
    for k, v in options:
        s.set(k, v)
    for c in (cl.init, cl.step, cl.query):
        s.add(pdr._closed(c))
    start = time.monotonic()
    answer = s.check()
    took = time.monotonic() - start
    if answer == z3.sat:
        body = pdr._interpretation(s.model(), cl.inv)
        ok = body is not None and pdr.recheck(system, prop, body)
        return ("invariant, re-checked" if ok else "invariant, re-check failed"), took
    if answer == z3.unsat:
        return "cex (violated)", took
    reason = s.reason_unknown()
    return ("timeout" if "timeout" in reason or "canceled" in reason else f"unknown ({reason[:40]})"), took


def kind(system, prop, timeout):  # type: ignore[no-untyped-def]
    lemmas = [p for p in system.properties if p.kind == "lemma"]
    start = time.monotonic()
    r = prove(system, prop, lemmas, 10, 3, time.monotonic() + timeout, timeout)
    took = time.monotonic() - start
    return (r.detail if isinstance(r, Proved) else "not proved"), took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    sys.setrecursionlimit(20000)
    paths = args.models or sorted(glob.glob("models/*.zdl"))
    print("| model | property | Spacer default | Spacer + quantifier options | k-induction (k <= 3) |")
    print("|---|---|---|---|---|")
    for path in paths:
        try:
            system = api.build(path)
        except Exception as exc:  # noqa: BLE001
            print(f"| {path} | (does not build: {type(exc).__name__}) | | | |")
            continue
        for p in system.properties:
            if p.kind == "cover":
                continue
            a, ta = spacer(system, p, (), args.timeout)
            b, tb = spacer(system, p, pdr.SPACER_OPTIONS, args.timeout)
            c, tc = kind(system, p, args.timeout)
            print(f"| {path.split('/')[-1]} | {p.name} | {a} ({ta:.2f} s) | {b} ({tb:.2f} s) | {c} ({tc:.2f} s) |",
                  flush=True)


if __name__ == "__main__":
    main()
