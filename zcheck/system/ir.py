"""System: the solver-independent transition system (IR) every engine consumes.

Produced by `system.lower` from a `CheckedSpec`. A `System` is a set of typed state
variables, an initial-state program, atomic transitions (global actions and process
steps alike, each with nondeterministic parameters and a straight-line body), and
properties. Implicit checks (asserts, ranges, division by zero, lifecycle edges, lock
ownership) are `SAssert` sites in the bodies, grouped by property name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zcheck.diagnostics import NO_SPAN, Diagnostic, Sources, Span
from zcheck.spec.ast import FairKind as FairKind, TemporalOp as TemporalOp
from zcheck.spec.checked import ConstInfo, LockInfo, TransitionsInfo
from zcheck.spec.typed import TExpr, TStmt
from zcheck.spec.types import EnumT, Type


@dataclass(frozen=True)
class StateVar:
    name: str
    type: Type
    init: TExpr | None  # None: any value of the type (chosen in the initial state)
    span: Span = field(default=NO_SPAN, compare=False)
    hidden: bool = False  # bookkeeping (scenario position) not shown in traces
    exact_domain: bool = False  # only ever holds values of its type (program counters)


@dataclass(frozen=True)
class Transition:
    name: str  # as shown in traces: "add_dev", "walker[1].read"
    writer: str  # as named in transitions blocks: "add_dev", "walker.read"
    params: tuple[tuple[str, Type], ...]
    body: tuple[TStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Temporal:
    """A liveness property's formula: `op` over the state predicates `p` (and `q`, the
    goal of `leads_to`; None otherwise)."""

    op: TemporalOp
    p: TExpr
    q: TExpr | None = None


@dataclass(frozen=True)
class Fairness:
    """One fairness condition: `transitions` (Transition.name) are taken as one group,
    enabled when any of them is. A `fair process` gives one per instance (its steps), a
    `fair action` one for the action (any parameter values)."""

    kind: FairKind
    name: str  # the instance ("offliner[0]") or the action
    transitions: tuple[str, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Property:
    """kind: invariant | cover | lemma | assert | implicit | liveness.

    `expr` is the state predicate checked in every state (invariants, covers, lemmas,
    and the state part of `no_div_by_zero`); body sites are `SAssert(prop=name)`. A
    liveness property has `temporal` and no `expr`."""

    name: str
    kind: str
    expr: TExpr | None
    span: Span = field(default=NO_SPAN, compare=False)
    description: str = ""
    temporal: Temporal | None = None


@dataclass(frozen=True)
class System:
    model: str
    main_file: str
    sources: Sources
    header: str
    consts: tuple[ConstInfo, ...]
    rigid: tuple[tuple[str, Type], ...]  # symbolic constants
    vars: tuple[StateVar, ...]
    assumes: tuple[TExpr, ...]
    init: tuple[TStmt, ...]
    transitions: tuple[Transition, ...]
    properties: tuple[Property, ...]
    enums: tuple[EnumT, ...] = ()
    lifecycles: tuple[TransitionsInfo, ...] = ()
    lock_owners: tuple[tuple[str, tuple[str, ...]], ...] = ()  # lock → owner names by id-1
    scenario: str | None = None
    notes: tuple[tuple[str, str], ...] = ()  # implicit properties left out: (name, why)
    locks: tuple[LockInfo, ...] = ()
    owners: EnumT | None = None  # values of lock variables: none, the instances, env
    warnings: tuple[Diagnostic, ...] = ()  # the front end's warnings, printed by the commands
    fairness: tuple[Fairness, ...] = ()  # the fairness conditions liveness properties assume

    def __post_init__(self) -> None:
        names = [v.name for v in self.vars]
        assert len(set(names)) == len(names), f"state variables declared twice: {sorted(n for n in set(names) if names.count(n) > 1)}"

    def var(self, name: str) -> StateVar:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)

    def prop(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)
