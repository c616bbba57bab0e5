"""Language server: the hover text of a symbol, and the names completion offers besides
the model's own.

Input: a `Symbol` (symbols.py) and, for a property, the verdict of the last `check`
directive run on it in this session. Output: Markdown (a ZDL code block with the
declaration's head, then what the symbol is).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from zcheck.lsp.symbols import Role, Symbol
from zcheck.spec.parser import grammar_text


@dataclass(frozen=True)
class LastVerdict:
    """A property's verdict in the last `check` directive run on it."""

    verdict: str  # as `zcheck test` says it: `violated at 2`, `proved`, `holds`
    directive: str  # `check p expect violated`
    line: int  # the directive's line
    passed: bool  # the directive's expectation was met


def hover_markdown(s: Symbol, last: LastVerdict | None = None) -> str:
    """What hovering over a name shows."""
    out = ["```zdl", s.signature, "```", _role_line(s)]
    out += [f"- {n}" for n in s.notes]
    if last is not None:
        result = "expectation met" if last.passed else "expectation NOT met"
        out.append(f"\nlast check: **{last.verdict}** (`{last.directive}`, line {last.line}: {result})")
    elif s.role is Role.PROPERTY:
        out.append("\nnot checked in this session (run the file's `check` directives)")
    return "\n".join(out)


def _role_line(s: Symbol) -> str:
    what = s.detail if s.role is Role.PROPERTY and s.detail else s.role.value
    if s.role is Role.PROPERTY and s.detail in ("invariant", "cover", "lemma", "assert", "bug_on"):
        what = f"{s.detail} (property)"
    return f"*{what}*" + (f" — {s.owner}" if s.owner and s.role is not Role.PARAMETER else "")


BUILTINS: dict[str, str] = {
    "int": "type: the mathematical integers",
    "bool": "type: true or false",
    "min": "min(a, b): the smaller of two integers",
    "max": "max(a, b): the larger of two integers",
    "signed": "signed(x): a bit-vector read as a two's-complement integer",
    "at": "at(process, step): some instance of the process is at the step (at(p[i], step): instance i)",
    "owner": "owner(lock): the process instance holding a mutex or spinlock (`none` if free)",
    "writer": "writer(rwsem): the instance holding an rwsem for writing (`none` if none)",
    "readers": "readers(rwsem): how many instances hold an rwsem for reading",
    "held_by": "held_by(lock, owner): the owner holds the lock",
    "self": "the process instance running the step",
    "none": "no owner: the value of owner()/writer() for a free lock",
    "env": "the owner of locks taken by actions (the environment)",
}


@functools.cache
def keywords() -> tuple[str, ...]:
    """Every keyword of ZDL, read from the grammar (quoted words and keyword terminals),
    so completion follows the language as it grows."""
    text = grammar_text()
    words = set(re.findall(r'"([a-z][a-z_]*)"', text))
    for group in re.findall(r"/\(?([a-z_|]+)\)?\\b/", text):
        words.update(group.split("|"))
    return tuple(sorted(words - set(BUILTINS)))
