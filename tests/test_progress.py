"""Live progress (issue 19): what cli/progress.py draws on a terminal, that the portfolio
feeds it (engines, depths, verdicts), and that it never reaches anything but a terminal:
not a piped standard error, not standard output (byte for byte the same with it), not
with `--quiet`. The terminal is rich's own fake (Console(force_terminal=True, file=...))
in process, and a pseudo-terminal for a real `zcheck` process."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from rich.console import Console

from zcheck import api
from zcheck.checker.portfolio import Stage
from zcheck.checker.results import Holds, Violated
from zcheck.cli.progress import Display
from zcheck.testing import run_file

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "models" / "zone_device_max_pfn.zdl"

SMALL = """
model small
var x: 0 .. 4 = 0
action inc() { require x < 3; x := x + 1 }
invariant small: x <= 3
invariant low: x < 2
check small expect proved
check low expect violated at 2
"""


class Clock:
    """A clock the test moves by hand: no wall-clock time in any assertion."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _terminal(height: int = 30) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100, height=height, color_system=None), out


def _drawn(console: Console, display: Display) -> str:
    with console.capture() as cap:
        console.print(display.render())
    return cap.get()


def _result(name: str, verdict: str, depth: int | None = None, detail: str = "") -> api.PropertyResult:
    return api.PropertyResult(name, "invariant", verdict, depth, Holds(None, 0), detail=detail)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the display, in process


def test_rows_show_the_engines_working_the_depth_reached_and_the_time() -> None:
    console, _ = _terminal()
    clock = Clock()
    d = Display(console, clock=clock)
    d.checking([("a", ("a",)), ("b", ("b",)), ("c", ("c",))])
    d.working(Stage.BMC, ("a", "b"), True)
    d.reached(3, ("a", "b"))
    clock.now += 1.5
    d.working(Stage.PDR, ("b",), True)
    d.working(Stage.BMC, ("b",), False)
    clock.now += 1.0
    lines = {label: line for line in _drawn(console, d).splitlines() for label in "abc" if label in line.split()}
    assert "bmc" in lines["a"] and "depth 3" in lines["a"] and "2.5 s" in lines["a"]
    assert "pdr" in lines["b"] and "bmc" not in lines["b"] and "depth 3" in lines["b"]
    assert "waiting" in lines["c"] and " s" not in lines["c"].split("waiting")[1]


def test_two_engines_at_once_are_both_shown_in_the_order_they_started() -> None:
    console, _ = _terminal()
    d = Display(console, clock=Clock())
    d.checking([("p", ("p",))])
    d.working(Stage.PDR, ("p",), True)
    d.working(Stage.BMC, ("p",), True)
    assert "pdr + bmc" in _drawn(console, d)


def test_verdicts_are_printed_as_they_come_and_their_rows_leave_the_region() -> None:
    console, out = _terminal()
    clock = Clock()
    d = Display(console, clock=clock)
    d.checking([("bug", ("bug",)), ("fine", ("fine",))])
    d.working(Stage.BMC, ("bug", "fine"), True)
    clock.now += 0.25
    d.decided(_result("bug", "violated", 2))
    d.decided(_result("bug", "violated", 2))  # the run's final word on it: said once
    printed = out.getvalue().splitlines()
    assert len(printed) == 1
    assert "VIOLATED" in printed[0] and "bug" in printed[0] and "at depth 2" in printed[0] and "0.2 s" in printed[0]
    drawn = _drawn(console, d)
    assert "fine" in drawn and "bug" not in drawn
    assert drawn.splitlines()[-1].strip() == "1 of 2 done, 0.2 s"  # since the display began


def test_the_spinner_turns_from_one_redraw_to_the_next() -> None:
    clock = Clock()
    console = Console(file=io.StringIO(), force_terminal=True, width=80, height=10, color_system=None, get_time=clock)
    d = Display(console, clock=clock)
    d.checking([("p", ("p",))])
    d.working(Stage.BMC, ("p",), True)
    first = _drawn(console, d).split()[0]
    clock.now += 0.25
    assert _drawn(console, d).split()[0] != first


def test_a_long_verdict_line_is_cut_not_wrapped() -> None:
    console, out = _terminal()
    d = Display(console, clock=Clock())
    d.checking([("p", ("p",))])
    d.decided(_result("p", "proved", None, "by k-induction, k = 1, with lemmas " + ", ".join(["lemma"] * 40)))
    (line,) = out.getvalue().splitlines()
    assert line.endswith("…") and len(line) <= 100


def test_test_directives_are_rows_until_every_property_they_wait_for_is_decided() -> None:
    console, out = _terminal()
    d = Display(console, verdicts=False, clock=Clock())
    d.checking([("m.zdl::check * expect holds", ("a", "b")), ("m.zdl::check a expect proved", ("a",))])
    d.working(Stage.KIND, ("a",), True)
    d.decided(_result("a", "proved"))
    drawn = _drawn(console, d)
    assert "check * expect holds" in drawn and "check a expect proved" not in drawn
    assert out.getvalue() == ""  # `test` prints its own PASSED/FAILED lines on standard output


def test_a_row_is_one_screen_line_whatever_its_label() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=40, height=30, color_system=None)
    d = Display(console, clock=Clock())
    d.checking([("models/a_rather_long_model_name.zdl::check * with N = 4 expect holds", ("p",)), ("q", ("q",))])
    d.working(Stage.BMC, ("p", "q"), True)
    lines = _drawn(console, d).splitlines()
    assert len(lines) == 3 and "…" in lines[0] and "bmc" in lines[0]  # two rows and the footer


def test_a_new_run_starts_afresh() -> None:
    """`test` runs one group of directives after another, often over the same properties."""
    console, _ = _terminal()
    clock = Clock()
    d = Display(console, verdicts=False, clock=clock)
    d.checking([("m.zdl::check p expect proved", ("p",))])
    d.working(Stage.BMC, ("p",), True)
    d.reached(5, ("p",))
    d.decided(_result("p", "proved"))
    clock.now += 3
    d.checking([("m.zdl::check p depth 2 expect holds", ("p",))])
    drawn = _drawn(console, d)
    assert "depth 2 expect holds" in drawn and "waiting" in drawn and "depth 5" not in drawn


def test_rows_beyond_the_screen_are_counted_not_drawn() -> None:
    console, _ = _terminal(height=6)
    d = Display(console, clock=Clock())
    d.checking([(f"p{i}", (f"p{i}",)) for i in range(10)])
    drawn = _drawn(console, d)
    assert "p2" in drawn and "p3" not in drawn and "and 7 more" in drawn


def test_model_names_cannot_drive_the_terminal_or_rich_markup() -> None:
    console, out = _terminal()
    d = Display(console, clock=Clock())
    hostile = "x\x1b[2J[bold red]y[/]\u202e"
    d.checking([(hostile, (hostile,))])
    drawn = _drawn(console, d)
    assert "\x1b[2J" not in drawn and "\\u001b[2J" in drawn and "[bold red]y[/]" in drawn and "\u202e" not in drawn
    d.decided(_result(hostile, "holds", 3))
    assert "\x1b[2J" not in out.getvalue() and "[bold red]y[/]" in out.getvalue()


def test_after_stop_nothing_more_is_printed() -> None:
    console, out = _terminal()
    d = Display(console, clock=Clock())
    d.checking([("p", ("p",))])
    d.start()
    d.stop()
    d.stop()
    before = out.getvalue()
    d.decided(_result("p", "violated", 1))
    assert out.getvalue() == before


def test_the_live_region_is_drawn_and_erased() -> None:
    console, out = _terminal()
    d = Display(console, clock=Clock())
    d.checking([("p", ("p",))])
    d.working(Stage.BMC, ("p",), True)
    d.start()
    with d.suspended():
        pass
    d.stop()
    drawn = out.getvalue()
    assert "bmc" in drawn and "\x1b[2K" in drawn  # drawn, then erased (rich's erase-line)


# ---------------------------------------------------------------- fed by a real run


class Recorder:
    """An api.Watcher that keeps every event."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def checking(self, tasks: object) -> None:
        self.events.append(("checking", tasks))

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        self.events.append(("working", stage, names, running))

    def reached(self, depth: int, names: tuple[str, ...]) -> None:
        self.events.append(("reached", depth, names))

    def decided(self, r: api.PropertyResult) -> None:
        self.events.append(("decided", r.name, r.verdict))


def test_the_portfolio_reports_engines_depths_and_each_verdict_once_decided() -> None:
    system = api.build(str(SEED))
    props = api.select(system, ["device_above_max_pfn", "device_not_allocatable"])
    rec = Recorder()
    run = api.verify_system(system, props, 4, board=api.Board(rec))
    stages = {e[1] for e in rec.events if e[0] == "working"}
    assert {Stage.BMC, Stage.KIND} <= stages
    starts = [e for e in rec.events if e[0] == "working" and e[3]]
    stops = [e for e in rec.events if e[0] == "working" and not e[3]]
    assert len(starts) == len(stops)  # every engine that starts on a property says when it stops
    assert any(e[0] == "reached" for e in rec.events)
    decided = [(e[1], e[2]) for e in rec.events if e[0] == "decided"]
    assert set(decided) == {(r.name, r.verdict) for r in run.results}
    first_violation = rec.events.index(("decided", "device_above_max_pfn", "violated"))
    assert any(e[0] == "working" and e[1] is Stage.KIND for e in rec.events[first_violation:])  # posted as it came


def test_a_display_on_a_fake_terminal_follows_a_real_run() -> None:
    system = api.build(str(SEED))
    props = api.select(system, ["device_above_max_pfn", "device_not_allocatable"])
    console, out = _terminal()
    d = Display(console)
    d.checking([(p.name, (p.name,)) for p in props])
    d.start()
    try:
        api.verify_system(system, props, 4, board=api.Board(d))
    finally:
        d.stop()
    text = out.getvalue()
    assert "VIOLATED" in text and "device_above_max_pfn" in text and "at depth 2" in text
    assert "PROVED" in text and "by k-induction" in text


def test_zcheck_test_tells_the_watcher_one_task_per_directive(tmp_path: Path) -> None:
    model = tmp_path / "small.zdl"
    model.write_text(SMALL)
    rec = Recorder()
    outcomes, errors = run_file(str(model), rec)
    assert errors == [] and all(o.passed for o in outcomes)
    tasks = [t for e in rec.events if e[0] == "checking" for t in e[1]]  # type: ignore[attr-defined]
    assert ("small.zdl::check small expect proved", ("small",)) in tasks
    assert ("small.zdl::check low expect violated at 2", ("low",)) in tasks


# ---------------------------------------------------------------- a real process


def _run(argv: list[str], tty_stderr: bool) -> tuple[int, bytes, bytes]:
    """Run zcheck with standard output a pipe and standard error a pipe or a terminal
    (a pseudo-terminal of 100 columns); returns (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    cmd = [sys.executable, "-m", "zcheck", *argv]
    if not tty_stderr:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=300, cwd=ROOT)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:  # a terminal that is not read blocks the writer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, cwd=ROOT)
        os.close(slave)
        stdout, _ = proc.communicate(timeout=300)
    finally:
        reader.join(timeout=30)
        os.close(master)
    return proc.returncode, stdout, b"".join(chunks)


@pytest.fixture(scope="module")
def seed_runs() -> dict[str, tuple[int, bytes, bytes]]:
    argv = ["verify", str(SEED.relative_to(ROOT)), "--depth", "4"]
    return {"tty": _run(argv, True), "pipe": _run(argv, False), "quiet": _run([*argv, "--quiet"], True)}


def test_progress_is_drawn_on_a_terminal(seed_runs: dict[str, tuple[int, bytes, bytes]]) -> None:
    code, _, err = seed_runs["tty"]
    assert code == 1
    assert b"\x1b[" in err and b"VIOLATED" in err and b"device_above_max_pfn" in err
    assert b"\x1b[?25h" in err  # the cursor is shown again at the end


def test_stdout_is_byte_identical_with_and_without_progress(seed_runs: dict[str, tuple[int, bytes, bytes]]) -> None:
    assert seed_runs["tty"][0] == seed_runs["pipe"][0] == seed_runs["quiet"][0] == 1
    assert seed_runs["tty"][1] == seed_runs["pipe"][1] == seed_runs["quiet"][1]
    assert b"\x1b" not in seed_runs["tty"][1] and b"VIOLATED     device_above_max_pfn" in seed_runs["tty"][1]


def test_nothing_of_it_on_a_piped_stderr(seed_runs: dict[str, tuple[int, bytes, bytes]]) -> None:
    _, _, err = seed_runs["pipe"]
    assert b"\x1b" not in err and b"VIOLATED" not in err and b"waiting" not in err and b" s  " not in err


def test_quiet_silences_it(seed_runs: dict[str, tuple[int, bytes, bytes]]) -> None:
    _, _, err = seed_runs["quiet"]
    assert b"\x1b" not in err and b"VIOLATED" not in err


def test_zcheck_test_shows_progress_on_a_terminal_and_keeps_its_stdout(tmp_path: Path) -> None:
    model = tmp_path / "small.zdl"
    model.write_text(SMALL)
    code, out, err = _run(["test", str(model)], True)
    code_quiet, out_quiet, err_quiet = _run(["test", str(model), "-q"], True)
    assert code == code_quiet == 0
    assert out == out_quiet and b"2 passed, 0 failed" in out and b"\x1b" not in out
    assert b"check small expect proved" in err and err_quiet == b""  # its row, drawn as the run began
