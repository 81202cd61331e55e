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
    sv.reads.cache_clear()
    sv._style.cache_clear()
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


APA_LIKE = (
    '<macro name="author"><names variable="author"><substitute><names variable="editor"/>'
    '<text macro="title"/></substitute></names></macro>'
    '<macro name="title"><choose><if type="book"><text variable="title"/></if>'
    '<else-if variable="container-title"><text variable="genre"/></else-if>'
    '<else><text variable="publisher"/></else></choose></macro>'
)


def test_what_an_item_cannot_reach_is_not_kept(tmp_path: Path) -> None:
    """Per item: no substitute when the author has a name, no branch its type or fields rule out;
    a field only tested for emptiness is given as "x"."""
    style = _style(tmp_path, '<key macro="author"/>', APA_LIKE)
    base = {"title": "T", "genre": "G", "publisher": "P", "container-title": "Proc. Y", "URL": "u"}
    items = [
        {"id": "a", "type": "book", "author": [{"family": "Chen"}], **base},
        {"id": "b", "type": "book", "author": [{"given": "Kai"}], **base},  # no family: may substitute
        {"id": "c", "type": "book", "editor": [{"family": "Li"}], **base},  # editor stands in
        {"id": "d", "type": "article", **base},
        {"id": "e", "type": "article", **{k: v for k, v in base.items() if k != "container-title"}},
        {"id": "f", "type": "article", **base, "container-title": "<i></i>"},  # maybe empty: kept
        {"id": "g", "type": "article", **base, "note": "type: book"},  # a note may set anything
    ]
    assert sv.project(items, style) == [
        {"id": "a", "type": "book", "author": [{"family": "Chen"}]},
        {"id": "b", "type": "book", "author": [{"given": "Kai"}], "title": "T"},
        {"id": "c", "type": "book", "editor": [{"family": "Li"}]},
        {"id": "d", "type": "article", "genre": "G", "publisher": "P", "container-title": "x"},
        {"id": "e", "type": "article", "publisher": "P"},
        {"id": "f", "type": "article", "genre": "G", "publisher": "P", "container-title": "<i></i>"},
        {"id": "g", "type": "article", **{k: v for k, v in base.items() if k != "URL"}, "note": "type: book"},
    ]


def test_a_variable_used_up_by_a_substitute_is_empty_afterwards(tmp_path: Path) -> None:
    """pandoc empties a variable a substitute used: a later <names> of it substitutes again."""
    macros = (
        '<macro name="m"><names variable="editor"><substitute><names variable="author"/></substitute></names>'
        '<names variable="author"><substitute><text variable="title"/></substitute></names></macro>'
    )
    style = _style(tmp_path, '<key macro="m"/>', macros)
    item = {"id": "a", "type": "book", "author": [{"family": "Chen"}], "title": "T"}
    assert sv.project([item], style) == [item]
    macros = (  # the same when the substitute uses it through a macro walked before
        '<macro name="ed"><names variable="editor"/></macro>'
        '<macro name="m"><text macro="ed"/><names variable="author"><substitute><text macro="ed"/>'
        '</substitute></names><names variable="editor"><substitute><text variable="title"/></substitute>'
        "</names></macro>"
    )
    style = _style(tmp_path, '<key macro="m"/>', macros)
    item = {"id": "a", "type": "book", "editor": [{"family": "Li"}], "title": "T", "URL": "u"}
    assert sv.project([item], style) == [{k: v for k, v in item.items() if k != "URL"}]
