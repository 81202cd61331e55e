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
from ..model import Kind, Metadata, Person, Provenance
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient, Response, ServiceError, loads_json
from ..text.markup import clean_text, to_plain
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

#: Crossref (and CSL) work types -> Kind. Types absent here (book, dataset, ...) get no kind.
KIND_OF_TYPE: dict[str, Kind] = {
    "proceedings-article": Kind.PROCEEDINGS,
    "paper-conference": Kind.PROCEEDINGS,
    "journal-article": Kind.JOURNAL,
    "article-journal": Kind.JOURNAL,
    "posted-content": Kind.PREPRINT,
    "article": Kind.PREPRINT,
    "book-chapter": Kind.CHAPTER,
    "book-section": Kind.CHAPTER,
    "book-part": Kind.CHAPTER,
    "chapter": Kind.CHAPTER,
    "reference-entry": Kind.CHAPTER,
    "report": Kind.REPORT,
    "report-component": Kind.REPORT,
}


# -- shared field helpers (also used by doi.py for CSL-JSON) -------------------------------------


def first_text(value: Any) -> str:
    """The first non-empty string of a Crossref list field (or the string itself, CSL style)."""
    if isinstance(value, str):
        return to_plain(value)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and to_plain(item):
                return to_plain(item)
    return ""


def join_title(title: str, subtitle: str) -> str:
    """``Title: Subtitle``, unless the title already ends in punctuation or contains the subtitle."""
    if not subtitle or subtitle.casefold() in title.casefold():
        return title
    if not title:
        return subtitle
    if title[-1] in ":?!.;-\u2013\u2014":
        return f"{title} {subtitle}"
    return f"{title}: {subtitle}"


def date_parts(value: Any) -> tuple[int | None, int | None]:
    """(year, month) from ``{"date-parts": [[2020, 8, 17]]}``; partial and ``[[null]]`` allowed."""
    if not isinstance(value, dict):
        return None, None
    parts = value.get("date-parts")
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list)):
        return None, None
    first = parts[0]

    def as_int(x: Any) -> int | None:
        try:
            return int(x) if x is not None and str(x).strip() else None
        except (TypeError, ValueError):
            return None

    year = as_int(first[0]) if len(first) > 0 else None
    month = as_int(first[1]) if len(first) > 1 else None
    if year is not None and not 1000 <= year <= 2999:
        year = None
    if month is not None and not 1 <= month <= 12:
        month = None
    return year, (month if year is not None else None)


def person(raw: Any) -> Person | None:
    """A Crossref/CSL author object as a Person; name-only (corporate) authors stay literal."""
    if not isinstance(raw, dict):
        return None
    family = to_plain(str(raw.get("family") or ""))
    given = to_plain(str(raw.get("given") or ""))
    suffix = to_plain(str(raw.get("suffix") or ""))
    particle = to_plain(str(raw.get("non-dropping-particle") or ""))
    dropping = to_plain(str(raw.get("dropping-particle") or ""))
    if dropping:
        given = f"{given} {dropping}".strip()
    if family:
        return Person(family=family, given=given, particle=particle, suffix=suffix)
    literal = to_plain(str(raw.get("name") or raw.get("literal") or ""))
    if literal:
        return Person(literal=literal)
    if given:  # only a given name: keep it rather than lose the author
        return Person(literal=given)
    return None


def authors(raw: Any) -> list[Person]:
    if not isinstance(raw, list):
        return []
    return [p for p in (person(a) for a in raw) if p is not None]


def _str(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return clean_text(value) if isinstance(value, str) else ""


def common_fields(work: dict, values: dict[str, Any]) -> None:
    """Fields Crossref JSON and Crossref-flavoured CSL-JSON share."""
    title = join_title(first_text(work.get("title")), first_text(work.get("subtitle")))
    if title:
        values["title"] = title
    people = authors(work.get("author"))
    if people:
        values["author"] = people
    for name in ("issued", "published", "published-print", "published-online", "posted"):
        year, month = date_parts(work.get(name))
        if year is not None:
            values["year"] = year
            if month is not None:
                values["month"] = month
            break
    container = first_text(work.get("container-title"))
    if container:
        values["container_title"] = container
    short = first_text(work.get("short-container-title")) or first_text(work.get("container-title-short"))
    if short and short != container:
        values["container_short"] = short
    event = work.get("event")
    event_name = first_text(event.get("name")) if isinstance(event, dict) else first_text(event)
    if event_name:
        values["event_title"] = event_name
    for src, dst in (("publisher", "publisher"), ("volume", "volume"), ("issue", "issue"), ("page", "pages")):
        text = to_plain(_str(work.get(src)))
        if text:
            values[dst] = text
    kind = KIND_OF_TYPE.get(str(work.get("type") or "").lower())
    if kind is not None:
        values["kind"] = kind


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


def _message(response: Response) -> Any:
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
    """Resolve DOIs through Crossref, falling back to doi.org for what Crossref does not hold."""

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings) -> None:
        from .doi import DoiClient  # doi.py reuses this module's field helpers

        self.http = http
        self.cache = cache
        self.settings = settings
        self.doi = DoiClient(http, cache, settings)
        self.url = settings.crossref_url + "/works"

    def _params(self, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.settings.mailto:
            extra = [*extra, ("mailto", self.settings.mailto)]
        return extra

    def fetch(self, dois: Sequence[str]) -> dict[str, Outcome]:
        """Outcomes keyed by lower-case DOI."""
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
        for doi in to_doi_org:
            results[doi] = self.doi.fetch(doi)
        return results

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
