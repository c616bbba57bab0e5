"""The bundled model library: `zcheck models`, `zcheck verify NAME`, packaging, and the
generated files (models/README.md, models/reports/) checked for drift."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from zcheck.cli import main
from zcheck.library import bundled_models, library_dir, resolve, summary_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
SCRIPTS = os.path.join(ROOT, "scripts")


def _top_level_models() -> list[str]:
    return sorted(n[:-4] for n in os.listdir(MODELS) if n.endswith(".zdl"))


def test_library_is_the_models_folder():
    assert library_dir() is not None
    assert os.path.samefile(library_dir(), MODELS)
    assert [m.name for m in bundled_models()] == _top_level_models()


def test_every_model_has_a_summary(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(_top_level_models())
    for name, line in zip(_top_level_models(), out):
        assert line.startswith(name)
        summary = line[len(name):].strip()
        assert summary and summary == summary_of(os.path.join(MODELS, name + ".zdl"))


def test_summary_drops_the_name(tmp_path):
    f = tmp_path / "m.zdl"
    f.write_text("// m — a short summary (catalogue S99)\nmodel m\n", encoding="utf-8")
    assert summary_of(str(f)) == "a short summary (catalogue S99)"
    f.write_text("model m\n", encoding="utf-8")
    assert summary_of(str(f)) == ""


def test_verify_accepts_a_bundled_name(capsys):
    code = main(["verify", "compound_pageblock_mt", "-p", "init_covers_range"])
    out = capsys.readouterr().out
    assert code == 1
    assert "VIOLATED" in out and "init_covers_range" in out


def test_verify_unknown_name_is_a_diagnostic(capsys):
    assert main(["verify", "no_such_model_anywhere"]) == 2
    assert "ZC100" in capsys.readouterr().err


def test_an_existing_path_wins_over_a_bundled_name(tmp_path, monkeypatch):
    (tmp_path / "section_hotplug").write_text("model local\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert resolve("section_hotplug") == "section_hotplug"
    assert os.path.samefile(resolve("section_hotplug.zdl"), os.path.join(MODELS, "section_hotplug.zdl"))
    assert resolve("some/dir/section_hotplug") == "some/dir/section_hotplug"


def test_package_data_covers_the_models():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        data = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["zcheck"]
    assert "models/*.zdl" in data and "models/common/*.zdl" in data
    link = os.path.join(ROOT, "zcheck", "models")
    assert os.path.islink(link) and os.path.samefile(link, MODELS)


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, name), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_readme_table_has_no_drift():
    sys.path.insert(0, SCRIPTS)
    try:
        import models_table
    finally:
        sys.path.remove(SCRIPTS)
    with open(os.path.join(MODELS, "README.md"), encoding="utf-8") as fh:
        committed = models_table.rows_without_time(fh.read())
    fresh = models_table.rows_without_time(models_table.table(timed=False))
    assert len(fresh) > len(_top_level_models())
    assert committed == fresh, "models/README.md is stale: run python3 scripts/models_table.py --write"


@pytest.mark.slow
def test_reports_have_no_drift():
    # byte for byte: every trace, CTI and certificate in the reports is reproducible (budgets in
    # solver resource units, no hash order reaching the solver); regenerated identically
    # under another PYTHONHASHSEED and beside two CPU-bound processes
    done = _script("model_reports.py", "--check")
    assert done.returncode == 0, "stale reports (run python3 scripts/model_reports.py):\n" + done.stdout + done.stderr
