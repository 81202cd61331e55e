"""How a large bibliography is cut into pandoc runs whose output, put together, is one run's.

pandoc's citeproc renders a whole bibliography at once, and for a disambiguating style (APA: "2024a",
initials added to tell authors apart) its time grows with the square of the entries; one run of
87,400 IEEE entries holds 2.9 GB. Entries that cannot affect each other may be rendered apart:

* a style whose entries are independent (IEEE, ACM: no disambiguation) in slices of the list;
* a disambiguating style in runs of whole ambiguity groups: two citations can only be told apart
  if they read the same -- the same printed year and a first author of the same family name --
  except that APA's given-name rule looks at every first author of a family in the whole list,
  so each run gets stand-ins for that family's first authors it lacks (with a year no real entry
  has; dropped from the output).

Anything the grouping does not model (another item type, an editor cited as author, a style whose
rule looks at all authors) is rendered whole. This module only plans; :mod:`.citeproc_pandoc` runs
pandoc and puts the answers together.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..text.titles import fold_accents

CSL_NS = "{http://purl.org/net/xbiblio/csl}"


#: Up to this many entries a style is rendered by one pandoc run, exactly as it always was.
PARTITION_MIN = 1500
#: Entries per pandoc run when a disambiguating style's bibliography is split (whole groups only).
CHUNK = 400
#: Add, to each run, stand-in entries for the first authors it lacks (see :func:`chunks`); off
#: only to show that a split without them is not faithful (tests).
GHOSTS = True
_DISAMBIGUATES = re.compile(
    r'\sdisambiguate-add-(?:givenname|names|year-suffix)="true"|\sgivenname-disambiguation-rule="[^"]*"'
)
#: Item types whose in-text citation (APA: ``author-short``) names the ``author`` when there is
#: one: the types this package exports, and a few plain ones. Anything else is rendered whole.
_PLAIN_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "paper-conference",
    "chapter", "report", "book", "thesis", "manuscript", "webpage", "post", "post-weblog", "dataset",
})  # fmt: skip
#: CSL name variables: an item carrying any but ``author`` is rendered whole (styles substitute
#: editors, composers, ... for the author in ways this module does not model).
_NAME_VARIABLES = frozenset({
    "chair", "collection-editor", "compiler", "composer", "container-author", "contributor", "curator",
    "director", "editor", "editorial-director", "executive-producer", "guest", "host", "illustrator",
    "interviewer", "narrator", "organizer", "original-author", "performer", "producer", "recipient",
    "reviewed-author", "script-writer", "series-creator", "translator",
})  # fmt: skip
_WORD = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"\d{4}")


@functools.lru_cache(maxsize=16)
def _disambiguates(style: Path) -> bool:
    root = ET.parse(style).getroot()
    citation = root.find(f"{CSL_NS}citation")
    return citation is not None and any(k.startswith("disambiguate-") for k in citation.attrib)


@functools.lru_cache(maxsize=16)
def _splittable(style: Path) -> bool:
    """Whether the style's given-name disambiguation looks at first authors only (APA:
    ``primary-name-with-initials``) or per cite: then which citations can read alike, and which
    names decide whether a first author gets initials, is known per first-author family."""
    root = ET.parse(style).getroot()
    citation = root.find(f"{CSL_NS}citation")
    if citation is None:
        return False
    if citation.get("disambiguate-add-givenname") != "true":
        return True
    return citation.get("givenname-disambiguation-rule", "by-cite") in (
        "by-cite", "primary-name", "primary-name-with-initials",
    )  # fmt: skip


_LAYOUT = re.compile(r"(<layout\b[^>]*(?<!/)>).*?(</layout>)", re.DOTALL)


def order_only(style: Path, tmp: Path) -> Path:
    """The style reduced to what orders its bibliography: its sort keys and the macros they use,
    without disambiguation and with layouts that print one character. pandoc computes the sort
    keys before disambiguating, so this run's order is the whole run's, at a fraction of its time
    and memory; it is given only the variables the sort reads (:mod:`.csl_sort_vars`)."""
    path = tmp / f"order-{style.name}"
    text = _DISAMBIGUATES.sub("", style.read_text(encoding="utf-8"))
    path.write_text(_LAYOUT.sub(r'\1<text value="x"/>\2', text), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=16)
def _independent(style: Path) -> bool:
    """Whether each bibliography entry's text depends on that entry alone (IEEE, ACM): no
    disambiguation, no subsequent-author substitution (its label, a citation number, is set from
    the order)."""
    root = ET.parse(style).getroot()
    citation = root.find(f"{CSL_NS}citation")
    bibliography = root.find(f"{CSL_NS}bibliography")
    if bibliography is None or bibliography.get("subsequent-author-substitute") is not None:
        return False
    return citation is None or not any(k.startswith("disambiguate") for k in citation.attrib)


def _fold(text: object) -> str:
    return fold_accents(" ".join(str(text or "").split())).casefold()


def _words(text: object) -> list[str]:
    return _WORD.findall(_fold(text))


@functools.lru_cache(maxsize=1 << 16)
def _family_words(family: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(family)))


def item_year(item: dict[str, Any]) -> str:
    """The year a citation prints (the first four digits of the date), "" for none ("n.d.")."""
    issued = item.get("issued")
    if not isinstance(issued, dict):
        return ""
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return _four_digits(str(parts[0][0]))
    return _four_digits(str(issued.get("literal", "")))


@functools.lru_cache(maxsize=1 << 12)
def _four_digits(text: str) -> str:
    found = _YEAR.search(text)
    return found.group() if found else ""


def _first_author(item: dict[str, Any]) -> dict[str, Any] | None:
    """The first author when it has a family name: the name pandoc's ``primary-name`` rules see."""
    authors = item.get("author")
    first = authors[0] if isinstance(authors, list) and authors else None
    if isinstance(first, dict) and isinstance(first.get("family"), str) and first["family"].strip():
        return first
    return None


def _plain(item: dict[str, Any]) -> bool:
    return item.get("type") in _PLAIN_TYPES and not any(k in _NAME_VARIABLES for k in item)


def _name_id(name: dict[str, Any]) -> Any:
    """The name as a hashable value: equal for names pandoc reads as the same name."""
    try:
        return tuple(sorted(name.items()))
    except TypeError:  # a value that is not a string (not CSL, but not ours to refuse here)
        return json.dumps(name, sort_keys=True, ensure_ascii=False)


def _firsts(items: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None, tuple[str, ...]]]:
    """Per item: the year its citation prints, its first author, that author's family words."""
    out = []
    for item in items:
        first = _first_author(item)
        out.append((item_year(item), first, _family_words(first["family"]) if first is not None else ()))
    return out


def ambiguity_groups(
    items: Sequence[dict[str, Any]],
    facts: list[tuple[str, dict[str, Any] | None, tuple[str, ...]]] | None = None,
) -> list[list[int]]:
    """Indexes of ``items`` in groups whose citations can never read alike across groups (pandoc's
    disambiguation compares the citations' text): a group holds the entries of one year whose
    first authors share a word of the family name (folded: "Chén" with "Chen", "van Dyk" with
    "Dyk"); an entry without such an author (its citation prints a title or a literal name) joins
    the group of its year without authors and every group of that year whose family words its
    text contains. Groups in order of first entry, entries in list order."""
    parent: dict[tuple[str, ...], tuple[str, ...]] = {}

    def find(node: tuple[str, ...]) -> tuple[str, ...]:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    facts = _firsts(items) if facts is None else facts
    family_words = {word for _, _, words in facts for word in words}
    nodes: list[tuple[str, ...]] = []
    for item, (year, first, words) in zip(items, facts, strict=True):
        if first is not None:
            keys = [("w", word, year) for word in words] or [("t", year)]
        else:
            text = " ".join(str(v) for k, v in item.items() if k != "id" and isinstance(v, str))
            authors = item.get("author")
            if isinstance(authors, list) and authors:
                text += " " + json.dumps(authors[0], ensure_ascii=False)
            keys = [("t", year)] + [("w", w, year) for w in set(_words(text)) if w in family_words]
        root = find(keys[0])
        for key in keys[1:]:
            other = find(key)
            if other != root:
                parent[other] = root
        nodes.append(keys[0])
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        groups.setdefault(find(node), []).append(i)
    return list(groups.values())


def _ghost_years(used: set[str]) -> Any:
    return (year for year in range(1000, 10**6) if str(year) not in used)


def chunks(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """:func:`ambiguity_groups` packed into runs of about :data:`CHUNK` entries, each run in list
    order, plus stand-ins ("ghosts") that make each run's first-author given-name hints those of
    the whole bibliography.

    Why the ghosts: with ``primary-name-with-initials`` pandoc gives a first author initials when
    another first author anywhere in the bibliography has the same family name and other initials,
    and none when one has the same initials: a citation's text, so whether it needs a year suffix,
    depends on first authors of other years. A ghost is a one-author entry whose name is such a
    first author missing from the run, with a year no entry has (so its citation reads like no
    other and it is never disambiguated); it is dropped from the output."""

    facts = _firsts(items)

    def family(group: list[int]) -> str:
        return " ".join(facts[group[0]][2])

    chunks: list[list[int]] = [[]]
    # one family's years side by side: a run then needs the stand-ins of one or two families only
    for group in sorted(ambiguity_groups(items, facts), key=family):
        if chunks[-1] and len(chunks[-1]) + len(group) > CHUNK:
            chunks.append([])
        chunks[-1].extend(group)
    chunks = [sorted(chunk) for chunk in chunks if chunk]
    runs = [[items[i] for i in chunk] for chunk in chunks]
    if not GHOSTS:
        return runs
    ids = [_name_id(first) if first is not None else None for _, first, _ in facts]
    by_word: dict[str, dict[Any, dict[str, Any]]] = {}
    for (_, first, words), ident in zip(facts, ids, strict=True):
        if first is not None:
            for word in words:
                by_word.setdefault(word, {}).setdefault(ident, first)
    years = _ghost_years({year for year, _, _ in facts})
    taken = {str(item.get("id")) for item in items}
    serial = 0
    for chunk, run in zip(chunks, runs, strict=True):
        present = {ids[i] for i in chunk if ids[i] is not None}
        words = {word for i in chunk for word in facts[i][2]}
        wanted: dict[Any, dict[str, Any]] = {}
        for word in sorted(words):
            wanted.update(by_word.get(word, {}))
        for ident, name in wanted.items():
            if ident in present:
                continue
            serial += 1
            while f"mlsys-bib-ghost-{serial}" in taken:
                serial += 1
            run.append({"id": f"mlsys-bib-ghost-{serial}", "type": "article", "title": "ghost",
                        "author": [name], "issued": {"date-parts": [[next(years)]]}})  # fmt: skip
    return runs


def plan(items: Sequence[dict[str, Any]], style: Path) -> str:
    """Plan: "whole" (one pandoc run), "groups" (:func:`chunks`) or "slices" (runs of :data:`SLICE`
    entries in list order: entries that cannot affect each other)."""
    if len(items) <= PARTITION_MIN:
        return "whole"
    if _independent(style):
        return "slices" if len(items) > SLICE_MIN else "whole"
    if _disambiguates(style) and _splittable(style) and all(_plain(item) for item in items):
        return "groups"
    return "whole"


#: Entries per pandoc run of a style whose entries are independent (IEEE, ACM) past
#: :data:`PARTITION_MIN`: runs spread over the cores, and pandoc's memory stays that of a few
#: thousand entries (one run of 87,400 IEEE entries took 2.9 GB).
SLICE = 2000
#: ... from this many entries on: below it one run is cheaper (a sorted style's slices need a run
#: of its order too: ACM at 8,740 entries 8.9 s of CPU in slices, 7.1 s whole) and small enough.
SLICE_MIN = 20_000
