"""One object per repeated value a record keeps from a service: memory, not meaning.

Every service answer is decoded on its own (JSON, XML), so the ``"v2"``, ``"cs.LG"``, the
proceedings title ``"ASPLOS '24: ACM International Conference on ..."`` or an author's
``Person("Müller", "Sofía")`` that thousands of records keep were each a fresh copy: a list
100 times the seed held tens of MB of equal strings, numbers and names after the merge. Values
are immutable (str, int, frozen :class:`~mlsys_bib.model.Person`), so handing the merge one
object per value changes nothing but the memory; it is done where a value enters a record
(:func:`mlsys_bib.resolve.merge.apply`), so answers that are only read and dropped cost nothing.
Strings go to ``sys.intern`` (freed with their last user); names and numbers to tables that one
resolve run fills and :func:`forget` empties.
"""

from __future__ import annotations

import sys
from typing import Any

from ..model import Person

__all__ = ["SHARED_FIELDS", "forget", "shared_text", "shared_value"]

#: Fields whose values repeat across records: a venue's names, arXiv's version and class, volume
#: numbers. Titles, DOIs, keys and URLs are one per paper and not worth a look-up.
SHARED_FIELDS = frozenset(
    {
        "container_title",
        "container_short",
        "event_title",
        "publisher",
        "year",
        "month",
        "volume",
        "issue",
        "arxiv_version",
        "primary_class",
        "journal_ref",
    }
)
#: Values up to this size are shared (a hostile megabyte string is not worth remembering).
_MAX_CHARS = 300
#: Distinct values remembered per type; a table starts afresh when full (sharing is an economy).
_LIMIT = 1 << 16

_people: dict[Person, Person] = {}
_numbers: dict[int, int] = {}


def _one(table: dict[Any, Any], value: Any) -> Any:
    """The first-seen object equal to ``value`` in ``table`` (one table per type: 1 and True,
    equal as keys, never stand for each other)."""
    found = table.get(value)
    if found is None:
        if len(table) >= _LIMIT:
            table.clear()
        found = table[value] = value
    return found


def forget() -> None:
    """Drop the tables (the end of a resolve run): what was shared stays shared."""
    _people.clear()
    _numbers.clear()


def shared_text(text: str) -> str:
    """``text`` interned when short (verdict details, conflict lines: a few dozen distinct ones)."""
    return sys.intern(text) if type(text) is str and len(text) <= _MAX_CHARS else text


def shared_value(field: str, value: Any) -> Any:
    """``value`` of record field ``field``, as the one object kept for equal values: strings are
    interned, numbers shared; an author list is a new list of shared :class:`Person` objects."""
    if field == "author" and isinstance(value, list):
        return [_one(_people, p) if type(p) is Person and _small(p) else p for p in value]
    if field not in SHARED_FIELDS:
        return value
    if type(value) is str:
        return shared_text(value)
    if type(value) is int:
        return _one(_numbers, value)
    return value


def _small(person: Person) -> bool:
    parts = (person.family, person.given, person.particle, person.suffix, person.literal)
    return sum(map(len, parts)) <= _MAX_CHARS
