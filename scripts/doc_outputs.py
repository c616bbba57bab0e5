"""The command outputs quoted in the docs, produced by the real command.

A Markdown file marks a quoted output with a comment on the line before its code block:

    <!-- zcheck-output: verify docs/examples/counter_pair.zdl | lines 3-5 -->

The block must equal the standard output of `python -m zcheck ARGS` run from the
repository's root (the chosen 1-based, inclusive lines of it, or all of it).
`python3 scripts/doc_outputs.py` checks every marked block of README.md and docs/*.md
(exit 1 on a difference); `--write` rewrites the blocks from the real output.
tests/test_doc_outputs.py runs the check.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!-- zcheck-output: (?P<args>[^|>]+?)(?: \| lines (?P<a>\d+)-(?P<b>\d+))? -->\n```\n(?P<body>.*?)```",
                    re.S)


@dataclass(frozen=True)
class Quoted:
    file: Path
    args: tuple[str, ...]
    lines: tuple[int, int] | None
    shown: str
    start: int  # offsets of the block's body in the file
    end: int


def quoted(file: Path) -> list[Quoted]:
    text = file.read_text(encoding="utf-8")
    return [Quoted(file, tuple(shlex.split(m["args"])), (int(m["a"]), int(m["b"])) if m["a"] else None,
                   m["body"], m.start("body"), m.end("body")) for m in MARKER.finditer(text)]


def real_output(q: Quoted) -> str:
    proc = subprocess.run([sys.executable, "-m", "zcheck", *q.args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    lines = proc.stdout.splitlines(keepends=True)
    if q.lines is not None:
        lines = lines[q.lines[0] - 1:q.lines[1]]
    return "".join(lines)


def files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the quoted blocks from the real output")
    args = ap.parse_args(argv)
    stale = 0
    for f in files():
        blocks = quoted(f)
        text = f.read_text(encoding="utf-8")
        for q in reversed(blocks):
            real = real_output(q)
            if real != q.shown:
                stale += 1
                print(f"{f.relative_to(ROOT)}: `zcheck {' '.join(q.args)}` prints something else")
                text = text[:q.start] + real + text[q.end:]
        if args.write and blocks:
            f.write_text(text, encoding="utf-8")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
