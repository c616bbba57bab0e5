"""The classic protocols of bench/protocols/ (issue 15) under `zcheck verify`, at N = 2.

Each buggy variant is VIOLATED; each protocol with its textbook lemmas is PROVED at k = 1
by `--engine kind`; and, the goal of issue 15, each fixed protocol is PROVED by the default
engine without lemmas (the ticket lock left to the benchmark). The full matrix (N = 2..5,
timings) is `python3 bench/protocols.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zcheck import cli

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "bench" / "protocols"

# protocol -> (safety property, length of BUG = 1's shortest counterexample at N = 2,
#              mypyvy's inference time in seconds from issue 15, or None: not given)
PROTOCOLS = {
    "lockserv": ("mutex", 6, 3.2),
    "peterson": ("mutex", 6, 10.1),
    "ticket": ("mutex", 6, 34.3),
    "consensus": ("agreement", 6, None),
}


def verify(tmp_path: Path, spec: str, *args: str) -> tuple[int, dict[str, dict]]:
    """Exit code and the JSON results by property of `zcheck verify` (the command line, run
    in this process: a fresh interpreter per run would add a second to each test)."""
    out = tmp_path / "out.json"
    code = cli.main(["verify", str(MODELS / spec), "-D", "N=2", *args, "--format", "json", "-o", str(out)])
    assert code in (0, 1, 3), code
    meta = json.loads(out.read_text())["#meta"]
    return code, {r["property"]: r for r in meta["results"]}


@pytest.mark.parametrize("name", PROTOCOLS)
def test_buggy_variant_is_violated(tmp_path: Path, name: str) -> None:
    prop, depth, _ = PROTOCOLS[name]
    code, results = verify(tmp_path, f"{name}.zdl", "-D", "BUG=1")
    assert code == 1
    assert results[prop]["verdict"] == "violated"
    assert results[prop]["depth"] == depth


@pytest.mark.parametrize("name", PROTOCOLS)
def test_textbook_lemmas_prove_it_at_k1(tmp_path: Path, name: str) -> None:
    prop, _, _ = PROTOCOLS[name]
    code, results = verify(tmp_path, f"{name}_lemmas.zdl", "--engine", "kind")
    assert code == 0, results
    r = results[prop]
    assert r["verdict"] == "proved"
    assert r["proof"] == "k-induction, k = 1" and r["lemmas"], r
    assert all(x["verdict"] == "proved" for x in results.values()), results


@pytest.mark.parametrize("name", [n for n in PROTOCOLS if n != "ticket"])
def test_default_engine_proves_it_without_lemmas(tmp_path: Path, name: str) -> None:
    """Exhaustion, inference or PDR prove each at N = 2 with no lemma written. (The ticket
    lock is left out: its unbounded tickets leave it to PDR, about 30 s; bench/protocols.py
    measures it. No `--timeout` here: its watchdog ends the process, and this runs in-process.)"""
    prop, _, _ = PROTOCOLS[name]
    code, results = verify(tmp_path, f"{name}.zdl")
    assert code == 0 and results[prop]["verdict"] == "proved", results
