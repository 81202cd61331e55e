"""Proceedings landing pages that name a paper but carry no DOI: USENIX, PVLDB, MLSys, NeurIPS, PMLR.

Their value is ``venue/year/slug``-like and stable for one paper, which is enough to merge
duplicate list items and to tell DBLP which venue-year to look in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import Identifier

KIND = "proceedings"

# NeurIPS and MLSys (an offshoot with the same site software) name a paper by year and hash,
# under /paper/ (older pages) or /paper_files/paper/ (newer ones).
_HASHED = re.compile(r"^/paper(?:_files/paper)?/(?P<conf>\d{4})/(?:hash|file)/(?P<slug>[0-9a-f]{32})")

# (hosts, path pattern, kind); the value is ``conf/slug`` from the pattern's groups
_RULES: tuple[tuple[frozenset[str], re.Pattern[str], str], ...] = (
    (
        frozenset({"www.usenix.org", "usenix.org"}),
        re.compile(r"^/conference/(?P<conf>[a-z]+\d{2})/presentation/(?P<slug>[^/?#]+)"),
        "usenix",
    ),
    (
        frozenset({"www.vldb.org", "vldb.org"}),
        re.compile(r"^/pvldb/vol(?P<conf>\d+)/(?P<slug>p[^/?#]+?)(?:\.pdf)?$"),
        "pvldb",
    ),
    (frozenset({"proceedings.mlsys.org"}), _HASHED, "mlsys"),
    (frozenset({"proceedings.neurips.cc", "papers.nips.cc"}), _HASHED, "neurips"),
    (
        frozenset({"proceedings.mlr.press"}),
        re.compile(r"^/(?P<conf>v\d+)/(?P<slug>[a-z0-9]+)(?:\.html|\.pdf|/)?"),
        "pmlr",
    ),
)


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for hosts, pattern, kind in _RULES:
        if host not in hosts:
            continue
        m = pattern.match(parts.path)
        if m:
            return Identifier(kind, f"{m['conf']}/{m['slug']}")
    return None
