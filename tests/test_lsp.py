"""`zcheck lsp` end to end: the real server (`python -m zcheck lsp`) driven over stdio by
pygls's own client. Diagnostics as the CLI gives them and cleared when fixed, warnings
as warnings, unsaved imports, hover, go to definition, document symbols and completion
on a library model and on a liveness model, and the command that runs `check`
directives (verdicts on the check lines, the deadline, no child process left behind).

Every session ends with shutdown and exit under a timeout; a server that does not end
is killed, so a failing test leaves no process behind.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds for any one answer: generous, the machine may be busy

TINY = """\
model tiny
var x: int = 0
action inc() {
  require x < 3
  x := x + 1
}
invariant small: x <= 3
invariant tiny_x: x <= 1
check small expect proved
check tiny_x expect violated at 2
check tiny_x expect holds
"""

LIVE = """\
model live
var x: int = 0
fair process ticker {
  step tick {
    x := (x + 1) % 3
  }
  loop
}
strong fair action reset() {
  x := 0
}
property zero_again: always eventually x == 0
property settles: eventually always x >= 0
property back: x == 1 leads_to x == 0
property back2: x == 2 ~> x == 0
"""


class Session:
    """A client talking to one server, collecting the diagnostics it publishes."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.published: dict[str, list[lsp.PublishDiagnosticsParams]] = {}
        self.changed = asyncio.Event()

    def on_diagnostics(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.published.setdefault(params.uri, []).append(params)
        self.changed.set()

    async def diagnostics(self, uri: str, ok: Callable[[list[lsp.Diagnostic]], bool] = lambda d: True,
                          ) -> list[lsp.Diagnostic]:
        """The first diagnostics published for `uri` (from now on, or already) that `ok` accepts."""
        async def wait() -> list[lsp.Diagnostic]:
            while True:
                for p in self.published.get(uri, []):
                    if ok(list(p.diagnostics)):
                        return list(p.diagnostics)
                self.changed.clear()
                await self.changed.wait()
        return await asyncio.wait_for(wait(), WAIT)

    def forget(self, uri: str) -> None:
        self.published.pop(uri, None)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = from_fs_path(str(path))
        assert uri is not None
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=uri, language_id="zdl", version=1, text=path.read_text() if text is None else text)))
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    async def hover(self, uri: str, line: int, col: int) -> str:
        h = await asyncio.wait_for(self.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, col))), WAIT)
        assert h is not None and isinstance(h.contents, lsp.MarkupContent)
        return h.contents.value

    async def definition(self, uri: str, line: int, col: int) -> lsp.Location:
        d = await asyncio.wait_for(self.client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, col))), WAIT)
        assert isinstance(d, lsp.Location), d
        return d

    async def run_checks(self, uri: str, *args: Any) -> dict[str, Any]:
        result = await asyncio.wait_for(self.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="zcheck.runChecks", arguments=[uri, *args])), WAIT * 3)
        assert isinstance(result, dict), result
        return result


def _converter() -> Any:
    """pygls's converter, except that a code action carrying a command is read as a
    CodeAction (lsprotocol 2025.0.0 reads any object with a `command` key as a Command;
    editors tell them apart by the key's type, a string only in a Command)."""
    converter = default_converter()

    def code_action(obj: Any, _: type) -> lsp.Command | lsp.CodeAction:
        kind = lsp.Command if isinstance(obj.get("command"), str) else lsp.CodeAction
        return converter.structure(obj, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], code_action)
    return converter


@asynccontextmanager
async def session(root: Path) -> AsyncIterator[Session]:
    client = LanguageClient("zcheck-tests", "1", converter_factory=_converter)
    s = Session(client)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        s.on_diagnostics(params)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def shown(params: lsp.ShowMessageParams) -> None:
        pass

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    await client.start_io(sys.executable, "-m", "zcheck", "lsp", env=env, cwd=str(root))
    try:
        await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(root)),
            initialization_options={"debounce": 0.05})), WAIT)
        client.initialized(lsp.InitializedParams())
        yield s
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
        await asyncio.wait_for(client.stop(), WAIT)
        assert client._server is not None and client._server.returncode == 0
    finally:
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()
            await server.wait()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def at(text: str, needle: str, nth: int = 0, offset: int = 0) -> tuple[int, int]:
    """The 0-based (line, column) of the `nth` occurrence of `needle`, plus `offset` columns."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i)
    return line, i - (text.rfind("\n", 0, i) + 1) + offset


def runner_processes(marker: str) -> list[int]:
    """The check runners (and their children) whose command line names `marker`."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if marker in cmdline and "zcheck.lsp.checks" in cmdline:
                out.append(int(pid))
    return out


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_are_the_clis_and_clear_when_fixed(tmp_path: Path) -> None:
    model = tmp_path / "bad.zdl"
    bad = TINY.replace("x := x + 1", "x := x + true")
    model.write_text(bad)
    cli = subprocess.run([sys.executable, "-m", "zcheck", "check", str(model)], capture_output=True, text=True,
                         cwd=ROOT, timeout=WAIT)
    assert cli.returncode == 2
    code = re.search(r"error\[(ZC\d+)\]: (.*)", cli.stderr)
    where = re.search(r"--> .*:(\d+):(\d+)", cli.stderr)
    assert code and where, cli.stderr
    width = cli.stderr.splitlines()[3].count("^")

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(model, bad)
            (d,) = await s.diagnostics(uri)
            assert (d.code, d.message, d.severity) == (code.group(1), code.group(2), lsp.DiagnosticSeverity.Error)
            line, col = int(where.group(1)) - 1, int(where.group(2)) - 1
            assert (d.range.start.line, d.range.start.character) == (line, col)
            assert (d.range.end.line, d.range.end.character) == (line, col + width)
            s.change(uri, 2, TINY)  # fixed, not saved
            assert await s.diagnostics(uri, lambda ds: not ds) == []
            s.change(uri, 3, TINY.replace("invariant small", "invariant small small"))  # half-typed
            (d,) = await s.diagnostics(uri, lambda ds: bool(ds) and ds[0].code == "ZC101")
            assert d.range.start.line == 6

    run(main())


def test_a_warning_is_a_warning(tmp_path: Path) -> None:
    text = ("model w\nenum st { A, B, C }\nvar v: st = A\ntransitions v {\n  A -> B: go\n}\n"
            "action go() {\n  require v == A\n  v := B\n}\ninvariant ok: v != C\n")
    model = tmp_path / "w.zdl"
    model.write_text(text)

    async def main() -> None:
        async with session(tmp_path) as s:
            (d,) = await s.diagnostics(s.open(model))
            assert (d.code, d.severity, d.range.start.line) == ("ZC901", lsp.DiagnosticSeverity.Warning, 3)

    run(main())


def test_columns_are_counted_in_the_clients_units(tmp_path: Path) -> None:
    """zcheck counts characters; LSP counts UTF-16 code units unless the client asks for
    another encoding: an emoji before the error is two of them."""
    text = TINY.replace("x := x + 1", "x := /* 😀 */ x + true")
    model = tmp_path / "emoji.zdl"
    model.write_text(text)

    async def main() -> None:
        async with session(tmp_path) as s:
            (d,) = await s.diagnostics(s.open(model))
            line = text.split("\n")[4]
            start = line.index("x + true")
            assert (d.range.start.line, d.range.start.character) == (4, start + 1)  # +1: the emoji's second unit
            assert d.range.end.character == start + 1 + len("x + true")

    run(main())


def test_imports_are_read_from_the_editor_when_open(tmp_path: Path) -> None:
    lib, main_file = tmp_path / "lib.zdl", tmp_path / "main.zdl"
    lib.write_text("const N: int = 2\n")
    main_text = 'model m\nimport "lib.zdl"\nvar x: int = N + M\ninvariant i: x >= 0\n'
    main_file.write_text(main_text)

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(main_file)
            (d,) = await s.diagnostics(uri, bool)
            assert d.code == "ZC201" and "M" in d.message and d.range.start.line == 2
            lib_uri = s.open(lib, "const N: int = 2\nconst M: int = 3\n")  # unsaved: M only in the editor
            await s.diagnostics(uri, lambda ds: not ds)
            s.forget(uri)
            s.change(lib_uri, 2, "const N: int = \n")  # an error inside the import: shown on the import line
            (d,) = await s.diagnostics(uri, bool)
            assert d.code == "ZC101" and d.range.start.line == 1 and "lib.zdl" in d.message
            assert d.related_information and d.related_information[0].location.uri == lib_uri
            loc = await s.definition(uri, *at(main_text, "N +"))
            assert loc.uri == lib_uri and loc.range.start.line == 0

    run(main())


# ---------------------------------------------------------------- names


def test_hover_definition_symbols_and_completion_on_a_library_model(tmp_path: Path) -> None:
    path = ROOT / "models" / "pfn_walker_toctou.zdl"
    text = path.read_text()

    async def main() -> None:
        async with session(ROOT) as s:
            uri = s.open(path)
            assert await s.diagnostics(uri) == []
            const = await s.hover(uri, *at(text, "NSECT", nth=1))
            assert "const NSECT: int = 3" in const and "value: 3" in const
            var = await s.hover(uri, *at(text, "memmap[s] := POISONED", offset=1))
            assert "var memmap: map[sect] memmap_t" in var and "map[0 .. 3] memmap_t" in var
            param = await s.hover(uri, *at(text, "require state[s] == ABSENT", offset=len("require state[")))
            assert "s: sect" in param and "parameter" in param and "action add_memory" in param
            local = await s.hover(uri, *at(text, "page := state[s]", offset=len("page := state[")))
            assert "var s: sect" in local and "process walker" in local
            member = await s.hover(uri, *at(text, "WALKER == GET_ONLINE_MEMS", offset=len("WALKER == ")))
            assert "GET_ONLINE_MEMS: walker_t" in member and "member 2" in member
            lock = await s.hover(uri, *at(text, "down_write mem_hotplug", offset=len("down_write ")))
            assert "rwsem mem_hotplug" in lock and "lock" in lock
            prop = await s.hover(uri, *at(text, "walker_memmap_init"))
            assert "assert walker_memmap_init" in prop and "not checked in this session" in prop
            proc = await s.hover(uri, *at(text, "process walker", offset=len("process ")))
            assert "process walker[2]" in proc and "lookup → read" in proc

            decl = at(text, "var memmap")
            loc = await s.definition(uri, *at(text, "memmap[s] := POISONED"))
            assert loc.uri == uri and (loc.range.start.line, loc.range.start.character) == (decl[0], decl[1] + 4)
            loc = await s.definition(uri, *at(text, "require state[s] == ABSENT", offset=len("require state[")))
            assert loc.range.start.line == at(text, "action add_memory(s")[0]

            symbols = await asyncio.wait_for(s.client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))), WAIT)
            assert symbols is not None
            by_name = {x.name: x for x in symbols if isinstance(x, lsp.DocumentSymbol)}
            assert {"add_memory", "walker", "mem_hotplug", "NSECT", "sect_t", "state"} <= set(by_name)
            assert by_name["add_memory"].kind == lsp.SymbolKind.Event
            walker = by_name["walker"]
            assert walker.kind == lsp.SymbolKind.Class
            assert [c.name for c in walker.children or [] if c.kind == lsp.SymbolKind.Method] == ["lookup", "read"]
            assert {p.name for p in symbols if p.kind == lsp.SymbolKind.Boolean} >= {"online_memmap_init"}

            line, col = at(text, "nr_reads := nr_reads + 1", offset=len("nr_reads := "))
            done = await asyncio.wait_for(s.client.text_document_completion_async(lsp.CompletionParams(
                lsp.TextDocumentIdentifier(uri), lsp.Position(line, col))), WAIT)
            assert isinstance(done, lsp.CompletionList)
            labels = {i.label: i.kind for i in done.items}
            assert labels["nr_reads"] == lsp.CompletionItemKind.Variable
            assert labels["page"] == lsp.CompletionItemKind.Variable  # a local of the process
            assert labels["add_memory"] == lsp.CompletionItemKind.Event
            assert labels["forall"] == lsp.CompletionItemKind.Keyword
            assert labels["always"] == lsp.CompletionItemKind.Keyword

            typing = text + "invariant probe: walker[1]."  # half-typed: the last index that parsed answers
            s.change(uri, 2, typing)
            await s.diagnostics(uri, lambda ds: any(d.code == "ZC101" for d in ds))
            end = typing.split("\n")[-1]
            members = await asyncio.wait_for(s.client.text_document_completion_async(lsp.CompletionParams(
                lsp.TextDocumentIdentifier(uri), lsp.Position(typing.count("\n"), len(end)))), WAIT)
            assert isinstance(members, lsp.CompletionList)
            assert {i.label for i in members.items} == {"lookup", "read", "s", "page"}

    run(main())


def test_liveness_properties_and_fairness_in_hover_and_symbols(tmp_path: Path) -> None:
    model = tmp_path / "live.zdl"
    model.write_text(LIVE)

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(model)
            assert await s.diagnostics(uri) == []
            h = await s.hover(uri, *at(LIVE, "zero_again"))
            assert "property zero_again: always eventually x == 0" in h and "liveness (always eventually)" in h
            h = await s.hover(uri, *at(LIVE, "settles"))
            assert "eventually always x >= 0" in h
            h = await s.hover(uri, *at(LIVE, "back2"))
            assert "property back2: x == 2 leads_to x == 0" in h and "liveness (leads_to)" in h
            h = await s.hover(uri, *at(LIVE, "ticker"))
            assert "fair process ticker" in h and "weakly fair" in h
            h = await s.hover(uri, *at(LIVE, "reset"))
            assert "strong fair action reset" in h and "strongly fair" in h
            symbols = await asyncio.wait_for(s.client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))), WAIT)
            assert symbols is not None
            details = {x.name: x.detail for x in symbols if isinstance(x, lsp.DocumentSymbol)}
            assert details["back"] == "liveness (leads_to)" and details["settles"] == "liveness (eventually always)"

    run(main())


# ---------------------------------------------------------------- check directives


def test_running_the_check_directives_shows_verdicts_on_their_lines(tmp_path: Path) -> None:
    model = tmp_path / "tiny.zdl"
    model.write_text(TINY)

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(model)
            assert await s.diagnostics(uri) == []
            actions = await asyncio.wait_for(s.client.text_document_code_action_async(lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                lsp.CodeActionContext(diagnostics=[]))), WAIT)
            assert actions and isinstance(actions[0], lsp.CodeAction) and actions[0].command is not None
            command = actions[0].command
            assert command.command == "zcheck.runChecks" and list(command.arguments or []) == [uri]

            running = asyncio.ensure_future(s.run_checks(uri))
            hover = await s.hover(uri, *at(TINY, "tiny_x"))  # the server answers while the checks run
            assert "invariant tiny_x" in hover and not running.done()
            result = await running
            assert (result["passed"], result["failed"], result["timedOut"]) == (2, 1, False)
            assert [r["line"] for r in result["results"]] == [8, 9, 10]
            shown = await s.diagnostics(uri, lambda ds: len(ds) == 3)
            assert [(d.range.start.line, d.severity) for d in shown] == [
                (8, lsp.DiagnosticSeverity.Information), (9, lsp.DiagnosticSeverity.Information),
                (10, lsp.DiagnosticSeverity.Warning)]
            assert shown[1].message == "PASSED: tiny_x violated at 2"
            assert shown[2].message == "FAILED: got tiny_x violated at 2"
            last = await s.hover(uri, *at(TINY, "tiny_x"))
            assert "last check: **violated at 2**" in last
            lenses = await asyncio.wait_for(s.client.text_document_code_lens_async(lsp.CodeLensParams(
                lsp.TextDocumentIdentifier(uri))), WAIT)
            assert lenses and [x.command.title for x in lenses if x.command][0] == "PASSED: small proved"
            s.forget(uri)
            s.change(uri, 2, TINY + "\n")  # another text: the verdicts are no longer shown
            assert await s.diagnostics(uri) == []
        assert runner_processes(str(model)) == []

    run(main())


def test_a_check_run_stops_at_its_deadline_and_leaves_no_process(tmp_path: Path) -> None:
    model = tmp_path / "slow.zdl"
    model.write_text(TINY)

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(model)
            await s.diagnostics(uri)
            result = await s.run_checks(uri, 0.01)  # ends before the runner has even started Python
            assert result["timedOut"] is True and result["passed"] == 0
            shown = await s.diagnostics(uri, lambda ds: len(ds) == 3)
            assert all(d.message.startswith("TIMEOUT") and d.severity == lsp.DiagnosticSeverity.Warning
                       for d in shown)
            assert runner_processes(str(model)) == []

    run(main())


def test_shutting_the_server_down_stops_a_running_check(tmp_path: Path) -> None:
    model = tmp_path / "running.zdl"
    model.write_text(TINY)

    async def main() -> None:
        async with session(tmp_path) as s:
            uri = s.open(model)
            await s.diagnostics(uri)
            running = asyncio.ensure_future(s.run_checks(uri, 600))
            for _ in range(int(WAIT * 10)):  # until the runner has started
                if runner_processes(str(model)) or running.done():
                    break
                await asyncio.sleep(0.1)
            assert runner_processes(str(model)) and not running.done()
        await asyncio.gather(running, return_exceptions=True)  # answered or failed: the server is gone
        assert runner_processes(str(model)) == []

    run(main())


def test_without_the_extra_zcheck_lsp_exits_2_naming_it() -> None:
    code = ("import sys; sys.modules['pygls'] = sys.modules['lsprotocol'] = None\n"
            "from zcheck.cli.main import main; sys.exit(main(['lsp']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=WAIT)
    assert proc.returncode == 2
    assert "ZC410" in proc.stderr and "pip install 'zcheck[lsp]'" in proc.stderr


# ---------------------------------------------------------------- the index, in process (no server)

SCOPES = """\
model idx
const N: int = 0x40
var m: map[int] bool = false
fn f(p: int): bool = forall q in 0 .. p :: m[q]
action a(p: int) {
  let v = p + 1
  if v > 2 {
    let w = any bool
    m[v] := w
  }
  assert named: exists r: int :: m[r] || f(N)
}
process walker[2] {
  var page: bool = false
  step lookup {
    page := m[0]
    goto again
  }
  step again {
    page := false
  }
}
scenario sc { walker[0].lookup }
invariant inv: forall p: int :: m[p] -> walker[0].page || true
"""


def _lookup(path: Path, needle: str, nth: int = 0, offset: int = 0) -> Any:
    from zcheck.lsp.analysis import analyse
    from zcheck.lsp.symbols import word_at

    analysis = analyse(str(path), {str(path): SCOPES})
    assert analysis.diagnostics == () and analysis.index is not None
    line, col = at(SCOPES, needle, nth, offset)
    word = word_at(SCOPES.split("\n")[line], str(path), line + 1, col + 1)
    assert word is not None
    return analysis.index.lookup(word)


def test_names_resolve_to_the_innermost_declaration_in_scope(tmp_path: Path) -> None:
    from zcheck.lsp.symbols import Role

    path = tmp_path / "idx.zdl"
    fn_p = _lookup(path, "0 .. p", offset=len("0 .. "))
    assert (fn_p.role, fn_p.owner) == (Role.PARAMETER, "fn f")
    action_p = _lookup(path, "p + 1")
    assert (action_p.role, action_p.owner) == (Role.PARAMETER, "action a")
    inv_p = _lookup(path, "m[p] ->", offset=2)
    assert (inv_p.role, inv_p.signature) == (Role.BOUND, "p: int")
    assert _lookup(path, "m[q]", offset=2).signature == "q: int in 0 .. p"
    v = _lookup(path, "v > 2")
    assert (v.role, v.signature) == (Role.LOCAL, "let v: int = p + 1")
    w = _lookup(path, "m[v] := w", offset=len("m[v] := "))
    assert w.signature == "let w: bool = any bool"
    n = _lookup(path, "f(N)", offset=2)
    assert n.role is Role.CONSTANT and "value: 64 (0x40)" in n.notes
    assert _lookup(path, "named").detail == "assert"


def test_steps_and_locals_are_found_through_their_process(tmp_path: Path) -> None:
    from zcheck.lsp.symbols import Role

    path = tmp_path / "idx.zdl"
    again = _lookup(path, "goto again", offset=len("goto "))
    assert (again.role, again.name_span.line) == (Role.STEP, at(SCOPES, "step again")[0] + 1)
    step = _lookup(path, "walker[0].lookup", offset=len("walker[0]."))
    assert (step.role, step.owner) == (Role.STEP, "process walker")
    local = _lookup(path, "walker[0].page", offset=len("walker[0]."))
    assert (local.role, local.signature) == (Role.LOCAL, "var page: bool")


def test_every_prefix_of_a_model_is_analysed_without_an_exception() -> None:
    """What an editor sends while a model is typed: the analysis gives diagnostics and,
    when the text parses, an index; it never raises."""
    from zcheck.lsp.analysis import analyse

    path = str(ROOT / "models" / "memory_block_locks.zdl")
    text = Path(path).read_text()
    for end in range(0, len(text) + 1, max(1, len(text) // 40)):
        analysis = analyse(path, {path: text[:end]})
        assert analysis.index is not None or analysis.diagnostics
