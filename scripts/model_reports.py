"""Regenerate models/reports/: the Markdown report of every buggy behaviour's counterexample.

For each `check ... expect violated` directive of each bundled model, run BMC to the
directive's depth with its constants and scenario, and write the `--format markdown`
report (zcheck/counterexamples/render_markdown.py) to
models/reports/MODEL--PROPERTY[--NAME-VALUE...].md.

  python3 scripts/model_reports.py            rewrite models/reports/
  python3 scripts/model_reports.py --check    exit 1 and name the reports that differ
"""

from __future__ import annotations

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
REPORTS = os.path.join(MODELS, "reports")


def report_name(model: str, c) -> str:  # type: ignore[no-untyped-def]
    from zcheck.testing import override_text

    parts = [model, c.target]
    parts += [f"{o.name}-{override_text(o.value)}" for o in c.overrides]
    if c.scenario:
        parts.append(f"under-{c.scenario}")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "--".join(parts)) + ".md"


def render(rel_path: str, c) -> str | None:  # type: ignore[no-untyped-def]
    from zcheck import __version__, api
    from zcheck.counterexamples.render_markdown import render_markdown

    system = api.build(rel_path, scenario=c.scenario,  # relative (cwd = ROOT): reports name no checkout path
                       expr_overrides={o.name: o.value for o in c.overrides})
    props = [p for p in system.properties if p.name == c.target]
    depth = c.at if c.at is not None else (c.depth if c.depth is not None else 10)
    run = api.verify_system(system, props, depth, engine="bmc")
    if not any(r.verdict == "violated" for r in run.results):
        sys.stderr.write(f"warning: {rel_path}: `{c.target}` is not violated as its check expects; no report\n")
        return None
    head = f"zcheck {__version__}: {rel_path}, engine bmc, depth {depth}" + (f", scenario {c.scenario}" if c.scenario else "")
    return render_markdown(system, rel_path, list(run.results), head)


def reports() -> dict[str, str]:
    from zcheck.spec.frontend import check_file

    out: dict[str, str] = {}
    for f in sorted(n for n in os.listdir(MODELS) if n.endswith(".zdl")):
        rel = f"models/{f}"
        for c in check_file(os.path.join(ROOT, rel)).checks:
            if c.expect == "violated":
                text = render(rel, c)
                if text is not None:
                    out[report_name(f[: -len(".zdl")], c)] = text
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with models/reports/ instead of writing")
    ap.add_argument("--verdicts", action="store_true",
                    help="with --check: compare only each report's verdicts and depths (for a change meant to "
                         "keep verdicts and shortest depths but free to pick other witnesses)")
    args = ap.parse_args()
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    wanted = reports()
    if args.check:
        have = set(os.listdir(REPORTS)) if os.path.isdir(REPORTS) else set()
        stale = sorted(n for n, text in wanted.items() if not _same(os.path.join(REPORTS, n), text, args.verdicts))
        extra = sorted(have - set(wanted))
        for n in stale + extra:
            print(f"drift: models/reports/{n}")
        return 1 if stale or extra else 0
    os.makedirs(REPORTS, exist_ok=True)
    for n in set(os.listdir(REPORTS)) - set(wanted):
        os.remove(os.path.join(REPORTS, n))
    for n, text in wanted.items():
        with open(os.path.join(REPORTS, n), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"{len(wanted)} reports in models/reports/")
    return 0


def _same(path: str, text: str, verdicts_only: bool = False) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            have = fh.read()
    except OSError:
        return False
    if verdicts_only:
        return _verdicts(have) == _verdicts(text)
    return have == text


def _verdicts(text: str) -> list[str]:
    """The header, the verdict table and each trace's `## NAME: VERDICT at depth N` line."""
    return [ln for ln in text.splitlines() if ln.startswith(("zcheck ", "| ", "## ")) and "`" not in ln[:3]
            and not ln.startswith("| step") and not ln[2:3].isdigit()]


if __name__ == "__main__":
    raise SystemExit(main())
