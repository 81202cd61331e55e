"""Reference lists as HTML pages: every character escaped, no script, links live where printed."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..markup_sentinels import to_html
from .layout import SectionPage, StyleNames, labelled
from .links import Link, linkify
from .render import Entry

# The pages need no script, no image, nothing from elsewhere: a browser is told so.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def html_anchor(link: Link, shown: str) -> str:
    """An HTML link to ``link`` showing ``shown`` (already escaped): the site's cards use it too."""
    return f'<a href="{html.escape(link.url, quote=True)}">{shown}</a>'


def html_text(text: str) -> str:
    """``text`` escaped for HTML content and attributes."""
    return html.escape(text, quote=True)


def _page(title: str, body: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{html.escape(title)}</title>",
        "</head>",
        "<body>",
    ]
    return "\n".join(head + body + ["</body>", "</html>", ""])


class Html:
    """``<slug>.html`` per section and ``index.html`` linking them."""

    ext = "html"

    def entry(self, entry: Entry) -> str:
        """One HTML list item, built like the Markdown one."""
        text, _ = linkify(to_html(entry.text), entry.links, html_text, html_anchor)
        cls = "csl-entry" if entry.formatted else "csl-entry unformatted"
        ident = html.escape("ref-" + entry.key, quote=True)
        return f'<li class="{cls}" id="{ident}">' + labelled(html.escape(entry.label), text) + "</li>"

    def section_file(self, page: SectionPage) -> str:
        style = page.style
        body = [
            f"<h1>{html.escape(page.label)}</h1>",
            f"<p>{html.escape(style.title)} ({html.escape(style.name)}), {page.count}.</p>",
            '<ul class="csl-bibliography">',
        ]
        body += [self.entry(entry) for entry in page.entries]
        body.append("</ul>")
        return _page(f"{page.label} - {style.title}", body)

    def index_file(self, style: StyleNames, pages: Sequence[SectionPage]) -> str | None:
        body = [f"<h1>References: {html.escape(style.title)} ({html.escape(style.name)})</h1>", "<ul>"]
        for page in pages:
            href = html.escape(page.slug, quote=True)
            body.append(f'<li><a href="{href}.html">{html.escape(page.label)}</a> ({len(page.entries)})</li>')
        body.append("</ul>")
        return _page(f"References - {style.title}", body)


HTML = Html()
