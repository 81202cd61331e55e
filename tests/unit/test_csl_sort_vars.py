"""Which CSL variables a style's bibliography sort reads (export/csl_sort_vars.py): what pandoc's
order-only run is given. Whether the order stays the same is checked against pandoc in
tests/integration/test_render_many.py."""

from __future__ import annotations

from pathlib import Path

from mlsys_bib.export import csl_sort_vars as sv
from mlsys_bib.export.refs import STYLES


def _style(tmp_path: Path, sort: str, macros: str = "") -> Path:
    path = tmp_path / "s.csl"
    path.write_text(
        '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
        f'{macros}<citation><layout><text variable="title"/></layout></citation>'
        f'<bibliography><sort>{sort}</sort><layout><text variable="URL"/></layout></bibliography></style>',
        encoding="utf-8",
    )
    sv.sort_variables.cache_clear()
    return path


def test_the_vendored_styles() -> None:
    acm = sv.sort_variables(Path(STYLES["acm"]))
    assert acm is not None and {"author", "editor", "issued", "id", "type"} <= acm
    assert not {"title", "url", "doi", "publisher", "container-title", "page"} & acm
    apa = sv.sort_variables(Path(STYLES["apa"]))
    assert apa is not None
    # the sort's own keys, and what the author substitute falls back to
    assert {"author", "issued", "status", "title", "volume", "editor", "container-title"} <= apa
    assert sv.sort_variables(Path(STYLES["ieee"])) == sv.ALWAYS  # no bibliography sort


def test_macros_substitutes_and_conditions_are_followed(tmp_path: Path) -> None:
    macros = (
        '<macro name="a"><names variable="author"><substitute><names variable="editor"/>'
        '<text macro="b"/></substitute></names></macro>'
        '<macro name="b"><choose><if is-numeric="volume" is-uncertain-date="original-date">'
        '<text variable="title" form="short"/></if><else-if variable="genre medium" type="book">'
        '<text macro="a"/></else-if></choose><label variable="page-first"/></macro>'
        '<macro name="unused"><text variable="publisher"/></macro>'
    )
    keep = sv.sort_variables(_style(tmp_path, '<key macro="a"/><key variable="issued"/>', macros))
    assert keep is not None
    for name in ("author", "editor", "volume", "original-date", "title", "title-short", "genre",
                 "medium", "page", "pages", "issued", "id", "type", "language", "note"):  # fmt: skip
        assert name in keep, name
    assert "publisher" not in keep and "url" not in keep


def test_unmodelled_reads_give_whole_items(tmp_path: Path) -> None:
    items = [{"id": "a", "type": "book", "URL": "u", "title": "T"}]
    assert sv.sort_variables(_style(tmp_path, '<key variable="citation-label"/>')) is None
    assert sv.project(items, tmp_path / "s.csl") is items
    assert sv.sort_variables(_style(tmp_path, '<key macro="missing"/>')) is None
    (tmp_path / "broken.csl").write_text("<style", encoding="utf-8")
    assert sv.sort_variables(tmp_path / "broken.csl") is None


def test_project_keeps_what_is_read_case_insensitively(tmp_path: Path) -> None:
    style = _style(tmp_path, '<key variable="Title"/><key macro="c"/>',
                   '<macro name="c"><text variable="container-title" form="short"/></macro>')  # fmt: skip
    items = [
        {"id": "a", "type": "book", "TITLE": "T", "URL": "u", "journalAbbreviation": "J", "Note": "x: y"},
        {"id": "b", "type": "book", "abstract": "long"},
    ]
    assert sv.project(items, style) == [
        {"id": "a", "type": "book", "TITLE": "T", "journalAbbreviation": "J", "Note": "x: y"},
        {"id": "b", "type": "book"},
    ]
    assert items[0]["URL"] == "u"  # a copy: the rendering runs get the whole items
    kept = [{"id": "a", "type": "book", "title": "T"}]
    assert sv.project(kept, style) is kept  # nothing to drop, nothing copied
