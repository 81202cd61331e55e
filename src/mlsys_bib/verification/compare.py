"""Field-by-field checks of a matched entry against its curated record: one function per finding family.

The checks run in the order of :data:`CHECKS`. A preprint citation of a published paper is one
finding, not three: its venue, year and type differ *because* it is the preprint, so those checks
stand down for it (the fix replaces all of them at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from difflib import SequenceMatcher

from ..export.mapping import TYPES
from ..export.names import display_name
from ..model import Kind
from ..text.titles import normalise
from ..venues import find_venue as venue_of
from ..venues import same_venue
from .curated import Curated
from .findings import Finding, FindingKind
from .match import families, title_ratio
from .userbib import UserEntry

__all__ = ["CHECKS", "compare"]

#: A title this similar to the curated one is a typo; less similar, possibly another paper.
TYPO_RATIO = 0.8
#: Two family names this similar are one person misspelt.
MISSPELT_RATIO = 0.7
#: BibTeX types that mean the same as the curated kind's type.
_TYPE_ALIASES = {"conference": "inproceedings", "online": "misc", "unpublished": "misc", "electronic": "misc"}
_PREPRINT_TYPES = frozenset({"misc", "article", "unpublished", "online", "techreport", "electronic"})

Check = Callable[[UserEntry, Curated], Iterator[Finding]]


def _published_as(c: Curated) -> str:
    parts = [c.container or c.venue, str(c.year or "")]
    text = ", ".join(p for p in parts if p)
    return f"{text}, doi:{c.doi}" if c.doi else text


def _cites_preprint_of_published(e: UserEntry, c: Curated) -> bool:
    return e.is_preprint and c.published


def check_preprint(e: UserEntry, c: Curated) -> Iterator[Finding]:
    if _cites_preprint_of_published(e, c):
        yours = f"arXiv:{e.arxiv}" if e.arxiv else (e.venue or e.entry_type)
        yield Finding(FindingKind.PREPRINT_PUBLISHED, yours, _published_as(c), c.source("container_title"))


def check_venue(e: UserEntry, c: Curated) -> Iterator[Finding]:
    if _cites_preprint_of_published(e, c) or e.is_preprint:
        return
    mine = venue_of(e.venue)
    if mine and c.venue and not same_venue(mine, c.venue):
        yield Finding(FindingKind.VENUE, e.venue, c.container or c.venue, c.source("container_title"))


def check_year(e: UserEntry, c: Curated) -> Iterator[Finding]:
    if _cites_preprint_of_published(e, c):
        return
    if e.year is not None and c.year is not None and e.year != c.year:
        yield Finding(FindingKind.YEAR, str(e.year), str(c.year), c.source("year"))


def check_title(e: UserEntry, c: Curated) -> Iterator[Finding]:
    nt = normalise(e.title)
    if not nt or nt in c.titles:
        return
    kind = FindingKind.TITLE_TYPO if title_ratio(nt, c) >= TYPO_RATIO else FindingKind.TITLE_WRONG
    yield Finding(kind, e.title, c.title, c.source("title"))


def _names(people) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(display_name(p) for p in people)


def check_authors(e: UserEntry, c: Curated) -> Iterator[Finding]:
    people, truncated = e.authors
    if not c.authors or not (people or truncated):
        return
    mine, theirs = families(people), families(c.authors)
    source = c.source("author")
    unmatched = list(theirs)
    misspelt: list[tuple[str, str]] = []
    extra: list[str] = []
    for name in mine:
        if name in unmatched:
            unmatched.remove(name)
            continue
        close = max(unmatched, key=lambda t: SequenceMatcher(None, name, t).ratio(), default=None)
        if close is not None and SequenceMatcher(None, name, close).ratio() >= MISSPELT_RATIO:
            unmatched.remove(close)
            misspelt.append((name, close))
        else:
            extra.append(name)
    for name, close in misspelt:
        yours = next(display_name(p) for p in people if normalise(p.family or p.literal) == name)
        right = next(display_name(p) for p in c.authors if normalise(p.family or p.literal) == close)
        yield Finding(FindingKind.AUTHORS_MISSPELT, yours, right, source)
    if extra:
        yield Finding(FindingKind.AUTHORS_EXTRA, ", ".join(extra), _names(c.authors), source)
    if truncated and unmatched:
        yield Finding(FindingKind.AUTHORS_TRUNCATED, f"{len(people)} authors and others",
                      f"{len(c.authors)} authors: {_names(c.authors)}", source)
    elif unmatched:
        missing = [display_name(p) for p in c.authors if normalise(p.family or p.literal) in unmatched]
        yield Finding(FindingKind.AUTHORS_MISSING, _names(people), "missing: " + "; ".join(missing), source)


def check_doi(e: UserEntry, c: Curated) -> Iterator[Finding]:
    if not c.doi or _cites_preprint_of_published(e, c):
        return  # a preprint's own DOI (10.48550/arXiv...) is right for it; the preprint finding has ours
    if not e.doi:
        yield Finding(FindingKind.DOI_MISSING, "", c.doi, c.source("doi"))
    elif e.doi != c.doi:
        yield Finding(FindingKind.DOI_DIFFERENT, e.doi, c.doi, c.source("doi"))


def check_type(e: UserEntry, c: Curated) -> Iterator[Finding]:
    if _cites_preprint_of_published(e, c):
        return
    mine = _TYPE_ALIASES.get(e.entry_type, e.entry_type)
    expected = TYPES[c.kind].bibtex
    if c.kind is Kind.PREPRINT:
        if mine not in _PREPRINT_TYPES:
            yield Finding(FindingKind.TYPE, f"@{e.entry_type}", "@misc (a preprint)", c.source("kind"))
        return
    if mine != expected and not (e.is_preprint and mine in _PREPRINT_TYPES):
        yield Finding(FindingKind.TYPE, f"@{e.entry_type}", f"@{expected}", c.source("kind"))


#: The checks, in report order.
CHECKS: tuple[Check, ...] = (
    check_preprint, check_title, check_authors, check_venue, check_year, check_doi, check_type,
)


def compare(entry: UserEntry, curated: Curated) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(entry, curated)]
