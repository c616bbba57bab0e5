"""Front end: ZDL text → `ast.Module`, with syntax errors as diagnostics.

Input: the text of one file. Output: an `ast.Module` or a `DiagnosticError` carrying
diagnostics with file:line:col. Lark's LALR parser is iterative; the tree is checked for
depth before the (recursive) transformation so pathological nesting is a diagnostic,
not a RecursionError.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from zcheck.diagnostics import Diagnostic, DiagnosticError, Span
from zcheck.spec import ast, ops, parser_cache

MAX_DEPTH = 400  # parse-tree nesting; real models stay below 60

# Friendly messages for common mistakes (Lark's match_examples).
_EXAMPLES: dict[str, list[str]] = {
    "assignment is written `:=`, not `=`": [
        "action a() { x = 1 }",
        "init { x = 1 }",
        "action a() { m[1] = 1 }",
    ],
    "a declaration needs a type: `var NAME: TYPE = VALUE`": ["var x = 1", "const C = 1"],
    "equality is written `==`": ["invariant i: x = 1", "action a() { require x = 1 }"],
    "a statement block is written `{ ... }`": ["action a() require x", "init x := 1"],
    "a quantifier is written `forall x: T :: body` or `forall x in lo .. hi :: body`": [
        "invariant i: forall x: int . x == x",
        "invariant i: forall x :: x == x",
        "invariant i: forall x in 0 .. 3 : x == x",
    ],
    "an expression is incomplete here": [
        "invariant i: x +",
        "invariant i: x ==",
        "invariant i: (x",
    ],
}


def lark_options() -> dict[str, Any]:
    """The Lark options of the ZDL parser (a new dict each call: Lark is given lists)."""
    return {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True, "start": ["start", "expr"]}


def grammar_text() -> str:
    """grammar.lark, as installed beside this module."""
    return resources.files("zcheck.spec").joinpath("grammar.lark").read_text("utf-8")


@functools.cache
def _lark() -> Lark:
    """The parser, once per process (from the on-disk cache: parser_cache.py). Cached
    here because a file's imports and each `-D` value are parsed with it, 0.02 s a load
    otherwise; sharing it is safe, since a parse keeps its state in its own
    `ParserState` and never changes the `Lark` object's tables."""
    return parser_cache.load(grammar_text(), lark_options()).parser


def _span_of(file: str, meta: Any) -> Span:
    if getattr(meta, "empty", True):
        return Span(file, 1, 1, 1, 1)
    return Span(file, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(file: str, tok: Token) -> Span:
    line = tok.line or 1
    col = tok.column or 1
    return Span(file, line, col, tok.end_line or line, tok.end_column or col + 1)


def parse_int(text: str) -> int:
    clean = text.replace("_", "")
    low = clean.lower()
    if low.startswith("0x"):
        return int(low[2:], 16)
    if low.startswith("0b"):
        return int(low[2:], 2)
    return int(clean, 10)


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    return f"`{tok.value}`"


def _expected(exp: set[str] | frozenset[str]) -> str:
    names = sorted(e for e in exp if not e.startswith("_") and not e.startswith("__"))
    pretty = {
        "NAME": "a name", "INT": "an integer", "STRING": "a string", "RBRACE": "`}`",
        "LBRACE": "`{`", "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`",
        "COLON": "`:`", "COMMA": "`,`", "EQUAL": "`=`", "SEMICOLON": "`;`", "EXPECT": "an expectation",
    }
    words = [pretty.get(n, n.lower()) for n in names]
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


def _syntax_error(file: str, text: str, err: UnexpectedInput) -> Diagnostic:
    line = getattr(err, "line", 1) or 1
    col = getattr(err, "column", 1) or 1
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    span = Span(file, line, max(col, 1), line, max(col, 1) + 1)
    hint = None
    try:
        hint = err.match_examples(lambda text: _lark().parse(text, start="start"), _EXAMPLES, use_accepts=True)
    except Exception:  # noqa: BLE001 - a failed hint lookup must not hide the error
        hint = None
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        assert pos is not None  # the lexer's position, always set for UnexpectedCharacters
        ch = text[pos] if pos < len(text) else "?"
        msg = f"unexpected character {ch!r}"
    elif isinstance(err, UnexpectedToken):
        msg = f"unexpected {_describe(err.token)}; expected {_expected(err.accepts or err.expected)}"
        if err.token.type != "$END":
            span = _tok_span(file, err.token)
    else:
        msg = "unexpected end of file"
    notes = (hint,) if hint else ()
    return Diagnostic("ZC101", msg, span, notes=notes)


def _depth_check(file: str, tree: Tree[Token]) -> Diagnostic | None:
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta if isinstance(node, Tree) else None
            span = _span_of(file, meta) if meta is not None else Span(file, 1, 1, 1, 1)
            if isinstance(node, Token):
                span = _tok_span(file, node)
            return Diagnostic("ZC102", f"input nested more than {MAX_DEPTH} levels deep", span)
        if isinstance(node, Tree):
            stack.extend((c, depth + 1) for c in node.children)
    return None


def parse_expr(text: str, file: str) -> ast.Expr:
    """Parse a lone expression (a `-D` value)."""
    try:
        tree = _lark().parse(text, start="expr")
    except UnexpectedInput as err:
        raise DiagnosticError([_syntax_error(file, text, err)]) from None
    problem = _depth_check(file, tree)
    if problem is not None:
        raise DiagnosticError([problem])
    try:
        result: ast.Expr = _ToAst(file).transform(tree)
    except VisitError as err:  # a diagnostic raised inside the tree walk (`-D N=0x_`)
        if isinstance(err.orig_exc, DiagnosticError):
            raise err.orig_exc from None
        raise
    return result


def _bracket_depth(text: str, file: str) -> Diagnostic | None:
    """Reject bracket nesting deeper than MAX_DEPTH before parsing (comments skipped)."""
    depth, line, col, i, n = 0, 1, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            end = n if j < 0 else j + 2
            line += text.count("\n", i, end)
            i = end
            continue
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                return Diagnostic("ZC102", f"brackets nested more than {MAX_DEPTH} levels deep",
                                  Span(file, line, col, line, col + 1))
        elif ch in ")]}":
            depth -= 1
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return None


def parse(text: str, file: str) -> ast.Module:
    """Parse one file's text; raises DiagnosticError on any syntax problem."""
    deep = _bracket_depth(text, file)
    if deep is not None:
        raise DiagnosticError([deep])
    try:
        tree = _lark().parse(text, start="start")
    except UnexpectedInput as err:
        raise DiagnosticError([_syntax_error(file, text, err)]) from None
    problem = _depth_check(file, tree)
    if problem is not None:
        raise DiagnosticError([problem])
    try:
        decls = _ToAst(file).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, DiagnosticError):
            raise err.orig_exc from None
        raise
    return ast.Module(file, tuple(d for d in decls if d is not None))


MAX_CHAIN = 5000  # operands in one flat chain such as a + b + c


def _is_chain(c: list[Any]) -> bool:
    """Is `c` a rule's `a op b op ...`, operator tokens kept (grammar.lark, `expr` rules)?"""
    return len(c) >= 3 and len(c) % 2 == 1 and all(
        isinstance(x, Token) and str(x) in ops.BINARY for x in c[1::2])


class _ToAst(Transformer):  # type: ignore[type-arg]
    """Lark tree → ast nodes. Methods are named after grammar rules and aliases."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _s(self, meta: Any) -> Span:
        return _span_of(self.file, meta)

    # ---- top level
    def start(self, children: list[Any]) -> list[Any]:
        return [c for c in children if c is not None and not isinstance(c, Token)]

    @v_args(meta=True)
    def model_decl(self, meta: Any, c: list[Any]) -> ast.ModelDecl:
        return ast.ModelDecl(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def import_decl(self, meta: Any, c: list[Any]) -> ast.ImportDecl:
        return ast.ImportDecl(str(c[0])[1:-1], self._s(meta))

    @v_args(meta=True)
    def const_decl(self, meta: Any, c: list[Any]) -> ast.ConstDecl:
        return ast.ConstDecl(str(c[0]), c[1], c[2], self._s(meta))

    @v_args(meta=True)
    def type_decl(self, meta: Any, c: list[Any]) -> ast.TypeDecl:
        return ast.TypeDecl(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def enum_decl(self, meta: Any, c: list[Any]) -> ast.EnumDecl:
        toks = c[1]
        return ast.EnumDecl(
            str(c[0]), tuple(str(t) for t in toks), tuple(_tok_span(self.file, t) for t in toks), self._s(meta)
        )

    def enum_members(self, c: list[Any]) -> list[Token]:
        return [t for t in c if isinstance(t, Token)]

    @v_args(meta=True)
    def var_decl(self, meta: Any, c: list[Any]) -> ast.VarDecl:
        return ast.VarDecl(str(c[0]), c[1], c[2], self._s(meta))

    @v_args(meta=True)
    def fn_decl(self, meta: Any, c: list[Any]) -> ast.FnDecl:
        return ast.FnDecl(str(c[0]), tuple(c[1] or ()), c[2], c[3], self._s(meta))

    def params(self, c: list[Any]) -> list[ast.Param]:
        return list(c)

    @v_args(meta=True)
    def param(self, meta: Any, c: list[Any]) -> ast.Param:
        return ast.Param(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def assume_decl(self, meta: Any, c: list[Any]) -> ast.AssumeDecl:
        return ast.AssumeDecl(c[0], self._s(meta))

    @v_args(meta=True)
    def init_decl(self, meta: Any, c: list[Any]) -> ast.InitDecl:
        return ast.InitDecl(c[0], self._s(meta))

    @v_args(meta=True)
    def action_decl(self, meta: Any, c: list[Any]) -> ast.ActionDecl:
        return ast.ActionDecl(str(c[1]), tuple(c[2] or ()), c[3], self._s(meta), c[0])

    def fairness(self, c: list[Any]) -> ast.FairKind:
        return ast.FairKind.STRONG if len(c) == 2 else ast.FairKind.WEAK

    @v_args(meta=True)
    def property_decl(self, meta: Any, c: list[Any]) -> ast.PropertyDecl:
        return ast.PropertyDecl(str(c[0]), str(c[1]), c[2], self._s(meta))

    @v_args(meta=True)
    def live_property_decl(self, meta: Any, c: list[Any]) -> ast.PropertyDecl:
        op, p, q = c[1]
        return ast.PropertyDecl("liveness", str(c[0]), p, self._s(meta), op, q)

    def always_eventually(self, c: list[Any]) -> tuple[ast.TemporalOp, ast.Expr, None]:
        return ast.TemporalOp.ALWAYS_EVENTUALLY, c[2], None

    def eventually_always(self, c: list[Any]) -> tuple[ast.TemporalOp, ast.Expr, None]:
        return ast.TemporalOp.EVENTUALLY_ALWAYS, c[2], None

    def leads_to(self, c: list[Any]) -> tuple[ast.TemporalOp, ast.Expr, ast.Expr]:
        return ast.TemporalOp.LEADS_TO, c[0], c[2]

    @v_args(meta=True)
    def transitions_decl(self, meta: Any, c: list[Any]) -> ast.TransitionsDecl:
        return ast.TransitionsDecl(str(c[0]), tuple(c[1:]), self._s(meta))

    @v_args(meta=True)
    def trans_flag(self, meta: Any, c: list[Any]) -> ast.TransFlag:
        return ast.TransFlag(str(c[0]), tuple(c[1]), self._s(meta))

    @v_args(meta=True)
    def trans_edge(self, meta: Any, c: list[Any]) -> ast.TransEdge:
        return ast.TransEdge(str(c[0]), str(c[1]), tuple(c[2]), self._s(meta))

    def writers(self, c: list[Any]) -> list[ast.Writer]:
        return list(c)

    @v_args(meta=True)
    def writer(self, meta: Any, c: list[Any]) -> ast.Writer:
        return ast.Writer(str(c[0]), None if c[1] is None else str(c[1]), self._s(meta))

    @v_args(meta=True)
    def process_decl(self, meta: Any, c: list[Any]) -> ast.ProcessDecl:
        fair, name, count, params, *items = c
        locals_ = tuple(i for i in items if isinstance(i, ast.VarDecl))
        steps = tuple(i for i in items if isinstance(i, (ast.StepDecl, ast.CallItem)))
        loop = any(i == "loop" for i in items)
        return ast.ProcessDecl(str(name), count, tuple(params or ()), locals_, steps, loop, self._s(meta), fair)

    @v_args(meta=True)
    def procedure_decl(self, meta: Any, c: list[Any]) -> ast.ProcedureDecl:
        name, params, *items = c
        if any(i == "loop" for i in items):
            raise DiagnosticError([Diagnostic(
                "ZC101", "`loop` belongs to a process; a procedure returns after its last step", self._s(meta))])
        locals_ = tuple(i for i in items if isinstance(i, ast.VarDecl))
        steps = tuple(i for i in items if isinstance(i, (ast.StepDecl, ast.CallItem)))
        return ast.ProcedureDecl(str(name), tuple(params or ()), locals_, steps, self._s(meta))

    @v_args(meta=True)
    def call_item(self, meta: Any, c: list[Any]) -> ast.CallItem:
        return ast.CallItem(str(c[0]), tuple(c[1] or ()), self._s(meta))

    @v_args(meta=True)
    def step_decl(self, meta: Any, c: list[Any]) -> ast.StepDecl:
        return ast.StepDecl(str(c[0]), c[1], self._s(meta))

    def loop_marker(self, c: list[Any]) -> str:
        return "loop"

    @v_args(meta=True)
    def lock_decl(self, meta: Any, c: list[Any]) -> ast.LockDecl:
        kind = "mutex" if c[2] is None else str(c[2])
        return ast.LockDecl(str(c[0]), kind, c[1], c[2] is not None, self._s(meta))

    @v_args(meta=True)
    def rwsem_decl(self, meta: Any, c: list[Any]) -> ast.LockDecl:
        return ast.LockDecl(str(c[0]), "rwsem", c[1], True, self._s(meta))

    @v_args(meta=True)
    def scenario_decl(self, meta: Any, c: list[Any]) -> ast.ScenarioDecl:
        return ast.ScenarioDecl(str(c[0]), tuple(c[1:]), self._s(meta))

    @v_args(meta=True)
    def scen_call(self, meta: Any, c: list[Any]) -> ast.ScenCall:
        return ast.ScenCall(str(c[0]), tuple(c[1] or ()), self._s(meta))

    @v_args(meta=True)
    def scen_step(self, meta: Any, c: list[Any]) -> ast.ScenStep:
        return ast.ScenStep(str(c[0]), parse_int(str(c[1])), str(c[2]), self._s(meta))

    @v_args(meta=True)
    def scen_step1(self, meta: Any, c: list[Any]) -> ast.ScenStep:
        return ast.ScenStep(str(c[0]), None, str(c[1]), self._s(meta))

    @v_args(meta=True)
    def scen_bare(self, meta: Any, c: list[Any]) -> ast.ScenCall:
        return ast.ScenCall(str(c[0]), None, self._s(meta))

    @v_args(meta=True)
    def scen_gap(self, meta: Any, c: list[Any]) -> ast.ScenGap:
        return ast.ScenGap(self._s(meta))

    def scen_args(self, c: list[Any]) -> list[Any]:
        return list(c)

    def scen_arg(self, c: list[Any]) -> Any:
        return c[0]

    def scen_any(self, c: list[Any]) -> None:
        return None

    @v_args(meta=True)
    def check_decl(self, meta: Any, c: list[Any]) -> ast.CheckDecl:
        target = c[0]
        overrides: tuple[ast.Override, ...] = ()
        scenario = depth = engine = at = None
        expect = "holds"
        for item in c[1:]:
            if isinstance(item, Token) and item.type == "EXPECT":
                expect = str(item)
            elif isinstance(item, tuple) and item and item[0] == "under":
                scenario = item[1]
            elif isinstance(item, tuple) and item and item[0] == "depth":
                depth = item[1]
            elif isinstance(item, tuple) and item and item[0] == "engine":
                engine = item[1]
            elif isinstance(item, tuple) and item and item[0] == "at":
                at = item[1]
            elif isinstance(item, list):
                overrides = tuple(item)
        return ast.CheckDecl(target, overrides, scenario, depth, engine, expect, at, self._s(meta))

    def target_name(self, c: list[Any]) -> str:
        return str(c[0])

    def target_all(self, c: list[Any]) -> str:
        return "*"

    def target_call(self, c: list[Any]) -> str:
        return f"{c[0]}({c[1]})"

    def target_string(self, c: list[Any]) -> str:
        return str(c[0])[1:-1]

    def check_with(self, c: list[Any]) -> list[ast.Override]:
        return list(c)

    @v_args(meta=True)
    def override(self, meta: Any, c: list[Any]) -> ast.Override:
        return ast.Override(str(c[0]), c[1], self._s(meta))

    def check_under(self, c: list[Any]) -> tuple[str, str]:
        return ("under", str(c[0]))

    def check_depth(self, c: list[Any]) -> tuple[str, int]:
        return ("depth", parse_int(str(c[0])))

    def check_engine(self, c: list[Any]) -> tuple[str, str]:
        return ("engine", str(c[0]))

    def check_at(self, c: list[Any]) -> tuple[str, int]:
        return ("at", parse_int(str(c[0])))

    # ---- statements
    def block(self, c: list[Any]) -> tuple[ast.Stmt, ...]:
        return tuple(s for s in c if s is not None and not isinstance(s, Token))

    @v_args(meta=True)
    def assign(self, meta: Any, c: list[Any]) -> ast.Assign:
        return ast.Assign(c[0], c[1], self._s(meta))

    @v_args(meta=True)
    def havoc_type(self, meta: Any, c: list[Any]) -> ast.HavocType:
        return ast.HavocType(c[0], c[1], self._s(meta))

    @v_args(meta=True)
    def havoc_range(self, meta: Any, c: list[Any]) -> ast.HavocRange:
        return ast.HavocRange(c[0], c[1], c[2], self._s(meta))

    @v_args(meta=True)
    def lv_var(self, meta: Any, c: list[Any]) -> ast.LvVar:
        return ast.LvVar(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def lv_elem(self, meta: Any, c: list[Any]) -> ast.LvElem:
        return ast.LvElem(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def lv_slice(self, meta: Any, c: list[Any]) -> ast.LvSlice:
        return ast.LvSlice(str(c[0]), c[1], c[2], self._s(meta))

    @v_args(meta=True)
    def if_stmt(self, meta: Any, c: list[Any]) -> ast.If:
        else_ = c[2]
        if else_ is None:
            else_ = ()
        elif isinstance(else_, ast.If):
            else_ = (else_,)
        return ast.If(c[0], c[1], else_, self._s(meta))

    @v_args(meta=True)
    def let_stmt(self, meta: Any, c: list[Any]) -> ast.Let:
        return ast.Let(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def require_stmt(self, meta: Any, c: list[Any]) -> ast.Require:
        return ast.Require(c[1], str(c[0]), self._s(meta))

    @v_args(meta=True)
    def assert_stmt(self, meta: Any, c: list[Any]) -> ast.Assert:
        return ast.Assert(None if c[0] is None else str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def goto_stmt(self, meta: Any, c: list[Any]) -> ast.Goto:
        return ast.Goto(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def done_stmt(self, meta: Any, c: list[Any]) -> ast.Done:
        return ast.Done(self._s(meta))

    @v_args(meta=True)
    def lock_stmt(self, meta: Any, c: list[Any]) -> ast.LockStmt:
        return ast.LockStmt(str(c[0]), c[1], c[2] is not None, self._s(meta))

    @v_args(meta=True)
    def lock_ref(self, meta: Any, c: list[Any]) -> ast.LockRef:
        return ast.LockRef(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def bug_on_stmt(self, meta: Any, c: list[Any]) -> ast.BugOn:
        return ast.BugOn(None if c[0] is None else str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def rcu_stmt(self, meta: Any, c: list[Any]) -> ast.Rcu:
        return ast.Rcu(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def let_any_type(self, meta: Any, c: list[Any]) -> ast.LetAny:
        return ast.LetAny(str(c[0]), c[1], None, None, self._s(meta))

    @v_args(meta=True)
    def let_any_range(self, meta: Any, c: list[Any]) -> ast.LetAny:
        return ast.LetAny(str(c[0]), None, c[1], c[2], self._s(meta))

    # ---- types
    @v_args(meta=True)
    def type_name(self, meta: Any, c: list[Any]) -> ast.TypeName:
        return ast.TypeName(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def type_map(self, meta: Any, c: list[Any]) -> ast.TypeMap:
        return ast.TypeMap(c[0], c[1], self._s(meta))

    @v_args(meta=True)
    def type_range(self, meta: Any, c: list[Any]) -> ast.TypeRange:
        return ast.TypeRange(c[0], c[1], self._s(meta))

    # ---- expressions
    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        if _is_chain(children):
            return self._chain(children, meta)
        return Tree(data, children, meta)

    def _chain(self, c: list[Any], meta: Any) -> ast.Expr:
        """Fold a flat chain `a op b op c` to the left (the tree stays shallow)."""
        span = _span_of(self.file, meta)
        if (len(c) + 1) // 2 > MAX_CHAIN:
            raise DiagnosticError([Diagnostic("ZC102", f"more than {MAX_CHAIN} operands in one expression", span)])
        result: ast.Expr = c[0]
        for i in range(1, len(c), 2):
            result = ast.Binary(str(c[i]), result, c[i + 1], span)
        return result

    @v_args(meta=True)
    def binary(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Binary(str(c[1]), c[0], c[2], self._s(meta))

    @v_args(meta=True)
    def prefix(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Unary(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def in_range(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.InRange(c[0], c[1], c[2], self._s(meta))

    @v_args(meta=True)
    def index(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Index(c[0], c[1], self._s(meta))

    @v_args(meta=True)
    def field(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Field(c[0], str(c[1]), self._s(meta))

    @v_args(meta=True)
    def trylock(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.TryLock(str(c[0]), c[1], self._s(meta))

    @v_args(meta=True)
    def int_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        text = str(c[0])
        try:
            value = parse_int(text)
        except ValueError:
            raise DiagnosticError(
                [Diagnostic("ZC104", f"invalid integer literal `{text}`", _tok_span(self.file, c[0]))]
            ) from None
        return ast.IntLit(value, text, self._s(meta))

    @v_args(meta=True)
    def true_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(True, self._s(meta))

    @v_args(meta=True)
    def false_lit(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(False, self._s(meta))

    @v_args(meta=True)
    def name(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Name(str(c[0]), self._s(meta))

    @v_args(meta=True)
    def call(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Call(str(c[0]), tuple(c[1] or ()), self._s(meta))

    def args(self, c: list[Any]) -> list[Any]:
        return list(c)

    @v_args(meta=True)
    def quant(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Quant(str(c[0]), tuple(c[1]), None, None, c[2], self._s(meta))

    @v_args(meta=True)
    def quant_range(self, meta: Any, c: list[Any]) -> ast.Expr:
        binder = ast.Binder(str(c[1]), None, _tok_span(self.file, c[1]))
        return ast.Quant(str(c[0]), (binder,), c[2], c[3], c[4], self._s(meta))

    def binders(self, c: list[Any]) -> list[ast.Binder]:
        return [b for group in c for b in group]

    @v_args(meta=True)
    def binder_group(self, meta: Any, c: list[Any]) -> list[ast.Binder]:
        *names, typ = c
        return [ast.Binder(str(n), typ, _tok_span(self.file, n)) for n in names]

    @v_args(meta=True)
    def if_expr(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.IfExpr(c[0], c[1], c[2], self._s(meta))
