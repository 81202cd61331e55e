"""Which words of a title keep their case when a style sentence-cases it: one decision, two spellings.

BibTeX braces the words (``{GPU}``, :mod:`.export.latex`), CSL-JSON wraps them in
``<span class="nocase">`` (:mod:`.export.csljson`); both read the spans from here, so the .bib and
the CSL-JSON never disagree on what a style may lowercase. Protected: acronyms, CamelCase, digits
with capitals, listed proper nouns, the system name before a colon, a subtitle's first word after
``?``/``!``, and the letters of all-caps compounds such as ``I/O``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources

from ..memo import FirstSeen

#: A word, as case protection counts them: letters and digits.
WORD = re.compile(r"[^\W_]+")
_FIRST_BEFORE_COLON = re.compile(r"\s*([^\W_]+)\s*:")
# A subtitle after "?" or "!" ("Where Is My Training Bottleneck? Hidden Trade-Offs ..."): BibTeX's
# sentence case keeps a capital only after ": ", so the subtitle's first word is lowercased
# ("? hidden trade-offs") unless it is protected.
_SUBTITLE_AFTER_MARK = re.compile(r"[?!]\s+(?=[^\W\d_])")


@functools.lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """Proper nouns written in ordinary Title case (``Python``, ``Bayesian``) that must keep it.

    Acronyms and CamelCase are found by rule; this list (``data/protected_words.txt``) only holds
    the words a rule cannot tell from an ordinary capitalised word. Matched case-sensitively.
    """
    text = resources.files("mlsys_bib").joinpath("data/protected_words.txt").read_text("utf-8")
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(w for w in words if w)


_CHUNK_SPACE = re.compile(r"\S+")
_CHUNK_SPACE_HYPHEN = re.compile(r"[^\s\-\u2010-\u2015]+")


def _all_caps_chunks(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every all-capitals compound of ``text``: a whitespace-delimited
    chunk (``I/O``, ``Q&A``, ``K-V``) or a hyphen-delimited one (``I/O`` in ``I/O-Bound``) with at
    least two letters, all capitals. Their single letters look like ordinary words, so a word
    inside one is protected. Found once per title: asking per word rescanned the title for each
    capitalised word, the bulk of the exports' time on a long list."""
    found = []
    for chunks in (_CHUNK_SPACE, _CHUNK_SPACE_HYPHEN):
        for match in chunks.finditer(text):
            if not match.group(0).isupper():  # a lowercase letter, or no capital at all: not one
                continue
            letters = [c for c in match.group(0) if c.isalpha()]
            if len(letters) >= 2 and all(c.isupper() for c in letters):
                found.append(match.span())
    return found


def needs_protection(word: str) -> bool:
    """Whether a single word keeps its case regardless of context.

    ``vLLM``, ``PyTorch``, ``FlashAttention``, ``GPU``, ``FP8``, ``3D`` (a capital after the first
    character); ``H100``, ``T5`` (a capital and a digit); listed proper nouns.
    """
    if not word:
        return False
    rest = word[1:]
    # most words are capitalised or lowercase: ``islower`` answers for them without a loop
    if not rest.islower() and any(c.isupper() for c in rest):
        return True
    if word[0].isupper() and any(c.isdigit() for c in word):
        return True
    return word in protected_words()


#: Titles whose spans are remembered (every export format asks about every title: :mod:`..memo`).
SPANS_MEMO = 16384
_spans_memo: FirstSeen[str, tuple[tuple[int, int], ...]] = FirstSeen(
    lambda text: tuple(_protected_spans(text)), SPANS_MEMO
)


def protected_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Memoised :func:`_protected_spans`: each title is asked about by every export format."""
    return _spans_memo(text)


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word of the title ``text`` whose case must survive sentence-casing.

    Besides :func:`needs_protection`, a single capitalised word before a colon is a system name
    (``Orca: A Distributed Serving System``) and is protected, as is the capitalised first word of
    a subtitle after ``?`` or ``!`` and every letter of an all-caps compound such as ``I/O``.
    Whole titles are never protected: styles that want sentence case must still be able to apply it.
    """
    spans: list[tuple[int, int]] = []
    first = _FIRST_BEFORE_COLON.match(text)
    subtitles = {m.end() for m in _SUBTITLE_AFTER_MARK.finditer(text)}
    compounds = _all_caps_chunks(text)
    for match in WORD.finditer(text):
        word = match.group(0)
        start, end = match.span()
        if (
            needs_protection(word)
            or (first is not None and start == first.start(1) and word[0].isupper())
            or (start in subtitles and word[0].isupper())
            or (word[0].isupper() and any(s <= start and end <= e for s, e in compounds))
        ):
            spans.append(match.span())
    return spans


def split_protected(text: str) -> Iterable[tuple[str, bool, int]]:
    """``text`` cut into ``(piece, protected, offset)`` runs, in order, covering all of it."""
    pos = 0
    for start, end in protected_spans(text):
        if start > pos:
            yield text[pos:start], False, pos
        yield text[start:end], True, start
        pos = end
    if pos < len(text):
        yield text[pos:], False, pos
