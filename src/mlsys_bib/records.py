"""List items -> one citation record per paper, with list-derived fields and stable keys.

Items are merged by identifier first (same arXiv id, DOI, OpenReview forum, proceedings page)
and then by normalised title; a paper listed in three sections becomes one record that
remembers all three. Disagreements between the merged items (two arXiv ids for one title, two
different published venues) are kept and reported, never silently resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import venues
from .ids import doi as ids_doi
from .keys import KeyLock, assign_keys
from .model import Kind, ListItem, Provenance, Record, Sourced
from .parse.result import ParsedList
from .text.names import split_name
from .text.titles import normalise

# Identifier kinds that name exactly one paper (merging on them is safe).
_MERGE_KINDS = {"arxiv", "doi", "openreview", "acl", "ieee", "usenix", "pvldb", "mlsys", "neurips", "pmlr"}
_PAPER_LINK_LABELS = ("paper", "doi", "arxiv", "openreview")


@dataclass
class RecordSet:
    """The records of a list and what building them found worth reporting."""

    records: list[Record]
    parsed: ParsedList
    merges: int = 0
    list_reports: list[dict[str, object]] = field(default_factory=list)
    conflicts: list[dict[str, object]] = field(default_factory=list)
    unknown_tags: dict[str, list[int]] = field(default_factory=dict)

    def by_key(self) -> dict[str, Record]:
        return {r.key: r for r in self.records}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the earlier item stays the representative: record order follows the list
            self.parent[max(ra, rb)] = min(ra, rb)


def identities(items: list[ListItem]) -> list[str]:
    """Everything that names this paper, strongest first: identifiers, then the title."""
    found: list[str] = []
    for item in items:
        for ident in item.identifiers:
            if ident.kind in _MERGE_KINDS and ident.curie not in found:
                found.append(ident.curie)
    for item in items:
        t = "title:" + normalise(item.title)
        if t not in found:
            found.append(t)
    return found


def _significant_words(title: str) -> set[str]:
    return {w for w in normalise(title).split() if len(w) > 2}


def titles_compatible(a: str, b: str) -> bool:
    """Could two list titles name one paper? (Papers get renamed between arXiv versions.)

    True for the same system name before a colon, or when half the significant words of the
    shorter title recur in the other. A copy-pasted link under an unrelated title fails both.
    """
    name_a, name_b = (normalise(t.partition(":")[0]) for t in (a, b))
    if ":" in a and ":" in b and name_a == name_b:
        return True
    wa, wb = _significant_words(a), _significant_words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.5


def group_items(items: list[ListItem]) -> tuple[list[list[ListItem]], list[dict[str, object]]]:
    """Groups of items naming one paper, and the identifier clashes refused along the way."""
    uf = _UnionFind(len(items))
    first_seen: dict[str, int] = {}
    refused: list[dict[str, object]] = []
    for i, item in enumerate(items):
        title_name = f"title:{normalise(item.title)}"
        if title_name in first_seen:
            uf.union(first_seen[title_name], i)
        else:
            first_seen[title_name] = i
        for ident in item.identifiers:
            if ident.kind not in _MERGE_KINDS:
                continue
            j = first_seen.setdefault(ident.curie, i)
            if j == i:
                continue
            if titles_compatible(items[j].title, item.title):
                uf.union(j, i)
            else:
                refused.append(
                    {
                        "identifier": ident.curie,
                        "lines": [items[j].line, item.line],
                        "_items": [(items[j].source, items[j].line), (item.source, item.line)],
                        "conflict": f"{ident.curie} is linked from two different titles; not merged",
                    }
                )
    groups: dict[int, list[ListItem]] = {}
    for i, item in enumerate(items):
        groups.setdefault(uf.find(i), []).append(item)
    return [groups[k] for k in sorted(groups)], refused


def _conflicts(record: Record) -> list[str]:
    found: list[str] = []
    arxiv_ids = sorted({i.value for i in record.identifiers if i.kind == "arxiv"})
    if len(arxiv_ids) > 1:
        found.append(f"several arXiv ids: {', '.join(arxiv_ids)}")
    dois = sorted({i.value for i in record.identifiers if i.kind == "doi"})
    if len(dois) > 1:
        found.append(f"several DOIs: {', '.join(dois)}")
    published = {(t.venue, t.year) for t in record.tags if not t.is_preprint}
    if len(published) > 1:
        raws = sorted(t.raw for t in record.tags if not t.is_preprint)
        found.append(f"different venue tags: {', '.join(raws)}")
    return found


#: One Provenance per venue of the table, shared by every record it gives fields to (they are
#: immutable, and a list 100 times the seed would otherwise hold hundreds of thousands of copies).
_VENUE_PROVENANCE: dict[str, Provenance] = {}


def _venue_provenance(acronym: str) -> Provenance:
    found = _VENUE_PROVENANCE.get(acronym)
    if found is None:
        found = _VENUE_PROVENANCE[acronym] = Provenance("venues", acronym)
    return found


#: The (immutable) field values the venue table gives, one per venue, year and field, shared by the
#: records of that venue-year (kind, proceedings title, publisher).
_VENUE_VALUES: dict[tuple[str, object, Provenance], Sourced] = {}


def _set_from_venue(record: Record, name: str, value: object, provenance: Provenance) -> None:
    record.set(name, value, provenance)
    record.fields[name] = _VENUE_VALUES.setdefault((name, value, provenance), record.fields[name])


def _apply_list_fields(record: Record) -> None:
    first = record.items[0]
    src = Provenance("list", f"L{first.line}")

    def at_line(line: int) -> Provenance:  # the record's own line's provenance, shared
        return src if line == first.line else Provenance("list", f"L{line}")

    record.set("title", first.title, src)
    tag = record.tag
    if tag is not None:
        tag_item = next(i for i in record.items if i.tag is not None and i.tag.raw == tag.raw)
        tag_src = at_line(tag_item.line)
        venue = venues.lookup(tag.venue) if tag.venue else None
        if tag.year:
            record.set("year", tag.year, tag_src)
        if venue is not None:
            venue_src = _venue_provenance(venue.acronym)
            _set_from_venue(record, "kind", venue.kind, venue_src)
            container = venue.container_title(tag.year)
            if tag.qualifier.lower() == "workshop" and not venue.workshop:
                # "[NeurIPS'24 Workshop]": a workshop of the venue, not its proceedings.
                container = f"{venue.label(tag.year)} Workshop"
            _set_from_venue(record, "container_title", container, venue_src)
            if venue.kind is not Kind.PREPRINT:
                record.set("container_short", venue.acronym, tag_src)
            if venue.publisher:
                _set_from_venue(record, "publisher", venue.publisher, venue_src)
        elif tag.venue:
            record.set("kind", Kind.PREPRINT if tag.is_preprint else Kind.PROCEEDINGS, tag_src)
            record.set("container_title", tag.venue, tag_src)
            record.set("container_short", tag.venue, tag_src)
        elif tag.is_preprint:
            record.set("kind", Kind.PREPRINT, tag_src)
        notes = []
        if tag.under_review:
            notes.append("Under review")
        if tag.qualifier.lower() == "to appear":
            notes.append("To appear")
        elif tag.qualifier.lower() in {"poster", "tutorial", "wip", "demo"}:
            notes.append(tag.qualifier[:1].upper() + tag.qualifier[1:])
        if notes:
            record.set("note", "; ".join(notes), tag_src)
    else:
        record.set("kind", Kind.PREPRINT, src)
    with_authors = next((i for i in record.items if i.authors), None)
    if with_authors is not None:
        # authors the list itself gives (tables, citation-style bullets): a service's list still wins
        people = [split_name(name) for name in with_authors.authors]
        record.set("author", [p for p in people if p.family or p.literal],
                   Provenance("list", f"L{with_authors.line}"))
    arxiv = record.identifier("arxiv")
    if arxiv is not None:
        record.set("arxiv", arxiv.value, src)
        if arxiv.version:
            record.set("arxiv_version", arxiv.version, src)
    doi = record.identifier("doi")
    if doi is not None and ids_doi.registered(doi.value):
        record.set("doi", doi.value, src)
    elif doi is not None:  # an ACM DL id (10.5555/...): no agency resolves it, so no ``doi`` field
        note = str(record.get("note") or "")
        record.set("note", "; ".join(x for x in (note, f"ACM DL {doi.value}") if x), src)
    for label in _PAPER_LINK_LABELS:
        link = next((lk for lk in record.links if lk.label == label), None)
        if link is not None:
            record.set("url", link.url, at_line(link.line))
            break


def build_records(parsed: ParsedList, *, lock: KeyLock | None = None) -> RecordSet:
    """One record per paper, in list order, with keys from ``lock`` where it knows the paper."""
    groups, refused = group_items(parsed.items)
    papers = []
    for group in groups:
        tag = Record("", group).tag
        papers.append(
            (identities(group), group[0].title, tag.venue if tag else "", tag.year if tag else None,
             [a for item in group for a in item.aliases])  # fmt: skip
        )
    keys = assign_keys(papers, lock)
    result = RecordSet([], parsed)
    key_of_item = {
        (item.source, item.line): key for key, group in zip(keys, groups, strict=True) for item in group
    }
    for clash in refused:
        where = clash.pop("_items")
        assert isinstance(where, list)
        result.conflicts.append({"key": " / ".join(key_of_item[w] for w in where), **clash})
    for key, group in zip(keys, groups, strict=True):
        record = Record(key, group)
        _apply_list_fields(record)
        former = lock.former_keys(key) if lock is not None else []
        if former:  # biblatex ids: a document citing the key retired by the re-key still compiles
            record.set("former_keys", former, Provenance("keys", "keys.lock"))
        record.conflicts.extend(_conflicts(record))
        for text in record.conflicts:
            result.conflicts.append({"key": key, "lines": record.lines, "conflict": text})
        result.records.append(record)
        result.merges += len(group) - 1
        for item in group:
            if (
                item.tag is not None
                and item.tag.venue
                and venues.lookup(item.tag.venue) is None
                or item.tag is not None
                and not item.tag.venue
                and not item.tag.under_review
            ):
                result.unknown_tags.setdefault(item.tag.raw, []).append(item.line)
    return result
