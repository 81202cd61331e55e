"""When the list names the wrong venue: the evidence that the published paper is elsewhere.

The list's venue tag is authoritative, with one exception: DBLP shows the paper, by the same title
(and, with an arXiv id, the same authors), published at another venue within a year of the tag
(ElasticFlow is tagged EuroSys'23; it appeared at ASPLOS'23). Each rule here only *finds* that
evidence and says why; :class:`.run.Run` logs it, merges the published venue and reports the
contradiction. A renamed paper or a short generic title elsewhere is not evidence enough.
"""

from __future__ import annotations

from ..model import Kind, Metadata, Record
from ..sources import dblp
from ..sources.outcome import FOUND, NOT_FOUND, Outcome
from ..text.titles import normalise, title_words
from .dblp_matches import DblpMatches
from .plan import Plan
from .published import find_published

#: Telling title words a venue-tagged paper needs before its title is searched outside its venue.
ELSEWHERE_MIN_WORDS = 4
LISTED_VENUE_WRONG = "title; the listed venue was wrong"  # the "via" of a corrected venue


def listed_venue_misses(
    plan: Plan,
    tocs: dict[str, Outcome],
    by_key: dict[str, Record],
    listed_titles: dict[str, str],
    matches: DblpMatches,
) -> dict[str, str]:
    """Records without an arXiv id whose venue-year TOC answered but holds no paper of their
    title, each with the whole-DBLP title query to ask. Only distinctive titles: a short generic
    one found elsewhere could be another paper. ``listed_titles``: a record's title as the run
    found it, where it is not its first item's."""
    misses: dict[str, str] = {}
    for key, toc_key in plan.toc.items():
        toc = tocs.get(toc_key)
        if key in plan.published_twins or toc is None or toc.status != FOUND:
            continue
        listed = listed_titles.get(key, by_key[key].items[0].title)
        if len(title_words(listed)) < ELSEWHERE_MIN_WORDS:
            continue
        if matches.toc_match(key, toc_key, toc).status == NOT_FOUND:
            misses[key] = dblp.title_query(by_key[key].items[0].title)
    return misses


def published_elsewhere(record: Record, outcome: Outcome | None) -> tuple[Metadata, str] | None:
    """The one published paper of this exact title within a year of the tag that a whole-DBLP
    title search found, or None (none, or more than one)."""
    if outcome is None or outcome.status != FOUND:
        return None
    tag = record.tag
    year = tag.year if tag is not None else None
    wanted = {normalise(item.title) for item in record.items}
    hits = {
        str(h.get("dblp_key")): h
        for h in outcome.metadata
        if normalise(str(h.get("title") or "")) in wanted
        and h.get("kind") not in (None, Kind.PREPRINT)
        and isinstance(h.get("year"), int)
        and year is not None
        and abs(h.get("year") - year) <= 1
    }
    if len(hits) != 1:
        return None
    return next(iter(hits.values())), "found at another venue"


def contradicted_by_twin(record: Record, twins: Outcome | None) -> tuple[Metadata, str] | None:
    """A venue-tagged arXiv paper that neither its venue's DBLP entry nor Crossref described: its
    published version at another venue, by the same title and authors, or None. An extra lookup:
    its failure changes no verdict."""
    if twins is None or twins.status != FOUND or record.get("dblp_key") or record.get("doi"):
        return None
    tag = record.tag
    twin = find_published(record, twins.metadata, tag.year if tag is not None else None)
    if twin.metadata is None or twin.via != "title":
        return None  # a renamed paper at another venue is not evidence enough against the list
    return twin.metadata, twin.reason
