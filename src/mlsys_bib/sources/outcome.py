"""The answer of one lookup: found / not found / failed / ambiguous, with the metadata behind it.

Clients never raise for a per-identifier problem; they return an Outcome so one bad ID cannot
sink a batch, and the orchestrator can tell "the service says no" (cache it, report it) from
"we could not ask" (retry next run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ..model import Metadata


class Status(str, Enum):
    """How one lookup ended. A ``str`` so reports and JSON keep the words they always had."""

    FOUND = "found"
    NOT_FOUND = "not found"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


FOUND = Status.FOUND
NOT_FOUND = Status.NOT_FOUND
FAILED = Status.FAILED
AMBIGUOUS = Status.AMBIGUOUS
STATUSES = tuple(Status)


@dataclass(slots=True)  # a long list holds tens of thousands until they are merged
class Outcome:
    """``status`` is one of :data:`STATUSES`; ``metadata`` holds one item when found, the candidates
    when ambiguous, nothing otherwise. ``detail`` says why (error text, "unknown arXiv id")."""

    status: Status
    metadata: list[Metadata] = field(default_factory=list)
    detail: str = ""
    from_cache: bool = False

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # a plain "found" is accepted; anything else is an error

    @property
    def ok(self) -> bool:
        return self.status == FOUND

    @property
    def value(self) -> Metadata | None:
        """The metadata of a found outcome, else None."""
        return self.metadata[0] if self.status == FOUND and self.metadata else None

    @classmethod
    def found(cls, metadata: Metadata, *, from_cache: bool = False, detail: str = "") -> Outcome:
        return cls(FOUND, [metadata], detail, from_cache)

    @classmethod
    def not_found(cls, detail: str, *, from_cache: bool = False) -> Outcome:
        return cls(NOT_FOUND, [], detail, from_cache)

    @classmethod
    def failed(cls, detail: str) -> Outcome:
        return cls(FAILED, [], detail, False)

    @classmethod
    def ambiguous(cls, candidates: list[Metadata], detail: str = "", *, from_cache: bool = False) -> Outcome:
        return cls(AMBIGUOUS, list(candidates), detail, from_cache)
