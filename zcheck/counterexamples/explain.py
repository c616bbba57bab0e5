"""Counterexamples: find the sub-formula that makes a property false.

Input: the property's typed formula, the concrete environment of the violation, and
the witness values of its outermost quantified variables. Output: an `Explanation`
naming the smallest false sub-formula (by its source text) and its operands' values.
"""

from __future__ import annotations

from zcheck.counterexamples.trace import Explanation
from zcheck.counterexamples.values import value_text
from zcheck.diagnostics import Span
from zcheck.spec import typed as t
from zcheck.spec.ops import COMPARISONS, Op
from zcheck.spec.types import Type
from zcheck.system.evaluate import Env, EvalError, Value, evaluate

_SHOW_OPS = COMPARISONS  # the operands' values are shown


def source_text(span: Span | None, sources: dict[str, str] | None) -> str | None:
    if span is None or sources is None or span.file not in sources:
        return None
    lines = sources[span.file].splitlines()
    if not 1 <= span.line <= len(lines) or span.end_line != span.line:
        return None
    return lines[span.line - 1][span.col - 1 : span.end_col - 1]


def explain(
    e: t.TExpr, env: Env, witnesses: tuple[tuple[str, Type, Value], ...], want: bool,
    sources: dict[str, str] | None = None,
) -> Explanation | None:
    """Explain why `e` evaluates to `not want` under `env` (witnesses bind quantifiers)."""
    queue = list(witnesses)
    try:
        node, node_env = _descend(e, env, queue, want)
    except (EvalError, KeyError):
        return None
    values: list[tuple[str, str]] = []
    if isinstance(node, t.Binop) and node.op in _SHOW_OPS:
        for side in (node.left, node.right):
            if isinstance(side, t.Lit):
                continue
            try:
                values.append((_label(side, sources), value_text(evaluate(side, node_env), side.type)))
            except (EvalError, KeyError):
                continue
    return Explanation(_label(node, sources), tuple(values), node.span)


def _label(e: t.TExpr, sources: dict[str, str] | None) -> str:
    text = source_text(e.span, sources)
    if text:
        return text
    match e:
        case t.Var(name=n) | t.Old(name=n) | t.Const(name=n) | t.Param(name=n) | t.Bound(name=n):
            return t.display_name(n)
        case t.Local(name=n):
            return t.display_name(n).removeprefix("let:")
        case _:
            return "the formula"


def _descend(
    e: t.TExpr, env: Env, witnesses: list[tuple[str, Type, Value]], want: bool
) -> tuple[t.TExpr, Env]:
    """Walk into `e` while its value is `not want`, following the witnesses."""
    match e:
        case t.Quant(kind=kind, var=var, body=body) if (kind == "forall") != want and witnesses:
            name, _, value = witnesses[0]
            if name == t.display_name(var):
                witnesses.pop(0)
                return _descend(body, env.bind(var, value), witnesses, want)
            return e, env
        case t.Unop(op=Op.NOT, arg=a):
            return _descend(a, env, witnesses, not want)
        case t.Binop(op=Op.IMPLIES, left=a, right=b) if not want:
            return _descend(b, env, witnesses, False)
        case t.Binop(op=Op.AND, left=a, right=b) if not want:
            side = a if not evaluate(a, env) else b
            return _descend(side, env, witnesses, False)
        case t.Binop(op=Op.OR, left=a, right=b) if want:
            side = a if evaluate(a, env) else b
            return _descend(side, env, witnesses, True)
        case t.Binop(op=Op.AND, left=a, right=b) if want:
            return e, env
        case _:
            return e, env
