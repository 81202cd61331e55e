"""What the site shows of one paper, and how it is searched and filtered.

Everything here is plain data (no HTML): the page module escapes it, the index module turns it
into the search index. Badges come from the list's own tag first (the curated venue), then from
the resolved metadata.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...model import Kind, Record
from ..fields import bare_doi
from ..latex import clean_text
from ..names import display_name, people
from ..refs import one_per_target, safe_url

#: The kinds a paper can be filtered by, in the order the filter lists them.
KINDS = ("published", "preprint", "workshop", "survey")


@dataclass(frozen=True)
class SiteLink:
    label: str  # "paper", "arXiv", "DOI", "code", "slides", ...
    url: str  # already safe (http/https, percent-encoded)


@dataclass
class SitePaper:
    key: str
    title: str
    authors: list[str]
    aliases: list[str]
    venue: str
    year: int | None
    kinds: list[str]
    links: list[SiteLink]
    sections: list[int] = field(default_factory=list)  # indexes into the site's section list
    published: str = ""  # "arXiv'24 → ICLR 2025" when the resolver found it published since

    def search_text(self) -> str:
        """What a query is matched against: title, authors, aliases, key and venue, folded."""
        return fold(" ".join([self.title, *self.authors, *self.aliases, self.key, self.venue]))


def fold(text: str) -> str:
    """Lower case without accents and with runs of spaces collapsed (site.js folds queries the same way)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def _year(record: Record) -> int | None:
    for value in (record.get("year"), record.tag.year if record.tag else None):
        try:
            year = int(str(value)[:4]) if value not in (None, "") else None
        except ValueError:
            year = None
        if year:
            return year
    return None


def _venue(record: Record) -> str:
    tag = record.tag
    if tag is not None and tag.venue and not tag.is_preprint:
        return clean_text(tag.venue, 60)
    short = clean_text(record.get("container_short"), 60)
    if short:
        return short
    if tag is not None and tag.venue:
        return clean_text(tag.venue, 60)  # "arXiv"
    return "arXiv" if record.get("kind") is Kind.PREPRINT and record.get("arxiv") else ""


def _kinds(record: Record) -> list[str]:
    tag = record.tag
    workshop = tag is not None and bool(tag.workshop or "workshop" in tag.qualifier.lower())
    preprint = record.get("kind") is Kind.PREPRINT or (tag is not None and tag.is_preprint)
    kinds = []
    if workshop:
        kinds.append("workshop")
    elif preprint:
        kinds.append("preprint")
    else:
        kinds.append("published")
    if record.survey:
        kinds.append("survey")
    return kinds


_LINK_LABELS = {"arxiv": "arXiv", "doi": "DOI", "pdf": "PDF", "url": "link"}


def _links(record: Record) -> list[SiteLink]:
    """The list's own links (paper, code, slides, ...), then DOI and arXiv, one per target."""
    found: list[SiteLink] = []
    for link in record.links:
        url = safe_url(link.url)
        if url:
            label = clean_text(link.label, 30) or "link"
            found.append(SiteLink(_LINK_LABELS.get(label.lower(), label), url))
    listed = {link.label for link in found}  # the list's own arXiv link (often with a version) wins
    doi = bare_doi(record.get("doi"))
    if doi and "DOI" not in listed:
        found.append(SiteLink("DOI", safe_url("https://doi.org/" + doi)))
    arxiv = clean_text(record.get("arxiv"), 100)
    if arxiv and "arXiv" not in listed:
        found.append(SiteLink("arXiv", safe_url("https://arxiv.org/abs/" + arxiv)))
    url = safe_url(record.get("url"))
    if url:
        found.append(SiteLink("paper", url))
    return one_per_target(found)


def published_since(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """key -> "old tag → new venue" from the build report's ``resolve.published_since_listed``."""
    out: dict[str, str] = {}
    for row in rows:
        key = str(row.get("key") or "")
        if not key:
            continue
        old = clean_text(row.get("tag"), 80) or "untagged"
        new = clean_text(row.get("venue"), 120) or "a venue"
        out[key] = f"{old} → {new}"
    return out


def site_paper(record: Record, published: dict[str, str]) -> SitePaper:
    """The site's view of one record."""
    authors = [clean_text(display_name(p), 200) for p in people(record.get("author"))]
    return SitePaper(
        key=record.key,
        title=clean_text(record.title, 2000),
        authors=[a for a in authors if a],
        aliases=[clean_text(a, 200) for a in record.aliases if clean_text(a, 200)],
        venue=_venue(record),
        year=_year(record),
        kinds=_kinds(record),
        links=_links(record),
        published=published.get(record.key, ""),
    )


def site_papers(records: Sequence[Record], report: dict[str, Any] | None) -> dict[str, SitePaper]:
    resolve = (report or {}).get("resolve") or {}
    published = published_since(resolve.get("published_since_listed") or [])
    return {r.key: site_paper(r, published) for r in records}
