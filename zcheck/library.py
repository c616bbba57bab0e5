"""Top level: the bundled model library (`zcheck models`, `zcheck verify NAME`).

Input: a model name or a path. Output: the bundled models (name, file, one-line summary
taken from the first header line of each `.zdl`) and the file a name resolves to.

The models live in the repository's `models/` folder; `zcheck/models` is a symbolic link
to it, so the same files are found in a source checkout, an editable install and a wheel
(setuptools copies the link's target as package data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class BundledModel:
    name: str  # file name without `.zdl`
    path: str
    summary: str


def library_dir() -> str | None:
    """The folder of bundled models, or None when the installation has none."""
    folder = resources.files("zcheck") / "models"
    path = os.fspath(folder)  # type: ignore[call-overload]
    return path if os.path.isdir(path) else None


def bundled_models() -> list[BundledModel]:
    """Every top-level `.zdl` of the library (models/common holds imported vocabulary)."""
    folder = library_dir()
    if folder is None:
        return []
    names = sorted(n for n in os.listdir(folder) if n.endswith(".zdl"))
    return [_describe(os.path.join(folder, n)) for n in names]


def _describe(path: str) -> BundledModel:
    name = os.path.basename(path)[: -len(".zdl")]
    return BundledModel(name, path, summary_of(path))


def summary_of(path: str) -> str:
    """The first header line, `// NAME — SUMMARY`, without the name; "" if there is none."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    if not first.startswith("//"):
        return ""
    text = first[2:].strip()
    head, sep, rest = text.partition(" — ")
    return rest.strip() if sep and head.strip() else text


def resolve(spec: str) -> str:
    """`spec` itself when it names an existing file, else the bundled model of that name."""
    if os.path.exists(spec):
        return spec
    name = spec[: -len(".zdl")] if spec.endswith(".zdl") else spec
    if os.sep in name or (os.altsep and os.altsep in name):
        return spec
    for model in bundled_models():
        if model.name == name:
            return model.path
    return spec
