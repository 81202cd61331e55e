"""Resolve records: plan the fewest lookups, run them (cache first), merge, and give verdicts.

The stage in four steps, one module each: :mod:`.plan` decides which lookups each record gets
before any request is made; :mod:`.run` fetches them (one worker per service) and merges what
came back in one fixed order (:mod:`.merge` holds the rank table that decides between sources,
:mod:`.published` the guarded matcher for published twins); :mod:`.verdicts` says what the
lookups mean for each record; :mod:`.report` tells the user. ``settings.offline`` asks nothing.
A record none of whose lookups could be made stays UNRESOLVED; a failure is never cached, so the
next run retries exactly the failed lookups.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import Settings
from ..model import Record
from ..net.cache import Cache
from ..net.http import HttpClient
from ..sources.dblp_sparql import BATCH as SPARQL_BATCH
from . import shared
from .plan import Plan, plan_lookups
from .published import NAME_BATCH
from .report import ResolveReport, build_report
from .run import Run
from .verdicts import judge

__all__ = ["Plan", "ResolveReport", "resolve_records", "plan_lookups"]



def _progress_bar(total: int, enabled: bool) -> Any:  # a tqdm bar (its stubs are not installed), or None
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
    total += -(-len(set(plan.published_twins.values())) // SPARQL_BATCH)
    bar = _progress_bar(total, settings.progress if progress is None else progress)
    run = Run(records, settings, client, cache, bar)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="resolve")
    try:
        try:
            crossref_future = pool.submit(run.fetch_crossref, plan.dois.values())
            dblp_future = pool.submit(run.fetch_dblp, plan)
            # arXiv is read and merged here, a slice at a time, while Crossref and DBLP are fetched
            # (the DBLP fetch reads no merged field); its answers are never all held at once
            second = run.read_arxiv(plan)  # Round 2: DOIs arXiv reports for records without one
            # (a done future keeps its result: each is dropped once read, or every answer would
            # outlive its merge until the run ends)
            by_doi = crossref_future.result()
            del crossref_future
            run._grow(len(second))
            round2 = pool.submit(run.fetch_crossref, [d for d in second.values() if d not in by_doi])
            by_doi = {**by_doi, **round2.result()}
            del round2
            run.merge_crossref(plan.dois, by_doi)
            run.merge_crossref(second, by_doi)
            del by_doi
            tocs, searches, twins = dblp_future.result()
            del dblp_future
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
        run.merge_dblp(plan, tocs, searches)
        run.merge_published(plan, searches, twins)
        judge(records, run.lookups, plan.nothing)
    finally:
        if bar is not None:
            bar.close()
        shared.forget()
        run.close()
        cache.close()
        if own_http:
            client.close()
    return build_report(
        records,
        settings,
        client,
        before,
        published=run.published,
        published_ambiguous=run.published_ambiguous,
        conflicts_before=listed_conflicts,
    )
