"""Language server: `zcheck lsp`, the pygls server over standard input and output.

Input: LSP messages from an editor. Output: diagnostics as the user types (the codes,
messages and spans of `zcheck check`), hover, go to definition, document symbols,
completion, and the command `zcheck.runChecks` (offered as a code action and as a code
lens on each `check` line) that runs the file's `check` directives in a child process
(checks.py) and shows each outcome on its line as a diagnostic: Information when the
expectation is met, Warning when it is not, cannot run, or the deadline came first.

All state is on the server object: the last analysis of each open document, the last
index that parsed (kept while a half-typed text does not), the last check run of each
document (shown while the text is the one it ran on), and each property's last verdict
(shown by hover for the rest of the session).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lsprotocol import types as lsp
from pygls import uris
from pygls.lsp.server import LanguageServer

from zcheck import __version__
from zcheck.diagnostics import Span
from zcheck.lsp import convert
from zcheck.lsp.analysis import Analysis, analyse
from zcheck.lsp.checks import CheckRun, DirectiveResult, Status, run_checks
from zcheck.lsp.hover import LastVerdict
from zcheck.lsp.symbols import Index, Symbol, Word, word_at
from zcheck.spec.frontend import normalise_newlines

RUN_CHECKS = "zcheck.runChecks"


@dataclass(frozen=True)
class Settings:
    """Set by the client's `initializationOptions` (docs/editors.md)."""

    check_timeout: float = 300.0  # seconds for one run of a file's `check` directives
    debounce: float = 0.2  # seconds of quiet typing before a text is checked again

    @staticmethod
    def of(options: Any) -> Settings:
        s = Settings()
        if isinstance(options, Mapping):
            timeout, debounce = options.get("checkTimeout"), options.get("debounce")
            if isinstance(timeout, (int, float)) and timeout > 0:
                s = replace(s, check_timeout=float(timeout))
            if isinstance(debounce, (int, float)) and debounce >= 0:
                s = replace(s, debounce=float(debounce))
        return s


@dataclass(frozen=True)
class Checked:
    """A check run and the document version it ran on."""

    version: int | None
    run: CheckRun


class ZcheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("zcheck", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.shut_down = False  # the client asked for `shutdown` (then `exit` ends with 0)
        self.analyses: dict[str, Analysis] = {}  # by document URI
        self.indexes: dict[str, Index] = {}  # the last index that parsed, by URI
        self.checked: dict[str, Checked] = {}  # the last check run, by URI
        self.verdicts: dict[tuple[str, str], LastVerdict] = {}  # by (model path, property)
        self.pending: dict[str, asyncio.Task[None]] = {}  # an analysis waiting or running, by URI
        self.runs: dict[str, asyncio.Task[CheckRun]] = {}  # a check run, by URI
        self.commands: set[asyncio.Task[Any]] = set()  # the `zcheck.runChecks` requests not answered yet

    # ---------------------------------------------------------------- documents and paths

    def path(self, uri: str) -> str:
        """The file a document is (an unsaved new document: a name in the workspace
        folder, so its imports are found beside the workspace's files)."""
        fs = uris.to_fs_path(uri)
        if fs is None or not uri.startswith("file:"):
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", uri.split(":", 1)[-1]) or "untitled"
            fs = os.path.join(self.workspace.root_path or os.getcwd(), name)
        return os.path.normpath(os.path.abspath(fs))

    def uri(self, file: str) -> str:
        key = os.path.normpath(os.path.abspath(file))
        for uri in self.workspace.text_documents:
            if self.path(uri) == key:
                return str(uri)
        return str(uris.from_fs_path(key) or f"file://{key}")

    def unsaved(self) -> dict[str, str]:
        """The text of every open document, by normalised path."""
        return {self.path(uri): doc.source for uri, doc in self.workspace.text_documents.items()}

    def doc_version(self, uri: str) -> int | None:
        version = self.workspace.get_text_document(uri).version
        return None if version is None else int(version)

    def lines(self, analysis: Analysis, file: str) -> list[str]:
        text = analysis.texts.get(file)
        if text is None:
            text = next((t for f, t in analysis.texts.items() if os.path.normpath(f) == os.path.normpath(file)), "")
        return text.split("\n")

    def doc_lines(self, uri: str) -> list[str]:
        return normalise_newlines(self.workspace.get_text_document(uri).source).split("\n")

    # ---------------------------------------------------------------- diagnostics

    def schedule(self, uri: str, delay: float, cascade: bool) -> None:
        """Analyse `uri` after `delay` seconds of quiet (a newer change restarts the wait);
        with `cascade`, then the open documents that import it."""
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.ensure_future(self._analyse(uri, delay, cascade))

    async def _analyse(self, uri: str, delay: float, cascade: bool) -> None:
        await asyncio.sleep(delay)
        path = self.path(uri)
        try:
            analysis = await asyncio.to_thread(analyse, path, self.unsaved())
        except Exception as exc:  # noqa: BLE001 - a bug in zcheck: said, not lost in a task nobody awaits
            self.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Error,
                message=f"zcheck: internal error while checking {path}: {type(exc).__name__}: {exc}; "
                        "this is a bug in zcheck, please report it with the model"))
            return
        if uri not in self.workspace.text_documents:
            return
        self.analyses[uri] = analysis
        earlier = self.indexes.get(uri)
        if analysis.index is not None:
            self.indexes[uri] = analysis.index if analysis.complete or earlier is None else analysis.index.with_imports_of(earlier)
        self.publish(uri)
        if cascade:
            for other, a in list(self.analyses.items()):
                if other != uri and a.reads(path):
                    self.schedule(other, 0.0, cascade=False)

    def publish(self, uri: str) -> None:
        analysis = self.analyses.get(uri)
        if analysis is None:
            return
        codec = self.workspace.position_codec
        lines = self.lines(analysis, analysis.path)
        out = [convert.diagnostic(lines, p, codec, self._location(analysis, p.elsewhere))
               for p in analysis.diagnostics]
        out += [convert.result_diagnostic(lines, r, codec) for r in self.current_results(uri)]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=out, version=self.doc_version(uri)))

    def _location(self, analysis: Analysis, span: Span | None) -> lsp.Location | None:
        if span is None:
            return None
        codec = self.workspace.position_codec
        return lsp.Location(uri=self.uri(span.file), range=convert.span_range(self.lines(analysis, span.file),
                                                                             span, codec))

    def current_results(self, uri: str) -> tuple[DirectiveResult, ...]:
        """The last check run's results, while the document is the text they ran on."""
        checked = self.checked.get(uri)
        if checked is None or checked.version != self.doc_version(uri):
            return ()
        return checked.run.results

    def forget(self, uri: str) -> None:
        for tasks in (self.pending, self.runs):
            task = tasks.pop(uri, None)
            if task is not None:
                task.cancel()
        self.analyses.pop(uri, None)
        self.indexes.pop(uri, None)
        self.checked.pop(uri, None)

    # ---------------------------------------------------------------- names

    def word(self, uri: str, p: lsp.Position) -> tuple[Word, Index] | None:
        index = self.indexes.get(uri)
        if index is None:
            return None
        lines = self.doc_lines(uri)
        line, col = convert.pos_of(lines, p, self.workspace.position_codec)
        word = word_at(lines[line - 1] if line <= len(lines) else "", index.main_file, line, col)
        return None if word is None else (word, index)

    def symbol_at(self, uri: str, p: lsp.Position) -> tuple[Symbol, Word] | None:
        found = self.word(uri, p)
        if found is None:
            return None
        word, index = found
        symbol = index.lookup(word)
        return None if symbol is None else (symbol, word)

    def symbol_lines(self, uri: str, symbol: Symbol) -> list[str]:
        analysis = self.analyses.get(uri)
        return self.lines(analysis, symbol.name_span.file) if analysis else self.doc_lines(uri)

    # ---------------------------------------------------------------- check directives

    async def run_checks(self, uri: str, timeout: float) -> CheckRun:
        """Run the document's `check` directives (one run per document: a new one
        cancels, and so kills, the one before)."""
        version, path = self.doc_version(uri), self.path(uri)
        old = self.runs.pop(uri, None)
        if old is not None:
            old.cancel()
        task = asyncio.ensure_future(run_checks(path, self.unsaved(), timeout))
        self.runs[uri] = task
        try:
            run = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this request itself was cancelled
            run = CheckRun((), ("stopped before the end: a newer run of this file, or the server shuts down",))
        finally:
            if self.runs.get(uri) is task:
                del self.runs[uri]
        analysis = self.analyses.get(uri)
        run = _unfinished(run, analysis, timeout)
        self.checked[uri] = Checked(version, run)
        self._remember(uri, run)
        self.publish(uri)
        return run

    def _remember(self, uri: str, run: CheckRun) -> None:
        lines = self.doc_lines(uri)
        for r in run.results:
            directive = lines[r.span.line - 1].strip() if r.span.line <= len(lines) else "check"
            for prop, verdict in r.verdicts:
                self.verdicts[(self.path(uri), prop)] = LastVerdict(
                    verdict, directive, r.span.line, r.status is Status.PASSED)

    async def stop_runs(self) -> None:
        """Cancel every analysis and check run (a run's child processes are killed) and
        wait until each `zcheck.runChecks` request has been answered: pygls 2.1, on
        `shutdown`, cancels the requests still open while iterating over them, which
        fails if one then completes."""
        tasks = list(self.runs.values()) + list(self.pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self.commands, return_exceptions=True)


def _unfinished(run: CheckRun, analysis: Analysis | None, timeout: float) -> CheckRun:
    """`run` with a TIMEOUT result for each directive a deadline left unfinished, in
    the order of the file (runs finish group by group)."""
    done = {r.span.line for r in run.results}
    late = tuple(DirectiveResult(c.span, Status.TIMEOUT, f"not finished within {timeout:g} s")
                 for c in (analysis.checks if analysis and run.timed_out else ()) if c.span.line not in done)
    return replace(run, results=tuple(sorted(run.results + late, key=lambda r: (r.span.line, r.span.col))))


def summary(run: CheckRun) -> dict[str, Any]:
    """What `zcheck.runChecks` returns: counts, and each directive's outcome (0-based line)."""
    count = {s: sum(1 for r in run.results if r.status is s) for s in Status}
    return {
        "passed": count[Status.PASSED], "failed": count[Status.FAILED], "errors": count[Status.ERROR],
        "timedOut": run.timed_out, "messages": list(run.errors),
        "results": [{"line": r.span.line - 1, "status": r.status.value, "got": r.got,
                     "verdicts": dict(r.verdicts)} for r in run.results],
    }


def summary_text(run: CheckRun) -> str:
    """One message for the editor's notification area."""
    s = summary(run)
    text = f"zcheck: {s['passed']} passed, {s['failed']} failed"
    text += f", {s['errors']} in error" if s["errors"] else ""
    text += " (deadline reached)" if run.timed_out else ""
    return text + "".join(f"\n{m}" for m in run.errors)
