"""What each record's lookups said, kept for the verdicts (:mod:`.verdicts`) until the run ends.

A long list logs about one lookup per record and service, and nearly all say the same few things
(``arxiv found``, ``dblp found: title, year and venue agree``): each distinct :class:`Lookup`,
and each distinct sequence of them, is one shared object, so a list 100 times the seed keeps a
dictionary entry per record instead of a list and its objects (~15 MB at the merge's peak).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Lookup", "LookupLog", "LookupStatus"]


class LookupStatus(str, Enum):
    """How one record's lookup at one service ended: an outcome's status, or SKIPPED when it
    could not be made (offline, or ``--only`` excluded the service) -- which is not a failure."""

    FOUND = "found"
    NOT_FOUND = "not found"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Lookup:
    service: str
    status: LookupStatus
    detail: str = ""


class LookupLog(dict[str, tuple[Lookup, ...]]):
    """Record key -> its lookups in the order they were made (records without one are absent)."""

    __slots__ = ("_same",)

    def __init__(self) -> None:
        super().__init__()
        self._same: dict[object, object] = {}  # a Lookup or a tuple of them -> the one kept

    def add(self, key: str, lookup: Lookup) -> None:
        lookup = self._one(lookup)
        self[key] = self._one((*self.get(key, ()), lookup))

    def _one(self, value: object) -> object:
        return self._same.setdefault(value, value)
