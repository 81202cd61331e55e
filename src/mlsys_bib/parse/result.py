"""What parsing a list gives: its items and sections, and a report for every bullet that is not a paper.

Shared by both readers (:mod:`.markdown` for the seed's tagged shape, :mod:`.generic` for the rest) and
by everything after them (records, the build report), so it imports nothing of the parsers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ..model import ListItem, Section

__all__ = ["LineKind", "LineReport", "ParsedList", "shown_line"]


class LineKind(str, Enum):
    """What a bullet that is not a paper is. A ``str`` so report.json keeps its words."""

    CONTINUATION = "continuation"  # more text of the paper above it
    NOTE = "note"  # a remark, kept in the report
    UNPARSED = "unparsed"  # looks like a paper but cannot be read: ``check`` fails on these
    SKIPPED = "skipped"  # deliberately not a paper (a heading's link list, ...)
    WARNING = "warning"  # read, but something in the line was damaged or cut (reported, not fatal)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(slots=True)
class LineReport:
    """A bullet that is not a paper, kept so that nothing the list says is lost."""

    line: int
    text: str
    kind: LineKind
    reason: str = ""
    attached_to: int | None = None  # line of the paper it was attached to
    source: str = ""  # the list's prefix in a several-list build
    file: str = ""  # the list's path or URL, for ``file:line`` in warnings


@dataclass(slots=True)
class ParsedList:
    items: list[ListItem] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    reports: list[LineReport] = field(default_factory=list)
    title: str = ""

    def of_kind(self, kind: LineKind | str) -> list[LineReport]:
        kind = LineKind(kind)
        return [r for r in self.reports if r.kind is kind]

    @property
    def unparsed(self) -> list[LineReport]:
        return self.of_kind(LineKind.UNPARSED)


def shown_line(line: str) -> str:
    """A line as reports show it: whitespace folded, at most 200 characters."""
    shown = " ".join(line[:10_000].split())
    return shown if len(shown) <= 200 else shown[:199] + "\u2026"
