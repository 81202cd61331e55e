"""arXiv export API client: batched ``id_list`` lookups and strict title search.

What the recordings taught (see shared/notes/service-formats.md):

* two feed generations exist, with namespaces declared on the root or repeated on each element
  and different element orders (read by :mod:`.arxiv_feed`);
* unknown IDs are silently left out of a batch (HTTP 200), so entries are matched to the
  requested IDs here, and a missing ID is a definitive "not found" -- unless the answer holds
  entries for IDs not asked for: such a wrong answer proves nothing about the missing IDs,
  which fail (and are retried next run) instead of being cached as misses; likewise a title
  search answered only with entries sharing no word with any title asked;
* a malformed ID makes the whole request fail with HTTP 400 and an Atom "error feed" (one entry
  titled ``Error`` whose id is ``http(s)://arxiv.org/api/errors#...``); the batch is then split
  to isolate the bad ID, so one typo cannot fail a hundred papers;
* ``max_results`` defaults to 10 even with ``id_list``, so it is always sent.

IDs are always requested without version: the API then answers with the latest version, whose
metadata (DOI, journal reference added after publication) is the one worth citing; the version
returned is kept in ``arxiv_version`` and in the provenance.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from xml.etree.ElementTree import Element

from ..config import Settings
from ..ids import Identifier
from ..model import Metadata
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient
from ..net.response import Response, ServiceError
from ..text.titles import covers_query, search_words, share_words
from .arxiv_feed import SERVICE, FeedError, entry_bytes, entry_to_metadata, parse_entries, parse_feed, wrap
from .outcome import Outcome

__all__ = ["BATCH_SIZE", "SERVICE", "ArxivClient", "FeedError", "entry_to_metadata", "parse_feed"]

log = logging.getLogger(__name__)

NAMESPACE = "arxiv"
SEARCH_NAMESPACE = "arxiv-search"
API_PATH = "/api/query"
#: The export API's documented ceiling for one id_list request is far higher, but 100 keeps the
#: URL short (~1.5 kB) and a failing batch cheap to bisect.
BATCH_SIZE = 100
#: Title search: at most this many titles OR-ed into one query, and this many results per title.
SEARCH_TITLES_PER_REQUEST = 5
SEARCH_RESULTS_PER_TITLE = 20
#: Keep search URLs well under common 2 kB proxy limits.
SEARCH_MAX_QUERY_CHARS = 900
CONTENT_TYPE = "application/atom+xml"
NO_TITLE_MATCH = "no arXiv paper has this exact title"

_BAD_ID_MSG = re.compile(r"(?:incorrect id format for|malformed id:?)\s+(?P<id>\S+)", re.IGNORECASE)


_OLD_STYLE_CLASS = re.compile(r"^([a-z-]+)\.[a-z-]+/", re.IGNORECASE)


def _match_key(value: str) -> str:
    """An arXiv id as answers spell it: ``math.GT/0309136`` is answered as ``math/0309136``."""
    return _OLD_STYLE_CLASS.sub(r"\1/", value).lower()


def _row(namespace: str, key: str, status: int, body: bytes, fetched: str) -> CacheEntry:
    """A cache row; an empty body is a negative (definitive miss) entry."""
    return CacheEntry(namespace, key, status, CONTENT_TYPE, body, fetched, not body)


# -- client --------------------------------------------------------------------------------------


class ArxivClient:
    """Resolve arXiv IDs (batched) and exact titles through the export API, cache first."""

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings
        self.url = settings.arxiv_url + API_PATH

    # -- ids ------------------------------------------------------------------------------------
    def fetch(self, ids: Sequence[Identifier]) -> dict[str, Outcome]:
        """Outcomes keyed by ``Identifier.value`` (version-less arXiv id)."""
        values = list(dict.fromkeys(i.value for i in ids if i.kind == "arxiv"))
        results: dict[str, Outcome] = {}
        for ident in ids:
            if ident.kind != "arxiv":
                results[ident.value] = Outcome.failed(f"not an arXiv identifier: {ident}")
        cached = self.cache.get_many(NAMESPACE, values)
        todo: list[str] = []
        for value in values:
            entry = cached.get(value)
            outcome = self._from_cache(entry) if entry is not None else None
            if outcome is None:
                todo.append(value)
            else:
                results[value] = outcome
        for start in range(0, len(todo), BATCH_SIZE):
            results.update(self._fetch_batch(todo[start : start + BATCH_SIZE]))
        return results

    def _from_cache(self, entry: CacheEntry) -> Outcome | None:
        if not self.cache.is_usable(entry, self.settings):
            return None
        if entry.negative:
            # Same words as the fresh answer: "from cache" is Outcome.from_cache, never part of
            # the detail, so a warm rerun's report equals the cold build's.
            return Outcome.not_found(f"arXiv has no paper {entry.key}", from_cache=True)
        try:
            metas, _ = parse_feed(entry.body, entry.fetched_at)
        except FeedError:
            return None  # unreadable cache row: fetch again
        for meta in metas:
            if _match_key(str(meta.get("arxiv") or "")) == _match_key(entry.key):
                return Outcome.found(meta, from_cache=True)
        return None

    def _fetch_batch(self, batch: list[str]) -> dict[str, Outcome]:
        if not batch:
            return {}
        params = [("id_list", ",".join(batch)), ("max_results", str(len(batch)))]
        answer = self._query(batch, params, "arXiv")
        if isinstance(answer, dict):
            return answer
        response, fetched, found, errors = answer
        if errors or response.status >= 400:
            return self._isolate(batch, errors, response.status)
        asked = {_match_key(v): v for v in batch}
        by_id: dict[str, tuple[Metadata, Element]] = {}
        foreign: list[str] = []
        for meta, elem in found:
            value = asked.get(_match_key(str(meta.get("arxiv") or "")))
            if value is None:
                foreign.append(str(meta.get("arxiv")))
            else:
                by_id.setdefault(value, (meta, elem))
        if foreign:
            log.warning("arXiv answered id_list=%s with entries not asked for: %s", ",".join(batch), foreign)
        results: dict[str, Outcome] = {}
        entries: list[CacheEntry] = []
        for value in batch:
            hit = by_id.get(value)
            if hit is None and foreign:
                # Unknown IDs are simply left out of an answer; but one that holds entries for IDs
                # not asked for is a wrong answer, and an ID missing from it proves nothing: a
                # failure (retried next run), not a "not found" cached for negative_ttl_days.
                others = ", ".join(sorted(set(foreign))[:5])
                results[value] = Outcome.failed(
                    f"arXiv: answer holds entries for IDs not asked for ({others}) and none for {value}"
                )
            elif hit is None:
                results[value] = Outcome.not_found(f"arXiv has no paper {value}")
                entries.append(_row(NAMESPACE, value, response.status, b"", fetched))
            else:
                results[value] = Outcome.found(hit[0])
                entries.append(_row(NAMESPACE, value, response.status, entry_bytes(hit[1]), fetched))
        self.cache.put_many(entries)
        return results

    def _query(
        self, batch: list[str], params: list[tuple[str, str]], what: str
    ) -> tuple[Response, str, list[tuple[Metadata, Element]], list[str]] | dict[str, Outcome]:
        """One API request for ``batch``: the response, its fetch time, its entries and its error
        messages; or, when the request fails or the feed is unreadable, every item's failure."""
        try:
            response = self.http.get(SERVICE, self.url, params=params)
        except ServiceError as exc:
            return {v: Outcome.failed(str(exc)) for v in batch}
        fetched = now_iso()
        try:
            found, errors, _ = parse_entries(response.content, fetched)
        except FeedError as exc:
            return {v: Outcome.failed(f"{what}: HTTP {response.status}, {exc}") for v in batch}
        return response, fetched, found, errors

    def _isolate(self, batch: list[str], errors: list[str], status: int) -> dict[str, Outcome]:
        """An error feed fails the whole request: name the culprit, then retry the others."""
        message = "; ".join(errors) or f"HTTP {status} without an error message"
        if len(batch) == 1:
            return {batch[0]: Outcome.failed(f"arXiv API error for {batch[0]}: {message}")}
        lowered = {v.lower(): v for v in batch}
        bad = []
        for err in errors:
            m = _BAD_ID_MSG.search(err)
            if m and m["id"].lower().rstrip(".") in lowered:
                bad.append(lowered[m["id"].lower().rstrip(".")])
        results: dict[str, Outcome] = {}
        if bad:
            for v in bad:
                results[v] = Outcome.failed(f"arXiv API error for {v}: {message}")
            rest = [v for v in batch if v not in bad]
            results.update(self._fetch_batch(rest))
            return results
        mid = len(batch) // 2  # the message names no ID we sent: bisect
        results.update(self._fetch_batch(batch[:mid]))
        results.update(self._fetch_batch(batch[mid:]))
        return results

    # -- titles ---------------------------------------------------------------------------------
    def search_titles(self, titles: Sequence[str]) -> dict[str, Outcome]:
        """Outcomes keyed by the title as given; only an exact normalised-title match counts."""
        results: dict[str, Outcome] = {}
        keys: dict[str, list[str]] = {}
        for title in titles:
            key = search_words(title)
            if not key:
                results[title] = Outcome.not_found("empty title")
                continue
            keys.setdefault(key, []).append(title)
        cached = self.cache.get_many(SEARCH_NAMESPACE, keys)
        todo: list[str] = []
        for key in keys:
            outcome = self._search_from_cache(cached.get(key))
            if outcome is None:
                todo.append(key)
            else:
                for title in keys[key]:
                    results[title] = outcome
        for batch in self._search_batches(todo):
            for key, outcome in self._search_batch(batch).items():
                for title in keys[key]:
                    results[title] = outcome
        return results

    def _search_batches(self, keys: list[str]) -> list[list[str]]:
        batches: list[list[str]] = []
        current: list[str] = []
        length = 0
        for key in keys:
            cost = len(key) + 12  # ti:"..." OR
            full = len(current) >= SEARCH_TITLES_PER_REQUEST or length + cost > SEARCH_MAX_QUERY_CHARS
            if current and full:
                batches.append(current)
                current, length = [], 0
            current.append(key)
            length += cost
        if current:
            batches.append(current)
        return batches

    def _search_from_cache(self, entry: CacheEntry | None) -> Outcome | None:
        if entry is None or not self.cache.is_usable(entry, self.settings):
            return None
        if entry.negative:
            return Outcome.not_found(NO_TITLE_MATCH, from_cache=True)
        try:
            metas, _ = parse_feed(entry.body, entry.fetched_at)
        except FeedError:
            return None
        return self._judge(metas, from_cache=True)

    @staticmethod
    def _judge(metas: list[Metadata], *, from_cache: bool = False) -> Outcome:
        distinct = {m.get("arxiv"): m for m in metas}
        if not distinct:
            return Outcome.not_found(NO_TITLE_MATCH, from_cache=from_cache)
        if len(distinct) > 1:
            ids = ", ".join(sorted(distinct))
            return Outcome.ambiguous(list(distinct.values()), f"several arXiv papers have this title: {ids}",
                                     from_cache=from_cache)  # fmt: skip
        return Outcome.found(next(iter(distinct.values())), from_cache=from_cache)

    def _search_batch(self, batch: list[str]) -> dict[str, Outcome]:
        # a key is search_words' output: letters and digits only, never the engine's query syntax
        query = " OR ".join(f'ti:"{key}"' for key in batch)
        max_results = min(100, SEARCH_RESULTS_PER_TITLE * len(batch))
        params = [("search_query", query), ("start", "0"), ("max_results", str(max_results))]
        answer = self._query(batch, params, "arXiv search")
        if isinstance(answer, dict):
            return answer
        response, fetched, found, errors = answer
        if errors or response.status >= 400:
            message = "; ".join(errors) or f"HTTP {response.status}"
            if len(batch) > 1:
                results: dict[str, Outcome] = {}
                for key in batch:
                    results.update(self._search_batch([key]))
                return results
            return {batch[0]: Outcome.failed(f"arXiv search error: {message}")}
        titles = [str(meta.get("title") or "") for meta, _ in found]
        # A title search answers with papers whose titles contain the phrases asked for (a miss
        # is then "no exact match among them", or no entry at all). An entry that shares not one
        # telling word with any title asked answers another question: such an answer can still
        # confirm an exact title match, but it cannot prove that a title is absent, so its
        # misses are failures (retried next run), never misses cached for negative_ttl_days.
        foreign = [title for title in titles if not any(share_words(title, key) for key in batch)]
        saturated = len(found) >= max_results
        matches: dict[str, list[tuple[Metadata, Element]]] = {k: [] for k in batch}
        for meta, elem in found:
            key = search_words(meta.get("title", ""))
            if key in matches:
                matches[key].append((meta, elem))
        results = {}
        entries: list[CacheEntry] = []
        retry_alone: list[str] = []
        for key in batch:
            hits = matches[key]
            # arXiv answers a phrase search with titles holding the phrase: an entry about this
            # title covers most of its words, not merely one ("training")
            about = any(covers_query(title, key) for title in titles)
            if not hits and not about and titles and len(batch) > 1:
                # nothing in the answer is about this title: only asking for it alone can tell
                # "arXiv has no such paper" from an answer about other papers
                retry_alone.append(key)
                continue
            if not hits and (foreign or (titles and not about)):
                shown = "; ".join(repr(title[:60]) for title in (foreign or titles)[:2])
                results[key] = Outcome.failed(
                    f"arXiv search: answer is about other titles ({shown}), not this one"
                )
                continue
            if not hits and saturated and len(batch) > 1:
                # the page was full: this title's paper may rank below the others' hits
                retry_alone.append(key)
                continue
            results[key] = self._judge([m for m, _ in hits])
            body = wrap([e for _, e in hits]) if hits else b""
            entries.append(_row(SEARCH_NAMESPACE, key, response.status, body, fetched))
        self.cache.put_many(entries)
        for key in retry_alone:
            results.update(self._search_batch([key]))
        return results
