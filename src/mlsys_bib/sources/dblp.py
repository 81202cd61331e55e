"""DBLP: tables of contents per venue-year, title searches, and matching hits to list items.

Why DBLP at all: most items of the list carry a venue tag but no DOI or arXiv link
(``[OSDI'22] Looking Beyond GPUs ...``), and USENIX papers have no DOI anywhere. DBLP knows
every paper of OSDI 2022 with its authors and pages, and one *table-of-contents* query
(``q=toc:db/conf/osdi/osdi2022.bht:``) returns them all, so one request serves every item of
that venue-year. Title searches are the fallback for venues without a TOC key.

What the real responses look like (see the shared service-formats notes; all handled in
:func:`parse_hits`): ``authors.author`` is a list, a bare object for one author, or missing;
names carry homonym numbers (``Xiaopeng Zhang 0009``); strings carry HTML entities
(``&apos;``); titles end with ``.`` and older answers write ``:`` as `` - ``; ``venue`` may be
an array; the proceedings volume itself is listed as an ``Editorship`` hit; counts are strings;
zero hits means no ``hit`` key at all; a 429 is an HTML page; bodies use CRLF.

Matching (:func:`match`) is strict because a wrong paper is worse than none: normalised title
equality, year within one of the tag's year (PVLDB volume 16 papers are dated 2022 though the
list says VLDB'23), and venue agreement; more than one distinct candidate is "ambiguous" and
nothing is used.

Caching: the raw answer is stored per TOC key (namespace ``dblp-toc``; a paged TOC is stored
as one merged document in DBLP's own shape) and per query (``dblp-search``). Empty answers are
negative entries (they expire); failures are never stored, so they are retried next run. A
wrong answer (a TOC none of whose papers is in the TOC's stream, a search none of whose hits
covers the query's words) is a failure too: cached, it would stand for good.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ids
from ..config import Settings
from ..model import Kind, Metadata, Person, Provenance
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient, ServiceError, loads_json
from ..text import names
from ..text.titles import covers_query, display_title, normalise
from .outcome import AMBIGUOUS, FOUND, NOT_FOUND, Outcome

SERVICE = "dblp"
NS_TOC = "dblp-toc"
NS_SEARCH = "dblp-search"
#: DBLP's maximum page size; also its default cap on how far ``f`` may page (10 000).
MAX_PAGE = 1000
MAX_OFFSET = 10_000
#: Hits requested per title search: the right paper is often not first (CoRR copies, namesakes).
SEARCH_HITS = 30

_HOMONYM = re.compile(r"\s+\d{4}$")
_TYPE_KIND: Mapping[str, Kind] = {
    "conference and workshop papers": Kind.PROCEEDINGS,
    "journal articles": Kind.JOURNAL,
    "informal publications": Kind.PREPRINT,
    "informal and other publications": Kind.PREPRINT,
    "parts in books or collections": Kind.CHAPTER,
}
_SKIP_TYPES = frozenset({"editorship"})



# ---------------------------------------------------------------------------------------------
# parsing


def _text(value: Any) -> str:
    """DBLP strings with entities decoded; numbers arrive as strings, objects as ``{"text"}``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = value.get("text", "")
    return html.unescape(str(value)).strip()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def split_name(name: str) -> Person:
    """``"Andrea C. Arpaci-Dusseau"`` -> given ``Andrea C.``, family ``Arpaci-Dusseau``.

    DBLP writes names in display order and marks namesakes with a 4-digit number, which is
    DBLP's bookkeeping, not part of the name: it goes, the rest is :func:`text.names.split_name`.
    """
    return names.split_name(_HOMONYM.sub("", html.unescape(name).strip()))


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _kind(type_label: str, key: str) -> Kind | None:
    if key.startswith("journals/corr/"):
        return Kind.PREPRINT  # CoRR is filed as a journal in older answers
    return _TYPE_KIND.get(type_label.strip().lower())


def hit_metadata(info: Mapping[str, Any], fetched: str = "") -> Metadata | None:
    """One ``hit.info`` as Metadata, or None for hits that are not papers (Editorship)."""
    type_label = _text(info.get("type"))
    if type_label.lower() in _SKIP_TYPES:
        return None
    key = _text(info.get("key"))
    values: dict[str, Any] = {}
    title = display_title(_text(info.get("title")))
    if title:
        values["title"] = title
    authors = info.get("authors")
    people = [
        split_name(_text(a))
        for a in _as_list(authors.get("author") if isinstance(authors, Mapping) else None)
    ]
    people = [p for p in people if p.family or p.literal]
    if people:
        values["author"] = people
    kind = _kind(type_label, key)
    if kind is not None:
        values["kind"] = kind
    venues = tuple(v for v in (_text(x) for x in _as_list(info.get("venue"))) if v)
    if venues:
        values["container_short"] = venues[0]
    year = _int(info.get("year"))
    if year is not None:
        values["year"] = year
    for src, dst in (("volume", "volume"), ("number", "issue"), ("pages", "pages")):
        text = _text(info.get(src))
        if text:
            values[dst] = text
    doi = ids.doi.parse(_text(info.get("doi")))
    if doi is not None:
        values["doi"] = doi.value
    ee = _as_list(info.get("ee"))
    urls = [_text(e) for e in ee if _text(e)]
    if urls:
        values["url"] = urls[0]
    if key:
        values["dblp_key"] = key
    if kind is Kind.PREPRINT:
        arxiv = next((a for a in (ids.arxiv.from_url(u) for u in urls) if a is not None), None)
        volume = _text(info.get("volume"))
        if arxiv is None and volume.startswith("abs/"):
            arxiv = ids.arxiv.parse(volume[4:])
        if arxiv is not None:
            values["arxiv"] = arxiv.value
    return Metadata(Provenance(SERVICE, f"dblp:{key}" if key else "dblp", fetched), values, venues)


def parse_hits(data: Mapping[str, Any] | str | bytes, fetched: str = "") -> list[Metadata]:
    """All paper hits of one DBLP search answer (a decoded dict, or the raw JSON body)."""
    if isinstance(data, bytes | str):
        data = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    assert isinstance(data, Mapping)
    hits = _hits(data)
    result: list[Metadata] = []
    for hit in _as_list(hits.get("hit")):
        info = hit.get("info") if isinstance(hit, Mapping) else None
        if isinstance(info, Mapping):
            meta = hit_metadata(info, fetched)
            if meta is not None:
                result.append(meta)
    return result


def total_hits(data: Mapping[str, Any]) -> int:
    """``hits.@total`` as an int (DBLP sends counts as strings); 0 when absent."""
    return _int(_hits(data).get("@total")) or 0


def _hits(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``result.hits`` of an answer; {} when missing or not an object (a broken answer has no hits)."""
    result = data.get("result")
    hits = result.get("hits") if isinstance(result, Mapping) else None
    return hits if isinstance(hits, Mapping) else {}


# ---------------------------------------------------------------------------------------------
# the client


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
        pages: list[Mapping[str, Any]] = []
        offset = 0
        total = 0
        try:
            while True:
                data = self._get_json(
                    {"q": query, "format": "json", "h": str(self.page_size), "f": str(offset)}
                )
                pages.append(data)
                total = total_hits(data)
                sent = len(_as_list(_hits(data).get("hit")))
                offset += sent
                if sent == 0 or offset >= total or offset >= MAX_OFFSET:
                    break
        except ServiceError as exc:
            return Outcome.failed(f"DBLP TOC {toc_key}: {exc.reason}")
        merged = _merge_pages(pages)
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
    def _get_json(self, params: Mapping[str, str]) -> Mapping[str, Any]:
        response = self.http.get(
            SERVICE, self.api, params=dict(params), headers={"Accept": "application/json"}
        )
        if response.status != 200:
            raise ServiceError(SERVICE, response.url, f"HTTP {response.status}")
        data = response.json()  # raises ServiceError for an HTML (429/error) page or bad JSON
        if not isinstance(data, Mapping) or not isinstance(data.get("result"), Mapping):
            raise ServiceError(SERVICE, response.url, "answer has no 'result' object")
        code = _int((data["result"].get("status") or {}).get("@code"))
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
        data: Mapping[str, Any],
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


def _merge_pages(pages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several pages of one query as one answer in DBLP's shape, so the cache holds one entry."""
    hits: list[Any] = []
    for page in pages:
        hits.extend(_as_list(_hits(page).get("hit")))
    first = pages[0]["result"] if pages else {}
    result: dict[str, Any] = {"query": first.get("query", ""), "status": first.get("status", {})}
    total = total_hits(pages[0]) if pages else 0
    result["hits"] = {"@total": str(total), "@sent": str(len(hits)), "@first": "0"}
    if hits:
        result["hits"]["hit"] = hits
    return {"result": result}


# ---------------------------------------------------------------------------------------------
# matching


@dataclass(frozen=True)
class Match:
    """The verdict of matching one list item against DBLP hits."""

    status: str  # FOUND / NOT_FOUND / AMBIGUOUS (outcome statuses)
    metadata: tuple[Metadata, ...] = ()
    reason: str = ""

    @property
    def value(self) -> Metadata | None:
        return self.metadata[0] if self.status == FOUND else None

    def outcome(self, *, from_cache: bool = False) -> Outcome:
        return Outcome(self.status, list(self.metadata), self.reason, from_cache)


def venue_names(acronym: str, venue: Any = None) -> set[str]:
    """Normalised names DBLP might write in ``venue`` for a list venue (acronym, aliases, name)."""
    names = {acronym}
    if venue is not None:
        names.add(getattr(venue, "acronym", "") or "")
        names.add(getattr(venue, "name", "") or "")
        names.update(getattr(venue, "aliases", ()) or ())
    return {n for n in (normalise(x) for x in names) if n}


def toc_stream(toc_key: str | None) -> str:
    """``db/conf/osdi/osdi2018.bht`` -> ``conf/osdi``: the prefix of every DBLP key in that stream."""
    if not toc_key:
        return ""
    parts = toc_key.split("/")
    return "/".join(parts[1:3]) if len(parts) >= 4 and parts[0] == "db" else ""


def venue_agrees(meta: Metadata, names: set[str], stream: str) -> bool:
    """Whether a hit was published where the list says: same DBLP stream, or a venue name match."""
    key = str(meta.get("dblp_key") or "")
    if stream and key.startswith(stream + "/"):
        return True
    return any(normalise(v) in names for v in meta.venue_names)


def match(
    titles: Iterable[str],
    year: int | None,
    hits: Iterable[Metadata],
    *,
    names: set[str] | None = None,
    stream: str = "",
    from_toc: bool = False,
    year_slack: int = 1,
) -> Match:
    """Pick the one DBLP hit that is this paper, or say why none is.

    ``titles`` are the list's spellings of the title (a record may have several items);
    within a TOC only, a title equal but for spaces counts too (DBLP has such typos);
    ``from_toc`` says the hits come from the TOC of the tag's venue-year, which is itself the
    venue agreement; otherwise each hit must agree by DBLP stream or venue name. Preprint hits
    (CoRR) never match a published venue. The year must be known and within ``year_slack``.
    """
    wanted = {normalise(t) for t in titles} - {""}
    if not wanted:
        return Match(NOT_FOUND, reason="no title to match")
    if year is None:
        return Match(NOT_FOUND, reason="no year in the venue tag: a title-only match is not trusted")
    hits = list(hits)
    same_title = [h for h in hits if normalise(str(h.get("title") or "")) in wanted]
    how = "title, year and venue agree"
    if not same_title and from_toc:
        # DBLP's own typos ("Temporal GNN Training onBillion-Scale Graphs"): inside the venue-year's
        # table of contents, equality ignoring spaces is still one paper; outside it, never.
        compact = {w.replace(" ", "") for w in wanted}
        same_title = [h for h in hits if normalise(str(h.get("title") or "")).replace(" ", "") in compact]
        how = "title (ignoring spaces), year and venue agree"
    if not same_title:
        return Match(NOT_FOUND, reason="no DBLP hit with this title")
    reasons: list[str] = []
    candidates: dict[str, Metadata] = {}
    for hit in same_title:
        hit_year = hit.get("year")
        if not isinstance(hit_year, int) or abs(hit_year - year) > year_slack:
            reasons.append(f"{hit.get('dblp_key')} has year {hit_year}, list says {year}")
            continue
        if hit.get("kind") is Kind.PREPRINT:
            reasons.append(f"{hit.get('dblp_key')} is a preprint (CoRR)")
            continue
        if not from_toc and not venue_agrees(hit, names or set(), stream):
            venues = "/".join(hit.venue_names) or "?"
            reasons.append(f"{hit.get('dblp_key')} is in {venues}, not the tagged venue")
            continue
        candidates.setdefault(str(hit.get("dblp_key") or id(hit)), hit)
    if len(candidates) == 1:
        return Match(FOUND, tuple(candidates.values()), how)
    if len(candidates) > 1:
        keys = ", ".join(sorted(candidates))
        return Match(
            AMBIGUOUS, tuple(candidates[k] for k in sorted(candidates)), f"several DBLP papers: {keys}"
        )
    return Match(NOT_FOUND, reason="title matches but " + "; ".join(reasons))


class TitleIndex:
    """A table of contents indexed by normalised title, so that matching a venue-year's records is
    linear in records + papers: without it every record was compared with every paper of its TOC
    (quadratic when a list grows 100-fold). Gives :func:`match` exactly the hits it could pick."""

    def __init__(self, hits: Iterable[Metadata]) -> None:
        self._exact: dict[str, list[Metadata]] = {}
        self._compact: dict[str, list[Metadata]] = {}
        self._position: dict[int, int] = {}
        for position, hit in enumerate(hits):
            self._position[id(hit)] = position
            title = normalise(str(hit.get("title") or ""))
            self._exact.setdefault(title, []).append(hit)
            self._compact.setdefault(title.replace(" ", ""), []).append(hit)

    def candidates(self, titles: Iterable[str]) -> list[Metadata]:
        """The hits whose title equals one of ``titles`` normalised, or equals it but for spaces
        (what :func:`match` accepts inside a TOC), each once, in TOC order."""
        found: dict[int, Metadata] = {}
        for title in {normalise(t) for t in titles} - {""}:
            for hit in self._exact.get(title, []) + self._compact.get(title.replace(" ", ""), []):
                found.setdefault(id(hit), hit)
        return sorted(found.values(), key=lambda hit: self._position[id(hit)])


def title_query(title: str) -> str:
    """A DBLP search query for a title: its normalised words, so that ``:`` or ``-`` in a title
    cannot be read as DBLP query syntax (``venue:``, ``toc:``, exclusion)."""
    return normalise(title)
