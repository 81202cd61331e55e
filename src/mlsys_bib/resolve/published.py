"""Preprint -> published: find the venue version of a paper the list knows only as an arXiv preprint.

A bibliography is judged by whether it cites the published paper, and the list's maintainers retag
items only now and then (TorchTitan arXiv'24 -> ICLR'25). The published twin is looked for among a
DBLP search's hits, and taken only when it is surely the same paper:

* **by title**: the hit's title equals one of the record's (normalised) *and* the authors overlap;
* **by the arXiv twin**, when the title changed on the way (SageAttention2 dropped "Technical
  Report"): the search also returned DBLP's CoRR record of *this* arXiv id, and a published hit
  shares title words with it and has most of its authors;
* in both cases the venue year lies in a window after the preprint (one year before to three after).

A title-only candidate with no author overlap is another paper of the same name: it is reported as
ambiguous, never used. Two different confirmed venues are ambiguous too (a workshop and a
conference version): the reader decides, the tool does not guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import Kind, Metadata, Person, Record
from ..sources.outcome import AMBIGUOUS, FOUND, NOT_FOUND, Outcome, Status
from ..text.titles import fold_accents, normalise, same_title, title_words

#: Years after the preprint a venue version may carry (and one before: camera-ready first).
YEARS_BEFORE, YEARS_AFTER = 1, 3
#: Share of the smaller author list that must appear in the other one.
AUTHOR_OVERLAP = 0.5


@dataclass(frozen=True)
class Twin:
    """What the search says about the record's published version."""

    status: Status  # FOUND, AMBIGUOUS or NOT_FOUND
    metadata: Metadata | None = None
    via: str = ""  # "title" | "arXiv twin"
    reason: str = ""

    def outcome(self, *, from_cache: bool = False) -> Outcome:
        hits = [self.metadata] if self.metadata is not None else []
        return Outcome(self.status, hits, self.reason, from_cache)


def _family(person: object) -> str:
    name = getattr(person, "family", "") or getattr(person, "literal", "") or ""
    return fold_accents(str(name)).lower().strip()


def families(people: Iterable[Person] | None) -> set[str]:
    return {f for f in (_family(p) for p in people or []) if f}


def author_overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller list found in the other (0 when either is unknown)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def search_query(record: Record) -> str:
    """What to ask DBLP: the system name when the title has one (it survives retitling), else
    the title's words."""
    name = batch_name(record)
    return name or normalise(record.title)


def batch_name(record: Record) -> str:
    """The record's one-word system name (``sageattention2``), which DBLP can be asked for together
    with others in one query (``a$|b$|c$``: any of these whole words), or "" when it has none."""
    from ..keys import system_name

    name = normalise(system_name(record.title, record.aliases))
    return name if len(name) >= 4 and " " not in name and name.isalnum() else ""


#: Names per DBLP query. DBLP returns at most 1000 hits a page; a batch whose answer fills the
#: page is split in two and asked again, down to single names.
NAME_BATCH = 20


def name_query(names: Sequence[str]) -> str:
    return "|".join(f"{n}$" for n in names)


def hits_naming(name: str, hits: Sequence[Metadata]) -> list[Metadata]:
    """The hits of a batched answer whose title has ``name`` as a word."""
    return [h for h in hits if name in normalise(str(h.get("title") or "")).split()]


#: A retitled version must keep the system name, or this share of the two titles' telling words
#: (Jaccard): "Moirai: Towards Optimal Placement ..." by the same first author is another paper.
TITLE_OVERLAP = 0.5


def retitled_twin(record: Record, title: str, mine: set[str], theirs: set[str]) -> bool:
    """Whether ``title`` can be ``record``'s paper renamed on the way to a venue. Authors must
    overlap over the *longer* list (an author's other papers share a co-author or two), and the
    title keep the system name (``SageAttention2: ...``) or most of its telling words."""
    if not mine or not theirs or len(mine & theirs) / max(len(mine), len(theirs)) < AUTHOR_OVERLAP:
        return False
    words = title_words(title)
    name = batch_name(record)
    if name and name in words:
        return True
    own = title_words(record.title)
    return bool(own and words) and len(own & words) / len(own | words) >= TITLE_OVERLAP


def find_published(record: Record, hits: Sequence[Metadata], preprint_year: int | None) -> Twin:
    """The published twin of ``record`` among DBLP ``hits``, or why there is none to use."""
    ident = record.identifier("arxiv")
    arxiv = str(record.get("arxiv") or (ident.value if ident is not None else ""))
    titles = list(dict.fromkeys([record.title, *(item.title for item in record.items)]))
    mine = families(record.get("author"))
    corr = [h for h in hits if h.get("kind") is Kind.PREPRINT and arxiv and h.get("arxiv") == arxiv]
    if not mine and corr:
        mine = families(corr[0].get("author"))
    confirmed: list[tuple[Metadata, str]] = []
    same_name_others: list[Metadata] = []
    for hit in hits:
        kind = hit.get("kind")
        if kind is None or kind is Kind.PREPRINT:
            continue
        year = hit.get("year")
        in_window = not preprint_year or not isinstance(year, int) or (
            preprint_year - YEARS_BEFORE <= year <= preprint_year + YEARS_AFTER
        )
        if not in_window:
            continue
        overlap = author_overlap(mine, families(hit.get("author")))
        title = str(hit.get("title") or "")
        if any(same_title(t, title) for t in titles):
            if overlap >= AUTHOR_OVERLAP:
                confirmed.append((hit, "title"))
            else:
                same_name_others.append(hit)
        elif corr and retitled_twin(record, title, mine, families(hit.get("author"))):
            confirmed.append((hit, "arXiv twin"))
    venues = {(str(h.get("dblp_key") or "").rsplit("/", 1)[0], h.get("year")) for h, _ in confirmed}
    if len(venues) == 1:
        hit, via = confirmed[0]
        return Twin(FOUND, hit, via, f"published as {hit.get('container_short') or '?'} {hit.get('year')}")
    if len(venues) > 1:
        shown = ", ".join(sorted(f"{h.get('container_short')} {h.get('year')}" for h, _ in confirmed))
        return Twin(AMBIGUOUS, reason=f"several published versions ({shown}): not chosen")
    if same_name_others:
        h = same_name_others[0]
        return Twin(
            AMBIGUOUS,
            reason=f"a paper of the same title in {h.get('container_short')} {h.get('year')} shares no "
            "authors with this one: not used",
        )
    return Twin(NOT_FOUND, reason="no published version found")
