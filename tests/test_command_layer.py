"""The command layer's structure, as DESIGN.md lays it out: zcheck/cli holds every
command, the one exit-code table (the one docs/cli.md documents), and the only code
that prints, parses arguments or ends the process; the library does none of these."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from zcheck.cli.exits import Exit
from zcheck.cli.main import COMMANDS
from zcheck.cli.parser import build_parser

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = [p for p in (ROOT / "zcheck").rglob("*.py") if "cli" not in p.relative_to(ROOT / "zcheck").parts[:1]]


def test_the_exit_table_is_the_documented_one() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Exit codes"):]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert documented == {int(e) for e in Exit}


def test_every_subcommand_has_a_module() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)  # type: ignore[arg-type]
    for name, command in COMMANDS.items():
        module = __import__(command.module, fromlist=["run"])
        assert callable(module.run), name


def _calls(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                out.add(f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) \
                    and isinstance(f.value.value, ast.Name):
                out.add(f"{f.value.value.id}.{f.value.attr}.{f.attr}")
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                out.add(f"{f.value.id}.{f.attr}")
    return out


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_the_library_neither_prints_nor_parses_arguments_nor_exits() -> None:
    offenders = []
    for path in LIBRARY:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT)
        banned_calls = {"print", "sys.exit", "sys.stdout.write", "sys.stderr.write"} & _calls(tree)
        if rel.as_posix() == "zcheck/__main__.py":
            banned_calls -= {"sys.exit"}
        if rel.as_posix() == "zcheck/checker/pdr_job.py":  # the PDR child process ends itself
            banned_calls -= {"os._exit"}
        if rel.as_posix() == "zcheck/lsp/checks.py":  # so does the language server's check runner
            banned_calls -= {"sys.exit"}
        banned_imports = {m for m in _imports(tree) if m == "argparse" or m.startswith("zcheck.cli")}
        if rel.as_posix() == "zcheck/__main__.py":
            banned_imports -= {"zcheck.cli"}
        if banned_calls or banned_imports:
            offenders.append((rel.as_posix(), sorted(banned_calls | banned_imports)))
    assert offenders == []


def test_the_library_checks_itself_for_the_test_above() -> None:
    """The walk above sees the calls it bans (so it cannot pass by looking at nothing)."""
    tree = ast.parse("import argparse\nimport sys\nprint(1)\nsys.stderr.write('x')\nsys.exit(2)\n")
    assert {"print", "sys.stderr.write", "sys.exit"} <= _calls(tree)
    assert "argparse" in _imports(tree)
    assert len(LIBRARY) > 50
