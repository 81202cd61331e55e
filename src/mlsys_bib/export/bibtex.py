"""BibTeX (classic .bst + natbib) and biblatex exports.

Field choices follow what the real clients do with them (shared/tools/validate_exports.sh header,
shared/notes/zotero-import.md, and biber's data model):

* ``month = jul`` as a bare macro: the only form bibtex, biber and pandoc all read silently.
* arXiv: the id is printed once in every style (issue 9, checked on the compiled page). Classic
  BibTeX gets ``howpublished = {arXiv preprint arXiv:ID}`` for preprints, which plainnat, IEEEtran
  and ACM all print, and no ``eprint`` (ACM's .bst would print it a second time; Zotero's BibTeX
  import drops ``eprint`` + ``archivePrefix``); biblatex gets ``eprint`` + ``eprinttype = {arxiv}`` +
  ``eprintclass``, which biblatex prints and Zotero keeps. Published papers keep their eprint in
  biblatex. An arXiv abstract URL is left out wherever the id is already printed.
* Fields biber's data model rejects for an entry type are left out (``publisher`` on ``@article``
  and ``@misc``, ``pages`` on ``@misc``): ``biber --validate-datamodel`` warns about each.
* Values are built here, already delimited, and handed to bibtexparser's writer verbatim (an empty
  unparse stack), so bibtexparser never re-quotes or re-escapes them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence

import bibtexparser
from bibtexparser.model import Entry, Field, ImplicitComment
from bibtexparser.writer import BibtexFormat

from ..fsutil import atomic_write
from ..model import Kind, Record
from .fields import as_int, bare_doi, container_name, keywords_value, normalize_pages
from .latex import (
    braces_balanced,
    clean_text,
    escape_latex,
    latex_container,
    latex_protected_text,
    latex_title,
    latex_verbatim,
    was_truncated,
)
from .mapping import (
    bibtex_type,
    event_repeats_container,
    findable_repository,
    is_arxiv_page,
    record_kind,
    short_name,
    split_note,
)
from .names import bibtex_names

log = logging.getLogger(__name__)

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Characters a BibTeX key cannot hold without breaking the entry (bibtex, biber and pandoc agree
# on letters, digits and -_:./+ ; anything else is a bug in the key step, not something to fix
# silently here, because the key is what users cite).
_KEY_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.+/\-]*$")


HEADER = (
    "% {name} -- the ML systems papers list as a bibliography, written by mlsys_bib.\n"
    "% Generated file: edit the list or the resolver, not this file. Encoding: {encoding}."
)


def check_key(key: str) -> str:
    """``key`` if it is a safe BibTeX key; ValueError otherwise (it would corrupt the file)."""
    if not isinstance(key, str) or not _KEY_OK.match(key):
        raise ValueError(f"unusable citation key {key!r}: BibTeX keys must match {_KEY_OK.pattern}")
    return key


def _braced(value: str) -> str:
    return "{" + value + "}"


class _Fields:
    """An ordered list of (name, delimited value); empty values are skipped."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.items: list[tuple[str, str]] = []

    def add(self, name: str, value: str, *, bare: bool = False) -> None:
        if not value:
            return
        delimited = value if bare else _braced(value)
        if not braces_balanced(delimited):  # a bug in this module, never data: stop loudly
            raise AssertionError(f"{self.key}: unbalanced braces in {name}: {delimited[:200]!r}")
        self.items.append((name, delimited))

    def text(self, name: str, value: object, *, ascii: bool) -> None:
        self.add(name, escape_latex(clean_text(value), ascii=ascii))


def bibtex_fields(
    record: Record, *, biblatex: bool = False, ascii: bool = False
) -> tuple[str, list[tuple[str, str]]]:
    """``(entry type, [(field, delimited value), ...])`` for one record.

    Kinds map to ``@inproceedings`` / ``@article`` / ``@misc`` (preprints) / ``@incollection`` /
    ``@techreport``; a paper whose venue name is unknown falls back to ``@misc`` rather than
    writing an empty ``booktitle`` or ``journal``.
    """
    key = check_key(record.key)
    kind = record_kind(record)
    container = container_name(record) if kind != Kind.PREPRINT else ""
    etype = bibtex_type(kind, bool(container))
    f = _Fields(key)

    title = record.title
    if was_truncated(title):
        log.warning("%s: title longer than the export limit, truncated", key)
    # Classic bibtex is 8-bit: styles that abbreviate given names (IEEEtran, ACM) cut a UTF-8
    # initial in half ("Émile" -> byte 0xC3 + ".") and pdflatex stops on the broken byte, so names
    # in the BibTeX file are always LaTeX-accented ({\'E}mile -> {\'E}.); biber reads UTF-8 fine.
    f.add("author", bibtex_names(record.get("author"), ascii=ascii or not biblatex))
    if not record.get("author"):
        # natbib and biblatex label an author-less entry by this field (and sort it there)
        f.text("label" if biblatex else "key", short_name(record), ascii=ascii or not biblatex)
    f.add("title", latex_title(clean_text(title), ascii=ascii))

    publisher = clean_text(record.get("publisher"))
    arxiv = latex_verbatim(record.get("arxiv") or "")
    primary = latex_verbatim(record.get("primary_class") or "") if arxiv else ""

    if etype in ("inproceedings", "incollection"):
        f.add("booktitle", latex_container(container, ascii=ascii))
        event = clean_text(record.get("event_title"))
        if biblatex and etype == "inproceedings" and not event_repeats_container(event, container):
            f.text("eventtitle", event, ascii=ascii)
        f.add("publisher", latex_protected_text(publisher, ascii=ascii))
        f.text("volume", record.get("volume"), ascii=ascii)  # NeurIPS, PMLR, LNCS volumes
        f.text("number", record.get("issue"), ascii=ascii)
    elif etype == "article":
        f.add("journaltitle" if biblatex else "journal", latex_container(container, ascii=ascii))
        if biblatex:
            short = clean_text(record.get("container_short"))
            if short and short != container:
                f.add("shortjournal", latex_container(short, ascii=ascii))
        f.text("volume", record.get("volume"), ascii=ascii)
        f.text("number", record.get("issue"), ascii=ascii)
    elif etype == "techreport":
        f.add("institution", latex_protected_text(publisher, ascii=ascii))
        f.text("number", record.get("issue"), ascii=ascii)
    else:  # misc: preprints, and papers whose venue is unknown
        if not biblatex:
            if arxiv:
                f.add("howpublished", escape_latex(f"arXiv preprint arXiv:{arxiv}"))
            else:
                f.text("howpublished", findable_repository(record), ascii=ascii)
        else:
            f.text("howpublished", findable_repository(record) if not arxiv else "", ascii=ascii)

    year, month = as_int(record.get("year")), as_int(record.get("month"))
    month = month if month is not None and 1 <= month <= 12 else None
    if biblatex:
        if year is not None and 0 < year < 10000:
            f.add("date", f"{year:04d}-{month:02d}" if month else f"{year:04d}")
    else:
        if year is not None:
            f.add("year", str(year))
        if month:
            f.add("month", MONTH_MACROS[month - 1], bare=True)

    if etype != "misc":
        f.add("pages", escape_latex(normalize_pages(record.get("pages")), ascii=ascii))
    f.add("doi", latex_verbatim(bare_doi(record.get("doi"))))
    url = str(record.get("url") or "")
    # The arXiv id is printed once: classic styles print it from howpublished (ACM's .bst would
    # print eprint as well, and Zotero's BibTeX import drops eprint + archivePrefix anyway), biblatex
    # from eprint. An arXiv abstract URL repeats the id, so it goes when the id is already printed.
    if not (arxiv and is_arxiv_page(url, arxiv) and (biblatex or etype == "misc")):
        f.add("url", latex_verbatim(url))
    if arxiv and biblatex:
        f.add("eprint", arxiv)
        f.add("eprinttype", "arxiv")
        f.add("eprintclass", primary)
    note, annotation, _stale = split_note(record)
    f.text("note", note, ascii=ascii)
    f.text("annotation" if biblatex else "annote", annotation, ascii=ascii)  # no standard style prints it
    f.add("keywords", escape_latex(keywords_value(record), ascii=ascii))
    former = record.get("former_keys") or []
    if biblatex and former:  # keys retired by the one-time re-key: \cite{old} still finds this entry
        f.add("ids", ",".join(check_key(k) for k in former))
    return etype, f.items


def bibtex_entry(record: Record, *, biblatex: bool = False, ascii: bool = False) -> Entry:
    """The bibtexparser v2 Entry of one record (values already delimited)."""
    etype, items = bibtex_fields(record, biblatex=biblatex, ascii=ascii)
    return Entry(etype, record.key, [Field(name, value) for name, value in items])


def bibtex_text(records: Sequence[Record], *, biblatex: bool = False, ascii: bool = False) -> str:
    """The whole .bib file: a header comment, then one entry per record in record order.

    Deterministic: the same records give byte-identical text (no dates, no set iteration).
    Duplicate keys raise ValueError -- a .bib with two entries of one key is silently wrong in
    every client (bibtex keeps the first, biber the first, pandoc the last).
    """
    library = bibtexparser.Library()
    name = "mlsys-biblatex.bib" if biblatex else "mlsys.bib"
    encoding = "ASCII with LaTeX accents" if ascii else "UTF-8"
    library.add(ImplicitComment(HEADER.format(name=name, encoding=encoding)))
    seen: set[str] = set()
    for record in records:
        if record.key in seen:
            raise ValueError(f"duplicate citation key {record.key!r}")
        seen.add(record.key)
        library.add(bibtex_entry(record, biblatex=biblatex, ascii=ascii))
    fmt = BibtexFormat()
    fmt.indent = "  "
    fmt.value_column = "auto"
    fmt.block_separator = "\n"
    fmt.trailing_comma = False
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=fmt)


def write_bibtex(
    records: Sequence[Record], path: str | os.PathLike[str], *, biblatex: bool = False, ascii: bool = False
) -> None:
    """Write :func:`bibtex_text` to ``path`` atomically (readers never see half a file)."""
    atomic_write(path, bibtex_text(records, biblatex=biblatex, ascii=ascii))
