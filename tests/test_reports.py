"""Reports of one decoded trace: relevance, Markdown, HTML (escaping, SVG timeline, and an
opt-in render in headless Chromium), and SARIF 2.1.0 validated against the official schema."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from html_doc import parse

from zcheck import api
from zcheck.counterexamples.relevance import analyse, dependencies
from zcheck.counterexamples.render_html import render_html
from zcheck.counterexamples.render_markdown import render_markdown
from zcheck.counterexamples.render_sarif import render_sarif
from zcheck.counterexamples.replay import Planned, picks_chooser, replay
from zcheck.counterexamples.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "models" / "zone_device_max_pfn.zdl"
SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"

HOSTILE = """// hostile <script>alert("header")</script> model & co
// second line </pre><img src=x onerror=alert(1)>
model hostile_model
enum kind_t { NONE, RAM }
var top: int = 0
var kind: map[int] kind_t = NONE
action add(start: int) {   // <script>alert("action")</script>
  require start >= 0 && start < 8
  kind[start .. start + 1] := RAM
  top := max(top, start + 1)
}
invariant below: forall p: int :: kind[p] == RAM -> p < 3   // </style><script>evil()</script>
"""


def zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def seed_run() -> api.Run:
    system = api.build(str(SEED), {})
    props = api.select(system, ["device_above_max_pfn", "max_pfn_tracks_removal", "device_not_allocatable"])
    return api.verify_system(system, props, 4)


def _trace(run: api.Run, name: str) -> Trace:
    trace = next(r.trace for r in run.results if r.name == name)
    assert trace is not None
    return trace


# ---------------------------------------------------------------- relevance


def test_shortest_trace_has_only_relevant_steps(seed_run: api.Run) -> None:
    rel = analyse(seed_run.system, _trace(seed_run, "device_above_max_pfn"))
    assert rel.relevant == (1, 2) and rel.droppable == ()
    assert rel.summary() == "steps 1 and 2 are what matter"
    assert rel.unused == ("ram_top", "buddy", "online")


def test_an_inserted_step_is_marked_droppable(seed_run: api.Run) -> None:
    """add_ram, (add_dev elsewhere), remove_ram: the middle step can go, the others cannot."""
    system = seed_run.system
    base = _trace(seed_run, "max_pfn_tracks_removal")
    by = {tr.name: tr for tr in system.transitions}
    planned = [Planned(by[s.transition], {n: v for n, _, v in s.params}, picks_chooser(dict(s.picks))) for s in base.steps]
    extra = Planned(by["add_dev"], {"start": 0x100000, "nr": 0x8000, "type": 2}, picks_chooser({}))
    out = replay(system, system.prop(base.prop), dict(base.initial), dict(base.rigid), [planned[0], extra, planned[1]])
    assert out.found_in == 3 and out.blocked is None
    longer = Trace(base.prop, base.kind, "violated", base.initial, base.rigid, out.steps, (), None, None)
    rel = analyse(system, longer)
    assert rel.relevant == (1, 3) and rel.droppable == (2,)
    assert rel.summary() == "steps 1 and 3 are what matter; without step 2 the trace is still a counterexample"


def test_assert_site_dependencies_follow_lets() -> None:
    text = """model lets
var a: 0 .. 9 = 0
var b: 0 .. 9 = 0
var c: 0 .. 9 = 0
action go() {
  let s = a + 1
  assert ok: s < 3
  b := b + 1
  a := a + 1
}
"""
    system = api.build("lets.zdl", {}, text=text)
    assert dependencies(system, system.prop("ok")) == frozenset({"a"})


def test_text_output_marks_relevance() -> None:
    proc = zcheck("verify", str(SEED), "-p", "device_above_max_pfn")
    assert proc.returncode == 1, proc.stderr
    assert "relevance: steps 1 and 2 are what matter" in proc.stdout
    assert "`device_above_max_pfn` does not depend on: ram_top, buddy, online" in proc.stdout


# ---------------------------------------------------------------- Markdown


def test_markdown_report_of_the_seed_model(seed_run: api.Run) -> None:
    md = render_markdown(seed_run.system, str(SEED), list(seed_run.results), "head")
    assert "## Kernel context" in md and "update_end_of_memory_vars()" in md
    assert "invariant device_above_max_pfn: forall p: pfn :: kind[p] == DEVICE -> p >= max_pfn" in md
    assert "| 1 | `add_dev(start = 0x40000, nr = 0x8000, type = FS_DAX)` |" in md
    assert "| 2 | `add_ram(start = 0x48000, nr = 0x8000)` |" in md
    assert "**Relevance:** steps 1 and 2 are what matter." in md
    # the memory map after step 2, with the exact ranges
    after2 = md.index("**After step 2: `add_ram(start = 0x48000, nr = 0x8000)`**")
    assert md.index("- `kind` = `[0x0, 0x40000) RAM, [0x40000, 0x48000) DEVICE, [0x48000, 0x50000) RAM; elsewhere NONE`",
                    after2) > after2
    assert "`false: p >= max_pfn   where p = 0x40000, max_pfn = 0x50000`" in md
    assert "device_not_allocatable" in md and md.count("## device_not_allocatable") == 0  # proved: no trace


def test_markdown_header_keeps_the_path_in_a_code_span(seed_run: api.Run) -> None:
    """The model's path comes from the command line: in the header it is code, never markup."""
    path = "<img src=x onerror=alert(1)>*b*_i_[l](u).zdl"
    md = render_markdown(seed_run.system, path, list(seed_run.results),
                         f"zcheck 0.1.0: {path}, engine auto (bmc + pdr), depth 10 <b>")
    line = md.splitlines()[2]
    assert line == "zcheck 0.1.0: `<img src=x onerror=alert(1)>*b*_i_[l](u).zdl`, engine auto (bmc + pdr), depth 10 \\<b\\>"


def test_markdown_cli_is_deterministic(tmp_path: Path) -> None:
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.md"
        proc = zcheck("verify", str(SEED), "-p", "max_pfn_tracks_removal", "--format", "markdown", "-o", str(out))
        assert proc.returncode == 1, proc.stderr
        outs.append(out.read_text())
    assert outs[0] == outs[1]
    assert "remove_ram(start = 0x40000, nr = 0x8000)" in outs[0]


# ---------------------------------------------------------------- HTML


def test_html_report_has_timeline_rows_and_witness(seed_run: api.Run) -> None:
    html = render_html(seed_run.system, list(seed_run.results), "head")
    doc = parse(html)
    svgs = [a for t, a in doc.tags if t == "svg"]
    assert len(svgs) == 2 * 3  # kind, buddy, online for each of the two traces
    rows = [a["data-step"] for t, a in doc.tags if t == "g" and a.get("class") == "row"]
    assert rows == ["0", "1", "2"] * 6
    assert any(t == "g" and a.get("class") == "witness" for t, a in doc.tags)
    assert "p = 0x40000" in html
    steps = [a["data-step"] for t, a in doc.tags if t == "tr" and "step" in (a.get("class") or "")]
    assert steps == ["1", "2", "1", "2"]
    assert not any(t in ("script", "link", "iframe", "img") for t, _ in doc.tags)
    assert not re.search(r"(src|href)=", html)


def test_html_escapes_every_string_from_the_model(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.zdl"
    spec.write_text(HOSTILE)
    out = tmp_path / "r.html"
    proc = zcheck("verify", str(spec), "--format", "html", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    html = out.read_text()
    doc = parse(html)
    assert [t for t, _ in doc.tags if t in ("script", "img", "iframe")] == []
    assert all(not k.startswith("on") for _, attrs in doc.tags for k in attrs)
    assert "<script" not in html.lower() and "</style><script" not in html
    text = "".join(doc.text)
    assert '<script>alert("header")</script>' in text  # shown as text, escaped in the markup
    assert "</style><script>evil()</script>" in text
    assert "&lt;script&gt;" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    proc = zcheck("verify", str(SEED), "-p", "device_above_max_pfn", "--format", "html", "-o", str(report))
    assert proc.returncode == 1, proc.stderr
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run([*flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, env=env)
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = parse(dom.stdout)
    assert sum(1 for t, _ in doc.tags if t == "svg") == 3
    kind_rows = [a["data-step"] for t, a in doc.tags if t == "g" and a.get("class") == "row"][:3]
    assert kind_rows == ["0", "1", "2"]  # one row per state: the initial one, then one per step
    steps = [a["data-step"] for t, a in doc.tags if t == "tr" and "step" in (a.get("class") or "")]
    assert steps == ["1", "2"]
    shot = tmp_path / "report.png"
    snap = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1400,1800", report.as_uri()],
                          capture_output=True, text=True, timeout=120, env=env)
    assert snap.returncode == 0, snap.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# ---------------------------------------------------------------- SARIF


def test_sarif_validates_against_the_official_schema(seed_run: api.Run) -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    log = json.loads(render_sarif(seed_run.system, list(seed_run.results)))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.name for r in seed_run.results]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["device_above_max_pfn", "max_pfn_tracks_removal"]
    flow = results[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    lines = [loc["location"]["physicalLocation"]["region"]["startLine"] for loc in flow]
    assert lines == [83, 75, 124]  # add_dev, add_ram, then the invariant
    assert flow[0]["location"]["message"]["text"] == "step 1: add_dev(start = 0x40000, nr = 0x8000, type = FS_DAX)"
    assert flow[1]["state"]["max_pfn"] == {"text": "0x40000 -> 0x50000"}
    assert {loc["importance"] for loc in flow} == {"essential"}


def test_sarif_schema_rejects_a_broken_log(seed_run: api.Run) -> None:
    """The validation above can fail: the same log without `version` is rejected."""
    schema = json.loads(SCHEMA.read_text())
    log = json.loads(render_sarif(seed_run.system, list(seed_run.results)))
    del log["version"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_cli_assert_site(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    proc = zcheck("verify", "tests/golden/cover_and_assert.zdl", "--depth", "6", "--format", "sarif", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    log = json.loads(out.read_text())
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    small = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "small")
    assert small["locations"][0]["physicalLocation"]["region"] == {"startLine": 13, "startColumn": 3}
    assert len(small["codeFlows"][0]["threadFlows"][0]["locations"]) == 5  # 4 steps and the failing site
