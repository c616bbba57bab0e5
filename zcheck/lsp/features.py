"""Language server: the LSP features of `zcheck lsp`, registered on a new server.

Input: a `ZcheckServer` (server.py: state and operations). Output: the same server with
a handler for each request and notification it answers. `make_server` builds one per
process; nothing here is module-level state.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from lsprotocol import types as lsp

from zcheck.lsp import convert
from zcheck.lsp.hover import hover_markdown, keywords
from zcheck.lsp.checks import Status
from zcheck.lsp.server import RUN_CHECKS, Settings, ZcheckServer, summary, summary_text
from zcheck.lsp.symbols import Role

_MEMBER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\.([A-Za-z0-9_]*)$")


def make_server() -> ZcheckServer:
    server = ZcheckServer()
    _documents(server)
    _names(server)
    _checks(server)
    return server


def _documents(server: ZcheckServer) -> None:
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ZcheckServer, params: lsp.InitializeParams) -> None:
        ls.settings = Settings.of(params.initialization_options)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ZcheckServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0.0, cascade=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ZcheckServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.settings.debounce, cascade=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ZcheckServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0.0, cascade=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ZcheckServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.SHUTDOWN)
    async def shutdown(ls: ZcheckServer, *args: Any) -> None:
        ls.shut_down = True
        await ls.stop_runs()  # no check runner outlives the server


def _names(server: ZcheckServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: ZcheckServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        found = ls.symbol_at(uri, params.position)
        if found is None:
            return None
        symbol, word = found
        last = ls.verdicts.get((ls.path(uri), symbol.name)) if symbol.role is Role.PROPERTY else None
        codec = ls.workspace.position_codec
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=hover_markdown(symbol, last)),
                         range=convert.span_range(ls.doc_lines(uri), word.span, codec))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ZcheckServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        uri = params.text_document.uri
        found = ls.symbol_at(uri, params.position)
        if found is None:
            return None
        symbol, _ = found
        lines = ls.symbol_lines(uri, symbol)
        return lsp.Location(uri=ls.uri(symbol.name_span.file),
                            range=convert.span_range(lines, symbol.name_span, ls.workspace.position_codec))

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: ZcheckServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        uri = params.text_document.uri
        index, analysis = ls.indexes.get(uri), ls.analyses.get(uri)
        if index is None or analysis is None:
            return []
        lines = ls.lines(analysis, index.main_file)
        return [convert.document_symbol(s, lines, ls.workspace.position_codec) for s in index.outline]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
    def completion(ls: ZcheckServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        index = ls.indexes.get(uri)
        if index is None:
            return lsp.CompletionList(is_incomplete=False, items=convert.completion_items([], keywords()))
        lines = ls.doc_lines(uri)
        line, col = convert.pos_of(lines, params.position, ls.workspace.position_codec)
        before = lines[line - 1][:col - 1] if line <= len(lines) else ""
        member = _MEMBER.search(before)
        if member is not None:  # `walker[i].` or `online_block.`: that process's steps and locals
            owner = next((s for s in index.symbols
                          if s.name == member.group(1) and s.role in (Role.PROCESS, Role.PROCEDURE)), None)
            children = list(owner.children) if owner else []
            return lsp.CompletionList(is_incomplete=False, items=convert.completion_items(children, (), {}))
        items = convert.completion_items(index.visible(index.main_file, (line, col)), keywords())
        return lsp.CompletionList(is_incomplete=False, items=items)


def _checks(server: ZcheckServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
    def code_action(ls: ZcheckServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        analysis = ls.analyses.get(uri)
        if analysis is None or not analysis.checks:
            return []
        title = f"Run the {len(analysis.checks)} check directives of this file (zcheck test)"
        return [lsp.CodeAction(title=title, kind=lsp.CodeActionKind.Source,
                               command=lsp.Command(title=title, command=RUN_CHECKS, arguments=[uri]))]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: ZcheckServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        uri = params.text_document.uri
        analysis = ls.analyses.get(uri)
        if analysis is None:
            return []
        lines, codec = ls.lines(analysis, analysis.path), ls.workspace.position_codec
        results = {r.span.line: r for r in ls.current_results(uri)}
        lenses = []
        for c in analysis.checks:
            r = results.get(c.span.line)
            title = convert.result_text(r) if r is not None else "▶ run the check directives"
            lenses.append(lsp.CodeLens(range=convert.span_range(lines, c.span, codec),
                                       command=lsp.Command(title=title, command=RUN_CHECKS, arguments=[uri])))
        return lenses

    @server.command(RUN_CHECKS)
    async def run_checks(ls: ZcheckServer, *args: Any) -> dict[str, Any]:
        """Arguments: the document's URI, then optionally a deadline in seconds."""
        if not args or not isinstance(args[0], str) or args[0] not in ls.workspace.text_documents:
            raise ValueError(f"{RUN_CHECKS} expects the URI of an open document")
        timeout = args[1] if len(args) > 1 and isinstance(args[1], (int, float)) and args[1] > 0 else None
        task = asyncio.current_task()
        if task is not None:
            ls.commands.add(task)
        try:
            run = await ls.run_checks(args[0], float(timeout or ls.settings.check_timeout))
        finally:
            if task is not None:
                ls.commands.discard(task)
        if ls.shut_down:
            return summary(run)
        passed = not run.errors and all(r.status is Status.PASSED for r in run.results)
        kind = lsp.MessageType.Info if passed else lsp.MessageType.Warning
        ls.window_show_message(lsp.ShowMessageParams(type=kind, message=summary_text(run)))
        if _can_refresh_lenses(ls):
            ls.workspace_code_lens_refresh(None)
        return summary(run)


def _can_refresh_lenses(ls: ZcheckServer) -> bool:
    workspace = ls.client_capabilities.workspace
    lens = workspace.code_lens if workspace else None
    return bool(lens and lens.refresh_support)
