"""Merging service metadata into a record: who wins for which field, and what gets reported.

Merge policy
============

Every value a record carries remembers where it came from (``Provenance``: the list line, the
venue table, or the service and request key with the fetch time). :func:`apply` merges one
source's :class:`~mlsys_bib.model.Metadata` into a record, field by field, and returns the
conflicts it found (also appended to ``record.conflicts``). The values a record ends with do not
depend on the order in which sources are applied (the conflict lines may word it differently).

1. **The list's venue tag is authoritative for where a paper appeared.** A ``[VLDB'25]`` item
   that links to arXiv is a VLDB paper that also has an eprint: its kind, container (journal
   or proceedings title, short name, event), publisher and year stay those of the tag and the
   venue table. Services only *fill* what the list left empty (volume, issue, pages, month,
   DOI). arXiv's metadata can never turn it into a preprint, and a published record never
   carries the eprint's month: only a published source's month (Crossref, doi.org, DBLP).
2. **Published beats preprint for items the list tags only as arXiv (or not at all).** When
   arXiv reports a DOI (the orchestrator then asks Crossref for it), or Crossref or DBLP
   returns a published version, that version's kind, container, publisher, year, volume,
   issue and pages replace the list's ``arXiv`` placeholder; the eprint (arXiv id, version,
   primary class) is kept. A DBLP hit names its venue only briefly (``SOSP``), so the venue
   table supplies the container title and publisher. An arXiv ``journal_ref`` alone promotes
   the record only when it names exactly one known, non-workshop venue and exactly one year
   (``Proc. VLDB Endow. 16(8) (2023)``); otherwise it is kept as ``journal_ref`` and the
   record stays a preprint. Crossref's answer outranks a ``journal_ref``. Workshop papers
   are never promoted to their host conference. While a record stays a preprint, its year
   is arXiv's (the first version's), not the list's ``arxiv'24``.
3. **Title and authors come from the most authoritative service**: Crossref, then DBLP, then
   arXiv for published records; arXiv, then DBLP's CoRR entry, then Crossref for preprints.
   Any of them beats the list's spelling. For a published record an arXiv title replaces the
   list's only when both normalise equal (same words, better typography): an eprint often
   carries a working title. DBLP's older `` - `` for ``:`` is turned back into ``:`` when the
   record's current title shows the colon. Two spellings that differ only by a missing space
   (DBLP's ``Training onBillion-Scale Graphs``) are a typo: the one with more words is kept,
   whichever source it came from. The record key never changes.
4. **Identifiers**: a DOI the list links to is kept; otherwise Crossref's, then DBLP's, then
   the DOI arXiv reports. arXiv's own DataCite DOIs (``10.48550/...``) are never used as the
   DOI (the eprint fields say the same). arXiv id and version from the list are kept; arXiv
   fills primary class and ``journal_ref``; DBLP fills ``dblp_key``. The list's link stays
   the URL; services fill it only when the list has none. Services never write ``note``.
5. **Conflicts are reported, not hidden.** When two sources disagree on year, DOI, pages,
   volume, issue, kind (between published kinds), arXiv id, title (after normalisation) or
   the number of authors, the winner is kept and a line such as
   ``year: list=2023 vs dblp=2022 (kept list)`` is recorded. A preprint's year or kind is
   not compared against a published record's (an eprint is expected to predate its venue).
   When two sources give the same value, the more authoritative one is credited with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import FIELDS, Kind, Metadata, Provenance, Record, Sourced
from ..text.titles import normalise
from .checks import DATACITE_ARXIV
from .shared import shared_text, shared_value
from .venue_fill import JOURNAL_REF, add_venue_table_fields, journal_ref_metadata

#: Where a paper appeared; the list is authoritative for these when it tags a venue.
WHERE_FIELDS = frozenset(
    {
        "kind",
        "container_title",
        "container_short",
        "event_title",
        "publisher",
        "volume",
        "issue",
        "pages",
        "month",
        "year",
    }
)
#: Fields whose disagreement is worth a conflict line (others differ in form, not in fact).
CONFLICT_FIELDS = frozenset({"year", "doi", "pages", "volume", "issue", "kind", "arxiv", "title"})
#: Container fields that name the list's ``arXiv`` placeholder; dropped when a record is promoted.
_PLACEHOLDER_FIELDS = ("container_title", "container_short", "event_title", "publisher")
_LIST_SOURCES = frozenset({"list", "venues"})
#: ``kind`` first: a source that promotes a preprint must rank as published for its title too.
_ORDER = ("kind", *(f for f in FIELDS if f != "kind"))

__all__ = ["apply", "is_published", "venue_tagged", "WHERE_FIELDS", "CONFLICT_FIELDS"]


# ---------------------------------------------------------------------------------------------
# what a record and a source are


def venue_tagged(record: Record) -> bool:
    """Whether the list names a published venue for this record (rule 1 applies)."""
    tag = record.tag
    return tag is not None and bool(tag.venue) and not tag.is_preprint


def record_published(record: Record) -> bool:
    """Whether the record is (now) a published paper: venue-tagged, or promoted by a service."""
    kind = record.get("kind")
    return venue_tagged(record) or (kind is not None and kind is not Kind.PREPRINT)


def is_published(metadata: Metadata) -> bool:
    """Whether a source describes the published version (not the eprint).

    Crossref / doi.org answers are published unless they say otherwise (posted-content is
    mapped to PREPRINT by that client); DBLP CoRR entries and arXiv records are preprints,
    except the venue derived from an arXiv ``journal_ref``.
    """
    return _published(metadata.provenance, metadata.get("kind"))


def _published(prov: Provenance, kind: Any = None) -> bool:
    if kind is not None:
        return kind is not Kind.PREPRINT
    if prov.source in ("crossref", "doi"):
        return True
    if prov.source == "dblp":
        return not prov.ref.startswith("dblp:journals/corr/")
    if prov.source == "arxiv":
        return prov.via == JOURNAL_REF
    return False


# ---------------------------------------------------------------------------------------------
# ranks: higher wins; equal keeps what is there


#: Which service's value a field takes, per situation: the rank of each source (higher wins; equal
#: keeps what is there; a source not named gets the ``None`` entry). ``published``: the answer
#: describes the published version, not a CoRR/arXiv copy. For title and author the *record*
#: decides first: a published paper takes its words from the publisher, a preprint from arXiv.
_PUBLISHER_FIRST: Mapping[str | None, int] = {"crossref": 60, "doi": 55, "dblp": 50, "arxiv": 40, None: 0}
RANKS: Mapping[str, Mapping[str | None, int]] = {
    # row                      sources in order of preference
    "who/paper/published": _PUBLISHER_FIRST,
    "who/paper/copy": {**_PUBLISHER_FIRST, "dblp": 30},
    "who/preprint/published": {"arxiv": 60, "crossref": 45, "doi": 45, "dblp": 40, None: 0},
    "who/preprint/copy": {"arxiv": 60, "dblp": 50, "crossref": 45, "doi": 45, None: 0},
    "where/published": _PUBLISHER_FIRST,
    "doi/published": _PUBLISHER_FIRST,
    "doi/copy": {**_PUBLISHER_FIRST, "dblp": 5},
    "arxiv ids": {"arxiv": 60, "dblp": 20, None: 10},
    "url": {"crossref": 30, "doi": 30, "dblp": 25, "arxiv": 20, None: 10},
}


def _ranked(row: str, source: str) -> int:
    ranks = RANKS[row]
    return ranks.get(source, ranks[None])


def _rank(field: str, prov: Provenance, published: bool, record: Record, value: Any, current: Any) -> int:
    """The rank of ``value`` from ``prov`` for ``field``: :data:`RANKS`, plus the few rules a table
    row cannot say (the list's own data, notes, an eprint's working title, gap-filling)."""
    src = prov.source
    tagged = venue_tagged(record)
    copy = "published" if published else "copy"
    if src in _LIST_SOURCES:
        if field in WHERE_FIELDS:
            return 100 if tagged else 10
        if field in ("doi", "arxiv", "arxiv_version", "url", "note"):
            return 100
        return 10  # title: any service spelling beats the list's
    if field == "note":
        return -1
    if field in ("title", "author"):
        if record_published(record):
            rank = _ranked(f"who/paper/{copy}", src)
            if field == "title" and src == "arxiv" and normalise(str(value)) != normalise(str(current or "")):
                rank = 5  # an eprint's (working) title never replaces a published one's words
            return rank
        return _ranked(f"who/preprint/{copy}", src)
    if field in WHERE_FIELDS:
        if field == "year" and published and src in ("crossref", "doi", "dblp"):
            return 110  # the year the publisher says the paper appeared beats the list's tag
        if published:
            return _ranked("where/published", src)
        if field == "year" and src == "arxiv" and not record_published(record):
            return 20  # a preprint's year is its arXiv year, over the list's "arxiv'24"
        if field == "month" and record_published(record):
            return -1  # the eprint's month is not the venue's: "EuroSys '25, Sep. 2025" misleads
        return 5  # preprint data only fills gaps
    if field == "doi":
        return _ranked(f"doi/{copy}", src)
    if field in ("arxiv", "arxiv_version", "primary_class", "journal_ref"):
        return _ranked("arxiv ids", src)
    if field == "dblp_key":
        return 50 if published else 40
    if field == "url":
        return _ranked("url", src)
    return 10


# ---------------------------------------------------------------------------------------------
# comparing values


def _pages(text: str) -> str:
    return re.sub(r"\s*[-\u2010-\u2015]+\s*", "-", text.strip())


def _differs(field: str, a: Any, b: Any) -> bool:
    """Whether two values of a field disagree in fact, not in form."""
    if field == "title":
        return normalise(str(a)) != normalise(str(b))
    if field == "doi":
        return str(a).lower() != str(b).lower()
    if field == "pages":
        return _pages(str(a)) != _pages(str(b))
    if field in ("volume", "issue", "year", "month"):
        return str(a).strip().lstrip("0") != str(b).strip().lstrip("0")
    if field == "kind":
        return a != b and Kind.PREPRINT not in (a, b)
    return a != b


def _show(value: Any) -> str:
    if isinstance(value, Kind):
        return value.value
    if isinstance(value, list):
        return f"{len(value)} names"
    return repr(value) if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------------------------
# applying


def apply_published_elsewhere(record: Record, metadata: Metadata, listed: str) -> list[str]:
    """The one exception to rule 1: the list's tag names a venue (``listed``) that the paper's own
    published record contradicts (ActNN is tagged ICLR'21, DBLP has it at ICML 2021). The caller has
    confirmed the match by title, authors and arXiv id; the list's venue fields give way to the
    published ones and the contradiction is reported."""
    for name in WHERE_FIELDS:
        sourced = record.fields.get(name)
        if sourced is not None and sourced.provenance.source in _LIST_SOURCES:
            del record.fields[name]
    conflicts = apply(record, metadata)
    venue = f"{record.get('container_short') or '?'} {record.get('year') or ''}".strip()
    text = f"venue: list={listed} vs {metadata.provenance.source}={venue} (kept {metadata.provenance.source})"
    if text not in record.conflicts:
        record.conflicts.append(text)
        conflicts.append(text)
    return conflicts


def apply(record: Record, metadata: Metadata) -> list[str]:
    """Merge ``metadata`` into ``record`` by the module's policy; return the new conflicts.

    The conflicts are also appended to ``record.conflicts`` (each text once, however often
    the same metadata is applied).
    """
    conflicts: list[str] = []
    published = is_published(metadata)
    was_published = record_published(record)
    values = dict(metadata.values)
    prov = metadata.provenance
    if prov.source in ("dblp", "crossref", "doi") and published:
        add_venue_table_fields(values, metadata.venue_names)
    for field in _ORDER:
        if field not in values:
            continue
        value = values[field]
        if value is None or value == "" or value == []:
            continue
        if field == "doi" and str(value).lower().startswith(DATACITE_ARXIV):
            continue
        if field == "title":
            value = _restore_colons(str(value), record.get("title"))
        if field == "url":
            value = _service_url(value)
            if not value:
                continue
        text = _merge_field(record, field, shared_value(field, value), prov, published)
        if text:
            conflicts.append(text)
    if prov.source == "arxiv" and values.get("journal_ref") and not venue_tagged(record):
        promoted = journal_ref_metadata(metadata)
        if promoted is not None:
            conflicts.extend(apply(record, promoted))
    if record_published(record) and not was_published and not venue_tagged(record):
        _drop_placeholders(record)
    if record_published(record):
        _drop_preprint_month(record)
    new = [shared_text(c) for c in conflicts if c not in record.conflicts]
    record.conflicts.extend(dict.fromkeys(new))
    return new


def _service_url(value: Any) -> str:
    """A service's link as one valid http(s) URL, or "" (a link is data, never a script).

    Every export then carries the same string: spaces and other unsafe characters are
    percent-encoded here once (requests' ``requote_uri`` leaves valid escapes alone).
    """
    from requests.utils import requote_uri

    text = str(value).strip()
    if not re.match(r"(?i)^https?://[^\s/]", text) or any(ord(c) < 32 for c in text):
        return ""
    return requote_uri(text)


def _merge_field(record: Record, field: str, value: Any, prov: Provenance, published: bool) -> str:
    current: Sourced | None = record.fields.get(field)
    new_rank = _rank(field, prov, published, record, value, current.value if current else None)
    if new_rank < 0:
        return ""
    if current is None:
        record.set(field, value, prov)
        return ""
    same_source = (current.provenance.source, current.provenance.ref, current.provenance.via) == (
        prov.source,
        prov.ref,
        prov.via,
    )
    old_rank = _rank(
        field, current.provenance, _published(current.provenance), record, current.value, current.value
    )
    if current.value == value:
        if same_source or new_rank > old_rank:
            # credit the most authoritative source that says so (keeping the object the record has)
            record.set(field, current.value if type(current.value) is type(value) else value, prov)
        return ""
    if field == "title" and not same_source and _spacing_variants(str(current.value), str(value)):
        if len(normalise(str(value)).split()) > len(normalise(str(current.value)).split()):
            record.set(field, value, prov)
        return ""
    replace = same_source or new_rank > old_rank
    if replace:
        record.set(field, value, prov)
    if same_source:
        return ""
    if field == "author" and isinstance(value, list) and isinstance(current.value, list):
        if len(value) != len(current.value):
            kept = prov.source if replace else current.provenance.source
            return (
                f"author: {current.provenance.source} has {len(current.value)} names vs "
                f"{prov.source} {len(value)} (kept {kept})"
            )
        return ""
    if field not in CONFLICT_FIELDS or not _differs(field, current.value, value):
        return ""
    if field in WHERE_FIELDS and not published and record_published(record):
        return ""  # an eprint's year or kind is expected to differ from the venue's
    kept = prov.source if replace else current.provenance.source
    old, new = f"{current.provenance.source}={_show(current.value)}", f"{prov.source}={_show(value)}"
    return f"{field}: {old} vs {new} (kept {kept})"


def _spacing_variants(a: str, b: str) -> bool:
    """Titles that differ only where a space is missing (``onBillion-Scale``): a typo, not news."""
    na, nb = normalise(a), normalise(b)
    return na != nb and na.replace(" ", "") == nb.replace(" ", "")


def _restore_colons(title: str, current: Any) -> str:
    """DBLP's 2020-era `` - `` for ``:`` back to ``:``, when the current title has the colons."""
    if not isinstance(current, str) or " - " not in title or ":" in title or ":" not in current:
        return title
    candidate = title.replace(" - ", ": ")
    if current.count(":") == title.count(" - ") and normalise(candidate) == normalise(current):
        return candidate
    return title


def _drop_preprint_month(record: Record) -> None:
    """A published record carries only a month a published source gave (an eprint's month, filled
    while the record was still a preprint, is not when the venue met)."""
    sourced = record.fields.get("month")
    if sourced is not None and not _published(sourced.provenance):
        del record.fields["month"]


def _drop_placeholders(record: Record) -> None:
    """A promoted preprint was not published in "arXiv": drop the list's placeholder venue."""
    for field in _PLACEHOLDER_FIELDS:
        sourced = record.fields.get(field)
        if sourced is not None and sourced.provenance.source in _LIST_SOURCES:
            del record.fields[field]
