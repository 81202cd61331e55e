"""Field values every export shares, whatever its syntax: page ranges, bare DOIs, section
keywords, the container's name. One home, so BibTeX, biblatex, CSL-JSON and the reference lists
cannot drift apart (CSL-JSON used to import them from the BibTeX exporter)."""

from __future__ import annotations

import re

from ..model import Record
from .latex import clean_text

__all__ = ["as_int", "bare_doi", "container_name", "keywords_value", "normalize_pages"]

_DASHES = "\\-\u2010-\u2015"  # hyphen-minus, hyphen .. horizontal bar (en and em dash included)
_PAGE_RANGE = re.compile(rf"^\s*([^\s{_DASHES}]+)\s*(?:-{{1,3}}|[\u2010-\u2015])\s*([^\s{_DASHES}]+)\s*$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalize_pages(pages: object) -> str:
    """``123-130``, ``123--130``, ``123–130`` -> ``123--130``; single pages/article numbers kept."""
    text = clean_text(pages, 100)
    match = _PAGE_RANGE.match(text)
    return f"{match.group(1)}--{match.group(2)}" if match else text


def bare_doi(doi: object) -> str:
    """The DOI without ``https://doi.org/`` or ``doi:`` (records should already hold it bare)."""
    return _DOI_PREFIX.sub("", clean_text(doi, 500))


def keywords_value(record: Record) -> str:
    """The record's section labels, comma-separated; commas inside a label become `` /``.

    ``keywords`` is a comma-separated list for biblatex and Zotero (which turns each into a tag),
    so "1.1.4 Specific workloads (GNN, DLRM)" is written as "... (GNN / DLRM)".
    """
    labels = []
    for section in record.sections:
        label = re.sub(r"\s*[,;]\s*", " / ", clean_text(section.label, 300))
        if label and label not in labels:
            labels.append(label)
    return ", ".join(labels)


def as_int(value: object) -> int | None:
    """``value`` as an int (years, months arrive as int or str), None when it is not one."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number


def container_name(record: Record) -> str:
    """Journal/proceedings name: the resolved title, else the event, short name or list tag."""
    for name in ("container_title", "event_title", "container_short"):
        text = clean_text(record.get(name))
        if text:
            return text
    tag = record.tag
    if tag is not None and tag.venue and not tag.is_preprint:
        return clean_text(f"{tag.venue} {tag.year}" if tag.year else tag.venue)
    return ""
