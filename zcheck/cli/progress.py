"""Live progress on standard error, for `zcheck verify` and `zcheck test`.

Input: the run's events, through the `api.Watcher` interface: the tasks about to be
checked (one per property for `verify`, one per check directive for `test`), which
engine starts or stops working on which properties (checker/portfolio.py), the depth
BMC reached, and each verdict as it is posted (api.Board). Output: a region of the
terminal redrawn in place by rich's `Live` — one row per open task with the engines
working on it, the depth reached and the time since work on it began — and, for
`verify`, one permanent line per verdict as it comes, above the region.

Only on a terminal (`output.stderr_terminal`), never with `--quiet`, never on standard
output: the report there is byte for byte the same with and without it. The region is
erased when the run ends (`stop`) and around anything the command writes to standard
output meanwhile (`suspended`), so the two never interleave on one screen. Every text
from the model passes through `terminal_safe` and becomes a rich `Text`, never markup.

Events arrive from the engines' thread (and from the watchdog's, which stops the display
before it reports); rich draws from its own refresh thread. The state is guarded by one
lock and holds only strings and numbers, never a Z3 object.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from zcheck import api
from zcheck.checker.portfolio import Stage
from zcheck.cli.output import terminal_safe
from zcheck.counterexamples.render_text import verdict_line

REFRESH_PER_SECOND = 4  # the elapsed times tick; a redraw of a few rows costs well under a millisecond
VERDICT_STYLES = MappingProxyType({"violated": "bold red", "reached": "bold green", "proved": "bold green",
                                   "unreachable": "bold green", "holds": "green", "not_reached": "yellow",
                                   "unknown": "yellow"})


@dataclass(frozen=True)
class Task:
    """One row of the display: a property (`verify`) or a check directive (`test`)."""

    label: str
    names: tuple[str, ...]  # the properties it waits for


@dataclass(frozen=True)
class Snapshot:
    """One task's state, as drawn."""

    task: Task
    stages: tuple[Stage, ...]  # the engines working on it now, in the order they started
    depth: int | None  # the least depth BMC reached over its open properties
    seconds: float | None  # since an engine first worked on it


class Display:
    """An `api.Watcher` that draws the run's progress on a rich `Console`. `verdicts`:
    print a line per verdict as it comes (`verify`; `test` prints PASSED/FAILED itself).
    `clock` is injectable for tests."""

    def __init__(self, console: Console, verdicts: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.console, self.verdicts, self.clock = console, verdicts, clock
        self._lock = threading.RLock()
        self._tasks: tuple[Task, ...] = ()
        self._width = 1  # of the longest label: the verdict lines line up
        self._stages: dict[str, list[Stage]] = {}
        self._depth: dict[str, int] = {}
        self._since: dict[str, float] = {}
        self._done: set[str] = set()
        self._live: Live | None = None
        self._closed = False
        self._began = clock()
        self._spinner = Spinner("dots", style="cyan")  # one for every row: a new one would restart at its first frame

    # -- api.Watcher -------------------------------------------------------------------

    def checking(self, tasks: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        with self._lock:
            self._tasks = tuple(Task(terminal_safe(label), names) for label, names in tasks)
            self._width = max((len(t.label) for t in self._tasks), default=1)
            self._stages, self._depth, self._since, self._done = {}, {}, {}, set()  # a new run
            live = self._live
        if live is not None:
            live.refresh()  # the new rows at once, not at the next tick

    def working(self, stage: Stage, names: tuple[str, ...], running: bool) -> None:
        now = self.clock()
        with self._lock:
            for n in names:
                stages = self._stages.setdefault(n, [])
                if running:
                    stages.append(stage)
                    self._since.setdefault(n, now)
                elif stage in stages:
                    stages.remove(stage)

    def reached(self, depth: int, names: tuple[str, ...]) -> None:
        with self._lock:
            for n in names:
                self._depth[n] = max(depth, self._depth.get(n, -1))

    def decided(self, r: api.PropertyResult) -> None:
        now = self.clock()
        with self._lock:
            if r.name in self._done:
                return
            self._done.add(r.name)
            seconds, width = now - self._since.get(r.name, now), self._width
            show = self.verdicts and not self._closed
        if show:
            self._above(_verdict_text(r, width, seconds))

    # -- drawing ---------------------------------------------------------------------

    def log(self, message: str) -> None:
        """A `-v` message, above the region."""
        self._above(Text(f"  ... {terminal_safe(message)}"))

    def _above(self, line: Text) -> None:
        """One screen line above the region (cut with an ellipsis, never wrapped)."""
        with self._lock:
            live = self._live
        if live is not None:
            live.refresh()  # the region redrawn under the line is then the current one
        self.console.print(line, no_wrap=True, overflow="ellipsis")

    def snapshot(self) -> list[Snapshot]:
        """The open tasks: those with a property not decided yet."""
        now = self.clock()
        with self._lock:
            out = []
            for t in self._tasks:
                open_names = [n for n in t.names if n not in self._done]
                if not open_names:
                    continue
                stages = tuple(dict.fromkeys(s for n in open_names for s in self._stages.get(n, ())))
                depths = [self._depth.get(n, -1) for n in open_names]
                starts = [self._since[n] for n in t.names if n in self._since]
                out.append(Snapshot(t, stages, min(depths) if min(depths) >= 0 else None,
                                    now - min(starts) if starts else None))
            return out

    def render(self) -> RenderableType:
        rows = self.snapshot()
        if not rows:
            return Text("")  # between two runs of `test`, or when all is decided
        room = max(1, self.console.size.height - 3)
        cells = [_cells(s) for s in rows[:room]]
        # one screen line per row: the label gives way (with an ellipsis), the rest keeps its width
        rest = [max((len(c[i]) for c in cells), default=0) for i in (1, 2, 3)]
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, width=1)
        table.add_column(no_wrap=True, overflow="ellipsis", max_width=max(8, self.console.width - 1 - sum(rest) - 8))
        for _ in rest:
            table.add_column(no_wrap=True)
        for s, c in zip(rows, cells):
            table.add_row(self._spinner if s.stages else Text(" "), *c)
        extra = [Text(f"  ... and {len(rows) - room} more", style="dim")] if len(rows) > room else []
        return Group(table, *extra, self._footer(len(rows)))

    def _footer(self, open_tasks: int) -> Text:
        """How many tasks are done, and the time since the display began."""
        with self._lock:
            total = len(self._tasks)
        return Text(f"  {total - open_tasks} of {total} done, {self.clock() - self._began:.1f} s", style="dim")

    # -- the region ------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._live is None and not self._closed:
                self._live = Live(console=self.console, get_renderable=self.render, transient=True,
                                  refresh_per_second=REFRESH_PER_SECOND, redirect_stdout=False, redirect_stderr=False)
                self._live.start()

    def stop(self) -> None:
        """Erase the region; no more verdict lines (the report follows). Idempotent."""
        with self._lock:
            live, self._live, self._closed = self._live, None, True
        if live is not None:
            live.stop()

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """The region erased while the block writes to standard output (maybe the same screen)."""
        with self._lock:
            live, self._live = self._live, None
        if live is not None:
            live.stop()
        try:
            yield
        finally:
            if live is not None:
                self.start()


def _cells(s: Snapshot) -> tuple[Text, Text, Text, Text]:
    """A row's label, engines, depth and time (a spinner goes before it while an engine works)."""
    working = " + ".join(s.stages) if s.stages else "waiting"
    depth = "" if s.depth is None else f"depth {s.depth}"
    seconds = "" if s.seconds is None else f"{s.seconds:.1f} s"
    return (Text(s.task.label, style="bold"), Text(working, style="cyan" if s.stages else "dim"), Text(depth),
            Text(seconds, justify="right"))


def _verdict_text(r: api.PropertyResult, width: int, seconds: float) -> Text:
    """The time the property took, then the report's verdict line (render_text.verdict_line)
    with its verdict coloured; one screen line (the caller cuts it with an ellipsis)."""
    text = Text()
    text.append(f"{seconds:6.1f} s", style="dim")
    start = len(text) + 2
    text.append(terminal_safe(verdict_line(r.name, r.verdict, r.depth, r.detail, width)))
    text.stylize(VERDICT_STYLES.get(r.verdict, ""), start, start + 12)
    return text


def on(stream: TextIO, verdicts: bool = True) -> Display:
    """A display on `stream` (a terminal: see output.stderr_terminal)."""
    return Display(Console(file=stream, highlight=False, markup=False, emoji=False), verdicts)
