"""A loopback stand-in for arXiv, Crossref, doi.org and DBLP: one server, one base URL.

Why: the benchmarks and the fault drills must run with no network, at realistic scale (~900
papers), with the services' *real* request and response shapes, their rate limits enforced
(so that an impolite client is caught, not merely slow) and with faults injected on demand.
Everything is synthetic: metadata is generated deterministically from the identifiers asked
about, or, when the server is seeded with a list, from that list's records (same title, year
from the venue tag, DOI/arXiv id from the links, DBLP TOCs per venue-year), so that matching
can succeed end to end. Only the standard library is used for the server itself; seeding from
a list imports ``mlsys_bib`` (``build.load_list``, ``venues.lookup``).

Routes (all under one base URL; point every ``MLSYS_BIB_*_URL`` at it):

=====================================  =========  ==========================================
``GET /api/query?id_list=..``          arxiv      Atom feed, ``max_results`` honoured (default 10)
``GET /api/query?search_query=ti:".."`` arxiv     exact-title entries for a fraction of titles
``GET /works?filter=doi:A,doi:B``      crossref   ``work-list``; unknown DOIs left out; ``rows``/``select``
``GET /works/{doi}``                   crossref   ``work``; 404 ``Resource not found.`` for unknown DOIs
``GET /{doi}`` (Accept: CSL-JSON)      doi        302 to ``/__agency/..`` (like doi.org), then CSL-JSON
``GET /search/publ/api?q=..``          dblp       ``result.hits``; ``toc:db/...bht:`` and title search
``GET /__stats`` / ``POST /__reset``   control    counters as JSON / clear counters and limits
``POST /__config``                     control    change fault_rate, seed, slow, ... at run time
=====================================  =========  ==========================================

Rate limits: arXiv and DBLP (and doi, when set) enforce a minimum spacing between request
*arrivals*; Crossref enforces ``limit`` requests per ``window`` (sliding), the numbers it also
announces in ``x-rate-limit-limit`` / ``x-rate-limit-interval``. A request arriving too early
gets 503 (arXiv) or 429 (Crossref: JSON body, DBLP: HTML page, doi: text) with ``Retry-After``
and counts as a *politeness violation*.

Faults: with probability ``fault_rate`` a service request gets one fault, drawn from
``fault_kinds`` by a RNG seeded with ``(seed, service, n)`` where n is the service's request
number, so a run is reproducible for a given seed and request sequence even when the client
talks to several services concurrently.

In-process::

    with FakeServices(records=load_list(), arxiv_interval=3, dblp_interval=1) as fs:
        settings = Settings.from_env(arxiv_url=fs.url, crossref_url=fs.url, doi_url=fs.url, dblp_url=fs.url)

Command line (prints the base URL on the first line, then serves until interrupted)::

    python -m tests.fakes.services --port 0 --list src/mlsys_bib/data/ml-systems-papers.md \\
        --arxiv-interval 3 --dblp-interval 1 --fault-rate 0.2 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import hashlib
import html
import json
import math
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

# the project's matching form: the fakes' search engines index titles by the same words
from mlsys_bib.text.titles import normalise

__all__ = ["FAULT_KINDS", "FakeServices", "Paper", "Catalog", "main"]

SERVICES = ("arxiv", "crossref", "doi", "dblp")
#: Faults drawn by default. ``truncated_silent`` (no Content-Length, half a body, clean close:
#: the client sees a short but "complete" body) is available but must be asked for.
FAULT_KINDS = ("429", "500", "503", "reset", "timeout", "truncated", "html", "wrong_id")
EXTRA_FAULT_KINDS = ("truncated_silent",)

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
CSL_ACCEPT = "application/vnd.citationstyles.csl+json"
BIBTEX_ACCEPT = "application/x-bibtex"

_NEW_ID = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?P<v>v\d+)?$")
_OLD_ID = re.compile(
    r"^(?P<arch>[a-z-]+(?:\.[A-Z]{2})?)/(?P<yymm>\d{2}\d{2})\d{3}(?P<v>v\d+)?$", re.IGNORECASE
)


# ---------------------------------------------------------------------------------------------
# deterministic helpers


def _h(*parts: object) -> int:
    """A stable 64-bit hash of ``parts`` (independent of PYTHONHASHSEED)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _frac(*parts: object) -> float:
    """A stable number in [0, 1) for ``parts``."""
    return _h(*parts) / 2**64


_GIVEN = (
    "Wei", "Yifan", "Ana", "Rahul", "Mei", "Jonas", "Priya", "Tomás", "Sofía", "Hao", "Kenji",
    "Zoë", "Olu", "Ingrid", "Minh", "Chiara", "Arjun", "Lena", "Yuki", "Marek", "Fatima", "Jun",
    "Andrea C.", "Ji-Hoon", "Élodie", "Kwame", "Noor", "Pedro", "Xin", "Ravi",
)  # fmt: skip
_FAMILY = (
    "Zhang", "Li", "Wang", "Chen", "Kumar", "Müller", "García", "Nguyen", "Sato", "Okafor",
    "Rossi", "Novák", "Haddad", "Lindqvist", "Park", "Silva", "Ivanova", "Tanaka", "Dubois",
    "Arpaci-Dusseau", "Kowalski", "Mensah", "Shah", "Liu", "Yamamoto", "O'Brien", "Fernández",
    "Huang", "Patel", "Zhou",
)  # fmt: skip
_WORDS = (
    "Efficient", "Scalable", "Elastic", "Adaptive", "Distributed", "Serverless", "Sparse",
    "Heterogeneous", "Memory-Efficient", "Fault-Tolerant", "Pipelined", "Speculative",
)  # fmt: skip
_TOPICS = (
    "Training", "Inference", "Serving", "Scheduling", "Checkpointing", "Compilation",
    "Attention", "Caching", "Communication", "Offloading", "Quantization", "Placement",
)  # fmt: skip
_OBJECTS = (
    "Large Language Models", "GPU Clusters", "Deep Learning", "Mixture-of-Experts",
    "Recommendation Models", "Graph Neural Networks", "Edge Devices", "Transformers",
)  # fmt: skip
_CATEGORIES = ("cs.DC", "cs.LG", "cs.CL", "cs.AR", "cs.OS", "cs.PF", "cs.NI", "cs.DB")


def synthetic_authors(seed: str) -> list[tuple[str, str]]:
    """1..7 (given, family) pairs, stable for ``seed``; non-ASCII names included on purpose."""
    n = 1 + _h("n-authors", seed) % 7
    people = []
    for i in range(n):
        given = _GIVEN[_h("given", seed, i) % len(_GIVEN)]
        family = _FAMILY[_h("family", seed, i) % len(_FAMILY)]
        people.append((given, family))
    return people


def synthetic_title(seed: str) -> str:
    a = _WORDS[_h("w", seed) % len(_WORDS)]
    b = _TOPICS[_h("t", seed) % len(_TOPICS)]
    c = _OBJECTS[_h("o", seed) % len(_OBJECTS)]
    tag = f"{_h('tag', seed) % 100000:05d}"
    return f"{a} {b} for {c} ({tag})"


def _title_case(words: str) -> str:
    small = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with", "via"}
    out = []
    for i, w in enumerate(words.split()):
        out.append(w if (i and w in small) else w[:1].upper() + w[1:])
    return " ".join(out)


def _arxiv_parts(ident: str) -> tuple[str, str] | None:
    """(id without version, version or "") for a well-formed arXiv id, else None."""
    m = _NEW_ID.match(ident) or _OLD_ID.match(ident)
    if not m:
        return None
    version = m["v"] or ""
    return ident[: len(ident) - len(version)] if version else ident, version


def _arxiv_year_month(ident: str) -> tuple[int, int]:
    m = _NEW_ID.match(ident) or _OLD_ID.match(ident)
    yymm = m["yymm"] if m else "2301"
    yy, mm = int(yymm[:2]), int(yymm[2:])
    year = 1900 + yy if yy >= 91 else 2000 + yy
    return year, min(max(mm, 1), 12)


def _arxiv_exists(ident: str) -> bool:
    """Five-digit numbers exist from 1501 on; earlier ``YYMM.NNNNN`` ids are unknown (not errors)."""
    m = _NEW_ID.match(ident)
    if not m:
        return True
    yymm = int(m["yymm"])
    if len(m["num"]) == 5 and yymm < 1501:
        return False
    if len(m["num"]) == 4 and yymm >= 1501:
        return False
    return 1 <= yymm % 100 <= 12 and yymm >= 704


# ---------------------------------------------------------------------------------------------
# the papers the services know about


@dataclass
class Paper:
    """One synthetic paper, consistent across the four services."""

    title: str
    authors: list[tuple[str, str]]
    year: int
    month: int = 1
    kind: str = "preprint"  # "proceedings" | "journal" | "preprint"
    venue: str = ""  # acronym as DBLP writes it ("OSDI", "CoRR")
    venue_name: str = ""
    container: str = ""
    publisher: str = ""
    doi: str = ""
    arxiv: str = ""
    toc_key: str = ""
    dblp_key: str = ""
    pages: str = ""
    volume: str = ""
    issue: str = ""
    seeded: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def usenix(self) -> bool:
        return "usenix" in self.publisher.lower()

    @property
    def seed(self) -> str:
        return self.arxiv or self.doi or self.title


def _stream(toc_key: str) -> str:
    """``db/conf/osdi/osdi2022.bht`` -> ``conf/osdi``."""
    parts = toc_key.split("/")
    return "/".join(parts[1:3]) if len(parts) >= 4 and parts[0] == "db" else ""


def _dblp_key(stream: str, paper: Paper, salt: int = 0) -> str:
    initials = "".join(unicodedata.normalize("NFKD", fam)[:1].upper() for _, fam in paper.authors[:6]) or "X"
    initials = "".join(ch for ch in initials if ch.isascii() and ch.isalpha()) or "X"
    suffix = "" if salt == 0 else "abcdefghijklmnopqrstuvwxyz"[(salt - 1) % 26]
    return f"{stream}/{initials}{paper.year % 100:02d}{suffix}"


class Catalog:
    """Every paper the fake services can describe: seeded ones plus synthesized on demand."""

    def __init__(self, papers: Iterable[Paper] = (), *, toc_filler: int = 6) -> None:
        self.toc_filler = toc_filler
        self.by_arxiv: dict[str, Paper] = {}
        self.by_doi: dict[str, Paper] = {}
        self.by_title: dict[str, list[Paper]] = collections.defaultdict(list)
        self.tocs: dict[str, list[Paper]] = collections.defaultdict(list)
        self.papers: list[Paper] = []
        self._vocab: list[str] = []
        self._postings: dict[str, set[int]] = collections.defaultdict(set)
        for paper in papers:
            self.add(paper)
        self._finish()

    def add(self, paper: Paper) -> None:
        self.papers.append(paper)
        if paper.arxiv:
            self.by_arxiv.setdefault(paper.arxiv, paper)
        if paper.doi:
            self.by_doi.setdefault(paper.doi.lower(), paper)
        self.by_title[normalise(paper.title)].append(paper)
        if paper.toc_key:
            self.tocs[paper.toc_key].append(paper)

    def _finish(self) -> None:
        # filler papers make every TOC look like a real proceedings volume, not just the list's picks
        for toc_key in list(self.tocs):
            members = self.tocs[toc_key]
            model = members[0]
            for i in range(self.toc_filler):
                seed = f"{toc_key}#{i}"
                filler = Paper(
                    title=synthetic_title(seed), authors=synthetic_authors(seed), year=model.year,
                    month=model.month, kind=model.kind, venue=model.venue, venue_name=model.venue_name,
                    container=model.container, publisher=model.publisher, toc_key=toc_key,
                    volume=model.volume,
                )  # fmt: skip
                members.append(filler)
                self.papers.append(filler)
            stream = _stream(toc_key)
            used: set[str] = set()
            for paper in members:
                salt = 0
                key = _dblp_key(stream, paper, salt)
                while key in used:
                    salt += 1
                    key = _dblp_key(stream, paper, salt)
                used.add(key)
                paper.dblp_key = key
                if not paper.pages:
                    start = 1 + _h("page", paper.seed) % 900
                    paper.pages = f"{start}-{start + 10 + _h('len', paper.seed) % 12}"
        for index, paper in enumerate(self.papers):
            for word in set(normalise(paper.title).split()):
                self._postings[word].add(index)
        self._vocab = sorted(self._postings)

    # -- lookups --------------------------------------------------------------------------------
    def published_index(self) -> tuple[dict[tuple[str, str], list[Paper]], dict[str, list[Paper]]]:
        """Published papers by author and by DBLP stream (built on first use, rebuilt when papers
        were added), so the SPARQL fake answers a 100x list in linear time, not papers x ids."""
        if getattr(self, "_index_size", -1) != len(self.papers):
            by_author: dict[tuple[str, str], list[Paper]] = collections.defaultdict(list)
            by_stream: dict[str, list[Paper]] = collections.defaultdict(list)
            for paper in self.papers:
                if paper.kind == "preprint":
                    continue
                for author in dict.fromkeys(paper.authors):
                    by_author[author].append(paper)
                if paper.dblp_key:
                    by_stream[paper.dblp_key.rsplit("/", 1)[0]].append(paper)
            self._by_author, self._by_stream, self._index_size = by_author, by_stream, len(self.papers)
        return self._by_author, self._by_stream

    def arxiv_paper(self, ident: str) -> Paper:
        paper = self.by_arxiv.get(ident)
        if paper is not None:
            return paper
        year, month = _arxiv_year_month(ident)
        return Paper(
            title=synthetic_title(f"arxiv:{ident}"), authors=synthetic_authors(f"arxiv:{ident}"),
            year=year, month=month, kind="preprint", venue="CoRR", arxiv=ident,
        )  # fmt: skip

    def doi_paper(self, doi: str) -> Paper:
        doi = doi.lower()
        paper = self.by_doi.get(doi)
        if paper is not None:
            return paper
        m = re.match(r"^10\.48550/arxiv\.(.+)$", doi)
        if m:
            ident = m.group(1)
            base = self.by_arxiv.get(ident)
            if base is not None:
                return base
            return self.arxiv_paper(ident)
        seed = f"doi:{doi}"
        return Paper(
            title=synthetic_title(seed), authors=synthetic_authors(seed), year=2015 + _h("y", seed) % 10,
            month=1 + _h("m", seed) % 12, kind="journal", venue="JSYN", venue_name="Journal of Synthetic Systems",
            container="Journal of Synthetic Systems", publisher="Synthetic Press", doi=doi,
            volume=str(1 + _h("v", seed) % 40), issue=str(1 + _h("i", seed) % 6),
            pages=f"{1 + _h('p', seed) % 500}-{520 + _h('p', seed) % 500}",
        )  # fmt: skip

    def title_papers(self, title: str) -> list[Paper]:
        return list(self.by_title.get(normalise(title), ()))

    def _word_matches(self, word: str) -> set[int]:
        if word.endswith("$"):
            return set(self._postings.get(word[:-1], set()))
        lo = bisect_left(self._vocab, word)
        matches: set[int] = set()
        for vocab_word in self._vocab[lo:]:
            if not vocab_word.startswith(word):
                break
            matches |= self._postings[vocab_word]
        return matches

    def search_words(self, words: list[str]) -> list[Paper]:
        """Papers whose title has, for every query word, a word starting with it (DBLP's rule).

        DBLP's syntax within a word: ``a|b|c`` matches any of the alternatives, and ``word$`` only
        the whole word (no prefix)."""
        result: set[int] | None = None
        for word in words:
            matches: set[int] = set()
            for alternative in word.split("|"):
                matches |= self._word_matches(alternative)
            result = matches if result is None else result & matches
            if not result:
                return []
        return [self.papers[i] for i in sorted(result or ())]


def papers_from_records(
    records: Iterable[Any], *, arxiv_doi_rate: float = 0.25, published_twin_rate: float = 0.0
) -> list[Paper]:
    """Papers consistent with ``mlsys_bib`` records: title, year from the tag, ids from the links.

    A fraction ``arxiv_doi_rate`` of the published papers that the list links only on arXiv get
    a publisher DOI that arXiv reports (``<arxiv:doi>``) and Crossref knows, as real authors add
    one after publication: that is what the resolver's second Crossref round is for.
    """
    from mlsys_bib.venues import lookup

    papers = []
    stream_keys: set[str] = set()
    for record in records:
        title = record.title
        tag = record.tag
        arxiv = record.identifier("arxiv")
        doi = record.identifier("doi")
        arxiv_id = arxiv.value if arxiv is not None else ""
        year = tag.year if tag is not None and tag.year else None
        if year is None and arxiv_id:
            year = _arxiv_year_month(arxiv_id)[0]
        year = year or 2023
        seed = arxiv_id or (doi.value if doi else "") or title
        venue = lookup(tag.venue) if tag is not None and tag.venue and not tag.is_preprint else None
        paper = Paper(
            title=title, authors=synthetic_authors(seed), year=year, month=1 + _h("m", seed) % 12,
            doi=doi.value.lower() if doi is not None else "", arxiv=arxiv_id, seeded=True,
        )  # fmt: skip
        if venue is not None and venue.kind.value in ("proceedings", "journal"):
            paper.kind = venue.kind.value
            paper.venue = "Proc. VLDB Endow." if venue.acronym in ("VLDB", "PVLDB") else venue.acronym
            paper.venue_name = venue.name
            paper.container = venue.container_title(year)
            paper.publisher = venue.publisher
            vol = venue.volume(year)
            paper.volume = str(vol) if vol is not None else ""
            paper.toc_key = venue.toc_key(year) or ""
            if not paper.toc_key and venue.streams:
                # a venue DBLP has no TOC key for here: its papers still live in its stream
                salt, key = 0, _dblp_key(venue.streams[0], paper)
                while key in stream_keys:
                    salt += 1
                    key = _dblp_key(venue.streams[0], paper, salt)
                stream_keys.add(key)
                paper.dblp_key = key
        else:
            paper.kind = "preprint"
            paper.venue = "CoRR"
        reports_doi = bool(arxiv_id) and _frac("arxiv-doi", arxiv_id) < arxiv_doi_rate
        if reports_doi and not paper.doi and paper.kind != "preprint" and not paper.usenix:
            prefix = "10.1109" if "ieee" in paper.publisher.lower() else "10.1145"
            number = f"{3_000_000 + _h('doi', arxiv_id) % 700_000}.{_h('doi2', arxiv_id) % 10**7:07d}"
            paper.doi = f"{prefix}/{number}"
        papers.append(paper)
        if paper.kind == "preprint" and arxiv_id and _frac("twin", arxiv_id) < published_twin_rate:
            papers.append(published_twin(paper))
    return papers


#: How a preprint's published version differs from it (issue 10's cases), by a hash of its id:
#: the same paper; a changed title (SageAttention2 dropped "Technical Report"); an author more
#: (NanoFlow); and a decoy: another paper with the same title and other authors, never to be used.
TWIN_VARIANTS = ("same", "retitled", "author_added", "decoy")


def published_twin(preprint: Paper) -> Paper:
    """The conference version of ``preprint`` (or a same-titled decoy), for DBLP to find by title."""
    variant = TWIN_VARIANTS[_h("twin-variant", preprint.arxiv) % len(TWIN_VARIANTS)]
    title, authors = preprint.title, list(preprint.authors)
    if variant == "retitled":
        head, sep, _ = title.partition(":")
        title = f"{head}: Revisited for Production" if sep else f"{title} at Scale"
    elif variant == "author_added":
        authors.append(("Extra", "Coauthor"))
    elif variant == "decoy":
        authors = synthetic_authors("decoy/" + preprint.arxiv)
    year = preprint.year + 1
    twin = Paper(
        title=title, authors=authors, year=year, month=6, kind="proceedings", venue="OSDI",
        venue_name="USENIX Symposium on Operating Systems Design and Implementation",
        container=f"18th USENIX Symposium on Operating Systems Design and Implementation (OSDI {year % 100:02d})",
        publisher="USENIX Association", toc_key=f"db/conf/osdi/osdi{year}.bht", pages="101--117", seeded=True,
    )  # fmt: skip
    twin.extra.update(twin_of=preprint.arxiv, variant=variant)
    return twin


# ---------------------------------------------------------------------------------------------
# renderers: the services' response shapes


def _iso(year: int, month: int, day: int = 1, hour: int = 0) -> str:
    return (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{(year * 7 + month) % 60:02d}:{(month * 13) % 60:02d}Z"
    )


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _display_name(given: str, family: str) -> str:
    return f"{given} {family}".strip()


def arxiv_entry(paper: Paper, ident: str, version: str, *, legacy: bool = False) -> str:
    """One Atom ``<entry>`` as arXiv writes it (new generation unless ``legacy``)."""
    seed = paper.seed
    if not version:
        version = f"v{1 + _h('ver', seed) % 3}"
    year, month = (
        _arxiv_year_month(ident) if _NEW_ID.match(ident) or _OLD_ID.match(ident) else (paper.year, 1)
    )
    day = 1 + _h("day", seed) % 28
    published = _iso(year, month, day, _h("hour", seed) % 24)
    vnum = int(version[1:]) if version[1:].isdigit() else 1
    if vnum > 1:
        up_year, up_month = (year, month + vnum) if month + vnum <= 12 else (year + 1, month + vnum - 12)
        updated = _iso(up_year, up_month, day, 3)
    else:
        updated = published
    category = _CATEGORIES[_h("cat", seed) % len(_CATEGORIES)]
    title = xml_escape(paper.title)
    if legacy and len(title) > 60:  # legacy feeds hard-wrap titles
        cut = title.rfind(" ", 0, 60)
        if cut > 0:
            title = title[:cut] + "\n  " + title[cut + 1 :]
    abs_url = f"http://arxiv.org/abs/{ident}{version}"
    summary = xml_escape(f"We present {paper.title}. Evaluated with $O(n \\log n)$ overhead on {category}.")
    authors = "".join(
        f"    <author>\n      <name>{xml_escape(_display_name(g, f))}</name>\n    </author>\n"
        for g, f in paper.authors
    )
    journal_ref = ""
    if paper.kind != "preprint" and paper.venue and _h("jref", seed) % 2 == 0:
        journal_ref = f"{paper.venue_name or paper.venue} ({paper.venue} {paper.year})"
    if legacy:
        ns = f' xmlns:arxiv="{ARXIV_NS}"'
        doi = f"    <arxiv:doi{ns}>{xml_escape(paper.doi)}</arxiv:doi>\n" if paper.doi else ""
        jref = (
            f"    <arxiv:journal_ref{ns}>{xml_escape(journal_ref)}</arxiv:journal_ref>\n"
            if journal_ref
            else ""
        )
        return (
            "  <entry>\n"
            f"    <id>{abs_url}</id>\n    <updated>{updated}</updated>\n    <published>{published}</published>\n"
            f"    <title>{title}</title>\n    <summary>  {summary}\n</summary>\n{authors}{doi}{jref}"
            f'    <link href="{abs_url}" rel="alternate" type="text/html"/>\n'
            f'    <link title="pdf" href="http://arxiv.org/pdf/{ident}{version}" rel="related" type="application/pdf"/>\n'
            f'    <arxiv:primary_category{ns} term="{category}" scheme="{ARXIV_NS}"/>\n'
            f'    <category term="{category}" scheme="{ARXIV_NS}"/>\n'
            "  </entry>\n"
        )
    doi = f"    <arxiv:doi>{xml_escape(paper.doi)}</arxiv:doi>\n" if paper.doi else ""
    jref = f"    <arxiv:journal_ref>{xml_escape(journal_ref)}</arxiv:journal_ref>\n" if journal_ref else ""
    return (
        "  <entry>\n"
        f"    <id>{abs_url}</id>\n    <title>{title}</title>\n    <updated>{updated}</updated>\n"
        f'    <link href="https://arxiv.org/abs/{ident}{version}" rel="alternate" type="text/html"/>\n'
        f'    <link href="https://arxiv.org/pdf/{ident}{version}" rel="related" type="application/pdf" title="pdf"/>\n'
        f"    <summary>{summary}</summary>\n"
        f'    <category term="{category}" scheme="{ARXIV_NS}"/>\n'
        f"    <published>{published}</published>\n"
        f'    <arxiv:primary_category term="{category}"/>\n'
        f"{jref}{authors}{doi}"
        "  </entry>\n"
    )


def arxiv_feed(
    entries: list[str], query: str, total: int, start: int, per_page: int, *, legacy: bool = False
) -> bytes:
    feed_id = hashlib.sha1(query.encode()).hexdigest()[:27]
    qtitle = xml_escape(query)
    qattr = xml_escape(query, {'"': "&quot;"})
    if legacy:
        os_ns = f' xmlns:opensearch="{OPENSEARCH_NS}"'
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<feed xmlns="{ATOM_NS}">\n'
            f'  <link href="http://arxiv.org/api/query?{quote(query)}" rel="self" type="application/atom+xml"/>\n'
            f'  <title type="html">ArXiv Query: {qtitle}</title>\n'
            f"  <id>http://arxiv.org/api/{feed_id}</id>\n  <updated>{_now_iso()}</updated>\n"
            f"  <opensearch:totalResults{os_ns}>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex{os_ns}>{start}</opensearch:startIndex>\n"
            f"  <opensearch:itemsPerPage{os_ns}>{per_page}</opensearch:itemsPerPage>\n"
        )
    else:
        head = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<feed xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}" xmlns="{ATOM_NS}">\n'
            f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
            f"  <title>arXiv Query: {qtitle}</title>\n  <updated>{_now_iso()}</updated>\n"
            f'  <link href="https://arxiv.org/api/query?{qattr}" type="application/atom+xml"/>\n'
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        )
    return (head + "".join(entries) + "</feed>\n").encode("utf-8")


def arxiv_error_feed(message: str) -> bytes:
    slug = re.sub(r"\W+", "_", message)
    now = _now_iso()
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}" xmlns="{ATOM_NS}">\n'
        "  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n"
        f"  <updated>{now}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        "  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{slug}</id>\n    <title>Error</title>\n"
        f"    <updated>{now}</updated>\n"
        f'    <link href="https://arxiv.org/api/errors#{slug}" rel="alternate" type="text/html"/>\n'
        f"    <summary>{xml_escape(message)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    ).encode()


_CROSSREF_TYPE = {
    "proceedings": "proceedings-article",
    "journal": "journal-article",
    "preprint": "posted-content",
}


def _date_parts(*parts: int | None) -> dict[str, Any]:
    return {"date-parts": [[p for p in parts if p is not None]]}


def crossref_work(paper: Paper, doi: str | None = None) -> dict[str, Any]:
    """A Crossref ``work`` (the ``message`` of ``/works/{doi}``), with the quirks of real ones."""
    doi = (doi or paper.doi).lower()
    seed = paper.seed
    ctype = _CROSSREF_TYPE.get(paper.kind, "journal-article")
    title, subtitle = paper.title, ""
    if ": " in paper.title and _h("split", seed) % 2 == 0:  # ACM deposits split title and subtitle
        title, _, subtitle = paper.title.partition(": ")
    authors = [
        {"given": g, "family": f, "sequence": "first" if i == 0 else "additional", "affiliation": []}
        for i, (g, f) in enumerate(paper.authors)
    ]
    day = 1 + _h("day", seed) % 28
    work: dict[str, Any] = {
        "indexed": {
            "date-parts": [[2026, 1, 5]],
            "date-time": "2026-01-05T07:17:32Z",
            "timestamp": 1767597452000,
        },
        "reference-count": _h("refs", seed) % 80,
        "publisher": paper.publisher or "Synthetic Press",
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "short-container-title": [],
        "DOI": doi,
        "type": ctype,
        "created": {
            "date-parts": [[paper.year, paper.month, day]],
            "date-time": _iso(paper.year, paper.month, day),
        },
        "source": "Crossref",
        "is-referenced-by-count": _h("cites", seed) % 500,
        "title": [title],
        "prefix": doi.split("/", 1)[0],
        "author": authors,
        "member": str(100 + _h("member", doi.split("/", 1)[0]) % 9000),
        "container-title": [paper.container] if paper.container else [],
        "original-title": [],
        "deposited": {"date-parts": [[paper.year, paper.month, day]]},
        "score": 1,
        "subtitle": [subtitle] if subtitle else [],
        "short-title": [],
        "issued": _date_parts(paper.year, paper.month),
        "references-count": _h("refs", seed) % 80,
        "URL": f"https://doi.org/{doi}",
        "published": _date_parts(paper.year, paper.month),
    }
    if paper.pages:
        work["page"] = paper.pages
    if _h("print", seed) % 3 == 0:  # print and online dates that disagree
        work["published-print"] = _date_parts(paper.year, paper.month, day)
        work["published-online"] = _date_parts(
            paper.year if paper.month > 1 else paper.year - 1, max(1, paper.month - 1)
        )
    else:
        work["published-online"] = _date_parts(paper.year, paper.month, day)
    if paper.kind == "proceedings":
        work["event"] = {
            "name": f"{paper.venue} '{paper.year % 100:02d}: {paper.venue_name}",
            "acronym": f"{paper.venue} '{paper.year % 100:02d}",
        }
        work["ISBN"] = [
            f"979-8-4007-{_h('isbn', paper.container) % 10000:04d}-{_h('isbn2', paper.container) % 10}"
        ]
    elif paper.kind == "journal":
        work["volume"] = paper.volume or str(1 + _h("vol", seed) % 50)
        work["issue"] = paper.issue or str(1 + _h("iss", seed) % 12)
        work["ISSN"] = [
            f"{_h('issn', paper.container) % 10000:04d}-{_h('issn2', paper.container) % 10000:04d}"
        ]
        if paper.venue and paper.venue not in ("JSYN",):
            work["short-container-title"] = [paper.venue]
    elif paper.kind == "preprint":
        work["posted"] = _date_parts(paper.year, paper.month, day)
        work["subtype"] = "preprint"
        work["institution"] = [{"name": "Synthetic Preprint Server"}]
        work["container-title"] = []
    return work


CROSSREF_SELECTABLE = frozenset(
    [
        "DOI",
        "ISBN",
        "ISSN",
        "URL",
        "abstract",
        "accepted",
        "alternative-id",
        "approved",
        "archive",
        "article-number",
        "assertion",
        "author",
        "chair",
        "clinical-trial-number",
        "container-title",
        "content-created",
        "content-domain",
        "created",
        "degree",
        "deposited",
        "editor",
        "event",
        "funder",
        "group-title",
        "indexed",
        "institution",
        "is-referenced-by-count",
        "issn-type",
        "issue",
        "issued",
        "license",
        "link",
        "member",
        "message-type",
        "original-title",
        "page",
        "posted",
        "prefix",
        "published",
        "published-online",
        "published-other",
        "published-print",
        "publisher",
        "publisher-location",
        "reference",
        "reference-count",
        "references-count",
        "relation",
        "resource",
        "review",
        "score",
        "short-container-title",
        "short-title",
        "standards-body",
        "subject",
        "subtitle",
        "subtype",
        "title",
        "translator",
        "type",
        "update-policy",
        "update-to",
        "updated-by",
        "volume",
    ]
)


def crossref_validation_failure(kind: str, value: str, message: str) -> bytes:
    body = {"status": "failed", "message-type": "validation-failure",
            "message": [{"type": kind, "value": value, "message": message}]}  # fmt: skip
    return json.dumps(body).encode()


def csl_item(paper: Paper, doi: str) -> dict[str, Any]:
    """doi.org CSL-JSON: DataCite flavour for ``10.48550/arXiv.*`` (and other DataCite prefixes),
    Crossref flavour (Crossref type names, container-title string or ``[]``, no ``id``) otherwise."""
    seed = paper.seed
    authors = [{"family": f, "given": g} for g, f in paper.authors]
    if doi.lower().startswith(("10.48550/", "10.5281/")):
        ident = doi.split("arxiv.", 1)[1] if "arxiv." in doi.lower() else ""
        return {
            "type": "article",
            "id": f"https://doi.org/{doi.lower()}",
            "categories": [
                "Distributed, Parallel, and Cluster Computing (cs.DC)",
                "FOS: Computer and information sciences",
            ],
            "author": authors,
            "issued": {"date-parts": [[paper.year, paper.month, 1 + _h("day", seed) % 28]]},
            "abstract": f"We present {paper.title}.",
            "DOI": doi.upper(),
            "publisher": "arXiv",
            "title": paper.title,
            "URL": f"https://arxiv.org/abs/{ident}" if ident else f"https://doi.org/{doi}",
            "copyright": "arXiv.org perpetual, non-exclusive license",
        }
    work = crossref_work(paper, doi)
    item: dict[str, Any] = {
        "indexed": work["indexed"],
        "reference-count": work["reference-count"],
        "publisher": work["publisher"],
        "content-domain": work["content-domain"],
        "short-container-title": work["short-container-title"],
        "DOI": doi.lower(),
        "type": work["type"],
        "created": work["created"],
        "source": "Crossref",
        "is-referenced-by-count": work["is-referenced-by-count"],
        "title": work["title"][0],
        "prefix": work["prefix"],
        "author": [
            {k: v for k, v in a.items() if k != "affiliation"} | {"affiliation": []} for a in work["author"]
        ],
        "member": work["member"],
        "container-title": work["container-title"][0] if work["container-title"] else [],
        "subtitle": work["subtitle"],
        "issued": work["issued"],
        "URL": f"http://dx.doi.org/{doi.lower()}",
        "published": work["published"],
    }
    for key in (
        "page",
        "volume",
        "issue",
        "event",
        "published-print",
        "published-online",
        "ISSN",
        "ISBN",
        "posted",
    ):
        if key in work:
            item[key] = work[key]
    return item


def bibtex_one_line(paper: Paper, doi: str) -> bytes:
    family = (paper.authors[0][1] if paper.authors else "Anon").replace(" ", "_")
    authors = " and ".join(f"{f}, {g}" for g, f in paper.authors)
    month = ("jan", "Feb", "MAR", "apr", "May", "jun", "Jul", "aug", "Sep", "oct", "Nov", "dec")[
        paper.month - 1
    ]
    pages = f", pages={{{paper.pages.replace('-', chr(0x2013))}}}" if paper.pages else ""
    entry_type = "inproceedings" if paper.kind == "proceedings" else "article"
    container = "booktitle" if paper.kind == "proceedings" else "journal"
    return (
        f" @{entry_type}{{{family}_{paper.year}, title={{{paper.title}}}, volume={{{paper.volume}}}, "
        f"ISSN={{}}, url={{http://dx.doi.org/{doi}}}, DOI={{{doi}}}, {container}={{{paper.container}}}, "
        f"publisher={{{paper.publisher}}}, author={{{authors}}}, year={{{paper.year}}}, month={month}{pages} }}"
    ).encode()


def _dblp_text(text: str) -> str:
    """DBLP writes HTML entities inside JSON strings."""
    return text.replace("&", "&amp;").replace("'", "&apos;").replace('"', "&quot;")


_DBLP_TYPE = {"proceedings": "Conference and Workshop Papers", "journal": "Journal Articles"}


def dblp_info(paper: Paper, *, corr: bool = False) -> dict[str, Any]:
    """One ``hit.info``: a venue record, or (``corr``) the paper's CoRR copy."""
    seed = paper.seed
    title = paper.title
    if ": " in title and _h("dash", seed) % 4 == 0:  # older DBLP answers write ':' as ' - '
        title = title.replace(": ", " - ", 1)
    names = []
    for i, (given, family) in enumerate(paper.authors):
        name = _display_name(given, family)
        if _h("homonym", seed, i) % 9 == 0:
            name += f" {_h('hnum', seed, i) % 30:04d}"
        names.append(
            {"@pid": f"{_h('pid', name) % 300}/{_h('pid2', name) % 10000}", "text": _dblp_text(name)}
        )
    info: dict[str, Any] = {}
    if names:
        info["authors"] = {"author": names if len(names) > 1 else names[0]}
    info["title"] = _dblp_text(title) + ("" if title.endswith((".", "?", "!")) else ".")
    if corr:
        year, _ = _arxiv_year_month(paper.arxiv)
        key = f"journals/corr/abs-{paper.arxiv.replace('.', '-').replace('/', '-')}"
        info.update({
            "venue": "CoRR", "volume": f"abs/{paper.arxiv}", "year": str(year),
            "type": "Informal and Other Publications" if _h("itype", seed) % 2 else "Informal Publications",
            "access": "open", "key": key, "doi": f"10.48550/ARXIV.{paper.arxiv.upper()}",
            "ee": f"https://doi.org/10.48550/arXiv.{paper.arxiv}",
            "url": f"https://dblp.org/rec/{key}",
        })  # fmt: skip
        return info
    key = paper.dblp_key or f"conf/syn/{_h('key', seed) % 10**6}{paper.year % 100:02d}"
    venue: Any = paper.venue or "SynthConf"
    if paper.venue == "ATC" or "usenix" in paper.toc_key:
        venue = "USENIX ATC" if paper.venue == "ATC" else venue
    if _h("venue-array", seed) % 11 == 0:
        venue = [venue, f"{venue} Workshops"]
    info["venue"] = _dblp_text(venue) if isinstance(venue, str) else [_dblp_text(v) for v in venue]
    if paper.kind == "journal":
        info["volume"] = paper.volume or str(1 + _h("vol", seed) % 40)
        info["number"] = paper.issue or str(1 + _h("num", seed) % 12)
    if paper.pages:
        info["pages"] = paper.pages
    info["year"] = str(paper.year)
    info["type"] = _DBLP_TYPE.get(paper.kind, "Conference and Workshop Papers")
    info["access"] = "closed"
    info["key"] = key
    if paper.usenix:
        slug = paper.venue.lower()
        info["ee"] = (
            f"https://www.usenix.org/conference/{slug}{paper.year % 100:02d}/presentation/{_h('p', seed) % 10**5}"
        )
    else:
        doi = paper.doi or f"10.{1000 + _h('pfx', paper.venue) % 9000}/{_h('sfx', seed) % 10**7}"
        if paper.doi or _h("nodoi", seed) % 5:
            info["doi"] = doi
            info["ee"] = f"https://doi.org/{doi}"
        else:
            info["ee"] = f"https://example.org/{paper.venue.lower()}/{paper.year}/{_h('p', seed) % 10**5}"
    info["url"] = f"https://dblp.org/rec/{key}"
    return info


def dblp_editorship(toc_key: str, model: Paper) -> dict[str, Any]:
    stream = _stream(toc_key)
    return {
        "authors": {"author": [{"@pid": "00/1", "text": "Program Chair"}, {"@pid": "00/2", "text": "Program Co-Chair"}]},
        "title": _dblp_text(model.container or f"Proceedings of {model.venue} {model.year}") + ".",
        "venue": model.venue, "publisher": model.publisher or "ACM", "year": str(model.year),
        "type": "Editorship", "access": "closed", "key": f"{stream}/{model.year}",
        "url": f"https://dblp.org/rec/{stream}/{model.year}",
    }  # fmt: skip


def dblp_body(query: str, infos: list[dict[str, Any]], total: int, first: int) -> bytes:
    """DBLP's JSON layout: one key per line, each ``info`` on one line, CRLF line ends."""
    status = '"status":{\r\n"@code":"200",\r\n"text":"OK"\r\n}'
    timing = f'"time":{{\r\n"@unit":"msecs",\r\n"text":"{0.5 + (_h("t", query) % 900) / 100:.2f}"\r\n}}'
    hits_head = f'"@total":"{total}",\r\n"@computed":"{min(total, 10000)}",\r\n"@sent":"{len(infos)}",\r\n"@first":"{first}"'
    parts = []
    for i, info in enumerate(infos):
        hid = _h("hid", info.get("key", i)) % 10**7
        parts.append(
            f'{{\r\n"@score":"{max(1, 9 - i)}",\r\n"@id":"{hid}",\r\n'
            f'"info":{json.dumps(info, ensure_ascii=False, separators=(",", ":"))},\r\n"url":"URL#{hid}"\r\n}}'
        )
    hit = (',\r\n"hit":[' + ",\r\n".join(parts) + "\r\n]") if parts else ""
    echoed = json.dumps(
        " ".join(w + "*" if not w.startswith("toc:") else w for w in query.split()), ensure_ascii=False
    )
    text = (
        '{\r\n"result":{\r\n'
        f'"query":{echoed},\r\n{status},\r\n{timing},\r\n'
        '"completions":{\r\n"@total":"0",\r\n"@computed":"0",\r\n"@sent":"0"\r\n},\r\n'
        f'"hits":{{\r\n{hits_head}{hit}\r\n}}\r\n}}\r\n}}\r\n'
    )
    return text.encode("utf-8")


_DBLP_429 = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>429 Too Many Requests</title></head>\n'
    b"<body><h1>Too Many Requests</h1><p>You have sent too many requests in a given amount of time. "
    b"Please respect the Retry-After header.</p></body>\n</html>\n"
)
_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service temporarily unavailable</title></head>\n"
    b"<body><h1>We&rsquo;ll be right back</h1><p>The service is under maintenance.</p></body></html>\n"
)


# ---------------------------------------------------------------------------------------------
# the server


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class _Stats:
    def __init__(self) -> None:
        self.requests: collections.Counter[str] = collections.Counter()
        self.routes: collections.Counter[str] = collections.Counter()
        self.paths: collections.Counter[str] = collections.Counter()
        self.ids_requested: collections.Counter[str] = collections.Counter()
        self.politeness: collections.Counter[str] = collections.Counter()
        self.faults: collections.Counter[str] = collections.Counter()
        self.faults_by_service: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.fault_log: list[tuple[str, int, str, str]] = []
        self.statuses: collections.Counter[str] = collections.Counter()
        self.min_gap: dict[str, float] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.service_first: dict[str, float] = {}
        self.service_last: dict[str, float] = {}

    def to_dict(self, started: float) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total_requests": sum(self.requests.values()),
            "routes": dict(sorted(self.routes.items())),
            "paths": dict(sorted(self.paths.items())),
            "ids_requested": dict(self.ids_requested),
            "politeness": dict(self.politeness),
            "politeness_violations": sum(self.politeness.values()),
            "faults": dict(self.faults),
            "faults_total": sum(self.faults.values()),
            "faults_by_service": {k: dict(v) for k, v in self.faults_by_service.items()},
            "fault_log": [list(x) for x in self.fault_log],
            "statuses": dict(sorted(self.statuses.items())),
            "min_gap_s": {k: round(v, 4) for k, v in self.min_gap.items()},
            "span_s": round(self.last_at - self.first_at, 3)
            if self.first_at is not None and self.last_at
            else 0.0,
            "service_span_s": {
                k: round(self.service_last[k] - self.service_first[k], 3) for k in sorted(self.service_first)
            },
            "uptime_s": round(time.monotonic() - started, 3),
        }


class FakeServices:
    """The four services on one loopback port. Use as a context manager or call start()/stop().

    ``records``: an ``mlsys_bib`` RecordSet, a list of Records, or a path to a list (loaded with
    ``mlsys_bib.build.load_list``); None serves synthetic metadata for any identifier.
    """

    def __init__(
        self,
        records: Any = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        arxiv_interval: float = 0.0,
        dblp_interval: float = 0.0,
        doi_interval: float = 0.0,
        crossref_limit: int = 50,
        crossref_window: float = 1.0,
        crossref_enforce: bool = True,
        tolerance: float = 0.001,
        fault_rate: float = 0.0,
        seed: int = 0,
        fault_kinds: Iterable[str] = FAULT_KINDS,
        slow: float | Mapping[str, float] = 0.0,
        client_timeout: float = 2.0,
        fault_retry_after: float = 1.0,
        arxiv_search_hit_rate: float = 0.5,
        dblp_search_hit_rate: float = 1.0,
        crossref_unknown: Iterable[str] = ("10.48550/*", "10.5281/*", "10.6084/*", "10.5061/*"),
        doi_unknown: Iterable[str] = (),
        arxiv_unknown: Iterable[str] = (),
        arxiv_legacy: bool = False,
        doi_redirect: bool = True,
        toc_filler: int = 6,
        arxiv_doi_rate: float = 0.25,
        published_twin_rate: float = 0.0,
        papers: Iterable[Paper] | None = None,
        bot_wall: Iterable[str] = (),
        no_retry_after: Iterable[str] = (),
    ) -> None:
        # 2026 behaviour: services that answer every request with HTTP 200 and an HTML bot page
        # (DBLP), and services whose throttle replies carry no Retry-After (arXiv's "429 Rate
        # exceeded."); both can be changed at run time through /__config.
        self.bot_wall = set(bot_wall)
        self.no_retry_after = set(no_retry_after)
        self.host = host
        self.port = port
        self.catalog = Catalog(
            list(papers)
            if papers is not None
            else papers_from_records(
                _load_records(records), arxiv_doi_rate=arxiv_doi_rate, published_twin_rate=published_twin_rate
            )
            if records is not None
            else [],
            toc_filler=toc_filler,
        )
        self.intervals = {
            "arxiv": float(arxiv_interval),
            "dblp": float(dblp_interval),
            "doi": float(doi_interval),
        }
        self.crossref_limit = int(crossref_limit)
        self.crossref_window = float(crossref_window)
        self.crossref_enforce = crossref_enforce
        self.tolerance = tolerance
        self.fault_rate = float(fault_rate)
        self.seed = seed
        self.fault_kinds = tuple(fault_kinds)
        unknown = set(self.fault_kinds) - set(FAULT_KINDS) - set(EXTRA_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        self.slow = slow
        self.client_timeout = client_timeout
        self.fault_retry_after = fault_retry_after
        self.arxiv_search_hit_rate = arxiv_search_hit_rate
        self.dblp_search_hit_rate = dblp_search_hit_rate
        self.crossref_unknown = tuple(p.lower() for p in crossref_unknown)
        self.doi_unknown = tuple(p.lower() for p in doi_unknown)
        self.arxiv_unknown = tuple(arxiv_unknown)
        self.arxiv_legacy = arxiv_legacy
        self.doi_redirect = doi_redirect
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reset_state()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.stats = _Stats()
        self._seq: collections.Counter[str] = collections.Counter()
        self._last: dict[str, float] = {}
        self._window: collections.deque[float] = collections.deque()
        self._started = time.monotonic()

    def start(self) -> FakeServices:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._stop.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fake-services", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """``MLSYS_BIB_*_URL`` variables pointing every service here."""
        return {f"MLSYS_BIB_{s.upper()}_URL": self.url for s in SERVICES}

    def settings_overrides(self) -> dict[str, str]:
        return {f"{s}_url": self.url for s in SERVICES}

    def reset(self) -> None:
        with self._lock:
            self._reset_state()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            data = self.stats.to_dict(self._started)
        data["config"] = self.config()
        return data

    def config(self) -> dict[str, Any]:
        return {
            "intervals": dict(self.intervals),
            "crossref_limit": self.crossref_limit,
            "crossref_window": self.crossref_window,
            "fault_rate": self.fault_rate,
            "seed": self.seed,
            "fault_kinds": list(self.fault_kinds),
            "slow": self.slow,
            "client_timeout": self.client_timeout,
            "papers": len(self.catalog.papers),
            "tocs": len(self.catalog.tocs),
        }

    def configure(self, **changes: Any) -> None:
        """Change knobs at run time (also ``POST /__config`` with a JSON object)."""
        with self._lock:
            for name, value in changes.items():
                if name in ("arxiv_interval", "dblp_interval", "doi_interval"):
                    self.intervals[name.split("_")[0]] = float(value)
                elif name in ("bot_wall", "no_retry_after"):
                    setattr(self, name, set(value))
                elif name == "fault_kinds":
                    kinds = tuple(value)
                    bad = set(kinds) - set(FAULT_KINDS) - set(EXTRA_FAULT_KINDS)
                    if bad:
                        raise ValueError(f"unknown fault kinds {sorted(bad)}")
                    self.fault_kinds = kinds
                elif name in ("fault_rate", "seed", "slow", "client_timeout", "fault_retry_after",
                              "arxiv_search_hit_rate", "dblp_search_hit_rate", "crossref_limit",
                              "crossref_window", "arxiv_legacy", "tolerance"):  # fmt: skip
                    setattr(self, name, value)
                else:
                    raise ValueError(f"unknown setting {name!r}")

    # -- admission: rate limits and faults ------------------------------------------------------
    def _admit(self, service: str, route: str, path_label: str) -> tuple[int, _Reply | None, str | None]:
        """Count the request; returns (seq, politeness reply or None, fault kind or None)."""
        now = time.monotonic()
        with self._lock:
            st = self.stats
            st.requests[service] += 1
            st.routes[route] += 1
            st.paths[path_label] += 1
            st.first_at = now if st.first_at is None else st.first_at
            st.last_at = now
            st.service_first.setdefault(service, now)
            st.service_last[service] = now
            seq = self._seq[service]
            self._seq[service] += 1
            reply = self._politeness(service, now)
            if reply is not None:
                st.politeness[service] += 1
                return seq, reply, None
            fault = None
            if self.fault_rate > 0 and self.fault_kinds:
                rng = random.Random(f"{self.seed}/{service}/{seq}")
                if rng.random() < self.fault_rate:
                    fault = rng.choice(self.fault_kinds)
                    st.faults[fault] += 1
                    st.faults_by_service[service][fault] += 1
                    st.fault_log.append((service, seq, route, fault))
            return seq, None, fault

    def _politeness(self, service: str, now: float) -> _Reply | None:
        if service == "crossref":
            if not self.crossref_enforce:
                return None
            window = self._window
            while window and window[0] <= now - self.crossref_window:
                window.popleft()
            if len(window) >= self.crossref_limit:
                wait = window[0] + self.crossref_window - now
                body = json.dumps({"status": "error", "message-type": "rate-limit-exceeded",
                                   "message": f"Rate limit of {self.crossref_limit} requests per "
                                              f"{self.crossref_window:g}s exceeded"}).encode()  # fmt: skip
                return _Reply(
                    429,
                    body,
                    "application/json",
                    {"Retry-After": _retry_after(wait), **self._crossref_headers()},
                )
            window.append(now)
            return None
        interval = self.intervals.get(service, 0.0)
        last = self._last.get(service)
        if last is not None:
            gap = now - last
            if interval > 0 and gap < interval - self.tolerance:
                retry = _retry_after(last + interval - now)
                if service in self.no_retry_after:
                    return _Reply(429, b"Rate exceeded.\n", "text/plain")
                if service == "arxiv":
                    return _Reply(503, b"Rate exceeded.\n", "text/plain", {"Retry-After": retry})
                if service == "dblp":
                    return _Reply(429, _DBLP_429, "text/html; charset=utf-8", {"Retry-After": retry})
                return _Reply(429, b"Too Many Requests\n", "text/plain", {"Retry-After": retry})
            prev = self.stats.min_gap.get(service)
            self.stats.min_gap[service] = gap if prev is None else min(prev, gap)
        self._last[service] = now
        return None

    def _crossref_headers(self, mailto: bool = False) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.crossref_limit),
            "x-rate-limit-interval": f"{self.crossref_window:g}s",
            "x-concurrency-limit": "3" if mailto else "1",
            "x-api-pool": "polite" if mailto else "public",
        }

    def slow_for(self, service: str) -> float:
        if isinstance(self.slow, Mapping):
            return float(self.slow.get(service, 0.0))
        return float(self.slow or 0.0)

    # -- services -------------------------------------------------------------------------------
    def arxiv(self, params: dict[str, str], wrong_id: bool) -> _Reply:
        id_list = [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]
        try:
            start = int(params.get("start", "0"))
            max_results = int(params.get("max_results", "10"))
        except ValueError:
            return _Reply(
                400, arxiv_error_feed("start and max_results must be integers"), "application/atom+xml"
            )
        query_echo = "&".join(f"{k}={v}" for k, v in (
            ("search_query", params.get("search_query", "")), ("id_list", ",".join(id_list)),
            ("start", str(start)), ("max_results", str(max_results))))  # fmt: skip
        legacy = self.arxiv_legacy
        entries: list[str] = []
        if id_list:
            found = []
            for ident in id_list:
                parts = _arxiv_parts(ident)
                if parts is None:
                    return _Reply(
                        400, arxiv_error_feed(f"incorrect id format for {ident}"), "application/atom+xml"
                    )
                base, version = parts
                if not _arxiv_exists(base) or any(fnmatch.fnmatch(base, p) for p in self.arxiv_unknown):
                    continue
                found.append((base, version))
            self.stats_add_ids("arxiv", len(id_list))
            page = found[start : start + max_results]
            for n, (base, version) in enumerate(page):
                paper = self.catalog.arxiv_paper(base)
                ident = base
                if wrong_id and n == 0:
                    ident = _other_arxiv_id(base)
                    paper = self.catalog.arxiv_paper(ident)
                entries.append(arxiv_entry(paper, ident, version, legacy=legacy))
            return _Reply(200, arxiv_feed(entries, query_echo, len(found), start, max_results, legacy=legacy),
                          "application/atom+xml; charset=utf-8")  # fmt: skip
        query = params.get("search_query", "")
        if not query:
            return _Reply(
                400, arxiv_error_feed("search_query or id_list must be given"), "application/atom+xml"
            )
        phrases = re.findall(r'ti:"([^"]*)"', query) + re.findall(r'ti:([^\s"()]+)', query)
        results: list[Paper] = []
        for phrase in phrases:
            key = normalise(phrase)
            if not key:
                continue
            known = [p for p in self.catalog.title_papers(key) if p.arxiv]
            if known:
                results.extend(known[:1])
            elif _frac("arxiv-search", key) < self.arxiv_search_hit_rate:
                seeded = self.catalog.title_papers(key)
                base = seeded[0] if seeded else None
                ident = f"{(base.year if base else 2023) % 100:02d}{1 + _h('mm', key) % 12:02d}.{_h('num', key) % 90000 + 10000:05d}"
                paper = Paper(title=base.title if base else _title_case(key),
                              authors=base.authors if base else synthetic_authors(key),
                              year=base.year if base else 2023, arxiv=ident, doi=base.doi if base else "")  # fmt: skip
                results.append(paper)
        page_papers = results[start : start + max_results]
        for n, paper in enumerate(page_papers):
            if wrong_id and n == 0:
                paper = Paper(**{**paper.__dict__, "title": synthetic_title(paper.title)})
            entries.append(arxiv_entry(paper, paper.arxiv, "", legacy=legacy))
        return _Reply(200, arxiv_feed(entries, query_echo, len(results), start, max_results, legacy=legacy),
                      "application/atom+xml; charset=utf-8")  # fmt: skip

    def stats_add_ids(self, service: str, n: int) -> None:
        with self._lock:
            self.stats.ids_requested[service] += n

    def _crossref_known(self, doi: str) -> bool:
        return not any(fnmatch.fnmatch(doi.lower(), p) for p in self.crossref_unknown)

    def crossref_list(self, params: list[tuple[str, str]], wrong_id: bool) -> _Reply:
        single = dict(params)
        headers = self._crossref_headers("mailto" in single)
        filters = single.get("filter", "")
        dois = []
        for part in (p for p in filters.split(",") if p):
            name, _, value = part.partition(":")
            if name != "doi":
                return _Reply(
                    400,
                    crossref_validation_failure(
                        "filter-not-available",
                        name,
                        f"Filter {name} specified but there is no such filter for this route. Valid filters for this route are: doi, ...",
                    ),
                    "application/json",
                    headers,
                )
            dois.append(value.lower())
        for name in single:
            if name.startswith("query"):
                return _Reply(
                    400,
                    crossref_validation_failure(
                        "parameter-not-allowed", name, "This route does not support field query parameters"
                    ),
                    "application/json",
                    headers,
                )
        try:
            rows = int(single.get("rows", "20"))
        except ValueError:
            return _Reply(
                400,
                crossref_validation_failure(
                    "integer-not-valid",
                    single.get("rows", ""),
                    "Integer specified as  but must be a positive integer less than or equal to 1000.",
                ),
                "application/json",
                headers,
            )
        select = [s for s in single.get("select", "").split(",") if s]
        bad = [s for s in select if s not in CROSSREF_SELECTABLE]
        if bad:
            return _Reply(
                400,
                crossref_validation_failure(
                    "select-not-valid",
                    ",".join(bad),
                    f"Select specified as {','.join(bad)} but must be one of: {', '.join(sorted(CROSSREF_SELECTABLE))}",
                ),
                "application/json",
                headers,
            )
        self.stats_add_ids("crossref", len(dois))
        known = sorted({d for d in dois if self._crossref_known(d)}, key=lambda d: _h("order", d))
        items = []
        for n, doi in enumerate(known[:rows]):
            work = crossref_work(self.catalog.doi_paper(doi), doi)
            if wrong_id and n == 0:
                work["DOI"] = _other_doi(doi)
                work["title"] = [synthetic_title(doi)]
            if select:
                work = {k: v for k, v in work.items() if k in select}
            items.append(work)
        body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                "message": {"facets": {}, "total-results": len(known), "items": items, "items-per-page": rows,
                            "query": {"start-index": 0, "search-terms": None}}}  # fmt: skip
        return _Reply(200, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

    def crossref_one(self, doi: str, params: dict[str, str], wrong_id: bool) -> _Reply:
        headers = self._crossref_headers("mailto" in params)
        doi = doi.lower()
        self.stats_add_ids("crossref", 1)
        if not doi.startswith("10.") or not self._crossref_known(doi):
            # the real API says JSON in the header and sends plain text
            return _Reply(404, b"Resource not found.", "application/json;charset=utf-8", headers)
        work = crossref_work(self.catalog.doi_paper(doi), doi)
        if wrong_id:
            work["DOI"] = _other_doi(doi)
            work["title"] = [synthetic_title(doi)]
        body = {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": work}
        return _Reply(200, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

    def doi_org(self, doi: str, accept: str, wrong_id: bool, *, agency: str = "") -> _Reply:
        lowered = doi.lower()
        if not lowered.startswith("10.") or any(fnmatch.fnmatch(lowered, p) for p in self.doi_unknown):
            page = f"<html><head><title>Error: DOI Not Found</title></head><body>DOI Not Found: {html.escape(doi)}</body></html>"
            return _Reply(404, page.encode(), "text/html;charset=utf-8")
        datacite = lowered.startswith(("10.48550/", "10.5281/", "10.6084/", "10.5061/"))
        if self.doi_redirect and not agency:
            target = f"/__agency/{'datacite' if datacite else 'crossref'}/{quote(doi, safe='/')}"
            link = html.escape(target)
            page = f'<html><head><title>Handle Redirect</title></head>\n<body><a href="{link}">{link}</a></body></html>'
            return _Reply(302, page.encode(), "text/html;charset=utf-8", {"Location": target})
        paper = self.catalog.doi_paper(lowered)
        served_doi = _other_doi(lowered) if wrong_id else lowered
        if wrong_id:
            paper = Paper(**{**paper.__dict__, "title": synthetic_title(lowered)})
        wants = accept.lower()
        if CSL_ACCEPT in wants or "application/citeproc+json" in wants:
            item = csl_item(paper, served_doi)
            return _Reply(200, json.dumps(item, ensure_ascii=False).encode(), CSL_ACCEPT + "; charset=utf-8")
        if BIBTEX_ACCEPT in wants:
            return _Reply(200, bibtex_one_line(paper, served_doi), BIBTEX_ACCEPT + "; charset=utf-8")
        page = f"<html><head><title>{html.escape(paper.title)}</title></head><body><h1>{html.escape(paper.title)}</h1></body></html>"
        return _Reply(200, page.encode(), "text/html;charset=utf-8")

    def dblp_sparql(self, params: dict[str, str], wrong_id: bool) -> _Reply:
        """DBLP's SPARQL endpoint, for the one query shape the client sends (published twins): every
        publication of each CoRR record's first author from a year before to three after."""
        query = params.get("query", "")
        variables = ["want", "toc", "corr", "pub", "title", "year", "type", "venue", "pages", "doi", "volume", "number",
                     "ee", "ordinal", "name"]  # fmt: skip
        _, toc_sep, toc_rest = query.partition("VALUES ?toc {")
        if toc_sep and "dblp:listedOnTocPage ?toc" in toc_rest:
            bindings: list[dict[str, Any]] = []
            for m in re.finditer(r"<https://dblp\.org/(db/[^>\s]+)>", toc_rest.partition("}")[0]):
                toc_key = m.group(1) + ".bht"
                for paper in self.catalog.tocs.get(toc_key, []):
                    if wrong_id:
                        paper = self.catalog.arxiv_paper(_other_arxiv_id("2301.00001"))
                        paper.kind = "proceedings"
                    bindings.extend(sparql_rows(m.group(0)[1:-1], paper, corr=False, group="toc"))
            body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()
            return _Reply(200, body, "application/sparql-results+json")
        _, stream_sep, stream_rest = query.partition("VALUES (?want ?stream ?from ?to ?word) {")
        if stream_sep and "dblp:publishedInStream ?stream" in stream_rest:
            bindings = []
            rows = re.findall(
                r'\("([^"]+)" <https://dblp\.org/streams/([^>\s]+)> (\d+) (\d+) "([a-z0-9]+)"\)',
                stream_rest.partition("}")[0],
            )
            for want, stream, lo, hi, word in rows:
                for paper in self.catalog.published_index()[1].get(stream, []):
                    if (
                        int(lo) <= paper.year <= int(hi)
                        and word in paper.title.lower()
                    ):
                        if wrong_id:
                            paper = self.catalog.arxiv_paper(_other_arxiv_id("2301.00001"))
                        group = {"type": "literal", "value": want}
                        for row in sparql_rows(want, paper, corr=False, group="want"):
                            row["want"] = group
                            bindings.append(row)
            body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()
            return _Reply(200, body, "application/sparql-results+json")
        head, sep, rest = query.partition("VALUES ?corr {")
        if not sep or "dblp:signatureOrdinal 1" not in rest:
            return _Reply(400, b"fake DBLP SPARQL answers the published-twins query only\n", "text/plain")
        block = rest.partition("}")[0]
        bindings: list[dict[str, Any]] = []
        for m in _CORR_IRI.finditer(block):
            ident = _corr_arxiv(m.group(1))
            paper = self.catalog.by_arxiv.get(ident)
            if paper is None or not paper.authors:
                continue  # DBLP has no CoRR record of it
            if wrong_id:
                paper = self.catalog.arxiv_paper(_other_arxiv_id(ident))
            corr_iri = m.group(0)[1:-1]
            year, _ = _arxiv_year_month(ident)
            first = paper.authors[0]
            rows = sparql_rows(corr_iri, paper, corr=True)
            for other in self.catalog.published_index()[0].get(first, []):
                if year - 1 <= other.year <= year + 3:
                    rows.extend(sparql_rows(corr_iri, other, corr=False))
            bindings.extend(rows)
        body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()
        return _Reply(200, body, "application/sparql-results+json")

    def dblp(self, params: dict[str, str], wrong_id: bool) -> _Reply:
        query = params.get("q", "").strip()
        fmt = params.get("format", "xml").lower()
        if fmt != "json":
            return _Reply(400, b"fake DBLP serves format=json only\n", "text/plain")
        try:
            h = min(max(int(params.get("h", "30")), 0), 1000)
            first = max(int(params.get("f", "0")), 0)
        except ValueError:
            return _Reply(400, b"h and f must be integers\n", "text/plain")
        infos: list[dict[str, Any]] = []
        m = re.match(r"^toc:(\S+?\.bht):?$", query)
        if m:
            toc_key = m.group(1)
            members = self.catalog.tocs.get(toc_key, [])
            if members:
                infos.append(dblp_editorship(toc_key, members[0]))
                infos.extend(dblp_info(p) for p in members)
        elif query:
            words, facets = [], {}
            for token in query.split():
                name, sep, value = token.partition(":")
                if sep and name in ("year", "venue", "type", "toc", "streamid"):
                    facets[name] = value
                elif "|" in token or token.endswith("$"):
                    alternatives = [normalise(a.rstrip("$")) + ("$" if a.endswith("$") else "") for a in token.split("|")]
                    words.append("|".join(a for a in alternatives if a.strip("$")))
                else:
                    words.extend(normalise(token).split())
            papers = self.catalog.search_words(words) if words else []
            seeded = [
                p
                for p in papers
                if p.seeded and _frac("dblp-search", normalise(p.title)) < self.dblp_search_hit_rate
            ]
            if (
                not papers
                and words
                and not self.catalog.papers
                and _frac("dblp-search", " ".join(words)) < self.dblp_search_hit_rate
            ):
                # unseeded server: any title is "known", as a synthetic conference paper
                title = _title_case(" ".join(words))
                seeded = [
                    Paper(
                        title=title,
                        authors=synthetic_authors(title),
                        year=2023,
                        kind="proceedings",
                        venue="SynthConf",
                        seeded=True,
                    )
                ]
            others = [p for p in papers if not p.seeded]
            for paper in seeded + others:
                cands = []
                if paper.kind != "preprint":
                    cands.append(dblp_info(paper))
                if paper.arxiv:
                    corr = dblp_info(paper, corr=True)
                    # the best hit is often not first: put the CoRR copy ahead half of the time
                    cands.insert(0 if _h("corr-first", paper.seed) % 2 else len(cands), corr)
                infos.extend(cands)
            year = facets.get("year")
            if year:
                lo, _, hi = year.partition(":")
                infos = [i for i in infos if str(lo) <= str(i.get("year", "")) <= str(hi or lo)]
        total = len(infos)
        page = infos[first : first + h]
        if wrong_id and page:
            page = [
                dict(
                    page[0], title=_dblp_text(synthetic_title(query)) + ".", key=page[0].get("key", "x") + "x"
                )
            ] + page[1:]
        return _Reply(200, dblp_body(query, page, total, first), "application/json; charset=utf-8")


_CORR_IRI = re.compile(r"<https://dblp\.org/rec/journals/corr/abs-([^>\s]+)>")
_BIBTEX_TYPE = {"proceedings": "Inproceedings", "journal": "Article", "preprint": "Article"}


def _corr_arxiv(abs_part: str) -> str:
    """``2309-06180`` -> ``2309.06180``; ``cs-0601001`` -> ``cs/0601001`` (DBLP's CoRR key scheme)."""
    head, _, tail = abs_part.partition("-")
    return f"{head}.{tail}" if head.isdigit() else f"{head}/{tail}"


def sparql_rows(corr_iri: str, paper: Paper, *, corr: bool, group: str = "corr") -> list[dict[str, Any]]:
    """The bindings of one publication in the twins query: one row per author (signature)."""
    info = dblp_info(paper, corr=corr)
    key = info["key"]
    venue = info["venue"] if isinstance(info["venue"], str) else info["venue"][0]

    def lit(value: str, datatype: str = "") -> dict[str, str]:
        cell = {"type": "literal", "value": value}
        if datatype:
            cell["datatype"] = datatype
        return cell

    base: dict[str, Any] = {
        group: {"type": "uri", "value": corr_iri},
        "pub": {"type": "uri", "value": f"https://dblp.org/rec/{key}"},
        "title": lit(html.unescape(info["title"])),
        "year": lit(info["year"], "http://www.w3.org/2001/XMLSchema#gYear"),
        "type": {"type": "uri", "value": "http://purl.org/net/nknouf/ns/bibtex#" + _BIBTEX_TYPE[paper.kind if not corr else "preprint"]},
        "venue": lit(html.unescape(venue)),
    }
    if info.get("pages"):
        base["pages"] = lit(info["pages"])
    if info.get("doi"):
        base["doi"] = {"type": "uri", "value": "https://doi.org/" + info["doi"]}
    if info.get("volume") and not corr:
        base["volume"] = lit(info["volume"])
    if info.get("number") and not corr:
        base["number"] = lit(info["number"])
    if info.get("ee"):
        base["ee"] = {"type": "uri", "value": info["ee"]}
    authors = info.get("authors", {}).get("author", [])
    authors = authors if isinstance(authors, list) else [authors]
    rows = []
    for ordinal, author in enumerate(authors, 1):
        row = dict(base)
        row["ordinal"] = lit(str(ordinal), "http://www.w3.org/2001/XMLSchema#integer")
        row["name"] = lit(html.unescape(author["text"]))
        rows.append(row)
    return rows


_BOT_WALL = (
    b"<!DOCTYPE html>\n<html lang=\"en\"><head><title>dblp: Please verify you are human</title></head>"
    b"<body><h1>Checking your browser</h1><p>Automated access to this service is limited. "
    b"Please enable JavaScript and cookies to continue.</p></body></html>\n"
)


def _retry_after(seconds: float) -> str:
    """Retry-After as whole seconds (RFC 9110 delta-seconds), at least 1."""
    return str(max(1, math.ceil(seconds - 1e-9)))


def _other_arxiv_id(ident: str) -> str:
    m = _NEW_ID.match(ident)
    if m:
        width = len(m["num"])
        num = (int(m["num"]) + 1) % 10**width or 1
        return f"{m['yymm']}.{num:0{width}d}"
    return ident[:-1] + str((int(ident[-1]) + 1) % 10) if ident[-1:].isdigit() else ident + "1"


def _other_doi(doi: str) -> str:
    return doi[:-1] + ("1" if doi[-1:] != "1" else "2")


def _load_records(records: Any) -> list[Any]:
    if isinstance(records, (str, Path)):
        from mlsys_bib.build import load_list

        return list(load_list(records).records)
    inner = getattr(records, "records", None)
    return list(inner if inner is not None else records)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, OSError, ValueError)):
            return  # a client that hung up, or a socket we cut on purpose
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-services/1.0"
    fake: FakeServices  # bound by FakeServices.start

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add
        # ~40 ms to every response, which would pollute every timing taken against this server
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # -- plumbing -------------------------------------------------------------------------------
    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _reset_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # RST: the client sees "connection reset by peer"
        except OSError:
            pass

    def _apply_fault(self, fault: str, reply_fn: Any, service: str) -> None:
        fake = self.fake
        if fault == "reset":
            self._reset_connection()
            return
        if fault == "timeout":
            fake._stop.wait(fake.client_timeout + 1.0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault in ("429", "503"):
            retry = _retry_after(fake.fault_retry_after)
            if fault == "429" and service == "dblp":
                self._send(_Reply(429, _DBLP_429, "text/html; charset=utf-8", {"Retry-After": retry}))
            elif fault == "429" and service == "crossref":
                body = json.dumps(
                    {"status": "error", "message-type": "rate-limit-exceeded", "message": "Too many requests"}
                ).encode()
                self._send(_Reply(429, body, "application/json", {"Retry-After": retry}))
            else:
                self._send(
                    _Reply(int(fault), f"{fault} injected\n".encode(), "text/plain", {"Retry-After": retry})
                )
            return
        if fault == "500":
            self._send(
                _Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
            )
            return
        if fault == "html":
            self._send(_Reply(200, _HTML_PAGE, "text/html; charset=utf-8"))
            return
        reply: _Reply = reply_fn(fault == "wrong_id")
        if fault in ("truncated", "truncated_silent"):
            cut = reply.body[: max(1, len(reply.body) // 2)]
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if fault == "truncated":
                self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(cut)
            self.close_connection = True
            return
        self._send(reply)

    # -- dispatch -------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(pairs)
        fake = self.fake
        if path == "/__stats":
            self._send(_Reply(200, json.dumps(fake.snapshot(), indent=1).encode(), "application/json"))
            return
        route: tuple[str, str, str] | None = None
        handler: Any = None
        if path == "/api/query":
            kind = "id_list" if params.get("id_list") else "search"
            route = ("arxiv", f"arxiv:{kind}", "/api/query")
            handler = lambda wrong: fake.arxiv(params, wrong)  # noqa: E731
        elif path == "/works":
            route = ("crossref", "crossref:works", "/works")
            handler = lambda wrong: fake.crossref_list(pairs, wrong)  # noqa: E731
        elif path.startswith("/works/"):
            doi = path[len("/works/") :]
            route = ("crossref", "crossref:work", "/works/{doi}")
            handler = lambda wrong: fake.crossref_one(doi, params, wrong)  # noqa: E731
        elif path == "/search/publ/api":
            kind = "toc" if params.get("q", "").startswith("toc:") else "search"
            route = ("dblp", f"dblp:{kind}", "/search/publ/api")
            handler = lambda wrong: fake.dblp(params, wrong)  # noqa: E731
        elif path == "/sparql":
            route = ("dblp-sparql", "dblp-sparql:query", "/sparql")
            handler = lambda wrong: fake.dblp_sparql(params, wrong)  # noqa: E731
        elif path.startswith("/__agency/"):
            _, _, rest = path.partition("/__agency/")
            agency, _, doi = rest.partition("/")
            with fake._lock:
                fake.stats.routes["doi:agency"] += 1
                fake.stats.paths["/__agency/{agency}/{doi}"] += 1
            reply = fake.doi_org(doi, self.headers.get("Accept", ""), False, agency=agency)
            self._send(reply)
            return
        elif path.startswith("/10."):
            doi = path[1:]
            route = ("doi", "doi:get", "/{doi}")
            accept = self.headers.get("Accept", "")
            handler = lambda wrong: fake.doi_org(doi, accept, wrong)  # noqa: E731
        if route is None:
            self._send(_Reply(404, b"Not Found\n"))
            return
        service, route_name, path_label = route
        if service in fake.bot_wall:
            with fake._lock:
                fake.stats.requests[service] += 1
                fake.stats.statuses[f"{service}:wall"] += 1
            self._send(_Reply(200, _BOT_WALL, "text/html; charset=utf-8"))
            return
        _, refusal, fault = fake._admit(service, route_name, path_label)
        if refusal is not None:
            with fake._lock:
                fake.stats.statuses[f"{service}:{refusal.status}"] += 1
            self._send(refusal)
            return
        delay = fake.slow_for(service)
        if delay > 0:
            fake._stop.wait(delay)
        if fault is not None and fault != "wrong_id":
            self._apply_fault(fault, handler, service)
            return
        reply = handler(fault == "wrong_id")
        with fake._lock:
            fake.stats.statuses[f"{service}:{reply.status}"] += 1
        self._send(reply)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path == "/__reset":
            self.fake.reset()
            self._send(_Reply(200, b'{"ok": true}', "application/json"))
        elif path == "/__config":
            try:
                self.fake.configure(**(json.loads(raw or b"{}")))
            except (ValueError, TypeError) as exc:
                self._send(_Reply(400, json.dumps({"error": str(exc)}).encode(), "application/json"))
                return
            self._send(_Reply(200, json.dumps(self.fake.config()).encode(), "application/json"))
        else:
            self._send(_Reply(404, b"Not Found\n"))


# ---------------------------------------------------------------------------------------------
# command line


def _parse_slow(text: str) -> float | dict[str, float]:
    if "=" not in text:
        return float(text)
    return {k.strip(): float(v) for k, _, v in (p.partition("=") for p in text.split(",") if p)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fake arXiv/Crossref/doi.org/DBLP on one loopback port.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--list", dest="list_path", help="seed with this paper list (mlsys_bib.build.load_list)")
    ap.add_argument("--arxiv-interval", type=float, default=3.0, help="min seconds between arXiv requests")
    ap.add_argument("--dblp-interval", type=float, default=1.0, help="min seconds between DBLP requests")
    ap.add_argument("--doi-interval", type=float, default=0.0)
    ap.add_argument("--crossref-limit", type=int, default=50, help="Crossref requests per window")
    ap.add_argument("--crossref-window", type=float, default=1.0, help="Crossref window in seconds")
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default=",".join(FAULT_KINDS), help="comma-separated fault kinds")
    ap.add_argument("--slow", default="0", help="seconds of delay per request, or service=seconds,...")
    ap.add_argument("--client-timeout", type=float, default=2.0, help="the 'timeout' fault sleeps this + 1 s")
    ap.add_argument("--arxiv-search-hit-rate", type=float, default=0.5)
    ap.add_argument("--dblp-search-hit-rate", type=float, default=1.0)
    ap.add_argument("--legacy-arxiv", action="store_true", help="serve the pre-2025 Atom layout")
    ap.add_argument("--print-env", action="store_true", help="also print export MLSYS_BIB_*_URL=... lines")
    args = ap.parse_args(argv)
    fake = FakeServices(
        records=args.list_path, host=args.host, port=args.port, arxiv_interval=args.arxiv_interval,
        dblp_interval=args.dblp_interval, doi_interval=args.doi_interval, crossref_limit=args.crossref_limit,
        crossref_window=args.crossref_window, fault_rate=args.fault_rate, seed=args.seed,
        fault_kinds=[k for k in args.faults.split(",") if k], slow=_parse_slow(args.slow),
        client_timeout=args.client_timeout, arxiv_search_hit_rate=args.arxiv_search_hit_rate,
        dblp_search_hit_rate=args.dblp_search_hit_rate, arxiv_legacy=args.legacy_arxiv,
    )  # fmt: skip
    fake.start()
    print(fake.url, flush=True)
    if args.print_env:
        for name, value in fake.env().items():
            print(f"export {name}={value}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())


def loopback_settings(fs: FakeServices, cache_path: Any, **kw: Any) -> Any:
    """Settings that send every service to ``fs`` with no spacing (the fakes enforce their own)."""
    from mlsys_bib.config import Settings

    base = fs.url.rstrip("/")
    kw.setdefault("min_interval", {"arxiv": 0, "dblp": 0, "dblp-sparql": 0, "crossref": 0, "doi": 0})
    kw.setdefault("progress", False)
    return Settings.from_env(
        arxiv_url=base, crossref_url=base, doi_url=base, dblp_url=base, cache_path=cache_path, **kw
    )
