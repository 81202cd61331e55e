"""The site's pure parts: escaping of every list string, cutting entries out of the exports,
the biblatex delta, the search index (export/site/)."""

from __future__ import annotations

import json

from mlsys_bib.export.bibtex import bibtex_text
from mlsys_bib.export.csljson import csl_json_text
from mlsys_bib.export.site import downloads, index_data, page
from mlsys_bib.export.site.papers import SiteLink, SitePaper, fold, published_since, site_paper
from mlsys_bib.model import Kind, Link, Section, VenueTag
from tests.fakes.records import make_record, realistic_records

EVIL = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def _paper(**kw) -> SitePaper:
    base = dict(key="evil-osdi24", title=EVIL, authors=[EVIL], aliases=[EVIL], venue=EVIL, year=2024,
                kinds=["published"], links=[SiteLink(EVIL, "https://example.org/a%22b")], sections=[0],
                published=EVIL)
    base.update(kw)
    return SitePaper(**base)


def test_every_list_string_is_escaped_in_the_page():
    section = page.SiteSection("evil", "1", EVIL, ("evil-osdi24",))
    html = page.index_html(
        EVIL, [section], {"evil-osdi24": _paper()}, {"apa": {}}, ["apa"], [EVIL],
        page.WholeList("../mlsys.bib", "../b.bib", "../c.json"), {"evil": ("dl/evil.bib", "dl/evil.json")},
    )
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in html
    assert html.count("<script ") == 2  # data.js and site.js, nothing inline
    assert " style=" not in html  # no inline style: the CSP forbids it
    assert f'content="{page.CSP}"' in html and "'unsafe-inline'" not in page.CSP


def test_paper_card_has_anchor_only_once():
    sections = [page.SiteSection("a", "1", "A", ("k",)), page.SiteSection("b", "2", "B", ("k",))]
    paper = _paper(key="k", sections=[0, 1])
    first = page.paper_html(paper, {"apa": {"k": "ref"}}, ["apa"], sections, anchor=True)
    again = page.paper_html(paper, {"apa": {"k": "ref"}}, ["apa"], sections, anchor=False)
    assert ' id="k"' in first and ' id="k"' not in again and 'data-key="k"' in again
    assert 'href="#_s-a"' in first and 'href="#_s-b"' in first


def test_split_bib_gives_back_the_file_and_each_entry():
    records = realistic_records()
    text = bibtex_text(records)
    header, entries = downloads.split_bib(text)
    assert list(entries) == [r.key for r in records]
    assert downloads.section_bib(header, entries, [r.key for r in records]) == text
    for key, entry in entries.items():
        assert entry.startswith("@") and f"{{{key}," in entry.splitlines()[0] and entry.endswith("}\n")
        assert entry in text


def test_section_csl_keeps_the_items():
    records = realistic_records()
    items = downloads.split_csl(csl_json_text(records))
    keys = [r.key for r in records][:2]
    assert json.loads(downloads.section_csl(items, keys)) == [items[k] for k in keys]
    assert downloads.section_csl(items, []) == "[]\n"


def test_biblatex_delta_round_trips():
    records = realistic_records()
    _, bib = downloads.split_bib(bibtex_text(records))
    _, blx = downloads.split_bib(bibtex_text(records, biblatex=True))
    for key in bib:
        delta = downloads.line_delta(blx[key], bib[key])
        assert downloads.undelta(delta, bib[key]) == blx[key]
        assert any(isinstance(x, int) for x in delta)  # shared lines are referenced, not repeated


def test_data_js_is_one_deterministic_global():
    papers = [_paper(), _paper(key="b", title="Ünïcode\u2028line", authors=[], aliases=[], venue="OSDI",
                               kinds=["preprint", "survey"])]
    text = index_data.data_js(papers, [("_s-a", "1 A")], ["OSDI"], {"b": "@misc{b,\n}\n"}, {"b": "@misc{b,\n}\n"})
    assert text == index_data.data_js(papers, [("_s-a", "1 A")], ["OSDI"], {"b": "@misc{b,\n}\n"}, {"b": "@misc{b,\n}\n"})
    assert text.startswith("/*") and "\nwindow.MLSYS_SITE={" in text and "\u2028" not in text
    data = json.loads(text[text.index("=") + 1 : text.rindex(";")])
    assert data["papers"][1] == ["b", "unicode line b osdi", [0], 0, 2024, 0b1010]
    assert data["biblatex"]["b"] == [0, 1, 2]


def test_fold_drops_accents_and_case():
    assert fold("  Ünïcode   GPU\tKernels ") == "unicode gpu kernels"


def test_badges_kinds_and_links_from_a_record():
    tag = VenueTag("ES-FoMO @ ICML'24", "ICML", 2024, workshop="ES-FoMO")
    record = make_record("w-icml24", "A workshop paper", Kind.PROCEEDINGS, tag=tag, year=2024, doi="10.1/x")
    record.items[0].links += (Link("code", "https://github.com/x/y"), Link("paper", "javascript:alert(1)"))
    record.items[0].survey = True
    paper = site_paper(record, {})
    assert paper.kinds == ["workshop", "survey"] and paper.venue == "ICML" and paper.year == 2024
    assert [(link.label, link.url) for link in paper.links] == [("code", "https://github.com/x/y"), ("DOI", "https://doi.org/10.1/x")]
    preprint = site_paper(make_record("p-arxiv24", "P", Kind.PREPRINT, arxiv="2401.00001"), {})
    assert preprint.kinds == ["preprint"] and preprint.venue == "arXiv"
    assert preprint.links[0].url == "https://arxiv.org/abs/2401.00001"


def test_published_since_listed_reads_the_report_rows():
    rows = [{"key": "t-arxiv24", "tag": "arXiv'24", "venue": "ICLR 2025", "via": "title"}, {"key": ""}]
    assert published_since(rows) == {"t-arxiv24": "arXiv'24 → ICLR 2025"}
    record = make_record("t-arxiv24", "T", Kind.PROCEEDINGS, sections=(Section("1", "A"),))
    assert site_paper(record, published_since(rows)).published == "arXiv'24 → ICLR 2025"


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa():
    import re

    from mlsys_bib.export.site.assets import asset_bytes

    css = asset_bytes("site.css").decode()
    var = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", css))
    for fg in ("fg", "muted", "link"):
        for bg in ("bg", "panel"):
            assert _contrast(var[fg], var[bg]) >= 4.5, (fg, bg)
    pairs = re.findall(r"background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6})", css)
    assert len(pairs) >= 6
    for bg, fg in pairs:
        assert _contrast(fg, bg) >= 4.5, (fg, bg)


def test_one_arxiv_link_when_the_list_gives_a_versioned_one():
    record = make_record("s-arxiv25", "S", Kind.PREPRINT, arxiv="2501.12407")
    record.items[0].links += (Link("arxiv", "https://arxiv.org/abs/2501.12407v2"),)
    assert [(x.label, x.url) for x in site_paper(record, {}).links] == [("arXiv", "https://arxiv.org/abs/2501.12407v2")]
