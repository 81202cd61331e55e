"""Formatted reference lists per section (Markdown, HTML, plain text), rendered by pandoc's citeproc.

Each style renders the whole bibliography (:mod:`.render`: one pandoc run per style, or past
1,500 entries several runs that print what one run prints, :mod:`..citeproc_runs`); the entries
are then laid out per section (:mod:`.layout`) in list order (IEEE, ACM: numbered
afresh in each section) or in the style's own order (APA: by author), and written by each format
of the table in :mod:`.formats` (:mod:`.markdown`, :mod:`.html`, :mod:`.text`) from one sentinel
text (:mod:`..markup_sentinels`): nothing from the data can become markup. Links are live exactly
where the style prints them (:mod:`.links`); nothing is appended after an entry. :mod:`.files`
writes them all and sweeps what an earlier build wrote and this one did not.

A renderer failure (pandoc missing, or exiting with an error) is recorded in the RefsReport and
every entry is still listed, unformatted, never silently left out. Rendered entries are
remembered in the build's cache (``memo``), so a rebuild in which nothing changed runs no pandoc.
"""

from .files import RefFailure, RefsReport, RefsSummary, write_refs
from .formats import FORMATS, RefsFormat
from .html import html_anchor, html_text
from .layout import SLUG_MAX, section_members, section_order, section_slugs
from .links import Link, entry_links, linkify, one_per_target, safe_url
from .render import STYLES, Entry, RenderMemo, StyleRendering, render_item, render_style, style_fingerprint

__all__ = [
    "FORMATS",
    "SLUG_MAX",
    "STYLES",
    "Entry",
    "Link",
    "RefFailure",
    "RefsFormat",
    "RefsReport",
    "RefsSummary",
    "RenderMemo",
    "StyleRendering",
    "entry_links",
    "html_anchor",
    "html_text",
    "linkify",
    "one_per_target",
    "render_item",
    "render_style",
    "safe_url",
    "section_members",
    "section_order",
    "section_slugs",
    "style_fingerprint",
    "write_refs",
]
