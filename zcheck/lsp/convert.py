"""Language server: zcheck's values as Language Server Protocol values (lsprotocol).

Input: spans, diagnostics, symbols and check results in zcheck's positions (1-based
lines, 1-based columns counting characters). Output: lsprotocol types in the client's
positions (0-based lines, 0-based columns in the negotiated encoding, UTF-16 unless the
client chose another), converted with the text of the file each span is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

from lsprotocol import types as lsp
from pygls.workspace.position_codec import PositionCodec

from zcheck.diagnostics import Diagnostic, Span
from zcheck.lsp.analysis import Placed
from zcheck.lsp.checks import DirectiveResult, Status
from zcheck.lsp.hover import BUILTINS
from zcheck.lsp.symbols import Pos, Role, Symbol

SOURCE = "zcheck"
CHECK_SOURCE = "zcheck test"


def position(lines: Sequence[str], line: int, col: int, codec: PositionCodec) -> lsp.Position:
    """zcheck's (line, col) as an LSP position, clamped to the text."""
    n = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[n] if lines else ""
    chars = min(max(col - 1, 0), len(text))
    return lsp.Position(line=n, character=codec.client_num_units(text[:chars]))


def span_range(lines: Sequence[str], span: Span, codec: PositionCodec) -> lsp.Range:
    return lsp.Range(start=position(lines, span.line, span.col, codec),
                     end=position(lines, span.end_line, span.end_col, codec))


def pos_of(lines: Sequence[str], p: lsp.Position, codec: PositionCodec) -> Pos:
    """An LSP position as zcheck's (line, col)."""
    if not lines:
        return (1, 1)
    server = codec.position_from_client_units(list(lines), lsp.Position(line=p.line, character=p.character))
    return (server.line + 1, server.character + 1)


def severity(d: Diagnostic) -> lsp.DiagnosticSeverity:
    match d.severity:
        case "error":
            return lsp.DiagnosticSeverity.Error
        case "warning":
            return lsp.DiagnosticSeverity.Warning
        case "note":
            return lsp.DiagnosticSeverity.Information
        case _:
            assert_never(d.severity)


def diagnostic(lines: Sequence[str], placed: Placed, codec: PositionCodec,
               elsewhere: lsp.Location | None) -> lsp.Diagnostic:
    """A front-end diagnostic, with its notes; one in another file says where it is."""
    d = placed.diagnostic
    message = d.message + "".join(f"\nnote: {n}" for n in d.notes)
    related = None
    if placed.elsewhere is not None:
        message = f"in {placed.elsewhere}: {message}"
        if elsewhere is not None:
            related = [lsp.DiagnosticRelatedInformation(location=elsewhere, message=d.message)]
    return lsp.Diagnostic(range=span_range(lines, placed.span, codec), message=message, severity=severity(d),
                          code=d.code, source=SOURCE, related_information=related)


def result_diagnostic(lines: Sequence[str], r: DirectiveResult, codec: PositionCodec) -> lsp.Diagnostic:
    """A `check` directive's outcome, on its line: Information when it passed, a
    Warning when it failed, could not run or ran out of time."""
    ok = r.status is Status.PASSED
    return lsp.Diagnostic(range=span_range(lines, r.span, codec), message=result_text(r),
                          severity=lsp.DiagnosticSeverity.Information if ok else lsp.DiagnosticSeverity.Warning,
                          source=CHECK_SOURCE)


def result_text(r: DirectiveResult) -> str:
    match r.status:
        case Status.PASSED:
            return f"PASSED: {r.got}"
        case Status.FAILED:
            return f"FAILED: got {r.got}"
        case Status.ERROR:
            return f"ERROR: {r.got}"
        case Status.TIMEOUT:
            return f"TIMEOUT: {r.got}"
        case _:
            assert_never(r.status)


def symbol_kind(role: Role) -> lsp.SymbolKind:
    match role:
        case Role.MODEL:
            return lsp.SymbolKind.Module
        case Role.CONSTANT:
            return lsp.SymbolKind.Constant
        case Role.TYPE:
            return lsp.SymbolKind.TypeParameter
        case Role.ENUM:
            return lsp.SymbolKind.Enum
        case Role.ENUM_MEMBER:
            return lsp.SymbolKind.EnumMember
        case Role.VARIABLE:
            return lsp.SymbolKind.Variable
        case Role.FUNCTION:
            return lsp.SymbolKind.Function
        case Role.ACTION:
            return lsp.SymbolKind.Event
        case Role.PROCESS:
            return lsp.SymbolKind.Class
        case Role.PROCEDURE:
            return lsp.SymbolKind.Method
        case Role.STEP:
            return lsp.SymbolKind.Method
        case Role.LOCK:
            return lsp.SymbolKind.Key
        case Role.PROPERTY:
            return lsp.SymbolKind.Boolean
        case Role.SCENARIO:
            return lsp.SymbolKind.Namespace
        case Role.PARAMETER | Role.LOCAL | Role.BOUND:
            return lsp.SymbolKind.Field
        case _:
            assert_never(role)


def completion_kind(role: Role) -> lsp.CompletionItemKind:
    match role:
        case Role.MODEL | Role.SCENARIO:
            return lsp.CompletionItemKind.Module
        case Role.CONSTANT:
            return lsp.CompletionItemKind.Constant
        case Role.TYPE:
            return lsp.CompletionItemKind.TypeParameter
        case Role.ENUM:
            return lsp.CompletionItemKind.Enum
        case Role.ENUM_MEMBER:
            return lsp.CompletionItemKind.EnumMember
        case Role.VARIABLE | Role.PARAMETER | Role.LOCAL | Role.BOUND:
            return lsp.CompletionItemKind.Variable
        case Role.FUNCTION | Role.PROCEDURE:
            return lsp.CompletionItemKind.Function
        case Role.ACTION:
            return lsp.CompletionItemKind.Event
        case Role.PROCESS:
            return lsp.CompletionItemKind.Class
        case Role.STEP:
            return lsp.CompletionItemKind.Method
        case Role.LOCK:
            return lsp.CompletionItemKind.Reference
        case Role.PROPERTY:
            return lsp.CompletionItemKind.Property
        case _:
            assert_never(role)


def document_symbol(s: Symbol, lines: Sequence[str], codec: PositionCodec) -> lsp.DocumentSymbol:
    children = [document_symbol(c, lines, codec) for c in s.children if c.name_span.file == s.span.file]
    return lsp.DocumentSymbol(name=s.name, kind=symbol_kind(s.role), range=span_range(lines, s.span, codec),
                              selection_range=span_range(lines, s.name_span, codec), detail=s.detail or None,
                              children=children or None)


def completion_items(symbols: Sequence[Symbol], keywords: Sequence[str] = (),
                     builtins: Mapping[str, str] = BUILTINS) -> list[lsp.CompletionItem]:
    """The model's names in scope first, then builtins, then keywords."""
    items = [lsp.CompletionItem(label=s.name, kind=completion_kind(s.role), detail=s.signature,
                                sort_text=f"0{s.name}") for s in symbols]
    items += [lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Function, detail=what,
                                 sort_text=f"1{name}") for name, what in builtins.items()]
    items += [lsp.CompletionItem(label=k, kind=lsp.CompletionItemKind.Keyword, sort_text=f"2{k}") for k in keywords]
    return items
