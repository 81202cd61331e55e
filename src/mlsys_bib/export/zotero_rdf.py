"""Zotero RDF export: the list's sections as nested Zotero collections, one item per paper.

Why a second Zotero export beside CSL-JSON: Zotero's CSL-JSON import drops ``keyword``, so a
Zotero user of ``mlsys.json`` gets 874 loose items and no trace of the list's sections, which
are what a curated list is for. Zotero RDF is the format Zotero itself writes collections in;
RIS has no collections at all (measured with Zotero's own translators, see the README).

Every per-record value comes from :func:`csl_item` (one home for what a record says), re-placed
where Zotero's RDF import translator reads it (``_PLACES`` below, a table, not branches):
the container (journal / proceedings / book) holds its title and volume, the item holds the
rest, ``dc:description`` becomes Extra (``Citation Key: KEY``, ``arXiv: ID``). A paper listed in
three sections is one item that three collections point to (``dcterms:hasPart``), exactly as
Zotero links items into collections; venue and year become tags (``dc:subject``).

The XML is written by hand rather than through ElementTree: prefixes, attribute order and
indentation are then fixed by this module alone, so two builds give identical bytes, and every
piece of text passes through one escape function (no entity, no markup survives as markup).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..fsutil import atomic_writer
from ..model import Record, Section
from .csljson import CslItem, iter_csl_items
from .latex import clean_text
from .mapping import record_kind, zotero_type

NAMESPACES: tuple[tuple[str, str], ...] = (
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("z", "http://www.zotero.org/namespaces/export#"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("bib", "http://purl.org/net/biblio#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("prism", "http://prismstandard.org/namespaces/1.2/basic/"),
)


@dataclass(frozen=True)
class RdfShape:
    """How Zotero RDF writes one Zotero item type: the RDF class of the item (None: a plain
    ``rdf:Description``, as Zotero writes conference papers and preprints), the class of its
    container (None: the item has no container) and, for a type without container, where
    container fields go instead (None: Zotero has no field for it in this type)."""

    rdf_class: str | None
    container: str | None
    uncontained: dict[str, str | None] = field(default_factory=dict)


# Zotero item type (mapping.TYPES) -> RDF shape, as Zotero's own "Zotero RDF" export writes it.
SHAPES: dict[str, RdfShape] = {
    "conferencePaper": RdfShape(None, "bib:Journal"),
    "journalArticle": RdfShape("bib:Article", "bib:Journal"),
    "preprint": RdfShape(None, None),
    "bookSection": RdfShape("bib:BookSection", "bib:Book"),
    # A report has no publication title in Zotero: the series it appears in is the nearest field.
    "report": RdfShape(
        "bib:Report", None, {"container-title": "z:seriesTitle", "container-title-short": None}
    ),
}


class Place(Enum):
    """Where a CSL value goes in the item's RDF."""

    ITEM = "a literal on the item"
    CONTAINER = "a literal on the container (RdfShape.uncontained for a type without one)"
    AUTHORS = "an rdf:Seq of foaf:Person"
    CONFERENCE = "a bib:Conference with its dc:title"
    PUBLISHER = "a foaf:Organization with its foaf:name"
    DATE = "a dc:date from CSL date-parts"
    URL = "a dcterms:URI with its rdf:value"


# CSL-JSON key -> (place, predicate). Keys the CSL export writes that have no place here are
# listed in CARRIED_ELSEWHERE, so a new CSL field fails the test that checks this table covers
# them all instead of vanishing silently.
_PLACES: dict[str, tuple[Place, str]] = {
    "title": (Place.ITEM, "dc:title"),
    "author": (Place.AUTHORS, "bib:authors"),
    "container-title": (Place.CONTAINER, "dc:title"),
    "container-title-short": (Place.CONTAINER, "dcterms:alternative"),
    "event-title": (Place.CONFERENCE, "bib:presentedAt"),
    "publisher": (Place.PUBLISHER, "dc:publisher"),
    "volume": (Place.CONTAINER, "prism:volume"),
    "issue": (Place.CONTAINER, "prism:number"),
    "number": (Place.ITEM, "prism:number"),
    "genre": (Place.ITEM, "z:genre"),
    "issued": (Place.DATE, "dc:date"),
    "page": (Place.ITEM, "bib:pages"),
    "DOI": (Place.ITEM, "dc:identifier"),
    "URL": (Place.URL, "dc:identifier"),
    "note": (Place.ITEM, "dc:description"),
}
CARRIED_ELSEWHERE: dict[str, str] = {
    "id": "the item's resource name (#item_KEY) and Extra",
    "citation-key": "Extra: 'Citation Key: KEY' (from the CSL note)",
    "type": "z:itemType (mapping.TYPES) and the RDF class (SHAPES)",
    "keyword": "collections: one per section, nested as in the list",
}
# Values written with a label Zotero's import strips again (dc:identifier "DOI 10.1/x").
_PREFIX: dict[str, str] = {"DOI": "DOI "}

# Characters XML 1.0 cannot carry at all. clean_text already drops them from every value; this
# is the last line for anything that reaches the writer another way.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as XML character data: ``& < >`` escaped, characters XML cannot hold removed."""
    return escape(_NOT_XML.sub("", str(value)))


def xml_attr(value: object) -> str:
    """``value`` as a quoted XML attribute value."""
    return quoteattr(_NOT_XML.sub("", str(value)))


def item_ref(key: str) -> str:
    return f"#item_{key}"


# -- tags -------------------------------------------------------------------------------------


def record_tags(record: Record) -> list[str]:
    """Venue and year of the record's authoritative list tag: ``OSDI``, ``2022``.

    The venue is the canonical acronym of the venue table (a workshop is its own venue there:
    ``EuroMLSys``, ``HotInfra``), the same one the citation key is built from; *Under Review*
    becomes a tag of its own.
    """
    tag = record.tag
    if tag is None:
        return []
    tags: list[str] = []
    if tag.venue:
        tags.append(clean_text(tag.venue, 200))
    elif tag.under_review:
        tags.append("Under Review")
    if tag.year is not None:
        tags.append(str(tag.year))
    return [t for t in dict.fromkeys(tags) if t]


# -- collections ------------------------------------------------------------------------------


@dataclass
class Collection:
    """One section of the list as a Zotero collection: its sub-sections and its own papers."""

    section: Section
    ref: str
    first_line: int
    children: list[Collection] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return clean_text(self.section.label, 300) or "Section"

    def walk(self) -> Iterable[Collection]:
        yield self
        for child in self.children:
            yield from child.walk()


def collection_tree(records: Sequence[Record]) -> list[Collection]:
    """The sections the records sit in, nested as in the list, siblings in list order.

    A record is a member of the section each of its list items is under (not of the parents:
    Zotero shows sub-collection items in a parent when the user asks it to), once per section
    however many times it is listed there. Parents come from the items' heading paths, so a
    heading with only sub-sections ("1 Data Processing") is there as the parent it is.
    """
    nodes: dict[Section, Collection] = {}
    roots: list[Collection] = []
    refs: set[str] = set()
    for record in records:
        for item in record.items:
            path = item.section_path or (item.section,)
            parent: Collection | None = None
            for section in path:
                node = nodes.get(section)
                if node is None:
                    ref = _unique_ref(f"#collection_{section.slug}", refs)
                    node = nodes[section] = Collection(section, ref, item.line)
                    (parent.children if parent is not None else roots).append(node)
                node.first_line = min(node.first_line, item.line)
                parent = node
            leaf = nodes[item.section]
            if record.key not in leaf.keys:
                leaf.keys.append(record.key)
    _sort(roots)
    return roots


def _unique_ref(base: str, taken: set[str]) -> str:
    ref, n = base, 2
    while ref in taken:
        ref, n = f"{base}-{n}", n + 1
    taken.add(ref)
    return ref


def _sort(nodes: list[Collection]) -> None:
    nodes.sort(key=lambda c: c.first_line)
    for node in nodes:
        _sort(node.children)


# -- writing ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def open(self, depth: int, tag: str, about: str | None = None) -> None:
        attr = f" rdf:about={xml_attr(about)}" if about is not None else ""
        self.lines.append(f"{'  ' * depth}<{tag}{attr}>")

    def close(self, depth: int, tag: str) -> None:
        self.lines.append(f"{'  ' * depth}</{tag}>")

    def leaf(self, depth: int, tag: str, text: object) -> None:
        self.lines.append(f"{'  ' * depth}<{tag}>{xml_text(text)}</{tag}>")

    def ref(self, depth: int, tag: str, resource: str) -> None:
        self.lines.append(f"{'  ' * depth}<{tag} rdf:resource={xml_attr(resource)}/>")

    def node(self, depth: int, predicate: str, rdf_class: str, fields: list[tuple[str, str]]) -> None:
        """``<predicate><rdf_class><p>v</p>...</rdf_class></predicate>`` (a blank node)."""
        self.open(depth, predicate)
        self.open(depth + 1, rdf_class)
        for name, value in fields:
            self.leaf(depth + 2, name, value)
        self.close(depth + 1, rdf_class)
        self.close(depth, predicate)


def _date(issued: Any) -> str:
    parts = (issued or {}).get("date-parts") or [[]]
    first = parts[0] if parts else []
    if not first:
        return ""
    return "-".join([str(first[0])] + [f"{p:02d}" for p in first[1:2]])


def _person_fields(name: dict[str, str]) -> list[tuple[str, str]]:
    """A CSL name as FOAF: surname + givenName; a literal (corporate) name as surname alone,
    which Zotero imports as a single-field name. A suffix goes after the given name and a
    comma, where Zotero and citeproc-js expect it ("Martin Luther, Jr.")."""
    if "literal" in name:
        return [("foaf:surname", name["literal"])]
    fields = [("foaf:surname", name.get("family", ""))]
    given = name.get("given", "")
    if name.get("suffix"):
        given = f"{given}, {name['suffix']}" if given else name["suffix"]
    if given:
        fields.append(("foaf:givenName", given))
    return fields


def _write_item(w: _Writer, record: Record, item: CslItem) -> None:
    item_type = zotero_type(record_kind(record))
    shape = SHAPES[item_type]
    element = shape.rdf_class or "rdf:Description"
    w.open(1, element, item_ref(item["id"]))
    w.leaf(2, "z:itemType", item_type)
    container: list[tuple[str, str]] = []
    for key, value in item.items():
        if key in CARRIED_ELSEWHERE:
            continue
        place, predicate = _PLACES[key]
        if place is Place.CONTAINER and shape.container is None:
            moved = shape.uncontained[key]  # KeyError: a gap in SHAPES, caught by the tests
            if moved is None:
                continue
            place, predicate = Place.ITEM, moved
        if place is Place.CONTAINER:
            container.append((predicate, str(value)))
        elif place is Place.ITEM:
            w.leaf(2, predicate, _PREFIX.get(key, "") + str(value))
        elif place is Place.AUTHORS:
            w.open(2, predicate)
            w.open(3, "rdf:Seq")
            for name in value:
                w.node(4, "rdf:li", "foaf:Person", _person_fields(name))
            w.close(3, "rdf:Seq")
            w.close(2, predicate)
        elif place is Place.CONFERENCE:
            w.node(2, predicate, "bib:Conference", [("dc:title", str(value))])
        elif place is Place.PUBLISHER:
            w.node(2, predicate, "foaf:Organization", [("foaf:name", str(value))])
        elif place is Place.DATE:
            date = _date(value)
            if date:
                w.leaf(2, predicate, date)
        elif place is Place.URL:
            w.node(2, predicate, "dcterms:URI", [("rdf:value", str(value))])
    if container and shape.container is not None:
        w.node(2, "dcterms:isPartOf", shape.container, container)
    for tag in record_tags(record):
        w.leaf(2, "dc:subject", tag)
    w.close(1, element)


def _write_collection(w: _Writer, node: Collection) -> None:
    w.open(1, "z:Collection", node.ref)
    w.leaf(2, "dc:title", node.name)
    for child in node.children:
        w.ref(2, "dcterms:hasPart", child.ref)
    for key in node.keys:
        w.ref(2, "dcterms:hasPart", item_ref(key))
    w.close(1, "z:Collection")


def _with_archive_id(record: Record, item: CslItem) -> CslItem:
    """A preprint's "arXiv:ID" as Zotero's Archive ID. CSL-JSON leaves ``number`` out because IEEE
    prints it after the repository ("arXiv: arXiv:ID"); nothing prints an RDF import, so it goes
    back in here, in CSL order (after the publisher)."""
    arxiv = record.get("arxiv")
    if not arxiv or item.get("type") != "article" or "number" in item:
        return item
    out: CslItem = {}
    for key, value in item.items():
        out[key] = value
        if key == "publisher":
            out["number"] = f"arXiv:{arxiv}"
    return out


def _write_rdf(write: Callable[[str], object], records: Sequence[Record]) -> None:
    """The Zotero RDF file, handed to ``write`` item by item (only one item's lines are held)."""
    w = _Writer()

    def flush() -> None:
        write("\n".join(w.lines) + "\n")
        w.lines.clear()

    w.lines.append('<?xml version="1.0" encoding="UTF-8"?>')
    w.lines.append("<rdf:RDF")
    w.lines.extend(f" xmlns:{prefix}={xml_attr(uri)}" for prefix, uri in NAMESPACES)
    w.lines[-1] += ">"
    for record, item in zip(records, map(_with_archive_id, records, iter_csl_items(records)), strict=True):
        _write_item(w, record, item)
        flush()
    for root in collection_tree(records):
        for node in root.walk():
            _write_collection(w, node)
    w.lines.append("</rdf:RDF>")
    flush()


def zotero_rdf_text(records: Sequence[Record]) -> str:
    """The Zotero RDF file: items in record order, then the collections, parents first."""
    pieces: list[str] = []
    _write_rdf(pieces.append, records)
    return "".join(pieces)


def write_zotero_rdf(records: Sequence[Record], path: str | os.PathLike[str]) -> None:
    """Write :func:`zotero_rdf_text` to ``path`` atomically, streamed item by item."""
    with atomic_writer(path) as fh:
        _write_rdf(fh.write, records)
