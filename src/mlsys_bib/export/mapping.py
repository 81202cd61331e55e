"""Which entry type a record gets in each format: one table the exporters read.

The rule users ask to change ("a workshop paper should be @inproceedings", "a report should be
CSL report") is a row here, not a branch in an exporter. BibTeX and biblatex share the entry
types (they differ in fields, see bibtex.py); CSL and Zotero name their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..model import Kind, Record


@dataclass(frozen=True)
class TypeRow:
    """``bibtex``: the BibTeX/biblatex entry type; ``needs_container``: without a venue name the
    entry is ``@misc`` (never an empty ``booktitle``/``journal``); ``csl``: the CSL-JSON type
    (one Zotero's CSL-JSON import maps to ``zotero``); ``zotero``: the Zotero item type."""

    bibtex: str
    needs_container: bool
    csl: str
    zotero: str


TYPES: Mapping[Kind, TypeRow] = MappingProxyType({
    Kind.PROCEEDINGS: TypeRow("inproceedings", True, "paper-conference", "conferencePaper"),
    Kind.JOURNAL: TypeRow("article", True, "article-journal", "journalArticle"),
    Kind.PREPRINT: TypeRow("misc", False, "article", "preprint"),
    Kind.CHAPTER: TypeRow("incollection", True, "chapter", "bookSection"),
    Kind.REPORT: TypeRow("techreport", False, "report", "report"),
})  # fmt: skip

#: The entry type of a paper whose container a row needs but the record lacks.
FALLBACK_BIBTEX = "misc"


def record_kind(record: Record) -> Kind:
    """The record's Kind; a missing or unknown kind is treated as a preprint (the weakest claim)."""
    kind = record.get("kind")
    if isinstance(kind, Kind):
        return kind
    try:
        return Kind(kind)
    except ValueError:
        return Kind.PREPRINT


def bibtex_type(kind: Kind, has_container: bool) -> str:
    """The BibTeX/biblatex entry type of ``kind``, ``@misc`` when its venue name is unknown."""
    row = TYPES[kind]
    return row.bibtex if has_container or not row.needs_container else FALLBACK_BIBTEX


def csl_type(kind: Kind) -> str:
    return TYPES[kind].csl


def zotero_type(kind: Kind) -> str:
    return TYPES[kind].zotero
