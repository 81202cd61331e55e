"""Reference lists as plain text: the style's words without markup, one blank line per entry."""

from __future__ import annotations

from collections.abc import Sequence

from ..markup_sentinels import to_plain
from .layout import SectionPage, StyleNames, labelled
from .render import Entry


class Text:
    """``<slug>.txt`` per section; no index (a text file cannot link the others)."""

    ext = "txt"

    def entry(self, entry: Entry) -> str:
        """One plain-text entry, as the style prints it."""
        return labelled(entry.label, to_plain(entry.text))

    def section_file(self, page: SectionPage) -> str:
        style = page.style
        lines = [page.label, f"{style.title} ({style.name}), {page.count}.", ""]
        for entry in page.entries:
            lines += [self.entry(entry), ""]
        return "\n".join(lines)

    def index_file(self, style: StyleNames, pages: Sequence[SectionPage]) -> str | None:
        return None


TEXT = Text()
