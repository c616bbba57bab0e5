"""`zcheck fmt FILE... [--check]`: model files rewritten in the canonical layout (fmt.py).

`-` formats standard input to standard output. With `--check` nothing is written: exit
1 and the list of files that are not formatted. Without it, files whose text changes
are rewritten atomically (output.py): a file that cannot be written is left as it was,
with a ZC405 error and exit 2. A file that does not parse gets its diagnostic and exit 2,
and so does one whose formatting would change its meaning or rename a property (fmt.py;
`--allow-renames` accepts the renames).
"""

from __future__ import annotations

import argparse
import sys

from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.cli.output import OutputError, write_atomic
from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError
from zcheck.fmt import format_text
from zcheck.spec.frontend import read_source


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    changed: list[str] = []
    errors: list[DiagnosticError] = []
    for path in args.files:
        try:
            if path == "-":
                sys.stdout.write(format_text(sys.stdin.read(), "<stdin>", not args.allow_renames))
                continue
            text = read_source(path)
            pretty = format_text(text, path, not args.allow_renames)
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
    return Exit.VIOLATED if args.check and changed else Exit.OK
