"""The reference lists' output formats are one table (export/refs/formats.py): every format gets the
same laid-out pages, and a new format is one object and one row. Pandoc is replaced by a stand-in
(these tests check the writing, not the rendering: tests/integration/test_refs.py does that)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from mlsys_bib.export import citeproc_pandoc, refs
from mlsys_bib.export.refs.formats import FORMATS
from mlsys_bib.export.refs.layout import SectionPage, StyleNames
from mlsys_bib.export.refs.render import Entry
from mlsys_bib.model import Kind
from tests.fakes.records import S_DATA, S_TRAIN, make_record

I_OPEN, I_CLOSE = "\ue000", "\ue001"


def _records():
    return [
        make_record("a", "Alpha <script>", Kind.PROCEEDINGS, sections=(S_TRAIN,), line=3, doi="10.1/a"),
        make_record("b", "Beta", Kind.PREPRINT, sections=(S_TRAIN, S_DATA), line=1, arxiv="2401.00001"),
    ]


@pytest.fixture
def fake_pandoc(monkeypatch):
    """Every style renders each item as its title in italics, numbered, with its DOI printed."""

    def text(item):
        doi = f" https://doi.org/{item['DOI']}" if item.get("DOI") else ""
        return f"{I_OPEN}{item.get('title', '')}{I_CLOSE}.{doi}"

    def render_many(jobs):
        return {
            name: [citeproc_pandoc.Rendered(item["id"], f"[{n}]", text(item)) for n, item in enumerate(items, 1)]
            for name, (items, _style) in jobs.items()
        }

    monkeypatch.setattr(citeproc_pandoc, "render_many", render_many)


def test_every_format_writes_every_section_and_the_linking_ones_an_index(tmp_path, fake_pandoc):
    report = refs.write_refs(_records(), tmp_path, styles=("ieee",))
    style_dir = tmp_path / "refs" / "ieee"
    slugs = {S_TRAIN.slug, S_DATA.slug}
    for ext, fmt in FORMATS.items():
        for slug in slugs:
            assert (style_dir / f"{slug}.{ext}").is_file()
        has_index = fmt.index_file(StyleNames("ieee", "IEEE"), []) is not None
        assert (style_dir / f"index.{ext}").is_file() == has_index
    assert report.entries == {"ieee": 3}  # b is listed in two sections
    html = (style_dir / f"{S_TRAIN.slug}.html").read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://doi.org/10.1/a">https://doi.org/10.1/a</a>' in html
    # numbered afresh in each section, in list order (b is on line 1 of S_TRAIN)
    text = (style_dir / f"{S_TRAIN.slug}.txt").read_text()
    assert text.index("[1] Beta") < text.index("[2] Alpha")
    assert "[1] Beta" in (style_dir / f"{S_DATA.slug}.txt").read_text()


class _Csv:
    """A format the package does not have: one row per entry, no index."""

    ext = "csv"

    def entry(self, entry: Entry) -> str:
        return f"{entry.key},{entry.label}"

    def section_file(self, page: SectionPage) -> str:
        return "".join(self.entry(e) + "\n" for e in page.entries)

    def index_file(self, style: StyleNames, pages: Sequence[SectionPage]) -> str | None:
        return None


def test_a_new_format_is_one_object_and_one_row(tmp_path, fake_pandoc, monkeypatch):
    monkeypatch.setitem(FORMATS, "csv", _Csv())
    report = refs.write_refs(_records(), tmp_path, styles=("ieee",))
    csv = (tmp_path / "refs" / "ieee" / f"{S_TRAIN.slug}.csv").read_text()
    assert csv == "b,[1]\na,[2]\n"
    assert not (tmp_path / "refs" / "ieee" / "index.csv").exists()
    assert report.to_dict()["files"] == 2 * len(FORMATS) + 2  # two sections per format, md and html index


def test_a_renderer_failure_still_lists_every_entry_in_every_format(tmp_path, monkeypatch):
    def broken(jobs):
        return {name: citeproc_pandoc.RenderError("pandoc exited 83") for name in jobs}

    monkeypatch.setattr(citeproc_pandoc, "render_many", broken)
    report = refs.write_refs(_records(), tmp_path, styles=("apa",))
    assert [f.key for f in report.failures] == ["*"]
    for ext in FORMATS:
        page = (tmp_path / "refs" / "apa" / f"{S_TRAIN.slug}.{ext}").read_text()
        assert "Alpha" in page and "Beta" in page
    assert 'class="csl-entry unformatted"' in (tmp_path / "refs" / "apa" / f"{S_TRAIN.slug}.html").read_text()
