"""DBLP: tables of contents per venue-year, title searches, and matching hits to list items.

Why DBLP at all: most items of the list carry a venue tag but no DOI or arXiv link
(``[OSDI'22] Looking Beyond GPUs ...``), and USENIX papers have no DOI anywhere. DBLP knows
every paper of OSDI 2022 with its authors and pages, and one *table-of-contents* query
(``q=toc:db/conf/osdi/osdi2022.bht:``) returns them all, so one request serves every item of
that venue-year. Title searches are the fallback for venues without a TOC key.

DBLP's answers are read by :mod:`.dblp_hits` (its JSON's many shapes); a 429 is an HTML page
and bodies use CRLF. Which hit is an item's paper is decided by :mod:`.dblp_match`, strictly,
because a wrong paper is worse than none. This module is the client: requests, paging, cache.

Caching: the raw answer is stored per TOC key (namespace ``dblp-toc``; a paged TOC is stored
as one merged document in DBLP's own shape) and per query (``dblp-search``). Empty answers are
negative entries (they expire); failures are never stored, so they are retried next run. A
wrong answer (a TOC none of whose papers is in the TOC's stream, a search none of whose hits
covers the query's words) is a failure too: cached, it would stand for good.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from ..config import Settings
from ..model import Metadata
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient
from ..net.response import ServiceError, loads_json
from ..text.titles import covers_query, normalise
from .dblp_hits import SERVICE, as_int, as_list, hits_of, merge_pages, parse_hits, split_name, total_hits
from .dblp_match import Match, TitleIndex, match, title_query, toc_stream, venue_agrees, venue_names
from .outcome import FOUND, Outcome

__all__ = [
    "MAX_PAGE", "NS_SEARCH", "NS_TOC", "SERVICE", "DblpClient", "Match", "TitleIndex", "match",
    "normalise", "parse_hits", "split_name", "title_query", "toc_stream", "total_hits", "venue_agrees",
    "venue_names",
]

NS_TOC = "dblp-toc"
NS_SEARCH = "dblp-search"
#: DBLP's maximum page size; also its default cap on how far ``f`` may page (10 000).
MAX_PAGE = 1000
MAX_OFFSET = 10_000
#: Hits requested per title search: the right paper is often not first (CoRR copies, namesakes).
SEARCH_HITS = 30


class DblpClient:
    """TOC and title-search lookups against ``settings.dblp_url``, through the shared cache.

    Both methods return an :class:`Outcome`: ``found`` with every paper hit as metadata,
    ``not found`` for an empty answer, ``failed`` when DBLP could not be asked (offline and
    not cached, HTTP error, HTML rate-limit page, broken JSON). They never raise for those.
    """

    def __init__(
        self, http: HttpClient, cache: Cache, settings: Settings, *, page_size: int = MAX_PAGE
    ) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings
        self.page_size = max(1, min(page_size, MAX_PAGE))

    @property
    def api(self) -> str:
        return f"{self.settings.dblp_url}/search/publ/api"

    # -- public ---------------------------------------------------------------------------------
    def toc(self, toc_key: str) -> Outcome:
        """Every paper of one table of contents (``db/conf/osdi/osdi2018.bht``), paged to @total."""
        cached = self._cached(NS_TOC, toc_key)
        if cached is not None:
            return cached
        query = f"toc:{toc_key}:"
        pages: list[Mapping[str, object]] = []
        offset = 0
        total = 0
        try:
            while True:
                data = self._get_json(
                    {"q": query, "format": "json", "h": str(self.page_size), "f": str(offset)}
                )
                pages.append(data)
                total = total_hits(data)
                sent = len(as_list(hits_of(data).get("hit")))
                offset += sent
                if sent == 0 or offset >= total or offset >= MAX_OFFSET:
                    break
        except ServiceError as exc:
            return Outcome.failed(f"DBLP TOC {toc_key}: {exc.reason}")
        merged = merge_pages(pages)
        return self._store(NS_TOC, toc_key, merged, f"TOC {toc_key}", _toc_check(toc_key))

    def search(self, query: str, h: int = SEARCH_HITS) -> Outcome:
        """The first ``h`` hits of a free-text publication search (one request, cached per query)."""
        h = max(1, min(h, MAX_PAGE))
        cache_key = f"{query}\x1fh={h}"
        cached = self._cached(NS_SEARCH, cache_key)
        if cached is not None:
            return cached
        try:
            data = self._get_json({"q": query, "format": "json", "h": str(h)})
        except ServiceError as exc:
            return Outcome.failed(f"DBLP search {query!r}: {exc.reason}")
        return self._store(NS_SEARCH, cache_key, data, f"search {query!r}", _search_check(query))

    # -- internals ------------------------------------------------------------------------------
    def _get_json(self, params: Mapping[str, str]) -> Mapping[str, object]:
        response = self.http.get(
            SERVICE, self.api, params=dict(params), headers={"Accept": "application/json"}
        )
        if response.status != 200:
            raise ServiceError(SERVICE, response.url, f"HTTP {response.status}")
        data = response.json()  # raises ServiceError for an HTML (429/error) page or bad JSON
        result = data.get("result") if isinstance(data, Mapping) else None
        if not isinstance(data, Mapping) or not isinstance(result, Mapping):
            raise ServiceError(SERVICE, response.url, "answer has no 'result' object")
        status = result.get("status") or {}
        code = as_int(status.get("@code")) if isinstance(status, Mapping) else None
        if code not in (None, 200):
            raise ServiceError(SERVICE, response.url, f"DBLP status {code}")
        return data

    def _cached(self, namespace: str, key: str) -> Outcome | None:
        entry = self.cache.fresh(namespace, key, self.settings)
        if entry is None:
            if self.settings.offline:
                return Outcome.failed(f"offline: DBLP {namespace} {key!r} not in cache")
            return None
        try:
            hits = parse_hits(loads_json(entry.body), entry.fetched_at)
        except (ServiceError, ValueError, AssertionError, AttributeError):
            return None  # an unreadable entry is refetched, never trusted
        return self._outcome(hits, key, from_cache=True)

    def _store(
        self,
        namespace: str,
        key: str,
        data: Mapping[str, object],
        what: str,
        check: Callable[[list[Metadata]], str] | None = None,
    ) -> Outcome:
        """Cache DBLP's answer and say what it holds; ``check`` names what makes it a wrong
        answer (about another query), which is a failure and is not cached."""
        fetched = now_iso()
        hits = parse_hits(data, fetched)
        wrong = check(hits) if check is not None and hits else ""
        if wrong:
            return Outcome.failed(f"DBLP {what}: {wrong}")
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.cache.put(CacheEntry(namespace, key, 200, "application/json", body, fetched, negative=not hits))
        return self._outcome(hits, key)

    @staticmethod
    def _outcome(hits: list[Metadata], key: str, *, from_cache: bool = False) -> Outcome:
        if not hits:
            return Outcome.not_found(f"DBLP has no papers for {key!r}", from_cache=from_cache)
        return Outcome(FOUND, hits, f"{len(hits)} DBLP hits", from_cache)


def _toc_check(toc_key: str) -> Callable[[list[Metadata]], str]:
    """A TOC's papers all have keys in the TOC's stream (``db/conf/osdi/osdi2022.bht`` holds
    ``conf/osdi/...``); an answer none of whose papers does is about another venue."""
    stream = toc_stream(toc_key)

    def check(hits: list[Metadata]) -> str:
        keys = [str(h.get("dblp_key") or "") for h in hits]
        if not stream or any(k.startswith(stream + "/") for k in keys):
            return ""
        return f"answer is about another venue: no paper in {stream}/ (e.g. {keys[0] or '?'})"

    return check


def _search_check(query: str) -> Callable[[list[Metadata]], str]:
    """DBLP answers a search only with papers having every query word (as a word prefix), so an
    answer none of whose hits' titles covers even half of the query's words (let alone shares
    one with it) answers another query: a wrong answer, not to be cached as this one's."""
    words = " ".join(w for w in query.split() if ":" not in w)  # facets (venue:, year:) aside
    alternatives = {a.rstrip("$") for a in words.split("|")} if "|" in words else set()

    def check(hits: list[Metadata]) -> str:
        if alternatives:  # "a$|b$|c$": an answer is about the query if a hit names one of them
            if any(alternatives & set(normalise(str(h.get("title") or "")).split()) for h in hits):
                return ""
        elif any(covers_query(str(h.get("title") or ""), words, share=0.8) for h in hits):
            # DBLP's own hits hold every query word (0.8 leaves room for spelling differences); a
            # hit holding not even half of them is not DBLP's answer to this query but a broken
            # one, which must not be cached as this query's answer
            odd = [h for h in hits if not covers_query(str(h.get("title") or ""), words)]
            if not odd:
                return ""
            shown = str(odd[0].get("title") or "?")[:60]
            return f"answer holds a paper the query does not describe ({shown!r})"
        return f"answer is about other papers (e.g. {str(hits[0].get('title') or '?')[:60]!r})"

    return check


