"""DBLP's search answers read as Metadata: one ``hit.info`` per paper, the answer's hit count,
and the pages of one query merged into one answer in DBLP's own shape (what the cache holds).

What the real responses look like (see the shared service-formats notes; all handled here):
``authors.author`` is a list, a bare object for one author, or missing; names carry homonym
numbers (``Xiaopeng Zhang 0009``); strings carry HTML entities (``&apos;``); titles end with
``.`` and older answers write ``:`` as `` - ``; ``venue`` may be an array; the proceedings
volume itself is listed as an ``Editorship`` hit; counts are strings; zero hits means no ``hit``
key at all.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .. import ids
from ..model import Kind, Metadata, Person, Provenance
from ..text import names
from ..text.titles import display_title

SERVICE = "dblp"

_HOMONYM = re.compile(r"\s+\d{4}$")
_TYPE_KIND: Mapping[str, Kind] = {
    "conference and workshop papers": Kind.PROCEEDINGS,
    "journal articles": Kind.JOURNAL,
    "informal publications": Kind.PREPRINT,
    "informal and other publications": Kind.PREPRINT,
    "parts in books or collections": Kind.CHAPTER,
}
_SKIP_TYPES = frozenset({"editorship"})


def _text(value: object) -> str:
    """DBLP strings with entities decoded; numbers arrive as strings, objects as ``{"text"}``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = value.get("text", "")
    return html.unescape(str(value)).strip()


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def split_name(name: str) -> Person:
    """``"Andrea C. Arpaci-Dusseau"`` -> given ``Andrea C.``, family ``Arpaci-Dusseau``.

    DBLP writes names in display order and marks namesakes with a 4-digit number, which is
    DBLP's bookkeeping, not part of the name: it goes, the rest is :func:`text.names.split_name`.
    """
    return names.split_name(_HOMONYM.sub("", html.unescape(name).strip()))


def as_int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _kind(type_label: str, key: str) -> Kind | None:
    if key.startswith("journals/corr/"):
        return Kind.PREPRINT  # CoRR is filed as a journal in older answers
    return _TYPE_KIND.get(type_label.strip().lower())


def hit_metadata(info: Mapping[str, object], fetched: str = "") -> Metadata | None:
    """One ``hit.info`` as Metadata, or None for hits that are not papers (Editorship)."""
    type_label = _text(info.get("type"))
    if type_label.lower() in _SKIP_TYPES:
        return None
    key = _text(info.get("key"))
    values: dict[str, Any] = {}
    title = display_title(_text(info.get("title")))
    if title:
        values["title"] = title
    authors = info.get("authors")
    people = [
        split_name(_text(a))
        for a in as_list(authors.get("author") if isinstance(authors, Mapping) else None)
    ]
    people = [p for p in people if p.family or p.literal]
    if people:
        values["author"] = people
    kind = _kind(type_label, key)
    if kind is not None:
        values["kind"] = kind
    venues = tuple(v for v in (_text(x) for x in as_list(info.get("venue"))) if v)
    if venues:
        values["container_short"] = venues[0]
    year = as_int(info.get("year"))
    if year is not None:
        values["year"] = year
    for src, dst in (("volume", "volume"), ("number", "issue"), ("pages", "pages")):
        text = _text(info.get(src))
        if text:
            values[dst] = text
    doi = ids.doi.parse(_text(info.get("doi")))
    if doi is not None:
        values["doi"] = doi.value
    ee = as_list(info.get("ee"))
    urls = [_text(e) for e in ee if _text(e)]
    if urls:
        values["url"] = urls[0]
    if key:
        values["dblp_key"] = key
    if kind is Kind.PREPRINT:
        arxiv = next((a for a in (ids.arxiv.from_url(u) for u in urls) if a is not None), None)
        volume = _text(info.get("volume"))
        if arxiv is None and volume.startswith("abs/"):
            arxiv = ids.arxiv.parse(volume[4:])
        if arxiv is not None:
            values["arxiv"] = arxiv.value
    return Metadata(Provenance(SERVICE, f"dblp:{key}" if key else "dblp", fetched), values, venues)


def parse_hits(data: object, fetched: str = "") -> list[Metadata]:
    """All paper hits of one DBLP search answer (a decoded dict, or the raw JSON body); ValueError
    when it is not a JSON object."""
    if isinstance(data, bytes | str):
        data = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    if not isinstance(data, Mapping):
        raise ValueError(f"a DBLP answer is a JSON object, not {type(data).__name__}")
    hits = hits_of(data)
    result: list[Metadata] = []
    for hit in as_list(hits.get("hit")):
        info = hit.get("info") if isinstance(hit, Mapping) else None
        if isinstance(info, Mapping):
            meta = hit_metadata(info, fetched)
            if meta is not None:
                result.append(meta)
    return result


def total_hits(data: Mapping[str, object]) -> int:
    """``hits.@total`` as an int (DBLP sends counts as strings); 0 when absent."""
    return as_int(hits_of(data).get("@total")) or 0


def hits_of(data: Mapping[str, object]) -> Mapping[str, object]:
    """``result.hits`` of an answer; {} when missing or not an object (a broken answer has no hits)."""
    result = data.get("result")
    hits = result.get("hits") if isinstance(result, Mapping) else None
    return hits if isinstance(hits, Mapping) else {}


def merge_pages(pages: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Several pages of one query as one answer in DBLP's shape, so the cache holds one entry."""
    hits: list[object] = []
    for page in pages:
        hits.extend(as_list(hits_of(page).get("hit")))
    first = pages[0]["result"] if pages else {}
    if not isinstance(first, Mapping):
        first = {}
    query, status = first.get("query", ""), first.get("status", {})
    total = total_hits(pages[0]) if pages else 0
    counts: dict[str, object] = {"@total": str(total), "@sent": str(len(hits)), "@first": "0"}
    if hits:
        counts["hit"] = hits
    return {"result": {"query": query, "status": status, "hits": counts}}
