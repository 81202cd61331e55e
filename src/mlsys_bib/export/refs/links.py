"""The links of a reference-list entry: which targets a record has, which are safe to link, and
where a formatted entry prints them (only printed text becomes a link; nothing is appended).

Used by every output format of refs/ and by the site's cards (:mod:`..site.papers`), so a reader
is shown each target once and never a ``javascript:`` one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import quote, urlsplit

from ...model import Record
from ..fields import bare_doi
from ..latex import clean_text


def safe_url(url: object) -> str:
    """``url`` if it is an http(s) URL, percent-encoded so it is inert in HTML and Markdown; else "".

    ``javascript:`` and other schemes are never linked. Characters that end a Markdown link
    destination or an HTML attribute (``()<>"'`` and spaces) are encoded.
    """
    text = clean_text(url, 2000)
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return quote(text, safe="/:?#@!$&*+,;=%-._~")


@dataclass(frozen=True)
class Link:
    """One link of an entry: a short label, a safe URL, and the texts a style may print for it."""

    label: str
    url: str
    texts: tuple[str, ...] = ()


def entry_links(record: Record) -> list[Link]:
    """DOI, arXiv and URL links of a record, deduplicated by target, in that order."""
    links: list[Link] = []
    doi = bare_doi(record.get("doi"))
    if doi:
        links.append(Link("DOI", safe_url("https://doi.org/" + doi), ("https://doi.org/" + doi, doi)))
    arxiv = clean_text(record.get("arxiv"), 100)
    if arxiv:
        abs_url = "https://arxiv.org/abs/" + arxiv
        links.append(Link("arXiv", safe_url(abs_url), (abs_url, "arXiv:" + arxiv)))
    raw_url = clean_text(record.get("url"), 2000)
    url = safe_url(raw_url)
    if url:
        links.append(Link("URL", url, (raw_url,)))
    return one_per_target(links)


_Linked = TypeVar("_Linked", bound="_HasUrl")


class _HasUrl(Protocol):
    @property
    def url(self) -> str: ...


def one_per_target(links: Iterable[_Linked]) -> list[_Linked]:
    """``links`` without the empty ones and without repeats of a target, first one kept: a reader
    is shown each place once (refs' entries and the site's cards both use it)."""
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url and link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return unique


# A printed link ends at the end, at a space or tag, or at punctuation followed by either.
_LINK_END = r"(?=$|[\s<*]|[.,;:)\]]+(?:$|[\s<*]))"
_LINK_START = r"(?<![\w/.%:-])"
_LINK_START_RE = re.compile(_LINK_START)
_LINK_END_RE = re.compile(_LINK_END)


def linkify(
    text: str, links: list[Link], escape: Callable[[str], str], anchor: Callable[[Link, str], str]
) -> tuple[str, list[Link]]:
    """Turn every printed form of each link in the formatted ``text`` into an anchor.

    ``escape`` is the format's escaping (the texts are searched as they appear in the output),
    ``anchor(link, shown)`` builds the format's link. One left-to-right pass over all candidate
    texts, longest first, so a DOI inside a printed ``https://doi.org/...`` is not linked on its
    own and no anchor is ever nested in another. Returns the text and the links not found in it.
    """
    owner: dict[str, Link] = {}
    for link in links:
        for candidate in link.texts:
            shown = escape(candidate)
            if shown and shown not in owner:
                owner[shown] = link
    if not owner:
        return text, list(links)
    # Every bounded occurrence of every candidate, then leftmost-first, longest-first, never
    # overlapping: what one regex alternation would find, without compiling a regex per entry.
    found: list[tuple[int, int, str]] = []
    for shown in owner:
        pos = text.find(shown)
        while pos >= 0:
            end = pos + len(shown)
            if _LINK_START_RE.match(text, pos) and _LINK_END_RE.match(text, end):
                found.append((pos, -len(shown), shown))
            pos = text.find(shown, pos + 1)
    used: set[str] = set()
    parts: list[str] = []
    last = 0
    for start, negative_length, shown in sorted(found):
        if start < last:
            continue
        link = owner[shown]
        used.add(link.url)
        parts += [text[last:start], anchor(link, shown)]
        last = start - negative_length
    parts.append(text[last:])
    return "".join(parts), [link for link in links if link.url not in used]
