"""Checker: PDR through Z3's Spacer — an inductive invariant as a model of Horn clauses.

Input: a `System` and one safety property (invariant, lemma, assert, implicit).
Output: `Proved` with the invariant Spacer found (re-checked by a fresh solver), or
None (violated, unknown or out of time: BMC reports violations with their traces).

The clauses, over one predicate Inv(consts, vars, maps) with maps as arrays:

    init(s)                      -> Inv(s)
    Inv(s) /\\ trans(s, s')       -> Inv(s')
    Inv(s) /\\ bad(s)             -> false        (bad: the property fails in s,
                                                  or an assert of it fails on a step)

Maps are read chains (maps.py) for BMC; here each state's maps are array terms
(`MapTerm.array()`), since Inv's arguments must be arrays. The choice of Spacer over
an IC3 of our own is recorded in docs/adr/0001-pdr-engine.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from zcheck.checker.encode import Encoding, sort_of
from zcheck.checker.maps import MapTerm
from zcheck.checker.results import Proved
from zcheck.spec.types import MapT
from zcheck.system.cone import slice_system
from zcheck.system.ir import Property, System


# Quantified array invariants (Spacer's "quantifiers on demand"): without these options
# Spacer timed out (20 s) on every property of models/section_hotplug.zdl; with them
# it answers in < 0.1 s (docs/adr/0001-pdr-engine.md).
SPACER_OPTIONS = (
    ("fp.spacer.q3.use_qgen", True),
    ("fp.spacer.ground_pobs", False),
    ("fp.spacer.mbqi", False),
    ("fp.spacer.use_euf_gen", True),
)


@dataclass(frozen=True)
class Clauses:
    """The Horn clauses of one property; `inv` is the unknown predicate."""

    inv: z3.FuncDeclRef
    init: z3.BoolRef  # init(s0) -> Inv(s0), as an implication with free constants
    step: z3.BoolRef
    query: z3.BoolRef


def _args(enc: Encoding, k: int) -> list[z3.ExprRef]:
    """The arguments of Inv in state k: rigid constants, scalars, maps as arrays."""
    state = enc.state(k)
    out: list[z3.ExprRef] = [enc.rigid[name] for name, _ in enc.sys.rigid]
    for v in enc.sys.vars:
        x = state[v.name]
        out.append(x.array(sort_of(v.type.key)) if isinstance(x, MapTerm) else x)  # type: ignore[attr-defined]
    return out


def _signature(system: System) -> list[z3.SortRef]:
    sorts = [sort_of(typ) for _, typ in system.rigid]
    for v in system.vars:
        sorts.append(z3.ArraySort(sort_of(v.type.key), sort_of(v.type.value)) if isinstance(v.type, MapT)
                     else sort_of(v.type))
    return sorts


def _head(inv: z3.FuncDeclRef, args: list[z3.ExprRef], tag: str) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    """Inv applied to fresh variables, and the equations binding them to `args`
    (Spacer accepts only variables and simple terms as head arguments)."""
    fresh = [z3.Const(f"{tag}!{i}", a.sort()) for i, a in enumerate(args)]
    return inv(*fresh), [f == a for f, a in zip(fresh, args)]


def clauses(system: System, prop: Property) -> Clauses:
    inv = z3.Function("Inv", *_signature(system), z3.BoolSort())
    first = Encoding(system)
    head0, eqs0 = _head(inv, _args(first, 0), "init")
    init = z3.Implies(z3.And(first.init(), *eqs0), head0)
    enc = Encoding(system, from_init=False)
    head1, eqs1 = _head(inv, _args(enc, 1), "post")
    step = z3.Implies(z3.And(inv(*_args(enc, 0)), enc.trans(0), *eqs1), head1)
    bads = []
    b = enc.bad(prop, 0)
    if b is not None:
        bads.append(b[0])
    s = enc.site_bad(prop, 0)
    if s is not None:
        bads.append(s[0])
    i = first.site_bad(prop, None)
    query = z3.Implies(z3.And(inv(*_args(enc, 0)), z3.Or(bads)), z3.BoolVal(False)) if bads else z3.BoolVal(True)
    if i is not None:  # an assert of `init` fails: reachable without Inv
        query = z3.And(query, z3.Implies(z3.And(first.init(), i[0]), z3.BoolVal(False)))
    return Clauses(inv, init, step, query)


def _closed(f: z3.BoolRef) -> z3.BoolRef:
    consts = _free_consts(f)
    return z3.ForAll(consts, f) if consts else f


def _free_consts(f: z3.ExprRef) -> list[z3.ExprRef]:
    seen: set[int] = set()
    out: dict[str, z3.ExprRef] = {}
    stack = [f]
    while stack:
        n = stack.pop()
        if n.get_id() in seen:
            continue
        seen.add(n.get_id())
        if z3.is_const(n) and n.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.setdefault(str(n), n)
        elif z3.is_app(n):
            stack.extend(n.children())
        elif z3.is_quantifier(n):
            stack.append(n.body())
    return [out[k] for k in sorted(out)]


def prove_pdr(system: System, prop: Property, timeout: float | None, slice_cone: bool = True,
              rlimit: int | None = None) -> Proved | None:
    """Run Spacer; on `sat` (an invariant exists) re-check it and return the proof.
    Spacer works on the property's cone of influence (system/cone.py): on
    models/memremap_unwind.zdl with every fix on it proved all 14 properties in 1.5 s on
    their cones, and 11 in 183 s on the whole system (docs/benchmarks.md, section 4)."""
    if prop.kind == "cover":
        return None
    whole = len(system.vars)
    if slice_cone:
        system = slice_system(system, [prop])
    cl = clauses(system, prop)
    s = z3.SolverFor("HORN")
    s.set("random_seed", 0)
    for name, value in SPACER_OPTIONS:
        s.set(name, value)
    if timeout is not None:
        s.set("timeout", max(1, int(timeout * 1000)))
    if rlimit is not None:
        s.set("rlimit", rlimit)
    for c in (cl.init, cl.step, cl.query):
        s.add(_closed(c))
    if s.check() != z3.sat:
        return None
    body = _interpretation(s.model(), cl.inv)
    if body is None:
        return None
    # Spacer writes `m[i] == v` as `m == Store(m, i, v)` inside its quantifiers; the
    # re-check solver gave up on that form ("incomplete quantifiers", z3 5.4.1, on
    # models/section_hotplug.zdl) and proves the equivalent select form in 30 ms.
    body = z3.simplify(body, expand_store_eq=True)
    if not recheck(system, prop, body):
        return None
    return Proved(prop, "pdr", pdr_detail(len(system.vars), whole), (readable(system, body),), (), ())


def pdr_detail(used: int, whole: int) -> str:
    """How a PDR proof is named: on the cone of influence when that left variables out."""
    if used == whole:
        return "PDR (Spacer)"
    return f"PDR (Spacer) on the cone of influence ({used} of {whole} variables)"


def _interpretation(model: z3.ModelRef, inv: z3.FuncDeclRef):  # type: ignore[no-untyped-def]
    """Inv's interpretation as a function of its arguments (a lambda over Var(i))."""
    interp = model[inv]
    if interp is None:
        return None
    if isinstance(interp, z3.FuncInterp):
        return interp.else_value() if interp.num_entries() == 0 else None
    return interp


def _apply(body: z3.ExprRef, args: list[z3.ExprRef]) -> z3.BoolRef:
    """Substitute the actual arguments for the free variables Var(i) of `body` (Var(i) is argument i)."""
    return z3.substitute_vars(body, *args) if args else body  # type: ignore[return-value]


def recheck(system: System, prop: Property, body: z3.ExprRef, timeout_ms: int = 60000) -> bool:
    """Fresh solvers: the invariant holds initially, every step preserves it, and it
    excludes every bad state of the property."""
    first = Encoding(system)
    enc = Encoding(system, from_init=False)
    inv0 = _apply(body, _args(enc, 0))
    obligations = [
        z3.And(first.init(), z3.Not(_apply(body, _args(first, 0)))),
        z3.And(inv0, enc.trans(0), z3.Not(_apply(body, _args(enc, 1)))),
    ]
    for b in (enc.bad(prop, 0), enc.site_bad(prop, 0)):
        if b is not None:
            obligations.append(z3.And(inv0, b[0]))
    i = first.site_bad(prop, None)
    if i is not None:
        obligations.append(z3.And(first.init(), i[0]))
    for ob in obligations:
        s = z3.Solver()
        s.set("timeout", timeout_ms)
        s.add(ob)
        if s.check() != z3.unsat:
            return False
    return True


def readable(system: System, body: z3.ExprRef) -> str:
    """The invariant with Inv's arguments named after the model's constants and
    variables (enum members stay numbers: 0 is the first member)."""
    names = [name for name, _ in system.rigid] + [v.name for v in system.vars]
    named = [z3.Const(n, s) for n, s in zip(names, _signature(system))]
    text = str(z3.substitute_vars(body, *named)) if named else str(body)
    return " ".join(text.split())
