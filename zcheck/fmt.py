"""`zcheck fmt`: model files → canonical ZDL text (spec.printer), checked or written back.

Input: paths (or `-` for standard input, formatted to standard output). With `--check`
nothing is written: exit 1 and the list of files that are not formatted. Without it,
files are rewritten in place when their text changes, atomically (zcheck/output.py): a
file that cannot be written is left as it was, with a ZC405 error and exit 2. A file that does not parse gets
its diagnostic and exit 2 (raised as `DiagnosticError` for the CLI to render).
"""

from __future__ import annotations

import argparse
import sys

from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError
from zcheck.output import OutputError, write_atomic
from zcheck.spec.frontend import normalise_newlines, read_source
from zcheck.spec.parser import parse
from zcheck.spec.printer import format_module

EXIT_OK, EXIT_CHANGED = 0, 1


def format_text(text: str, file: str = "<text>") -> str:
    """The canonical form of one file's text; raises DiagnosticError when it does not parse."""
    text = normalise_newlines(text)
    return format_module(parse(text, file), text)


def fmt_command(args: argparse.Namespace) -> int:
    changed: list[str] = []
    errors: list[DiagnosticError] = []
    for path in args.files:
        try:
            if path == "-":
                sys.stdout.write(format_text(sys.stdin.read(), "<stdin>"))
                continue
            text = read_source(path)
            pretty = format_text(text, path)
        except DiagnosticError as exc:
            errors.append(exc)
            continue
        if pretty == text:
            continue
        if not args.check:
            try:
                write_atomic(path, pretty)
            except OutputError as exc:
                errors.append(DiagnosticError([Diagnostic("ZC405", f"{exc}; the file is unchanged", NO_SPAN)]))
                continue
        changed.append(path)
    if errors:
        raise DiagnosticError([d for e in errors for d in e.diagnostics])
    for path in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    return EXIT_CHANGED if args.check and changed else EXIT_OK
