"""Which DBLP paper each venue-tagged record is: matched once, as soon as its TOC or search is read.

Kept apart from the run because it needs only the list's data (a record's items, tag and venue),
never a merged field: the DBLP fetch thread calls it while arXiv's and Crossref's answers are
merged in the main thread, and the merge later reads the same match instead of matching again.
Reading an answer drops its papers (:func:`without_hits`) unless a later step needs them, so a
list 100 times the seed never holds every venue-year's papers at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Metadata, Record
from ..sources import dblp
from ..sources.outcome import FAILED, FOUND, Outcome
from .plan import Plan, venue_of


def stream_query(plan: Plan, key: str) -> str:
    """The key a record's SPARQL venue-year answer is filed under among the searches ("" if none)."""
    lookup = plan.stream_search.get(key)
    return f"stream:{lookup.key}" if lookup is not None else ""


def without_hits(outcome: Outcome) -> Outcome:
    """An answer's outcome once its hits are matched: status, detail and cache flag, no papers."""
    return Outcome(outcome.status, [], outcome.detail, outcome.from_cache)


class DblpMatches:
    """Each record's match in its venue-year TOC and in its DBLP search, computed once."""

    def __init__(self, by_key: dict[str, Record]) -> None:
        self.by_key = by_key
        self.toc_matches: dict[str, dblp.Match] = {}  # record key -> its match in its TOC
        self.search_matches: dict[str, dblp.Match] = {}  # record key -> its match in its search

    def toc_match(self, key: str, toc_key: str, toc: Outcome) -> dblp.Match:
        """The record's match in its venue-year's TOC, computed when the TOC was read (:meth:`read_toc`):
        the wrong-venue check (fetch phase) and the merge both need it, and it depends only on the
        list's title and tag."""
        found = self.toc_matches.get(key)
        if found is None:  # a TOC read elsewhere than in fetch_dblp (tests)
            self.read_toc(toc_key, toc, [key])
            found = self.toc_matches[key]
        return found

    def take_toc_match(self, key: str, toc_key: str, toc: Outcome) -> dblp.Match:
        """:meth:`toc_match`, forgotten once given: the merge asks once per record, and a match
        (with the hit it found) need not outlive it."""
        found = self.toc_match(key, toc_key, toc)
        del self.toc_matches[key]
        return found

    def read_toc(self, toc_key: str, toc: Outcome, keys: Iterable[str]) -> Outcome:
        """Match every record of a TOC (``keys``) as soon as the TOC is read, through one title index,
        and give back the TOC's outcome without its papers: a list 100 times the seed would otherwise
        hold every venue-year's papers at once until the merge."""
        if toc.status != FOUND:
            return toc
        index = dblp.TitleIndex(toc.metadata)
        stream = dblp.toc_stream(toc_key)
        for key in keys:
            if key not in self.toc_matches:
                record = self.by_key[key]
                candidates = index.candidates(item.title for item in record.items)
                self.toc_matches[key] = self._match(record, candidates, from_toc=True, stream=stream)
        return without_hits(toc)

    def read_search(
        self, plan: Plan, query: str, searches: dict[str, Outcome], keys: Iterable[str], kept: set[str]
    ) -> Outcome:
        """Match the venue-tagged records whose DBLP search (or SPARQL venue-year) ``query`` is, as soon
        as it is read; its hits are kept only when a later step reads them (``kept``)."""
        outcome = searches[query]
        for key in keys:
            by_stream = searches.get(stream_query(plan, key))
            from_stream = by_stream is not None and by_stream.status != FAILED
            source = by_stream if from_stream else searches.get(plan.dblp_search[key])
            if source is outcome and outcome.status == FOUND:
                self.search_match(key, outcome, from_stream)
        return outcome if query in kept or outcome.status != FOUND else without_hits(outcome)

    def search_match(self, key: str, outcome: Outcome, from_stream: bool) -> dblp.Match:
        """A venue-tagged record's match among its search's hits, computed once (list data only)."""
        found = self.search_matches.get(key)
        if found is None:
            record = self.by_key[key]
            venue, _ = venue_of(record)
            found = self.search_matches[key] = self._match(
                record,
                outcome.metadata,
                from_toc=from_stream,  # a stream's papers are the venue's: like a TOC
                stream=dblp.toc_stream(venue.dblp_toc if venue else ""),
            )
        return found

    def take_search_match(self, key: str, outcome: Outcome, from_stream: bool) -> dblp.Match:
        """:meth:`search_match`, forgotten once given (as :meth:`take_toc_match`)."""
        found = self.search_match(key, outcome, from_stream)
        del self.search_matches[key]
        return found

    @staticmethod
    def _match(record: Record, hits: list[Metadata], *, from_toc: bool, stream: str) -> dblp.Match:
        tag = record.tag
        venue, name = venue_of(record)
        titles = [item.title for item in record.items]
        return dblp.match(
            titles,
            tag.year if tag else None,
            hits,
            names=dblp.venue_names(name, venue),
            stream=stream,
            from_toc=from_toc,
        )
