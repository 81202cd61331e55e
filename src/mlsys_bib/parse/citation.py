"""Citation-style text in list bullets: ``Authors. "Title." Venue (Year).`` and its nested variants.

Lists that copy references from Google Scholar or a paper write the authors, title, venue and year
as prose. This module reads that prose; it never guesses: a part it cannot find is left empty.
"""

from __future__ import annotations

import re

from ..venues import find_venue, lookup

__all__ = ["authors_from_text", "looks_like_authors", "quoted_title", "venue_year_in_text"]

_QUOTED = re.compile(r"[\"\u201c](?P<title>[^\"\u201c\u201d]{8,})[\"\u201d]")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_ACRONYM_YEAR = re.compile(
    r"(?<![A-Za-z])(?P<venue>[A-Za-z][A-Za-z\-]{1,14})\s*'?\s*(?P<year>(?:19|20)\d\d|\d\d)(?!\d)"
)
#: "..., 2019, May." / "(2020)." at the end of an author list
_TRAILING_YEAR = re.compile(
    r"[,.]?\s*(?:(?:19|20)\d\d[a-z]?|\(\s*(?:19|20)\d\d\s*\))[^A-Za-z]*(?:[A-Z][a-z]+\.?)?\s*\.?\s*$"
)
_ET_AL = re.compile(r",?\s*\bet\s+al\.?", re.I)
_INITIALS = re.compile(r"^(?:[A-Z]\.?\s?(?:-?[A-Z]\.?)?\s?)+$")
_NAME_WORD = re.compile(r"^[A-Z][\w'\u2019\-]*\.?$|^(?:van|von|de|der|da|di|du|le|la)$", re.UNICODE)


def quoted_title(text: str) -> tuple[str, str, str] | None:
    """``(before, title, after)`` when ``text`` holds a quoted title of a few words."""
    m = _QUOTED.search(text)
    if not m:
        return None
    return text[: m.start()], m["title"].strip().rstrip(".,"), text[m.end():]


def venue_year_in_text(text: str) -> tuple[str, int | None]:
    """A known venue named in ``text`` (``OSDI 2020``, ``(SOSP2019)``, ``In Proceedings of the ... Middleware
    Conference``) and the year written there; ``("", None)`` when no known venue is named."""
    for m in _ACRONYM_YEAR.finditer(text):
        venue = lookup(m["venue"])
        if venue is not None:
            year = int(m["year"])
            return venue.acronym, year + 2000 if year < 100 else year
    venue = find_venue(text)
    if venue:
        years = _YEAR.findall(text)
        return venue, int(years[-1]) if years else None
    return "", None


def looks_like_authors(text: str) -> bool:
    """``Gujarati, A., Karimi, R. and Mace, J., 2020.`` or ``Vikram Sreekanti, Chenggang Wu, ...``."""
    names = authors_from_text(text)
    return len(names) >= 2 or (len(names) == 1 and bool(_ET_AL.search(text)))


def authors_from_text(text: str) -> list[str]:
    """Display names (``"A. Gujarati"``, ``"Vikram Sreekanti"``) from a citation's author part; [] when the
    text is not a clean author list (any part that is not name-shaped rejects the whole)."""
    text = _ET_AL.sub("", text)
    text = _TRAILING_YEAR.sub("", text.strip())
    text = text.strip(" .;:")
    if not text or any(ch.isdigit() for ch in text):
        return []
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", text) if p.strip()]
    names: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        if nxt and _INITIALS.match(nxt) and not _INITIALS.match(part):
            names.append(f"{nxt} {part}")  # "Gujarati, A." -> "A. Gujarati"
            i += 2
            continue
        family_first = i == 0 and len(part.split()) == 1 and bool(nxt) and (
            len(parts) == 2 or len(parts[2].split()) >= 2)
        if family_first and all(_NAME_WORD.match(w) for w in nxt.split()):
            names.append(f"{nxt} {part}")  # "Reddi, Vijay Janapa, et al." -> family first, once
            i += 2
            continue
        names.append(part)
        i += 1
    if not names or any(not (1 <= len(n.split()) <= 5) or not all(_NAME_WORD.match(w) for w in n.split())
                        for n in names):
        return []
    return names
