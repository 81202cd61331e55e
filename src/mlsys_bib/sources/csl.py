"""Crossref's and doi.org's shared JSON vocabulary: a Crossref work and a CSL-JSON item name their
fields alike (``title``, ``author``, ``issued``, ``container-title``), so one set of field readers
serves both clients (``crossref.py``, ``doi.py``) without either importing the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Kind, Person
from ..text.markup import clean_text, to_plain

#: Crossref (and CSL) work types -> Kind. Types absent here (book, dataset, ...) get no kind.
KIND_OF_TYPE: dict[str, Kind] = {
    "proceedings-article": Kind.PROCEEDINGS,
    "paper-conference": Kind.PROCEEDINGS,
    "journal-article": Kind.JOURNAL,
    "article-journal": Kind.JOURNAL,
    "posted-content": Kind.PREPRINT,
    "article": Kind.PREPRINT,
    "book-chapter": Kind.CHAPTER,
    "book-section": Kind.CHAPTER,
    "book-part": Kind.CHAPTER,
    "chapter": Kind.CHAPTER,
    "reference-entry": Kind.CHAPTER,
    "report": Kind.REPORT,
    "report-component": Kind.REPORT,
}


def first_text(value: object) -> str:
    """The first non-empty string of a Crossref list field (or the string itself, CSL style)."""
    if isinstance(value, str):
        return to_plain(value)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and to_plain(item):
                return to_plain(item)
    return ""


def join_title(title: str, subtitle: str) -> str:
    """``Title: Subtitle``, unless the title already ends in punctuation or contains the subtitle."""
    if not subtitle or subtitle.casefold() in title.casefold():
        return title
    if not title:
        return subtitle
    if title[-1] in ":?!.;-\u2013\u2014":
        return f"{title} {subtitle}"
    return f"{title}: {subtitle}"


def date_parts(value: object) -> tuple[int | None, int | None]:
    """(year, month) from ``{"date-parts": [[2020, 8, 17]]}``; partial and ``[[null]]`` allowed."""
    if not isinstance(value, dict):
        return None, None
    parts = value.get("date-parts")
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list)):
        return None, None
    first = parts[0]

    def as_int(x: object) -> int | None:
        try:
            return int(x) if isinstance(x, int | float | str) and str(x).strip() else None
        except (TypeError, ValueError):
            return None

    year = as_int(first[0]) if len(first) > 0 else None
    month = as_int(first[1]) if len(first) > 1 else None
    if year is not None and not 1000 <= year <= 2999:
        year = None
    if month is not None and not 1 <= month <= 12:
        month = None
    return year, (month if year is not None else None)


def person(raw: object) -> Person | None:
    """A Crossref/CSL author object as a Person; name-only (corporate) authors stay literal."""
    if not isinstance(raw, dict):
        return None
    family = to_plain(str(raw.get("family") or ""))
    given = to_plain(str(raw.get("given") or ""))
    suffix = to_plain(str(raw.get("suffix") or ""))
    particle = to_plain(str(raw.get("non-dropping-particle") or ""))
    dropping = to_plain(str(raw.get("dropping-particle") or ""))
    if dropping:
        given = f"{given} {dropping}".strip()
    if family:
        return Person(family=family, given=given, particle=particle, suffix=suffix)
    literal = to_plain(str(raw.get("name") or raw.get("literal") or ""))
    if literal:
        return Person(literal=literal)
    if given:  # only a given name: keep it rather than lose the author
        return Person(literal=given)
    return None


def authors(raw: object) -> list[Person]:
    if not isinstance(raw, list):
        return []
    return [p for p in (person(a) for a in raw) if p is not None]


def _str(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return clean_text(value) if isinstance(value, str) else ""


def common_fields(work: Mapping[str, object], values: dict[str, Any]) -> None:
    """Fields Crossref JSON and Crossref-flavoured CSL-JSON share."""
    title = join_title(first_text(work.get("title")), first_text(work.get("subtitle")))
    if title:
        values["title"] = title
    people = authors(work.get("author"))
    if people:
        values["author"] = people
    for name in ("issued", "published", "published-print", "published-online", "posted"):
        year, month = date_parts(work.get(name))
        if year is not None:
            values["year"] = year
            if month is not None:
                values["month"] = month
            break
    container = first_text(work.get("container-title"))
    if container:
        values["container_title"] = container
    short = first_text(work.get("short-container-title")) or first_text(work.get("container-title-short"))
    if short and short != container:
        values["container_short"] = short
    event = work.get("event")
    event_name = first_text(event.get("name")) if isinstance(event, dict) else first_text(event)
    if event_name:
        values["event_title"] = event_name
    for src, dst in (("publisher", "publisher"), ("volume", "volume"), ("issue", "issue"), ("page", "pages")):
        text = to_plain(_str(work.get(src)))
        if text:
            values[dst] = text
    kind = KIND_OF_TYPE.get(str(work.get("type") or "").lower())
    if kind is not None:
        values["kind"] = kind
