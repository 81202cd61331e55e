"""Which DBLP hit is a list item's paper, if any: strict, because a wrong paper is worse than none.

Normalised title equality, year within one of the tag's year (PVLDB volume 16 papers are dated
2022 though the list says VLDB'23), and venue agreement (the TOC of the tag's venue-year, the
DBLP stream, or a venue name); more than one distinct candidate is "ambiguous" and nothing is
used. A venue-year's TOC is indexed by title (:class:`TitleIndex`) so matching stays linear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Kind, Metadata
from ..text.titles import normalise
from ..venues import Venue
from .outcome import AMBIGUOUS, FOUND, NOT_FOUND, Outcome, Status


@dataclass(frozen=True, slots=True)
class Match:
    """The verdict of matching one list item against DBLP hits."""

    status: Status  # FOUND / NOT_FOUND / AMBIGUOUS
    metadata: tuple[Metadata, ...] = ()
    reason: str = ""

    @property
    def value(self) -> Metadata | None:
        return self.metadata[0] if self.status == FOUND else None

    def outcome(self, *, from_cache: bool = False) -> Outcome:
        return Outcome(self.status, list(self.metadata), self.reason, from_cache)


def venue_names(acronym: str, venue: Venue | None = None) -> set[str]:
    """Normalised names DBLP might write in ``venue`` for a list venue (acronym, aliases, name)."""
    names = {acronym}
    if venue is not None:
        names.update((venue.acronym, venue.name, *venue.aliases))
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
