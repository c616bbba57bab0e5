"""`zcheck models [--paths]`: the bundled models, one line each (name and the summary
line of its header)."""

from __future__ import annotations

import argparse

from zcheck.cli.control import Control
from zcheck.cli.exits import Exit


def run(args: argparse.Namespace, defines: dict[str, str], control: Control) -> int:
    """List the bundled models: name and the summary line of its header."""
    from zcheck.library import bundled_models

    found = bundled_models()
    if not found:
        print("no bundled models in this installation")
        return Exit.OK
    width = max(len(m.name) for m in found)
    for m in found:
        print(f"{m.name:<{width}}  {m.summary}" + (f"\n{'':<{width}}  {m.path}" if args.paths else ""))
    return Exit.OK
