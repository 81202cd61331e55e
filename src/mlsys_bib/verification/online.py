"""``--online``: entries outside the curated set, looked up by their DOI or arXiv id.

Each such entry becomes a one-item record and goes through the project's own resolver, so the
lookups are the same polite, cached, batched requests a build makes; nothing here talks HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Settings
from ..ids import Identifier
from ..model import ListItem, Record, Section
from .userbib import UserEntry

__all__ = ["records_for"]

_SECTION = Section("", "verify")


def records_for(entries: Sequence[UserEntry]) -> dict[str, Record]:
    """One record per entry with an identifier (keyed by the user's key)."""
    out: dict[str, Record] = {}
    for n, entry in enumerate(entries):
        idents = []
        if entry.doi:
            idents.append(Identifier("doi", entry.doi))
        if entry.arxiv:
            idents.append(Identifier("arxiv", entry.arxiv))
        if not idents:
            continue
        item = ListItem(line=entry.line, section=_SECTION, section_path=(_SECTION,), title=entry.title,
                        title_raw=entry.title, identifiers=tuple(idents))
        out[entry.key] = Record(key=f"verify-{n}", items=[item])
    return out


def resolve_online(records: Sequence[Record], settings: Settings) -> None:
    from ..resolve import resolve_records

    resolve_records(list(records), settings)
