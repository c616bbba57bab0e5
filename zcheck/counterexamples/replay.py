"""Counterexamples: replay a sequence of actions on the concrete evaluator.

Input: a `System`, a property, a start state and planned steps (a transition, its
arguments and how its `any` picks are chosen). Output: a `Replay` — the steps that ran,
the first one that was not enabled, and where the property first fails (for a cover:
where it first holds). Used by relevance (a trace with one step left out) and by
`zcheck replay` (a saved ITF trace, see `itf_plan`).

Loading an ITF file turns every problem of the file into a `Diagnostic` located in it
(file:line:col of the offending state), never an exception. A trace of a liveness
property is a lasso: its ITF `loop` must be the index of a state, and the file's last
state must be that state again (or `loop` the last index: a dead end); `replay_lasso`
then checks the replayed run with the checks of decoding (lasso.py): the loop closes or
the last state is a dead end, the property fails on the loop, the loop is fair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from zcheck.counterexamples import lasso
from zcheck.counterexamples.trace import Lasso, TraceStep
from zcheck.diagnostics import Diagnostic, DiagnosticError, Span
from zcheck.spec import typed as t
from zcheck.spec.types import BoolT, EnumT, MapT, Type
from zcheck.system.evaluate import AssertOutcome, Chooser, Env, Value
from zcheck.system.ir import Property, System, Transition
from zcheck.system.pmap import PMap
from zcheck.system.semantics import const_choice, holds, init_choice, initial, step


class NoChoice(Exception):
    """A planned step has no value for one of its `any` picks."""


@dataclass(frozen=True)
class Planned:
    transition: Transition
    params: Mapping[str, Value]
    choose: Chooser


@dataclass(frozen=True)
class Replay:
    steps: tuple[TraceStep, ...]  # the steps that ran (including a blocked last one)
    blocked: int | None  # number of the first step that was not enabled
    blocked_why: str  # its failing `require` (file:line), or the missing pick
    found_in: int | None  # state (or step, for a site) where the property first fails / a cover holds
    site: AssertOutcome | None  # the failing assert site, when it is one

    @property
    def still(self) -> bool:
        return self.found_in is not None


def picks_chooser(picks: Mapping[str, Value]) -> Chooser:
    def choose(s: t.SHavoc, env: Env) -> Value:
        if s.choice not in picks:
            raise NoChoice(f"no value for `{s.var}`")
        return picks[s.choice]

    return choose


def _found(prop: Property, state: Mapping[str, Value], rigid: Mapping[str, Value]) -> bool:
    if prop.expr is None:
        return False
    return holds(prop, state, rigid) == (prop.kind == "cover")


def replay(system: System, prop: Property, start: dict[str, Value], rigid: dict[str, Value],
           planned: Sequence[Planned]) -> Replay:
    """Run `planned` from `start`, stopping at the first violation or disabled step.
    `EvalError` (the evaluator cannot decide) propagates to the caller."""
    if _found(prop, start, rigid):
        return Replay((), None, "", 0, None)
    state = start
    steps: list[TraceStep] = []
    for k, p in enumerate(planned, 1):
        try:
            out = step(system, p.transition, state, p.params, p.choose, rigid)
        except NoChoice as exc:
            return Replay(tuple(steps), k, str(exc), None, None)
        shown = tuple((n, typ, p.params[n]) for n, typ in p.transition.params)
        steps.append(TraceStep(k, p.transition.name, shown, tuple(out.choices.items()), p.transition.span, out.state))
        site = next((a for a in out.asserts if a.prop == prop.name and not a.ok), None)
        if site is not None:
            return Replay(tuple(steps), None if out.enabled else k, "", k, site)
        if not out.enabled:
            why = f"`require` at {out.blocked.span}" if out.blocked is not None else "a pick outside its range"
            return Replay(tuple(steps), k, why, None, None)
        state = out.state
        if _found(prop, state, rigid):
            return Replay(tuple(steps), None, "", k, None)
    return Replay(tuple(steps), None, "", None, None)


# ---------------------------------------------------------------- ITF files


@dataclass(frozen=True)
class SavedTrace:
    """A trace read back from an ITF file and matched against a (possibly edited) model."""

    prop: Property
    initial: dict[str, Value]
    rigid: dict[str, Value]
    planned: tuple[Planned, ...]
    saved: tuple[dict[str, Value], ...]  # the states as saved (visible variables present in the file)
    loop: int | None = None  # a lasso's loop index (liveness properties)


class _Doc:
    """The file's text and a way to point into it."""

    def __init__(self, path: str, text: str):
        self.path, self.text = path, text

    def span_at(self, pos: int) -> Span:
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return Span(self.path, line, col, line, col + 1)

    def state_span(self, i: int) -> Span:
        m = None
        for m in re.finditer(r'"index"\s*:\s*' + str(i) + r"\b", self.text):
            break
        return self.span_at(m.start() if m else 0)

    def key_span(self, i: int, key: str) -> Span:
        start = self.state_span(i)
        base = _offset(self.text, start.line)
        m = re.compile(r'"' + re.escape(key) + r'"\s*:').search(self.text, base)
        return self.span_at(m.start()) if m else start

    def fail(self, span: Span, message: str) -> DiagnosticError:
        return DiagnosticError([Diagnostic("ZC404", message, span)])


def _offset(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


MAX_TRACE_BYTES = 32 * 1024 * 1024  # replay reads 3-4 MB a second; the JSON objects take ~15x the file in memory


def read_itf(path: str) -> tuple[_Doc, dict[str, Any]]:
    """The ITF file as text and JSON. At most MAX_TRACE_BYTES are read, whatever the
    file is (`/dev/zero` ends); replay then takes time linear in the file's size."""
    where = Span(path, 1, 1, 1, 2)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TRACE_BYTES + 1)
    except OSError as exc:
        raise DiagnosticError([Diagnostic("ZC100", f"cannot read `{path}`: {exc.strerror}", where)]) from None
    if len(data) > MAX_TRACE_BYTES:
        raise DiagnosticError([Diagnostic("ZC100", f"`{path}` is larger than {MAX_TRACE_BYTES} bytes, the limit for "
                                          "a trace file", where)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        doc = _Doc(path, data[: exc.start].decode("utf-8", "replace"))
        raise DiagnosticError([Diagnostic("ZC100", f"`{path}` is not valid UTF-8", doc.span_at(exc.start))]) from None
    doc = _Doc(path, text)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise doc.fail(Span(path, exc.lineno, exc.colno, exc.lineno, exc.colno + 1), f"not JSON: {exc.msg}") from None
    except RecursionError:
        raise doc.fail(Span(path, 1, 1, 1, 2), "JSON nested too deeply") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("states"), list) or not obj["states"]:
        raise doc.fail(doc.span_at(0), "not an ITF trace: expected an object with a non-empty `states` list")
    return doc, obj


def itf_plan(system: System, path: str, prop_name: str | None) -> SavedTrace:
    """Read `path` (as written by `zcheck verify --format json`) against `system`."""
    doc, obj = read_itf(path)
    given = obj.get("#meta")
    meta: dict[str, Any] = given if isinstance(given, dict) else {}
    name = prop_name or meta.get("property")
    if not isinstance(name, str):
        raise doc.fail(doc.span_at(0), "the trace names no property (`#meta.property`); give one with -p")
    prop = next((p for p in system.properties if p.name == name), None)
    if prop is None:
        known = ", ".join(p.name for p in system.properties)
        raise doc.fail(doc.span_at(max(doc.text.find('"property"'), 0)), f"the model has no property `{name}` (known: {known})")
    states = obj["states"]
    for i, s in enumerate(states):
        if not isinstance(s, dict):
            raise doc.fail(doc.state_span(i), f"state {i} is not an object")
    saved = tuple(_saved_state(system, doc, s, i) for i, s in enumerate(states))
    start = initial(system, _initial_chooser(system, doc, states[0], saved[0]))
    if not start.ok:
        raise doc.fail(doc.state_span(0), "state 0 is not an initial state of the model (an `assume` or `require` of init fails)")
    by_name = {tr.name: tr for tr in system.transitions}
    planned = tuple(_planned(system, doc, by_name, s, i, saved[i]) for i, s in enumerate(states) if i > 0)
    loop = _loop(doc, obj, prop, saved) if prop.temporal is not None else None
    return SavedTrace(prop, start.state, start.rigid, planned, saved, loop)


def _loop(doc: _Doc, obj: dict[str, Any], prop: Property, saved: Sequence[dict[str, Value]]) -> int:
    """The file's `loop`, checked against the file alone: the index of a state, which the
    last state repeats unless it is the last (a dead end). A file that fails this is not
    a lasso of any model."""
    last = len(saved) - 1
    m = re.search(r'"loop"\s*:', doc.text)
    where = doc.span_at(m.start()) if m else doc.span_at(0)
    if "loop" not in obj:
        raise doc.fail(where, f"`{prop.name}` is a liveness property: its trace is a lasso, but the file gives "
                       "no `loop` (the index of the state the last one repeats)")
    loop = obj["loop"]
    if not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop <= last:
        raise doc.fail(where, f"`loop` is {json.dumps(loop)[:40]}: it must be the index of a state, 0 to {last}")
    differs = next((n for n, v in saved[loop].items() if n in saved[last] and saved[last][n] != v), None)
    if loop < last and differs is not None:
        raise doc.fail(where, f"`loop` is {loop}, but the file's state {last} is not its state {loop} again "
                       f"(they differ in `{differs}`): the trace is not a lasso")
    return loop


def replay_lasso(system: System, saved: SavedTrace, out: Replay) -> Lasso | lasso.NotALasso:
    """The replayed run (every step enabled) as a lasso of the saved trace's liveness
    property, with the saved loop index, or why it is not one (lasso.check)."""
    assert saved.loop is not None and out.blocked is None and len(out.steps) == len(saved.planned)
    states = [saved.initial] + [s.state for s in out.steps]
    return lasso.check(system, saved.prop, states, out.steps, saved.loop, saved.rigid)


def _initial_chooser(system: System, doc: _Doc, s0: dict[str, Any], saved0: dict[str, Value]) -> Chooser:
    consts = dict(system.rigid)

    def choose(h: t.SHavoc, env: Env) -> Value:
        name = h.choice.split(":", 1)[1] if h.choice.startswith(("init:", "const:")) else h.var
        if h.choice == const_choice(name):
            if name not in s0:
                raise doc.fail(doc.state_span(0), f"state 0 gives no value for the constant `{name}`")
            return _value(doc, s0[name], consts[name], 0, name)
        if h.choice == init_choice(name) or name in saved0:
            if name not in saved0:
                raise doc.fail(doc.state_span(0), f"state 0 gives no value for `{name}`")
            return _pick(saved0[name], h, env)
        raise doc.fail(doc.state_span(0), f"state 0 gives no value for `{h.var}`")

    return choose


def _pick(saved: Value, h: t.SHavoc, env: Env) -> Value:
    if h.index is None or not isinstance(saved, PMap):
        return saved
    from zcheck.system.evaluate import evaluate

    return saved.get(int(evaluate(h.index, env)))  # type: ignore[arg-type]


def _saved_state(system: System, doc: _Doc, s: dict[str, Any], i: int) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for v in system.vars:
        if v.hidden:
            continue
        if v.name in s:
            out[v.name] = _value(doc, s[v.name], v.type, i, v.name)
        elif i == 0 and v.init is None:
            raise doc.fail(doc.state_span(0), f"state 0 gives no value for `{v.name}`, which the model leaves open")
    return out


def _planned(system: System, doc: _Doc, by_name: Mapping[str, Transition], s: dict[str, Any], i: int,
             saved: dict[str, Value]) -> Planned:
    given = s.get("#meta")
    meta: dict[str, Any] = given if isinstance(given, dict) else {}
    name = meta.get("transition")
    if not isinstance(name, str):
        raise doc.fail(doc.state_span(i), f"state {i} does not say which transition led to it (`#meta.transition`)")
    tr = by_name.get(name)
    if tr is None:
        raise doc.fail(doc.key_span(i, "transition"), f"state {i}: the model has no transition `{name}` "
                       f"(known: {', '.join(by_name)})")
    args = meta.get("args", {})
    if not isinstance(args, dict):
        raise doc.fail(doc.key_span(i, "args"), f"state {i}: `args` is not an object")
    params: dict[str, Value] = {}
    for pname, ptype in tr.params:
        if pname not in args:
            raise doc.fail(doc.key_span(i, "args"), f"state {i}: `{name}` needs the argument `{pname}`")
        params[pname] = _value(doc, args[pname], ptype, i, pname)
    extra = sorted(set(args) - {p for p, _ in tr.params})
    if extra:
        raise doc.fail(doc.key_span(i, "args"), f"state {i}: `{name}` has no parameter `{extra[0]}`")
    return Planned(tr, params, _saved_chooser(saved, i))


def _saved_chooser(saved: dict[str, Value], i: int) -> Chooser:
    """An `any` pick takes the value the saved trace shows after the step (ITF keeps states,
    not picks)."""

    def choose(h: t.SHavoc, env: Env) -> Value:
        if h.var not in saved:
            raise NoChoice(f"state {i} of the file has no value for `{h.var}`, chosen by `any`")
        return _pick(saved[h.var], h, env)

    return choose


def _value(doc: _Doc, raw: Any, typ: Type, i: int, where: str) -> Value:
    def bad() -> DiagnosticError:  # located only when needed: finding the place is a search of the file
        return doc.fail(doc.key_span(i, where), f"state {i}: `{where}` is not a value of type {typ}: "
                        f"{json.dumps(raw)[:60]}")

    if isinstance(typ, MapT):
        if not isinstance(raw, dict) or "default" not in raw or not isinstance(raw.get("segments", []), list):
            raise bad()
        return _map(doc, raw, typ, i, where, bad)
    return _scalar(raw, typ, bad)


def _scalar(raw: Any, typ: Type, bad: Callable[[], DiagnosticError]) -> int | bool:
    match typ:
        case BoolT():
            if isinstance(raw, bool):
                return raw
        case EnumT(members=members):
            if isinstance(raw, str) and raw in members:
                return members.index(raw)
        case _:
            if isinstance(raw, dict) and set(raw) == {"#bigint"} and isinstance(raw["#bigint"], str):
                if re.fullmatch(r"-?[0-9]{1,400}", raw["#bigint"]):
                    return int(raw["#bigint"])
            elif isinstance(raw, int) and not isinstance(raw, bool):
                return raw
    raise bad()


def _map(doc: _Doc, raw: dict[str, Any], typ: MapT, i: int, where: str, bad: Callable[[], DiagnosticError]) -> PMap:
    default = _scalar(raw["default"], typ.value, bad)
    keys: list[int] = []
    vals: list[int | bool] = [default]
    for seg in raw.get("segments", []):
        if not isinstance(seg, dict) or "value" not in seg:
            raise bad()
        value = _scalar(seg["value"], typ.value, bad)
        lo = _scalar(seg["lo"], typ.key, bad) if "lo" in seg else None
        hi = _scalar(seg["hi"], typ.key, bad) if "hi" in seg else None
        if lo is None:
            if keys:
                raise bad()
            vals[0] = value
        else:
            keys.append(int(lo))
            vals.append(value)
        if hi is not None:
            keys.append(int(hi))
            vals.append(default)
    if any(b < a for a, b in zip(keys, keys[1:])):
        raise doc.fail(doc.key_span(i, where), f"state {i}: the segments of `{where}` overlap or are out of order")
    return _normalise(keys, vals)


def _normalise(keys: list[int], vals: list[int | bool]) -> PMap:
    """Later segments win at equal keys; equal neighbours merge."""
    at: dict[int, int | bool] = {}
    for k, v in zip(keys, vals[1:]):
        at[k] = v
    out_k: list[int] = []
    out_v: list[int | bool] = [vals[0]]
    for k in sorted(at):
        if at[k] != out_v[-1]:
            out_k.append(k)
            out_v.append(at[k])
    return PMap(tuple(out_k), tuple(out_v))


def first_difference(saved: Sequence[dict[str, Value]], steps: Sequence[TraceStep], start: dict[str, Value]) -> tuple[int, str] | None:
    """The first replayed state that differs from the saved one, and the first variable."""
    states = [start] + [s.state for s in steps]
    for i, (want, got) in enumerate(zip(saved, states)):
        for name, value in want.items():
            if got.get(name) != value:
                return i, name
    return None
