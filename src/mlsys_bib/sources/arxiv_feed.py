"""arXiv's Atom feeds read safely: entries as Metadata, the API's error entries, and cached entries
written back as feeds.

Two feed generations exist, with namespaces declared on the root or repeated on each element and
different element orders, so everything is looked up by namespace URI. A malformed ID fails the
whole request with an Atom "error feed" (one entry titled ``Error`` whose id is
``http(s)://arxiv.org/api/errors#...``): :func:`parse_entries` returns its messages apart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..ids import arxiv as arxiv_ids
from ..ids import doi as doi_ids
from ..model import Kind, Metadata, Person, Provenance
from ..text.markup import clean_text
from ..text.names import split_name

log = logging.getLogger(__name__)

SERVICE = "arxiv"
#: Deepest element nesting accepted in a feed (see :func:`_load`).
MAX_DEPTH = 64

ATOM = "http://www.w3.org/2005/Atom"
ARXIV_NS = ("http://arxiv.org/schemas/atom", "https://arxiv.org/schemas/atom")
OPENSEARCH_NS = ("http://a9.com/-/spec/opensearch/1.1/", "https://a9.com/-/spec/opensearch/1.1/")

_ABS = re.compile(r"arxiv\.org/abs/(?P<id>.+?)/?$", re.IGNORECASE)
_ERROR_ID = re.compile(r"arxiv\.org/api/errors", re.IGNORECASE)


class FeedError(ValueError):
    """The body is not a usable Atom feed: malformed, truncated, or rejected by defusedxml."""


# -- feed parsing --------------------------------------------------------------------------------


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _find(elem: Element, namespaces: Sequence[str], tag: str) -> Element | None:
    for ns in namespaces:
        found = elem.find(_q(ns, tag))
        if found is not None:
            return found
    return None


def _text(elem: Element | None) -> str:
    return clean_text("".join(elem.itertext())) if elem is not None else ""


def _too_deep(root: Element, limit: int) -> bool:
    """Whether any element lies more than ``limit`` levels below ``root`` (no recursion)."""
    stack = [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in elem)
    return False


def _load(data: bytes) -> Element:
    if not data or not data.strip():
        raise FeedError("empty response body (expected an Atom feed)")
    try:
        # No DTD at all: arXiv feeds never carry one, and a DTD is how entity bombs and
        # external-entity reads get in.
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(f"unsafe XML rejected ({type(exc).__name__}: {exc})") from None
    except ParseError as exc:
        raise FeedError(f"malformed or truncated XML ({exc})") from None
    # Parsing is iterative, but serialising an entry for the cache (ElementTree.tostring)
    # recurses once per level: 200 000 nested <b> in a title would raise RecursionError out
    # of the client. Real feeds are 4 levels deep (feed/entry/author/arxiv:affiliation).
    if _too_deep(root, MAX_DEPTH):
        raise FeedError(f"XML nested deeper than {MAX_DEPTH} levels rejected")
    return root


def _entry_id(entry: Element) -> str:
    return _text(_find(entry, (ATOM,), "id"))


def _is_error(entry: Element) -> bool:
    if _ERROR_ID.search(_entry_id(entry)):
        return True
    author_el = _find(entry, (ATOM,), "author")
    author = _text(_find(author_el, (ATOM,), "name")) if author_el is not None else ""
    return _text(_find(entry, (ATOM,), "title")) == "Error" and author == "arXiv api core"


def _date(text: str) -> tuple[int | None, int | None]:
    m = re.match(r"^(\d{4})-(\d{2})", text)
    return (int(m[1]), int(m[2])) if m else (None, None)


def entry_to_metadata(entry: Element, fetched: str = "") -> Metadata | None:
    """One Atom ``<entry>`` as Metadata; None when its id is not an arXiv abstract URL."""
    m = _ABS.search(_entry_id(entry))
    ident = arxiv_ids.parse(m["id"]) if m else None
    if ident is None:
        return None
    values: dict[str, Any] = {"kind": Kind.PREPRINT}
    title = _text(_find(entry, (ATOM,), "title"))
    if title:
        values["title"] = title
    authors = []
    for author in entry.findall(_q(ATOM, "author")):
        person = split_name(_text(_find(author, (ATOM,), "name")))
        if person != Person():
            authors.append(person)
    if authors:
        values["author"] = authors
    year, month = _date(_text(_find(entry, (ATOM,), "published")) or _text(_find(entry, (ATOM,), "updated")))
    if year:
        values["year"] = year
    if month:
        values["month"] = month
    values["arxiv"] = ident.value
    if ident.version:
        values["arxiv_version"] = ident.version
    primary = _find(entry, ARXIV_NS, "primary_category")
    term = primary.get("term", "") if primary is not None else ""
    if not term:
        cat = _find(entry, (ATOM,), "category")
        term = cat.get("term", "") if cat is not None else ""
    if term:
        values["primary_class"] = term.strip()
    for candidate in _text(_find(entry, ARXIV_NS, "doi")).split():
        doi = doi_ids.parse(candidate)
        if doi is not None:
            values["doi"] = doi.value
            break
    journal_ref = _text(_find(entry, ARXIV_NS, "journal_ref"))
    if journal_ref:
        values["journal_ref"] = journal_ref
    values["url"] = f"https://arxiv.org/abs/{ident.value}"
    return Metadata(Provenance(SERVICE, f"arxiv:{ident.value}{ident.version}", fetched), values)


def parse_entries(data: bytes, fetched: str) -> tuple[list[tuple[Metadata, Element]], list[str], int | None]:
    root = _load(data)
    if root.tag == _q(ATOM, "entry"):
        entries = [root]
        total = None
    elif root.tag == _q(ATOM, "feed"):
        entries = root.findall(_q(ATOM, "entry"))
        total_el = _find(root, OPENSEARCH_NS, "totalResults")
        try:
            total = int(_text(total_el)) if total_el is not None else None
        except ValueError:
            total = None
    else:
        raise FeedError(f"not an Atom feed (root element {root.tag!r})")
    found: list[tuple[Metadata, Element]] = []
    errors: list[str] = []
    for entry in entries:
        if _is_error(entry):
            errors.append(_text(_find(entry, (ATOM,), "summary")) or _entry_id(entry) or "unspecified error")
            continue
        meta = entry_to_metadata(entry, fetched)
        if meta is None:
            log.warning("arXiv entry without a usable id skipped: %r", _entry_id(entry))
            continue
        found.append((meta, entry))
    return found, errors, total


def parse_feed(data: bytes, fetched: str = "") -> tuple[list[Metadata], list[str]]:
    """Parse an Atom feed (or a single cached ``<entry>``) into metadata and API error messages.

    Raises :class:`FeedError` for bodies that are not well-formed XML or that carry a DTD or
    entities (billion laughs, external entities) — defusedxml refuses them before expansion.
    """
    found, errors, _ = parse_entries(data, fetched)
    return [meta for meta, _ in found], errors


def entry_bytes(entry: Element) -> bytes:
    return tostring(entry, encoding="utf-8")


def wrap(entries: Sequence[Element]) -> bytes:
    body = b"".join(tostring(e, encoding="utf-8", xml_declaration=False) for e in entries)
    return b'<feed xmlns="' + ATOM.encode() + b'">' + body + b"</feed>"
