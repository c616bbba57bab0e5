"""Command line: argument parsing, and the only place that prints and sets exit codes.

Exit codes (docs/cli.md): 0 every property checked holds as asked; 1 a property is
violated (or a `zcheck test` expectation failed); 2 the spec or the command line is
wrong; 3 inconclusive (timeout, solver unknown, interrupted); 4 internal error
(including a counterexample that does not replay).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Sequence

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 4


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as ZC403 diagnostics with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error[ZC403]: {message}\n  --> <command line>:1:1\n")
        sys.stderr.write(f"  = note: see `{self.prog} --help`\n")
        raise SystemExit(EXIT_USAGE)


def _defines(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise _BadDefine(item)
        out[name.strip()] = value.strip()
    return out


class _BadDefine(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    from zcheck import __version__

    p = _Parser(prog="zcheck", description="Model checker for Linux memory-hotplug and page-flag models (ZDL).")
    p.add_argument("--version", action="version", version=f"zcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("verify", help="check the properties of a model")
    v.add_argument("spec", help="a .zdl file, or the name of a bundled model (see `zcheck models`)")
    v.add_argument("-p", "--property", action="append", default=[], help="check only this property (repeatable)")
    v.add_argument("--depth", type=_nonneg, default=10, help="BMC bound in steps (default 10)")
    v.add_argument("--engine", choices=["auto", "bmc", "kind", "pdr"], default="auto")
    v.add_argument("--max-k", type=_nonneg, default=None,
                   help="largest k for k-induction (default 3 with --engine auto, 8 with --engine kind)")
    v.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    v.add_argument("--scenario")
    v.add_argument("--timeout", type=_positive_float, help="seconds for the whole run (counted from the start)")
    v.add_argument("--memory-limit", type=_positive_int, metavar="MB", help="stop Z3 at this many megabytes (exit 3)")
    v.add_argument("--jobs", type=_positive_int, metavar="N",
                   help="check each property on its own, in N processes (any N gives the same output)")
    v.add_argument("--seed", type=_nonneg, default=0)
    v.add_argument("--format", choices=["text", "json", "markdown", "html", "sarif"], default="text")
    v.add_argument("-o", "--output", help="write the report to this file")
    v.add_argument("--edges", action="store_true",
                   help="warn (ZC902) about transitions edges no trace of up to --depth steps takes")
    for name, what in (("deadlock", "wait-for cycles"), ("stuck", "invalid end states"),
                       ("lockdep", "lock-class order inversions")):
        v.add_argument(f"--no-{name}", dest="skip", action="append_const", const=name, default=[],
                       help=f"do not check the implicit property `{name}` ({what}) by default")
    v.add_argument("--allow-empty", action="store_true",
                   help="exit 0 when the model has nothing to check (default: warning ZC906 and exit 2)")
    v.add_argument("-v", "--verbose", action="store_true")

    c = sub.add_parser("check", help="parse and type-check only")
    c.add_argument("spec")
    c.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")

    t = sub.add_parser("test", help="run the `check ... expect` directives of models")
    t.add_argument("paths", nargs="*", help="model files or folders (default: models)")
    t.add_argument("--junit", help="also write JUnit XML to this file")

    g = sub.add_parser("graph", help="DOT of lifecycles and the action/variable dependency graph")
    g.add_argument("spec")
    g.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    g.add_argument("-o", "--output", help="write the DOT text to this file")

    r = sub.add_parser("replay", help="replay a saved ITF trace and say whether it is still a counterexample")
    r.add_argument("spec")
    r.add_argument("trace", help="an ITF file written by `zcheck verify --format json`")
    r.add_argument("-p", "--property", help="the property to check (default: the one the trace names)")
    r.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")

    f = sub.add_parser("fmt", help="rewrite model files in the canonical layout (comments kept)")
    f.add_argument("files", nargs="+", metavar="FILE", help="model files; `-` formats standard input to standard output")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the files not formatted")

    m = sub.add_parser("models", help="list the bundled models with a one-line summary each")
    m.add_argument("--paths", action="store_true", help="also print each model's file")

    s = sub.add_parser("simulate", help="random runs on the concrete evaluator")
    s.add_argument("spec")
    s.add_argument("--steps", type=_nonneg, default=20)
    s.add_argument("--runs", type=_nonneg, default=100)
    s.add_argument("--seed", type=_nonneg, default=0)
    s.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    return p


MAX_TIMEOUT = 1e6  # seconds (11.6 days): larger values, `inf` included, are refused


def _nonneg(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _nonneg(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number >= 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be positive")
    if not value <= MAX_TIMEOUT:  # inf, 1e300: no clock or timer takes them
        raise argparse.ArgumentTypeError(f"the timeout must be at most {MAX_TIMEOUT:,.0f} seconds (omit it for none)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()  # --timeout counts from here, imports and parsing included
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    old_term = _terminate_like_ctrl_c()
    from zcheck.output import SafeStream

    out, err = sys.stdout, sys.stderr
    sys.stderr = SafeStream(err)  # type: ignore[assignment]
    try:
        args = build_parser().parse_args(argv)
        args.started = started
        if args.command != "fmt":  # fmt's output is the model itself
            sys.stdout = SafeStream(out)  # type: ignore[assignment]
        return _main(args)
    finally:
        sys.stdout, sys.stderr = out, err
        if old_term is not None:
            import signal

            signal.signal(signal.SIGTERM, old_term)


def _terminate_like_ctrl_c():  # type: ignore[no-untyped-def]
    """From the first moment of a command, SIGTERM ends it like Ctrl-C (the verdicts so
    far, no traceback), with exit 143; interrupt.py also stops a running solver. Returns
    the handler it replaced (None off the main thread, where none can be set)."""
    import signal

    from zcheck.interrupt import Terminated

    def on_term(signum: int, frame: object) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, on_term)


def _main(args: argparse.Namespace) -> int:
    from zcheck.diagnostics import Diagnostic, DiagnosticError, NO_SPAN, render

    try:
        defines = _defines(getattr(args, "defines", []))
    except _BadDefine as bad:
        sys.stderr.write(render(Diagnostic("ZC401", f"-D expects NAME=VALUE, got `{bad}`", NO_SPAN)) + "\n")
        return EXIT_USAGE
    try:
        if args.command == "check":  # the front end only: no solver to load
            from zcheck.check_command import check_command

            return check_command(args, defines)
        from zcheck import commands

        return commands.run(args, defines)
    except DiagnosticError as exc:
        sources = getattr(exc, "sources", None)
        for d in exc.diagnostics:
            sys.stderr.write(render(d, sources or _sources_for(d)) + "\n")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        from zcheck.interrupt import Terminated

        sys.stderr.write("terminated\n" if isinstance(exc, Terminated) else "interrupted\n")
        return 128 + 15 if isinstance(exc, Terminated) else EXIT_UNKNOWN
    except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 4, not a traceback
        import traceback

        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write("this is a bug in zcheck; please report it with the model and command line\n")
        if getattr(args, "verbose", False):
            traceback.print_exc()
        return EXIT_INTERNAL


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
