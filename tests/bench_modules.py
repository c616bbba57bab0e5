"""Test helper: import the benchmark's scripts by path (bench/ is not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(rel: str) -> ModuleType:
    """The module at ROOT/rel (e.g. `bench/spin/promela.py`), imported as `bench_spin_promela`."""
    name = "_".join(Path(rel).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, ROOT / rel)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses with string annotations look their module up there
    spec.loader.exec_module(mod)
    return mod


def load_bench(rel: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """As `load`, for a script that imports its siblings in bench/ and bench/spin/."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.syspath_prepend(str(ROOT / "bench" / "spin"))
    return load(rel)
