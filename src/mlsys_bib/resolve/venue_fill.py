"""Where the venue table completes what a service says: a brief venue name, or arXiv's journal_ref.

A DBLP or Crossref hit often names its venue only briefly (``OSDI``) and arXiv's ``journal_ref`` is
free text (``Proc. VLDB Endow. 16(8) (2023)``); the venue table knows the full container title,
acronym and publisher. Kept apart from :mod:`.merge`, which decides who wins a field: this only
turns a source's words into the venue they name, and gives up (None) whenever the words name no
single known, non-workshop venue and year.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Kind, Metadata, Provenance
from ..venues import Venue
from ..venues import lookup as lookup_venue

JOURNAL_REF = "journal_ref"  # Provenance.via of a venue read from arXiv's journal_ref




def add_venue_table_fields(values: dict[str, Any], venue_names: tuple[str, ...]) -> None:
    """A published DBLP/Crossref hit names its venue briefly (``OSDI``); the venue table knows
    the full container title and publisher. Added only where the source left them empty."""
    short = values.get("container_short")
    if not short or values.get("container_title"):
        return
    names = [short, *venue_names]
    venue = next((v for v in (lookup_venue(str(n)) for n in names) if v is not None), None)
    if venue is None or venue.kind is Kind.PREPRINT or venue.workshop:
        return
    year = values.get("year")
    values["container_title"] = venue.container_title(year)
    values["container_short"] = venue.acronym
    if venue.publisher and not values.get("publisher"):
        values["publisher"] = venue.publisher
    values.setdefault("kind", venue.kind)


_YEAR = re.compile(r"(?<![\d\-\u2013])((?:19|20)\d{2})(?![\d\-\u2013])")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&+\-]*")


def venue_from_journal_ref(text: str) -> tuple[Venue, int] | None:
    """The (Venue, year) an arXiv journal_ref names, when it names exactly one of each.

    Free text such as ``Accepted at the ICML 2024 workshop`` is not a publication in ICML, so
    any mention of a workshop (or several venues, or several years) gives None.
    """
    if not text or re.search(r"workshop", text, re.IGNORECASE):
        return None
    years = {int(y) for y in _YEAR.findall(text)}
    if len(years) != 1:
        return None
    tokens = _TOKEN.findall(text)
    found: dict[str, Venue] = {}
    for i, token in enumerate(tokens):
        for name in (token, " ".join(tokens[i : i + 2])):
            if len(name) < 3 and not name.isupper():
                continue
            venue = lookup_venue(name)
            if venue is not None and venue.kind is not Kind.PREPRINT and not venue.workshop:
                found[venue.acronym] = venue
    if len(found) != 1:
        return None
    return next(iter(found.values())), years.pop()


def journal_ref_metadata(metadata: Metadata) -> Metadata | None:
    """arXiv's answer as a published venue when its journal_ref names one (see
    :func:`venue_from_journal_ref`), marked ``via=journal_ref`` so it ranks below Crossref's."""
    named = venue_from_journal_ref(str(metadata.get("journal_ref") or ""))
    if named is None:
        return None
    venue, year = named
    prov = Provenance(
        metadata.provenance.source, metadata.provenance.ref, metadata.provenance.fetched, via=JOURNAL_REF
    )
    values: dict[str, Any] = {
        "kind": venue.kind,
        "container_title": venue.container_title(year),
        "year": year,
    }
    values["container_short"] = venue.acronym
    if venue.publisher:
        values["publisher"] = venue.publisher
    return Metadata(prov, values)
