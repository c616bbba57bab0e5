"""`zcheck replay SPEC TRACE`: replay a saved ITF trace on the concrete evaluator and say
whether it is still a counterexample (exit 1), is not (exit 0), or cannot be decided
(exit 3); a trace that does not fit the model is a ZC404 diagnostic (exit 2). A lasso
(liveness) is still a counterexample when its replayed loop closes (or its last state is
a dead end), the property fails on the loop and the loop is fair (counterexamples/lasso.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, assert_never

from zcheck import __version__, api
from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.counterexamples import lasso_text
from zcheck.counterexamples.lasso import Fault, NotALasso
from zcheck.counterexamples.render_text import render_trace

if TYPE_CHECKING:
    from zcheck.counterexamples.replay import Replay, SavedTrace
    from zcheck.system.ir import System


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    """Exit 1: the saved trace is still a counterexample; 0: it is not; 2: bad input."""
    from zcheck.counterexamples.replay import first_difference, itf_plan
    from zcheck.counterexamples.replay import replay as run_replay
    from zcheck.counterexamples.trace import Trace
    from zcheck.system.evaluate import EvalError

    with control.loading():
        system = api.build(args.spec, defines)
    saved = itf_plan(system, args.trace, args.property)
    prop = saved.prop
    try:
        out = run_replay(system, prop, saved.initial, saved.rigid, saved.planned)
    except EvalError as exc:
        print(f"UNKNOWN: the evaluator cannot decide `{prop.name}` on the replayed trace: {exc}")
        return Exit.UNKNOWN
    n = len(saved.planned)
    print(f"zcheck {__version__}: replay of {args.trace} ({n} steps) on model {system.model} ({args.spec})")
    moved = first_difference(saved.saved, out.steps, saved.initial)
    if moved is not None:
        print(f"  note: state {moved[0]} differs from the saved trace (first in `{moved[1]}`)")
    if saved.loop is not None and out.blocked is None:
        return _lasso(system, saved, out)
    cover = prop.kind == "cover"
    if out.still:
        word = "STILL REACHED" if cover else "STILL VIOLATED"
        print(f"{word}: `{prop.name}` {'holds' if cover else 'fails'} in "
              f"{'step' if out.site else 'state'} {out.found_in} of the replayed trace")
        verdict = "reached" if cover else "violated"
        trace = Trace(prop.name, prop.kind, verdict, saved.initial, saved.rigid, out.steps, (), None,
                      out.site.stmt.span if out.site else None)
        print()
        print("\n".join(render_trace(system, trace)))
        return Exit.VIOLATED
    if out.blocked is not None:
        step = out.steps[out.blocked - 1] if out.blocked <= len(out.steps) else None
        name = step.transition if step else saved.planned[out.blocked - 1].transition.name
        print(f"REFUTED: the trace is no longer a run of the model: step {out.blocked} ({name}) is not enabled"
              f" ({out.blocked_why})")
        return Exit.OK
    print(f"REFUTED: `{prop.name}` {'is not reached' if cover else 'holds'} in every state of the replayed trace")
    return Exit.OK


def _lasso(system: System, saved: SavedTrace, out: Replay) -> int:
    """The verdict on a replayed lasso: exit 1 when it is still a fair lasso on which the
    property fails, 0 when not (and why), 3 when the evaluator cannot decide."""
    from zcheck.counterexamples.replay import replay_lasso
    from zcheck.counterexamples.trace import Trace

    prop = saved.prop
    checked = replay_lasso(system, saved, out)
    if isinstance(checked, NotALasso):
        return _not_a_lasso(prop.name, checked)
    trace = Trace(prop.name, "liveness", "violated", saved.initial, saved.rigid, out.steps, (), None, None,
                  lasso=checked)
    print(f"STILL VIOLATED: `{prop.name}` fails on the replayed lasso: {lasso_text.shape(trace)}; "
          f"{lasso_text.failure(system, trace).text()}")
    print()
    print("\n".join(render_trace(system, trace)))
    return Exit.VIOLATED


def _not_a_lasso(name: str, why: NotALasso) -> int:
    match why.fault:
        case Fault.UNDECIDED:
            print(f"UNKNOWN: the evaluator cannot decide whether the replayed trace is a lasso of `{name}`: {why.why}")
            return Exit.UNKNOWN
        case Fault.OPEN:
            print(f"REFUTED: the replayed trace is not a lasso: {why.why}")
        case Fault.HOLDS:
            print(f"REFUTED: `{name}` holds on the replayed lasso: {why.why}")
        case Fault.UNFAIR:
            print(f"REFUTED: the replayed lasso is not a fair run, so it is no counterexample to `{name}`: {why.why}")
        case _:
            assert_never(why.fault)
    return Exit.OK
