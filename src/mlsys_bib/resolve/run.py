"""Run a plan: fetch in parallel (one worker per service), then merge in one fixed order.

Services answer in parallel (arXiv's 3 s spacing, DBLP's 1 s and Crossref's rate limit are per
service, and the HTTP client serialises each service on its own), but metadata is merged in
one fixed order afterwards (arXiv, Crossref, DBLP, published twins), so results never depend
on timing. ``settings.only`` limits which services may be *asked*; the others still answer
from the cache (a partial refresh must not drop data the cache already holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..config import Settings
from ..ids import Identifier
from ..model import Metadata, Record
from ..net.cache import Cache
from ..net.http import HttpClient
from ..sources import dblp
from ..sources.arxiv import ArxivClient
from ..sources.dblp import MAX_PAGE, DblpClient
from ..sources.dblp_sparql import STREAM_BATCH, DblpSparqlClient
from ..sources.outcome import AMBIGUOUS, FAILED, FOUND, NOT_FOUND, Outcome
from . import merge
from .checks import check_year, published_doi, unconfirmed_doi
from .dblp_matches import DblpMatches, stream_query
from .dois import DoiLookup
from .listed_venue import LISTED_VENUE_WRONG, contradicted_by_twin, listed_venue_misses, published_elsewhere
from .lookups import Lookup, LookupLog, LookupStatus
from .plan import Plan, venue_of
from .published import NAME_BATCH, find_published, hits_naming, name_query
from .shared import shared_text

__all__ = ["Lookup", "LookupStatus", "Run"]

#: arXiv ids read and merged at a time (:meth:`Run.read_arxiv`); a multiple of the client's batch
#: of 100 ids, so a run that fetches them all sends exactly the requests it sent in one piece.
ARXIV_SLICE = 2000
NOT_ASKED = Outcome.failed("not asked")  # the stand-in for a lookup SPARQL did not make

#: ``--only`` names -> the HTTP services behind them (doi.org is Crossref's fallback).
ONLY_NAME = {"arxiv": "arxiv", "crossref": "doi", "doi": "doi", "dblp": "dblp", "dblp-sparql": "dblp"}


class ProgressBar(Protocol):
    """What the run needs of a progress bar (tqdm's, on an interactive stderr only)."""

    total: float | None

    def update(self, n: float = 1) -> object: ...

    def refresh(self) -> object: ...


class Run:
    """One resolve run: fetch phases (worker threads, requests only) and merge phases (main
    thread, fixed order), plus what each record's lookups said, for the verdicts.

    A record's merges always come in the same order (arXiv, Crossref, DBLP, published twins); arXiv's
    and Crossref's are made as soon as both have answered, while DBLP is still read, so their answers
    are not all held at once. The DBLP fetch reads only what the list says of a record (its items,
    tag and :attr:`listed_titles`), never a merged field."""

    def __init__(
        self,
        records: list[Record],
        settings: Settings,
        http: HttpClient,
        cache: Cache,
        bar: ProgressBar | None,
    ) -> None:
        self.records = records
        self.by_key = {r.key: r for r in records}
        self.settings = settings
        self.bar = bar
        self._extra_http: list[HttpClient] = []
        self.arxiv = ArxivClient(*self._channel("arxiv", http, cache))
        self.crossref = DoiLookup(*self._channel("crossref", http, cache))
        self.dblp = DblpClient(*self._channel("dblp", http, cache))
        self.sparql = DblpSparqlClient(*self._channel("dblp-sparql", http, cache))
        self.lookups = LookupLog()  # record key -> its lookups, once it has one
        self.published: list[dict[str, Any]] = []
        self.published_ambiguous: list[dict[str, Any]] = []
        self.matches = DblpMatches(self.by_key)  # each record's match in its TOC or search, once
        self.elsewhere: dict[str, str] = {}  # record key -> title query, its listed venue unconfirmed
        # The titles as the run found them where not the first item's (list data), for the DBLP fetch
        # thread: arXiv's and Crossref's answers are merged while it reads, and it must not see them.
        self.listed_titles = {r.key: r.title for r in records if r.title != r.items[0].title}

    def _channel(self, service: str, http: HttpClient, cache: Cache) -> tuple[HttpClient, Cache, Settings]:
        """The (http, cache, settings) a client gets: cache-only when ``--only`` excludes it."""
        if self.asks(service):
            return http, cache, self.settings
        quiet = self.settings.with_(offline=True)
        client = HttpClient(quiet)
        self._extra_http.append(client)
        return client, cache, quiet

    def asks(self, service: str) -> bool:
        """Whether this run may send requests to ``service``."""
        if self.settings.offline:
            return False
        only = self.settings.only
        return only is None or ONLY_NAME.get(service, service) in only

    def close(self) -> None:
        for client in self._extra_http:
            client.close()

    # -- bookkeeping ----------------------------------------------------------------------------
    def _log(self, key: str, service: str, outcome: Outcome) -> None:
        status = LookupStatus(outcome.status.value)
        if status == LookupStatus.FAILED and not self.asks(service) and not outcome.from_cache:
            status = LookupStatus.SKIPPED
        self.lookups.add(key, Lookup(service, status, outcome.detail))

    def _tick(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def _grow(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.total = (self.bar.total or 0) + n
            self.bar.refresh()

    # -- the phases (run in worker threads; they only fetch, never touch records) ----------------
    def fetch_crossref(self, dois: Iterable[str]) -> dict[str, Outcome]:
        wanted = list(dict.fromkeys(dois))
        result = self.crossref.fetch(wanted) if wanted else {}
        self._tick(len(wanted))
        return {k.lower(): v for k, v in result.items()}

    def fetch_dblp(self, plan: Plan) -> tuple[dict[str, Outcome], dict[str, Outcome], dict[str, Outcome]]:
        toc_keys = sorted(set(plan.toc.values()))
        sizes = {}
        for key, toc_key in plan.toc.items():
            venue, _ = venue_of(self.by_key[key])
            sizes[toc_key] = venue.dblp_toc_size if venue is not None and venue.dblp_toc_size else 0
        # SPARQL first (several TOCs to a query, outside dblp.org's bot wall); the search API's
        # ``toc:`` query for any TOC it could not answer
        use_sparql = self.settings.sparql
        readers = _keys_by_value({**plan.toc_extra, **plan.toc})
        tocs = self.sparql.tocs(toc_keys, sizes) if toc_keys and use_sparql else {}
        self._tick(len(toc_keys))
        for toc_key in toc_keys:
            if tocs.get(toc_key, NOT_ASKED).status == FAILED:
                tocs[toc_key] = self.dblp.toc(toc_key)
            tocs[toc_key] = self.matches.read_toc(toc_key, tocs[toc_key], readers[toc_key])
        # TOCs of records that have identifiers are read only if already cached or fetched above.
        for toc_key in sorted(set(plan.toc_extra.values()) - set(tocs)):
            cached = self.sparql.cached_toc(toc_key) if use_sparql else None
            if cached is not None and cached.status != FAILED:
                tocs[toc_key] = self.matches.read_toc(toc_key, cached, readers[toc_key])
                continue
            if self.dblp.cache.fresh(dblp.NS_TOC, toc_key, self.dblp.settings) is not None:
                tocs[toc_key] = self.matches.read_toc(toc_key, self.dblp.toc(toc_key), readers[toc_key])
        twin_ids = sorted(set(plan.published_twins.values()))
        twins = self.sparql.twins(twin_ids) if twin_ids and use_sparql else {}
        self._tick(-(-len(twin_ids) // self.sparql.batch))
        # Searches stand in for SPARQL where it could not answer (failed, or no CoRR record).
        fallback = {k for k, a in plan.published_twins.items() if twins.get(a, NOT_ASKED).status != FOUND}
        self.elsewhere = listed_venue_misses(plan, tocs, self.by_key, self.listed_titles, self.matches)
        lookups = list(plan.stream_search.values())
        searches: dict[str, Outcome] = {}
        if lookups and use_sparql:
            found = self.sparql.streams(lookups)
            searches.update({f"stream:{k}": v for k, v in found.items()})
            self._tick(-(-len(found) // STREAM_BATCH))
        # what merge_published and the wrong-venue check read later: kept whole; the rest is matched
        # as it is read and only its outcome kept (a list 100 times the seed has 13,000 searches)
        kept = set(self.elsewhere.values()) | set(plan.published_search.values())
        kept |= {f"name:{n}" for n in plan.published_names.values()}
        searching = _keys_by_value(plan.dblp_search)
        by_stream = _keys_by_value({k: stream_query(plan, k) for k in plan.dblp_search})
        for stream_key in list(searches):
            readers = by_stream.get(stream_key, [])
            searches[stream_key] = self.matches.read_search(plan, stream_key, searches, readers, kept)
        # the title search stands in where the venue-year could not be asked through SPARQL
        wanted = {
            q
            for k, q in plan.dblp_search.items()
            if searches.get(stream_query(plan, k), NOT_ASKED).status == FAILED
        }
        wanted |= set(self.elsewhere.values())
        wanted |= {
            q for k, q in plan.published_search.items() if k in fallback or k not in plan.published_twins
        }
        for query in sorted(wanted):
            searches[query] = self.dblp.search(query)
            searches[query] = self.matches.read_search(plan, query, searches, searching.get(query, []), kept)
            self._tick()
        names = sorted(
            {n for k, n in plan.published_names.items() if k in fallback or k not in plan.published_twins}
        )
        for start in range(0, len(names), NAME_BATCH):
            searches.update(self._search_names(names[start : start + NAME_BATCH]))
        return tocs, searches, twins

    def _search_names(self, names: list[str]) -> dict[str, Outcome]:
        """One DBLP query for several system names; a page-filling answer is split and re-asked.
        Keyed ``name:<name>``, each with the hits that name it."""
        outcome = self.dblp.search(name_query(names), h=MAX_PAGE)
        self._tick()
        if outcome.status == FOUND and len(outcome.metadata) >= MAX_PAGE and len(names) > 1:
            half = len(names) // 2
            return {**self._search_names(names[:half]), **self._search_names(names[half:])}
        out: dict[str, Outcome] = {}
        for name in names:
            if outcome.status != FOUND:
                out[f"name:{name}"] = outcome
                continue
            hits = hits_naming(name, outcome.metadata)
            out[f"name:{name}"] = (
                Outcome(FOUND, hits, shared_text(f"{len(hits)} DBLP hits"), outcome.from_cache)
                if hits
                else Outcome.not_found(f"DBLP has no paper named {name!r}", from_cache=outcome.from_cache)
            )
        return out

    # -- merging (main thread, fixed order) -----------------------------------------------------
    def read_arxiv(self, plan: Plan) -> dict[str, str]:
        """arXiv's answers, read :data:`ARXIV_SLICE` ids at a time and each slice merged at once (a
        record's arXiv merge is its first, so it may come while Crossref and DBLP are still read):
        a long list's answers are never all held. Runs in the main thread, as every merge does.

        Returns Crossref's second round: the DOIs arXiv reports for records that have none of their
        own, in the plan's order."""
        keys_of: dict[Identifier, list[str]] = {}
        for key, ident in plan.arxiv.items():
            keys_of.setdefault(ident, []).append(key)
        ids = list(keys_of)
        reported: dict[str, str] = {}
        for start in range(0, len(ids), ARXIV_SLICE):
            chunk = ids[start : start + ARXIV_SLICE]
            by_id = self.arxiv.fetch(chunk)
            self._tick(len(chunk))
            for ident in chunk:
                outcome = by_id.get(ident.value)
                outcome = outcome or Outcome.failed(f"arXiv returned nothing for {ident.value}")
                for key in keys_of[ident]:
                    self._log(key, "arxiv", outcome)
                    if outcome.value is not None:
                        merge.apply(self.by_key[key], outcome.value)
                        doi = published_doi(outcome)
                        if doi and key not in plan.dois:
                            reported[key] = doi
        second = {key: reported[key] for key in plan.arxiv if key in reported}
        titles = list(dict.fromkeys(plan.arxiv_search.values()))
        by_title = self.arxiv.search_titles(titles) if titles else {}
        self._tick(len(titles))
        for key, title in plan.arxiv_search.items():
            answer = by_title.get(title)
            outcome = check_year(self.by_key[key], answer or Outcome.failed("arXiv search returned nothing"))
            self._log(key, "arxiv", outcome)
            if outcome.value is not None:
                merge.apply(self.by_key[key], outcome.value)
            doi = published_doi(answer) if answer is not None else ""
            if doi:
                second[key] = doi
        return second

    def merge_crossref(self, wanted: dict[str, str], by_doi: dict[str, Outcome]) -> None:
        for key, doi in wanted.items():
            outcome = by_doi.get(doi.lower()) or Outcome.failed(f"Crossref returned nothing for {doi}")
            self._log(key, "crossref", outcome)
            if outcome.value is not None:
                merge.apply(self.by_key[key], outcome.value)
            elif outcome.status == NOT_FOUND:
                unconfirmed_doi(self.by_key[key], doi)

    def merge_dblp(self, plan: Plan, tocs: dict[str, Outcome], searches: dict[str, Outcome]) -> None:
        for key, toc_key in list(plan.toc.items()) + list(plan.toc_extra.items()):
            extra = key in plan.toc_extra
            toc = tocs.get(toc_key)
            if toc is None:
                continue
            record = self.by_key[key]
            if toc.status != FOUND:
                if not extra or (toc.status == FAILED and self.asks("dblp")):
                    # An extra TOC that was asked for and failed is a lookup this record
                    # lost: a fault-free run attaches its DBLP data (dblp_key, pages), so the
                    # record is PARTIAL, not RESOLVED. An empty TOC stays a free extra.
                    self._log(key, "dblp", toc)
                continue
            found = self.matches.take_toc_match(key, toc_key, toc)
            if extra and found.status != FOUND:
                continue  # a free extra: only a confident match is worth anything
            if found.status == NOT_FOUND and key in self.elsewhere:
                elsewhere = searches.get(self.elsewhere[key])
                if self._take_published_venue(record, elsewhere, published_elsewhere(record, elsewhere)):
                    continue
            self._log(key, "dblp", found.outcome(from_cache=toc.from_cache))
            if found.value is not None:
                merge.apply(record, found.value)
        for key, query in plan.dblp_search.items():
            by_stream = searches.get(stream_query(plan, key))
            from_stream = by_stream is not None and by_stream.status != FAILED
            outcome = by_stream if from_stream else searches.get(query)
            outcome = outcome or Outcome.failed("DBLP search returned nothing")
            record = self.by_key[key]
            if outcome.status != FOUND:
                if outcome.status == NOT_FOUND:
                    where = "its venue-year" if from_stream else "DBLP title search"
                    outcome = Outcome.not_found(
                        f"{where}: no paper of this title", from_cache=outcome.from_cache
                    )
                self._log(key, "dblp", outcome)
                continue
            found = self.matches.take_search_match(key, outcome, from_stream)
            self._log(key, "dblp", found.outcome(from_cache=outcome.from_cache))
            if found.value is not None:
                merge.apply(record, found.value)

    def merge_published(self, plan: Plan, searches: dict[str, Outcome], twins: dict[str, Outcome]) -> None:
        """arXiv-only records whose published version DBLP knows: cited as published from now on.
        SPARQL's candidates (the first author's papers) when it answered, else the search's."""
        wanted = {**plan.published_search, **{k: f"name:{n}" for k, n in plan.published_names.items()}}
        for key in plan.published_twins:
            wanted.setdefault(key, "")
        for key, query in sorted(wanted.items()):
            twin_outcome = twins.get(plan.published_twins.get(key, ""))
            if twin_outcome is not None and twin_outcome.status == FOUND:
                outcome = twin_outcome
            else:
                outcome = searches.get(query) or twin_outcome or Outcome.failed("DBLP returned nothing")
            record = self.by_key[key]
            if merge.venue_tagged(record):
                self._take_published_venue(record, twin_outcome, contradicted_by_twin(record, twin_outcome))
                continue
            if merge.record_published(record):
                continue  # arXiv reported its DOI and Crossref described the published paper
            if outcome.status != FOUND:
                if outcome.status == FAILED:
                    self._log(key, "dblp", outcome)
                continue
            year = record.get("year")
            twin = find_published(record, outcome.metadata, year if isinstance(year, int) else None)
            tag = record.tag
            row = {"key": key, "tag": tag.raw if tag is not None else "", "lines": record.lines}
            if twin.status == AMBIGUOUS:
                self.published_ambiguous.append({**row, "reason": twin.reason})
            if twin.metadata is None:
                continue
            self._log(key, "dblp", twin.outcome(from_cache=outcome.from_cache))
            merge.apply(record, twin.metadata)
            venue = record.get("container_short") or twin.metadata.get("container_short") or "?"
            where = f"{venue} {record.get('year') or ''}".strip()
            self.published.append({**row, "venue": where, "via": twin.via})

    def _take_published_venue(
        self, record: Record, answer: Outcome | None, found: tuple[Metadata, str] | None
    ) -> bool:
        """Cite the published venue :mod:`.listed_venue` found (``found``: the hit and why) instead
        of the list's: merge.apply_published_elsewhere reports the contradiction, and the record is
        listed as published since listed. False (nothing done) when nothing was found."""
        if found is None or answer is None:
            return False
        hit, detail = found
        self._log(record.key, "dblp", Outcome.found(hit, from_cache=answer.from_cache, detail=detail))
        tag = record.tag
        listed = tag.raw if tag is not None else ""
        merge.apply_published_elsewhere(record, hit, listed)
        where = f"{record.get('container_short') or '?'} {record.get('year') or ''}".strip()
        self.published.append(
            {
                "key": record.key,
                "tag": listed,
                "lines": record.lines,
                "venue": where,
                "via": LISTED_VENUE_WRONG,
            }
        )
        return True


def _keys_by_value(mapping: dict[str, str]) -> dict[str, list[str]]:
    """Record keys grouped by what they map to (a TOC key, a query), in the mapping's order."""
    grouped: dict[str, list[str]] = {}
    for key, value in mapping.items():
        grouped.setdefault(value, []).append(key)
    return grouped
