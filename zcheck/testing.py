"""Top level: `zcheck test` — run the `check ... expect ...` directives of models.

Input: files and folders of `.zdl` models. Output: one line per directive (PASSED or
FAILED with the verdict obtained), a summary `N passed, M failed`, optional JUnit XML.
Directives with the same constants, scenario, depth and engine share one run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zcheck import api
from zcheck.diagnostics import DiagnosticError, render
from zcheck.spec import ast
from zcheck.spec.frontend import check_file

DEFAULT_DEPTH = 10


@dataclass(frozen=True)
class Outcome:
    file: str
    check: ast.CheckDecl
    passed: bool
    got: str
    seconds: float
    verdicts: tuple[tuple[str, str], ...] = ()  # (property, verdict as in `got`) for each target

    @property
    def name(self) -> str:
        return directive_name(self.check)


def directive_name(c: ast.CheckDecl) -> str:
    """The directive as written, normalised: `check x with N = 4 depth 6 expect holds`."""
    parts = [f"check {c.target}"]
    if c.overrides:
        parts.append("with " + ", ".join(f"{o.name} = {override_text(o.value)}" for o in c.overrides))
    if c.scenario:
        parts.append(f"under {c.scenario}")
    if c.depth is not None:
        parts.append(f"depth {c.depth}")
    if c.engine:
        parts.append(f"engine {c.engine}")
    parts.append(f"expect {c.expect}" + (f" at {c.at}" if c.at is not None else ""))
    return " ".join(parts)


def override_text(e: ast.Expr) -> str:
    """A directive's override value as `-D NAME=VALUE` takes it (also used by the
    scripts that turn directives into command lines)."""
    match e:
        case ast.IntLit(value=v, text=text):
            return text or str(v)
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case ast.Name(id=i):
            return i
        case _:
            return "..."


def collect(paths: list[str]) -> list[str]:
    files: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d != "common")  # imported vocabulary, not models
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".zdl")]
        else:
            files.append(p)
    return files


def _group_key(c: ast.CheckDecl) -> tuple:  # type: ignore[type-arg]
    return (tuple((o.name, repr(o.value)) for o in c.overrides), c.scenario, c.depth, c.at, c.engine,
            c.expect in ("violated", "reached"))


def run_file(path: str, watcher: api.Watcher | None = None) -> tuple[list[Outcome], list[str]]:
    """Run every directive of one file; returns outcomes and error texts. A `watcher`
    follows each run, with one task per directive."""
    work, errors = file_jobs(path)
    found: list[tuple[int, Outcome]] = []
    for w in work:
        got, errs = run_group_job(*w, watcher)
        found += got
        errors += errs
    return [o for _, o in sorted(found, key=lambda x: x[0])], errors


Job = tuple[str, list[ast.CheckDecl], list[int]]  # a file, one group of its directives, their positions


def file_jobs(path: str) -> tuple[list[Job], list[str]]:
    """The jobs of one file (a group of directives each, `run_group_job`), or the
    file's errors."""
    try:
        checked = check_file(path)
    except DiagnosticError as exc:
        return [], [render(d) for d in exc.diagnostics]
    order = {id(c): i for i, c in enumerate(checked.checks)}
    return [(path, checks, [order[id(c)] for c in checks]) for checks in groups(checked.checks)], []


def run_group_job(path: str, checks: list[ast.CheckDecl], positions: list[int],
                  watcher: api.Watcher | None = None) -> tuple[list[tuple[int, Outcome]], list[str]]:
    """One group of directives (a job: it runs wherever jobs.py puts it; a `watcher`
    only in this process), each outcome with its directive's position in the file; the
    error texts of a directive in error."""
    try:
        outcomes = run_group(path, checks, watcher)
    except DiagnosticError as exc:
        return [], [render(d) for d in exc.diagnostics]
    where = {id(c): i for c, i in zip(checks, positions)}
    return [(where[id(o.check)], o) for o in outcomes], []


def groups(checks: Iterable[ast.CheckDecl]) -> list[list[ast.CheckDecl]]:
    """The directives that share one run (same constants, scenario, depth and engine), in
    the order of their first directive."""
    out: dict[tuple, list[ast.CheckDecl]] = {}  # type: ignore[type-arg]
    for c in checks:
        out.setdefault(_group_key(c), []).append(c)
    return list(out.values())


def run_group(path: str, checks: list[ast.CheckDecl], watcher: api.Watcher | None = None,
              unsaved: Mapping[str, str] | None = None) -> list[Outcome]:
    """Run one group of `groups` (raises DiagnosticError for a directive in error).
    `unsaved`: editor texts by normalised path, read instead of those files (the
    language server runs the directives of the text being edited)."""
    first = checks[0]
    start = time.monotonic()
    system = api.build(path, scenario=first.scenario, expr_overrides={o.name: o.value for o in first.overrides},
                       unsaved=unsaved)
    names = set()
    for c in checks:
        names |= set(_targets(system, c))
    depth = first.depth if first.depth is not None else max(DEFAULT_DEPTH, first.at or 0)
    engine = first.engine or ("bmc" if first.expect in ("violated", "reached") else "auto")
    props = [p for p in system.properties if p.name in names]
    if engine != "bmc":
        props += [p for p in system.properties if p.kind == "lemma" and p.name not in names]
    if watcher is not None:
        label = os.path.basename(path)  # the row's label; the PASSED/FAILED line names the path
        watcher.checking([(f"{label}::{directive_name(c)}", tuple(_targets(system, c))) for c in checks])
    run = api.verify_system(system, props, depth, engine=engine, board=api.Board(watcher))
    by_name = {r.name: r for r in run.results}
    seconds = time.monotonic() - start
    return [_judge(path, c, [by_name[n] for n in _targets(system, c)], seconds) for c in checks]


def _targets(system, c: ast.CheckDecl) -> list[str]:  # type: ignore[no-untyped-def]
    if c.target == "*":
        want_cover = c.expect in ("reached", "unreachable")
        return [p.name for p in system.properties if (p.kind == "cover") == want_cover]
    names = [p.name for p in system.properties]
    if c.target not in names:
        from zcheck.diagnostics import Diagnostic

        why = dict(system.notes).get(c.target)
        if why is not None:  # lowering left it out (the same reason `verify` gives)
            raise DiagnosticError([Diagnostic("ZC904", f"`check {c.target}`: not checked on this model: {why}", c.span)])
        raise DiagnosticError([Diagnostic("ZC504", f"`check {c.target}`: no such property in the model", c.span)])
    return [c.target]


def _judge(path: str, c: ast.CheckDecl, results: list[api.PropertyResult], seconds: float) -> Outcome:
    verdicts = tuple((r.name, r.verdict + (f" at {r.depth}" if r.verdict in ("violated", "reached") else ""))
                     for r in results)
    got = ", ".join(f"{name} {verdict}" for name, verdict in verdicts)
    ok = bool(results)
    for r in results:
        match c.expect:
            case "holds":
                ok &= r.verdict in ("holds", "proved") and not r.error
            case "proved":
                ok &= r.verdict == "proved"
            case "violated" | "reached":
                ok &= r.verdict == c.expect and not r.error and (c.at is None or r.depth == c.at)
            case "unreachable":
                ok &= r.verdict == "unreachable"
    return Outcome(path, c, ok, got, seconds, verdicts)


def junit(outcomes: list[Outcome], errors: list[str]) -> str:
    from xml.sax.saxutils import quoteattr, escape

    fails = sum(1 for o in outcomes if not o.passed)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name="zcheck" tests="{len(outcomes) + len(errors)}" failures="{fails}" errors="{len(errors)}">']
    for o in outcomes:
        lines.append(f'  <testcase classname={quoteattr(o.file)} name={quoteattr(o.name)} time="{o.seconds:.3f}">')
        if not o.passed:
            lines.append(f'    <failure message={quoteattr("got: " + o.got)}/>')
        lines.append("  </testcase>")
    for e in errors:
        lines.append(f'  <testcase classname="zcheck" name="model error"><error>{escape(e)}</error></testcase>')
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"
