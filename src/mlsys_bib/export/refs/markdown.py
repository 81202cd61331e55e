"""Reference lists as Markdown: CommonMark that renders to exactly the style's text, links live."""

from __future__ import annotations

from collections.abc import Sequence

from ..markup_sentinels import _md_inline, md_escape, to_markdown
from .layout import SectionPage, StyleNames, labelled
from .links import Link, linkify
from .render import Entry


def _anchor(link: Link, shown: str) -> str:
    return f"[{shown}]({link.url})"


class Markdown:
    """``<slug>.md`` per section and ``index.md`` linking them."""

    ext = "md"

    def entry(self, entry: Entry) -> str:
        """One Markdown list item: the formatted entry, with the links it prints made live."""
        # links are searched in escaped text, as the output shows them
        text, _ = linkify(to_markdown(entry.text), entry.links, _md_inline, _anchor)
        return "- " + labelled(md_escape(entry.label), text)

    def section_file(self, page: SectionPage) -> str:
        style = page.style
        summary = f"{md_escape(style.title)} ({md_escape(style.name)}), {page.count}."
        lines = [f"# {md_escape(page.label)}", "", summary, ""]
        lines += [self.entry(entry) for entry in page.entries]
        return "\n".join(lines) + "\n"

    def index_file(self, style: StyleNames, pages: Sequence[SectionPage]) -> str | None:
        lines = [f"# References: {md_escape(style.title)} ({md_escape(style.name)})", ""]
        lines += [f"- [{md_escape(page.label)}]({page.slug}.md) ({len(page.entries)})" for page in pages]
        return "\n".join(lines) + "\n"


MARKDOWN = Markdown()
