"""Language server: symbols, and the index that says what a name at a position is.

Input: the symbols `collect.py` builds from a parsed model. Output: `Index.lookup` (the
symbol a name under the cursor refers to: hover, go to definition), `Index.visible`
(the names in scope at a position: completion) and `Index.outline` (the top-level
declarations of the main file, with their children: document symbols).

A `Symbol` is one declared name: its role, the declaration and the name's own span,
the head of its declaration in ZDL, and, for a name that is not global (a parameter,
a local, a quantifier-bound name, a step), the region where it is visible. Positions
are zcheck's: 1-based lines and columns counted in characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from zcheck.diagnostics import Span

Pos = tuple[int, int]  # (line, column), 1-based; columns count characters


class Role(Enum):
    MODEL = "model"
    CONSTANT = "constant"
    TYPE = "type"
    ENUM = "enum"
    ENUM_MEMBER = "enum member"
    VARIABLE = "state variable"
    FUNCTION = "function"
    ACTION = "action"
    PROCESS = "process"
    PROCEDURE = "procedure"
    STEP = "step"
    LOCK = "lock"
    PROPERTY = "property"
    SCENARIO = "scenario"
    PARAMETER = "parameter"
    LOCAL = "local"
    BOUND = "bound variable"


@dataclass(frozen=True)
class Symbol:
    """One declared name."""

    name: str
    role: Role
    span: Span  # the whole declaration
    name_span: Span  # the name as written in it
    signature: str  # the declaration's head in ZDL: `var max_pfn: int = BOOT_END`
    detail: str = ""  # a few words for lists: the type, a property's kind
    notes: tuple[str, ...] = ()  # more for hover: the resolved type, the value, the steps
    owner: str | None = None  # the action, process, procedure or fn that declares it
    scope: Span | None = None  # where the name is visible; None: in the whole model
    children: tuple[Symbol, ...] = ()  # a process's steps and locals, an enum's members

    def visible_at(self, file: str, pos: Pos) -> bool:
        return self.scope is None or contains(self.scope, file, pos)


def contains(span: Span, file: str, pos: Pos) -> bool:
    """Is `pos` in `span` (its end included: the cursor just after a word is on it)?"""
    return span.file == file and (span.line, span.col) <= pos <= (span.end_line, span.end_col)


@dataclass(frozen=True)
class Word:
    """The name under the cursor, with what the text around it says about it."""

    name: str
    span: Span
    qualifier: str | None = None  # `walker` in `walker[i].page`, `online_block` in `online_block.check`
    after: str | None = None  # the word just before it on its line: `goto`, `call`, `check`


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_]")


def word_at(line_text: str, file: str, line: int, col: int) -> Word | None:
    """The identifier at (or just before) column `col` of `line_text`, or None."""
    i = col - 1
    if not (0 <= i < len(line_text) and _IDENT_CHAR.match(line_text[i])):
        i -= 1  # the cursor just after a name
    if not (0 <= i < len(line_text) and _IDENT_CHAR.match(line_text[i])):
        return None
    start = i
    while start > 0 and _IDENT_CHAR.match(line_text[start - 1]):
        start -= 1
    m = _IDENT.match(line_text, start)
    if m is None:  # a number, not a name
        return None
    span = Span(file, line, start + 1, line, m.end() + 1)
    return Word(m.group(), span, _qualifier(line_text, start), _word_before(line_text, start))


def _qualifier(text: str, start: int) -> str | None:
    """The name before `.` in `base.name` or `base[i].name`."""
    i = start - 1
    if i < 0 or text[i] != ".":
        return None
    i -= 1
    if i >= 0 and text[i] == "]":
        depth = 0
        while i >= 0:
            depth += {"]": 1, "[": -1}.get(text[i], 0)
            i -= 1
            if depth == 0:
                break
    end = i + 1
    while i >= 0 and _IDENT_CHAR.match(text[i]):
        i -= 1
    return text[i + 1:end] or None


def _word_before(text: str, start: int) -> str | None:
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s+$", text[:start])
    return m.group(1) if m else None


@dataclass(frozen=True)
class Index:
    """The symbols of a model: its main file and every file it imports."""

    main_file: str
    symbols: tuple[Symbol, ...]  # every name, in declaration order
    outline: tuple[Symbol, ...]  # the main file's top-level declarations, with their children

    def declared_at(self, file: str, pos: Pos) -> Symbol | None:
        """The symbol whose name is written at `pos` in its own declaration."""
        return next((s for s in self.symbols if contains(s.name_span, file, pos)), None)

    def lookup(self, word: Word) -> Symbol | None:
        """The symbol `word` refers to: its declaration, a member of a qualifying process
        or procedure, a step after `goto`, the innermost local in scope, or a global."""
        file, pos = word.span.file, (word.span.line, word.span.col)
        here = self.declared_at(file, pos)
        if here is not None and here.name == word.name:
            return here
        if word.qualifier is not None:
            member = self._member(word.qualifier, word.name)
            if member is not None:
                return member
        scoped = [s for s in self.symbols if s.name == word.name and s.scope is not None and s.visible_at(file, pos)
                  and (s.role is not Role.STEP or word.after == "goto")]
        if scoped:
            return max(scoped, key=lambda s: (s.scope.line, s.scope.col) if s.scope else (0, 0))
        return next((s for s in self.symbols if s.name == word.name and s.scope is None), None)

    def _member(self, owner: str, name: str) -> Symbol | None:
        for s in self.symbols:
            if s.name == owner and s.role in (Role.PROCESS, Role.PROCEDURE):
                return next((c for c in s.children if c.name == name), None)
        return None

    def visible(self, file: str, pos: Pos) -> list[Symbol]:
        """The names usable at `pos`, one symbol per name (an inner one hides an outer one);
        steps only inside their own process or procedure (for `goto`)."""
        inner = [s for s in self.symbols if s.scope is not None and s.visible_at(file, pos)]
        inner.sort(key=lambda s: (s.scope.line, s.scope.col) if s.scope else (0, 0), reverse=True)
        seen: set[str] = set()
        out: list[Symbol] = []
        for s in inner + [s for s in self.symbols if s.scope is None]:
            if s.name not in seen:
                seen.add(s.name)
                out.append(s)
        return out

    def with_imports_of(self, earlier: Index) -> Index:
        """This index of the main file alone, with the imported names of an `earlier`
        index (while an import does not parse, its last names stay known)."""
        imported = tuple(s for s in earlier.symbols if s.span.file != self.main_file)
        return Index(self.main_file, self.symbols + imported, self.outline)
