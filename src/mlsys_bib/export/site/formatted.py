"""Formatted references for the site, per style, as inert HTML fragments.

The one place the site uses the reference-list renderer (export/refs.py, its public helpers): the same
pandoc-citeproc rendering, the same memo (a build that already rendered the styles for refs/
starts no pandoc here), the same escaping and link detection. Only the wrapping differs: the
site shows cards, not ``<li>`` bullets, and drops the style's citation number (a number is
meaningless on a page that lists every paper once per section and can be filtered).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...model import Record, Section
from .. import refs
from ..csljson import csl_item
from ..markup_sentinels import to_html

#: The inline style the shared HTML markup uses for small capitals, and the class that replaces it:
#: the site's CSP forbids inline styles (the browser would refuse them and log an error).
_INLINE_SMALL_CAPS = '<span style="font-variant:small-caps">'
_CLASS_SMALL_CAPS = '<span class="sc">'


def fragment(entry: Any) -> str:
    """One rendered entry as HTML: every character escaped, printed links made live."""
    text, _ = refs.linkify(to_html(entry.text), entry.links, refs.html_text, refs.html_anchor)
    return text.replace(_INLINE_SMALL_CAPS, _CLASS_SMALL_CAPS)


def render_styles(
    records: Sequence[Record], styles: Sequence[str], memo: Any = None
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """({style: {key: html}}, {style: error}) for every record; failures fall back to the plain
    author/title/venue text refs/ uses, so no paper is ever missing from the site."""
    bases = {r.key: csl_item(r) for r in records}
    out: dict[str, dict[str, str]] = {}
    errors: dict[str, str] = {}
    for style in styles:
        entries, _rank, error = refs.render_style(style, records, memo, bases)
        if error:
            errors[style] = error
        out[style] = {key: fragment(entry) for key, entry in entries.items()}
    return out, errors


def sections_in_order(
    records: Sequence[Record],
) -> tuple[list[Section], dict[Section, str], dict[Section, list[Record]]]:
    """The list's sections in list order, their file-name slugs (the same as refs/ uses) and each
    section's records in the order the list shows them there."""
    order = refs.section_order(records, None)
    return order, refs.section_slugs(order), refs.section_members(records, order)


def style_label(style: str) -> str:
    """The short name the switch shows: APA, IEEE, ACM."""
    return style.upper()
