"""Rendering several styles at once, and a large bibliography in several pandoc runs, gives
exactly what one pandoc run per style gives: same entries, texts, labels and order.

The collision set is built so that APA needs every kind of disambiguation (initials, added names,
year suffixes, a title read like an author's name) and so that a split by year is wrong unless
each run is given the first authors of other years (the test without them shows the difference).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from mlsys_bib.export import citeproc_pandoc as cp
from mlsys_bib.export import citeproc_runs as cr
from mlsys_bib.export import csl_sort_vars as sv
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


# -- the order-only run, given only what the sort reads ---------------------------------------------

SEED = Path(__file__).resolve().parents[2] / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"


@pytest.fixture(scope="module")
def seed_items(tmp_path_factory) -> list[dict]:
    """The seed's entries as the renderer gets them, resolved against the loopback fakes (authors
    with particles and accents, arXiv-only, venues, pages, DOIs; ~3 s)."""
    from mlsys_bib.build import load_list
    from mlsys_bib.export import refs
    from mlsys_bib.export.csljson import csl_item
    from mlsys_bib.resolve import resolve_records
    from tests.fakes.services import FakeServices, loopback_settings

    with FakeServices(SEED) as fs:
        recordset = load_list(SEED)
        settings = loopback_settings(fs, tmp_path_factory.mktemp("seed") / "cache.sqlite")
        resolve_records(list(recordset.records), settings)
    items = [refs.render_item(r, csl_item(r)) for r in recordset.records]
    assert sum("author" in i for i in items) > 800 and sum("URL" in i for i in items) > 800
    return items


def _collisions() -> list[dict]:
    """Entries whose order rests on every sort key: shared family names (accented, with particles),
    same years and titles, no authors (sorted by title or editor), missing and uncertain dates,
    forthcoming ones, volumes; with fields no sort reads (URL, DOI, publisher, pages, genre)."""
    items = _items(300, seed=13)
    rnd = random.Random(13)
    for n, item in enumerate(items):
        item.update(URL=f"https://example.org/{n}", DOI=f"10.1/{n}", publisher=rnd.choice(["ACM", "IEEE"]))
        if n % 3 == 0:
            item.update(page=f"{n}-{n + 9}", genre="Preprint", volume=str(rnd.randint(1, 3)))
    extra = [
        {"type": "book", "title": "Äpfel und Birnen", "issued": {"date-parts": [[2020]]}},
        {"type": "book", "title": "apfel", "issued": {"date-parts": [[2020]]}},
        {"type": "book", "title": "Zebra", "editor": [{"family": "Chen", "given": "Kai"}]},
        {"type": "book", "title": "Zebra", "editor": [{"family": "Chén", "given": "Ana"}],
         "issued": {"date-parts": [[2020]], "circa": True}},
        {"type": "report", "title": "Paper A 1", "author": [{"literal": "Chen Group"}],
         "issued": {"date-parts": [[2020, 5, 1]]}},
        {"type": "article-journal", "title": "Paper A 1", "author": [{"family": "Dyk", "given": "Marek",
         "non-dropping-particle": "van"}], "issued": {"date-parts": [[2021]]}, "volume": "2"},
        {"type": "article-journal", "title": "Paper A 1", "author": [{"family": "Dyk", "given": "Marek",
         "non-dropping-particle": "van"}], "issued": {"date-parts": [[2021]]}, "volume": "1"},
        {"type": "paper-conference", "title": "In press", "status": "forthcoming",
         "author": [{"family": "Li", "given": "Mei"}]},
        {"type": "paper-conference", "title": "Undated", "author": [{"family": "Li", "given": "Mei"}]},
        {"type": "paper-conference", "title": "Ostrich", "author": [{"family": "Øster", "given": "Ana"}],
         "issued": {"date-parts": [[2019]]}},
        {"type": "paper-conference", "title": "Ostrich", "author": [{"family": "Oster", "given": "Ána"}],
         "issued": {"date-parts": [[2019]]}},
    ]  # fmt: skip
    items += [{"id": f"x{n}", **item, "URL": f"https://example.org/x{n}"} for n, item in enumerate(extra)]
    return items


def _order(items: list[dict], style: Path, tmp: Path) -> list[str]:
    return [r.key for r in cp.render(items, cr.order_only(style, tmp))]


@pytest.mark.parametrize("name", ["apa", "acm"])
@pytest.mark.parametrize("which", ["seed", "collisions"])
def test_the_order_run_reads_only_what_the_sort_reads(name, which, seed_items, tmp_path: Path) -> None:
    """Given only the variables its sort reads, the order-only run orders the entries exactly as
    it does with whole items, and as one whole pandoc run of the style does."""
    style = Path(STYLES[name])
    items = seed_items if which == "seed" else _collisions()
    projected = sv.project(items, style)
    assert len(json.dumps(projected)) < (0.6 if name == "acm" else 0.8) * len(json.dumps(items))
    full = _order(items, style, tmp_path)
    assert len(full) == len(items) and full == [r.key for r in cp.render(items, style)]
    assert _order(list(projected), style, tmp_path) == full


@pytest.mark.parametrize(("name", "dropped"), [("apa", "title"), ("apa", "issued"), ("acm", "issued")])
def test_dropping_a_variable_the_sort_reads_changes_the_order(name, dropped, tmp_path) -> None:
    """The check above can fail: without a variable the sort reads, the order is another."""
    style = Path(STYLES[name])
    items = _collisions()
    projected = list(sv.project(items, style))
    assert all(dropped in p for i, p in zip(items, projected, strict=True) if dropped in i)
    without = [{k: v for k, v in p.items() if k != dropped} for p in projected]
    assert _order(without, style, tmp_path) != _order(items, style, tmp_path)
