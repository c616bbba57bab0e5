"""The tags and text of an HTML report, for the tests that look inside one
(test_reports.py, test_lasso_output.py, test_notebook.py)."""

from __future__ import annotations

from html.parser import HTMLParser

Attrs = dict[str, str | None]


class Doc(HTMLParser):
    """Every start tag with its attributes, in order, and every text run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, Attrs]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, tag: str, cls: str) -> list[Attrs]:
        """The attributes of each `tag` whose class list holds `cls`."""
        return [a for t, a in self.tags if t == tag and cls in (a.get("class") or "").split()]


def parse(html: str) -> Doc:
    doc = Doc()
    doc.feed(html)
    doc.close()
    return doc
