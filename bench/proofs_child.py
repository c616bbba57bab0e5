"""Child of bench/proofs.py: one safety check of the library with invariant inference
switched off, in a fresh process, its verdict and how it was reached printed as JSON.

`python bench/proofs_child.py MODEL PROPERTY DEPTH ENGINE SCENARIO [NAME=VALUE ...]`
(SCENARIO `-` for none). The command line has no switch for inference, so this builds
the model and runs the portfolio as `zcheck verify` does (zcheck.api), with the
inference budget (checker/portfolio.py `Budgets.infer_total`) below zero: infer.py's
Houdini checks the spent effort against it before every query, so it gives up before
its first query ("out of budget"), and the portfolio goes on to k = 2..3 as it does
when inference fails. (A budget of 0 is not enough: the first query would still run,
and `infer_query = 0` is Z3's "no limit". Sampling the states and mining the
candidates still run: inference is left with nothing to spend, not taken out.)
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's zcheck


def main(argv: list[str]) -> int:
    model, name, depth, engine, scenario, *defs = argv
    from zcheck import api

    defines = dict(d.split("=", 1) for d in defs)
    system = api.build(model, defines, None if scenario == "-" else scenario)
    props = api.select(system, [name])
    options = api.VerifyOptions.of(engine, int(depth), None, 0)
    options = dataclasses.replace(options, budgets=dataclasses.replace(options.budgets, infer_total=-1))
    run = api.check_system(system, props, options)
    r = run.results[0]
    proved = getattr(r.result, "certificate", None) is not None
    print(json.dumps({"verdict": r.verdict, "engine": r.result.engine if proved else "",  # as the ITF report has it
                      "proof": r.result.detail if proved else "",
                      "engines": [{"engine": e.stage.value, "end": e.end.value, "note": e.note} for e in r.engines]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
