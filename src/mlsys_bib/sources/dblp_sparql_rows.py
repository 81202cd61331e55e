"""DBLP's SPARQL answers read: the JSON result's bindings as plain rows grouped by what was asked
(a CoRR record, a TOC, a stream lookup), and one Metadata per publication of those rows (one row
per author, authors in DBLP's order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import ids
from ..model import Kind, Metadata, Provenance
from ..text.titles import display_title
from .dblp_hits import split_name
from .dblp_sparql_queries import DB, REC, arxiv_of_corr

_BIBTEX = "http://purl.org/net/nknouf/ns/bibtex#"
#: dblp:bibtexType -> our kind; an Article in CoRR is a preprint (see :func:`_kind`).
TYPE_KIND: Mapping[str, Kind] = {
    "Inproceedings": Kind.PROCEEDINGS,
    "Article": Kind.JOURNAL,
    "Incollection": Kind.CHAPTER,
}
#: The variables of a binding that are read (the groups asked by, then the publication's fields).
VARIABLES = (
    "want",
    "toc",
    "corr",
    "pub",
    "title",
    "year",
    "type",
    "venue",
    "pages",
    "doi",
    "volume",
    "number",
    "ee",
    "ordinal",
    "name",
)


def _value(binding: Mapping[str, object], name: str) -> str:
    cell = binding.get(name)
    return str(cell.get("value", "")).strip() if isinstance(cell, Mapping) else ""


def _kind(type_iri: str, venue: str) -> Kind | None:
    if venue == "CoRR":
        return Kind.PREPRINT
    return TYPE_KIND.get(type_iri.removeprefix(_BIBTEX))


def rows_by(data: Mapping[str, object], group: str) -> dict[str, list[dict[str, str]]]:
    """The answer's bindings as plain rows, grouped by ``group`` (the CoRR record's key, or the
    TOC's); raises ValueError when the answer is not a SPARQL JSON result."""
    results = data.get("results")
    bindings = results.get("bindings") if isinstance(results, Mapping) else None
    if not isinstance(bindings, list):
        raise ValueError("answer has no results.bindings list")
    grouped: dict[str, list[dict[str, str]]] = {}
    for binding in bindings:
        if not isinstance(binding, Mapping):
            continue
        row = {name: _value(binding, name) for name in VARIABLES if _value(binding, name)}
        owner = row.get(group, "").removeprefix(REC).removeprefix(DB)
        if owner:
            grouped.setdefault(owner, []).append(row)
    return grouped


def candidates(rows: Sequence[Mapping[str, str]], fetched: str = "") -> list[Metadata]:
    """One Metadata per publication in ``rows`` (one row per author), authors in DBLP's order."""
    by_pub: dict[str, list[Mapping[str, str]]] = {}
    for row in rows:
        if row.get("pub"):
            by_pub.setdefault(row["pub"], []).append(row)
    result = []
    for pub, pub_rows in sorted(by_pub.items()):
        first = pub_rows[0]
        if first.get("type", "").removeprefix(_BIBTEX) == "Proceedings":
            continue  # the volume itself, listed on its own TOC page
        key = pub.removeprefix(REC)
        venue = first.get("venue", "")
        values: dict[str, Any] = {"dblp_key": key}
        title = display_title(first.get("title", ""))
        if title:
            values["title"] = title
        ordered = sorted(pub_rows, key=lambda r: int(r["ordinal"]) if r.get("ordinal", "").isdigit() else 0)
        people = [
            split_name(r["name"])
            for r in dict((r.get("ordinal"), r) for r in ordered if r.get("name")).values()
        ]
        people = [p for p in people if p.family or p.literal]
        if people:
            values["author"] = people
        kind = _kind(first.get("type", ""), venue)
        if kind is not None:
            values["kind"] = kind
        if venue:
            values["container_short"] = venue
        year = first.get("year", "")[:4]
        if year.isdigit():
            values["year"] = int(year)
        for src, dst in (("volume", "volume"), ("number", "issue"), ("pages", "pages")):
            if first.get(src):
                values[dst] = first[src]
        if first.get("ee"):
            values["url"] = first["ee"]
        doi = ids.doi.parse(first.get("doi", ""))
        if doi is not None and kind is not Kind.PREPRINT:
            values["doi"] = doi.value
        arxiv = arxiv_of_corr(key) if kind is Kind.PREPRINT else None
        if arxiv is not None:
            values["arxiv"] = arxiv
        result.append(Metadata(Provenance("dblp", f"dblp:{key}", fetched), values, (venue,) if venue else ()))
    return result
