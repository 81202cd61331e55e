"""Crossref REST client: DOIs -> metadata, batched through ``/works?filter=doi:...``.

Batch size. Crossref's servers accept about 4 kB for the request line (Crossref staff in
CrossRef/rest-api-doc#251: 4096 bytes for the initial line, so ~4092 for path and query; longer
requests get HTTP 414). One ``doi:10.1145/3600006.3613165,`` costs ~36 bytes once percent-
encoded (``:``, ``/``, ``,`` each become three bytes), so 100 typical DOIs would already be at
~3.6 kB before ``rows``, ``select`` and ``mailto``, and publishers such as Wiley have 40-60
character DOIs. We therefore send at most :data:`BATCH_SIZE` = 40 DOIs per request **and** cut
a batch early when its encoded URL would pass :data:`MAX_URL_BYTES` = 3000, which leaves a
safety margin of a kilobyte. 40 DOIs also keep one answer small (with ``select``) and one
failure cheap. ``rows`` is always sent: it defaults to 20, which would silently truncate.

DOIs missing from a batch answer are asked one by one (``/works/{doi}``); a 404 there is a
definitive "not in Crossref" (cached as negative) and the DOI goes to doi.org content
negotiation, which also serves DataCite DOIs (arXiv's ``10.48550``, Zenodo). DOIs of prefixes
known to belong to DataCite skip Crossref altogether.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from ..config import Settings
from ..ids import doi as doi_ids
from ..model import Metadata, Provenance
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient
from ..net.response import Response, ServiceError, loads_json
from .csl import common_fields
from .outcome import Outcome

log = logging.getLogger(__name__)

SERVICE = "crossref"
NAMESPACE = "crossref"
BATCH_SIZE = 40
MAX_URL_BYTES = 3000
#: Only what work_to_metadata reads: drops reference lists and licences (often 90% of a record).
SELECT = (
    "DOI,type,title,subtitle,author,issued,published,published-print,published-online,posted,"
    "container-title,short-container-title,event,publisher,volume,issue,page"
)
#: Prefixes registered with DataCite, not Crossref: arXiv, Zenodo, figshare, Dryad.
DATACITE_PREFIXES = ("10.48550/", "10.5281/", "10.6084/", "10.5061/")

def work_to_metadata(work: dict, fetched: str) -> Metadata:
    """A Crossref ``work`` object (the ``message`` of ``/works/{doi}``) as Metadata."""
    values: dict[str, Any] = {}
    common_fields(work, values)
    doi = doi_ids.parse(str(work.get("DOI") or ""))
    if doi is not None:
        values["doi"] = doi.value
        values["url"] = f"https://doi.org/{doi.value}"
    ref = f"doi:{doi.value}" if doi else ""
    return Metadata(Provenance(SERVICE, ref, fetched), values)


# -- client --------------------------------------------------------------------------------------


def _norm(doi: str) -> str:
    parsed = doi_ids.parse(doi)
    return parsed.value if parsed else doi.strip().lower()


def _doi_mismatch(work: dict, doi: str) -> str:
    """The DOI ``work`` is about when it is not ``doi`` (``"no DOI"`` when it names none), else "".

    Crossref always names the DOI of a work; an answer about another DOI (a wrong answer from
    a proxy or a mixed-up backend) must be rejected, not attached to the record asking.
    """
    named = str(work.get("DOI") or "").strip()
    if not named:
        return "no DOI"
    return "" if _norm(named) == _norm(doi) else named


def _message(response: Response) -> object:
    data = response.json()
    if not isinstance(data, dict) or "message" not in data:
        raise ServiceError(SERVICE, response.url, "unexpected JSON: no 'message' envelope")
    if data.get("status") not in (None, "ok"):
        raise ServiceError(SERVICE, response.url, f"status {data.get('status')!r}: {data.get('message')!r}")
    return data["message"]


def _validation_message(response: Response) -> str:
    """The text of a 400 ``validation-failure`` body (its ``message`` is a list of problems)."""
    try:
        data = loads_json(response.content)
    except ServiceError:
        return " ".join(response.text[:200].split()) or f"HTTP {response.status}"
    messages = data.get("message") if isinstance(data, dict) else None
    if isinstance(messages, list):
        parts = [str(m.get("message") or m) if isinstance(m, dict) else str(m) for m in messages]
        return "; ".join(parts) or f"HTTP {response.status}"
    return str(messages or f"HTTP {response.status}")


class CrossrefClient:
    """Resolve DOIs through Crossref; says which DOIs Crossref does not hold (asking elsewhere is
    the resolver's policy: ``resolve/dois.py``)."""

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings
        self.url = settings.crossref_url + "/works"

    def _params(self, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.settings.mailto:
            extra = [*extra, ("mailto", self.settings.mailto)]
        return extra

    def fetch(self, dois: Sequence[str]) -> tuple[dict[str, Outcome], list[str]]:
        """Outcomes keyed by lower-case DOI, and the DOIs Crossref does not hold (DataCite
        prefixes, definitive 404s): those have no outcome here."""
        wanted = list(dict.fromkeys(_norm(d) for d in dois if d and d.strip()))
        results: dict[str, Outcome] = {}
        to_doi_org: list[str] = []
        cached = self.cache.get_many(NAMESPACE, wanted)
        todo: list[str] = []
        for doi in wanted:
            entry = cached.get(doi)
            if doi.startswith(DATACITE_PREFIXES):
                to_doi_org.append(doi)
            elif entry is not None and self.cache.is_usable(entry, self.settings):
                if entry.negative:
                    to_doi_org.append(doi)
                    continue
                outcome = self._decode_cached(entry)
                if outcome is None:
                    todo.append(doi)
                else:
                    results[doi] = outcome
            else:
                todo.append(doi)
        singles: list[str] = [d for d in todo if "," in d]  # a comma would split the filter
        for batch in self._batches([d for d in todo if "," not in d]):
            found, missing = self._fetch_batch(batch)
            results.update(found)
            singles.extend(missing)
        for doi in singles:
            outcome = self._fetch_one(doi)
            if outcome is None:
                to_doi_org.append(doi)
            else:
                results[doi] = outcome
        return results, to_doi_org

    def _decode_cached(self, entry: CacheEntry) -> Outcome | None:
        try:
            work = loads_json(entry.body)
        except ServiceError:
            return None  # unreadable row: fetch again
        if not isinstance(work, dict) or _doi_mismatch(work, entry.key):
            return None
        return Outcome.found(work_to_metadata(work, entry.fetched_at), from_cache=True)

    def _batches(self, dois: list[str]) -> list[list[str]]:
        """Chunks of at most BATCH_SIZE DOIs whose request URL stays under MAX_URL_BYTES."""
        fixed = len(self.url) + len(urlencode(self._params([("rows", "100"), ("select", SELECT)]))) + 10
        batches: list[list[str]] = []
        current: list[str] = []
        size = fixed
        for doi in dois:
            cost = len(quote(f"doi:{doi},", safe=""))
            if current and (len(current) >= BATCH_SIZE or size + cost > MAX_URL_BYTES):
                batches.append(current)
                current, size = [], fixed
            current.append(doi)
            size += cost
        if current:
            batches.append(current)
        return batches

    def _fetch_batch(self, batch: list[str]) -> tuple[dict[str, Outcome], list[str]]:
        """(found, DOIs to ask one by one). A failed batch request fails its DOIs."""
        params = self._params(
            [("filter", ",".join(f"doi:{d}" for d in batch)), ("rows", str(len(batch))), ("select", SELECT)]
        )
        try:
            response = self.http.get(SERVICE, self.url, params=params)
            if response.status == 400:
                # A DOI the filter syntax cannot carry, or a select field Crossref no longer
                # knows: the single-DOI route has neither problem.
                log.warning("crossref batch rejected (%s); asking one by one", _validation_message(response))
                return {}, list(batch)
            if response.status != 200:
                raise ServiceError(SERVICE, response.url, f"HTTP {response.status}")
            message = _message(response)
            items = message.get("items") if isinstance(message, dict) else None
            if not isinstance(items, list):
                raise ServiceError(SERVICE, response.url, "work-list without 'items'")
        except ServiceError as exc:
            return {d: Outcome.failed(str(exc)) for d in batch}, []
        fetched = now_iso()
        # Only items for DOIs of this batch are used: an item about a DOI nobody asked for (a
        # wrong answer) is dropped, and the DOI it displaced is asked alone below.
        by_doi: dict[str, dict] = {}
        asked = set(batch)
        for item in items:
            if isinstance(item, dict) and item.get("DOI"):
                doi = _norm(str(item["DOI"]))
                if doi in asked:
                    by_doi.setdefault(doi, item)
                else:
                    log.warning("crossref: batch answer holds %s, which was not asked for; ignored", doi)
        found: dict[str, Outcome] = {}
        entries = []
        for doi in batch:
            work = by_doi.get(doi)
            if work is None:
                continue
            found[doi] = Outcome.found(work_to_metadata(work, fetched))
            body = json.dumps(work, ensure_ascii=False, sort_keys=True).encode("utf-8")
            entries.append(CacheEntry(NAMESPACE, doi, 200, "application/json", body, fetched, False))
        self.cache.put_many(entries)
        return found, [d for d in batch if d not in found]

    def _fetch_one(self, doi: str) -> Outcome | None:
        """``/works/{doi}``; None means "Crossref does not know it": try doi.org."""
        url = f"{self.url}/{quote(doi, safe='/')}"
        try:
            response = self.http.get(SERVICE, url, params=self._params([]) or None)
            if response.status == 404:
                fetched = now_iso()
                self.cache.put(CacheEntry(NAMESPACE, doi, 404, response.content_type, b"", fetched, True))
                return None
            if response.status == 400:
                return Outcome.failed(f"crossref: DOI {doi} rejected: {_validation_message(response)}")
            if response.status != 200:
                return Outcome.failed(f"crossref: HTTP {response.status} for {doi}")
            work = _message(response)
            if not isinstance(work, dict):
                raise ServiceError(SERVICE, response.url, "work is not an object")
            mismatch = _doi_mismatch(work, doi)
            if mismatch:
                # Another paper's metadata must never be attached, nor cached as the answer
                # for this DOI: a failure, so the next run asks again.
                reason = f"answer is about another DOI ({mismatch}), not {doi}"
                raise ServiceError(SERVICE, response.url, reason)
        except ServiceError as exc:
            return Outcome.failed(str(exc))
        fetched = now_iso()
        body = json.dumps(work, ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.cache.put(CacheEntry(NAMESPACE, doi, 200, "application/json", body, fetched, False))
        return Outcome.found(work_to_metadata(work, fetched))
