"""Venue and year from a paper link's host and path, for lists that give no venue tag.

``usenix.org/conference/atc20/...`` is ATC'20, ``usenix.org/system/files/osdi18-lee.pdf`` is OSDI'18,
an arXiv id carries its year. Data, not branches: one row per URL shape; the first match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["venue_from_url"]


@dataclass(frozen=True)
class HostRule:
    pattern: re.Pattern[str]
    venue: str  # a fixed acronym, or "" to take the ``venue`` group
    year_base: int = 0  # year = base + int(group "y") (two-digit years: 2000; PVLDB volume: 2007)


_RULES: tuple[HostRule, ...] = (
    HostRule(re.compile(r"usenix\.org/conference/(?P<venue>osdi|nsdi|atc|fast|hotcloud|hotstorage|opml)(?P<y>\d\d)\b",
                        re.I), "", 2000),
    HostRule(re.compile(r"usenix\.org/(?:system/files|sites/default/files)/(?:conference/[^/]+/)?"
                        r"(?P<venue>osdi|nsdi|atc|fast|hotcloud|opml)(?P<y>\d\d)", re.I), "", 2000),
    HostRule(re.compile(r"proceedings\.mlsys\.org/paper(?:_files)?/(?:paper/)?(?P<y>20\d\d)", re.I),
             "MLSys", 0),
    HostRule(re.compile(r"mlsys\.org/Conferences/(?P<y>20\d\d)", re.I), "MLSys", 0),
    HostRule(re.compile(r"(?:papers\.nips\.cc|proceedings\.neurips\.cc)/paper(?:_files/paper)?/(?P<y>20\d\d)",
                        re.I), "NeurIPS", 0),
    HostRule(re.compile(r"vldb\.org/pvldb/vol(?P<y>\d+)", re.I), "VLDB", 2007),
    HostRule(re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<y>\d\d)\d\d\.\d{4,5}", re.I), "arXiv", 2000),
    HostRule(re.compile(r"aclanthology\.org/(?P<y>20\d\d)\.(?P<venue>acl|emnlp|naacl)-", re.I), "", 0),
)

_CANONICAL = {"osdi": "OSDI", "nsdi": "NSDI", "atc": "ATC", "fast": "FAST", "hotcloud": "HotCloud",
              "hotstorage": "HotStorage", "opml": "OpML", "acl": "ACL", "emnlp": "EMNLP", "naacl": "NAACL"}


def venue_from_url(url: str) -> tuple[str, int] | None:
    """``(acronym, year)`` the URL's shape implies, or None."""
    for rule in _RULES:
        m = rule.pattern.search(url)
        if m:
            venue = rule.venue or _CANONICAL.get(m["venue"].lower(), m["venue"].upper())
            return venue, rule.year_base + int(m["y"])
    return None
