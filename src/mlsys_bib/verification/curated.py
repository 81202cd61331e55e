"""The curated set as the verifier sees it: one flat, comparable view per record, and its indexes.

Built from :class:`~mlsys_bib.model.Record` (list data plus whatever the cache resolved), so a
finding can say where each curated value came from: a service and its key, or the list's line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..export.fields import container_name
from ..export.mapping import record_kind
from ..model import Kind, Person, Record
from ..text.titles import STOP_WORDS, normalise

__all__ = ["Curated", "CuratedIndex"]


@dataclass(frozen=True)
class Curated:
    record: Record
    key: str
    title: str
    titles: frozenset[str]  # normalised: the resolved title and every title the list gave
    authors: tuple[Person, ...]
    year: int | None
    venue: str  # acronym ("OSDI"), "" when unknown
    container: str  # the full venue name as exported
    kind: Kind
    doi: str
    arxiv: str

    @property
    def published(self) -> bool:
        return self.kind is not Kind.PREPRINT

    def source(self, name: str) -> str:
        """Who gave field ``name``: ``dblp:conf/osdi/...`` or ``list:L123`` (the list's line)."""
        sourced = self.record.fields.get(name)
        if sourced is None or sourced.provenance.source == "venues":
            # the venue table only spells out the list's tag: the tag's line is the source
            tag = self.record.tag
            line = next((i.line for i in self.record.items if tag is not None and i.tag == tag),
                        self.record.items[0].line if self.record.items else 0)
            return f"list:L{line}" + (f" ({tag.raw})" if tag is not None else "")
        prov = sourced.provenance
        return f"{prov.source}:{prov.ref}" if prov.ref else prov.source

    @classmethod
    def of(cls, record: Record) -> Curated:
        tag = record.tag
        year = record.get("year")
        try:
            year = int(year) if year is not None else (tag.year if tag else None)
        except (TypeError, ValueError):
            year = tag.year if tag else None
        # a workshop's venue is the workshop ("ES-FoMo"), not its host conference
        venue = record.get("container_short") or (tag.workshop or tag.venue if tag is not None else "")
        arxiv = record.identifier("arxiv")
        titles = {normalise(record.title)} | {normalise(i.title) for i in record.items}
        return cls(
            record=record,
            key=record.key,
            title=record.title,
            titles=frozenset(t for t in titles if t),
            authors=tuple(record.get("author") or ()),
            year=year,
            venue=str(venue),
            container=container_name(record),
            kind=record_kind(record),
            doi=str(record.get("doi") or "").lower(),
            arxiv=str(record.get("arxiv") or (arxiv.value if arxiv is not None else "")),
        )


class CuratedIndex:
    """DOI, arXiv id, exact normalised title, and a word index for the fuzzy step."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.items = [Curated.of(r) for r in records]
        self.by_doi: dict[str, Curated] = {}
        self.by_arxiv: dict[str, Curated] = {}
        self.by_title: dict[str, Curated] = {}
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(self.items):
            if c.doi:
                self.by_doi.setdefault(c.doi, c)
            for ident in c.record.identifiers:
                if ident.kind == "doi":
                    self.by_doi.setdefault(ident.value.lower(), c)
            if c.arxiv:
                self.by_arxiv.setdefault(c.arxiv, c)
            for t in c.titles:
                self.by_title.setdefault(t, c)
                for word in set(t.split()) - STOP_WORDS:
                    self.by_word[word].append(i)

    def candidates(self, normalised_title: str, limit: int = 8) -> list[Curated]:
        """Records sharing the most significant title words with ``normalised_title``."""
        words = set(normalised_title.split()) - STOP_WORDS
        if not words:
            return []
        hits: dict[int, int] = defaultdict(int)
        for word in words:
            postings = self.by_word.get(word, ())
            if len(postings) > 200:  # a word in hundreds of titles ("learning") tells nothing
                continue
            for i in postings:
                hits[i] += 1
        need = max(1, len(words) // 2)
        best = sorted((i for i, n in hits.items() if n >= need), key=lambda i: (-hits[i], i))
        return [self.items[i] for i in best[:limit]]
