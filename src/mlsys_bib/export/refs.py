"""Formatted reference lists per section (Markdown, HTML, plain text), rendered by pandoc's citeproc.

Each style renders the whole bibliography once (:mod:`.citeproc_pandoc`, one pandoc process per
style); the entries are then laid out per section in list order (IEEE, ACM: numbered afresh in
each section) or in the style's own order (APA: by author), and written as Markdown, HTML and
plain text from one sentinel text (:mod:`.markup_sentinels`): nothing from the data can become
markup. Links are live exactly where the style prints them; nothing is appended after an entry.

A renderer failure (pandoc missing, or exiting with an error) is recorded in the RefsReport and
every entry is still listed, unformatted, never silently left out. Rendered entries are
remembered in the build's cache (``memo``), so a rebuild in which nothing changed runs no pandoc.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from ..fsutil import atomic_write
from ..model import Record, Section
from ..styles import CSL_STYLES, csl_style
from . import citeproc_pandoc, manifest
from .csljson import csl_item
from .fields import bare_doi
from .latex import clean_text
from .markup_sentinels import (
    SENTINELS,
    _md_inline,  # noqa: F401  (linkify searches escaped text)
    md_escape,
    to_html,
    to_markdown,
    to_plain,
)
from .names import display_name, people

#: short name -> CSL style file (vendored in the package: the official files, byte for byte).
STYLES: dict[str, str] = {name: str(csl_style(name)) for name in CSL_STYLES}

FORMATS = ("md", "html", "txt")

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
    return one_per_target(links)


_Linked = TypeVar("_Linked", bound="_HasUrl")


class _HasUrl(Protocol):
    @property
    def url(self) -> str: ...


def one_per_target(links: Iterable[_Linked]) -> list[_Linked]:
    """``links`` without the empty ones and without repeats of a target, first one kept: a reader
    is shown each place once (refs' entries and the site's cards both use it)."""
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

# CSL variables the renderer does not need (notes are never printed by these styles).
_DROP_FOR_RENDERING = ("keyword", "note", "citation-key")


def _strip_sentinels(value: Any) -> Any:
    if isinstance(value, str):
        return SENTINELS.sub("", value)
    if isinstance(value, list):
        return [_strip_sentinels(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_sentinels(v) for k, v in value.items()}
    return value


def render_item(record: Record, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CSL item the renderer gets: the exported one, without what no style prints and with
    no character that could forge a markup sentinel."""
    item = {k: v for k, v in (base or csl_item(record)).items() if k not in _DROP_FOR_RENDERING}
    return _strip_sentinels(item)


def _fallback(record: Record) -> str:
    """A minimal entry for when the renderer fails: authors. title. venue, year."""
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
    label: str = ""  # "[3]" in numbered styles: renumbered per section file


def style_title(name: str) -> str:
    """The style's human title from its ``<info><title>``."""
    return clean_text(citeproc_pandoc.style_info(Path(STYLES[name]))[0], 200)


class RenderMemo(Protocol):
    """Where rendered entries are remembered between builds (the build uses the SQLite cache).

    A rebuild in which nothing changed must not start pandoc at all. Keys cover everything the
    rendering depends on: the style file, the pandoc version and every item of the bibliography.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, str]: ...

    def put_many(self, items: dict[str, str]) -> None: ...


_MEMO_FORMAT = "refs-memo-2"
_MEMO_SEP = "\x1f"


def style_fingerprint(name: str) -> str:
    """A hash of the style file and the pandoc version: part of every memo key."""
    digest = hashlib.sha256(Path(STYLES[name]).read_bytes())
    digest.update(f"\0{citeproc_pandoc.pandoc_version()}\0{_MEMO_FORMAT}".encode())
    return digest.hexdigest()


def _memo_keys(fingerprint: str, items: list[dict[str, Any]]) -> list[str]:
    """One key per entry, covering the style and the whole bibliography (an entry's text can
    depend on the others: APA's "2024a", the citation number)."""
    bodies = [json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for item in items]
    whole = hashlib.sha256("\n".join(bodies).encode()).hexdigest()
    return [hashlib.sha256(f"{fingerprint}\0{whole}\0{body}".encode()).hexdigest() for body in bodies]


def _render_styles(
    names: Sequence[str], records: Sequence[Record], memo: RenderMemo | None, bases: dict[str, dict[str, Any]]
) -> dict[str, tuple[dict[str, _Entry], dict[str, int], str]]:
    """:func:`render_style` for every style, the pandoc runs of the styles the memo lacks side by
    side (:func:`.citeproc_pandoc.render_many`); the memo is read and written here, in order."""
    planned = {}
    for name in names:
        items = [render_item(r, bases.get(r.key)) for r in records]
        keys = _memo_keys(style_fingerprint(name), items) if memo is not None else []
        remembered = memo.get_many(keys) if memo is not None else {}
        planned[name] = (items, keys, remembered)
    wanted = {
        name: (items, Path(STYLES[name]))
        for name, (items, keys, remembered) in planned.items()
        if memo is None or len(remembered) != len(keys)
    }
    fresh = citeproc_pandoc.render_many(wanted) if wanted else {}
    return {name: render_style(name, records, memo, bases, planned[name], fresh.get(name)) for name in names}


def render_style(
    name: str,
    records: Sequence[Record],
    memo: RenderMemo | None,
    bases: dict[str, dict[str, Any]],
    planned: tuple[list[dict[str, Any]], list[str], dict[str, str]] | None = None,
    fresh: list[citeproc_pandoc.Rendered] | citeproc_pandoc.RenderError | None = None,
) -> tuple[dict[str, _Entry], dict[str, int], str]:
    """Every record rendered by style ``name``: (entry per key, the style's rank per key, error).
    ``planned`` (items, memo keys, memo hits) and ``fresh`` (pandoc's answer) when already known."""
    if planned is None:
        items = [render_item(r, bases.get(r.key)) for r in records]
        fingerprint = style_fingerprint(name) if memo is not None else ""
        keys = _memo_keys(fingerprint, items) if memo is not None else []
        remembered = memo.get_many(keys) if memo is not None else {}
    else:
        items, keys, remembered = planned
    rendered: list[citeproc_pandoc.Rendered] = []
    error = ""
    if memo is not None and len(remembered) == len(keys):
        ranked = []
        for record, key in zip(records, keys, strict=True):
            position, label, text = remembered[key].split(_MEMO_SEP, 2)
            ranked.append((int(position), citeproc_pandoc.Rendered(record.key, label, text)))
        rendered = [r for _, r in sorted(ranked, key=lambda pair: pair[0])]
    else:
        try:
            if fresh is None:
                fresh = citeproc_pandoc.render_many({name: (items, Path(STYLES[name]))})[name]
            if isinstance(fresh, citeproc_pandoc.RenderError):
                raise fresh
            rendered = fresh
        except citeproc_pandoc.RenderError as exc:
            error = str(exc)
        found = {r.key: (n, r) for n, r in enumerate(rendered)}
        if memo is not None and found:
            memo.put_many({
                key: _MEMO_SEP.join((str(found[rec.key][0]), found[rec.key][1].label, found[rec.key][1].text))
                for rec, key in zip(records, keys, strict=True)
                if rec.key in found
            })  # fmt: skip
    by_record = {r.key: r for r in records}
    entries: dict[str, _Entry] = {}
    rank: dict[str, int] = {}
    for n, item in enumerate(rendered):
        record = by_record.get(item.key)
        if record is None or not to_plain(item.text).strip():
            continue
        text = clean_text(item.text, 100_000)
        entries[item.key] = _Entry(item.key, text, entry_links(record), True, item.label)
        rank[item.key] = n
    for record in records:
        if record.key not in entries:
            entries[record.key] = _Entry(record.key, _fallback(record), entry_links(record), False)
    return entries, rank, error


# -- files -------------------------------------------------------------------------------------------


def section_order(records: Sequence[Record], sections: Sequence[Section] | None) -> list[Section]:
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


def section_members(records: Sequence[Record], order: Sequence[Section]) -> dict[Section, list[Record]]:
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


#: Longest file name stem derived from a heading: file systems refuse names over 255 bytes (a
#: 249-character heading aborted a build half-way), and nobody reads one that long.
SLUG_MAX = 80


def _capped(slug: str) -> str:
    """``slug`` cut at a word boundary to SLUG_MAX, with a short hash of the whole so that two long
    headings that share a beginning still get two names."""
    if len(slug) <= SLUG_MAX:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    head = slug[: SLUG_MAX - 9]
    head = head.rsplit("-", 1)[0] if "-" in head[SLUG_MAX // 2 :] else head
    return f"{head.rstrip('-')}-{digest}"


def section_slugs(sections: Sequence[Section]) -> dict[Section, str]:
    """File names per section: Section.slug, capped, and unique: ``-2``, ``-3`` ... in section order,
    never a name already taken (``## A``, ``## A!``, ``## A 2`` once wrote ``a``, ``a-2``, ``a-2``)."""
    taken = {"index"}
    out: dict[Section, str] = {}
    for section in sections:
        base = _capped(section.slug)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[section] = slug
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


def html_anchor(link: Link, shown: str) -> str:
    return f'<a href="{html.escape(link.url, quote=True)}">{shown}</a>'


def html_text(text: str) -> str:
    return html.escape(text, quote=True)


def _labelled(label: str, text: str) -> str:
    return f"{label} {text}" if label else text


def md_entry(entry: _Entry) -> str:
    """One Markdown list item: the formatted entry, with the links it prints made live."""
    text, _ = linkify(to_markdown(entry.text), entry.links, _md_inline, _md_anchor)
    return "- " + _labelled(md_escape(entry.label), text)


def html_entry(entry: _Entry) -> str:
    """One HTML list item, built like :func:`md_entry`."""
    text, _ = linkify(to_html(entry.text), entry.links, html_text, html_anchor)
    cls = "csl-entry" if entry.formatted else "csl-entry unformatted"
    ident = html.escape("ref-" + entry.key, quote=True)
    return f'<li class="{cls}" id="{ident}">' + _labelled(html.escape(entry.label), text) + "</li>"


def txt_entry(entry: _Entry) -> str:
    """One plain-text entry, as the style prints it."""
    return _labelled(entry.label, to_plain(entry.text))


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

    Sections keep list order (or the order of ``sections``). Inside a section, entries keep list
    order in styles that number them as cited (IEEE, ACM: numbered afresh from [1] per file) and
    the style's order in sorted styles (APA: by author). Files an earlier run wrote (its manifest,
    :mod:`.manifest`, lists them) that this run did not (a renamed section) are removed from
    ``refs/<style>/``; any other file there is left alone.
    """
    with manifest.recording(out_dir):  # inside a build: the build's manifest, saved by the build
        return _write_refs(records, out_dir, styles=styles, sections=sections, memo=memo)


def _write_refs(
    records: Sequence[Record],
    out_dir: Path,
    *,
    styles: Sequence[str],
    sections: Sequence[Section] | None,
    memo: RenderMemo | None,
) -> RefsReport:
    report = RefsReport(root=Path(out_dir))
    order = section_order(records, sections)
    slugs = section_slugs(order)
    members = section_members(records, order)
    bases = {r.key: csl_item(r) for r in records}  # once per record, not per style
    in_sections = {r.key for s in order for r in members[s]}
    listed = [r for r in records if r.key in in_sections]

    for style_name in styles:
        if style_name not in STYLES:
            raise ValueError(f"unknown CSL style {style_name!r}; have {', '.join(sorted(STYLES))}")
    rendered_styles = _render_styles(list(dict.fromkeys(styles)), listed, memo, bases)
    for style_name in styles:
        entries, rank, error = rendered_styles[style_name]
        if error:
            report.failures.append(RefFailure(style_name, "*", error, [s.label for s in order]))
        sorted_style = citeproc_pandoc.style_info(Path(STYLES[style_name]))[1]
        label = style_title(style_name)
        style_dir = Path(out_dir) / "refs" / style_name
        for where in (style_dir.parent, style_dir):
            if where.is_symlink():  # the sweep below would delete what lives at the link's target
                raise ValueError(f"{where}: a symbolic link; refusing to write or delete files through it")
        rows: list[tuple[str, str, int]] = []
        total = 0
        for section in order:
            chosen = members[section]
            if sorted_style:
                chosen = sorted(chosen, key=lambda r: rank.get(r.key, len(rank)))
            section_entries = []
            for n, record in enumerate(chosen, 1):
                entry = entries[record.key]
                if citeproc_pandoc.is_numbered(entry.label):
                    entry = _Entry(entry.key, entry.text, entry.links, entry.formatted, f"[{n}]")
                section_entries.append(entry)
            total += len(section_entries)
            rows.append((clean_text(section.label, 300), slugs[section], len(section_entries)))
            for ext, text in _section_files(section, style_name, label, section_entries).items():
                path = style_dir / f"{slugs[section]}.{ext}"
                atomic_write(path, text)
                report.files.append(path)
        for ext, text in _index_files(style_name, label, rows).items():
            path = style_dir / f"index.{ext}"
            atomic_write(path, text)
            report.files.append(path)
        report.removed += manifest.sweep(style_dir)  # only what an earlier build listed as written
        report.entries[style_name] = total
    return report
