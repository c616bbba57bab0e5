"""Top level: `zcheck sweep` — every variant of a model × its properties, each cell an
independent job.

Input: a model path, the axes (`-D N=4,8,16` is the axis N with three values; a `-D`
with one value is a constant of every variant), the properties (default: all), and
the options of every check (depth, engine, seed, scenario, max_k, memory limit).

- `plan(...)`: the variants (the cartesian product of the axes, the first axis
  slowest), each built once here so that a bad value or property name is a diagnostic
  before anything runs; the columns (the properties, in declaration order) and the jobs
  (one per variant and property the variant has).
- `check_cell(...)`: one job, the function every place runs (`api.verify_group` on the
  model rebuilt with the variant's constants); its deadline is wall-clock time, which
  means the same on every machine of a cluster.
- `assemble(plan, ran)`: the `Sweep`, one `Cell` per row and column: the job's result,
  or UNKNOWN with why there is none (timeout, interrupted, its workers died).

Where the jobs run is jobs.py's business; every place gives the same cells. Rendering
is the command's (cli/sweep.py).
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Sequence, assert_never

from zcheck import api
from zcheck.jobs import Ran

Defines = tuple[tuple[str, str], ...]  # NAME=VALUE pairs in axis order


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Options:
    depth: int = 10
    engine: str = "auto"
    seed: int = 0
    scenario: str | None = None
    max_k: int | None = None
    memory_mb: int | None = None
    max_states: int | None = None

    def verify(self) -> api.VerifyOptions:
        return api.VerifyOptions.of(self.engine, self.depth, self.max_k, self.seed, self.max_states)


@dataclass(frozen=True)
class Job:
    row: int
    prop: str


@dataclass(frozen=True)
class Plan:
    path: str
    model: str
    axes: tuple[Axis, ...]
    fixed: Defines  # constants of every variant (one-valued -D)
    rows: tuple[Defines, ...]  # the variants, axis values only
    columns: tuple[str, ...]  # property names
    props: tuple[Mapping[str, api.Property], ...]  # per row: its selected properties by name
    options: Options
    jobs: tuple[Job, ...]

    def defines(self, row: int) -> dict[str, str]:
        return dict(self.fixed + self.rows[row])

    def variant(self, row: int) -> str:
        """`N=4 FIX=false` (`as declared` in a sweep with no axis)."""
        return " ".join(f"{k}={v}" for k, v in self.rows[row]) or "as declared"


def variants(axes: Sequence[Axis]) -> list[Defines]:
    """The cartesian product of the axes, first axis slowest."""
    return [tuple(zip((a.name for a in axes), values)) for values in itertools.product(*(a.values for a in axes))]


def plan(path: str, axes: Sequence[Axis], fixed: Mapping[str, str], names: list[str] | None,
         options: Options) -> Plan:
    """Build every variant (raises DiagnosticError for a bad value, scenario or
    property name) and lay out the rows, columns and jobs."""
    rows = variants(axes)
    fixed_pairs = tuple((k, v) for k, v in fixed.items() if k not in {a.name for a in axes})
    props: list[dict[str, api.Property]] = []
    model = ""
    for row in rows:
        system = api.build(path, dict(fixed_pairs + row), options.scenario)
        model = system.model
        props.append({p.name: p for p in api.select(system, names)})
    columns = tuple(dict.fromkeys(n for row_props in props for n in row_props))
    jobs = tuple(Job(r, c) for r in range(len(rows)) for c in columns if c in props[r])
    return Plan(path, model, tuple(axes), fixed_pairs, tuple(rows), columns, tuple(props), options, jobs)


def job_args(p: Plan, until_wall: float | None) -> list[tuple[object, ...]]:
    """The arguments of `check_cell` for each job of the plan (the model's absolute
    path: a cluster's workers run in other directories)."""
    o = p.options
    path = os.path.abspath(p.path)
    return [(path, tuple(p.defines(j.row).items()), o.scenario, j.prop, o.verify(), until_wall, o.memory_mb)
            for j in p.jobs]


def check_cell(path: str, defines: Defines, scenario: str | None, prop: str, options: api.VerifyOptions,
               until_wall: float | None, memory_mb: int | None) -> tuple[str, api.PropertyResult]:
    """One cell: `prop` of the model with `defines`, checked on its own. `until_wall`
    is a `time.time()` deadline (a monotonic clock means nothing on another machine)."""
    deadline = None if until_wall is None else time.monotonic() + (until_wall - time.time())
    return api.verify_group(path, dict(defines), scenario, prop, options, deadline, memory_mb)


# ---------------------------------------------------------------- cells


class CellVerdict(Enum):
    VIOLATED = "violated"
    HOLDS = "holds"
    PROVED = "proved"
    REACHED = "reached"  # a cover
    NOT_REACHED = "not_reached"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"
    ERROR = "error"  # an internal error: a counterexample that does not replay
    ABSENT = "absent"  # the variant has no such property


@dataclass(frozen=True)
class Cell:
    result: api.PropertyResult | None  # None: ABSENT

    @property
    def verdict(self) -> CellVerdict:
        if self.result is None:
            return CellVerdict.ABSENT
        return CellVerdict.ERROR if self.result.error else CellVerdict(self.result.verdict)

    @property
    def depth(self) -> int | None:
        return None if self.result is None else self.result.depth

    def text(self) -> str:
        """`VIOLATED@3`, `HOLDS@10`, `PROVED`, `UNKNOWN`, ... (`-` for ABSENT)."""
        v = self.verdict
        match v:
            case CellVerdict.VIOLATED | CellVerdict.HOLDS | CellVerdict.REACHED | CellVerdict.NOT_REACHED:
                return f"{v.value.upper().replace('_', '-')}@{self.depth}"
            case CellVerdict.PROVED | CellVerdict.UNREACHABLE | CellVerdict.UNKNOWN | CellVerdict.ERROR:
                return str(v.value).upper()
            case CellVerdict.ABSENT:
                return "-"
            case _:
                assert_never(v)


@dataclass(frozen=True)
class Sweep:
    plan: Plan
    engine: str  # the engine's label, as verify prints it
    cells: tuple[tuple[Cell, ...], ...]  # [row][column]

    def results(self) -> list[api.PropertyResult]:
        return [c.result for row in self.cells for c in row if c.result is not None]


def assemble(p: Plan, ran: Ran[tuple[str, api.PropertyResult]], why_missing: str = "interrupted") -> Sweep:
    """The sweep's cells: each job's result; a job with none is UNKNOWN, with the
    reason `ran` gives (timeout, its workers died) or else `why_missing`."""
    by_cell: dict[tuple[int, str], api.PropertyResult] = {}
    for i, j in enumerate(p.jobs):
        got = ran.results.get(i)
        if got is not None:
            by_cell[(j.row, j.prop)] = got[1]
        else:
            prop = p.props[j.row][j.prop]
            by_cell[(j.row, j.prop)] = api.unknown_result(prop, ran.lost.get(i, why_missing))
    labels = [label for label, _ in ran.results.values()]
    engine = labels[0] if labels else str(api.ENGINE_NAMES[p.options.engine])
    cells = tuple(tuple(Cell(by_cell.get((r, c))) for c in p.columns) for r in range(len(p.rows)))
    return Sweep(p, engine, cells)

