"""No data lost: every file zcheck writes is written atomically (zcheck/cli/output.py).

A full disk is simulated with RLIMIT_FSIZE (`ulimit -f`), which makes a write past the
limit fail with EFBIG (Python ignores SIGXFSZ); an unwritable place with a directory
that does not exist. In every case the original file is left byte for byte, no
temporary file is left beside it, the error is ZC405 and, for `verify -o`, the verdicts
still reach standard output and the exit code still says their class.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from zcheck.cli.output import OutputError, write_atomic

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "zone_device_max_pfn.zdl"


def _zcheck(*args: str, cwd: Path, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=limit, env=env, timeout=300)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_verify_report_on_a_full_disk_keeps_the_old_report_and_prints_the_verdicts(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("the previous report\n")
    done = _zcheck("verify", str(MODEL), "-o", str(report), cwd=tmp_path, fsize=256)
    assert report.read_text() == "the previous report\n"
    assert "error[ZC405]" in done.stderr and "File too large" in done.stderr
    assert "VIOLATED" in done.stdout  # the default variant has the 2015 bug
    assert done.returncode == 1  # the verdict class, not a crash
    assert _leftovers(tmp_path) == []


def test_verify_report_is_written_whole(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _zcheck("verify", str(MODEL), "--format", "json", "-o", str(report), cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert report.read_text().rstrip().endswith("}")


def test_fmt_on_a_full_disk_leaves_the_model_as_it_was(tmp_path: Path) -> None:
    model = tmp_path / "m.zdl"
    text = MODEL.read_text().replace("\n\n", "\n\n\n", 3) + "\n\n\n"  # not in canonical form
    model.write_bytes(text.encode())
    done = _zcheck("fmt", str(model), cwd=tmp_path, fsize=512)
    assert done.returncode == 2 and "error[ZC405]" in done.stderr and "unchanged" in done.stderr
    assert model.read_bytes() == text.encode()
    assert _leftovers(tmp_path) == []
    done = _zcheck("fmt", str(model), cwd=tmp_path)
    assert done.returncode == 0 and model.read_text() != text


def test_junit_and_graph_to_an_unwritable_place_exit_2(tmp_path: Path) -> None:
    nowhere = tmp_path / "missing" / "out.xml"
    done = _zcheck("test", str(ROOT / "models" / "zone_span_offline.zdl"), "--junit", str(nowhere), cwd=tmp_path)
    assert done.returncode == 2 and "error[ZC405]" in done.stderr
    assert "passed" in done.stdout  # the results were printed first
    done = _zcheck("graph", str(MODEL), "-o", str(tmp_path / "missing" / "g.dot"), cwd=tmp_path)
    assert done.returncode == 2 and "error[ZC405]" in done.stderr and "Traceback" not in done.stderr


def test_write_atomic_keeps_mode_and_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(str(link), "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert (os.stat(real).st_mode & 0o777) == 0o640
    with pytest.raises(OutputError) as err:
        write_atomic(str(tmp_path / "no" / "such" / "dir.txt"), "x")
    assert "no/such/dir.txt" in str(err.value)
    assert _leftovers(tmp_path) == []
