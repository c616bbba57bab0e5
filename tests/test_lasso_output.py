"""Lassos (issue 18) in every output format and through `zcheck replay`: the loop is
marked, what fails on it and the fairness table are shown, relevance is not claimed;
the HTML draws the loop and escapes the model's text; SARIF validates and nests the
loop; ITF has its `loop`; a saved lasso replays (loop and dead end), and a tampered one
is rejected by the same checks as decoding (counterexamples/lasso.py).

The text and Markdown renderings are golden files (tests/golden/lasso*.zdl)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest
from html_doc import parse

from zcheck import __version__, api
from zcheck.cli import main
from zcheck.counterexamples import lasso
from zcheck.counterexamples.relevance import analyse
from zcheck.counterexamples.render_html import render_html
from zcheck.counterexamples.render_sarif import render_sarif
from zcheck.counterexamples.render_text import render_trace
from zcheck.counterexamples.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
SPIN = ROOT / "tests" / "golden" / "lasso.zdl"  # ev: loop from state 0; lt: loop from state 1; settles
STOP = ROOT / "tests" / "golden" / "lasso_dead_end.zdl"  # dead ends
SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"


def _run(path: Path, names: list[str]) -> api.Run:
    system = api.build(str(path), {})
    return api.verify_system(system, api.select(system, names))  # as the golden files run them


@pytest.fixture(scope="module")
def spin() -> api.Run:
    return _run(SPIN, ["ev", "lt", "settles"])


@pytest.fixture(scope="module")
def stop() -> api.Run:
    return _run(STOP, ["reach3"])


def _trace(run: api.Run, name: str) -> Trace:
    r = next(r for r in run.results if r.name == name)
    assert r.error is None and r.trace is not None and r.trace.lasso is not None
    return r.trace


def _states(trace: Trace) -> list[dict[str, Any]]:
    return [trace.state(i) for i in range(trace.length + 1)]


# ---------------------------------------------------------------- the one lasso check


def test_decoding_and_the_shared_check_agree(spin: api.Run) -> None:
    system, trace = spin.system, _trace(spin, "ev")
    prop = system.prop("ev")
    again = lasso.check(system, prop, _states(trace), trace.steps, trace.lasso.loop, trace.rigid)  # type: ignore[union-attr]
    assert again == trace.lasso and again.loop == 0  # type: ignore[union-attr]
    assert [(r.name, r.taken) for r in again.fairness] == [  # type: ignore[union-attr]
        ("toggle", (1, 2)), ("nudge", ()), ("finish", ()), ("w[0]", (3, 4)), ("w[1]", (5, 6))]


@pytest.mark.parametrize("loop, fault, words", [
    (1, lasso.Fault.OPEN, "state 6 is not state 1 again (they differ in `flag`): the loop does not close"),
    (4, lasso.Fault.UNFAIR, "the loop is not fair to `toggle` (strong fair: enabled in loop states 4, 5, never taken)"),
    (6, lasso.Fault.OPEN, "state 6 is not a dead end: `inc` is enabled in it"),
])
def test_a_wrong_loop_index_is_not_a_lasso(spin: api.Run, loop: int, fault: lasso.Fault, words: str) -> None:
    system, trace = spin.system, _trace(spin, "ev")
    out = lasso.check(system, system.prop("ev"), _states(trace), trace.steps, loop, trace.rigid)
    assert isinstance(out, lasso.NotALasso) and out.fault is fault
    assert words in out.why


def test_a_lasso_claims_no_relevance(spin: api.Run) -> None:
    """Leaving a step out breaks a loop, not the property: no step is called droppable and
    no variable unused (the property's formula is not an invariant's `expr`)."""
    trace = _trace(spin, "ev")
    rel = analyse(spin.system, trace)
    assert rel.droppable == () and rel.unused == ()
    text = "\n".join(render_trace(spin.system, trace))
    assert "relevance" not in text and "does not depend on" not in text and "violation in state" not in text


# ---------------------------------------------------------------- HTML


def test_html_draws_the_loop_and_its_back_edge(spin: api.Run) -> None:
    results = [r for r in spin.results if r.name == "lt"]
    doc = parse(render_html(spin.system, results, "head"))
    assert len(doc.with_class("svg", "lasso")) == 1
    states = [a["data-state"] for a in doc.with_class("g", "state")]
    assert states == [str(i) for i in range(8)]  # state 8 is state 2 again: drawn once
    assert [a["class"] for a in doc.with_class("circle", "loop")] == ["loop"] * 6  # states 2..7
    assert [a["data-step"] for a in doc.with_class("g", "backedge")] == ["8"]  # from state 7 back to state 2
    assert [a["data-step"] for a in doc.with_class("tr", "loop")] == [str(i) for i in range(3, 9)]
    assert [a["data-step"] for a in doc.with_class("tr", "prefix")] == ["1", "2"]
    groups = [a["data-group"] for t, a in doc.tags if t == "tr" and "data-group" in a]
    assert groups == ["toggle", "nudge", "finish", "w[0]", "w[1]"]
    text = "".join(doc.text)
    assert "step 8: back to state 2" in text and "from here the run repeats steps 3..8 forever" in text
    assert "Relevance" not in text


def test_html_draws_a_dead_end(stop: api.Run) -> None:
    doc = parse(render_html(stop.system, list(stop.results), "head"))
    assert [a["data-state"] for a in doc.with_class("g", "dead-end")] == ["2"]
    assert doc.with_class("g", "backedge") == []
    assert "stays forever: nothing is enabled" in "".join(doc.text)


HOSTILE = """// hostile <script>alert("header")</script> & co
model hostile_lasso
var x: 0 .. 3 = 0
fair action inc() { require x < 2; x := x + 1 }
property ev: always eventually x > 2 && x < 9   // </style><script>evil()</script><img src=x onerror=alert(1)>
"""


def test_html_of_a_lasso_escapes_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "hostile.zdl"
    spec.write_text(HOSTILE)
    out = tmp_path / "r.html"
    assert main(["verify", str(spec), "-p", "ev", "--format", "html", "-o", str(out)]) == 1
    html = out.read_text()
    doc = parse(html)
    assert [t for t, _ in doc.tags if t in ("script", "img", "iframe", "link")] == []
    assert all(not k.startswith("on") for _, attrs in doc.tags for k in attrs)
    assert "<script" not in html.lower()
    text = "".join(doc.text)
    assert "x > 2 && x < 9" in text  # the condition, shown as text ...
    assert "<code>x &gt; 2 &amp;&amp; x &lt; 9</code>" in html  # ... escaped in the markup
    assert "</style><script>evil()</script>" in text


# ---------------------------------------------------------------- SARIF


def test_sarif_of_lassos_validates_and_nests_the_loop(spin: api.Run, stop: api.Run) -> None:
    schema = json.loads(SCHEMA.read_text())
    log = json.loads(render_sarif(spin.system, list(spin.results)))
    jsonschema.Draft4Validator(schema).validate(log)
    lt = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "lt")
    assert "after 2 steps the run repeats steps 3..8 forever" in lt["message"]["text"]
    assert "`quiet` holds in state 2 and `x == 3` never holds from there on" in lt["message"]["text"]
    flow = lt["codeFlows"][0]["threadFlows"][0]
    assert "fairness: toggle strong fair" in flow["message"]["text"]
    steps = flow["locations"][:-1]
    assert [loc.get("nestingLevel", 0) for loc in steps] == [0, 0, 1, 1, 1, 1, 1, 1]
    assert steps[2]["kinds"] == ["loop"] and "the loop starts with this step" in steps[2]["location"]["message"]["text"]
    assert "state 8 is state 2 again" in flow["locations"][-1]["location"]["message"]["text"]
    assert lt["properties"]["lasso"]["loop"] == 2 and lt["properties"]["lasso"]["deadEnd"] is False
    assert "relevantSteps" not in lt["properties"]
    dead = json.loads(render_sarif(stop.system, list(stop.results)))
    jsonschema.Draft4Validator(schema).validate(dead)
    (r,) = dead["runs"][0]["results"]
    assert r["properties"]["lasso"] == {"loop": 2, "deadEnd": True,
                                        "fairness": [{"group": "inc", "kind": "weak", "enabled": [], "taken": []}]}


# ---------------------------------------------------------------- ITF and replay


def _saved(tmp_path: Path, spec: Path, prop: str, name: str = "t.json") -> Path:
    out = tmp_path / name
    assert main(["verify", str(spec), "-p", prop, "--format", "json", "-o", str(out)]) == 1
    return out


def test_itf_has_the_loop_and_loads_with_itf_py(tmp_path: Path) -> None:
    itf = pytest.importorskip("itf_py")
    doc = json.loads(_saved(tmp_path, SPIN, "lt").read_text())
    assert doc["loop"] == 2 and len(doc["states"]) == 9
    assert list(doc) == ["#meta", "params", "vars", "loop", "states"]
    assert doc["#meta"]["fairness"][0] == {"group": "toggle", "kind": "strong", "enabled": [2, 3, 4, 5, 6, 7],
                                           "taken": [3, 4]}
    assert itf.trace_from_json(doc).loop == 2


@pytest.mark.parametrize("spec, prop, shape", [
    (SPIN, "ev", "loop starts at state 0: from here the run repeats steps 1..6 forever"),
    (SPIN, "lt", "loop starts at state 2: from here the run repeats steps 3..8 forever"),
    (STOP, "reach3", "dead end at state 2: nothing is enabled here: the run stays in this state forever"),
])
def test_a_saved_lasso_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: Path, prop: str,
                               shape: str) -> None:
    saved = _saved(tmp_path, spec, prop)
    capsys.readouterr()
    assert main(["replay", str(spec), str(saved)]) == 1
    out = capsys.readouterr().out
    assert f"STILL VIOLATED: `{prop}` fails on the replayed lasso" in out
    assert shape in out and "note:" not in out


def _tampered(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[dict[str, Any]], None],
              spec: Path = SPIN, prop: str = "ev", model: Path | None = None) -> tuple[int, str, str]:
    doc = json.loads(_saved(tmp_path, spec, prop).read_text())
    edit(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, indent=2))
    capsys.readouterr()
    code = main(["replay", str(model or spec), str(bad)])
    got = capsys.readouterr()
    return code, got.out, got.err


def _set_loop(value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.__setitem__("loop", value)


@pytest.mark.parametrize("edit, message", [
    (_set_loop(1), "error[ZC404]: `loop` is 1, but the file's state 6 is not its state 1 again "
                   "(they differ in `flag`): the trace is not a lasso"),
    (_set_loop(7), "error[ZC404]: `loop` is 7: it must be the index of a state, 0 to 6"),
    (_set_loop("0"), "error[ZC404]: `loop` is \"0\": it must be the index of a state, 0 to 6"),
    (lambda doc: doc.pop("loop"), "error[ZC404]: `ev` is a liveness property: its trace is a lasso, but the file "
                                  "gives no `loop`"),
])
def test_a_tampered_loop_index_is_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            edit: Callable[[dict[str, Any]], None], message: str) -> None:
    """The file contradicts itself: no model has such a lasso (exit 2, located at `loop`)."""
    code, out, err = _tampered(tmp_path, capsys, edit)
    assert code == 2 and message in err and "STILL" not in out
    if "no `loop`" not in message:
        text = (tmp_path / "bad.json").read_text()
        assert f"bad.json:{text[: text.index(chr(34) + 'loop' + chr(34))].count(chr(10)) + 1}:3" in err


def test_an_unfair_loop_is_refuted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """States 4 and 6 are equal, so `loop: 4` closes, but then only w[1] runs on the loop:
    the strong fair `toggle` and the weak fair w[0] are enabled there and never taken."""
    code, out, _ = _tampered(tmp_path, capsys, _set_loop(4))
    assert code == 0
    assert ("REFUTED: the replayed lasso is not a fair run, so it is no counterexample to `ev`: the loop is not "
            "fair to `toggle` (strong fair: enabled in loop states 4, 5, never taken); `w[0]` (weak fair: enabled "
            "in every loop state, 4, 5, never taken)") in out


def test_a_loop_claimed_as_a_dead_end_is_refuted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _tampered(tmp_path, capsys, _set_loop(6))
    assert code == 0 and "REFUTED: the replayed trace is not a lasso: state 6 is not a dead end: `inc` is enabled" in out


@pytest.mark.parametrize("old, new, message", [
    ("action inc()", "fair action inc()", "the loop is not fair to `inc` (weak fair: enabled in every loop state"),
    ("always eventually x == 3", "always eventually x == 0", "REFUTED: `ev` holds on the replayed lasso: `x == 0` "
                                                             "holds in loop state 0, so it holds again and again"),
])
def test_a_lasso_is_refuted_once_the_model_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   old: str, new: str, message: str) -> None:
    """A fix that makes the spinning loop unfair, or a property that the loop satisfies."""
    changed = tmp_path / "changed.zdl"
    text = SPIN.read_text()
    assert old in text
    changed.write_text(text.replace(old, new, 1))
    code, out, _ = _tampered(tmp_path, capsys, lambda doc: None, model=changed)
    assert code == 0 and message in out


def test_a_dead_end_is_refuted_once_something_is_enabled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "changed.zdl"
    changed.write_text(STOP.read_text() + "action idle() { require x == 2; x := x }\n")
    code, out, _ = _tampered(tmp_path, capsys, lambda doc: None, STOP, "reach3", changed)
    assert code == 0 and "REFUTED: the replayed trace is not a lasso: state 2 is not a dead end: `idle` is enabled" in out


# ---------------------------------------------------------------- the library's reports


def test_model_reports_render_a_liveness_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/model_reports.py writes the Markdown report of a `check ... expect
    violated` on a liveness property like any other."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import model_reports
    from zcheck.spec.frontend import check_file

    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "spin.zdl"
    model.write_text(SPIN.read_text() + "check lt expect violated at 8\n")
    monkeypatch.chdir(tmp_path)
    (check,) = check_file(str(model)).checks
    report = model_reports.render("models/spin.zdl", check)
    assert report is not None and model_reports.report_name("spin", check) == "spin--lt.md"
    assert "## lt: VIOLATED at depth 8" in report and "### The loop" in report
    assert "| group | fairness | enabled in states | taken in steps | fair because |" in report
    assert "| `finish` | strong fair | none | none | never enabled |" in report
    assert model_reports._verdicts(report)[:4] == [f"zcheck {__version__}: `models/spin.zdl`, engine bmc, depth 8",
                                                   "| verdict | property | depth |", "| --- | --- | --- |",
                                                   "| VIOLATED | `lt` | 8 |"]


def test_a_dead_end_in_the_initial_state_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lasso of no step: the initial state is the dead end (`loop` 0 of 0)."""
    spec = tmp_path / "zero.zdl"
    spec.write_text("model zero\nvar x: 0 .. 1 = 0\naction a() { require x == 1; x := 0 }\n"
                    "property ev: always eventually x == 1\n")
    saved = _saved(tmp_path, spec, "ev")
    assert json.loads(saved.read_text())["loop"] == 0
    capsys.readouterr()
    assert main(["replay", str(spec), str(saved)]) == 1
    out = capsys.readouterr().out
    assert "the run starts in state 0, where nothing is enabled: it stays there forever" in out
    assert "dead end at state 0: nothing is enabled here" in out
    assert "fairness: the model declares none, so no run is left out as unfair" in out
