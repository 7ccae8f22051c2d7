"""Parse an HTML page into its start tags (with attributes) and text, for structural checks of rendered reports."""

from __future__ import annotations

from html.parser import HTMLParser


class Collect(HTMLParser):
    """Every start tag as ``(tag, attrs)`` and every text node, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Collect:
    """Parse ``html`` and return what it holds."""
    parser = Collect()
    parser.feed(html)
    return parser
