"""For every `check ... expect holds|proved` directive of the bundled models (the fixed
variants), what the default `zcheck verify` (engine auto) concludes: PROVED, or HOLDS up
to the depth and which engines stopped short and why. Prints a Markdown table
(docs/benchmarks.md keeps the before/after counts).

  python3 scripts/fixed_variants.py [MODEL...]
"""

from __future__ import annotations

import glob
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rows(path: str) -> list[str]:
    from zcheck import api
    from zcheck.spec.frontend import check_file
    from zcheck.testing import DEFAULT_DEPTH, Outcome, _targets

    out = []
    for c in check_file(path).checks:
        if c.expect not in ("holds", "proved"):
            continue
        start = time.monotonic()
        system = api.build(path, scenario=c.scenario, expr_overrides={o.name: o.value for o in c.overrides})
        names = _targets(system, c)
        props = [p for p in system.properties if p.name in names]
        depth = c.depth if c.depth is not None else DEFAULT_DEPTH
        run = api.verify_system(system, props, depth, engine="auto")
        secs = time.monotonic() - start
        label = Outcome(path, c, True, "", 0).name.removeprefix("check ")
        for r in run.results:
            how = r.detail if r.verdict == "proved" else "; ".join(
                e.describe() for e in r.engines if e.stage.value != "bmc")
            out.append(f"| {os.path.basename(path)} | `{label}` | {r.verdict.upper()} | {how} | {secs:.1f} |")
    return out


def main(argv: list[str]) -> int:
    models = argv or sorted(glob.glob(os.path.join(ROOT, "models", "*.zdl")))
    print("| model | directive | default verify | how / why not | s |")
    print("| --- | --- | --- | --- | --- |")
    for m in models:
        for line in rows(m):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
