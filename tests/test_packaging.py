"""The installed package needs only what pyproject.toml declares: every module zcheck/
imports is the standard library, zcheck itself, or a runtime dependency. (An import of
`typing_extensions`, present on a developer's machine through other packages, made the
README's first command fail with an internal error on a fresh machine.)"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_NAMES = {"z3-solver": "z3", "lark": "lark", "networkx": "networkx", "rich": "rich",
                "pygments": "pygments", "distributed": "distributed", "pygls": "pygls",
                "lsprotocol": "lsprotocol"}  # distribution → module
# An optional extra's modules may be imported at a module's top level only in the package that needs them.
EXTRAS = {"lsp": ("zcheck/lsp", {"pygls": "pygls", "lsprotocol": "lsprotocol"})}  # extra → (folder, dist → module)


def _names(requirements: list[str]) -> set[str]:
    names = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip() for d in requirements}
    assert names <= set(IMPORT_NAMES), f"add the module name of {names - set(IMPORT_NAMES)} to IMPORT_NAMES"
    return {IMPORT_NAMES[n] for n in names}


def _project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


def _declared() -> set[str]:
    return _names(_project()["dependencies"])


def _optional() -> set[str]:
    """The modules of the optional extras zcheck's commands use (not `test`)."""
    extras = _project()["optional-dependencies"]
    return set().union(*(_names(reqs) for name, reqs in extras.items() if name != "test"))


def _imported(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def _extra_modules(path: Path) -> set[str]:
    """The modules of the optional extras that `path` may import."""
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    rel = path.relative_to(ROOT).as_posix()
    out: set[str] = set()
    for extra, (folder, modules) in EXTRAS.items():
        declared = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in optional[extra]}
        assert declared == set(modules), f"extra `{extra}` declares {declared}"
        if rel.startswith(folder + "/"):
            out |= set(modules.values())
    return out


def test_zcheck_imports_only_the_standard_library_and_its_dependencies() -> None:
    """... and the modules of an optional extra only inside a function, where the
    command that needs it says which extra to install when it is missing."""
    allowed = set(sys.stdlib_module_names) | {"zcheck", "__future__"} | _declared()
    optional = _optional()
    assert "distributed" in optional  # the `cluster` extra
    found = {}
    for path in sorted((ROOT / "zcheck").rglob("*.py")):
        extra = (_imported(path) - allowed - optional) | ((_top_level(path) & optional) - _extra_modules(path))
        if extra:
            found[path.relative_to(ROOT).as_posix()] = sorted(extra)
    assert found == {}


def _top_level(path: Path) -> set[str]:
    """The modules imported by the module's own statements (not inside a function)."""
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_the_walk_sees_a_third_party_import(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import os\nfrom typing_extensions import assert_never\nfrom . import x\n")
    assert _imported(f) == {"os", "typing_extensions"}
