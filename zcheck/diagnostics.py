"""Diagnostics: source spans, diagnostic values with stable codes, and their rendering.

Every stage reports problems as `Diagnostic` values; only the CLI renders them.
The table `CODES` is the single list of codes (documented in docs/cli.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Span:
    """A region of a source file (1-based lines and columns, end exclusive)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<command line>", 1, 1, 1, 1)


CODES: dict[str, str] = {
    # input and syntax (1xx)
    "ZC100": "the file cannot be read (missing, unreadable, not UTF-8, too large)",
    "ZC101": "syntax error",
    "ZC102": "input nested too deeply",
    "ZC103": "import error (missing file or import cycle)",
    "ZC104": "invalid integer literal",
    # names (2xx)
    "ZC201": "unknown name",
    "ZC202": "duplicate declaration",
    "ZC203": "name used in the wrong role (e.g. a type used as a value)",
    "ZC204": "wrong number of arguments",
    # types (3xx)
    "ZC301": "type mismatch",
    "ZC302": "invalid type",
    "ZC303": "assignment to something that is not a state variable",
    "ZC304": "constant expression required",
    "ZC305": "division or remainder by a constant zero",
    "ZC306": "recursive definition",
    # command line and options (4xx)
    "ZC401": "bad -D override",
    "ZC402": "unknown property, scenario or option value",
    "ZC403": "bad command-line argument",
    "ZC404": "bad trace file (not ITF, or not a trace of this model)",
    "ZC405": "an output file cannot be written (the original is left as it was)",
    "ZC407": "`fmt` would not keep the model's meaning (a bug in the printer): nothing written",
    "ZC408": "`fmt` would move a statement whose property is named after its line: nothing written",
    "ZC409": "--scheduler cannot be used: the `cluster` extra is not installed, or the scheduler cannot be reached",
    "ZC410": "`zcheck lsp` cannot start: the `lsp` extra (pygls, lsprotocol) is not installed",
    # model structure (5xx)
    "ZC501": "feature not supported in this position",
    "ZC502": "transitions rule violated statically",
    "ZC503": "bad process or scenario structure",
    "ZC505": "concurrency construct used outside its place (self, trylock, RCU)",
    "ZC506": "unreachable statement after goto, done or synchronize_rcu",
    "ZC504": "bad check directive",
    # warnings (9xx)
    "ZC901": "lifecycle state unreachable in the transitions graph",
    "ZC902": "transitions edge never taken up to the depth",
    "ZC903": "counterexample minimisation was cut short",
    "ZC904": "an implicit concurrency property (deadlock, stuck) cannot be checked on this model",
    "ZC905": "no initial state: every property would hold vacuously",
    "ZC906": "nothing to check: the model has no property (exit 2 unless --allow-empty)",
    "ZC907": "graphviz's `dot` is not installed: DOT text written instead of SVG",
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input, with a stable code and a location."""

    code: str
    message: str
    span: Span = NO_SPAN
    severity: Severity = "error"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code


@dataclass(frozen=True)
class Sources:
    """The text of every file read, so diagnostics can quote their line."""

    texts: dict[str, str] = field(default_factory=dict)

    def line(self, file: str, line: int) -> str | None:
        text = self.texts.get(file)
        if text is None:
            return None
        lines = text.split("\n")  # the parser's lines (spec/frontend.py normalises line breaks)
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return None


class DiagnosticError(Exception):
    """Carries diagnostics out of a stage that cannot continue (caught by the CLI)."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = tuple(diagnostics)


def render(diag: Diagnostic, sources: Sources | None = None) -> str:
    """Render like `error[ZC301]: message` / `--> file:line:col` / source line / `^^^`."""
    out = [f"{diag.severity}[{diag.code}]: {diag.message}", f"  --> {diag.span}"]
    src = sources.line(diag.span.file, diag.span.line) if sources else None
    if src is not None and len(src) <= 400:
        width = (
            diag.span.end_col - diag.span.col
            if diag.span.end_line == diag.span.line
            else len(src) - diag.span.col + 1
        )
        width = max(1, min(width, len(src) - diag.span.col + 1))
        gutter = f"{diag.span.line:>5} | "
        out.append(gutter + src)
        out.append(" " * (len(gutter) + diag.span.col - 1) + "^" * width)
    for note in diag.notes:
        out.append(f"  = note: {note}")
    return "\n".join(out)
