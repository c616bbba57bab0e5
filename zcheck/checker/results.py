"""Checker: the closed result type of every engine.

`Violated` carries the *encoded* execution — a Z3 model and the names it binds, or, from
the explicit-state engine, the choices of each step — and the `counterexamples` stage
decodes it into plain data and replays it. `Proved` names its engine and certificate.
`Holds` is bounded and never called proved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import z3

from zcheck.checker.encode import Encoding, Witness
from zcheck.spec.types import Type
from zcheck.system.evaluate import Value
from zcheck.system.ir import Property, System


@dataclass(frozen=True)
class EncodedExecution:
    """A satisfying assignment of init ∧ trans(0..n-1) ∧ bad(P).

    `steps` transitions were taken; for a site violation the last of them (index
    `steps - 1`) is the step whose assert fails; `site_index` picks the site."""

    encoding: Encoding
    model: z3.ModelRef
    steps: int
    where: str  # "state" (predicate false in state `steps`) | "site" | "init-site"
    witnesses: tuple[Witness, ...]


@dataclass(frozen=True)
class ExplicitMove:
    """One step of an explicit execution: the transition and every choice it made."""

    transition: str  # as in `Transition.name`
    params: tuple[tuple[str, Value], ...]
    picks: tuple[tuple[str, Value], ...]  # `any` choices by `SHavoc.choice`


@dataclass(frozen=True)
class ExplicitExecution:
    """A path found by enumeration, as the choices that make it (the explicit engine).

    `system` is the whole system the trace replays on; a choice it needs that is not
    recorded (a variable outside the property's cone) may take any value, and decoding
    takes the first one in range. `states` are the cone's variables in states 0..n as
    the engine found them (decoding compares the replay with them)."""

    system: System
    init_picks: tuple[tuple[str, Value], ...]  # `const:C`, `init:V` and init-block picks
    moves: tuple[ExplicitMove, ...]
    where: str  # as in EncodedExecution
    witnesses: tuple[tuple[str, Type, Value], ...]  # (display name, type, value)
    states: tuple[dict[str, Value], ...]


@dataclass(frozen=True)
class Violated:
    prop: Property
    depth: int
    execution: EncodedExecution | ExplicitExecution | None  # None: dropped after decoding (api.py)


@dataclass(frozen=True)
class Holds:
    prop: Property
    depth: int  # no violation in traces of up to `depth` steps


@dataclass(frozen=True)
class Proved:
    prop: Property
    engine: str  # "kind" | "pdr" | "explicit"
    detail: str  # k for k-induction, a description of the invariant, or "exhaustion, N states"
    certificate: tuple[str, ...] = field(default=())  # the invariant's conjuncts, as text
    lemmas: tuple[str, ...] = ()  # lemmas proved jointly with the property
    assumed: tuple[str, ...] = ()  # invariants proved earlier and assumed in every state


@dataclass(frozen=True)
class Unknown:
    prop: Property
    depth: int  # bounded result reached before giving up (-1: none)
    reason: str


Result = Union[Violated, Holds, Proved, Unknown]

BUDGET_SPENT = "budget"  # Unknown.reason (and GaveUp.reason) when a query's rlimit ran out
# What Z3 5.4 says when a query's rlimit runs out (older releases spelt it out)
RLIMIT_REASONS = frozenset({"canceled", "max. resource limit exceeded", "resource limits reached"})
# Z3 resource units for re-checking a certificate with a fresh solver: deterministic,
# unlike the 60 s it used to be, which a loaded machine could turn into "not proved".
# About a minute of solving on a 2-core x86_64 (7-10 M units per second measured).
RECHECK_RLIMIT = 600_000_000
