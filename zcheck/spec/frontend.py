"""Front end entry point: file path (or text) + overrides → `CheckedSpec`.

Reads the main file and its imports (each once, paths relative to the importing file),
parses them, and runs the type checker over all declarations. Raises `DiagnosticError`
with every problem found; never lets a Python exception escape for bad input.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Mapping

from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN, Sources, Span
from zcheck.spec import ast, declcheck
from zcheck.spec.checked import CheckedSpec
from zcheck.spec.parser import parse, parse_expr

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_IMPORTS = 256


_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")


def normalise_newlines(text: str) -> str:
    """Every line break an editor counts (CRLF, CR, LF, U+2028, U+2029, U+0085) as LF: so
    each ends a `//` comment, and diagnostics give the line numbers the editor shows. A
    CR-only file used to be read as one line, its first `//` commenting out the rest."""
    return _LINE_BREAK.sub("\n", text)


def read_source(path: str, span: Span | None = None) -> str:
    """Read a model file as UTF-8 text, or raise a ZC100 diagnostic. An import (`span`
    given) must be a regular file: a FIFO would block and `/dev/zero` never ends. The
    main file may be a pipe (`zcheck verify <(gen)`); whatever it is, at most
    MAX_FILE_BYTES are read."""
    where = span or Span(path, 1, 1, 1, 1)
    if "\0" in path:
        raise DiagnosticError([Diagnostic("ZC100", f"cannot read `{path!r}`: a path cannot contain NUL", where)])
    try:
        info = os.stat(path)
    except OSError:
        raise DiagnosticError([Diagnostic("ZC100", f"cannot read `{path}`: no such file", where)]) from None
    if stat.S_ISDIR(info.st_mode):
        raise DiagnosticError([Diagnostic("ZC100", f"`{path}` is a directory, not a model file", where)])
    if span is not None and not stat.S_ISREG(info.st_mode):
        raise DiagnosticError([Diagnostic(
            "ZC100", f"`{path}` is {_kind(info.st_mode)}, not a regular file; only regular files are imported", where)])
    too_big = Diagnostic("ZC100", f"`{path}` is larger than {MAX_FILE_BYTES} bytes, the limit for a model file", where)
    if info.st_size > MAX_FILE_BYTES:
        raise DiagnosticError([too_big])
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DiagnosticError([Diagnostic("ZC100", f"cannot read `{path}`: {exc.strerror}", where)]) from None
    if len(data) > MAX_FILE_BYTES:
        raise DiagnosticError([too_big])
    try:
        return normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DiagnosticError([Diagnostic(
            "ZC100", f"`{path}` is not valid UTF-8 (byte 0x{data[exc.start]:02x})", Span(path, line, col, line, col + 1)
        )]) from None


def _kind(mode: int) -> str:
    """What a non-regular file is, for a diagnostic."""
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def _header(text: str) -> str:
    """The leading comment block of a file (the model's kernel context)."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            lines.append(stripped[2:].removeprefix(" "))
        elif stripped == "" and not lines:
            continue
        else:
            break
    return "\n".join(lines).strip()


def load_modules(main_file: str, main_text: str | None = None,
                 unsaved: Mapping[str, str] | None = None) -> tuple[list[ast.Module], Sources]:
    """Parse `main_file` (its text `main_text` when given) and every file it imports.
    `unsaved` maps normalised paths to text that an editor holds and has not saved: a
    file found there is read from it instead of the disk (the language server)."""
    unsaved = unsaved or {}
    texts: dict[str, str] = {}
    modules: list[ast.Module] = []
    diags: list[Diagnostic] = []
    stack: list[tuple[str, str | None, Span | None, tuple[str, ...]]] = [(main_file, main_text, None, ())]
    seen: set[str] = set()
    while stack:
        path, text, span, chain = stack.pop()
        key = os.path.normpath(path)
        if key in chain:
            diags.append(Diagnostic("ZC103", f"import cycle: {' -> '.join(chain + (key,))}", span or NO_SPAN))
            continue
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_IMPORTS:
            diags.append(Diagnostic("ZC103", f"more than {MAX_IMPORTS} imported files", span or NO_SPAN))
            break
        try:
            text = text if text is not None else unsaved.get(key)
            text = read_source(path, span) if text is None else normalise_newlines(text)
            texts[path] = text
            module = parse(text, path)
        except DiagnosticError as exc:
            if span is not None and exc.diagnostics[0].code == "ZC100":
                first = exc.diagnostics[0]
                diags.append(Diagnostic("ZC103", f"import failed: {first.message}", span))
            else:
                diags.extend(exc.diagnostics)
            continue
        modules.append(module)
        base = os.path.dirname(path)
        for d in reversed(module.decls):
            if isinstance(d, ast.ImportDecl):
                stack.append((os.path.join(base, d.path), None, d.span, chain + (key,)))
    if diags:
        raise DiagnosticError(diags)
    return modules, Sources(texts)


def parse_overrides(raw: dict[str, str]) -> dict[str, ast.Expr]:
    out: dict[str, ast.Expr] = {}
    diags: list[Diagnostic] = []
    for name, text in raw.items():
        try:
            out[name] = parse_expr(text, f"-D {name}")
        except DiagnosticError as exc:
            d = exc.diagnostics[0]
            diags.append(Diagnostic("ZC401", f"bad value for -D {name}={text}: {d.message}", NO_SPAN))
    if diags:
        raise DiagnosticError(diags)
    return out


def check_file(path: str, overrides: dict[str, str] | None = None, text: str | None = None,
               expr_overrides: dict[str, ast.Expr] | None = None,
               unsaved: Mapping[str, str] | None = None) -> CheckedSpec:
    """Load, parse and type-check a model. Raises DiagnosticError on any error.

    `overrides` are `-D` texts; `expr_overrides` are already parsed (check directives);
    `unsaved` are editor texts by normalised path, read instead of those files."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    modules, sources = load_modules(path, text, unsaved)
    return check_loaded(path, modules, sources, overrides, expr_overrides)


def check_loaded(path: str, modules: list[ast.Module], sources: Sources, overrides: dict[str, str] | None = None,
                 expr_overrides: dict[str, ast.Expr] | None = None) -> CheckedSpec:
    """Type-check modules `load_modules` returned (the language server keeps the parsed
    modules for its symbol index, and type-checks them without parsing again)."""
    parsed = parse_overrides(overrides or {})
    parsed.update(expr_overrides or {})
    header = _header(sources.texts.get(path, ""))
    return declcheck.check_modules(modules, parsed, sources, path, header)
