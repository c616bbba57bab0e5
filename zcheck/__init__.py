"""zcheck: a model checker for Linux memory-hotplug, ZONE_DEVICE and page-flag models.

Pipeline (imports go one way): spec → system → checker → counterexamples → cli.
`zcheck.verify` is the Python API (notebook.py, docs/api.md); it is loaded when first
called, so that the command line does not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zcheck.notebook import Verification

__version__ = "0.1.0"


def verify(source: str | os.PathLike[str], depth: int = 10, properties: Sequence[str] | None = None,
           defines: Mapping[str, object] | None = None, engine: str = "auto", scenario: str | None = None,
           timeout: float | None = None, seed: int = 0) -> Verification:
    """Check a model and return its verdicts, which render themselves in Jupyter
    (zcheck/notebook.py says how; docs/api.md shows it)."""
    from zcheck.notebook import verify as run

    return run(source, depth, properties, defines, engine, scenario, timeout, seed)
