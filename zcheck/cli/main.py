"""`zcheck`'s entry point: parse the arguments, run one command, map what happened to
an exit code (exits.py).

Every command is a module of this package with `run(args, defines, control) -> int`,
listed in COMMANDS. A `DiagnosticError` from anywhere is printed with its source line
and exits 2; Ctrl-C exits 3 and SIGTERM 143 (the command has printed its verdicts so
far); any other exception is an internal error, exit 4, with no traceback unless `-v`.
Standard output and error pass through `SafeStream` (output.py) for every command but
`fmt`, whose output is the model itself.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import NoReturn, Sequence

from zcheck.cli.control import Control, sigterm_like_ctrl_c
from zcheck.cli.exits import Exit
from zcheck.cli.parser import BadDefine, build_parser, defines as parse_defines


@dataclass(frozen=True)
class Command:
    module: str  # a module of zcheck.cli with `run(args, defines, control) -> int`
    solver: bool  # runs Z3 (Ctrl-C must reach it); `check`, `fmt`, `models` load no solver


COMMANDS = MappingProxyType({
    "verify": Command("zcheck.cli.verify", True),
    "check": Command("zcheck.cli.check", False),
    "test": Command("zcheck.cli.test", True),
    "graph": Command("zcheck.cli.graph", True),
    "replay": Command("zcheck.cli.replay", True),
    "fmt": Command("zcheck.cli.fmt", False),
    "models": Command("zcheck.cli.models", False),
    "simulate": Command("zcheck.cli.simulate", True),
    "sweep": Command("zcheck.cli.sweep", True),
    "lsp": Command("zcheck.cli.lsp", False),
})


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()  # --timeout counts from here, imports and parsing included
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    from zcheck.cli.output import SafeStream

    out, err = sys.stdout, sys.stderr
    sys.stderr = SafeStream(err)
    try:
        with sigterm_like_ctrl_c():
            args = build_parser().parse_args(argv)
            if args.command not in ("fmt", "lsp"):  # fmt's output is the model itself, lsp's the protocol
                sys.stdout = SafeStream(out)
            return int(_run(args, Control(started, getattr(args, "timeout", None))))
    except KeyboardInterrupt as exc:  # before a command started: while importing or parsing
        return _interrupted(exc)
    finally:
        sys.stdout, sys.stderr = out, err


def entry() -> NoReturn:
    """The process's entry (the `zcheck` script, `python -m zcheck`): `main`, then an
    exit that skips the interpreter's teardown, which freed every Z3 term and syntax
    node one by one: 0.05 s of CPU after `verify` had printed its last line. Standard
    output and error are flushed first; when a flush fails (a closed pipe), or when
    child processes were started (multiprocessing's exit handlers join them), the
    ordinary exit runs instead."""
    code = main()
    if not any(m in sys.modules for m in ("multiprocessing", "concurrent.futures")):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


def _run(args: argparse.Namespace, control: Control) -> int:
    from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN, render

    try:
        defines = parse_defines(getattr(args, "defines", []))
    except BadDefine as bad:
        sys.stderr.write(render(Diagnostic("ZC401", f"-D expects NAME=VALUE, got `{bad}`", NO_SPAN)) + "\n")
        return Exit.USAGE
    command = COMMANDS[args.command]
    try:
        module = importlib.import_module(command.module)
        if not command.solver:
            return int(module.run(args, defines, control))
        with control.cancellable() as signals:
            code = int(module.run(args, defines, control))
        return Exit.TERMINATED if signals.terminated else code
    except DiagnosticError as exc:
        sources = getattr(exc, "sources", None)
        for d in exc.diagnostics:
            sys.stderr.write(render(d, sources or _sources_for(d)) + "\n")
        return Exit.USAGE
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 4, not a traceback
        import traceback

        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write("this is a bug in zcheck; please report it with the model and command line\n")
        if getattr(args, "verbose", False):
            traceback.print_exc()
        return Exit.INTERNAL


def _interrupted(exc: KeyboardInterrupt) -> Exit:
    from zcheck.cli.interrupt import Terminated

    sys.stderr.write("terminated\n" if isinstance(exc, Terminated) else "interrupted\n")
    return Exit.TERMINATED if isinstance(exc, Terminated) else Exit.UNKNOWN


def _sources_for(d: object):  # type: ignore[no-untyped-def]
    """Read the file a diagnostic points into, to quote its line: a regular file of at
    most the model size limit (the diagnostic may be about `/dev/zero` or a FIFO)."""
    import os
    import stat

    from zcheck.diagnostics import Sources
    from zcheck.spec.frontend import MAX_FILE_BYTES, normalise_newlines

    span = getattr(d, "span")
    try:
        info = os.stat(span.file)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        with open(span.file, encoding="utf-8") as fh:
            return Sources({span.file: normalise_newlines(fh.read(MAX_FILE_BYTES))})
    except (OSError, UnicodeDecodeError, ValueError):
        return None
