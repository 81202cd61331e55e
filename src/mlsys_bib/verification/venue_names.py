"""Which venue a user's ``booktitle``/``journal`` text names, by the project's venue table.

Users write venues every way ("Proceedings of the 29th Symposium on Operating Systems
Principles", "SOSP '23", "Proc. VLDB Endow.", "CoRR"). Full names are tried first (longest
first, organisation words and ordinals ignored), then acronyms written in the text. A text that
names no known venue gives "" and produces no venue finding: an unknown spelling is not an error.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from ..text.titles import normalise
from ..venues import all_venues, lookup

__all__ = ["same_venue", "venue_of"]

#: Words that differ between spellings of one venue name and never tell two venues apart.
_NOISE = frozenset({
    "acm", "ieee", "usenix", "sigops", "sigplan", "sigsac", "sigkdd", "sigapp", "ifip", "cvf", "sigmod",
    "sigcomm", "sigarch", "the", "of", "proceedings", "proc", "international", "annual", "in",
})  # fmt: skip
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)?$")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*[A-Za-z]")


def _core(text: str) -> str:
    words = [w for w in normalise(text).split() if w not in _NOISE and not _ORDINAL.match(w)]
    return " ".join(words)


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, str], ...]:
    """(core name, acronym), longest first; names two venues share (PMLR) are left out."""
    pairs: list[tuple[str, str]] = []
    for venue in all_venues():
        for name in {venue.name, venue.container}:
            core = _core(name) if name else ""
            if len(core.split()) >= 2:
                pairs.append((core, venue.acronym))
    shared = Counter(core for core, _ in set(pairs))
    unique = {(c, a) for c, a in pairs if shared[c] == 1}
    return tuple(sorted(unique, key=lambda p: (-len(p[0]), p[0])))


@lru_cache(maxsize=4096)
def venue_of(text: str) -> str:
    """The acronym of the venue ``text`` names (``"OSDI"``, ``"arXiv"``), or ""."""
    text = (text or "").strip()
    if not text:
        return ""
    words = normalise(text).split()
    if "corr" in words or "arxiv" in words:
        return "arXiv"
    whole = lookup(text)
    if whole is not None:
        return whole.acronym
    core = f" {_core(text)} "
    for name, acronym in _names():
        if f" {name} " in core:
            return acronym
    for token in _TOKEN.findall(text):
        if sum(ch.isupper() for ch in token) >= 2 or token.lower() in ("neurips", "eurosys", "mlsys"):
            venue = lookup(token)
            if venue is not None:
                return venue.acronym
    return ""


def same_venue(a: str, b: str) -> bool:
    """Whether two venue texts or acronyms name one venue (``PVLDB`` = ``VLDB``)."""
    va, vb = venue_of(a) or a, venue_of(b) or b
    return va.casefold() == vb.casefold()
