"""Rendering several styles at once, and a large bibliography in several pandoc runs, gives
exactly what one pandoc run per style gives: same entries, texts, labels and order.

The collision set is built so that APA needs every kind of disambiguation (initials, added names,
year suffixes, a title read like an author's name) and so that a split by year is wrong unless
each run is given the first authors of other years (the test without them shows the difference).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mlsys_bib.export import citeproc_pandoc as cp
from mlsys_bib.export import citeproc_runs as cr
from mlsys_bib.export.refs import STYLES

pytestmark = pytest.mark.skipif(cp.pandoc_binary() is None, reason="pandoc not available")

FAMILIES = ["Chen", "Chén", "Wang", "Li", "Smith", "Müller", "Mueller", "van Dyk", "Dyk"]
GIVEN = ["Kai", "Kenji", "Marek", "Mei", "Ana", "Karl"]
TYPES = ["paper-conference", "article-journal", "article", "report", "chapter", "book"]


def _items(n: int, seed: int = 7) -> list[dict]:
    """Few names, years and titles: every kind of collision pandoc's APA must resolve."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        authors = [
            {"family": rnd.choice(FAMILIES), "given": rnd.choice(GIVEN)} for _ in range(rnd.randint(1, 4))
        ]
        item = {"id": f"k{i}", "type": rnd.choice(TYPES), "title": f"Paper {rnd.choice('ABCDEFGH')} {i % 7}",
                "container-title": "Proc. X", "issued": {"date-parts": [[rnd.choice([2019, 2020, 2021])]]}}  # fmt: skip
        if i % 17 == 0:
            item.pop("issued")
        if i % 23 != 0:
            item["author"] = authors
        elif i % 2:  # no author: the citation prints the title, here one that reads like a name
            item.update(type="book", title=rnd.choice(["Chen", "Dyk", "Wang et al."]))
        out.append(item)
    return out


def _split_years(runs: list[list[dict]]) -> bool:
    """Whether some first-author family has entries in more than one run (its years apart)."""
    seen: dict[str, set[int]] = {}
    for n, run in enumerate(runs):
        for item in run:
            if item.get("author") and not str(item["id"]).startswith("mlsys-bib-ghost"):
                seen.setdefault(item["author"][0]["family"], set()).add(n)
    return any(len(runs_of) > 1 for runs_of in seen.values())


@pytest.mark.parametrize(("seed", "n", "chunk"), [(7, 240, 25), (3, 300, 10), (11, 400, 60)])
def test_a_disambiguating_style_in_groups_renders_like_one_run(monkeypatch, seed, n, chunk) -> None:
    items = _items(n, seed)
    style = Path(STYLES["apa"])
    whole = cp.render(items, style)
    assert any("2020a" in r.text for r in whole) and any("2020b" in r.text for r in whole)
    monkeypatch.setattr(cr, "PARTITION_MIN", 0)
    monkeypatch.setattr(cr, "CHUNK", chunk)
    runs = cr.chunks(items)
    assert len(runs) > 3 and _split_years(runs)
    assert cr.plan(items, style) == "groups"
    assert cp.render_many({"apa": (items, style)})["apa"] == whole


def test_without_the_stand_ins_a_split_by_year_is_not_faithful(monkeypatch) -> None:
    """The check above can fail: the same split without the first authors of other years in
    each run prints other year suffixes than one whole run."""
    items = _items(240)
    style = Path(STYLES["apa"])
    whole = cp.render(items, style)
    monkeypatch.setattr(cr, "PARTITION_MIN", 0)
    monkeypatch.setattr(cr, "CHUNK", 25)
    monkeypatch.setattr(cr, "GHOSTS", False)
    assert cp.render_many({"apa": (items, style)})["apa"] != whole


def test_independent_styles_in_slices_render_like_one_run(monkeypatch) -> None:
    items = _items(120, seed=5)
    jobs = {name: (items, Path(STYLES[name])) for name in ("ieee", "acm")}
    wholes = {name: cp.render(its, style) for name, (its, style) in jobs.items()}
    monkeypatch.setattr(cr, "PARTITION_MIN", 0)
    monkeypatch.setattr(cr, "SLICE", 17)
    monkeypatch.setattr(cr, "SLICE_MIN", 0)
    assert {name: cr.plan(its, style) for name, (its, style) in jobs.items()} == {
        "ieee": "slices",
        "acm": "slices",
    }
    assert cp.render_many(jobs) == wholes


def test_styles_side_by_side_render_like_one_at_a_time(monkeypatch) -> None:
    items = _items(60, seed=3)
    jobs = {name: (items, Path(STYLES[name])) for name in ("apa", "ieee", "acm")}
    monkeypatch.setattr(cr, "PARTITION_MIN", 10)  # every style split
    monkeypatch.setattr(cr, "SLICE_MIN", 10)
    together = cp.render_many(jobs)
    for name, (its, style) in jobs.items():
        assert together[name] == cp.render(its, style), name


def test_entries_the_grouping_does_not_model_are_rendered_whole(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cr, "PARTITION_MIN", 0)
    apa = Path(STYLES["apa"])
    items = _items(40)
    assert cr.plan(items, apa) == "groups"
    assert cr.plan(items, Path(STYLES["ieee"])) == "whole"  # below SLICE_MIN one run is cheaper
    edited = [*items[:-1], {**items[-1], "editor": [{"family": "Chen", "given": "Kai"}]}]
    assert cr.plan(edited, apa) == "whole"  # APA may cite an editor in the author's place
    assert cr.plan([*items, {"id": "x", "type": "legal_case", "title": "Chen"}], apa) == "whole"
    all_names = tmp_path / "apa-all-names.csl"
    all_names.write_text(apa.read_text(encoding="utf-8").replace(
        'givenname-disambiguation-rule="primary-name-with-initials"', 'givenname-disambiguation-rule="all-names"'
    ), encoding="utf-8")  # fmt: skip
    assert cr.plan(items, all_names) == "whole"  # initials of any author, not only first ones
    monkeypatch.setattr(cr, "PARTITION_MIN", len(items))
    assert cr.plan(items, apa) == "whole"


def test_a_failing_style_is_its_own_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text("<style/>", encoding="utf-8")
    result = cp.render_many({"bad": (_items(3), bad), "ieee": (_items(3), Path(STYLES["ieee"]))})
    assert isinstance(result["bad"], cp.RenderError)
    assert isinstance(result["ieee"], list) and len(result["ieee"]) == 3
