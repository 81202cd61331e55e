"""Proceedings landing pages that name a paper but carry no DOI: USENIX, PVLDB, MLSys, NeurIPS, PMLR.

Their value is ``venue/year/slug``-like and stable for one paper, which is enough to merge
duplicate list items and to tell DBLP which venue-year to look in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import Identifier

KIND = "proceedings"

# (host, path pattern, kind, value template)
_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "www.usenix.org",
        re.compile(r"^/conference/(?P<conf>[a-z]+\d{2})/presentation/(?P<slug>[^/?#]+)"),
        "usenix",
    ),
    (
        "usenix.org",
        re.compile(r"^/conference/(?P<conf>[a-z]+\d{2})/presentation/(?P<slug>[^/?#]+)"),
        "usenix",
    ),
    ("www.vldb.org", re.compile(r"^/pvldb/vol(?P<conf>\d+)/(?P<slug>p[^/?#]+?)(?:\.pdf)?$"), "pvldb"),
    ("vldb.org", re.compile(r"^/pvldb/vol(?P<conf>\d+)/(?P<slug>p[^/?#]+?)(?:\.pdf)?$"), "pvldb"),
    (
        "proceedings.mlsys.org",
        re.compile(r"^/paper_files/paper/(?P<conf>\d{4})/(?:hash|file)/(?P<slug>[0-9a-f]{32})"),
        "mlsys",
    ),
    (
        "proceedings.mlsys.org",
        re.compile(r"^/paper/(?P<conf>\d{4})/(?:hash|file)/(?P<slug>[0-9a-f]{32})"),
        "mlsys",
    ),
    (
        "proceedings.neurips.cc",
        re.compile(r"^/paper(?:_files/paper)?/(?P<conf>\d{4})/(?:hash|file)/(?P<slug>[0-9a-f]{32})"),
        "neurips",
    ),
    (
        "papers.nips.cc",
        re.compile(r"^/paper(?:_files/paper)?/(?P<conf>\d{4})/(?:hash|file)/(?P<slug>[0-9a-f]{32})"),
        "neurips",
    ),
    ("proceedings.mlr.press", re.compile(r"^/(?P<conf>v\d+)/(?P<slug>[a-z0-9]+)(?:\.html|\.pdf|/)?"), "pmlr"),
)


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for rule_host, pattern, kind in _RULES:
        if host != rule_host:
            continue
        m = pattern.match(parts.path)
        if m:
            return Identifier(kind, f"{m['conf']}/{m['slug']}")
    return None
