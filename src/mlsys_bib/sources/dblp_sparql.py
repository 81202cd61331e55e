"""DBLP's SPARQL endpoint: a preprint's published twins, fifty arXiv ids to a query.

Why SPARQL and not the search API: finding the published version of an arXiv-only paper by
title search costs one request per paper and misses retitled versions. DBLP files every arXiv
paper as a CoRR record whose key follows from the arXiv id (``2309.06180`` ->
``journals/corr/abs-2309-06180``), and its knowledge graph links every record to its authors'
person entities. One query joins a batch of CoRR records to every paper their first author
published from a year before to three years after, which is exactly what
:func:`mlsys_bib.resolve.published.find_published` needs to judge (title and author overlap, or
the CoRR twin and shared title words). The endpoint (``sparql.dblp.org``, standard SPARQL 1.1
protocol and JSON results) is served apart from dblp.org's bot wall; an HTML answer is still
detected as walled by the HTTP client.

Caching is per arXiv id (namespace ``dblp-sparql-twins``), so a batch's composition never
matters and a warm rebuild asks nothing; an id DBLP has no CoRR record for is a negative entry
(it expires, DBLP adds papers). A failure is never cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from ..config import Settings
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient
from ..net.response import ServiceError, loads_json
from .dblp_match import toc_stream
from .dblp_sparql_queries import (
    REC,
    STREAM_BATCH,
    TOC_PAPERS_PER_QUERY,
    TOC_SIZE_UNKNOWN,
    StreamLookup,
    arxiv_of_corr,
    corr_key,
    streams_query,
    toc_iri,
    toc_query,
    twins_query,
    usable_word,
)
from .dblp_sparql_rows import TYPE_KIND, candidates, rows_by
from .outcome import FOUND, Outcome

__all__ = [
    "BATCH", "NS_STREAM", "NS_TOC", "NS_TWINS", "SERVICE", "STREAM_BATCH", "TOC_PAPERS_PER_QUERY",
    "TOC_SIZE_UNKNOWN", "TYPE_KIND", "DblpSparqlClient", "StreamLookup", "arxiv_of_corr", "candidates",
    "corr_key", "rows_by", "streams_query", "toc_iri", "toc_query", "twins_query", "usable_word",
]

SERVICE = "dblp-sparql"
NS_TWINS = "dblp-sparql-twins"
NS_TOC = "dblp-sparql-toc"
NS_STREAM = "dblp-sparql-stream"
#: arXiv ids per query: keeps a GET's URL near 6 kB, well under servers' 8 kB line limits.
BATCH = 50


def _holds_corr(rows: Sequence[Mapping[str, str]], ident: str) -> bool:
    return any(row.get("pub") == REC + corr_key(ident) for row in rows)


class DblpSparqlClient:
    """Published-twin candidates per arXiv id, batched, through the shared cache.

    :meth:`twins` returns an :class:`Outcome` per id: ``found`` with every candidate (the CoRR
    record among them), ``not found`` when DBLP has no CoRR record for the id, ``failed`` when
    the endpoint could not be asked (offline and not cached, HTTP error, HTML page, bad JSON).
    """

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings, *, batch: int = BATCH) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings
        self.batch = max(1, batch)

    @property
    def endpoint(self) -> str:
        return f"{self.settings.dblp_sparql_url}/sparql"

    def twins(self, arxiv_ids: Sequence[str]) -> dict[str, Outcome]:
        out, wanted = self._split_cached(arxiv_ids, NS_TWINS)
        for start in range(0, len(wanted), self.batch):
            out.update(self._ask(wanted[start : start + self.batch]))
        return out

    def tocs(self, toc_keys: Sequence[str], sizes: Mapping[str, int] | None = None) -> dict[str, Outcome]:
        """Every paper of each table of contents, several TOCs to a query (``sizes``: expected
        papers per TOC, from the venue table), in DBLP's TOC order of keys."""
        out, wanted = self._split_cached(toc_keys, NS_TOC)
        batch: list[str] = []
        papers = 0
        for key in wanted:
            size = (sizes or {}).get(key) or TOC_SIZE_UNKNOWN
            if batch and papers + size > TOC_PAPERS_PER_QUERY:
                out.update(self._ask_tocs(batch))
                batch, papers = [], 0
            batch.append(key)
            papers += size
        if batch:
            out.update(self._ask_tocs(batch))
        return out

    def streams(self, lookups: Sequence[StreamLookup]) -> dict[str, Outcome]:
        """Per lookup key: the venue-year's papers holding the word, ``not found`` when none."""
        by_key = {lk.key: lk for lk in lookups}
        out, wanted = self._split_cached(by_key, NS_STREAM)
        for start in range(0, len(wanted), STREAM_BATCH):
            out.update(self._ask_streams([by_key[k] for k in wanted[start : start + STREAM_BATCH]]))
        return out

    def _split_cached(self, keys: Iterable[str], namespace: str) -> tuple[dict[str, Outcome], list[str]]:
        """({key: cached outcome}, [keys to ask]) for ``keys`` in order, each once."""
        out: dict[str, Outcome] = {}
        wanted: list[str] = []
        for key in dict.fromkeys(keys):
            cached = self._cached(key, namespace)
            if cached is None:
                wanted.append(key)
            else:
                out[key] = cached
        return out, wanted

    def _ask_streams(self, batch: list[StreamLookup]) -> dict[str, Outcome]:
        try:
            grouped = self._query(streams_query(batch), "want")
        except ServiceError as exc:
            return {lk.key: Outcome.failed(f"DBLP SPARQL venue search: {exc.reason}") for lk in batch}
        for lookup in batch:
            for row in grouped.get(lookup.key, []):
                key = row.get("pub", "").removeprefix(REC)
                if not any(key.startswith(stream + "/") for stream in lookup.streams):
                    return {
                        lk.key: Outcome.failed(f"DBLP SPARQL: {key} is not in {'/'.join(lookup.streams)}")
                        for lk in batch
                    }
        return self._store(NS_STREAM, {lk.key: grouped.get(lk.key, []) for lk in batch})

    def cached_toc(self, toc_key: str) -> Outcome | None:
        """The TOC from the cache only (None when not there or stale; offline, a failure)."""
        return self._cached(toc_key, NS_TOC)

    def _ask_tocs(self, batch: list[str]) -> dict[str, Outcome]:
        try:
            grouped = self._query(toc_query(batch), "toc")
        except ServiceError as exc:
            return {k: Outcome.failed(f"DBLP SPARQL TOC {k}: {exc.reason}") for k in batch}
        for key in batch:
            stream = toc_stream(key)
            rows = grouped.get(key.removesuffix(".bht"), [])
            if rows and stream and not any(r.get("pub", "").startswith(REC + stream + "/") for r in rows):
                return {
                    k: Outcome.failed(f"DBLP SPARQL: TOC {key} answered with another venue") for k in batch
                }
        return self._store(NS_TOC, {k: grouped.get(k.removesuffix(".bht"), []) for k in batch})

    def _query(self, query: str, group: str) -> dict[str, list[dict[str, str]]]:
        response = self.http.get(
            SERVICE,
            self.endpoint,
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        if response.status != 200:
            raise ServiceError(SERVICE, response.url, f"HTTP {response.status}")
        data = response.json()
        if not isinstance(data, Mapping):
            raise ServiceError(SERVICE, response.url, "answer is not a JSON object")
        try:
            return rows_by(data, group)
        except ValueError as exc:
            raise ServiceError(SERVICE, response.url, str(exc)) from None

    def _store(self, namespace: str, rows_by_key: Mapping[str, list[dict[str, str]]]) -> dict[str, Outcome]:
        fetched = now_iso()
        out: dict[str, Outcome] = {}
        entries = []
        for key, rows in rows_by_key.items():
            body = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            entries.append(
                CacheEntry(namespace, key, 200, "application/json", body, fetched, negative=not rows)
            )
            out[key] = self._outcome(key, rows, fetched, namespace=namespace)
        self.cache.put_many(entries)  # one transaction: a batch is stored whole or not at all
        return out

    def _ask(self, batch: list[str]) -> dict[str, Outcome]:
        try:
            grouped = self._query(twins_query(batch), "corr")
        except ServiceError as exc:
            return {i: Outcome.failed(f"DBLP SPARQL: {exc.reason}") for i in batch}
        wrong = [i for i in batch if grouped.get(corr_key(i)) and not _holds_corr(grouped[corr_key(i)], i)]
        if wrong:
            # rows filed under an id but not holding its CoRR record describe another paper:
            # cached, they would stand for good
            return {
                i: Outcome.failed(f"DBLP SPARQL: answer for {wrong[0]} is about another paper") for i in batch
            }
        return self._store(NS_TWINS, {i: grouped.get(corr_key(i), []) for i in batch})

    def _cached(self, key: str, namespace: str = NS_TWINS) -> Outcome | None:
        entry = self.cache.fresh(namespace, key, self.settings)
        if entry is None:
            if self.settings.offline:
                return Outcome.failed(f"offline: DBLP SPARQL {namespace} {key!r} not in cache")
            return None
        try:
            rows = loads_json(entry.body)
        except (ServiceError, ValueError):
            return None
        if not isinstance(rows, list):
            return None
        return self._outcome(key, rows, entry.fetched_at, from_cache=True, namespace=namespace)

    @staticmethod
    def _outcome(
        key: str,
        rows: list[dict[str, str]],
        fetched: str,
        *,
        from_cache: bool = False,
        namespace: str = NS_TWINS,
    ) -> Outcome:
        if not rows:
            what = {NS_TWINS: f"no CoRR record of arXiv {key}", NS_TOC: f"no papers in TOC {key}"}.get(
                namespace, f"no paper of this title in {key}"
            )
            return Outcome.not_found(f"DBLP has {what}", from_cache=from_cache)
        hits = candidates(rows, fetched)
        what = {NS_TWINS: "papers of its first author", NS_TOC: "papers in the TOC"}.get(namespace, "papers")
        return Outcome(FOUND, hits, f"{len(hits)} DBLP {what}", from_cache)
