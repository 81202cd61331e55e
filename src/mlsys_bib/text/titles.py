"""Title normalisation for matching: one function every resolver and the record builder share.

Two titles are "the same paper" when their normalised forms are *equal*; there is no fuzzy
score anywhere. That is deliberate: a wrong-paper match silently puts another paper's authors
and pages under a list entry, which is worse than leaving the entry unresolved. So the
normalisation folds only differences that are pure typography, never wording:

* Unicode compatibility forms (NFKC: ligatures, full-width letters, non-breaking spaces);
* case (``casefold``, so ``ß`` and ``ss`` agree);
* accents (``Schölkopf`` vs ``Scholkopf``: services disagree on whether to keep them);
* HTML entities and tags (DBLP's ``&apos;``, Crossref's ``<i>``), LaTeX braces, accent
  commands and math dollars (arXiv titles are raw LaTeX);
* punctuation: DBLP's older answers write ``Gandiva - Introspective ...`` where the paper
  has ``Gandiva: Introspective ...``, and end every title with ``.``; dashes, quotes,
  colons and the like all fold to one space, so ``Fault-Tolerance`` and ``Fault Tolerance``
  agree but ``FaultTolerance`` does not (joining words could merge different titles);
* apostrophes are dropped rather than spaced (``Where's`` = ``Wheres``), and ``&`` is the
  word ``and``.

Digits, letters and word order are kept exactly, so ``GPT-2`` and ``GPT-3`` stay different,
as do ``Pollux`` and ``Pollux 2``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from .markup import clean_text

__all__ = [
    "normalise", "search_words", "same_title", "display_title", "title_words", "share_words", "covers_query",
]

_TAGS = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?>")
_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _latex_converter():  # type: ignore[no-untyped-def]
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text")


def _delatex(text: str) -> str:
    """LaTeX to Unicode text (``$\\mu$`` -> ``μ``, ``\\"{o}`` -> ``ö``), so an arXiv title in
    LaTeX and a Crossref title in Unicode normalise alike; unparsable input keeps its text."""
    try:
        return str(_latex_converter().latex_to_text(text))
    except Exception:  # pylatexenc is lenient, but a hostile title must never stop a run
        return text


def fold_accents(text: str) -> str:
    """``text`` without its accents (NFKD, combining marks dropped): ``Chén`` -> ``Chen``. The one
    accent folder: title matching, family-name matching and the renderer's ambiguity groups use it."""
    if text.isascii():
        return text  # ASCII decomposes to itself and has no combining marks
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def normalise(title: str) -> str:
    """The matching form of ``title``: lower-case ASCII-ish words separated by single spaces.

    ``normalise("Gandiva - Introspective Cluster Scheduling for Deep Learning.")`` and
    ``normalise("Gandiva: Introspective Cluster Scheduling for Deep Learning")`` are both
    ``"gandiva introspective cluster scheduling for deep learning"``.
    """
    if not title:
        return ""
    text = html.unescape(html.unescape(title))  # DBLP sometimes double-escapes (&amp;apos;)
    text = _TAGS.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    if "\\" in text:
        text = _delatex(text)
    text = text.replace("{", "").replace("}", "").replace("$", "")
    return _words(text, match=True)


def _words(text: str, *, match: bool) -> str:
    """Accents folded, case folded, every run of non-word characters one space; for matching
    (``match``) apostrophes are dropped and ``&`` is the word ``and`` first."""
    text = fold_accents(text).casefold()
    if match:
        text = _APOSTROPHES.sub("", text).replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def search_words(title: str) -> str:
    """The words of ``title`` as a search engine indexes them: what an arXiv ``ti:"..."`` phrase
    and its cache key are made of.

    Not a match test (that is :func:`normalise`). It differs on purpose: LaTeX stays as written
    (arXiv indexes the raw title, so ``$\\mu$`` is the word ``mu``), and an apostrophe or ``&`` is a
    word break (``Where's`` is ``where s``), as the engine tokenises them.
    """
    return _words(clean_text(title), match=False) if title else ""


def same_title(a: str, b: str) -> bool:
    """Whether two titles name the same paper by :func:`normalise` equality (empty never matches)."""
    na, nb = normalise(a), normalise(b)
    return bool(na) and na == nb


def display_title(title: str) -> str:
    """A service title made presentable without changing its words: entities decoded,
    whitespace collapsed, DBLP's closing ``.`` removed (``...`` and ``?`` are kept)."""
    text = html.unescape(title or "")
    text = " ".join(text.split())
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


#: Words that say nothing about which paper a title names: two titles sharing only these share
#: nothing (``A Completely Different Paper`` and ``Orca: A Distributed Serving System``). The one
#: stop-word list of the project (keys use it too, see :data:`KEY_STOP_WORDS`).
STOP_WORDS = frozenset({
    "a", "all", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "in", "into", "is", "it", "its", "not", "of", "on", "or", "over", "our", "than", "that", "the",
    "their", "this", "to", "toward", "towards", "under", "using", "via", "we", "what", "when",
    "where", "which", "while", "why", "with", "without", "you", "your",
})  # fmt: skip

#: A citation key's title part (``keys.name_part``) skips the stop words except these: keys
#: generated before the lists were one kept them, and a rule change would give every new record
#: of an existing list a key shaped unlike its neighbours'.
_KEY_KEEPS = frozenset({
    "does", "or", "our", "than", "that", "their", "this", "where", "which", "while", "without",
})  # fmt: skip
KEY_STOP_WORDS = STOP_WORDS - _KEY_KEEPS


def title_words(title: str) -> frozenset[str]:
    """The telling words of a title (normalised, stop words and single letters left out);
    all its words when it has no other."""
    words = normalise(title).split()
    telling = frozenset(w for w in words if len(w) > 1 and w not in STOP_WORDS)
    return telling or frozenset(words)


def share_words(a: str, b: str) -> bool:
    """Whether two titles (or a title and a title query) have a telling word in common.

    Not a match test (matching is equality, above): it tells an answer *about* the question,
    which may still be a miss, from an answer about something else entirely (a wrong answer),
    which must not be taken, let alone cached, as "no such paper".
    """
    return bool(title_words(a) & title_words(b))


def covers_query(title: str, query: str, *, share: float = 0.5) -> bool:
    """Whether at least ``share`` of the query's telling words begin a word of ``title``.

    DBLP answers a search only with papers having every query word as a word prefix (in the
    title, rarely in an author or venue name), so a hit whose title covers less than half of
    a title query answers another question; ``Serverless Training for Large Language Models``
    is no answer to ``lory fully differentiable mixture of experts ... pre training``.
    """
    wanted = title_words(query)
    if not wanted:
        return True
    have = normalise(title).split()
    covered = sum(1 for w in wanted if any(h.startswith(w) for h in have))
    return covered > 0 and covered >= share * len(wanted)
