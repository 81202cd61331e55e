"""Resolve records: plan the fewest lookups, run them (cache first), merge, and give verdicts.

The plan, per record (identifiers are the list's own links):

1. an arXiv id -> arXiv, all ids in one batched call (the client splits into API batches);
2. a DOI -> Crossref (batched ``filter=doi:``; doi.org content negotiation for what Crossref
   does not hold);
3. a DOI that arXiv reports for a record without one -> Crossref, in a second round, so a
   preprint that has since been published is cited as published (see :mod:`.merge`);
4. neither, but a published venue tag whose DBLP table of contents is known -> one DBLP TOC
   query per distinct venue-year, then strict title matching (:func:`.dblp.match`); records
   that do have an identifier are matched against TOCs fetched anyway, for free;
5. the rest: arXiv title search when the list tags the item as arXiv, DBLP title search when
   it names a venue without a TOC. An item with no identifier and no venue-year to confirm a
   match is not looked up at all: a title-only DBLP match would be a guess.

Services answer in parallel (arXiv's 3 s spacing, DBLP's 1 s and Crossref's rate limit are per
service, and the HTTP client serialises each service on its own), but metadata is merged in
one fixed order afterwards (arXiv, Crossref, DBLP), so results never depend on timing.

``settings.only`` limits which services may be *asked*; the others still answer from the cache
(a partial refresh must not drop data the cache already holds). ``settings.offline`` asks
nothing. A record none of whose lookups could be made stays UNRESOLVED; a failure is never
cached, so the next run retries exactly the failed lookups.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..ids import Identifier
from ..model import Metadata, Record, Verdict
from ..net.cache import Cache
from ..net.http import HttpClient
from ..sources.outcome import AMBIGUOUS, FAILED, FOUND, NOT_FOUND, Outcome, Status
from . import merge
from .published import NAME_BATCH, hits_naming, name_query

__all__ = ["ResolveReport", "resolve_records", "plan_lookups"]

#: ``--only`` names -> the HTTP services behind them (doi.org is Crossref's fallback).
_ONLY_NAME = {"arxiv": "arxiv", "crossref": "doi", "doi": "doi", "dblp": "dblp"}
_DATACITE_ARXIV = "10.48550/"
DBLP_PAGE = 1000  # hits per DBLP page (the API's maximum ``h``)
SKIPPED = "skipped"  # a lookup that could not be made (offline / service excluded), not a failure


# ---------------------------------------------------------------------------------------------
# the report


@dataclass
class ResolveReport:
    """What a resolve run did: verdict counts, requests per service, and what needs a human."""

    counts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    partial: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    offline: bool = False
    records: int = 0
    unreachable: list[str] = field(default_factory=list)  # services found unreachable in this run
    why: dict[str, str] = field(default_factory=dict)  # service -> why (unreachable, walled)
    # preprints the list tags arXiv (or not at all) found published since: key, tag, venue, via
    published_since_listed: list[dict[str, Any]] = field(default_factory=list)
    published_ambiguous: list[dict[str, Any]] = field(default_factory=list)
    # what the services said against the list or each other (year, DOI, pages, ...), per record
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    throttled: dict[str, int] = field(default_factory=dict)  # service -> throttled answers

    @property
    def verdicts(self) -> dict[str, int]:
        return self.counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and deterministic: sorted keys and lists, no timings."""

        def rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return sorted(({k: item[k] for k in sorted(item)} for item in items), key=lambda r: str(r["key"]))

        return {
            "records": self.records,
            "offline": self.offline,
            "verdicts": {k: self.counts[k] for k in sorted(self.counts)},
            "requests": {k: self.requests[k] for k in sorted(self.requests)},
            "ambiguous": rows(self.ambiguous),
            "failed": rows(self.failed),
            "partial": rows(self.partial),
            "not_found": rows(self.not_found),
            "unresolved": rows(self.unresolved),
            "published_since_listed": rows(self.published_since_listed),
            "published_ambiguous": rows(self.published_ambiguous),
            "conflicts": rows(self.conflicts),
        }


# ---------------------------------------------------------------------------------------------
# planning


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
    nothing: dict[str, str] = field(default_factory=dict)  # record key -> why no lookup

    def published_lookups(self, records: Sequence[Record]) -> int:
        """Records with a lookup that can return their published metadata (issue 10's measure):
        a DOI (Crossref), a venue-year TOC or title search (DBLP), or a published-twin search."""
        keys = set(self.dois) | set(self.toc) | set(self.dblp_search) | set(self.published_search)
        keys |= set(self.published_names)
        return sum(1 for r in records if r.key in keys)


def _venue(record: Record) -> tuple[Any, str]:
    """(Venue or None, acronym) the record's tag names for matching; workshops name themselves."""
    from .. import venues

    tag = record.tag
    if tag is None:
        return None, ""
    name = tag.workshop or tag.venue
    return (venues.lookup(name) if name else None), name


def _is_workshop(record: Record) -> bool:
    tag = record.tag
    return tag is not None and (bool(tag.workshop) or "workshop" in tag.qualifier.lower())


def _toc_key(record: Record) -> str | None:
    tag = record.tag
    if tag is None or tag.is_preprint or not tag.venue or tag.year is None:
        return None
    venue, _ = _venue(record)
    if venue is None:
        return None
    if _is_workshop(record) and not venue.workshop:
        return None  # a workshop paper is not in its host conference's table of contents
    return venue.toc_key(tag.year)


def _doi(record: Record) -> str | None:
    from ..ids.doi import registered

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
        toc = _toc_key(record)
        if arxiv is not None:
            plan.arxiv[record.key] = arxiv
        if doi is not None:
            plan.dois[record.key] = doi
        if arxiv is not None or doi is not None:
            tag = record.tag
            if toc and doi is None:
                # a venue-tagged arXiv link: the venue's TOC is where its pages and DOI are
                plan.toc[record.key] = toc
            elif toc:
                plan.toc_extra[record.key] = toc  # Crossref answers for the DOI; the TOC is a free extra
            elif doi is None and tag is not None and tag.venue and tag.year and not tag.is_preprint:
                from ..sources.dblp import title_query  # a venue without a DBLP TOC: its title

                plan.dblp_search[record.key] = title_query(record.items[0].title)
            elif arxiv is not None and doi is None and (tag is None or tag.is_preprint):
                from .published import batch_name, search_query

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
            venue, name = _venue(record)
            if _is_workshop(record) and (venue is None or not venue.workshop):
                plan.nothing[record.key] = f"workshop of {tag.venue}: no DBLP venue to confirm a title match"
            else:
                from ..sources.dblp import title_query

                plan.dblp_search[record.key] = title_query(record.items[0].title)
        elif tag is not None and tag.under_review:
            plan.nothing[record.key] = "under review: no identifier and no venue to confirm a title match"
        else:
            plan.nothing[record.key] = "no identifier and no venue-year tag to confirm a title match"
    _prefer_searches_over_large_tocs(plan, {r.key: r for r in records})
    return plan


def _prefer_searches_over_large_tocs(plan: Plan, by_key: dict[str, Record]) -> None:
    """A NeurIPS TOC is ~5 pages of 1000 hits: for two papers, two title searches are cheaper.

    ``dblp_toc_size`` in the venue table says how large a venue's yearly TOC is; a venue-year
    keeps its TOC query only when it has at least as many papers to match as the TOC has pages.
    Matching stays as strict (title, year and venue must agree) either way.
    """
    from ..sources.dblp import title_query

    groups: dict[str, list[str]] = {}
    for key, toc in plan.toc.items():
        groups.setdefault(toc, []).append(key)
    for keys in groups.values():
        venue, _name = _venue(by_key[keys[0]])
        size = getattr(venue, "dblp_toc_size", 0) or 0
        pages = -(-size // DBLP_PAGE) if size else 1
        if len(keys) < pages:
            for key in keys:
                del plan.toc[key]
                plan.dblp_search[key] = title_query(by_key[key].items[0].title)


# ---------------------------------------------------------------------------------------------
# running


@dataclass
class _Lookup:
    service: str
    status: Status | str  # an outcome's status, or SKIPPED
    detail: str = ""


class _Run:
    def __init__(
        self, records: list[Record], settings: Settings, http: HttpClient, cache: Cache, bar: Any
    ) -> None:
        from ..sources.arxiv import ArxivClient
        from ..sources.dblp import DblpClient
        from .dois import DoiLookup

        self.records = records
        self.by_key = {r.key: r for r in records}
        self.settings = settings
        self.bar = bar
        self._extra_http: list[HttpClient] = []
        self.arxiv = ArxivClient(*self._channel("arxiv", http, cache))
        self.crossref = DoiLookup(*self._channel("crossref", http, cache))
        self.dblp = DblpClient(*self._channel("dblp", http, cache))
        self.lookups: dict[str, list[_Lookup]] = {r.key: [] for r in records}
        self.published: list[dict[str, Any]] = []
        self.published_ambiguous: list[dict[str, Any]] = []

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
        return only is None or _ONLY_NAME.get(service, service) in only

    def close(self) -> None:
        for client in self._extra_http:
            client.close()

    # -- bookkeeping ----------------------------------------------------------------------------
    def _log(self, key: str, service: str, outcome: Outcome) -> None:
        status = outcome.status
        if status == FAILED and not self.asks(service) and not outcome.from_cache:
            status = SKIPPED
        self.lookups[key].append(_Lookup(service, status, outcome.detail))

    def _tick(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def _grow(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.total = (self.bar.total or 0) + n
            self.bar.refresh()

    # -- the phases (run in worker threads; they only fetch, never touch records) ----------------
    def fetch_arxiv(self, plan: Plan) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
        ids = list(dict.fromkeys(plan.arxiv.values()))
        by_id = self.arxiv.fetch(ids) if ids else {}
        self._tick(len(ids))
        titles = list(dict.fromkeys(plan.arxiv_search.values()))
        by_title = self.arxiv.search_titles(titles) if titles else {}
        self._tick(len(titles))
        return by_id, by_title

    def fetch_crossref(self, dois: Iterable[str]) -> dict[str, Outcome]:
        wanted = list(dict.fromkeys(dois))
        result = self.crossref.fetch(wanted) if wanted else {}
        self._tick(len(wanted))
        return {k.lower(): v for k, v in result.items()}

    def fetch_dblp(self, plan: Plan) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
        tocs: dict[str, Outcome] = {}
        for toc_key in sorted(set(plan.toc.values())):
            tocs[toc_key] = self.dblp.toc(toc_key)
            self._tick()
        # TOCs of records that have identifiers are read only if already cached or fetched above.
        for toc_key in sorted(set(plan.toc_extra.values()) - set(tocs)):
            entry = self.dblp.cache.get("dblp-toc", toc_key)
            if entry is not None and self.dblp.cache.is_usable(entry, self.dblp.settings):
                tocs[toc_key] = self.dblp.toc(toc_key)
        searches: dict[str, Outcome] = {}
        for query in sorted(set(plan.dblp_search.values()) | set(plan.published_search.values())):
            searches[query] = self.dblp.search(query)
            self._tick()
        names = sorted(set(plan.published_names.values()))
        for start in range(0, len(names), NAME_BATCH):
            searches.update(self._search_names(names[start : start + NAME_BATCH]))
        return tocs, searches

    def _search_names(self, names: list[str]) -> dict[str, Outcome]:
        """One DBLP query for several system names; a page-filling answer is split and re-asked.
        Keyed ``name:<name>``, each with the hits that name it."""
        from ..sources.dblp import MAX_PAGE

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
                Outcome(FOUND, hits, f"{len(hits)} DBLP hits", outcome.from_cache)
                if hits
                else Outcome.not_found(f"DBLP has no paper named {name!r}", from_cache=outcome.from_cache)
            )
        return out

    # -- merging (main thread, fixed order) -----------------------------------------------------
    def merge_arxiv(self, plan: Plan, by_id: dict[str, Outcome], by_title: dict[str, Outcome]) -> None:
        for key, ident in plan.arxiv.items():
            outcome = by_id.get(ident.value) or Outcome.failed(f"arXiv returned nothing for {ident.value}")
            self._log(key, "arxiv", outcome)
            if outcome.value is not None:
                merge.apply(self.by_key[key], outcome.value)
        for key, title in plan.arxiv_search.items():
            outcome = by_title.get(title) or Outcome.failed("arXiv search returned nothing")
            outcome = _check_year(self.by_key[key], outcome)
            self._log(key, "arxiv", outcome)
            if outcome.value is not None:
                merge.apply(self.by_key[key], outcome.value)

    def merge_crossref(self, wanted: dict[str, str], by_doi: dict[str, Outcome]) -> None:
        for key, doi in wanted.items():
            outcome = by_doi.get(doi.lower()) or Outcome.failed(f"Crossref returned nothing for {doi}")
            self._log(key, "crossref", outcome)
            if outcome.value is not None:
                merge.apply(self.by_key[key], outcome.value)
            elif outcome.status == NOT_FOUND:
                _unconfirmed_doi(self.by_key[key], doi)

    def merge_dblp(self, plan: Plan, tocs: dict[str, Outcome], searches: dict[str, Outcome]) -> None:
        from ..sources import dblp

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
            found = self._match(record, toc.metadata, from_toc=True, stream=dblp.toc_stream(toc_key))
            if extra and found.status != FOUND:
                continue  # a free extra: only a confident match is worth anything
            self._log(key, "dblp", found.outcome(from_cache=toc.from_cache))
            if found.value is not None:
                merge.apply(record, found.value)
        for key, query in plan.dblp_search.items():
            outcome = searches.get(query) or Outcome.failed("DBLP search returned nothing")
            record = self.by_key[key]
            if outcome.status != FOUND:
                if outcome.status == NOT_FOUND:
                    outcome = Outcome.not_found(
                        "DBLP title search found no paper", from_cache=outcome.from_cache
                    )
                self._log(key, "dblp", outcome)
                continue
            venue, _ = _venue(record)
            found = self._match(
                record,
                outcome.metadata,
                from_toc=False,
                stream=dblp.toc_stream(venue.dblp_toc if venue else ""),
            )
            self._log(key, "dblp", found.outcome(from_cache=outcome.from_cache))
            if found.value is not None:
                merge.apply(record, found.value)

    def merge_published(self, plan: Plan, searches: dict[str, Outcome]) -> None:
        """arXiv-only records whose published version DBLP knows: cited as published from now on."""
        from .published import find_published

        wanted = {**plan.published_search, **{k: f"name:{n}" for k, n in plan.published_names.items()}}
        for key, query in sorted(wanted.items()):
            outcome = searches.get(query) or Outcome.failed("DBLP search returned nothing")
            record = self.by_key[key]
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

    @staticmethod
    def _match(record: Record, hits: list[Metadata], *, from_toc: bool, stream: str) -> Any:
        from ..sources import dblp

        tag = record.tag
        venue, name = _venue(record)
        titles = [item.title for item in record.items]
        return dblp.match(
            titles,
            tag.year if tag else None,
            hits,
            names=dblp.venue_names(name, venue),
            stream=stream,
            from_toc=from_toc,
        )

    # -- verdicts -------------------------------------------------------------------------------
    def judge(self, plan: Plan) -> None:
        for record in self.records:
            lookups = self.lookups[record.key]
            by_status: dict[str, list[_Lookup]] = {}
            for lookup in lookups:
                by_status.setdefault(lookup.status, []).append(lookup)
            found = list(dict.fromkeys(lk.service for lk in by_status.get(FOUND, [])))
            problems = by_status.get(FAILED, []) + by_status.get(SKIPPED, [])
            if found:
                record.verdict = Verdict.PARTIAL if problems else Verdict.RESOLVED
                record.verdict_detail = "+".join(found)
                if problems:
                    record.verdict_detail += "; " + _details(problems)
            elif FAILED in by_status:
                record.verdict = Verdict.FAILED
                record.verdict_detail = _details(by_status[FAILED])
            elif AMBIGUOUS in by_status:
                record.verdict = Verdict.AMBIGUOUS
                record.verdict_detail = _details(by_status[AMBIGUOUS])
            elif NOT_FOUND in by_status:
                record.verdict = Verdict.NOT_FOUND
                record.verdict_detail = _details(by_status[NOT_FOUND])
            elif SKIPPED in by_status:
                record.verdict = Verdict.UNRESOLVED
                record.verdict_detail = "not looked up: " + _details(by_status[SKIPPED])
            else:
                record.verdict = Verdict.UNRESOLVED
                record.verdict_detail = plan.nothing.get(record.key, "no lookup possible")


def _unconfirmed_doi(record: Record, doi: str) -> None:
    """Neither Crossref nor doi.org knows the DOI: it is not exported as ``doi`` (a dead link in
    every style) but kept as a note, and the conflict reaches report.json."""
    sourced = record.fields.get("doi")
    if sourced is None or str(sourced.value).lower() != doi.lower():
        return
    del record.fields["doi"]
    note = str(record.get("note") or "")
    record.set("note", "; ".join(x for x in (note, f"DOI {doi} (not registered)") if x), sourced.provenance)
    text = f"doi: {sourced.provenance.source}={doi} unknown to Crossref and doi.org (kept as a note)"
    if text not in record.conflicts:
        record.conflicts.append(text)


def _details(lookups: list[_Lookup]) -> str:
    return "; ".join(
        dict.fromkeys(f"{lk.service}: {lk.detail}" if lk.detail else lk.service for lk in lookups)
    )


def _check_year(record: Record, outcome: Outcome) -> Outcome:
    """An arXiv title match whose year is more than one off the tag's year is another paper."""
    tag = record.tag
    meta = outcome.value
    if meta is None or tag is None or tag.year is None:
        return outcome
    year = meta.get("year")
    if isinstance(year, int) and abs(year - tag.year) > 1:
        return Outcome.not_found(
            f"arXiv {meta.get('arxiv')} has this title but year {year}, list says {tag.year}",
            from_cache=outcome.from_cache,
        )
    return outcome


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="resolve", unit="lookup", file=sys.stderr, leave=False)


def resolve_records(
    records: list[Record],
    settings: Settings,
    *,
    http: HttpClient | None = None,
    progress: bool | None = None,
) -> ResolveReport:
    """Look every record up (cache first), merge what the services say, set verdicts.

    ``http`` lets a caller share one client (and its request counters); by default one is
    made and closed here. ``progress`` overrides ``settings.progress``; the bar only ever
    appears on an interactive stderr.
    """
    own_http = http is None
    client = http if http is not None else HttpClient(settings)
    before = dict(client.requests_made)
    cache = Cache(settings.cache_path)
    plan = plan_lookups(records)
    listed_conflicts = {r.key: len(r.conflicts) for r in records}
    total = len(plan.arxiv) + len(plan.dois) + len(set(plan.toc.values())) + len(plan.arxiv_search)
    total += len(set(plan.dblp_search.values()) | set(plan.published_search.values()))
    total += -(-len(set(plan.published_names.values())) // NAME_BATCH)
    bar = _progress_bar(total, settings.progress if progress is None else progress)
    run = _Run(records, settings, client, cache, bar)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="resolve")
    try:
        try:
            arxiv_future = pool.submit(run.fetch_arxiv, plan)
            crossref_future = pool.submit(run.fetch_crossref, plan.dois.values())
            dblp_future = pool.submit(run.fetch_dblp, plan)
            by_id, by_title = arxiv_future.result()
            by_doi = crossref_future.result()
            # Round 2: DOIs arXiv reports for records that have none of their own.
            second: dict[str, str] = {}
            for key, ident in plan.arxiv.items():
                meta = by_id.get(ident.value)
                doi = meta.value.get("doi") if meta is not None and meta.value is not None else None
                if doi and key not in plan.dois and not str(doi).lower().startswith(_DATACITE_ARXIV):
                    second[key] = str(doi).lower()
            for key, title in plan.arxiv_search.items():
                meta = by_title.get(title)
                doi = meta.value.get("doi") if meta is not None and meta.value is not None else None
                if doi and not str(doi).lower().startswith(_DATACITE_ARXIV):
                    second[key] = str(doi).lower()
            run._grow(len(second))
            round2 = pool.submit(run.fetch_crossref, [d for d in second.values() if d not in by_doi])
            by_doi = {**by_doi, **round2.result()}
            tocs, searches = dblp_future.result()
        except BaseException:
            # Ctrl-C (or a worker's error): `with ThreadPoolExecutor` would wait here for the
            # workers to fetch every remaining lookup. Instead no new request is sent (each
            # fails at once, and failures are never cached), queued work is cancelled, and
            # only requests already on the wire are waited for (at interpreter exit at the
            # latest). Cache writes are one transaction per batch: nothing is half-written.
            client.interrupt()
            for extra in run._extra_http:
                extra.interrupt()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        run.merge_arxiv(plan, by_id, by_title)
        run.merge_crossref(plan.dois, by_doi)
        run.merge_crossref(second, by_doi)
        run.merge_dblp(plan, tocs, searches)
        run.merge_published(plan, searches)
        run.judge(plan)
    finally:
        if bar is not None:
            bar.close()
        run.close()
        cache.close()
        if own_http:
            client.close()
    report = _report(records, settings, client, before, run)
    for record in records:
        found = record.conflicts[listed_conflicts.get(record.key, 0) :]
        if found:
            report.conflicts.append({"key": record.key, "lines": record.lines, "conflicts": found})
    return report


def _report(
    records: list[Record], settings: Settings, client: HttpClient, before: dict[str, int], run: Any = None
) -> ResolveReport:
    report = ResolveReport(offline=settings.offline, records=len(records))
    report.unreachable = sorted(getattr(client, "unreachable", {}))
    report.why = dict(sorted(getattr(client, "unreachable", {}).items()))
    report.throttled = {k: v for k, v in sorted(getattr(client, "throttled", {}).items()) if v}
    report.counts = {v.value: 0 for v in Verdict}
    for service, n in client.requests_made.items():
        made = n - before.get(service, 0)
        if made:
            report.requests[service] = made
    lists: dict[Verdict, list[dict[str, Any]]] = {
        Verdict.AMBIGUOUS: report.ambiguous,
        Verdict.FAILED: report.failed,
        Verdict.PARTIAL: report.partial,
        Verdict.NOT_FOUND: report.not_found,
        Verdict.UNRESOLVED: report.unresolved,
    }
    report.published_since_listed = list(getattr(run, "published", []))
    report.published_ambiguous = list(getattr(run, "published_ambiguous", []))
    for record in records:
        report.counts[record.verdict.value] += 1
        target = lists.get(record.verdict)
        if target is not None:
            target.append({"key": record.key, "lines": record.lines, "reason": record.verdict_detail})
    return report
