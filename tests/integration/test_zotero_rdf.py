"""The Zotero RDF export read back by a real RDF parser (rdflib) and a hardened XML parser.

The reader below is written from Zotero's RDF import translator (which predicate lands in which
Zotero field), not from the exporter's table, so a wrong entry in that table fails here.
Structure is checked on the bundled seed: every record sits in the collection of each of its
sections, collections nest as the list's headings do, and per-collection counts equal the
list's (build.list_report).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as safe_fromstring
from test_hostile_exports import EVIL_SECTION, all_records, hostile_records
from test_roundtrip import realistic_records

from mlsys_bib.build import list_report, load_list
from mlsys_bib.export.csljson import csl_item, csl_items
from mlsys_bib.export.zotero_rdf import (
    _PLACES,
    CARRIED_ELSEWHERE,
    record_tags,
    xml_text,
    zotero_rdf_text,
)

rdflib = pytest.importorskip("rdflib", reason="rdflib (test extra) reads the RDF back")
from rdflib import RDF, Namespace, URIRef  # noqa: E402
from rdflib.graph import Seq  # noqa: E402

Z = Namespace("http://www.zotero.org/namespaces/export#")
DC = Namespace("http://purl.org/dc/elements/1.1/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
BIB = Namespace("http://purl.org/net/biblio#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
PRISM = Namespace("http://prismstandard.org/namespaces/1.2/basic/")
BASE = "file:///exports/mlsys-zotero.rdf"

# Zotero item type -> CSL type (the inverse of what Zotero's CSL-JSON import maps).
CSL_TYPE = {
    "conferencePaper": "paper-conference",
    "journalArticle": "article-journal",
    "preprint": "article",
    "bookSection": "chapter",
    "report": "report",
}


def graph_of(text: str) -> Any:
    graph = rdflib.Graph()
    graph.parse(data=text, format="xml", publicID=BASE)
    return graph


def key_of(node: URIRef) -> str:
    return str(node).removeprefix(BASE + "#item_")


def one(graph: Any, node: Any, predicate: Any) -> str | None:
    values = [str(v) for v in graph.objects(node, predicate)]
    assert len(values) <= 1, (node, predicate, values)
    return values[0] if values else None


def read_item(graph: Any, node: URIRef) -> dict[str, Any]:
    """One item as the CSL fields Zotero's RDF import would fill (and the tags)."""
    item: dict[str, Any] = {"type": CSL_TYPE[one(graph, node, Z.itemType)]}

    def put(name: str, value: str | None) -> None:
        if value is not None:
            assert name not in item, (node, name)
            item[name] = value

    put("title", one(graph, node, DC.title))
    authors = next(iter(graph.objects(node, BIB.authors)), None)
    if authors is not None:
        item["author"] = []
        for person in Seq(graph, authors):
            family, given = one(graph, person, FOAF.surname), one(graph, person, FOAF.givenName)
            name = {"family": family}
            if given is not None:
                given, _, suffix = given.partition(", ")
                name.update({"given": given} if given else {})
                name.update({"suffix": suffix} if suffix else {})
            item["author"].append(name)
    for container in graph.objects(node, DCTERMS.isPartOf):
        put("container-title", one(graph, container, DC.title))
        put("container-title-short", one(graph, container, DCTERMS.alternative))
        put("volume", one(graph, container, PRISM.volume))
        put("issue", one(graph, container, PRISM.number))
    for conference in graph.objects(node, BIB.presentedAt):
        put("event-title", one(graph, conference, DC.title))
    for organization in graph.objects(node, DC.publisher):
        put("publisher", one(graph, organization, FOAF.name))
    put("container-title", one(graph, node, Z.seriesTitle))  # a report's series (no journal)
    put("number", one(graph, node, PRISM.number))
    put("genre", one(graph, node, Z.genre))
    date = one(graph, node, DC.date)
    if date is not None:
        item["issued"] = {"date-parts": [[int(p) for p in date.split("-")]]}
    put("page", one(graph, node, BIB.pages))
    for identifier in graph.objects(node, DC.identifier):
        if isinstance(identifier, rdflib.Literal):
            assert str(identifier).startswith("DOI "), identifier
            put("DOI", str(identifier)[4:])
        else:
            put("URL", one(graph, identifier, RDF.value))
    put("note", one(graph, node, DC.description))
    item["tags"] = sorted(str(t) for t in graph.objects(node, DC.subject))
    return item


def items_of(graph: Any) -> dict[str, dict[str, Any]]:
    return {key_of(node): read_item(graph, node) for node in graph.subjects(Z.itemType, None)}


def collections_of(graph: Any) -> dict[str, tuple[list[str], list[str]]]:
    """title -> (sub-collection titles, item keys), from the z:Collection nodes."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for node in graph.subjects(RDF.type, Z.Collection):
        title = one(graph, node, DC.title)
        assert title is not None and title not in found, title
        children, keys = [], []
        for part in graph.objects(node, DCTERMS.hasPart):
            if (part, RDF.type, Z.Collection) in graph:
                children.append(one(graph, part, DC.title))
            else:
                assert (part, Z.itemType, None) in graph, part  # points at an item of this file
                keys.append(key_of(part))
        found[title] = (children, keys)
    return found


def expected_item(record: Any) -> dict[str, Any]:
    """What the export must carry: the CSL-JSON item, less what goes elsewhere, plus tags."""
    item = {k: v for k, v in csl_item(record).items() if k not in CARRIED_ELSEWHERE or k == "type"}
    if item["type"] == "article" and record.get("arxiv"):
        item["number"] = f"arXiv:{record.get('arxiv')}"  # the Archive ID, which no style prints here
    if item["type"] == "report":
        item.pop("container-title-short", None)  # Zotero's report has no field for it
    # Zotero keeps one single-field name for both a corporate (literal) name and a mononym.
    item["author"] = [{"family": n["literal"]} if "literal" in n else n for n in item.get("author", [])]
    if not item["author"]:
        del item["author"]
    item["tags"] = sorted(record_tags(record))
    return item


# -- fields --------------------------------------------------------------------------------------------


def test_every_csl_field_has_a_place():
    """A field the CSL export gains later must be placed here too, not dropped silently."""
    written = {key for item in csl_items(all_records()) for key in item}
    assert written <= set(_PLACES) | set(CARRIED_ELSEWHERE), written - set(_PLACES) - set(CARRIED_ELSEWHERE)
    assert not set(_PLACES) & set(CARRIED_ELSEWHERE)


@pytest.mark.parametrize("records", [realistic_records, all_records], ids=["realistic", "hostile"])
def test_every_record_reads_back_with_every_csl_field(records):
    records = records()
    graph = graph_of(zotero_rdf_text(records))
    items = items_of(graph)
    assert sorted(items) == sorted(r.key for r in records)  # one item per record, none extra
    compared = 0
    for record in records:
        want, got = expected_item(record), items[record.key]
        assert got == want, record.key
        compared += len(want)
    assert compared > 8 * len(records)


def test_extra_carries_the_key_and_the_arxiv_id():
    records = realistic_records()
    items = items_of(graph_of(zotero_rdf_text(records)))
    with_arxiv = 0
    for record in records:
        extra = items[record.key]["note"].split("\n")
        assert extra[0] == f"Citation Key: {record.key}"  # Better BibTeX reads this line
        arxiv = record.get("arxiv")
        if arxiv and items[record.key]["type"] == "article":
            assert items[record.key]["number"] == f"arXiv:{arxiv}"  # Zotero: the preprint's archive ID
            with_arxiv += 1
        elif arxiv:
            assert f"arXiv: {arxiv}" in extra
            with_arxiv += 1
    assert with_arxiv >= 3


def test_venue_and_year_tags():
    records = {r.key: r for r in realistic_records()}
    items = items_of(graph_of(zotero_rdf_text(list(records.values()))))
    assert items["yu2022orca"]["tags"] == ["2022", "OSDI"]
    tagged = [k for k, r in records.items() if r.tag is not None]
    assert tagged and all(items[k]["tags"] for k in tagged)


# -- structure on the seed -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed():
    recordset = load_list()
    text = zotero_rdf_text(recordset.records)
    return recordset, text, graph_of(text)


def test_seed_every_record_is_one_item_in_the_collections_of_all_its_sections(seed):
    recordset, _, graph = seed
    items = items_of(graph)
    assert len(items) == len(recordset.records) == 874
    member_of: dict[str, set[str]] = defaultdict(set)
    for title, (_, keys) in collections_of(graph).items():
        assert len(keys) == len(set(keys)), title  # once per collection
        for key in keys:
            member_of[key].add(title)
    several = 0
    for record in recordset.records:
        assert member_of[record.key] == {s.label for s in record.sections}, record.key
        several += len(record.sections) > 1
    assert several == 77  # the list's cross-listed papers: one item, several collections


def test_seed_collection_counts_equal_the_list(seed):
    recordset, _, graph = seed
    collections = collections_of(graph)
    report = list_report(recordset)
    listed = {s["section"]: s["records"] for s in report["sections"]}
    counts = {title: len(keys) for title, (_, keys) in collections.items()}
    assert {t: n for t, n in counts.items() if n} == {t: n for t, n in listed.items() if n}
    assert sum(1 for n in counts.values() if n) == report["sections_with_items"] == 31
    assert set(counts) <= set(listed)  # every collection is a heading of the list


def test_seed_collections_nest_as_the_list_headings(seed):
    recordset, _, graph = seed
    collections = collections_of(graph)
    parents: dict[str, list[str]] = defaultdict(list)
    for title, (children, _) in collections.items():
        for child in children:
            parents[child].append(title)
    assert all(len(p) == 1 for p in parents.values())  # a tree: one parent at most
    expected_edges = {
        (path[i].label, path[i + 1].label)
        for record in recordset.records
        for item in record.items
        for path in [item.section_path]
        for i in range(len(path) - 1)
    }
    edges = {(p[0], child) for child, p in parents.items()}
    assert edges == expected_edges
    roots = [t for t in collections if t not in parents]
    assert len(roots) == 14 and "2 Training System" in roots and "Others" in roots
    assert collections["1 Data Processing"][1] == []  # a heading with only sub-sections
    assert Counter(len(t.split(" ", 1)[0].split(".")) for t in collections if t[0].isdigit()) == {
        1: 13,
        2: 16,
        3: 4,
    }


def test_seed_collections_follow_list_order(seed):
    _, text, _ = seed
    titles = re.findall(r"<z:Collection [^>]*>\n\s*<dc:title>([^<]*)</dc:title>", text)
    assert titles[:3] == ["1 Data Processing", "1.1 Data pipeline optimization", "1.1.1 General"]
    assert titles[-1] == "Others"


def test_deterministic_bytes(seed):
    recordset, text, _ = seed
    assert zotero_rdf_text(recordset.records) == text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF') and text.endswith(
        "</rdf:RDF>\n"
    )


# -- hostile text --------------------------------------------------------------------------------------


def test_hostile_strings_stay_text_in_well_formed_xml():
    records = all_records()
    text = zotero_rdf_text(records)
    safe_fromstring(text.encode("utf-8"))  # no DTD, no entity declaration, well-formed
    assert "<!" not in text and "<script" not in text and "<span" not in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
    graph = graph_of(text)
    items = items_of(graph)
    for record in hostile_records():
        assert items[record.key]["title"] == csl_item(record)["title"], record.key
    script = items["script2024"]["title"]
    assert script.startswith("<script>alert(1)</script>")  # literal text again after parsing
    collections = collections_of(graph)
    assert EVIL_SECTION.label in collections
    assert sorted(collections[EVIL_SECTION.label][1]) == sorted(r.key for r in hostile_records())


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
        (
            '<!ENTITY x SYSTEM "file:///etc/passwd">&x;',
            '&lt;!ENTITY x SYSTEM "file:///etc/passwd"&gt;&amp;x;',
        ),
        ("nul\x00 esc\x1b lone\ud800 nonchar\ufffe ok", "nul esc lone nonchar ok"),
        ("tab\tnewline\n", "tab\tnewline\n"),
    ],
)
def test_xml_text(raw, text):
    assert xml_text(raw) == text
