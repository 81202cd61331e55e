"""Venue tags of the list (``OSDI'22``, ``NSDI'25 (to appear)``, ``ES-FoMO @ ICML'24``) as VenueTags.

A tag is free text written by many hands, so the parser is forgiving and total: it never raises, it
keeps the tag as written in ``raw``, and anything it cannot place stays visible (an unknown venue is
kept as written, an unknown qualifier verbatim) instead of being dropped.

Decisions:

- ``venue`` is the table's canonical acronym when the table knows the venue, else the tag's venue
  text as written (cleaned of markdown and surrounding punctuation); ``is_known`` tells them apart.
- Two-digit years pivot at 50: ``'22`` is 2022, ``'99`` is 1999. Four-digit years may be glued on
  (``ICLR2024``) or follow a comma (``arxiv, 2022``).
- Workshops. ``X @ Y'24`` (or ``X@Y'24``): when the table knows ``X`` as a workshop, ``venue`` and
  ``workshop`` are both its canonical acronym (``ES-FoMo``; the table gives its host, name and kind);
  otherwise ``venue`` is the host ``Y`` and ``workshop`` is ``X`` as written, so the citation still
  names the conference. A tag that names a workshop of the table without ``@`` (``HotOS'25``,
  ``EuroMLSys'25``) also gets ``workshop`` set, so ``workshop != ""`` always means "a workshop paper".
  ``NeurIPS'24 Workshop`` names no workshop: venue NeurIPS, qualifier "Workshop", workshop "".
- Qualifiers (parenthesised or trailing words) are normalised where known: "to appear", "Workshop",
  "Spotlight" (also for the list's "Splotlight"), "Oral", "poster", "Tutorial", "PMLR", "WiP", "demo";
  several are joined with ", ".
- ``*Under Review*`` gives ``under_review=True`` and no venue. A survey marker given as a tag gives an
  empty venue; callers are expected to strip it first with ``is_survey_marker``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..model import VenueTag
from ..venues import Venue, lookup

__all__ = ["is_known", "is_survey_marker", "parse_tag"]

#: Known qualifiers, keyed by their case-folded spelling, valued by the spelling VenueTag carries.
_QUALIFIERS: dict[str, str] = {
    "to appear": "to appear",
    "workshop": "Workshop",
    "spotlight": "Spotlight",
    "splotlight": "Spotlight",  # sic, in the list
    "oral": "Oral",
    "poster": "poster",
    "tutorial": "Tutorial",
    "pmlr": "PMLR",
    "wip": "WiP",
    "demo": "demo",
}

_YEAR = re.compile(r"['\u2018\u2019`\u00b4]\s?(?P<yy>\d{2})(?!\d)|(?<!\d)(?P<yyyy>(?:19|20)\d{2})(?!\d)")
_PARENS = re.compile(r"\(([^()]*)\)")
_UNDER_REVIEW = re.compile(r"\bunder[\s-]+review\b", re.IGNORECASE)
_SURVEY = re.compile(
    r"survey\s*(?::mag(?:_right)?:|[\U0001F50D\U0001F50E]\ufe0f?)?",
    re.IGNORECASE,
)
_EDGE = " ,;:-\u2013\u2014"


def _clean(text: str) -> str:
    """The tag without brackets, markdown emphasis and odd whitespace."""
    text = " ".join(text.split())
    text = text.strip().removeprefix("[").removesuffix("]")
    text = text.replace("**", "").strip().strip("*_`~").strip()
    return " ".join(text.split())


def is_survey_marker(text: str) -> bool:
    """Whether a tag is the list's survey marker (``Survey :mag:``, ``Survey 🔍``), not a venue."""
    return _SURVEY.fullmatch(_clean(text)) is not None


def _year(match: re.Match[str]) -> int:
    if match["yyyy"]:
        return int(match["yyyy"])
    yy = int(match["yy"])
    return 2000 + yy if yy < 50 else 1900 + yy


def _qualifier(text: str) -> str:
    text = " ".join(text.split()).strip(_EDGE)
    return _QUALIFIERS.get(text.casefold(), text)


def _split(text: str) -> tuple[str, int | None, list[str]]:
    """``NeurIPS'24 Workshop`` -> ("NeurIPS", 2024, ["Workshop"]); the year is optional."""
    match = _YEAR.search(text)
    if match is None:
        name, year, rest = text, None, ""
    else:
        name, year, rest = text[: match.start()], _year(match), text[match.end() :]
    name = name.strip(_EDGE)
    qualifiers = [rest.strip(_EDGE)] if rest.strip(_EDGE) else []
    # "NeurIPS Workshop'24": peel known qualifier words off the end of an unknown name.
    while lookup(name) is None and " " in name:
        head, _, last = name.rpartition(" ")
        if last.casefold() not in _QUALIFIERS:
            break
        name = head.strip(_EDGE)
        qualifiers.insert(0, last)
    return name, year, qualifiers


def _workshop(name: str) -> Venue | None:
    """The table's workshop called ``name`` ("ML for Sys workshop" and "ML for Sys" alike)."""
    for candidate in (name, re.sub(r"\s+workshop$", "", name, flags=re.IGNORECASE)):
        venue = lookup(candidate) if candidate else None
        if venue is not None and venue.workshop:
            return venue
    return None


def _parse(raw: str) -> VenueTag:
    text = _clean(raw)
    if not text or is_survey_marker(text):
        return VenueTag(raw=raw, venue="")
    under_review = _UNDER_REVIEW.search(text) is not None
    if under_review:
        text = _UNDER_REVIEW.sub(" ", text).strip(_EDGE + "@*_ ")
    qualifiers = [q for q in _PARENS.findall(text) if q.strip()]
    text = " ".join(_PARENS.sub(" ", text).split())

    workshop = ""
    if "@" in text:
        left, _, right = text.partition("@")
        ws_name, ws_year, ws_quals = _split(left)
        host_name, host_year, host_quals = _split(right)
        year = host_year if host_year is not None else ws_year
        qualifiers = ws_quals + host_quals + qualifiers
        known = _workshop(ws_name)
        if known is not None:
            venue = workshop = known.acronym
        else:
            host = lookup(host_name)
            venue = host.acronym if host is not None else host_name
            workshop = ws_name
    else:
        name, year, quals = _split(text)
        qualifiers = quals + qualifiers
        found = lookup(name) if name else None
        venue = found.acronym if found is not None else name
        if found is not None and found.workshop:
            workshop = found.acronym

    qualifier = ", ".join(dict.fromkeys(q for q in map(_qualifier, qualifiers) if q))
    return VenueTag(
        raw=raw,
        venue=venue,
        year=year,
        qualifier=qualifier,
        workshop=workshop,
        under_review=under_review,
    )


#: Tags up to this length are parsed once per process and the (immutable) result shared: a list
#: repeats its few hundred tags thousands of times. A longer one (hostile) is parsed and not kept.
_REMEMBERED_TAG = 200


def parse_tag(raw: str) -> VenueTag:
    """Parse one tag (with or without its brackets). Never raises: a tag the parser cannot read
    still yields ``VenueTag(raw=raw, venue="")`` so the list item survives with its tag text."""
    return _parse_remembered(raw) if len(raw) <= _REMEMBERED_TAG else _parse_safely(raw)


@lru_cache(maxsize=4096)
def _parse_remembered(raw: str) -> VenueTag:
    return _parse_safely(raw)


def _parse_safely(raw: str) -> VenueTag:
    try:
        return _parse(raw)
    except Exception:  # a malformed tag must not lose the paper; the raw text is kept
        return VenueTag(raw=raw, venue="")


def is_known(tag: VenueTag) -> bool:
    """Whether the tag's venue is a venue of the table (canonical acronym or any alias)."""
    return bool(tag.venue) and lookup(tag.venue) is not None
