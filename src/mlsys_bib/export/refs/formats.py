"""The output formats of reference lists, in one table: a new format is one module and one row.

Every format writes one file per section and, where it can link them, an index; the layout
(:mod:`.layout`) and the rendered entries (:mod:`.render`) are the same for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .html import HTML
from .layout import SectionPage, StyleNames
from .markdown import MARKDOWN
from .render import Entry
from .text import TEXT


class RefsFormat(Protocol):
    """One output format: its file extension and how it writes an entry, a section, the index."""

    ext: str

    def entry(self, entry: Entry) -> str:
        """One entry, its printed links made live where the format has links."""
        ...

    def section_file(self, page: SectionPage) -> str:
        """The whole file of one section's list."""
        ...

    def index_file(self, style: StyleNames, pages: Sequence[SectionPage]) -> str | None:
        """The file that lists a style's sections, or None when the format has none."""
        ...


#: extension -> format, in the order the files are written.
FORMATS: dict[str, RefsFormat] = {f.ext: f for f in (MARKDOWN, HTML, TEXT)}
