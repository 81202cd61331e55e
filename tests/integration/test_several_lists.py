"""Several lists, one bibliography: the CLI with repeated --list and with lists.toml, per-list reports,
merging across lists, the seed's counts unchanged, and never a silent 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsys_bib.build import load_list
from mlsys_bib.cli import main
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"
DATA = ROOT / "tests" / "data" / "lists"
OTHER = SHARED / "lists" / "other"


def test_samples_merge_with_the_seed_and_sections_are_prefixed(tmp_path, capsys):
    out = tmp_path / "exports"
    code = main(["-q", "build", "--no-resolve", "--no-refs", "--out", str(out), "--list", str(SEED),
                 "--list", str(DATA / "table-list.md"), "--list", str(DATA / "bullet-list.md")])
    assert code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    lists = {entry["prefix"]: entry for entry in report["lists"]}
    assert set(lists) == {"ml-systems-papers", "table-list", "bullet-list"}
    assert lists["ml-systems-papers"]["items"] == 964 and lists["table-list"]["items"] == 3
    assert lists["bullet-list"]["unparsed"][0]["line"] == 14
    assert report["items"] == 964 + 3 + 5
    bib = json.loads((out / "mlsys.json").read_text(encoding="utf-8"))
    assert any("table-list: Kernels" in (e.get("keyword") or "") for e in bib)
    # the seed has Clipper (NSDI'17) too? merged by title across lists, keeping both sections
    records = load_list([str(SEED), str(DATA / "bullet-list.md")]).records
    for record in records:
        assert len({s.source for s in record.sections}) >= 1


def test_lists_toml_and_a_list_with_no_papers_is_an_error(tmp_path, capsys):
    toml = tmp_path / "lists.toml"
    toml.write_text(f"""
[[list]]
name = "ML systems papers"
prefix = "mlsys"
bundled = true

[[list]]
path = "{DATA / 'table-list.md'}"
prefix = "gnn"
""", encoding="utf-8")
    assert main(["check", "--lists", str(toml)]) == 1  # the sample's table row without a title
    _, err = capsys.readouterr()
    assert "error: gnn: line 14: table row without a title" in err
    empty = tmp_path / "notes.md"
    empty.write_text("# My notes\n\nJust prose, no list.\n", encoding="utf-8")
    code = main(["-q", "build", "--no-resolve", "--out", str(tmp_path / "x"), "--list", str(empty)])
    _, err = capsys.readouterr()
    assert code == 1 and "no papers found" in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not OTHER.is_dir(), reason=f"the other lists are not at {OTHER}")
def test_the_real_other_lists(capsys):
    gnn = load_list(str(OTHER / "awesome-gnn-systems.md"))
    assert len(gnn.parsed.items) == 100 and gnn.parsed.unparsed == []
    inference = load_list(str(OTHER / "Awesome-System-for-Machine-Learning_inference.md"))
    assert len(inference.parsed.items) == 42 and len(inference.parsed.unparsed) == 1
    merged = load_list([str(SEED), str(OTHER / "awesome-gnn-systems.md"),
                        str(OTHER / "Awesome-System-for-Machine-Learning_inference.md")])
    assert len(merged.parsed.items) == 1106
    assert len(merged.records) < 874 + 100 + 42  # papers in several lists are one record
    several = [r for r in merged.records if len({s.source for s in r.sections}) > 1]
    assert several
    with capsys.disabled():
        print(f"\n  3 lists: {len(merged.parsed.items)} items -> {len(merged.records)} records, "
              f"{len(several)} records in several lists")
