"""Checker: symmetry of process instances, for the explicit-state engine.

Input: a `System` sliced to the checked properties, the `Layout` of its states and its
initial states. Output: a `Symmetry` (or None) whose `canon` maps a state to a
representative of its orbit under the permutations of the instances of each process.

When it is used (and only then): a process `P` has instances `P[0] .. P[n-1]`, n >= 2,
and permuting them maps the system onto itself — checked, not assumed, for the swap of
instances 0 and 1 and the cycle 0 -> 1 -> ... -> n-1 -> 0, which generate every
permutation. A permutation renames every `P[i]` in variable, transition and local
names and maps the owner values `P[i]` of lock variables likewise. The system is
symmetric when every renamed transition equals the transition of the renamed name
(bodies compared as typed trees, with `and`/`or` operands in a canonical order), every
checked property equals its own renaming (so `at(P[0], s)`, `self` used as a number, or
a per-instance property such as `P[0].s.range@3` rule it out), every variable has a
renamed twin of the same type, and the set of initial states (computed, so `init` and
`assume` take part) is closed under the permutation. Then the transition relation and
every property commute with the permutations, breadth-first search over orbits finds
the same verdicts at the same shortest depths, and a trace is rebuilt in the concrete
system (explicit_trace). `canon` sorts the instances by the values of their own
variables and applies the sorting permutation: the result is always in the state's
orbit (sound); states with tied instances may keep two representatives (less reduction,
never a wrong verdict).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from zcheck.checker.explicit_layout import Layout, Repr
from zcheck.spec import typed as t
from zcheck.spec.types import EnumT, MapT
from zcheck.system.ir import System

MAX_INSTANCES = 6  # 720 permutations: beyond that the group is left alone

Key = tuple[Any, ...]
Perm = tuple[int, ...]  # perm[i]: the new index of instance i


@dataclass(frozen=True)
class Group:
    process: str
    count: int

    def tag(self, i: int) -> str:
        return f"{self.process}[{i}]"


class _Renaming:
    """One permutation of one group's instances, acting on names, owner values and terms."""

    def __init__(self, group: Group, perm: Perm, owners: EnumT | None) -> None:
        self.perm = perm
        self.pattern = re.compile(r"(?<![A-Za-z0-9_\]])" + re.escape(group.process) + r"\[(\d+)\]")
        self.group = group
        self.owner_map: tuple[int, ...] | None = None
        self.owners = owners
        if owners is not None:
            self.owner_map = tuple(owners.members.index(self.name(m)) if self.name(m) in owners.members else k
                                   for k, m in enumerate(owners.members))

    def name(self, s: str) -> str:
        def sub(m: re.Match[str]) -> str:
            i = int(m.group(1))
            return self.group.tag(self.perm[i]) if i < len(self.perm) else m.group(0)

        return self.pattern.sub(sub, s)

    def expr(self, e: t.TExpr) -> t.TExpr:
        match e:
            case t.Var(name=n) | t.Old(name=n) | t.Local(name=n) | t.Bound(name=n):
                return replace(e, name=self.name(n))
            case t.Lit(value=v, type=typ) if self.owners is not None and typ == self.owners:
                assert self.owner_map is not None
                return replace(e, value=self.owner_map[int(v)])
            case t.Quant(var=v):
                return replace(e, var=self.name(v), body=self.expr(e.body))
            case _:
                return t.with_children(e, tuple(self.expr(c) for c in t.children(e)))

    def stmts(self, body: tuple[t.TStmt, ...]) -> tuple[t.TStmt, ...]:
        return tuple(self.stmt(s) for s in body)

    def stmt(self, s: t.TStmt) -> t.TStmt:
        x = self.expr
        match s:
            case t.SAssign(var=v, value=e):
                return replace(s, var=self.name(v), value=x(e))
            case t.SStore(var=v, index=i, value=e):
                return replace(s, var=self.name(v), index=x(i), value=x(e))
            case t.SFill(var=v, lo=lo, hi=hi, value=e):
                return replace(s, var=self.name(v), lo=x(lo), hi=x(hi), value=x(e))
            case t.SHavoc(var=v, index=i, lo=lo, hi=hi, choice=c):
                return replace(s, var=self.name(v), choice=self.name(c), index=None if i is None else x(i),
                               lo=None if lo is None else x(lo), hi=None if hi is None else x(hi))
            case t.SIf(cond=c, then=a, else_=b):
                return replace(s, cond=x(c), then=self.stmts(a), else_=self.stmts(b))
            case t.SLet(name=n, value=e):
                return replace(s, name=self.name(n), value=x(e))
            case t.SRequire(cond=c):
                return replace(s, cond=x(c))
            case t.SAssert(prop=p, cond=c):
                return replace(s, prop=self.name(p), cond=x(c))
        raise AssertionError(f"not in a lowered system: {s}")


def normal(e: t.TExpr) -> t.TExpr:
    """`e` with the operands of `and`/`or` chains flattened and sorted (by their text),
    so that two formulas that differ only in the order of those operands are equal."""
    if isinstance(e, t.Binop) and e.op in ("and", "or"):
        parts: list[t.TExpr] = []
        stack: list[t.TExpr] = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, t.Binop) and x.op == e.op:
                stack += [x.right, x.left]
            else:
                parts.append(normal(x))
        parts.sort(key=repr)
        out = parts[0]
        for p in parts[1:]:
            out = t.Binop(e.op, out, p, e.type)
        return out
    return t.with_children(e, tuple(normal(c) for c in t.children(e)))


def _normal_stmts(body: tuple[t.TStmt, ...]) -> tuple[t.TStmt, ...]:
    out: list[t.TStmt] = []
    for s in body:
        match s:
            case t.SIf(cond=c, then=a, else_=b):
                out.append(replace(s, cond=normal(c), then=_normal_stmts(a), else_=_normal_stmts(b)))
            case t.SAssign(value=e) | t.SLet(value=e):
                out.append(replace(s, value=normal(e)))
            case t.SRequire(cond=c) | t.SAssert(cond=c):
                out.append(replace(s, cond=normal(c)))
            case _:
                out.append(s)
    return tuple(out)


def groups_of(system: System) -> list[Group]:
    """The processes with at least two instances (their pc variables tell)."""
    counts: dict[str, set[int]] = {}
    for v in system.vars:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]\.pc", v.name)
        if m and v.exact_domain:
            counts.setdefault(m.group(1), set()).add(int(m.group(2)))
    return [Group(p, len(ix)) for p, ix in counts.items() if ix == set(range(len(ix))) and 2 <= len(ix) <= MAX_INSTANCES]


def _symmetric_under(system: System, r: _Renaming, initial: set[Key], layout: Layout) -> bool:
    vars_ = {v.name: v for v in system.vars}
    for v in system.vars:
        w = vars_.get(r.name(v.name))
        if w is None or w.type != v.type:
            return False
    trs = {tr.name: tr for tr in system.transitions}
    for tr in system.transitions:
        twin = trs.get(r.name(tr.name))
        if twin is None or twin.params != tr.params or twin.writer != tr.writer:
            return False
        if _normal_stmts(r.stmts(tr.body)) != _normal_stmts(twin.body):
            return False
    for p in system.properties:
        if r.name(p.name) != p.name:
            return False
        if p.expr is not None and normal(r.expr(p.expr)) != normal(p.expr):
            return False
    apply = _applier(layout, r)
    return all(apply(k) in initial for k in initial)


def _applier(layout: Layout, r: _Renaming) -> Callable[[Key], Key]:
    """The permutation acting on a state of `layout`, as a generated function (one tuple
    display: it runs once per successor under symmetry reduction)."""
    where = {(s.name, s.rigid): k for k, s in enumerate(layout.slots)}
    src = [0] * len(layout.slots)
    for k, s in enumerate(layout.slots):
        src[where[(r.name(s.name) if not s.rigid else s.name, s.rigid)]] = k
    items = []
    for q, k in enumerate(src):
        slot = layout.slots[k]
        if r.owner_map is None or r.owner_map == tuple(range(len(r.owner_map))):
            items.append(f"s[{k}]")
        elif slot.type == r.owners:
            items.append(f"_om[s[{k}]]")
        elif isinstance(slot.type, MapT) and slot.type.value == r.owners:
            if slot.repr is Repr.SPARSE:
                items.append(f"(s[{k}][0], tuple([_om[x] for x in s[{k}][1]]))")
            else:
                items.append(f"tuple([_om[x] for x in s[{k}]])")
        else:
            items.append(f"s[{k}]")
    return _build(f"def ap(s):\n    return ({''.join(i + ', ' for i in items)})\n", "ap", {"_om": r.owner_map})


def _build(source: str, name: str, scope: dict[str, Any]) -> Callable[[Key], Key]:
    code = compile(source, "<zcheck-explicit-symmetry>", "exec")
    exec(code, scope)  # generated from the layout above, never from text
    fn: Callable[[Key], Key] = scope[name]  # every generated function maps a key to a key
    return fn


@dataclass(frozen=True)
class Symmetry:
    groups: tuple[Group, ...]
    canon: Callable[[Key], Key]
    elements: tuple[Callable[[Key], Key], ...]  # every permutation but the identity (for rebuilding traces)

    def same_orbit(self, a: Key, b: Key) -> bool:
        return a == b or any(g(a) == b for g in self.elements)

    def describe(self) -> str:
        return ", ".join(f"{g.process}[0..{g.count - 1}]" for g in self.groups)


def find_symmetry(system: System, layout: Layout, initial: list[Key]) -> Symmetry | None:
    owners = system.owners
    inits = set(initial)
    found: list[Group] = []
    for g in groups_of(system):
        n = g.count
        gens = [(1, 0, *range(2, n))] + ([tuple((i + 1) % n for i in range(n))] if n > 2 else [])
        if all(_symmetric_under(system, _Renaming(g, p, owners), inits, layout) for p in gens):
            found.append(g)
    if not found:
        return None
    per_group = []
    for g in found:
        perms = [p for p in itertools.permutations(range(g.count))]
        per_group.append({p: _applier(layout, _Renaming(g, p, owners)) for p in perms})
    canon = _canon(layout, found, per_group)
    elements = []
    for combo in itertools.product(*[list(d.items()) for d in per_group]):
        if all(p == tuple(sorted(p)) for p, _ in combo):
            continue
        fns = [f for _, f in combo]
        elements.append(_compose(fns))
    return Symmetry(tuple(found), canon, tuple(elements))


def _compose(fns: list[Callable[[Key], Key]]) -> Callable[[Key], Key]:
    def run(key: Key) -> Key:
        for f in fns:
            key = f(key)
        return key

    return run


def _canon(layout: Layout, groups: list[Group], per_group: list[dict[Perm, Callable[[Key], Key]]]) -> Callable[[Key], Key]:
    """Sort each group's instances by their own variables' values (see the docstring),
    as a generated function: the sorted case (most states) costs a few comparisons."""
    lines = ["def canon(s):"]
    scope: dict[str, Any] = {"sorted": sorted}
    for gi, (g, appliers) in enumerate(zip(groups, per_group)):
        keys = []
        for i in range(g.count):
            tag = re.compile(r"(?<![A-Za-z0-9_\]])" + re.escape(g.tag(i)) + r"(?![0-9])")
            own = sorted((tag.sub("#", s.name), k) for k, s in enumerate(layout.slots) if not s.rigid and tag.search(s.name))
            keys.append("(" + "".join(f"s[{k}], " for _, k in own) + ")")
        n = g.count
        by_order: dict[tuple[int, ...], Callable[[Key], Key]] = {}
        for perm, f in appliers.items():
            order = [0] * n
            for old, new in enumerate(perm):
                order[new] = old
            by_order[tuple(order)] = f
        scope[f"_ap{gi}"] = by_order
        ks = [f"k{gi}_{i}" for i in range(n)]
        for k, key in zip(ks, keys):
            lines.append(f"    {k} = {key}")
        lines.append(f"    if not ({' <= '.join(ks)}):")
        lines.append(f"        _k = ({''.join(k + ', ' for k in ks)})")
        lines.append(f"        s = _ap{gi}[tuple(sorted(range({n}), key=_k.__getitem__))](s)")
    lines.append("    return s")
    return _build("\n".join(lines) + "\n", "canon", scope)
