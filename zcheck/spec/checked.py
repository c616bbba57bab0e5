"""Front end: the checked specification handed to the system stage.

Input to `zcheck.system.lower`; produced by `zcheck.spec.typecheck.check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zcheck.diagnostics import NO_SPAN, Diagnostic, Sources, Span
from zcheck.spec import ast
from zcheck.spec.typed import TExpr, TStmt
from zcheck.spec.types import EnumT, Type


@dataclass(frozen=True)
class ConstInfo:
    name: str
    type: Type
    value: int | bool | None  # None: symbolic
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class VarInfo:
    name: str
    type: Type
    init: TExpr | None  # None: any value of the type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ActionInfo:
    name: str
    params: tuple[tuple[str, Type], ...]
    body: tuple[TStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)
    fair: ast.FairKind | None = None


@dataclass(frozen=True)
class PropertyInfo:
    kind: str  # "invariant" | "cover" | "lemma" | "liveness"
    name: str
    expr: TExpr  # liveness: P
    span: Span = field(default=NO_SPAN, compare=False)
    op: ast.TemporalOp | None = None  # liveness only
    goal: TExpr | None = None  # Q of `P leads_to Q`


@dataclass(frozen=True)
class StepInfo:
    """One step of a process after `call`s are inlined: `label` is its name in traces
    (`online_block.check` for a procedure's step); gotos in `body` name their target as
    `#N`, the index of the target step in the process's list."""

    label: str
    body: tuple[TStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class LockInfo:
    """A declared lock. `count` is set for a lock array; `readers` (rwsems only) are the
    owners whose code may take it for reading (one read counter each)."""

    name: str
    kind: str  # "mutex" | "spinlock" | "rwsem"
    count: int | None
    readers: tuple[str, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ProcessInfo:
    """Names of locals and params inside step bodies are `NAME[].local`; lowering
    replaces `[]` by each instance's index."""

    name: str
    count: int
    params: tuple[tuple[str, Type], ...]
    locals: tuple[VarInfo, ...]
    steps: tuple[StepInfo, ...]
    loop: bool
    span: Span = field(default=NO_SPAN, compare=False)
    fair: ast.FairKind | None = None


@dataclass(frozen=True)
class TransitionsInfo:
    var: str
    # (old value, new value, writers); writers are action names or "proc.step"
    edges: tuple[tuple[int | bool, int | bool, tuple[str, ...]], ...]
    value_type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class CheckedSpec:
    model: str
    main_file: str
    sources: Sources
    consts: tuple[ConstInfo, ...]
    enums: tuple[EnumT, ...]
    vars: tuple[VarInfo, ...]
    assumes: tuple[TExpr, ...]
    init: tuple[TStmt, ...]
    actions: tuple[ActionInfo, ...]
    properties: tuple[PropertyInfo, ...]
    processes: tuple[ProcessInfo, ...] = ()
    locks: tuple[LockInfo, ...] = ()
    owners: EnumT | None = None  # none, every process instance, env (the owner of locks taken by actions)
    transitions: tuple[TransitionsInfo, ...] = ()
    scenarios: tuple[ast.ScenarioDecl, ...] = ()
    checks: tuple[ast.CheckDecl, ...] = ()
    header: str = ""  # the leading comment of the main file (kernel context)
    warnings: tuple[Diagnostic, ...] = ()
