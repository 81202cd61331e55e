"""Which entry type a record gets in each format: one table the exporters read.

The rule users ask to change ("a workshop paper should be @inproceedings", "a report should be
CSL report") is a row here, not a branch in an exporter. BibTeX and biblatex share the entry
types (they differ in fields, see bibtex.py); CSL and Zotero name their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from ..config import as_of_year
from ..ids import arxiv as arxiv_ids
from ..keys import significant_words, system_name
from ..model import Kind, Record
from ..text.titles import title_words


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


def is_arxiv_page(url: str, ident: str) -> bool:
    """Whether ``url`` is arXiv's page (abstract, PDF, HTML) of the preprint ``ident``."""
    found = arxiv_ids.from_url(url) if url else None
    return found is not None and found.value.lower() == ident.lower()


#: Repository names that say "a preprint" but not where: printed alone ("arXiv, 2023.") they leave
#: a reader nothing to search for, so they are printed only with an identifier or a link.
BARE_REPOSITORIES = frozenset({"arxiv", "corr", "arxiv preprint", "preprint"})


def findable_repository(record: Record) -> str:
    """The repository or container a venue-less entry prints, or "" when it would only say "arXiv"
    with no id and no link (the build reports such records instead; see report.json)."""
    name = str(record.get("container_title") or record.get("publisher") or "")
    if name.strip().lower() in BARE_REPOSITORIES and not record.get("url") and not record.get("arxiv"):
        return ""
    return name


def event_repeats_container(event: str, container: str) -> bool:
    """Whether an event name only restates the proceedings title it belongs to.

    "SOSP '23: ACM SIGOPS Symposium on Operating Systems Principles" next to "Proceedings of the
    ACM SIGOPS Symposium on Operating Systems Principles (SOSP '23)" prints the venue twice in
    biblatex (``eventtitle``) and APA (``event-title``): such an event name is left out.
    """
    name = event.split(":", 1)[1] if ":" in event else event  # "SOSP '23: <the name>"
    words = {w for w in title_words(name) if w not in _EVENT_FILLER and not w.isdigit()}
    container_words = title_words(container)
    return bool(words) and len(words & container_words) >= 0.8 * len(words)


#: Words that say what kind of meeting an event is, not which one ("NeurIPS '22: Conference on
#: Neural Information Processing Systems" names the same venue as "Advances in Neural Information
#: Processing Systems").
_EVENT_FILLER = frozenset({
    "conference", "symposium", "workshop", "proceedings", "annual", "international", "acm", "ieee",
    "usenix", "sigops", "on", "joint",
})  # fmt: skip


class NoteRole(str, Enum):
    """What a list annotation is for a reader once the paper is cited."""

    WHILE_UNPUBLISHED = "while unpublished"  # printed until a publisher confirms the paper
    ANNOTATION = "annotation"  # the kind of contribution: kept for Zotero, never printed


#: The list's annotations (records.py writes them to ``note``, joined by "; ") and their role;
#: an annotation not named here is printed as a note.
NOTE_ROLES: Mapping[str, NoteRole] = MappingProxyType({
    "to appear": NoteRole.WHILE_UNPUBLISHED,
    "under review": NoteRole.WHILE_UNPUBLISHED,
    "poster": NoteRole.ANNOTATION,
    "tutorial": NoteRole.ANNOTATION,
    "demo": NoteRole.ANNOTATION,
    "wip": NoteRole.ANNOTATION,
})  # fmt: skip

_PUBLISHER_FIELDS = ("kind", "container_title", "doi", "pages", "volume")


def confirmed_published(record: Record) -> bool:
    """Whether a publisher-side source (Crossref, doi.org, DBLP outside CoRR) vouches for the
    record's venue, pages or DOI: then "To appear" is history, not news."""
    for name in _PUBLISHER_FIELDS:
        sourced = record.fields.get(name)
        if sourced is None:
            continue
        prov = sourced.provenance
        if prov.source in ("crossref", "doi") or (
            prov.source == "dblp" and not prov.ref.startswith("dblp:journals/corr/")
        ):
            return record_kind(record) is not Kind.PREPRINT
    return False


def venue_year_over(record: Record) -> bool:
    """Whether the year the list tags the paper with is over (its conference has been held)."""
    tag = record.tag
    return tag is not None and tag.year is not None and tag.year < as_of_year()


def split_note(record: Record) -> tuple[str, str, str]:
    """``(note to print, annotation kept unprinted, stale annotations)`` from the list's notes.

    "To appear" is printed only while the paper is not yet out: a publisher confirms it, or its
    venue year is over, and it becomes stale (kept in Zotero's Extra, printed nowhere)."""
    printed, kept, stale = [], [], []
    over = confirmed_published(record) or venue_year_over(record)
    for part in str(record.get("note") or "").split("; "):
        part = part.strip()
        if not part:
            continue
        role = NOTE_ROLES.get(part.lower())
        if role is NoteRole.ANNOTATION:
            kept.append(part)
        elif role is NoteRole.WHILE_UNPUBLISHED and over:
            stale.append(part)
        else:
            printed.append(part)
    return "; ".join(printed), "; ".join(kept), "; ".join(stale)


def short_name(record: Record) -> str:
    """What an author-year citation shows for a paper whose authors are not known (yet): the
    system name (``MTrainS (2023)``), else the first title words -- never three letters of the
    key (natbib's fallback, "mtr (2023)") nor the whole title (biblatex's)."""
    name = system_name(record.title, record.aliases)
    if name:
        return name
    label = ""
    for word in significant_words(record.title)[:3]:
        if label and len(label) + 1 + len(word) > 30:
            break
        label = f"{label} {word}".strip()
    return label or record.title[:30]
