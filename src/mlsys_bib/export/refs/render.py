"""Every record rendered by each CSL style, once, as sentinel text (:mod:`..markup_sentinels`).

One pandoc run per style renders the whole bibliography (:mod:`..citeproc_pandoc`); the styles
the memo lacks run side by side. Rendered entries are remembered in the build's cache (``memo``),
so a rebuild in which nothing changed runs no pandoc. A renderer failure (pandoc missing, or
exiting with an error) is returned with the entries, and every record still gets an entry:
a plain author/title/venue one, never silently left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from ...model import Record
from ...styles import CSL_STYLES, csl_style
from .. import citeproc_pandoc
from ..csljson import CslItem, csl_item
from ..latex import clean_text
from ..markup_sentinels import SENTINELS, to_plain
from ..names import display_name, people
from .links import Link, entry_links

#: short name -> CSL style file (vendored in the package: the official files, byte for byte).
STYLES: dict[str, str] = {name: str(csl_style(name)) for name in CSL_STYLES}


@dataclass
class Entry:
    """One record as a style prints it, before it is laid out in a section and written."""

    key: str
    text: str  # plain text with sentinels
    links: list[Link]
    formatted: bool  # False: the renderer failed and this is the plain fallback
    label: str = ""  # "[3]" in numbered styles: renumbered per section file


class StyleRendering(NamedTuple):
    """What one style made of the records: an entry per key, the style's rank per key (its own
    order, for sorted styles), and the renderer's error ("" when it ran)."""

    entries: dict[str, Entry]
    rank: dict[str, int]
    error: str


class RenderMemo(Protocol):
    """Where rendered entries are remembered between builds (the build uses the SQLite cache).

    A rebuild in which nothing changed must not start pandoc at all. Keys cover everything the
    rendering depends on: the style file, the pandoc version and every item of the bibliography.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, str]: ...

    def put_many(self, items: dict[str, str]) -> None: ...


class _Plan(NamedTuple):
    """A style's items, their memo keys, and what the memo already holds for them."""

    items: list[CslItem]
    keys: list[str]
    remembered: dict[str, str]


def style_title(name: str) -> str:
    """The style's human title from its ``<info><title>``."""
    return clean_text(citeproc_pandoc.style_info(Path(STYLES[name]))[0], 200)


def is_sorted(name: str) -> bool:
    """Whether the style orders its bibliography itself (APA: by author) rather than as cited."""
    return citeproc_pandoc.style_info(Path(STYLES[name]))[1]


# -- the items pandoc gets ---------------------------------------------------------------------------

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


def render_item(record: Record, base: CslItem | None = None) -> CslItem:
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


# -- the memo ----------------------------------------------------------------------------------------

_MEMO_FORMAT = "refs-memo-2"
_MEMO_SEP = "\x1f"


def style_fingerprint(name: str) -> str:
    """A hash of the style file and the pandoc version: part of every memo key."""
    digest = hashlib.sha256(Path(STYLES[name]).read_bytes())
    digest.update(f"\0{citeproc_pandoc.pandoc_version()}\0{_MEMO_FORMAT}".encode())
    return digest.hexdigest()


def _memo_keys(fingerprint: str, items: list[CslItem]) -> list[str]:
    """One key per entry, covering the style and the whole bibliography (an entry's text can
    depend on the others: APA's "2024a", the citation number)."""
    bodies = [json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for item in items]
    whole = hashlib.sha256("\n".join(bodies).encode()).hexdigest()
    return [hashlib.sha256(f"{fingerprint}\0{whole}\0{body}".encode()).hexdigest() for body in bodies]


def _plan(name: str, records: Sequence[Record], memo: RenderMemo | None, bases: dict[str, CslItem]) -> _Plan:
    items = [render_item(r, bases.get(r.key)) for r in records]
    if memo is None:
        return _Plan(items, [], {})
    keys = _memo_keys(style_fingerprint(name), items)
    return _Plan(items, keys, memo.get_many(keys))


def _recalled(records: Sequence[Record], plan: _Plan) -> list[citeproc_pandoc.Rendered]:
    """The style's entries from the memo, in the style's order."""
    ranked = []
    for record, key in zip(records, plan.keys, strict=True):
        position, label, text = plan.remembered[key].split(_MEMO_SEP, 2)
        ranked.append((int(position), citeproc_pandoc.Rendered(record.key, label, text)))
    return [r for _, r in sorted(ranked, key=lambda pair: pair[0])]


def _remember(
    memo: RenderMemo, records: Sequence[Record], plan: _Plan, rendered: list[citeproc_pandoc.Rendered]
) -> None:
    found = {r.key: (n, r) for n, r in enumerate(rendered)}
    if not found:
        return
    memo.put_many({
        key: _MEMO_SEP.join((str(found[rec.key][0]), found[rec.key][1].label, found[rec.key][1].text))
        for rec, key in zip(records, plan.keys, strict=True)
        if rec.key in found
    })  # fmt: skip


# -- rendering ---------------------------------------------------------------------------------------


def render_styles(
    names: Sequence[str], records: Sequence[Record], memo: RenderMemo | None, bases: dict[str, CslItem]
) -> dict[str, StyleRendering]:
    """:func:`render_style` for every style, the pandoc runs of the styles the memo lacks side by
    side (:func:`..citeproc_pandoc.render_many`); the memo is read and written here, in order."""
    planned = {name: _plan(name, records, memo, bases) for name in names}
    wanted: dict[str, tuple[Sequence[CslItem], Path]] = {
        name: (plan.items, Path(STYLES[name]))
        for name, plan in planned.items()
        if memo is None or len(plan.remembered) != len(plan.keys)
    }
    fresh = citeproc_pandoc.render_many(wanted) if wanted else {}
    return {name: render_style(name, records, memo, bases, planned[name], fresh.get(name)) for name in names}


def render_style(
    name: str,
    records: Sequence[Record],
    memo: RenderMemo | None,
    bases: dict[str, CslItem],
    planned: _Plan | None = None,
    fresh: list[citeproc_pandoc.Rendered] | citeproc_pandoc.RenderError | None = None,
) -> StyleRendering:
    """Every record rendered by style ``name``: (entry per key, the style's rank per key, error).
    ``planned`` (items, memo keys, memo hits) and ``fresh`` (pandoc's answer) when already known."""
    plan = planned if planned is not None else _plan(name, records, memo, bases)
    rendered: list[citeproc_pandoc.Rendered] = []
    error = ""
    if memo is not None and len(plan.remembered) == len(plan.keys):
        rendered = _recalled(records, plan)
    else:
        try:
            if fresh is None:
                fresh = citeproc_pandoc.render_many({name: (plan.items, Path(STYLES[name]))})[name]
            if isinstance(fresh, citeproc_pandoc.RenderError):
                raise fresh
            rendered = fresh
        except citeproc_pandoc.RenderError as exc:
            error = str(exc)
        if memo is not None:
            _remember(memo, records, plan, rendered)
    by_record = {r.key: r for r in records}
    entries: dict[str, Entry] = {}
    rank: dict[str, int] = {}
    for n, item in enumerate(rendered):
        record = by_record.get(item.key)
        if record is None or not to_plain(item.text).strip():
            continue
        text = clean_text(item.text, 100_000)
        entries[item.key] = Entry(item.key, text, entry_links(record), True, item.label)
        rank[item.key] = n
    for record in records:
        if record.key not in entries:
            entries[record.key] = Entry(record.key, _fallback(record), entry_links(record), False)
    return StyleRendering(entries, rank, error)
