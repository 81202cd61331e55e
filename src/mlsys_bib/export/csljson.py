"""CSL-JSON export, shaped for Zotero's importer and valid against the official CSL schema.

Choices driven by what Zotero keeps (shared/notes/zotero-import.md):

* every item has one of Zotero's types (``paper-conference``, ``article-journal``, ``article``,
  ``chapter``, ``report``) -- one unknown type makes Zotero reject the whole file;
* dates are ``{"date-parts": [[y, m]]}`` objects (a string date is silently dropped);
* preprints carry ``"publisher": "arXiv"`` (Zotero: repository) and their arXiv link; the id
  goes to ``note`` as ``arXiv: ID`` (Zotero: Extra), not to ``number``, which IEEE prints after the
  publisher ("arXiv: arXiv:ID");
* the citation key goes to ``id``, ``citation-key`` (newer Zotero translators) and
  ``"note": "Citation Key: KEY"`` (kept by all of them, Better BibTeX's convention);
* name particles go inside ``family`` (see names.py); ``keyword`` and ``container-title-short`` are
  written for other clients although Zotero drops them.

Titles are plain text; the words BibTeX would brace are wrapped in ``<span class="nocase">``,
the only markup this exporter adds. Data that looks like markup stays literal text here: CSL
processors escape it when they render HTML.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..fsutil import atomic_writer
from ..model import Kind, Record
from ..text.case import split_protected
from .fields import as_int, bare_doi, container_name, keywords_value, normalize_pages
from .latex import clean_text
from .mapping import (
    csl_type,
    event_repeats_container,
    findable_repository,
    is_arxiv_page,
    record_kind,
    split_note,
)
from .names import csl_names

#: One CSL-JSON item: an open schema (strings, numbers, name lists, date parts) whose keys are
#: CSL variables, many with hyphens; what every consumer of :func:`csl_item` holds.
CslItem = dict[str, Any]

NOCASE_OPEN = '<span class="nocase">'
NOCASE_CLOSE = "</span>"


def csl_title(text: str) -> str:
    """A title with its protected words wrapped in ``<span class="nocase">``."""
    pieces = split_protected(text)
    return "".join(NOCASE_OPEN + piece + NOCASE_CLOSE if protect else piece for piece, protect, _ in pieces)


def csl_page(pages: object) -> str:
    """A page range with a hyphen (``123-130``); CSL processors apply the style's range format."""
    return normalize_pages(pages).replace("--", "-")


def csl_item(record: Record) -> CslItem:
    """One record as a CSL-JSON item (a plain dict, keys in a fixed, readable order)."""
    kind = record_kind(record)
    key = record.key
    item: CslItem = {"id": key, "citation-key": key, "type": csl_type(kind)}

    def put(name: str, value: object, limit: int | None = None) -> None:
        text = clean_text(value) if limit is None else clean_text(value, limit)
        if text:
            item[name] = text

    title = clean_text(record.title)
    if title:
        item["title"] = csl_title(title)
    authors = csl_names(record.get("author"))
    if authors:
        item["author"] = authors

    arxiv = clean_text(record.get("arxiv"), 100)
    if kind == Kind.PREPRINT:
        # A preprint has a repository, not a container: "container-title": "arXiv" makes APA print
        # "In arXiv. arXiv." The repository goes to publisher (Zotero: repository).
        if arxiv:
            # "publisher" + "number" (Zotero's repository + archive ID) print "arXiv: arXiv:ID" in
            # IEEE; the link carries the id once in every style (APA 7: "[Preprint]. arXiv. URL").
            item["publisher"] = "arXiv"
        else:
            put("publisher", findable_repository(record))
        item["genre"] = "Preprint"
    else:
        put("container-title", container_name(record))
        short = clean_text(record.get("container_short"))
        if short and short != item.get("container-title"):
            item["container-title-short"] = short
        event = clean_text(record.get("event_title"))
        if kind == Kind.PROCEEDINGS and not event_repeats_container(event, item.get("container-title", "")):
            put("event-title", event)
        put("publisher", record.get("publisher"))
        if kind == Kind.REPORT:
            put("number", record.get("issue"))
        else:
            put("volume", record.get("volume"), 100)
            put("issue", record.get("issue"), 100)

    year, month = as_int(record.get("year")), as_int(record.get("month"))
    if year is not None:
        parts = [year, month] if month is not None and 1 <= month <= 12 else [year]
        item["issued"] = {"date-parts": [parts]}
    page = csl_page(record.get("pages"))
    if page:
        item["page"] = page
    doi = bare_doi(record.get("doi"))
    if doi:
        item["DOI"] = doi
    url = clean_text(record.get("url"))
    if arxiv and kind == Kind.PREPRINT and not is_arxiv_page(url, arxiv):
        url = url or f"https://arxiv.org/abs/{arxiv}"
    if url:
        item["URL"] = url

    keywords = keywords_value(record)
    if keywords:
        item["keyword"] = keywords
    note = [f"Citation Key: {key}"]
    if arxiv:
        note.append(f"arXiv: {arxiv}")  # the eprint, for Zotero's Extra (no style prints note)
    printed, annotation, stale = split_note(record)
    if annotation and kind is not Kind.PREPRINT:
        item["genre"] = clean_text(annotation)  # "[Poster]" in APA; Zotero's Type
    extra = clean_text("; ".join(x for x in (printed, annotation, stale) if x))
    if extra:
        # Labelled so that neither citeproc-js's note-field hack nor Zotero's Extra parser reads
        # a note such as "type: book" or "DOI: ..." as a field that overrides the real ones.
        note.append(f"mlsys_bib note: {extra}")
    item["note"] = "\n".join(note)
    return item


def _checked_items(records: Sequence[Record]) -> Iterator[CslItem]:
    seen: set[str] = set()
    for record in records:
        if record.key in seen:
            raise ValueError(f"duplicate citation key {record.key!r}")
        seen.add(record.key)
        yield csl_item(record)


def iter_csl_items(records: Sequence[Record]) -> Iterator[CslItem]:
    """:func:`csl_items` one at a time, for writers that stream; duplicate keys raise ValueError."""
    return _checked_items(records)


def csl_items(records: Sequence[Record]) -> list[CslItem]:
    """All records as CSL-JSON items, in record order; duplicate keys raise ValueError."""
    return list(_checked_items(records))


def _write_csl_json(write: Callable[[str], object], records: Sequence[Record]) -> None:
    """The CSL-JSON file, item by item: only one item's text exists at a time."""
    first = True
    for item in _checked_items(records):
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        write(("[\n  " if first else ",\n  ") + text)
        first = False
    write("[]\n" if first else "\n]\n")


def csl_json_text(records: Sequence[Record]) -> str:
    """The CSL-JSON file: a list in record order, indent 2, UTF-8 kept, trailing newline.

    Keys are not sorted: each item's fields come in csl_item's fixed order, so the output is
    deterministic and reads naturally (id, type, title, author, ...). Items are dumped one by
    one (only one item's text is built at a time); the bytes are those of ``json.dumps`` of the
    whole list with the same indentation.
    """
    pieces: list[str] = []
    _write_csl_json(pieces.append, records)
    return "".join(pieces)


def write_csl_json(records: Sequence[Record], path: str | os.PathLike[str]) -> None:
    """Write :func:`csl_json_text` to ``path`` atomically, streamed item by item (flat memory)."""
    with atomic_writer(path) as fh:
        _write_csl_json(fh.write, records)
