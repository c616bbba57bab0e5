"""One benchmark measurement in a fresh process: `python bench/worker.py TASK JSON-ARGS`.

Prints one JSON line: the verdicts (shortest violation depth per property, or null),
`seconds` (the engine's own time: encoding plus solving, start-up and parsing
excluded, so both sides of a comparison measure the same thing) and `peak_mib`.

Tasks
  zcheck-bmc  {"model", "depth", "defines", "options"}: zcheck's BMC (`checker.bmc.bmc`)
              on every property of the model, as `zcheck verify --engine bmc` runs it
              (counterexample value minimisation included); `options` are fields of
              `checker.bmc.Options` to switch an optimisation off for the ablation table.
  zcheck-pdr  {"model", "defines", "cone", "per_prop"}: PDR (`checker.pdr.prove_pdr`) on every
              safety property in turn, on its cone of influence or (cone false) on the whole
              system; `proved` lists the properties it proved.
  hand        {"peer", "depth", "bug"}: the hand-written Z3 encoding bench/handwritten/PEER_z3.py.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def zcheck_bmc(model: str, depth: int, defines: dict[str, str], options: dict[str, object]) -> dict:
    from zcheck.api import build
    from zcheck.checker.bmc import Options, bmc
    from zcheck.checker.encode import Encoding
    from zcheck.checker.results import Violated

    system = build(model, defines)
    props = [p for p in system.properties if p.kind in ("invariant", "assert")]
    t0 = time.perf_counter()
    results = bmc(Encoding(system), props, Options(depth=depth, **options))  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    found = {n: (r.depth if isinstance(r, Violated) else None) for n, r in sorted(results.items())}
    undecided = sorted(n for n, r in results.items() if type(r).__name__ == "Unknown")
    return {"violations": found, "seconds": seconds, "undecided": undecided}


def zcheck_pdr(model: str, defines: dict[str, str], cone: bool, per_prop: float) -> dict:
    from zcheck.api import build
    from zcheck.checker.pdr import prove_pdr

    system = build(model, defines)
    props = [p for p in system.properties if p.kind != "cover"]
    t0 = time.perf_counter()
    proved = [p.name for p in props if prove_pdr(system, p, per_prop, slice_cone=cone) is not None]
    return {"proved": sorted(proved), "seconds": time.perf_counter() - t0}


def hand(peer: str, depth: int, bug: bool) -> dict:
    sys.path.insert(0, str(HERE / "handwritten"))
    mod = __import__(f"{peer}_z3")
    t0 = time.perf_counter()
    if peer == "seed":
        out = mod.run(depth, skip_device_maxpfn=not bug)
    else:
        out = mod.run(depth, bug_online_device=bug)
    seconds = time.perf_counter() - t0
    return {"violations": dict(sorted(out["violations"].items())), "seconds": seconds,
            "solve_time": out["solve_time"], "undecided": []}


def main(argv: list[str]) -> int:
    task, args = argv[1], json.loads(argv[2])
    match task:
        case "zcheck-bmc":
            out = zcheck_bmc(args["model"], args["depth"], args.get("defines", {}), args.get("options", {}))
        case "zcheck-pdr":
            out = zcheck_pdr(args["model"], args.get("defines", {}), args["cone"], args["per_prop"])
        case "hand":
            out = hand(args["peer"], args["depth"], args.get("bug", False))
        case _:
            print(f"unknown task {task}", file=sys.stderr)
            return 2
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
