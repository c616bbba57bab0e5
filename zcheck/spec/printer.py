"""Front end: `ast.Module` (+ the source's comments) → canonical ZDL text, for `zcheck fmt`.

Input: a parsed module and, optionally, the text it was parsed from. Output: text that
parses back to an equal module (spans take no part in equality) and that formats to
itself. Layout: one declaration or statement per line (a block the source wrote on one
line stays on one line when it fits), blocks indented by two spaces,
one space around binary operators, parentheses only where the grammar needs them, at
most one blank line where the source had one or more.

The grammar ignores comments, so they are recovered from the text (`comments`) and
attached by line: a comment on its own line goes before the first node that starts
after it, at that node's indentation; a comment after code on the same line stays at
the end of the line printed for that node (nodes printed on one line that spanned
several keep all their comments there). Comments left at the end of a block are printed
before its closing brace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, assert_never

from zcheck.diagnostics import Span
from zcheck.spec import ast
from zcheck.spec.ops import BINARY, OPS, UNARY, Assoc, OpInfo, Prec

INDENT = "  "
WIDTH = 100  # columns; longer lines are broken where `wrap` can

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CALL_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_]*\)\Z")
_COMMENT_SCAN = re.compile(r'"[^"\n]*"|//[^\n]*|/\*(?:.|\n)*?\*/')


@dataclass(frozen=True)
class Comment:
    """A comment of the source: its first and last line, and its exact text."""

    line: int
    end_line: int
    text: str
    own_line: bool  # nothing but blanks before it on its line


def comments(text: str) -> tuple[Comment, ...]:
    """Every `//` and `/* */` comment of `text`, in order (string literals skipped)."""
    found = []
    for m in _COMMENT_SCAN.finditer(text):
        body = m.group(0)
        if body.startswith('"'):
            continue
        line = text.count("\n", 0, m.start()) + 1
        start_of_line = text.rfind("\n", 0, m.start()) + 1
        own = text[start_of_line:m.start()].strip() == ""
        found.append(Comment(line, line + body.count("\n"), body.rstrip(), own))
    return tuple(found)


# Marks where a trailing comment starts until _align_trailing places it. A lone high
# surrogate: no text decoded from UTF-8 holds one (nor does surrogateescape, which makes
# only U+DC80..U+DCFF), so no comment can contain the marker. (NUL could: a comment with
# a NUL byte on its own line was split at it and changed.)
_TRAILING = "\ud800"
ALIGN_MAX = 80  # code wider than this keeps its trailing comment two spaces after it


def _align_trailing(lines: list[str]) -> list[str]:
    """Align the trailing comments of consecutive lines in one column, two spaces after
    the widest code of the run (as gofmt does), so that hand-aligned comments in a
    model survive formatting. A line without a trailing comment ends the run, and so
    does code wider than ALIGN_MAX."""
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(code) for code, _ in run), default=0)
        out.extend(f"{code.ljust(width)}  {comment}" for code, comment in run)
        run.clear()

    for line in lines:
        if _TRAILING not in line:
            flush()
            out.append(line)
            continue
        code, comment = line.split(_TRAILING, 1)
        if len(code) > ALIGN_MAX:
            flush()
            out.append(f"{code}  {comment}")
        else:
            run.append((code, comment))
    flush()
    return out


def format_module(module: ast.Module, text: str = "") -> str:
    """Canonical text of `module`; `text` is its source, whose comments are kept."""
    return _Printer(list(comments(text)), text.splitlines()).module(module)


# ---------------------------------------------------------------- expressions


def expr(e: ast.Expr) -> str:
    """An expression at the loosest level (no outer parentheses), with nothing after it."""
    return _expr(e, Prec.IFF, True)


_BITWISE = (Prec.BOR, Prec.BXOR, Prec.BAND, Prec.SHIFT)
_LOGIC = (Prec.OR, Prec.AND)


def _binary(op: str) -> OpInfo:
    """The table entry of a binary operator written `op` (spec/ops.py)."""
    return OPS[BINARY[op]]


def _prec(e: ast.Expr) -> int:
    match e:
        case ast.Binary(op=op):
            return _binary(op).prec
        case ast.Unary(op=op):
            return OPS[UNARY[op]].prec
        case ast.InRange():
            return Prec.IN
        case ast.Index() | ast.Field():
            return Prec.POSTFIX
        case ast.TryLock():
            return Prec.UNARY
        case ast.Quant() | ast.IfExpr():
            return Prec.IFF  # they extend as far right as possible
        case ast.IntLit() | ast.BoolLit() | ast.Name() | ast.Call():
            return Prec.ATOM
        case _:
            assert_never(e)


def _expr(e: ast.Expr, need: int, tail: bool) -> str:
    """`e` as one operand at binding strength `need`; `tail`: nothing of the enclosing
    expression follows it, so a quantifier there needs no parentheses (its body cannot
    swallow anything)."""
    match e:
        case ast.Quant():
            bare = tail
        case ast.IfExpr():
            bare = tail and need == Prec.IFF
        case _:
            bare = _prec(e) >= need
    return _bare(e, tail) if bare else f"({_bare(e, True)})"  # inside parentheses nothing follows


def _bare(e: ast.Expr, tail: bool) -> str:
    match e:
        case ast.IntLit(value=v, text=t):
            return t if t else str(v)
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case ast.Name(id=i):
            return i
        case ast.Call(func=f, args=args):
            return f"{f}({', '.join(expr(a) for a in args)})"
        case ast.Index(base=b, index=i):
            return f"{_expr(b, Prec.POSTFIX, False)}[{expr(i)}]"
        case ast.Field(base=b, name=n):
            return f"{_expr(b, Prec.POSTFIX, False)}.{n}"
        case ast.TryLock(op=op, lock=lk):
            return f"{op} {lock_ref(lk)}"
        case ast.Unary(op=op, operand=o):
            return f"{op}{_expr(o, OPS[UNARY[op]].prec, tail)}"
        case ast.Binary(op=op, left=left, right=right):
            return _chain_text(op, left, right, tail)
        case ast.InRange(elem=x, lo=lo, hi=hi):
            return f"{_expr(x, Prec.BOR, False)} in {_expr(lo, Prec.BOR, False)} .. {_expr(hi, Prec.BOR, tail)}"
        case ast.IfExpr(cond=c, then=t, else_=f):
            return f"if {expr(c)} then {expr(t)} else {_expr(f, Prec.IFF, tail)}"
        case ast.Quant():
            return f"{_quant_head(e)} {_expr(e.body, Prec.IFF, tail)}"
        case _:
            assert_never(e)


def _need(op: str, side: ast.Expr, prec: int) -> int:
    """The binding strength an operand of `op` must have; one level tighter than the
    grammar asks where a reader would otherwise have to recall the precedence table
    (`&&` inside `||`, bit operations inside comparisons, arithmetic inside shifts)."""
    inner = _prec(side)
    clarify = (
        (prec in _LOGIC and inner in _LOGIC and inner != prec)
        or (prec == Prec.CMP and inner in _BITWISE)
        or (prec in _BITWISE and inner in _BITWISE + (Prec.ADD, Prec.MUL) and inner != prec)
    )
    return Prec.ATOM if clarify else prec


def _chain(op: str, left: ast.Expr, right: ast.Expr, tail: bool) -> list[tuple[ast.Expr, int, bool]]:
    """The operands of `left op right` with the binding strength each needs and whether
    it is in tail position; a flat chain of one associative operator is flattened
    (`a && b && c`), so that a long one can be broken at each of its operators."""
    prec, assoc = _binary(op).prec, _binary(op).assoc
    if assoc is Assoc.RIGHT:
        rest = _chain(op, right.left, right.right, tail) if isinstance(right, ast.Binary) and right.op == op \
            else [(right, _need(op, right, prec), tail)]
        return [(left, max(prec + 1, _need(op, left, prec)), False), *rest]
    if assoc is Assoc.NONE:  # both sides one level tighter
        return [(left, max(Prec.IN, _need(op, left, prec)), False), (right, max(Prec.IN, _need(op, right, prec)), tail)]
    head = _chain(op, left.left, left.right, False) if isinstance(left, ast.Binary) and left.op == op \
        else [(left, _need(op, left, prec), False)]
    return [*head, (right, max(prec + 1, _need(op, right, prec)), tail)]


def _chain_text(op: str, left: ast.Expr, right: ast.Expr, tail: bool) -> str:
    return f" {op} ".join(_expr(o, need, t) for o, need, t in _chain(op, left, right, tail))


def wrap(e: ast.Expr, width: int, first: int | None = None) -> list[str]:
    """`e` on lines of at most `width` columns where it can be broken: before the
    operators of a top-level operator chain (then inside an operand printed without
    parentheses, recursively), after a quantifier's `::`, and around the branches of an
    `if` expression. Lines after the first are indented relative to it; `first` is the
    room on the first line when it differs (after a declaration's head)."""
    flat = expr(e)
    if len(flat) <= (width if first is None else first):
        return [flat]
    match e:
        case ast.Binary(op=op, left=left, right=right):
            return _wrap_chain(op, left, right, width, width if first is None else first)
        case ast.Quant():
            return [_quant_head(e)] + [INDENT + line for line in wrap(e.body, width - len(INDENT))]
        case ast.IfExpr(cond=c, then=t, else_=f):
            lines = [f"if {expr(c)} then"] + [INDENT + line for line in wrap(t, width - len(INDENT))]
            if isinstance(f, ast.IfExpr):
                rest = wrap(f, width)
                return lines + [f"else {rest[0]}"] + rest[1:]
            return lines + ["else"] + [INDENT + line for line in wrap(f, width - len(INDENT))]
    return [flat]


def _wrap_chain(op: str, left: ast.Expr, right: ast.Expr, width: int, first: int) -> list[str]:
    lines: list[str] = []
    for i, (o, need, tail) in enumerate(_chain(op, left, right, True)):
        lead = "" if i == 0 else f"{op} "
        text = _expr(o, need, tail)
        room = first if i == 0 else width - len(INDENT) - len(lead)
        sub = _wrap_operand(o, text, tail, room, width if i == 0 else room)
        limit = first if len(lines) == 1 else width
        if i == 0:
            lines.extend(sub)
        elif len(sub) == 1 and len(lines[-1]) + 1 + len(lead + text) <= limit:
            lines[-1] += " " + lead + text  # greedy: as many operands per line as fit
        else:
            lines.extend([INDENT + lead + sub[0]] + [INDENT + x for x in sub[1:]])
    return lines


def _wrap_operand(o: ast.Expr, text: str, tail: bool, room: int, width: int) -> list[str]:
    """One operand of a chain, broken itself when it does not fit in `room` columns."""
    if len(text) <= room:
        return [text]
    if text == _bare(o, tail):
        return wrap(o, width, room)
    sub = wrap(o, width - 1, room - 1)  # parenthesised: break inside the parentheses
    sub = ["(" + sub[0], *sub[1:]]
    sub[-1] += ")"
    return sub


def _quant_head(q: ast.Quant) -> str:
    """`forall x: T ::` or `forall x in lo .. hi ::`."""
    if q.lo is not None and q.hi is not None:
        return f"{q.kind} {q.binders[0].name} in {_expr(q.lo, Prec.BOR, False)} .. {_expr(q.hi, Prec.BOR, False)} ::"
    groups: list[tuple[list[str], ast.TypeExpr | None]] = []
    for b in q.binders:
        if groups and groups[-1][1] == b.type:
            groups[-1][0].append(b.name)
        else:
            groups.append(([b.name], b.type))
    binders = ", ".join(f"{', '.join(names)}: {type_expr(t)}" for names, t in groups if t is not None)
    return f"{q.kind} {binders} ::"


def type_expr(t: ast.TypeExpr) -> str:
    match t:
        case ast.TypeName(name=n):
            return n
        case ast.TypeMap(key=k, value=v):
            return f"map[{type_expr(k)}] {type_expr(v)}"
        case ast.TypeRange(lo=lo, hi=hi):
            return f"{_expr(lo, Prec.ADD, False)} .. {_expr(hi, Prec.ADD, False)}"
        case _:
            assert_never(t)


def lock_ref(lk: ast.LockRef) -> str:
    return lk.name if lk.index is None else f"{lk.name}[{expr(lk.index)}]"


def _lvalue(lv: ast.LValue) -> str:
    match lv:
        case ast.LvVar(name=n):
            return n
        case ast.LvElem(name=n, index=i):
            return f"{n}[{expr(i)}]"
        case ast.LvSlice(name=n, lo=lo, hi=hi):
            return f"{n}[{expr(lo)} .. {expr(hi)}]"
        case _:
            assert_never(lv)


def _head(head: str, e: ast.Expr, depth: int) -> str:
    """`head` then `e`, broken over lines (joined by newlines) when too long."""
    return head + "\n".join(wrap(e, WIDTH - len(INDENT) * depth, WIDTH - len(INDENT) * depth - len(head)))


def _temporal(name: str, op: ast.TemporalOp, p: ast.Expr, q: ast.Expr | None, depth: int) -> str:
    match op:
        case ast.TemporalOp.ALWAYS_EVENTUALLY | ast.TemporalOp.EVENTUALLY_ALWAYS:
            return _head(f"property {name}: {op.value} ", p, depth)
        case ast.TemporalOp.LEADS_TO:
            assert q is not None
            return f"property {name}: {expr(p)} leads_to {expr(q)}"
        case _:
            assert_never(op)


def _enum(name: str, members: tuple[str, ...], depth: int) -> str:
    flat = f"enum {name} {{ {', '.join(members)} }}"
    if len(INDENT * depth + flat) <= WIDTH:
        return flat
    lines = [f"enum {name} {{", INDENT]
    for m in members:
        if len(lines[-1]) > len(INDENT) and len(INDENT * depth + lines[-1] + m) + 2 > WIDTH:
            lines.append(INDENT)
        lines[-1] += m + ", "
    return "\n".join([lines[0]] + [x.rstrip() for x in lines[1:]] + ["}"])


def _params(ps: Iterable[ast.Param]) -> str:
    return ", ".join(f"{p.name}: {type_expr(p.type)}" for p in ps)


def _init(e: ast.Expr | None) -> str:
    return "" if e is None else f" = {expr(e)}"


def _cond(e: ast.Expr) -> str:
    """A condition followed by `{`: an `if` expression there is parenthesised for the reader."""
    return f"({expr(e)})" if isinstance(e, ast.IfExpr) else expr(e)


def _writers(ws: Iterable[ast.Writer]) -> str:
    return ", ".join(w.name if w.step is None else f"{w.name}.{w.step}" for w in ws)


def _scen_item(item: ast.ScenItem) -> str:
    match item:
        case ast.ScenCall(action=a, args=args):
            return a if args is None else f"{a}({', '.join('_' if x is None else expr(x) for x in args)})"
        case ast.ScenStep(process=p, index=None, step=s):
            return f"{p}.{s}"
        case ast.ScenStep(process=p, index=i, step=s):
            return f"{p}[{i}].{s}"
        case ast.ScenGap():
            return "..."
        case _:
            assert_never(item)


def _check(c: ast.CheckDecl) -> str:
    target = c.target if c.target == "*" or _NAME.match(c.target) or _CALL_TARGET.match(c.target) else f'"{c.target}"'
    parts = ["check", target]
    if c.overrides:
        parts.append("with " + ", ".join(f"{o.name} = {expr(o.value)}" for o in c.overrides))
    if c.scenario is not None:
        parts.append(f"under {c.scenario}")
    if c.depth is not None:
        parts.append(f"depth {c.depth}")
    if c.engine is not None:
        parts.append(f"engine {c.engine}")
    parts.append(f"expect {c.expect}")
    if c.at is not None:
        parts.append(f"at {c.at}")
    return " ".join(parts)


# ---------------------------------------------------------------- layout with comments


class _Printer:
    """Lines of output, with the source's comments merged in by line number."""

    def __init__(self, pending: list[Comment], source: list[str]):
        self.pending = pending  # comments not yet printed, in source order
        self.source = source  # the lines of the source text (to place `else` comments)
        self.out: list[str] = []
        self.last_line = 0  # the last source line printed so far (for blank lines)

    def module(self, m: ast.Module) -> str:
        for d in m.decls:
            self.decl(d, 0)
        self.leading(10**9, 0, first=False)
        return "\n".join(_align_trailing(self.out)).rstrip("\n") + "\n"

    # -- comments and blank lines
    def _gap(self, line: int, first: bool) -> None:
        if not first and self.out and line > self.last_line + 1 and self.out[-1] != "":
            self.out.append("")

    def leading(self, line: int, depth: int, first: bool) -> bool:
        """Print the comments that start before source line `line`; return whether any was."""
        printed = False
        while self.pending and self.pending[0].line < line:
            c = self.pending.pop(0)
            self._gap(c.line, first and not printed)
            self.out.append(INDENT * depth + c.text)
            self.last_line = max(self.last_line, c.end_line)
            printed = True
        return printed

    def line(self, text: str, depth: int, span_line: int, end_line: int, first: bool) -> None:
        """The output for a node spanning source lines span_line..end_line (`text` may hold
        newlines: continuation lines from `wrap`, indented relative to the first)."""
        printed = self.leading(span_line, depth, first)
        self._gap(span_line, first and not printed)
        lines = text.split("\n")
        start = len(self.out)
        self.out.extend([INDENT * depth + lines[0]] + [INDENT * depth + x for x in lines[1:]])
        self.out[-1] += self.trailing(end_line, depth, start)
        self.last_line = max(self.last_line, end_line)

    def trailing(self, end_line: int, depth: int, start: int) -> str:
        """The comments inside or at the end of the node just printed: one stays at the end
        of its last line; several go on their own lines before it, in order."""
        tail = []
        while self.pending and self.pending[0].line <= end_line:
            c = self.pending.pop(0)
            tail.append(c.text)
            self.last_line = max(self.last_line, c.end_line)  # a block comment may end lines later
        if len(tail) == 1:
            return _TRAILING + tail[0]
        if tail:
            self.out[start:start] = [INDENT * depth + t for t in tail]
        return ""

    def opener(self, text: str, depth: int, node_span, first: bool) -> None:  # type: ignore[no-untyped-def]
        printed = self.leading(node_span.line, depth, first)
        self._gap(node_span.line, first and not printed)
        self.out.append(INDENT * depth + text + " {")
        self.last_line = max(self.last_line, node_span.line)

    def closer(self, depth: int, end_line: int, suffix: str = "") -> None:
        self.leading(end_line, depth + 1, first=False)
        self.out.append(INDENT * depth + "}" + suffix)
        self.out[-1] += self.trailing(end_line, depth + 1, len(self.out) - 1)  # several: the block's last lines
        self.last_line = max(self.last_line, end_line)

    # -- declarations
    def decl(self, d: ast.Decl, depth: int) -> None:
        s = d.span
        match d:
            case ast.ModelDecl(name=n):
                self.line(f"model {n}", depth, s.line, s.end_line, False)
            case ast.ImportDecl(path=p):
                self.line(f'import "{p}"', depth, s.line, s.end_line, False)
            case ast.ConstDecl(name=n, type=t, value=v):
                self.line(f"const {n}: {type_expr(t)}{_init(v)}", depth, s.line, s.end_line, False)
            case ast.TypeDecl(name=n, type=t):
                self.line(f"type {n} = {type_expr(t)}", depth, s.line, s.end_line, False)
            case ast.EnumDecl(name=n, members=ms):
                self.line(_enum(n, ms, depth), depth, s.line, s.end_line, False)
            case ast.VarDecl():
                self.var(d, depth, False)
            case ast.FnDecl(name=n, params=ps, ret=r, body=b):
                self.line(_head(f"fn {n}({_params(ps)}): {type_expr(r)} = ", b, depth), depth, s.line, s.end_line, False)
            case ast.AssumeDecl(cond=c):
                self.line(_head("assume ", c, depth), depth, s.line, s.end_line, False)
            case ast.InitDecl(body=b):
                self.block("init", b, depth, s)
            case ast.ActionDecl(name=n, params=ps, body=b, fair=f):
                self.block(f"{ast.fair_prefix(f)}action {n}({_params(ps)})", b, depth, s)
            case ast.PropertyDecl(kind=k, name=n, expr=e, op=op, goal=q):
                text = _head(f"{k} {n}: ", e, depth) if op is None else _temporal(n, op, e, q, depth)
                self.line(text, depth, s.line, s.end_line, False)
            case ast.TransitionsDecl():
                self.transitions(d, depth)
            case ast.ProcessDecl():
                self.process(d, depth)
            case ast.LockDecl(name=n, kind=k, count=cnt):
                size = "" if cnt is None else f"[{expr(cnt)}]"
                if k == "rwsem":
                    text = f"rwsem {n}{size}"
                else:
                    text = f"lock {n}{size}" + (f": {k}" if d.kind_written else "")
                self.line(text, depth, s.line, s.end_line, False)
            case ast.ProcedureDecl():
                self.process(d, depth)
            case ast.ScenarioDecl(name=n, items=items):
                self.opener(f"scenario {n}", depth, s, False)
                for i, item in enumerate(items):
                    self.line(_scen_item(item), depth + 1, item.span.line, item.span.end_line, i == 0)
                self.closer(depth, s.end_line)
            case ast.CheckDecl():
                self.line(_check(d), depth, s.line, s.end_line, False)
            case _:
                assert_never(d)

    def var(self, d: ast.VarDecl, depth: int, first: bool) -> None:
        text = f"var {d.name}: {type_expr(d.type)}{_init(d.init)}"
        self.line(text, depth, d.span.line, d.span.end_line, first)

    def transitions(self, d: ast.TransitionsDecl, depth: int) -> None:
        self.opener(f"transitions {d.var}", depth, d.span, False)
        for i, e in enumerate(d.entries):
            match e:
                case ast.TransFlag(kind=k, writers=ws):
                    text = f"{k}: {_writers(ws)}"
                case ast.TransEdge(src=a, dst=b, writers=ws):
                    text = f"{a} -> {b}: {_writers(ws)}"
                case _:
                    assert_never(e)
            self.line(text, depth + 1, e.span.line, e.span.end_line, i == 0)
        self.closer(depth, d.span.end_line)

    def process(self, d: ast.ProcessDecl | ast.ProcedureDecl, depth: int) -> None:
        if isinstance(d, ast.ProcedureDecl):
            head = f"procedure {d.name}({_params(d.params)})"
        else:
            count = "" if d.count is None else f"[{expr(d.count)}]"
            params = f"({_params(d.params)})" if d.params else ""
            head = f"{ast.fair_prefix(d.fair)}process {d.name}{count}{params}"
        self.opener(head, depth, d.span, False)
        first = True
        for v in d.locals:
            self.var(v, depth + 1, first)
            first = False
        for st in d.steps:
            if isinstance(st, ast.CallItem):
                args = ", ".join(expr(a) for a in st.args)
                self.line(f"call {st.proc}({args})", depth + 1, st.span.line, st.span.end_line, first)
            else:
                self.block(f"step {st.label}", st.body, depth + 1, st.span, first)
            first = False
        if isinstance(d, ast.ProcessDecl) and d.loop:  # the marker has no span: it goes last, after the comments before `}`
            self.leading(d.span.end_line, depth + 1, first)
            self.out.append(INDENT * (depth + 1) + "loop")
        self.closer(depth, d.span.end_line)

    # -- statements
    def block(self, head: str, body: tuple[ast.Stmt, ...], depth: int, span, first: bool = False,  # type: ignore[no-untyped-def]
              suffix: str = "") -> None:
        one = _one_line(head, body, depth, span) if not suffix else None
        if one is not None:
            self.line(one, depth, span.line, span.end_line, first)
            return
        self.opener(head, depth, span, first)
        self.stmts(body, depth + 1)
        self.closer(depth, span.end_line, suffix)

    def stmts(self, body: tuple[ast.Stmt, ...], depth: int) -> None:
        for i, st in enumerate(body):
            self.stmt(st, depth, i == 0)

    def stmt(self, st: ast.Stmt, depth: int, first: bool) -> None:
        if isinstance(st, ast.If):
            self.if_stmt(st, depth, first)
            return
        self.line(_stmt_text(st, depth), depth, st.span.line, st.span.end_line, first)

    def if_stmt(self, st: ast.If, depth: int, first: bool) -> None:
        self.opener(f"if {_cond(st.cond)}", depth, st.span, first)
        cur = st
        while True:
            self.stmts(cur.then, depth + 1)
            if not cur.else_:
                self.closer(depth, cur.span.end_line)
                return
            at_else = self.else_line(cur)
            nested = cur.else_[0] if len(cur.else_) == 1 and isinstance(cur.else_[0], ast.If) else None
            if nested is None:
                self.closer(depth, at_else, " else {")
                self.stmts(cur.else_, depth + 1)
                self.closer(depth, cur.span.end_line)
                return
            self.closer(depth, at_else, f" else if {_cond(nested.cond)} {{")
            cur = nested

    def else_line(self, st: ast.If) -> int:
        """The source line of the `else` of `st` (comments before it stay in the `then` branch)."""
        start = st.then[-1].span.end_line if st.then else st.span.line
        for n in range(start, min(st.else_[0].span.line, len(self.source)) + 1):
            code = self.source[n - 1].split("//", 1)[0]
            if re.search(r"\belse\b", code):
                return n
        return st.else_[0].span.line


def _one_line(head: str, body: tuple[ast.Stmt, ...], depth: int, span: Span) -> str | None:
    """A block the source wrote on one line stays on one line when it fits (as gofmt
    keeps a one-line function): unnamed asserts and range checks are named after their
    line, so moving a statement would rename its property (fmt.py)."""
    if span.line != span.end_line or not body or any(isinstance(st, ast.If) for st in body):
        return None
    texts = [_stmt_text(st, depth + 1) for st in body]
    text = f"{head} {{ {'; '.join(texts)} }}"
    return None if "\n" in text or len(INDENT * depth + text) > WIDTH else text


def _stmt_text(st: ast.Stmt, depth: int) -> str:
    """The text of a statement other than `if` (continuation lines after newlines)."""
    match st:
        case ast.Assign(target=t, value=v):
            text = _head(f"{_lvalue(t)} := ", v, depth)
        case ast.HavocType(target=t, type=ty):
            text = f"{_lvalue(t)} := any {type_expr(ty)}"
        case ast.HavocRange(target=t, lo=lo, hi=hi):
            text = f"{_lvalue(t)} := any in {_expr(lo, Prec.ADD, False)} .. {_expr(hi, Prec.ADD, False)}"
        case ast.If():
            raise ValueError("an `if` is printed by _Printer.if_stmt")
        case ast.Let(name=n, value=v):
            text = _head(f"let {n} = ", v, depth)
        case ast.Require(cond=c, keyword=k):
            text = _head(f"{k} ", c, depth)
        case ast.Assert(name=n, cond=c):
            text = _head(f"assert {n + ': ' if n else ''}", c, depth)
        case ast.Goto(label=lab):
            text = f"goto {lab}"
        case ast.Done():
            text = "done"
        case ast.LockStmt(op=op, lock=lk, nested=nested):
            text = f"{op} {lock_ref(lk)}" + (" nested" if nested else "")
        case ast.BugOn(name=n, cond=c):
            text = _head(f"bug_on {n + ': ' if n else ''}", c, depth)
        case ast.Rcu(op=op):
            text = op
        case ast.LetAny(name=n, type=ty, lo=lo, hi=hi):
            if ty is not None:
                text = f"let {n} = any {type_expr(ty)}"
            else:
                assert lo is not None and hi is not None
                text = f"let {n} = any in {_expr(lo, Prec.ADD, False)} .. {_expr(hi, Prec.ADD, False)}"
        case _:
            assert_never(st)
    return text

