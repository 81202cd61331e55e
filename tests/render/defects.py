"""What a reader would call a defect in one rendered entry: data, so the matrix and the tests agree.

Each check takes the record (what we know about the paper) and the text a style printed for it,
and returns a short reason or None. They are deliberately about the *page*: "the arXiv id is
printed twice", not "the .bib has both howpublished and eprint".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from mlsys_bib.export.mapping import record_kind

try:  # the harness also measures versions from before these existed (bench/rendered_matrix.py)
    from mlsys_bib.export.mapping import short_name
    from mlsys_bib.keys import system_name
except ImportError:  # pragma: no cover
    def short_name(record: Record) -> str:  # type: ignore[misc]
        return ""

    def system_name(title: str, aliases: object = ()) -> str:  # type: ignore[misc]
        return ""
from mlsys_bib.model import Kind, Record

PUBLISHED_SOURCES = frozenset({"crossref", "doi", "dblp"})
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec."]
_MONTH = re.compile(r"\b(" + "|".join(re.escape(m) for m in MONTHS) + r")(?![\w])")
_URL = re.compile(r"https?://\S+")
_STALE_NOTES = re.compile(r"\b(to appear|under review)\b", re.I)
_DOUBLE_PUNCT = re.compile(r"\?\.|(?<!\.)\.\.(?!\.)|,,|\. \.(?!\.)|\(\s*\)")
_WORD4 = re.compile(r"[A-Za-z][A-Za-z'’]+")


@dataclass(frozen=True)
class Seen:
    """One rendered entry: its style family and the text; ``citation`` is the in-text label."""

    style: str
    text: str
    citation: str = ""
    author_year: bool = False
    en_us_quotes: bool = False  # the style quotes titles in US English: punctuation goes inside


def _plain(text: str) -> str:
    """What a reader reads: pdftotext's dotless i + accent is í, a typographic apostrophe is '."""
    text = unicodedata.normalize("NFKC", text.replace("\u0131\u0301", "\u00ed"))
    return unicodedata.normalize("NFC", text).replace("\u2019", "'")


def arxiv_id(record: Record) -> str:
    return str(record.get("arxiv") or "")


def is_published(record: Record) -> bool:
    return record_kind(record) != Kind.PREPRINT


def check_arxiv_once(record: Record, seen: Seen) -> str | None:
    ident = arxiv_id(record)
    if not ident:
        return None
    count = len(re.findall(re.escape(ident) + r"(?!\d)", _plain(seen.text)))
    if count == 1 or (count == 0 and is_published(record)):  # a published paper may omit its preprint
        return None
    return f"arXiv id printed {count}×"


def check_arxiv_findable(record: Record, seen: Seen) -> str | None:
    text = _plain(seen.text)
    if "arxiv" in text.lower() and not re.search(r"\d{4}\.\d{4,5}|[a-z\-]+/\d{7}", text) and "http" not in text:
        return "says arXiv with no id or link"
    return None


def check_repeated_phrase(record: Record, seen: Seen) -> str | None:
    """A venue (or any phrase of 4+ words) printed twice: "(SOSP '23). SOSP '23: ACM SIGOPS ..."."""
    text = _plain(seen.text).split("http", 1)[0]  # a URL (last in every style) may spell the title
    # a publisher named like its venue ("Association for Computational Linguistics"), and the system
    # name printed in the author's place of an author-less entry (ACM, natbib), are how such
    # citations read, not repetitions
    publisher = {tuple(w.lower() for w in _WORD4.findall(str(record.get("publisher") or "")))}
    if not record.get("author"):
        publisher.add(tuple(w.lower() for w in _WORD4.findall(short_name(record))))
    words = [w.lower() for w in _WORD4.findall(text)]
    seen_grams: set[tuple[str, ...]] = set()
    for i in range(len(words) - 3):
        gram = tuple(words[i : i + 4])
        if gram in seen_grams and not any(_contains(p, gram) for p in publisher):
            return f"phrase printed twice: {' '.join(gram)}"
        seen_grams.add(gram)
    return None


def _contains(words: tuple[str, ...], gram: tuple[str, ...]) -> bool:
    """Whether ``gram`` occurs in ``words``: a publisher named like its venue ("Association for
    Computational Linguistics") is how such citations read, not a repetition."""
    return any(words[i : i + len(gram)] == gram for i in range(len(words) - len(gram) + 1))


def check_punctuation(record: Record, seen: Seen) -> str | None:
    text = _URL.sub(" ", _plain(seen.text))
    match = _DOUBLE_PUNCT.search(text)
    if match:
        return f"punctuation {match.group(0)!r}"
    if seen.en_us_quotes and re.search(r"[”\"][,.]", text):
        return "comma or period outside the closing quote"
    return None


def check_markup(record: Record, seen: Seen) -> str | None:
    match = re.search(r"[{}\\]", _URL.sub(" ", seen.text))
    return f"raw {match.group(0)!r}" if match else None


def check_labels(record: Record, seen: Seen) -> str | None:
    match = re.search(r"\[(URL|arXiv|DOI)\]", seen.text)
    return f"label {match.group(0)}" if match else None


def _month_from_published_source(record: Record) -> bool:
    sourced = record.fields.get("month")
    return sourced is not None and sourced.provenance.source in PUBLISHED_SOURCES


def check_month(record: Record, seen: Seen) -> str | None:
    if not is_published(record) or _month_from_published_source(record):
        return None
    text = _URL.sub(" ", _plain(seen.text))
    title = _plain(record.title)
    for match in _MONTH.finditer(text):
        if match.group(0) not in title and match.group(0) not in str(record.get("container_title") or ""):
            return f"month {match.group(0)} on a published record with no published month"
    return None


def check_stale_note(record: Record, seen: Seen) -> str | None:
    if not is_published(record):
        return None
    text = _plain(seen.text)
    match = _STALE_NOTES.search(text)
    if match and match.group(0).lower() not in record.title.lower():
        return f"stale note {match.group(0)!r}"
    return None


def _family_names(record: Record) -> list[str]:
    names = []
    for person in record.get("author") or []:
        family = getattr(person, "family", "") or getattr(person, "literal", "")
        if family:
            names.append(_plain(family))
    return names


def check_author_year_label(record: Record, seen: Seen) -> str | None:
    """natbib/biblatex/APA in-text labels: a name, never three letters of the key or a whole title."""
    if not seen.author_year or not seen.citation:
        return None
    label = re.sub(r"\s*[\(\[]?\s*(\d{4}[a-z]?|n\.\s*d\.|\[n\.\s*d\.\])\s*[\)\]]?\s*$", "", _plain(seen.citation))
    label = label.strip(" ,")
    families = _family_names(record)
    if families:
        return None if any(f in label for f in families) else f"label {label!r} names no author"
    if label.lower() == record.key[:3].lower() and label != system_name(record.title, record.aliases):
        return f"label {label!r} is three letters of the key"
    if len(label) > 40:
        return f"label is a whole title ({len(label)} characters)"
    return None


_SUBTITLE = re.compile(r"([^\W_]+)([?!])\s+([^\W\d_][^\W_]*)")


def check_subtitle_case(record: Record, seen: Seen) -> str | None:
    """A subtitle after "?" or "!" printed with a small letter ("Bottleneck? hidden trade-offs"):
    sentence-casing styles keep the capital only after ":" unless the .bib protects the word."""
    text = _plain(seen.text)
    for match in _SUBTITLE.finditer(record.title):
        before, mark, word = match.groups()
        if not word[0].isupper():
            continue
        shown = re.search(re.escape(before) + re.escape(mark) + r"\s+(" + re.escape(word) + ")", text, re.I)
        if shown and shown.group(1)[0].islower():
            return f"subtitle lowercased: {shown.group(0)!r}"
    return None


Check = Callable[[Record, Seen], "str | None"]
CHECKS: dict[str, Check] = {
    "arxiv id not once": check_arxiv_once,
    "arxiv without id": check_arxiv_findable,
    "repeated phrase": check_repeated_phrase,
    "punctuation": check_punctuation,
    "raw markup": check_markup,
    "link labels": check_labels,
    "leaked month": check_month,
    "stale note": check_stale_note,
    "author-year label": check_author_year_label,
    "subtitle case": check_subtitle_case,
}


def defects(record: Record, seen: Seen) -> dict[str, str]:
    """``{check name: reason}`` for every check the entry fails."""
    found = {}
    for name, check in CHECKS.items():
        reason = check(record, seen)
        if reason:
            found[name] = reason
    return found
