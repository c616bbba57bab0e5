"""Docs that cannot go stale: every command output quoted in README.md and docs/*.md
under a `<!-- zcheck-output: ... -->` marker is what the command prints
(scripts/doc_outputs.py; `--write` regenerates them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import doc_outputs  # noqa: E402

QUOTED = [q for f in doc_outputs.files() for q in doc_outputs.quoted(f)]


def test_the_docs_quote_outputs() -> None:
    assert {q.file.name for q in QUOTED} >= {"cli.md"}


@pytest.mark.parametrize("q", QUOTED, ids=lambda q: f"{q.file.name}:{' '.join(q.args)}")
def test_quoted_output_is_what_zcheck_prints(q: doc_outputs.Quoted) -> None:
    assert doc_outputs.real_output(q) == q.shown, f"run `python3 scripts/doc_outputs.py --write` ({q.file.name})"


def test_a_changed_quote_is_caught(tmp_path: Path) -> None:
    f = tmp_path / "x.md"
    f.write_text("<!-- zcheck-output: check docs/examples/counter_pair.zdl -->\n```\nok: nothing\n```\n")
    (q,) = doc_outputs.quoted(f)
    assert q.args == ("check", "docs/examples/counter_pair.zdl") and q.shown == "ok: nothing\n"
    assert doc_outputs.real_output(q).startswith("ok: model counter_pair")
