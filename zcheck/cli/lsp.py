"""`zcheck lsp`: the language server (zcheck/lsp/) on standard input and output.

Runs until the editor ends the session (exit 0 after `shutdown` and `exit`, 1 for an
`exit` without `shutdown`, as LSP asks). Without the optional extra `zcheck[lsp]`
(pygls and lsprotocol): diagnostic ZC410 naming it, exit 2.
"""

from __future__ import annotations

import argparse
import sys

from zcheck.cli.control import Control
from zcheck.cli.exits import Exit
from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    try:
        from zcheck.lsp.features import make_server
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        raise DiagnosticError([Diagnostic(
            "ZC410", f"`zcheck lsp` needs the optional extra `lsp` ({exc.name} is missing): "
                     "pip install 'zcheck[lsp]'", NO_SPAN)]) from None
    server = make_server()
    server.start_io(sys.stdin.buffer, sys.stdout.buffer)
    return Exit.OK if server.shut_down else 1  # LSP's rule: `exit` without `shutdown` ends with 1
