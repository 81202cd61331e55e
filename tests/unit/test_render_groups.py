"""Which entries a split APA run must keep together, and the stand-ins each run gets (no pandoc)."""

from __future__ import annotations

from mlsys_bib.export import citeproc_runs as cr


def _item(ident: str, family: str | None, year: int | None, **extra: object) -> dict:
    item: dict = {"id": ident, "type": "paper-conference", "title": f"On {ident}", **extra}
    if family is not None:
        item["author"] = [{"family": family, "given": "Kai"}]
    if year is not None:
        item["issued"] = {"date-parts": [[year, 5]]}
    return item


def _groups(items: list[dict]) -> list[list[str]]:
    return [[items[i]["id"] for i in group] for group in cr.ambiguity_groups(items)]


def test_groups_are_a_family_and_a_year() -> None:
    items = [_item("a", "Chen", 2020), _item("b", "Wang", 2020), _item("c", "Chén", 2020),
             _item("d", "Chen", 2021), _item("e", "chen", 2020), _item("f", "Chen", None)]  # fmt: skip
    assert _groups(items) == [["a", "c", "e"], ["b"], ["d"], ["f"]]


def test_a_family_name_word_joins_families() -> None:
    # pandoc may read "van Dyk" as particle + "Dyk": the two stay together
    items = [_item("a", "van Dyk", 2020), _item("b", "Dyk", 2020), _item("c", "Van", 2020)]
    assert _groups(items) == [["a", "b", "c"]]


def test_a_title_cited_in_place_of_an_author_joins_the_families_it_names() -> None:
    items = [_item("a", "Chen", 2020), _item("b", "Wang", 2020), _item("c", None, 2020, title="Chen"),
             _item("d", None, 2020, title="Nobody"), _item("e", None, 2021, title="Wang")]  # fmt: skip
    assert _groups(items) == [["a", "c", "d"], ["b"], ["e"]]


def test_years_as_printed() -> None:
    assert cr.item_year({"issued": {"date-parts": [["2020", 1]]}}) == "2020"
    assert cr.item_year({"issued": {"literal": "Spring 2019"}}) == "2019"
    assert cr.item_year({"issued": {"literal": "forthcoming"}}) == ""
    assert cr.item_year({}) == ""


def test_each_run_gets_the_first_authors_of_its_families_it_lacks(monkeypatch) -> None:
    monkeypatch.setattr(cr, "CHUNK", 2)
    kai = {"family": "Chen", "given": "Kai"}
    mei = {"family": "Chen", "given": "Mei"}
    items = [
        {"id": "a", "type": "book", "title": "A", "author": [kai], "issued": {"date-parts": [[2020]]}},
        {"id": "b", "type": "book", "title": "B", "author": [kai], "issued": {"date-parts": [[2020]]}},
        {"id": "c", "type": "book", "title": "C", "author": [mei], "issued": {"date-parts": [[2021]]}},
        {"id": "d", "type": "book", "title": "D", "author": [{"family": "Wang", "given": "Li"}]},
    ]
    runs = cr.chunks(items)
    real = [[i["id"] for i in run if not i["id"].startswith("mlsys-bib-ghost")] for run in runs]
    ghosts = [[i["author"][0] for i in run if i["id"].startswith("mlsys-bib-ghost")] for run in runs]
    assert real == [["a", "b"], ["c", "d"]]  # runs of about CHUNK entries, whole groups
    assert ghosts == [[mei], [kai]]
    years = {
        str(i["issued"]["date-parts"][0][0]) for run in runs for i in run if i["id"].startswith("mlsys-bib-")
    }
    assert len(years) == 2 and not years & {"2020", "2021"}
