"""Top level: the Python API for notebooks and scripts — `zcheck.verify` and results that
render themselves.

Input: a model (a path, a bundled model's name, or ZDL text) and the options of
`zcheck verify`. Output: a `Verification`; it, each of its `Verdict`s and each
`Counterexample` render themselves in Jupyter (`_repr_html_`, `_repr_markdown_`) with
the content of the HTML and Markdown reports (counterexamples/render_html.py,
render_markdown.py): the same tables, highlighted excerpts and SVG timelines. The HTML
is a fragment for the notebook's page: no scripts, nothing loaded from anywhere, the
report's style sheet scoped to the fragment (`.zcheck-report ...`) so it restyles
nothing else on the page. docs/api.md shows it in use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from zcheck import api
from zcheck.counterexamples.render_html import STYLE, html_cti, html_trace, render_html
from zcheck.counterexamples.render_markdown import markdown_cti, markdown_trace, render_markdown
from zcheck.counterexamples.render_text import VERDICT_WORDS, render_summary, verdict_line
from zcheck.counterexamples.trace import Trace
from zcheck.system.ir import System

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|#!~])")  # backslash-escaped in Markdown text
SCOPE = "zcheck-report"  # the class of the fragment's outer <div>; every style rule is under it
TEXT_LABEL = "<model>"  # the file name of a model given as text, in diagnostics and reports


def verify(source: str | os.PathLike[str], depth: int = 10, properties: Sequence[str] | None = None,
           defines: Mapping[str, object] | None = None, engine: str = "auto", scenario: str | None = None,
           timeout: float | None = None, seed: int = 0) -> Verification:
    """Check a model as `zcheck verify` does. `source`: a path (`str` or `os.PathLike`),
    the name of a bundled model (`zcheck models`), or ZDL text (a `str` with a newline).
    `properties`: the ones to check (default: all); `defines`: constants as `-D` sets
    them (`{"NR_SECTIONS": 4, "FIX": True}`); `engine`: auto, bmc, kind or pdr.
    Bad input raises `DiagnosticError` (its `diagnostics` carry codes and spans)."""
    path, text, label = _source(source)
    system = api.build(path, {k: _define(v) for k, v in (defines or {}).items()}, scenario, text=text)
    props = api.select(system, list(properties) if properties else None)
    return Verification(api.verify_system(system, props, depth, timeout, seed, engine=engine), label)


def _source(source: str | os.PathLike[str]) -> tuple[str, str | None, str]:
    """(the path to build from, the text if given as text, the label reports show)."""
    if isinstance(source, str) and "\n" in source:
        return TEXT_LABEL, source, TEXT_LABEL
    from zcheck.library import resolve

    given = os.fspath(source)
    return resolve(given), None, given


def _define(value: object) -> str:
    """A `defines` value as `-D` would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, repr=False)  # the generated repr would print the whole system
class Counterexample:
    """A decoded, replayed trace (a violation, or a reached cover) of `system`."""

    system: System
    trace: Trace

    def __repr__(self) -> str:
        return f"<Counterexample of {self.trace.prop}: {VERDICT_WORDS[self.trace.verdict]}, {self.trace.length} steps>"

    def _repr_html_(self) -> str:
        return fragment(html_trace(self.system, self.trace))

    def _repr_markdown_(self) -> str:
        return "\n".join(markdown_trace(self.system, self.trace)) + "\n"


@dataclass(frozen=True, repr=False)
class Verdict:
    """One property's result (api.PropertyResult), with what it needs to render itself."""

    system: System
    result: api.PropertyResult

    def __repr__(self) -> str:
        return f"<Verdict {str(self)}>"

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def depth(self) -> int | None:
        return self.result.depth

    @property
    def counterexample(self) -> Counterexample | None:
        t = self.result.trace
        return None if t is None else Counterexample(self.system, t)

    def __str__(self) -> str:
        return f"{VERDICT_WORDS[self.verdict]} {self.name} {self._where()}".rstrip()

    def _where(self) -> str:
        """The verdict line after the name: `at depth 2`, `by k-induction, k = 1; ...`."""
        r = self.result
        return verdict_line(r.name, r.verdict, r.depth, r.detail, len(r.name))[len(f"  {'':<12} {r.name}  "):]

    def _repr_html_(self) -> str:
        r = self.result
        parts = [f'<p><span class="badge {escape(r.verdict)}">{escape(VERDICT_WORDS[r.verdict])}</span> '
                 f"<code>{escape(r.name)}</code> {escape(self._where())}</p>"]
        if r.trace is not None:
            parts.append(html_trace(self.system, r.trace))
        if r.cti is not None:
            parts.append(html_cti(r.cti))
        return fragment("\n".join(parts))

    def _repr_markdown_(self) -> str:
        r = self.result
        out = [f"**{VERDICT_WORDS[r.verdict]}** `{r.name}` {_markdown_text(self._where())}"]
        if r.trace is not None:
            out += ["", *markdown_trace(self.system, r.trace)]
        if r.cti is not None:
            out += ["", *markdown_cti(r.cti)]
        return "\n".join(out) + "\n"


@dataclass(frozen=True, repr=False)
class Verification:
    """What `verify` returns: every property's verdict, iterable and indexable by name;
    shown in a notebook as the HTML (or Markdown) report."""

    run: api.Run
    source: str  # the model as given: its path, its bundled name, or TEXT_LABEL

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return tuple(Verdict(self.run.system, r) for r in self.run.results)

    def __iter__(self) -> Iterator[Verdict]:
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.run.results)

    def __getitem__(self, name: str) -> Verdict:
        for v in self.verdicts:
            if v.name == name:
                return v
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"<Verification of {self.run.system.model}: {self.summary}>"

    @property
    def summary(self) -> str:
        """`1 violated, 2 proved`, as the text report ends."""
        return render_summary(list(self.run.results))

    def __str__(self) -> str:
        width = max((len(r.name) for r in self.run.results), default=1)
        lines = [verdict_line(r.name, r.verdict, r.depth, r.detail, width) for r in self.run.results]
        return "\n".join([self.run.headline(self.source), *lines, self.summary])

    def _repr_html_(self) -> str:
        return fragment(_body(render_html(self.run.system, list(self.run.results), self.run.headline(self.source))))

    def _repr_markdown_(self) -> str:
        return render_markdown(self.run.system, self.source, list(self.run.results), self.run.headline(self.source))


def _markdown_text(text: str) -> str:
    """`text` with every character Markdown could read as markup backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _body(document: str) -> str:
    """The inside of an HTML report's <body> (the page around it is the notebook's). Every
    model text in it is escaped, so the page's own <body> tags are the only ones."""
    return document[document.index("<body>") + len("<body>"):document.rindex("</body>")].strip("\n")


def fragment(inner: str) -> str:
    """`inner` in a <div class="zcheck-report"> with the report's style sheet scoped to it."""
    return f'<div class="{SCOPE}">\n<style>{scoped(STYLE)}</style>\n{inner}\n</div>'


_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def scoped(css: str, scope: str = SCOPE) -> str:
    """`css` (plain rules, no at-rules) with every selector under `.scope`; `body` becomes
    the scope itself."""
    rules = []
    for selectors, body in _RULE.findall(css):
        under = [f".{scope}" if s.strip() == "body" else f".{scope} {s.strip()}" for s in selectors.split(",")]
        rules.append(f"{', '.join(under)} {{{body}}}")
    return "\n" + "\n".join(rules) + "\n"
