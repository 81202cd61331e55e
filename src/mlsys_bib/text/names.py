"""Personal names from free text: the one name splitter every service client uses.

Services give names in display order (``"Peter H. N. de With"``); CSL and BibTeX want family,
given, particle and suffix apart. One splitter, so that a name reads the same whichever service
supplied it (merging compares authors across services).
"""

from __future__ import annotations

import functools
import re

from ..model import Person
from .markup import clean_text

__all__ = ["split_name"]

_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "delle", "dei", "di", "da", "das", "do", "dos",
    "du", "la", "le", "les", "ter", "ten", "zu", "zum", "zur", "af", "av", "bin", "ibn", "al", "el",
    "y", "st.", "mac",
}  # fmt: skip
_CAPITAL_PARTICLES = {"van", "von", "de", "del", "della", "dos", "du", "ter", "ten"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "2nd", "3rd"}
_CORPORATE = re.compile(
    r"\b(collaboration|consortium|team|group|project|committee|institute|university|laboratory|"
    r"corporation|inc\.?|ltd\.?|llc|organi[sz]ation|association|society|council|network|initiative|"
    r"working party|task force)\b",
    re.IGNORECASE,
)


#: Names up to this length are split once per process and the same (immutable) Person is shared:
#: an author of many papers, named by several services, is one object, not one per mention.
_SHARED_NAME_CHARS = 200


def split_name(name: str) -> Person:
    """:func:`_split_name`, remembered for ordinary-length names (a long list names the same authors
    thousands of times; hostile megabyte names are never kept)."""
    return _split_name_shared(name) if len(name) <= _SHARED_NAME_CHARS else _split_name(name)


@functools.lru_cache(maxsize=1 << 16)
def _split_name_shared(name: str) -> Person:
    return _split_name(name)


def _split_name(name: str) -> Person:
    """Split a display name (``"Peter H. N. de With"``) into CSL parts.

    arXiv gives names as free text in given-first order. The family name is the last word,
    preceded by any lower-case particles (``van der``, ``de``); a trailing ``Jr.``/``III`` is a
    suffix; ``"Family, Given"`` is honoured; collaborations stay literal. Non-ASCII is kept.
    """
    name = clean_text(name)
    if not name:
        return Person()
    if _CORPORATE.search(name):
        return Person(literal=name)
    if "," in name:
        head, _, tail = name.partition(",")
        tail = tail.strip()
        if tail.lower() in _SUFFIXES:
            inner = _split_name(head)
            return Person(family=inner.family, given=inner.given, particle=inner.particle, suffix=tail)
        fam = head.split()
        particle_words = []
        while len(fam) > 1 and fam[0].lower() in _PARTICLES:
            particle_words.append(fam.pop(0))
        return Person(family=" ".join(fam), given=tail, particle=" ".join(particle_words))
    words = name.split()
    suffix = ""
    if len(words) > 2 and words[-1].lower().rstrip(",") in _SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return Person(family=words[0], suffix=suffix)
    # The first particle after the first word starts the family part. Lower-case particles
    # ("van der Sommen") are CSL particles; capitalised ones ("Del Maestro", "Van Roy") are
    # part of the family name as their bearers spell it.
    start = len(words) - 1
    for i in range(1, len(words) - 1):
        word = words[i]
        if word.lower() in _PARTICLES and word[:1].islower() or word.lower() in _CAPITAL_PARTICLES:
            start = i
            break
    given = " ".join(words[:start])
    rest = words[start:]
    particle_words = []
    while len(rest) > 1 and rest[0].lower() in _PARTICLES and rest[0][:1].islower():
        particle_words.append(rest.pop(0))
    return Person(family=" ".join(rest), given=given, particle=" ".join(particle_words), suffix=suffix)
