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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ids
from ..config import Settings
from ..model import Kind, Metadata, Provenance
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient, ServiceError, loads_json
from ..text.titles import display_title
from ..venues import DBLP_STREAM
from .dblp_hits import split_name
from .dblp_match import toc_stream
from .outcome import FOUND, Outcome

SERVICE = "dblp-sparql"
NS_TWINS = "dblp-sparql-twins"
NS_TOC = "dblp-sparql-toc"
NS_STREAM = "dblp-sparql-stream"
#: arXiv ids per query: keeps a GET's URL near 6 kB, well under servers' 8 kB line limits.
BATCH = 50
_REC = "https://dblp.org/rec/"
_BIBTEX = "http://purl.org/net/nknouf/ns/bibtex#"
#: dblp:bibtexType -> our kind; an Article in CoRR is a preprint (see :func:`_kind`).
TYPE_KIND: Mapping[str, Kind] = {
    "Inproceedings": Kind.PROCEEDINGS,
    "Article": Kind.JOURNAL,
    "Incollection": Kind.CHAPTER,
}
_DB = "https://dblp.org/"
VARIABLES = (
    "want",
    "toc",
    "corr",
    "pub",
    "title",
    "year",
    "type",
    "venue",
    "pages",
    "doi",
    "volume",
    "number",
    "ee",
    "ordinal",
    "name",
)

#: What is read of each publication: authors in order (one row each), and the fields a citation
#: needs; shared by both queries so their answers parse alike.
_PUBLICATION = """  ?pub dblp:hasSignature ?sig .
  ?sig dblp:signatureOrdinal ?ordinal ; dblp:signatureDblpName ?name .
  OPTIONAL { ?pub dblp:bibtexType ?type }
  OPTIONAL { ?pub dblp:publishedIn ?venue }
  OPTIONAL { ?pub dblp:pagination ?pages }
  OPTIONAL { ?pub dblp:doi ?doi }
  OPTIONAL { ?pub dblp:publishedInJournalVolume ?volume }
  OPTIONAL { ?pub dblp:publishedInJournalVolumeIssue ?number }
  OPTIONAL { ?pub dblp:primaryDocumentPage ?ee }
}"""
_SELECT = "?pub ?title ?year ?type ?venue ?pages ?doi ?volume ?number ?ee ?ordinal ?name"

_TWINS = (
    """PREFIX dblp: <https://dblp.org/rdf/schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?corr """
    + _SELECT
    + """ WHERE {
  VALUES ?corr { %s }
  ?corr dblp:hasSignature ?first .
  ?first dblp:signatureOrdinal 1 ; dblp:signatureCreator ?creator .
  ?corr dblp:yearOfPublication ?corrYear .
  ?pub dblp:authoredBy ?creator ; dblp:title ?title ; dblp:yearOfPublication ?year .
  FILTER (xsd:integer(str(?year)) >= xsd:integer(str(?corrYear)) - 1
          && xsd:integer(str(?year)) <= xsd:integer(str(?corrYear)) + 3)
"""
    + _PUBLICATION
    + """
ORDER BY ?corr ?pub ?ordinal
"""
)

_TOC = (
    """PREFIX dblp: <https://dblp.org/rdf/schema#>
SELECT ?toc """
    + _SELECT
    + """ WHERE {
  VALUES ?toc { %s }
  ?pub dblp:listedOnTocPage ?toc ; dblp:title ?title ; dblp:yearOfPublication ?year .
"""
    + _PUBLICATION
    + """
ORDER BY ?toc ?pub ?ordinal
"""
)
_STREAMS = (
    """PREFIX dblp: <https://dblp.org/rdf/schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?want """
    + _SELECT
    + """ WHERE {
  VALUES (?want ?stream ?from ?to ?word) { %s }
  ?pub dblp:publishedInStream ?stream ; dblp:title ?title ; dblp:yearOfPublication ?year .
  FILTER (xsd:integer(str(?year)) >= ?from && xsd:integer(str(?year)) <= ?to
          && CONTAINS(LCASE(STR(?title)), ?word))
"""
    + _PUBLICATION
    + """
ORDER BY ?want ?pub ?ordinal
"""
)
#: Lookups per stream query: each answers with the few papers of one venue-year whose title holds
#: one word, so a query stays small however large the venue.
STREAM_BATCH = 40
_WORD = re.compile(r"^[a-z0-9]{4,40}$")


def usable_word(word: str) -> bool:
    """Whether ``word`` can narrow a stream lookup: plain lower-case ASCII letters and digits (it goes
    into the query as a string literal), 4 to 40 of them. The planner asks this before it plans one."""
    return bool(_WORD.match(word))


@dataclass(frozen=True)
class StreamLookup:
    """The papers of a venue (its DBLP streams) within a year of ``year`` whose title contains
    ``word`` (lower case): a venue-year's table of contents, cut down to the one title wanted."""

    streams: tuple[str, ...]
    year: int
    word: str

    @property
    def key(self) -> str:
        return f"{'+'.join(self.streams)}|{self.year}|{self.word}"

    def values(self) -> list[str]:
        """Its VALUES rows; only checked streams, an int and a plain word reach the query."""
        if not usable_word(self.word) or not all(DBLP_STREAM.match(x) for x in self.streams):
            raise ValueError(f"not a stream lookup: {self.key!r}")
        return [
            f'("{self.key}" <{_DB}streams/{stream}> {int(self.year) - 1} {int(self.year) + 1} "{self.word}")'
            for stream in self.streams
        ]


def streams_query(lookups: Iterable[StreamLookup]) -> str:
    return _STREAMS % "\n    ".join(row for lookup in lookups for row in lookup.values())


#: Papers per TOC query (summed from the venue table's ``dblp_toc_size``), so one answer stays a
#: few MB; a TOC of unknown size counts as this many papers.
TOC_PAPERS_PER_QUERY = 1500
TOC_SIZE_UNKNOWN = 150
_TOC_KEY = re.compile(r"^db/(?:conf|journals)/[a-z0-9_-]+/[a-z0-9_-]+\.bht$")


def toc_iri(toc_key: str) -> str:
    """``db/conf/osdi/osdi2022.bht`` -> ``https://dblp.org/db/conf/osdi/osdi2022`` (the TOC page
    that ``dblp:listedOnTocPage`` names)."""
    if not _TOC_KEY.match(toc_key):
        raise ValueError(f"not a DBLP TOC key: {toc_key!r}")
    return _DB + toc_key.removesuffix(".bht")


def toc_query(toc_keys: Iterable[str]) -> str:
    return _TOC % " ".join(f"<{toc_iri(k)}>" for k in toc_keys)


def corr_key(arxiv_id: str) -> str:
    """DBLP's key of the CoRR record of an arXiv paper (``cs/0601001`` -> ``abs-cs-0601001``)."""
    return "journals/corr/abs-" + arxiv_id.replace(".", "-").replace("/", "-")


def arxiv_of_corr(key: str) -> str | None:
    """The arXiv id a CoRR record's key names, the inverse of :func:`corr_key`
    (``abs-2309-06180`` -> ``2309.06180``, ``abs-cs-0601001`` -> ``cs/0601001``), or None."""
    if not key.startswith("journals/corr/abs-"):
        return None
    head, _, tail = key.removeprefix("journals/corr/abs-").partition("-")
    ident = ids.arxiv.parse(f"{head}.{tail}" if head.isdigit() else f"{head}/{tail}")
    return ident.value if ident is not None else None


def twins_query(arxiv_ids: Iterable[str]) -> str:
    """The SPARQL text for one batch; ids are checked arXiv ids, so nothing else reaches the query."""
    iris = []
    for value in arxiv_ids:
        ident = ids.arxiv.parse(value)
        if ident is None:
            raise ValueError(f"not an arXiv id: {value!r}")
        iris.append(f"<{_REC}{corr_key(ident.value)}>")
    return _TWINS % " ".join(iris)


def _value(binding: Mapping[str, Any], name: str) -> str:
    cell = binding.get(name)
    return str(cell.get("value", "")).strip() if isinstance(cell, Mapping) else ""


def _kind(type_iri: str, venue: str) -> Kind | None:
    if venue == "CoRR":
        return Kind.PREPRINT
    return TYPE_KIND.get(type_iri.removeprefix(_BIBTEX))


def rows_by(data: Mapping[str, Any], group: str) -> dict[str, list[dict[str, str]]]:
    """The answer's bindings as plain rows, grouped by ``group`` (the CoRR record's key, or the
    TOC's); raises ValueError when the answer is not a SPARQL JSON result."""
    results = data.get("results")
    bindings = results.get("bindings") if isinstance(results, Mapping) else None
    if not isinstance(bindings, list):
        raise ValueError("answer has no results.bindings list")
    grouped: dict[str, list[dict[str, str]]] = {}
    for binding in bindings:
        if not isinstance(binding, Mapping):
            continue
        row = {name: _value(binding, name) for name in VARIABLES if _value(binding, name)}
        owner = row.get(group, "").removeprefix(_REC).removeprefix(_DB)
        if owner:
            grouped.setdefault(owner, []).append(row)
    return grouped


def candidates(rows: Sequence[Mapping[str, str]], fetched: str = "") -> list[Metadata]:
    """One Metadata per publication in ``rows`` (one row per author), authors in DBLP's order."""
    by_pub: dict[str, list[Mapping[str, str]]] = {}
    for row in rows:
        if row.get("pub"):
            by_pub.setdefault(row["pub"], []).append(row)
    result = []
    for pub, pub_rows in sorted(by_pub.items()):
        first = pub_rows[0]
        if first.get("type", "").removeprefix(_BIBTEX) == "Proceedings":
            continue  # the volume itself, listed on its own TOC page
        key = pub.removeprefix(_REC)
        venue = first.get("venue", "")
        values: dict[str, Any] = {"dblp_key": key}
        title = display_title(first.get("title", ""))
        if title:
            values["title"] = title
        ordered = sorted(pub_rows, key=lambda r: int(r["ordinal"]) if r.get("ordinal", "").isdigit() else 0)
        people = [
            split_name(r["name"])
            for r in dict((r.get("ordinal"), r) for r in ordered if r.get("name")).values()
        ]
        people = [p for p in people if p.family or p.literal]
        if people:
            values["author"] = people
        kind = _kind(first.get("type", ""), venue)
        if kind is not None:
            values["kind"] = kind
        if venue:
            values["container_short"] = venue
        year = first.get("year", "")[:4]
        if year.isdigit():
            values["year"] = int(year)
        for src, dst in (("volume", "volume"), ("number", "issue"), ("pages", "pages")):
            if first.get(src):
                values[dst] = first[src]
        if first.get("ee"):
            values["url"] = first["ee"]
        doi = ids.doi.parse(first.get("doi", ""))
        if doi is not None and kind is not Kind.PREPRINT:
            values["doi"] = doi.value
        arxiv = arxiv_of_corr(key) if kind is Kind.PREPRINT else None
        if arxiv is not None:
            values["arxiv"] = arxiv
        result.append(Metadata(Provenance("dblp", f"dblp:{key}", fetched), values, (venue,) if venue else ()))
    return result


def _holds_corr(rows: Sequence[Mapping[str, str]], ident: str) -> bool:
    return any(row.get("pub") == _REC + corr_key(ident) for row in rows)


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
                key = row.get("pub", "").removeprefix(_REC)
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
            if rows and stream and not any(r.get("pub", "").startswith(_REC + stream + "/") for r in rows):
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
