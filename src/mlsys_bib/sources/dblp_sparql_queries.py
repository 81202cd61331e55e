"""The SPARQL text asked of DBLP's knowledge graph: a preprint's published twins (by its CoRR
record's first author), whole tables of contents, and a venue-year's papers holding one title
word. Only checked arXiv ids, TOC keys, stream names, integers and plain words reach a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import ids
from ..venues import DBLP_STREAM

REC = "https://dblp.org/rec/"
DB = "https://dblp.org/"
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
            f'("{self.key}" <{DB}streams/{stream}> {int(self.year) - 1} {int(self.year) + 1} "{self.word}")'
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
    return DB + toc_key.removesuffix(".bht")


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
        iris.append(f"<{REC}{corr_key(ident.value)}>")
    return _TWINS % " ".join(iris)
