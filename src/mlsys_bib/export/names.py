"""People as BibTeX names and as CSL-JSON name objects.

BibTeX parses names itself (``von Last, Jr, First``; ``and`` separates people), so every part is
escaped and, where its text could be mistaken for that syntax (a comma, the word ``and``), braced.
CSL-JSON keeps the structure explicitly -- but Zotero's CSL-JSON import drops
``non-dropping-particle`` (see shared/notes/zotero-import.md), so the particle is written inside
``family`` ("van Beethoven"), exactly as Zotero stores it. citeproc-js (Zotero's and the validator's
processor) splits a lower-case particle off ``family`` again when it formats, so sorting and display
stay right, and nothing is lost on import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..memo import FirstSeen
from ..model import Person
from .latex import clean_text, escape_latex

# Longest name part written: real given/family names stay far below; the cap only bounds junk.
MAX_NAME_CHARS = 300

_AND_WORD = re.compile(r"(?i)(?:^|\s)and(?:\s|$)")


def _part(text: str) -> str:
    return clean_text(text, MAX_NAME_CHARS)


def _normalized(person: Person) -> Person | None:
    literal = _part(person.literal)
    if literal:
        return Person(literal=literal)
    family, given = _part(person.family), _part(person.given)
    particle, suffix = _part(person.particle), _part(person.suffix)
    if not family and given:
        family, given = given, ""
    if not family:
        if particle:
            family, particle = particle, ""
        else:
            return None
    return Person(family=family, given=given, particle=particle, suffix=suffix)


#: People whose clean form is remembered: the same authors recur across a list and every export
#: format asks about each (a list 10 times the seed asks 280,000 times about 900 people; :mod:`..memo`).
NORMALIZED_MEMO = 16384
_normalized_memo: FirstSeen[Person, Person | None] = FirstSeen(_normalized, NORMALIZED_MEMO)


def normalized(person: Person) -> Person | None:
    """``person`` with clean parts; None when nothing is left.

    A mononym given only as ``given`` becomes a ``family`` name: BibTeX and CSL both treat a
    lone name as the family name, and a CSL name without ``family`` is dropped by some clients.
    """
    return _normalized_memo(person)


def people(persons: Iterable[Person] | None) -> list[Person]:
    """The normalised, non-empty people of ``persons`` (order kept)."""
    out: list[Person] = []
    for person in persons or ():
        if isinstance(person, Person):
            norm = normalized(person)
            if norm is not None:
                out.append(norm)
    return out


def _bib_part(text: str, *, ascii: bool) -> str:
    """One escaped name part, braced when BibTeX would otherwise split it (``,`` or ``and``)."""
    escaped = escape_latex(text, ascii=ascii)
    if "," in text or _AND_WORD.search(text):
        return "{" + escaped + "}"
    return escaped


def bibtex_name(person: Person, *, ascii: bool = False) -> str:
    """One person in BibTeX's ``von Last, Jr, First`` form.

    ``Person(family="Berg", given="Hans", suffix="Jr.")`` -> ``Berg, Jr., Hans``; a corporate
    author is one braced unit (``{OpenAI}``) so BibTeX neither splits nor abbreviates it. A suffix
    without a given name gets an empty ``{}`` first part (a trailing comma is an error in bibtex).
    """
    norm = normalized(person)
    if norm is None:
        return ""
    if norm.literal:
        return "{" + escape_latex(norm.literal, ascii=ascii) + "}"
    last = _bib_part(norm.family, ascii=ascii)
    if norm.particle:
        last = _bib_part(norm.particle, ascii=ascii) + " " + last
    given = _bib_part(norm.given, ascii=ascii) if norm.given else ""
    if norm.suffix:
        return f"{last}, {_bib_part(norm.suffix, ascii=ascii)}, {given or '{}'}"
    return f"{last}, {given}" if given else last


def bibtex_names(persons: Sequence[Person] | None, *, ascii: bool = False) -> str:
    """The ``author`` value: names joined with `` and ``; "" when there is nobody."""
    names = (bibtex_name(p, ascii=ascii) for p in people(persons))
    return " and ".join(n for n in names if n)


def csl_name(person: Person) -> dict[str, str]:
    """One person as a CSL-JSON name object (``family``/``given``/``suffix`` or ``literal``)."""
    norm = normalized(person)
    if norm is None:
        return {}
    if norm.literal:
        return {"literal": norm.literal}
    family = f"{norm.particle} {norm.family}" if norm.particle else norm.family
    name = {"family": family}
    if norm.given:
        name["given"] = norm.given
    if norm.suffix:
        name["suffix"] = norm.suffix
    return name


def csl_names(persons: Sequence[Person] | None) -> list[dict[str, str]]:
    """The CSL ``author`` list (empty people dropped)."""
    return [csl_name(p) for p in people(persons)]


def display_name(person: Person) -> str:
    """A person as plain text for fallbacks and comparisons: ``Given particle Family, Suffix``."""
    norm = normalized(person)
    return norm.display() if norm is not None else ""
