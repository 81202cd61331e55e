"""Rendering several styles at once, and a large disambiguating style in whole ambiguity groups,
gives exactly what one pandoc run per style gives: same entries, texts, labels and order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mlsys_bib.export import citeproc_pandoc as cp
from mlsys_bib.export.refs import STYLES

pytestmark = pytest.mark.skipif(cp.pandoc_binary() is None, reason="pandoc not available")

FAMILIES = ["Chen", "Chén", "Wang", "Li", "Smith", "Müller", "Mueller", "van Dyk"]
GIVEN = ["Kai", "Kenji", "Marek", "Mei", "Ana", "Karl"]


def _items(n: int, seed: int = 7) -> list[dict]:
    """Few names and years, so APA needs every kind of disambiguation: initials, added names,
    year suffixes (also across years for one family), and entries without authors or dates."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        authors = [{"family": rnd.choice(FAMILIES), "given": rnd.choice(GIVEN)} for _ in range(rnd.randint(1, 4))]
        item = {"id": f"k{i}", "type": "paper-conference", "title": f"Paper {rnd.choice('ABCDEFGH')} {i % 7}",
                "container-title": "Proc. X", "issued": {"date-parts": [[rnd.choice([2019, 2020, 2021])]]}}  # fmt: skip
        if i % 17 == 0:
            item.pop("issued")
        if i % 23 != 0:
            item["author"] = authors
        out.append(item)
    return out


def test_a_disambiguating_style_in_groups_renders_like_one_run(monkeypatch) -> None:
    items = _items(240)
    style = Path(STYLES["apa"])
    whole = cp.render(items, style)
    assert any("2020a" in r.text for r in whole) and any("2020b" in r.text for r in whole)
    monkeypatch.setattr(cp, "PARTITION_MIN", 0)
    monkeypatch.setattr(cp, "CHUNK", 25)
    assert len(cp._chunks(items)) > 3
    assert cp.render_many({"apa": (items, style)})["apa"] == whole


def test_styles_side_by_side_render_like_one_at_a_time(monkeypatch) -> None:
    items = _items(60, seed=3)
    jobs = {name: (items, Path(STYLES[name])) for name in ("apa", "ieee", "acm")}
    monkeypatch.setattr(cp, "PARTITION_MIN", 10)  # apa split, the numbered styles whole
    together = cp.render_many(jobs)
    for name, (its, style) in jobs.items():
        assert together[name] == cp.render(its, style), name


def test_a_failing_style_is_its_own_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text("<style/>", encoding="utf-8")
    result = cp.render_many({"bad": (_items(3), bad), "ieee": (_items(3), Path(STYLES["ieee"]))})
    assert isinstance(result["bad"], cp.RenderError)
    assert isinstance(result["ieee"], list) and len(result["ieee"]) == 3
