"""Plan the fewest lookups that can describe every record, before any request is made.

Per record (identifiers are the list's own links):

1. an arXiv id -> arXiv, all ids in one batched call (the client splits into API batches);
2. a DOI -> Crossref (batched ``filter=doi:``; doi.org content negotiation for what Crossref
   does not hold);
3. a DOI that arXiv reports for a record without one -> Crossref, in a second round (decided
   while running, see :mod:`.run`), so a preprint since published is cited as published;
4. a published venue tag whose DBLP table of contents is known -> one DBLP TOC query per
   distinct venue-year, then strict title matching; a venue-tagged arXiv link without a DOI
   gets the TOC too (its pages and DOI live there), records with a DOI match TOCs fetched
   anyway, for free;
5. an arXiv-only record -> a DBLP search for its published twin, one-word system names
   batched many to a query (:mod:`.published`);
6. the rest: arXiv title search when the list tags the item as arXiv, DBLP title search when
   it names a venue without a TOC. An item with no identifier and no venue-year to confirm a
   match is not looked up at all: a title-only match would be a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..ids import Identifier
from ..ids.doi import registered
from ..model import Record
from ..sources.dblp import title_query
from ..sources.dblp_sparql import StreamLookup, usable_word
from ..text.titles import title_words
from ..venues import Venue
from ..venues import lookup as lookup_venue
from .published import batch_name, search_query

__all__ = ["DBLP_PAGE", "Plan", "plan_lookups", "toc_key", "venue_of", "is_workshop"]

DBLP_PAGE = 1000  # hits per DBLP page (the API's maximum ``h``)


@dataclass
class Plan:
    """Which lookups each record gets (see the module docstring)."""

    arxiv: dict[str, Identifier] = field(default_factory=dict)  # record key -> arXiv id
    dois: dict[str, str] = field(default_factory=dict)  # record key -> DOI
    toc: dict[str, str] = field(default_factory=dict)  # record key -> TOC key (no identifier)
    toc_extra: dict[str, str] = field(default_factory=dict)  # record key -> TOC key (has one)
    arxiv_search: dict[str, str] = field(default_factory=dict)  # record key -> title
    dblp_search: dict[str, str] = field(default_factory=dict)  # record key -> query
    published_search: dict[str, str] = field(default_factory=dict)  # arXiv-only record -> DBLP query
    published_names: dict[str, str] = field(default_factory=dict)  # arXiv-only record -> name, batched
    # arXiv-only record -> its arXiv id, for DBLP SPARQL (50 to a query); the two searches above
    # are the fallback for ids SPARQL could not answer
    published_twins: dict[str, str] = field(default_factory=dict)
    # record with a title search -> the same venue-year asked through SPARQL by one title word
    # (40 to a query); the title search is the fallback when SPARQL cannot answer
    stream_search: dict[str, StreamLookup] = field(default_factory=dict)
    nothing: dict[str, str] = field(default_factory=dict)  # record key -> why no lookup

    def published_lookups(self, records: Sequence[Record]) -> int:
        """Records with a lookup that can return their published metadata (issue 10's measure):
        a DOI (Crossref), a venue-year TOC or title search (DBLP), or a published-twin search."""
        keys = set(self.dois) | set(self.toc) | set(self.dblp_search) | set(self.published_search)
        keys |= set(self.published_names) | set(self.published_twins)
        return sum(1 for r in records if r.key in keys)


def venue_of(record: Record) -> tuple[Venue | None, str]:
    """(Venue or None, acronym) the record's tag names for matching; workshops name themselves."""
    tag = record.tag
    if tag is None:
        return None, ""
    name = tag.workshop or tag.venue
    return (lookup_venue(name) if name else None), name


def is_workshop(record: Record) -> bool:
    tag = record.tag
    return tag is not None and (bool(tag.workshop) or "workshop" in tag.qualifier.lower())


def toc_key(record: Record) -> str | None:
    tag = record.tag
    if tag is None or tag.is_preprint or not tag.venue or tag.year is None:
        return None
    venue, _ = venue_of(record)
    if venue is None:
        return None
    if is_workshop(record) and not venue.workshop:
        return None  # a workshop paper is not in its host conference's table of contents
    return venue.toc_key(tag.year)


def _doi(record: Record) -> str | None:
    ident = record.identifier("doi")
    if ident is not None:
        return ident.value if registered(ident.value) else None
    value = record.get("doi")
    return str(value).lower() if value else None


def plan_lookups(records: Sequence[Record]) -> Plan:
    """The lookups of step 1-5 of the module docstring, before any request is made."""
    plan = Plan()
    for record in records:
        arxiv = record.identifier("arxiv")
        doi = _doi(record)
        toc = toc_key(record)
        if arxiv is not None:
            plan.arxiv[record.key] = arxiv
        if doi is not None:
            plan.dois[record.key] = doi
        if arxiv is not None or doi is not None:
            tag = record.tag
            if arxiv is not None and doi is None:
                # its published version by the arXiv id: a preprint's twin, or -- for a venue-tagged
                # record its venue's DBLP entry cannot confirm -- the venue the list got wrong
                plan.published_twins[record.key] = arxiv.value
            if toc and doi is None:
                # a venue-tagged arXiv link: the venue's TOC is where its pages and DOI are
                plan.toc[record.key] = toc
            elif toc:
                plan.toc_extra[record.key] = toc  # Crossref answers for the DOI; the TOC is a free extra
            elif doi is None and tag is not None and tag.venue and tag.year and not tag.is_preprint:
                # a venue without a DBLP TOC: its title
                plan.dblp_search[record.key] = title_query(record.items[0].title)
            elif arxiv is not None and doi is None and (tag is None or tag.is_preprint):
                name = batch_name(record)
                if name:
                    plan.published_names[record.key] = name
                else:
                    plan.published_search[record.key] = search_query(record)
            continue
        tag = record.tag
        if toc:
            plan.toc[record.key] = toc
        elif tag is not None and tag.is_preprint and not tag.under_review:
            plan.arxiv_search[record.key] = record.items[0].title
        elif tag is not None and tag.venue and tag.year is not None and not tag.is_preprint:
            venue, name = venue_of(record)
            if is_workshop(record) and (venue is None or not venue.workshop):
                plan.nothing[record.key] = f"workshop of {tag.venue}: no DBLP venue to confirm a title match"
            else:
                plan.dblp_search[record.key] = title_query(record.items[0].title)
        elif tag is not None and tag.under_review:
            plan.nothing[record.key] = "under review: no identifier and no venue to confirm a title match"
        else:
            plan.nothing[record.key] = "no identifier and no venue-year tag to confirm a title match"
    by_key = {r.key: r for r in records}
    _prefer_searches_over_large_tocs(plan, by_key)
    for key in plan.dblp_search:
        lookup = stream_lookup(by_key[key])
        if lookup is not None:
            plan.stream_search[key] = lookup
    return plan


def stream_lookup(record: Record) -> StreamLookup | None:
    """The venue-year of the record's tag as DBLP streams, narrowed by the longest plain word of its
    title that appears as written (so DBLP's lower-cased title contains it), or None."""
    tag = record.tag
    venue, _ = venue_of(record)
    if venue is None or tag is None or tag.year is None or not venue.streams or is_workshop(record):
        return None
    title = record.items[0].title
    lowered = title.lower()
    words = [w for w in title_words(title) if usable_word(w) and w in lowered]
    if not words:
        return None
    word = max(words, key=lambda w: (len(w), w))
    return StreamLookup(venue.streams, tag.year, word)


def _prefer_searches_over_large_tocs(plan: Plan, by_key: dict[str, Record]) -> None:
    """A NeurIPS TOC is ~5 pages of 1000 hits: for two papers, two title searches are cheaper.

    ``dblp_toc_size`` in the venue table says how large a venue's yearly TOC is; a venue-year
    keeps its TOC query only when it has at least as many papers to match as the TOC has pages.
    Matching stays as strict (title, year and venue must agree) either way.
    """
    groups: dict[str, list[str]] = {}
    for key, toc in plan.toc.items():
        groups.setdefault(toc, []).append(key)
    for keys in groups.values():
        venue, _name = venue_of(by_key[keys[0]])
        size = (venue.dblp_toc_size if venue is not None else 0) or 0
        pages = -(-size // DBLP_PAGE) if size else 1
        if len(keys) < pages:
            for key in keys:
                del plan.toc[key]
                plan.dblp_search[key] = title_query(by_key[key].items[0].title)
