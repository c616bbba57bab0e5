"""System: the cone of influence of some properties, and the system sliced to it.

A state variable is in the cone of properties P when a property of P reads it (its
state predicate, or the condition of one of its assert sites), an `assume` or the
`init` block reads it, the initialiser of a variable of the cone reads it, or a
transition that writes a variable of the cone reads it (anywhere in its body: a
`require`, an `if` condition, an index, a value, a `let`, the bounds of an `any`).
The graph has an edge var -> transition for each read and transition -> var for each
write; the cone is the roots and their ancestors (a search over the reversed edges: a
graph library cost every `verify` 0.1 s to import, for this one search).

`slice_system(system, props)` keeps the cone's variables, the transitions that write
one of them or hold an assert site of P, and the properties P. In a kept transition
it drops the writes to variables outside the cone (an `any in lo .. hi` becomes
`require lo < hi`, so the transition is enabled exactly when it was) and the assert
sites of other properties. Every variable a kept transition reads is in the cone, so
its guards are unchanged. Hence the sliced system's behaviours are the full system's
projected on the cone, with the steps of dropped transitions (which change no cone
variable) left out: P has the same verdict on both, and a proof on the slice is a
proof on the whole. PDR proves on the slice; BMC keeps the whole system, whose
counterexamples show every variable, and so does k-induction, whose lemmas span
almost every variable of the kernel models.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, assert_never

from zcheck.spec import typed as t
from zcheck.spec.ops import Op
from zcheck.spec.types import BoolT
from zcheck.system.ir import Property, System

_Node = tuple[str, str | int]  # ("var", name) or ("tr", index of the transition)


def expr_reads(e: t.TExpr, out: set[str]) -> None:
    """Add the state variables `e` reads (`Var` and `Old` names) to `out`."""
    for x in t.walk(e):
        if isinstance(x, (t.Var, t.Old)):
            out.add(x.name)


def accesses(body: tuple[t.TStmt, ...], site_reads: Callable[[str], bool], reads: set[str], writes: set[str]) -> bool:
    """Add the state variables `body` reads (guards included) and writes; the condition
    of an assert site counts as a read when `site_reads(its property)`. True when the
    body holds such a site."""
    site = False
    for s in body:
        match s:
            case t.SAssign(var=v, value=x):
                writes.add(v)
                expr_reads(x, reads)
            case t.SStore(var=v, index=i, value=x):
                writes.add(v)
                expr_reads(i, reads)
                expr_reads(x, reads)
            case t.SFill(var=v, lo=lo, hi=hi, value=x):
                writes.add(v)
                for y in (lo, hi, x):
                    expr_reads(y, reads)
            case t.SHavoc(var=v, index=i, lo=lo, hi=hi):
                if not s.local:
                    writes.add(v)
                for z in (i, lo, hi):
                    if z is not None:
                        expr_reads(z, reads)
            case t.SIf(cond=c, then=a, else_=b):
                expr_reads(c, reads)
                site = accesses(a, site_reads, reads, writes) | site
                site = accesses(b, site_reads, reads, writes) | site
            case t.SLet(value=x) | t.SRequire(cond=x):
                expr_reads(x, reads)
            case t.SAssert(prop=p, cond=c):
                if site_reads(p):
                    expr_reads(c, reads)
                    site = True
            case t.SLock(lock=lock) | t.STry(lock=lock):  # typed bodies; lowered away in a System
                reads.add(lock)
                writes.add(lock)
            case t.SGoto() | t.SDone() | t.SBugOn() | t.SRcu():
                pass
            case _:
                assert_never(s)
    return site


def cone(system: System, props: list[Property]) -> frozenset[str]:
    """The state variables that can influence the verdicts of `props`."""
    return _cone(system, props, _transition_accesses(system, props))


def slice_system(system: System, props: list[Property]) -> System:
    """`system` restricted to the cone of `props` (see the module docstring)."""
    per_tr = _transition_accesses(system, props)
    keep = _cone(system, props, per_tr)
    checked = frozenset(p.name for p in props)
    transitions = tuple(replace(tr, body=_slice_body(tr.body, keep, checked))
                        for tr, (_, writes, site) in zip(system.transitions, per_tr) if site or writes & keep)
    return replace(
        system,
        vars=tuple(v for v in system.vars if v.name in keep),
        init=_slice_body(system.init, keep, checked),
        transitions=transitions,
        properties=tuple(p for p in system.properties if p.name in checked),
        lifecycles=tuple(lc for lc in system.lifecycles if lc.var in keep),
    )


def _transition_accesses(system: System, props: list[Property]) -> list[tuple[set[str], set[str], bool]]:
    """Per transition: what it reads, what it writes, whether it holds a site of `props`."""
    checked = frozenset(p.name for p in props)
    out = []
    for tr in system.transitions:
        reads: set[str] = set()
        writes: set[str] = set()
        site = accesses(tr.body, checked.__contains__, reads, writes)
        out.append((reads, writes, site))
    return out


def _cone(system: System, props: list[Property], per_tr: list[tuple[set[str], set[str], bool]]) -> frozenset[str]:
    checked = frozenset(p.name for p in props)
    preds: dict[_Node, set[_Node]] = {}  # the graph's edges, reversed: node -> its predecessors
    roots: set[_Node] = set()
    names: set[str] = set()
    for p in props:
        if p.expr is not None:
            expr_reads(p.expr, names)
    for a in system.assumes:
        expr_reads(a, names)
    accesses(system.init, checked.__contains__, names, set())  # the init block's requires decide state 0
    roots.update(("var", n) for n in names)
    for v in system.vars:
        if v.init is not None:
            deps: set[str] = set()
            expr_reads(v.init, deps)
            preds.setdefault(("var", v.name), set()).update(("var", u) for u in deps)
    for i, (reads, writes, site) in enumerate(per_tr):
        node: _Node = ("tr", i)
        if site:
            roots.add(node)
        preds.setdefault(node, set()).update(("var", v) for v in reads)
        for w in writes:
            preds.setdefault(("var", w), set()).add(node)
    closed = _ancestors(preds, roots)
    return frozenset(n for kind, n in closed if kind == "var" and isinstance(n, str))


def _ancestors(preds: dict[_Node, set[_Node]], roots: set[_Node]) -> set[_Node]:
    """`roots` and every node with a path to one of them."""
    seen = set(roots)
    todo = list(roots)
    while todo:
        for u in preds.get(todo.pop(), ()):
            if u not in seen:
                seen.add(u)
                todo.append(u)
    return seen


def _slice_body(body: tuple[t.TStmt, ...], keep: frozenset[str], checked: frozenset[str]) -> tuple[t.TStmt, ...]:
    out: list[t.TStmt] = []
    for s in body:
        match s:
            case t.SAssign(var=v) | t.SStore(var=v) | t.SFill(var=v) if v not in keep:
                pass
            case t.SHavoc(var=v, lo=lo, hi=hi) if v not in keep and not s.local:
                if lo is not None and hi is not None:  # `any in lo .. hi` blocks when empty
                    out.append(t.SRequire(t.Binop(Op.LT, lo, hi, BoolT())))
            case t.SIf(cond=c, then=a, else_=b):
                out.append(replace(s, then=_slice_body(a, keep, checked), else_=_slice_body(b, keep, checked)))
            case t.SAssert(prop=p) if p not in checked:
                pass
            case _:
                out.append(s)
    return tuple(out)
