"""The reports of `zcheck verify`: text for people, ITF JSON, and Markdown, HTML and
SARIF documents, each rendered from an `api.Run` (and the model's path as given)."""

from __future__ import annotations

import os
from enum import Enum
from typing import Any, Sequence, assert_never

import z3

from zcheck import __version__, api
from zcheck.checker.portfolio import StageRun
from zcheck.checker.results import Proved
from zcheck.counterexamples.cti import render_cti
from zcheck.counterexamples.render_itf import dumps, results_meta, trace_to_itf
from zcheck.counterexamples.render_text import render_summary, render_trace, verdict_line


class Format(Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    SARIF = "sarif"


def render(run: api.Run, spec: str, fmt: Format, verbose: bool = False) -> str:
    match fmt:
        case Format.TEXT:
            return text(run, spec, verbose)
        case Format.JSON:
            return itf(run, spec)
        case Format.MARKDOWN | Format.HTML | Format.SARIF:
            return document(run, spec, fmt)
        case _:
            assert_never(fmt)


def text(run: api.Run, spec: str, verbose: bool) -> str:
    """The text report: a header, one verdict line per property (with the engines that
    stopped short and the certificate), then every trace and CTI, then the summary."""
    results = list(run.results)
    system = run.system
    scen = f", scenario {system.scenario}" if system.scenario else ""
    lines = [f"zcheck {__version__}: model {system.model} ({spec}), engine {run.engine}, "
             f"depth {run.depth}{scen}"]
    if verbose:
        lines.append(f"  seed {run.seed}, z3 {z3.get_version_string()}")
    lines.append("")
    width = max((len(r.name) for r in results), default=1)
    for r in results:
        lines.append(verdict_line(r.name, r.verdict, r.depth, r.detail, width))
        if r.verdict in ("holds", "unknown") and _unfinished(r.engines):
            lines.append(f"  {'':<12} {'':<{width}}  engines: {'; '.join(e.describe() for e in _unfinished(r.engines))}")
        if isinstance(r.result, Proved) and r.result.certificate:
            lines.extend(f"  {'':<12} {'':<{width}}  {line}" for line in _certificate(r, r.result))
    for r in results:
        if r.trace is not None:
            lines.append("")
            lines.extend(render_trace(system, r.trace))
        if r.cti is not None:
            lines.append("")
            lines.extend(render_cti(r.cti))
    lines.append("")
    lines.append(render_summary(results))
    return "\n".join(lines) + "\n"


def _certificate(r: api.PropertyResult, proof: Proved) -> list[str]:
    """How a proof is certified: the state count of an exhaustion, PDR's inductive
    invariant, or the k-inductive conjunction (with the inferred lemmas, in ZDL)."""
    cert = proof.certificate
    if proof.engine == "explicit":
        return [f"certificate: {'; '.join(cert)}"]
    if proof.engine == "pdr":
        return [f"certificate: inductive invariant {cert[0]}"]
    rel = f" relative to {' && '.join(proof.assumed)}" if proof.assumed else ""
    shown = " && ".join(cert) if not r.inferred else f"{cert[0]} && the {len(cert) - 1} lemmas below"
    lines = [f"certificate: {shown} is {_inductive(proof.detail)}{rel}"]
    if r.inferred:
        lines.append("inferred lemmas (paste into the model to keep the proof):")
        lines.extend(f"  {line}" for line in r.inferred.splitlines())
    return lines


def _unfinished(log: Sequence[StageRun]) -> list[StageRun]:
    """The engines that tried to decide a property and stopped short, and why (BMC reaching its
    bound is already said by the verdict line)."""
    return [e for e in log if e.stage.value != "bmc" or e.end.value not in ("bound", "decided")]


def itf(run: api.Run, spec: str) -> str:
    """ITF JSON: the first violation's trace (else the first trace), and every verdict
    in the metadata."""
    results = list(run.results)
    chosen = next((r for r in results if r.trace is not None and r.verdict == "violated"), None)
    chosen = chosen or next((r for r in results if r.trace is not None), None)
    meta: dict[str, Any] = {
        "source": os.path.basename(spec),
        "description": f"zcheck {__version__} verify",
        "zcheck": __version__,
        "z3": z3.get_version_string(),
        "seed": run.seed,
        "engine": run.engine,
        "depth": run.depth,
        "property": chosen.name if chosen else None,
        "verdict": chosen.verdict if chosen else ("holds" if all(r.verdict != "unknown" for r in results) else "unknown"),
        "trace_depth": chosen.trace.length if chosen and chosen.trace else None,
        "results": results_meta(results),
    }
    doc = trace_to_itf(run.system, chosen.trace if chosen else None, meta)
    return dumps(doc)


def document(run: api.Run, spec: str, fmt: Format) -> str:
    """A Markdown, HTML or SARIF report."""
    results = list(run.results)
    system = run.system
    head = run.headline(spec)
    match fmt:
        case Format.MARKDOWN:
            from zcheck.counterexamples.render_markdown import render_markdown

            return render_markdown(system, spec, results, head)
        case Format.HTML:
            from zcheck.counterexamples.render_html import render_html

            return render_html(system, results, head)
        case Format.SARIF:
            from zcheck.counterexamples.render_sarif import render_sarif

            return render_sarif(system, results)
        case Format.TEXT | Format.JSON:
            raise ValueError(f"not a document format: {fmt.value}")
        case _:
            assert_never(fmt)


def _inductive(detail: str) -> str:
    if detail.startswith("1-induction"):
        return "inductive"
    k = detail.rsplit("=", 1)[-1].strip()
    return "inductive" if k == "1" else f"{k}-inductive"
