"""Rendered text with markup sentinels, and its three output forms (plain, HTML, Markdown).

The renderer marks italics, bold and the rest with private-use characters instead of markup; each
output format escapes *all* of the text once and only then turns the sentinels into its own tags.
So one rendering feeds every format, and nothing from the data can become markup in any of them.
"""

from __future__ import annotations

import html
import re

# Private-use characters that stand for markup between the renderer and the output formats;
# removed from the data before rendering so no value can forge them.
MARKS = {
    "i": ("\ue000", "\ue001"),
    "b": ("\ue002", "\ue003"),
    "sup": ("\ue004", "\ue005"),
    "sub": ("\ue006", "\ue007"),
    "sc": ("\ue008", "\ue009"),
    "u": ("\ue00a", "\ue00b"),
}
SENTINELS = re.compile("[\ue000-\ue00b]")


_HTML_TAGS = {
    "i": ("<i>", "</i>"),
    "b": ("<b>", "</b>"),
    "sup": ("<sup>", "</sup>"),
    "sub": ("<sub>", "</sub>"),
    "sc": ('<span style="font-variant:small-caps">', "</span>"),
    "u": ("<u>", "</u>"),
}
_MD_TAGS = {
    "i": ("*", "*"),
    "b": ("**", "**"),
    "sup": ("<sup>", "</sup>"),
    "sub": ("<sub>", "</sub>"),
    "sc": ("", ""),
    "u": ("", ""),
}


def _drop_empty_marks(text: str) -> str:
    for open_, close in MARKS.values():
        text = text.replace(open_ + close, "")
    return text


def to_plain(text: str) -> str:
    """Rendered text without any markup."""
    return SENTINELS.sub("", text)


def to_html(text: str) -> str:
    """Rendered text as HTML: every character escaped, then the sentinels become tags."""
    out = html.escape(_drop_empty_marks(text), quote=True)
    for kind, (open_, close) in MARKS.items():
        out = out.replace(open_, _HTML_TAGS[kind][0]).replace(close, _HTML_TAGS[kind][1])
    return out


# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# markup inline (emphasis, links, code, raw HTML, entities, GFM strikethrough/tables, math, refs).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&$|~#!])")
# At the start of a line these begin blocks (lists, quotes, headings, thematic breaks).
_MD_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d{1,9}(?=[.)]))")


def _md_inline(text: str) -> str:
    return _MD_INLINE.sub(r"\\\1", text)


def md_escape(text: str) -> str:
    """Plain text as Markdown that renders to exactly that text (no markup from data)."""
    escaped = _md_inline(text)

    def block(match: re.Match[str]) -> str:
        lead, mark = match.group(1), match.group(2)
        return lead + (mark + "\\" if mark[0].isdigit() else "\\" + mark)

    return _MD_BLOCK_START.sub(block, escaped, count=1)


def to_markdown(text: str) -> str:
    """Rendered text as Markdown: everything escaped, then sentinels become ``*``/``**``.

    Emphasis delimiters must touch non-space text to count, so spaces just inside a marked run
    are moved outside it.
    """
    text = _drop_empty_marks(text)
    for open_, close in MARKS.values():
        text = re.sub(f"{open_}(\\s+)", "\\g<1>" + open_, text)  # the spaces, then the mark
        text = re.sub(f"(\\s+){close}", close + "\\g<1>", text)
    text = _drop_empty_marks(text)
    out = md_escape(text)
    for kind, (open_, close) in MARKS.items():
        out = out.replace(open_, _MD_TAGS[kind][0]).replace(close, _MD_TAGS[kind][1])
    return out
