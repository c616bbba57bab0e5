"""The parser's on-disk cache (zcheck/spec/parser_cache.py): used when present,
rebuilt when the grammar changes or the file is damaged, written atomically, and never
an error when the directory cannot be written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zcheck.spec import parser as zdl_parser
from zcheck.spec import parser_cache
from zcheck.spec.parser_cache import Source

ROOT = Path(__file__).resolve().parent.parent

GRAMMAR = """
start: pair+
pair: NAME "=" INT
%import common.CNAME -> NAME
%import common.INT
%import common.WS
%ignore WS
"""
OPTIONS = {"parser": "lalr", "propagate_positions": True}


def test_first_load_builds_and_saves_then_loads(tmp_path: Path) -> None:
    first = parser_cache.load(GRAMMAR, OPTIONS, tmp_path)
    assert first.source is Source.BUILT
    assert first.path is not None and first.path.is_file()
    second = parser_cache.load(GRAMMAR, OPTIONS, tmp_path)
    assert second.source is Source.LOADED
    assert second.path == first.path
    assert second.parser.parse("a = 1 b = 2") == first.parser.parse("a = 1 b = 2")


def test_a_changed_grammar_or_option_is_not_served_the_old_tables(tmp_path: Path) -> None:
    parser_cache.load(GRAMMAR, OPTIONS, tmp_path)
    changed = GRAMMAR.replace('"="', '":"')
    got = parser_cache.load(changed, OPTIONS, tmp_path)
    assert got.source is Source.BUILT
    assert got.parser.parse("a : 1").children
    other = parser_cache.load(GRAMMAR, {**OPTIONS, "propagate_positions": False}, tmp_path)
    assert other.source is Source.BUILT
    assert len(list(tmp_path.glob("parser-*.lark"))) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_file_is_rebuilt_and_replaced(tmp_path: Path, damage: str) -> None:
    path = parser_cache.load(GRAMMAR, OPTIONS, tmp_path).path
    assert path is not None
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not a pickle at all", "truncated": data[: len(data) // 2], "empty": b""}[damage])
    got = parser_cache.load(GRAMMAR, OPTIONS, tmp_path)
    assert got.source is Source.BUILT
    assert got.parser.parse("x = 3").children
    assert parser_cache.load(GRAMMAR, OPTIONS, tmp_path).source is Source.LOADED


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    parser_cache.load(GRAMMAR, OPTIONS, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"parser-{parser_cache.cache_key(GRAMMAR, OPTIONS)}.lark"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_an_unwritable_directory_builds_in_memory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        got = parser_cache.load(GRAMMAR, OPTIONS, ro)
    finally:
        ro.chmod(0o700)
    assert got.source is Source.BUILT
    assert list(ro.iterdir()) == []


def test_a_directory_that_cannot_be_created_builds_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would be")
    got = parser_cache.load(GRAMMAR, OPTIONS, blocker / "zcheck")
    assert got.source is Source.BUILT
    assert got.parser.parse("y = 4").children


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(parser_cache.CACHE_ENV, str(tmp_path / "named"))
    assert parser_cache.cache_dir() == tmp_path / "named"
    monkeypatch.delenv(parser_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parser_cache.cache_dir() == tmp_path / "xdg" / "zcheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parser_cache.cache_dir() == tmp_path / "home" / ".cache" / "zcheck"


def test_zcheck_saves_its_parser_once_and_loads_it_after(tmp_path: Path) -> None:
    """A whole command: the first run writes the cache file for the real grammar, the
    second leaves it as it is; a corrupt file is replaced and the command still works."""
    env = {**os.environ, parser_cache.CACHE_ENV: str(tmp_path), "PYTHONPATH": str(ROOT)}
    model = ROOT / "zcheck" / "models" / "zone_device_max_pfn.zdl"
    options = zdl_parser.lark_options()
    path = tmp_path / f"parser-{parser_cache.cache_key(zdl_parser.grammar_text(), options)}.lark"

    def check() -> None:
        done = subprocess.run([sys.executable, "-m", "zcheck", "check", str(model)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ok: model zone_device_max_pfn")

    check()
    assert path.is_file()
    written = path.stat().st_mtime_ns
    check()
    assert path.stat().st_mtime_ns == written
    path.write_bytes(b"\x80\x04corrupt")
    check()
    assert parser_cache.load(zdl_parser.grammar_text(), options, tmp_path).source is Source.LOADED
