"""The generic parser on hand-written samples of each shape (tests/data/lists), so a fresh clone tests it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mlsys_bib.parse.citation import authors_from_text, venue_year_in_text
from mlsys_bib.parse.hosts import venue_from_url
from mlsys_bib.parse.markdown import LineKind
from mlsys_bib.parse.shape import is_tagged_list, parse_any

DATA = Path(__file__).resolve().parents[1] / "data" / "lists"


def _parse(name):
    return parse_any((DATA / name).read_text(encoding="utf-8"))


def test_tables_by_header_with_nickname_authors_and_hosts():
    parsed = _parse("table-list.md")
    items = {i.title: i for i in parsed.items}
    gnn = items["GNNAdvisor: An Adaptive and Efficient Runtime System for GNN Acceleration on GPUs"]
    assert (gnn.tag.venue, gnn.tag.year, gnn.aliases, gnn.authors) == ("OSDI", 2021, ("GNNAdvisor",),
                                                                       ("Yuke Wang", "Boyuan Feng"))
    cofree = items["Communication-Free Distributed GNN Training with Vertex Cut"]
    assert [i.curie for i in cofree.identifiers] == ["arxiv:2308.03209"]
    assert {lk.label for lk in cofree.links} == {"arxiv", "code"}
    survey = items["Distributed Graph Neural Network Training: A Survey"]
    assert survey.tag.venue == "CSUR" and survey.identifiers[0].curie == "doi:10.1145/3648358"
    assert len(parsed.items) == 3
    assert [s.title for s in parsed.sections] == ["Papers", "Kernels", "Libraries"]


def test_every_other_line_is_skipped_with_a_reason_or_reported():
    parsed = _parse("table-list.md")
    reasons = Counter((r.kind, r.reason) for r in parsed.reports)
    assert reasons[(LineKind.SKIPPED, "in section 'Contents'")] == 2
    assert reasons[(LineKind.SKIPPED, "in section 'Contribute'")] == 1
    assert reasons[(LineKind.SKIPPED, "software project")] == 1
    assert reasons[(LineKind.SKIPPED, "blog post")] == 1
    [bad] = parsed.unparsed
    assert bad.reason == "table row without a title" and bad.line == 14


def test_citation_style_and_nested_author_and_venue_lines():
    parsed = _parse("bullet-list.md")
    items = {i.title: i for i in parsed.items}
    mlperf = items["Mlperf inference benchmark"]
    assert (mlperf.authors, mlperf.tag.venue, mlperf.tag.year) == (("Vijay Janapa Reddi",), "arXiv", 2019)
    clock = items["Serving DNNs like Clockwork: Performance Predictability from the Bottom Up"]
    assert clock.tag.raw == "OSDI 2020"  # the list's venue line beats the arXiv link's
    assert clock.authors[:2] == ("A. Gujarati", "R. Karimi") and clock.authors[-1] == "J Mace"
    clipper = items["Clipper: A Low-Latency Online Prediction Serving System"]
    assert (clipper.tag.venue, clipper.tag.year, clipper.authors) == ("NSDI", 2017, ("Daniel Crankshaw",))
    assert clipper.notes == ("Summary: Adaptive batch",)
    parity = items["Parity Models: Erasure-Coded Resilience for Prediction Serving Systems"]
    assert (parity.tag.venue, parity.tag.year) == ("SOSP", 2019)
    mark = next(t for t in items if t.startswith("MArk"))
    assert (items[mark].tag.venue, items[mark].tag.year) == ("ATC", 2019)  # from usenix.org/conference/atc19
    assert len(parsed.items) == 5
    [bad] = parsed.unparsed
    assert bad.line == 14 and "Llama" in bad.text
    assert any(r.reason == "software project" for r in parsed.reports)


def test_the_seed_shape_still_goes_to_the_seed_parser(seed_path):
    text = seed_path.read_text(encoding="utf-8")
    assert is_tagged_list(text)
    assert not is_tagged_list((DATA / "table-list.md").read_text(encoding="utf-8"))
    parsed = parse_any(text)
    assert len(parsed.items) == 964 and parsed.unparsed == []


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.usenix.org/conference/atc20/presentation/shahrad", ("ATC", 2020)),
    ("https://www.usenix.org/system/files/osdi18-lee.pdf", ("OSDI", 2018)),
    ("https://arxiv.org/pdf/2006.02464.pdf", ("arXiv", 2020)),
    ("https://www.vldb.org/pvldb/vol14/p1-x.pdf", ("VLDB", 2021)),
    ("https://proceedings.neurips.cc/paper/2020/hash/x.html", ("NeurIPS", 2020)),
    ("https://example.org/paper.pdf", None),
])
def test_venue_from_url(url, expected):
    assert venue_from_url(url) == expected


def test_text_venues_and_author_lists():
    assert venue_year_in_text("In Proceedings of the 18th ACM/IFIP/USENIX Middleware Conference, pp. 109-120. 2017.") \
        == ("Middleware", 2017)
    assert venue_year_in_text("(*OSDI 2018*)") == ("OSDI", 2018)
    assert venue_year_in_text("a note with no venue") == ("", None)
    assert authors_from_text("Sreekanti, Vikram, Harikaran Subbaraj, Chenggang Wu, and Joseph M. Hellerstein.") \
        == ["Vikram Sreekanti", "Harikaran Subbaraj", "Chenggang Wu", "Joseph M. Hellerstein"]
    assert authors_from_text("A stateful FaaS platform, with 3 parts") == []
