"""The Python API and its notebook display (issue 19): `zcheck.verify` on a path, a
bundled name and text; results, verdicts and counterexamples that render themselves as
the HTML and Markdown reports; the HTML valid, self-contained and escaped; docs/api.md's
example run as written.

Validity: the HTML is parsed by html5lib in strict mode. html5lib implements the WHATWG
parsing algorithm that browsers (and Jupyter's page) use, and `strict=True` turns each
parse error the standard defines — a misnested or unclosed element, a stray end tag, a
bad attribute, a `<` that starts no tag — into an exception, where a browser would guess.
The standard library's html.parser checks none of that (it reports tags as it sees them,
balanced or not), so it is used here only to list the tags and attributes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import html5lib
import pytest
from html_doc import parse

import zcheck
from zcheck.diagnostics import DiagnosticError
from zcheck.notebook import SCOPE, Verification, scoped

ROOT = Path(__file__).resolve().parent.parent
SEED = "models/zone_device_max_pfn.zdl"
PROPS = ["device_above_max_pfn", "device_not_allocatable"]

HOSTILE = """// hostile <script>alert("header")</script> model & co
// second line </pre><img src=x onerror=alert(1)> <style>body{display:none}</style>
model hostile_model
enum kind_t { NONE, RAM }
var top: int = 0
var kind: map[int] kind_t = NONE
action add(start: int) {   // <script>alert("action")</script>
  require start >= 0 && start < 8
  kind[start .. start + 1] := RAM
  top := max(top, start + 1)
}
invariant below: forall p: int :: kind[p] == RAM -> p < 3   // </style><script>evil()</script> "q" 'r'
"""

URL_ATTRIBUTES = {"src", "href", "action", "formaction", "data", "poster", "background", "srcset", "ping"}


@pytest.fixture(scope="module")
def seed() -> Verification:
    return zcheck.verify(SEED, depth=3, properties=PROPS)


def _valid_fragment(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Parse strictly (raises on any parse error); return its tags, checked to load nothing."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(html)
    p = parse(html)
    for tag, attrs in p.tags:
        assert tag not in ("script", "link", "iframe", "img", "object", "embed", "base", "meta", "frame"), tag
        assert not {a for a in attrs if a.startswith("on")}, (tag, attrs)  # no event handlers
        assert not URL_ATTRIBUTES & set(attrs), (tag, attrs)
        for name, value in attrs.items():
            if name == "xmlns":  # the SVG namespace: a name, not something fetched
                assert value == "http://www.w3.org/2000/svg"
            else:
                assert "://" not in (value or ""), (tag, name, value)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    for css in styles:
        assert "url(" not in css and "@import" not in css
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", html)
    return p.tags


@pytest.mark.parametrize("bad", ["<div><span></div></span>", "<div>a < b</div>", "<div>unclosed",
                                 "<div><script>x</script></div>", '<a href="https://x.org">x</a>',
                                 '<div style="background:url(http://x.org/i.png)"></div>', "<b onclick=x>y</b>"])
def test_the_check_rejects_what_it_must(bad: str) -> None:
    with pytest.raises((AssertionError, html5lib.html5parser.ParseError)):
        _valid_fragment(bad)


# ---------------------------------------------------------------- the API


def test_verify_a_path(seed: Verification) -> None:
    assert [(v.name, v.verdict, v.depth) for v in seed] == [("device_above_max_pfn", "violated", 2),
                                                            ("device_not_allocatable", "proved", None)]
    assert len(seed) == 2 and seed.summary == "1 violated, 1 proved"
    assert seed["device_above_max_pfn"].counterexample is not None
    assert seed["device_not_allocatable"].counterexample is None
    assert str(seed).splitlines()[0].startswith(f"zcheck {zcheck.__version__}: {SEED}, engine auto")
    with pytest.raises(KeyError):
        seed["no_such_property"]
    assert repr(seed) == "<Verification of zone_device_max_pfn: 1 violated, 1 proved>"  # not the whole system
    assert repr(seed["device_above_max_pfn"]) == "<Verdict VIOLATED device_above_max_pfn at depth 2>"
    assert repr(seed["device_above_max_pfn"].counterexample) == \
        "<Counterexample of device_above_max_pfn: VIOLATED, 2 steps>"


def test_verify_a_bundled_model_by_name_and_a_path_object_alike(seed: Verification) -> None:
    by_name = zcheck.verify("zone_device_max_pfn", depth=3, properties=PROPS)
    by_path = zcheck.verify(ROOT / SEED, depth=3, properties=PROPS)
    def steps(r: Verification) -> list[tuple[str, object]]:
        trace = r["device_above_max_pfn"].counterexample.trace  # type: ignore[union-attr]
        return [(s.transition, s.params) for s in trace.steps]

    for other in (by_name, by_path):
        assert [(v.name, v.verdict, v.depth) for v in other] == [(v.name, v.verdict, v.depth) for v in seed]
        assert steps(other) == steps(seed)
    assert str(by_name).splitlines()[0].startswith(f"zcheck {zcheck.__version__}: zone_device_max_pfn, ")


def test_verify_text_with_defines_and_an_engine() -> None:
    text = "model c\nconst LIMIT: int = 3\nvar x: int = 0\naction inc() { require x < LIMIT; x := x + 1 }\n" \
           "invariant small: x < 4\n"
    assert zcheck.verify(text, engine="bmc", depth=6)["small"].verdict == "holds"
    assert zcheck.verify(text, defines={"LIMIT": 5}, engine="bmc", depth=6)["small"].verdict == "violated"


def test_bad_input_raises_the_diagnostics() -> None:
    with pytest.raises(DiagnosticError) as err:
        zcheck.verify("model broken\nvar x: int = \n")
    assert err.value.diagnostics[0].code.startswith("ZC")
    with pytest.raises(DiagnosticError):
        zcheck.verify("models/no_such_model.zdl")


def test_importing_zcheck_loads_no_solver() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, zcheck; print(any(m == 'z3' or m.startswith('z3.') "
                           "or m.startswith('zcheck.') for m in sys.modules))"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "False", done.stderr


# ---------------------------------------------------------------- the display


def test_the_html_is_the_reports_and_valid(seed: Verification) -> None:
    html = seed._repr_html_()
    tags = _valid_fragment(html)
    assert html.startswith(f'<div class="{SCOPE}">') and html.endswith("</div>")
    report = subprocess.run([sys.executable, "-m", "zcheck", "verify", SEED, "--depth", "3", "-p", PROPS[0], "-p",
                             PROPS[1], "--format", "html"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    body = report.stdout[report.stdout.index("<body>") + len("<body>"):report.stdout.rindex("</body>")].strip("\n")
    assert body in html  # the same content as `zcheck verify --format html`
    assert sum(1 for t, _ in tags if t == "svg") >= 1 and sum(1 for t, _ in tags if t == "style") == 1


def test_the_markdown_is_the_report(seed: Verification) -> None:
    report = subprocess.run([sys.executable, "-m", "zcheck", "verify", SEED, "--depth", "3", "-p", PROPS[0], "-p",
                             PROPS[1], "--format", "markdown"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert seed._repr_markdown_() == report.stdout


def test_verdicts_and_counterexamples_render_themselves(seed: Verification) -> None:
    bug, proof = seed["device_above_max_pfn"], seed["device_not_allocatable"]
    for shown in (bug._repr_html_(), proof._repr_html_(), bug.counterexample._repr_html_()):  # type: ignore[union-attr]
        _valid_fragment(shown)
    assert "VIOLATED" in bug._repr_html_() and "<svg" in bug._repr_html_()
    assert "PROVED" in proof._repr_html_() and "<svg" not in proof._repr_html_()
    assert bug.counterexample._repr_markdown_().startswith("## device_above_max_pfn: VIOLATED at depth 2")  # type: ignore[union-attr]
    assert proof._repr_markdown_().startswith("**PROVED** `device_not_allocatable` by k-induction, k = 1, with lemmas allocatable\\_is")


def test_the_style_sheet_touches_nothing_outside_the_result() -> None:
    css = scoped("body { margin: 2em; }\ntable.lanes td.idle, pre { color: #888; }\n")
    selectors = [s.strip() for rule in re.findall(r"([^{}]+)\{", css) for s in rule.split(",")]
    assert selectors == [f".{SCOPE}", f".{SCOPE} table.lanes td.idle", f".{SCOPE} pre"]


def test_hostile_text_is_escaped_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / '<img src=x onerror=alert("dir")>'
    folder.mkdir()
    model = folder / "m.zdl"
    model.write_text(HOSTILE)
    result = zcheck.verify(str(model), depth=4)
    for shown in (result._repr_html_(), result["below"]._repr_html_()):
        _valid_fragment(shown)
        assert "<script" not in shown.lower() and "<img" not in shown.lower()
        assert "display:none" not in re.sub(r"&[a-z]+;", "", "".join(re.findall(r"<style>(.*?)</style>", shown, re.S)))
    html = result._repr_html_()
    assert "&lt;img src=x onerror=alert(&quot;dir&quot;)&gt;" in html  # the path, in the header line
    assert "&lt;/style&gt;&lt;script&gt;evil()&lt;/script&gt;" in html  # the property's line, highlighted


def test_the_example_in_docs_api_md_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out
    assert "1 violated, 1 proved" in printed and "['add_dev', 'add_ram']" in printed
    shown = [line.removeprefix("# ") for line in blocks[1].splitlines() if line.startswith("# ")]
    assert "\n".join(shown) in printed  # the output the doc shows is what it prints
