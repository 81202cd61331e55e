"""Which curated record a user's entry cites: identifiers first, then the title, then a guarded fuzzy step.

An identifier alone is not trusted when the titles disagree: a copied DOI of the neighbouring paper
is a common mistake, and the point of verifying is to catch it. So a DOI/arXiv hit whose title does
not fit loses to an exact or fuzzy title match elsewhere (and the wrong identifier becomes a finding).
The fuzzy step needs author overlap, so a similar title by other people is never taken for the paper.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from ..model import Person
from ..text.titles import normalise
from .curated import Curated, CuratedIndex
from .findings import MatchBy
from .userbib import UserEntry

__all__ = ["families", "match_entry", "title_ratio"]

#: A fuzzy title match needs this similarity and at least one shared author family name.
FUZZY_RATIO = 0.85
#: Without curated authors (list-only records) only a near-identical title in the year window counts.
FUZZY_RATIO_NO_AUTHORS = 0.93
#: An identifier hit is believed when its title is at least this similar.
ID_TITLE_RATIO = 0.6


def families(people: tuple[Person, ...] | list[Person]) -> list[str]:
    return [normalise(p.family or p.literal) for p in people if (p.family or p.literal)]


def title_ratio(normalised: str, curated: Curated) -> float:
    if not normalised or not curated.titles:
        return 0.0
    if normalised in curated.titles:
        return 1.0
    return max(SequenceMatcher(None, normalised, t, autojunk=False).ratio() for t in curated.titles)


def _fuzzy(entry: UserEntry, index: CuratedIndex, nt: str) -> Curated | None:
    mine = set(families(entry.authors[0]))
    best: tuple[float, Curated] | None = None
    for cand in index.candidates(nt):
        ratio = title_ratio(nt, cand)
        theirs = set(families(cand.authors))
        if theirs:
            ok = ratio >= FUZZY_RATIO and bool(mine & theirs)
        else:
            in_window = entry.year is None or cand.year is None or abs(entry.year - cand.year) <= 1
            ok = ratio >= FUZZY_RATIO_NO_AUTHORS and in_window
        if ok and (best is None or ratio > best[0]):
            best = (ratio, cand)
    return best[1] if best else None


def match_entry(entry: UserEntry, index: CuratedIndex) -> tuple[Curated | None, MatchBy]:
    nt = normalise(entry.title)
    by_title = index.by_title.get(nt) if nt else None
    for how, cand in ((MatchBy.DOI, index.by_doi.get(entry.doi) if entry.doi else None),
                      (MatchBy.ARXIV, index.by_arxiv.get(entry.arxiv) if entry.arxiv else None)):
        if cand is None:
            continue
        if not nt or title_ratio(nt, cand) >= ID_TITLE_RATIO:
            return cand, how
        if by_title is not None:
            return by_title, MatchBy.TITLE
        other = _fuzzy(entry, index, nt)
        if other is not None and other is not cand:
            return other, MatchBy.FUZZY
        return cand, how
    if by_title is not None:
        return by_title, MatchBy.TITLE
    if nt:
        other = _fuzzy(entry, index, nt)
        if other is not None:
            return other, MatchBy.FUZZY
    return None, MatchBy.NONE
