"""Fuzzing inputs: a grammar-aware hypothesis strategy for valid ZDL models, and a
mutator that turns valid models into (mostly) invalid ones.

`models()` draws a whole model as text, typed as it is built so that it usually
type-checks: enums, constants, type aliases, range and map variables, functions,
quantifiers (typed and ranged), `if` expressions, `in` ranges, arithmetic, bit and
shift operators, actions with parameters, `let`, `require`/`await`, named asserts,
`any` (havoc), slices, nested `if`/`else`, an `init` block, locks and processes (count,
parameters, locals, steps, `acquire`/`release`, `goto`, `done`, `loop`), a
`transitions` block, scenarios (calls with `_`, process steps, `...`), invariants,
covers, lemmas, `assume` and `check` directives. The differential generator
(tests/differential/gen.py) covers a smaller subset with an oracle; this one covers
the whole grammar without one.

`mutate(text, rnd)` applies one of: token deletion, duplication, swap of neighbours,
identifier corruption, type confusion (a type, literal or member replaced by one of
another type), a token from elsewhere in the text, truncation, and a stray or non-ASCII
character.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

ENUM = "col_t"
MEMBERS = ("RED", "GREEN", "BLUE")
TYPES = ("bool", "int", ENUM, "0 .. 4", "small_t")


@dataclass
class Scope:
    """Names visible while drawing, by type (`bool`, `int`, `col_t`, or `map:V`)."""

    vars: dict[str, str] = field(default_factory=dict)  # state variables (writable)
    reads: dict[str, str] = field(default_factory=dict)  # constants, parameters, lets, binders
    fns: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def of(self, typ: str, writable: bool = False) -> list[str]:
        pool = dict(self.vars) if writable else {**self.vars, **self.reads}
        return sorted(n for n, t in pool.items() if t == typ)

    def child(self) -> "Scope":
        return Scope(dict(self.vars), dict(self.reads), dict(self.fns))


def _scalar(t: str) -> str:
    return "int" if t in ("0 .. 4", "small_t") else t


@st.composite
def exprs(draw, scope: Scope, typ: str, depth: int = 2) -> str:  # type: ignore[no-untyped-def]
    """A well-typed expression of `typ` (bool, int or the enum)."""
    leaves = _leaves(scope, typ)
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves))
    sub = lambda t: exprs(scope, t, depth - 1)  # noqa: E731
    match typ:
        case "bool":
            kind = draw(st.integers(0, 9))
            if kind == 0:
                return f"!{draw(sub('bool'))}"
            if kind == 1:
                op = draw(st.sampled_from(["&&", "||", "->", "<->"]))
                return f"({draw(sub('bool'))} {op} {draw(sub('bool'))})"
            if kind == 2:
                op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
                return f"{draw(sub('int'))} {op} {draw(sub('int'))}"
            if kind == 3:
                return f"{draw(sub(ENUM))} {draw(st.sampled_from(['==', '!=']))} {draw(sub(ENUM))}"
            if kind == 4:
                return f"({draw(sub('int'))} in {draw(sub('int'))} .. {draw(sub('int'))})"
            if kind in (5, 6):
                return draw(_quant(scope, depth))
            if kind == 7:
                return f"(if {draw(sub('bool'))} then {draw(sub('bool'))} else {draw(sub('bool'))})"
            return draw(_call(scope, "bool", depth)) if scope.fns else draw(sub("bool"))
        case "int":
            kind = draw(st.integers(0, 6))
            if kind == 0:
                op = draw(st.sampled_from(["+", "-", "*"]))
                return f"({draw(sub('int'))} {op} {draw(sub('int'))})"
            if kind == 1:
                op = draw(st.sampled_from(["/", "%"]))
                return f"({draw(sub('int'))} {op} {draw(st.integers(1, 5))})"
            if kind == 2:
                return f"{draw(st.sampled_from(['min', 'max']))}({draw(sub('int'))}, {draw(sub('int'))})"
            if kind == 3:
                return f"(if {draw(sub('bool'))} then {draw(sub('int'))} else {draw(sub('int'))})"
            if kind == 4:
                return f"-{draw(sub('int'))}"
            if kind == 5:
                op = draw(st.sampled_from(["&", "|", "^", "<<", ">>"]))
                return f"({draw(st.integers(0, 9))} {op} {draw(st.integers(0, 3))})"  # ints: constants only
            return draw(_call(scope, "int", depth)) if scope.fns else draw(sub("int"))
        case _:
            return f"(if {draw(sub('bool'))} then {draw(sub(typ))} else {draw(sub(typ))})"


def _leaves(scope: Scope, typ: str) -> list[str]:
    names = scope.of(typ) + [n for n, t in scope.reads.items() if _scalar(t) == typ and t != typ]
    names += [n for n, t in scope.vars.items() if _scalar(t) == typ and t != typ]
    reads = [f"{n}[{k}]" for n, t in sorted(scope.vars.items()) if t == f"map:{typ}" for k in ("0", "1", "3")]
    match typ:
        case "bool":
            lits = ["true", "false"]
        case "int":
            lits = ["0", "1", "3", "0x2", "0b11", "1_0"]
        case _:
            lits = list(MEMBERS)
    return sorted(set(names)) + reads + lits


@st.composite
def _quant(draw, scope: Scope, depth: int) -> str:  # type: ignore[no-untyped-def]
    inner = scope.child()
    name = draw(st.sampled_from(["q", "r", "s"])) + str(depth)
    kind = draw(st.sampled_from(["forall", "exists"]))
    if draw(st.booleans()):
        inner.reads[name] = "int"
        return f"({kind} {name} in 0 .. {draw(st.integers(0, 4))} :: {draw(exprs(inner, 'bool', depth - 1))})"
    typ = draw(st.sampled_from(["bool", ENUM, "0 .. 4", "small_t"]))
    inner.reads[name] = typ
    return f"({kind} {name}: {typ} :: {draw(exprs(inner, 'bool', depth - 1))})"


@st.composite
def _call(draw, scope: Scope, typ: str, depth: int) -> str:  # type: ignore[no-untyped-def]
    fns = [(n, sig) for n, sig in sorted(scope.fns.items()) if sig[1] == typ]
    if not fns:
        return draw(exprs(scope, typ, depth - 1))
    name, (params, _) = draw(st.sampled_from(fns))
    return f"{name}({', '.join(draw(exprs(scope, _scalar(p), depth - 1)) for p in params)})"


@st.composite
def stmts(draw, scope: Scope, depth: int, names: list[str], proc: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for _ in range(draw(st.integers(0 if proc else 1, 4))):
        kind = draw(st.integers(0, 9))
        scalars = [n for n, t in sorted(scope.vars.items()) if not t.startswith("map:")]
        maps = [n for n, t in sorted(scope.vars.items()) if t.startswith("map:")]
        if kind <= 2 and scalars:
            v = draw(st.sampled_from(scalars))
            out.append(f"{v} := {draw(exprs(scope, _scalar(scope.vars[v]), 2))}")
        elif kind == 3 and maps:
            m = draw(st.sampled_from(maps))
            val = draw(exprs(scope, scope.vars[m][4:], 1))
            if draw(st.booleans()):
                out.append(f"{m}[{draw(st.integers(0, 4))}] := {val}")
            else:
                lo = draw(st.integers(0, 4))
                out.append(f"{m}[{lo} .. {draw(st.integers(lo, 5))}] := {val}")
        elif kind == 4 and scalars:
            v = draw(st.sampled_from(scalars))
            t = scope.vars[v]
            out.append(f"{v} := any in 0 .. 5" if _scalar(t) == "int" else f"{v} := any {t}")
        elif kind == 5:
            name = f"l{len(names)}"
            names.append(name)
            t = draw(st.sampled_from(["bool", "int", ENUM]))
            out.append(f"let {name} = {draw(exprs(scope, t, 2))}")
            scope.reads[name] = t
        elif kind == 6:
            out.append(f"{draw(st.sampled_from(['require', 'await']))} {draw(exprs(scope, 'bool', 2))}")
        elif kind == 7:
            name = f"a{len(names)}"
            names.append(name)
            out.append(f"assert {name}: {draw(exprs(scope, 'bool', 2))}")
        elif kind == 8 and depth > 0:
            cond = draw(exprs(scope, "bool", 1))
            then = draw(stmts(scope.child(), depth - 1, names, proc))
            else_ = draw(stmts(scope.child(), depth - 1, names, proc)) if draw(st.booleans()) else None
            block = [f"if {cond} {{", *("  " + s for s in then), "}"]
            if else_ is not None:
                block[-1] = "} else {"
                block += ["  " + s for s in else_] + ["}"]
            out.extend(block)
        else:
            out.append(f"assert {draw(exprs(scope, 'bool', 1))}")
    return out


@st.composite
def models(draw) -> str:  # type: ignore[no-untyped-def]
    """A whole model as text; most draws parse and type-check."""
    scope = Scope()
    lines = ["model fuzz", f"enum {ENUM} {{ {', '.join(MEMBERS)} }}", "type small_t = 0 .. 4"]
    for i in range(draw(st.integers(0, 2))):
        t = draw(st.sampled_from(["bool", "int", ENUM]))
        value = draw(exprs(Scope(), t, 1).filter(lambda e: "forall" not in e and "exists" not in e))
        lines.append(f"const C{i}: {t} = {value}")  # a constant has no quantifier
        scope.reads[f"C{i}"] = t
    for i in range(draw(st.integers(1, 4))):
        t = draw(st.sampled_from(TYPES + ("map:bool", "map:int", f"map:{ENUM}")))
        if t.startswith("map:"):
            lines.append(f"var v{i}: map[0 .. 5] {t[4:]} = {draw(exprs(Scope(), t[4:], 0))}")
        else:
            init = draw(st.sampled_from(["0", "1"])) if t in ("0 .. 4", "small_t") else draw(exprs(Scope(), _scalar(t), 1))
            lines.append(f"var v{i}: {t} = {init}")
        scope.vars[f"v{i}"] = t
    for i in range(draw(st.integers(0, 2))):
        ptype = draw(st.sampled_from(["int", "bool", ENUM]))
        ret = draw(st.sampled_from(["int", "bool"]))
        inner = scope.child()
        inner.reads["x"] = ptype
        lines.append(f"fn f{i}(x: {ptype}): {ret} = {draw(exprs(inner, ret, 2))}")
        scope.fns[f"f{i}"] = ((ptype,), ret)
    names: list[str] = []
    if draw(st.booleans()):
        body = draw(stmts(scope.child(), 1, names))
        lines += ["init {", *("  " + s for s in body if not s.startswith(("require", "await", "assert"))), "}"]
    actions = []
    for i in range(draw(st.integers(1, 3))):
        inner = scope.child()
        params = draw(st.lists(st.sampled_from(["bool", "0 .. 4", ENUM]), max_size=2))
        for j, p in enumerate(params):
            inner.reads[f"p{j}"] = p
        body = draw(stmts(inner, 2, names))
        sig = ", ".join(f"p{j}: {p}" for j, p in enumerate(params))
        lines += [f"action act{i}({sig}) {{", *("  " + s for s in body), "}"]
        actions.append((f"act{i}", tuple(params)))
    procs = draw(_processes(scope, names))
    lines += procs[0]
    lines += draw(_transitions(scope, [a for a, _ in actions] + sorted({f"{p}.{s}" for p, _, s in procs[1]})))
    props = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["invariant", "invariant", "cover", "lemma"]))
        lines.append(f"{kind} prop{i}: {draw(exprs(scope, 'bool', 2))}")
        props.append(f"prop{i}")
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"assume {draw(exprs(Scope(reads=dict(scope.reads)), 'bool', 1))}")
    lines += draw(_scenarios(actions, procs[1]))
    for p in props[: draw(st.integers(0, 2))]:
        expect = draw(st.sampled_from(["holds", "violated", "reached", "unreachable", "proved"]))
        lines.append(f"check {p} depth 1 expect {expect}")
    return "\n".join(lines) + "\n"


@st.composite
def _processes(draw, scope: Scope, names: list[str]):  # type: ignore[no-untyped-def]
    if draw(st.integers(0, 2)) == 0:
        return [], []
    lines = ["lock big"]
    count = draw(st.integers(1, 2))
    inner = scope.child()
    inner.vars["loc"] = "bool"
    steps = ["s0", "s1", "s2"][: draw(st.integers(1, 3))]
    lines += [f"process worker[{count}](w: 0 .. 3) {{", "  var loc: bool = false"]
    inner.reads["w"] = "0 .. 3"
    for i, s in enumerate(steps):
        body = draw(stmts(inner.child(), 1, names, proc=True))
        if i == 0 and draw(st.booleans()):
            body = ["acquire big"] + body + ["release big"]
        if draw(st.integers(0, 3)) == 0:
            body.append(draw(st.sampled_from([f"goto {steps[0]}", "done"])))
        lines += [f"  step {s} {{", *("    " + b for b in body), "  }"]
    if draw(st.booleans()):
        lines.append("  loop")
    lines.append("}")
    return lines, [("worker", count, s) for s in steps]


@st.composite
def _transitions(draw, scope: Scope, actions):  # type: ignore[no-untyped-def]
    maps = [n for n, t in sorted(scope.vars.items()) if t == f"map:{ENUM}"]
    if not maps or not draw(st.booleans()):
        return []
    writers = ", ".join(actions)
    edges = [f"  {a} -> {b}: {writers}" for a in MEMBERS for b in MEMBERS if a != b and draw(st.booleans())]
    return [f"transitions {draw(st.sampled_from(maps))} {{", *edges, "}"]


@st.composite
def _scenarios(draw, actions, steps):  # type: ignore[no-untyped-def]
    if not draw(st.booleans()):
        return []
    items = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 3))
        if kind == 0 and steps:
            p, count, s = draw(st.sampled_from(steps))
            items.append(f"{p}[{draw(st.integers(0, count - 1))}].{s}")
        elif kind == 1:
            items.append("...")
        else:
            a, params = draw(st.sampled_from(actions))
            args = ", ".join(draw(st.sampled_from(["_", _ARG[p]])) for p in params)
            items.append(f"{a}({args})" if draw(st.booleans()) else a)
    return ["scenario sc {", *("  " + i for i in items), "}"]


_ARG = {"bool": "true", "0 .. 4": "2", ENUM: "GREEN"}

# ---------------------------------------------------------------- mutations

_TOKEN = re.compile(r"\s+|//[^\n]*|[A-Za-z_][A-Za-z0-9_]*|0[xXbB][0-9a-fA-F_]*|\d[\d_]*|:=|::|\.\.\.?|->|<->|<<|>>|"
                    r"[=!<>]=|&&|\|\||\S")
_CONFUSE = {
    "bool": ["int", ENUM, "map[0 .. 5] bool", "0 .. 0"], "int": ["bool", ENUM, "4 .. 1"],
    ENUM: ["bool", "int", "RED"], "true": ["0", "RED", "x"], "false": ["1", "BLUE"],
    "RED": ["true", "3", ENUM], "GREEN": ["0"], "0": ["true", "RED", "-0", "0x"], "1": ["false", "BLUE", "1/0"],
    "3": ["0b2", "99999999999999999999999"], "&&": ["+", "==", "&"], "+": ["&&", "<->"],
    "==": [":=", "="], ":=": ["==", "="], "forall": ["exists", "forall forall"], "0 .. 4": ["4 .. 0"],
}
_JUNK = ["}", "{", "(", ")", "[", "]", ",", ":", "::", ";", "@", "#", "\u00e9", "\x00", "\ufeff", "..", "...",
         "any", "in", "else", "step", "loop", "goto", "lock", "action", "_", '"x"', "0x", "/*", "*/"]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def mutate(text: str, rnd: random.Random) -> tuple[str, str]:
    """One random mutation of `text`: (new text, what was done)."""
    toks = tokens(text)
    solid = [i for i, t in enumerate(toks) if not t.isspace()]
    if not solid:
        return text + rnd.choice(_JUNK), "junk"
    i = rnd.choice(solid)
    kind = rnd.choice(["delete", "duplicate", "swap", "ident", "confuse", "transplant", "truncate", "junk"])
    match kind:
        case "delete":
            toks[i] = ""
        case "duplicate":
            toks[i] = toks[i] + " " + toks[i]
        case "swap":
            j = solid[min(solid.index(i) + 1, len(solid) - 1)]
            toks[i], toks[j] = toks[j], toks[i]
        case "ident":
            names = [k for k in solid if re.match(r"[A-Za-z_]", toks[k])]
            k = rnd.choice(names) if names else i
            word = toks[k]
            pos = rnd.randrange(len(word) + 1)
            toks[k] = rnd.choice([word[:pos] + rnd.choice("xZ_9") + word[pos:], word[:pos] + word[pos + 1:],
                                  word.upper(), rnd.choice([toks[n] for n in names] or [word])])
        case "confuse":
            hits = [k for k in solid if toks[k] in _CONFUSE]
            k = rnd.choice(hits) if hits else i
            toks[k] = rnd.choice(_CONFUSE.get(toks[k], _JUNK))
        case "transplant":
            toks[i] = toks[rnd.choice(solid)]
        case "truncate":
            return text[: rnd.randrange(len(text))], kind
        case "junk":
            toks[i] = toks[i] + rnd.choice(_JUNK)
    return "".join(toks), kind
