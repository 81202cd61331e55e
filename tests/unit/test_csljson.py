"""CSL-JSON export (export/csljson.py) and CSL names (export/names.py)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SHARED

from mlsys_bib.export.csljson import csl_item, csl_json_text, csl_title, write_csl_json
from mlsys_bib.export.names import csl_name
from mlsys_bib.model import Kind, Person
from tests.fakes.records import make_record, realistic_records

SCHEMA = SHARED / "schema" / "csl-data.json"
# Zotero's CSL-JSON importer rejects the whole file for a type outside its list
# (shared/notes/zotero-import.md); these are the ones seen mapping cleanly.
ZOTERO_TYPES = {"article", "paper-conference", "article-journal", "report", "book", "chapter"}


def item(key: str) -> dict:
    return csl_item(next(r for r in realistic_records() if r.key == key))


@pytest.mark.parametrize(
    ("person", "name"),
    [
        (Person("Yu", "Gyeong-In"), {"family": "Yu", "given": "Gyeong-In"}),
        # particle inside family: Zotero drops non-dropping-particle, citeproc-js re-parses it
        (Person("Schaar", "Mihaela", particle="van der"), {"family": "van der Schaar", "given": "Mihaela"}),
        (Person("Berg", "Hans", suffix="Jr."), {"family": "Berg", "given": "Hans", "suffix": "Jr."}),
        (Person(literal="OpenAI"), {"literal": "OpenAI"}),
        (Person(given="Prabhat"), {"family": "Prabhat"}),
        (Person("Müller\x00", " Jürgen\n"), {"family": "Müller", "given": "Jürgen"}),
    ],
)
def test_csl_name(person, name):
    assert csl_name(person) == name


def test_paper_conference():
    it = item("yu2022orca")
    assert it["id"] == it["citation-key"] == "yu2022orca"
    assert it["type"] == "paper-conference"
    assert it["container-title"].startswith("16th USENIX Symposium")
    assert it["container-title-short"] == "OSDI"
    assert "event-title" not in it  # "OSDI '22" only restates the proceedings title: APA would print it twice
    assert it["issued"] == {"date-parts": [[2022, 7]]}
    assert it["page"] == "521-538"
    assert it["publisher"] == "USENIX Association"
    assert it["note"] == "Citation Key: yu2022orca"
    assert it["keyword"] == "3.1 LLM serving, 2.5 Distributed training (parallelism)"
    assert it["title"] == (
        '<span class="nocase">Orca</span>: A Distributed Serving System for '
        '<span class="nocase">Transformer</span>-Based Generative Models'
    )


def test_preprint_is_article_in_the_arxiv_repository_with_its_link():
    it = item("dao2023flashattention2")
    assert it["type"] == "article"
    # no "number": IEEE prints it after the publisher, "arXiv: arXiv:2307.08691"
    assert "number" not in it and it["publisher"] == "arXiv"
    assert it["note"].endswith("arXiv: 2307.08691")  # Zotero keeps it in Extra
    assert it["DOI"] == "10.48550/arxiv.2307.08691" and it["URL"] == "https://arxiv.org/abs/2307.08691"
    assert "container-title" not in it


def test_published_paper_keeps_arxiv_id_in_note():
    it = item("kwon2023vllm")
    assert it["type"] == "paper-conference" and "number" not in it
    assert it["note"] == "Citation Key: kwon2023vllm\narXiv: 2309.06180"


def test_journal_chapter_report():
    it = item("williams2009roofline")
    assert it["type"] == "article-journal"
    assert (it["volume"], it["issue"], it["page"]) == ("52", "4", "65-76")
    assert item("smith2020chapter")["type"] == "chapter"
    rep = item("armbrust2009clouds")
    assert rep["type"] == "report" and rep["number"] == "UCB/EECS-2009-28"
    assert rep["publisher"] == "EECS Department, University of California, Berkeley"


def test_list_only_record():
    it = item("listonly2025nsdi")
    assert "author" not in it and it["issued"] == {"date-parts": [[2025]]}
    assert it["title"].startswith("Accelerating Design Space Exploration for <span")


def test_record_note_is_kept_after_the_key():
    assert (
        item("chen2024workshop")["note"] == "Citation Key: chen2024workshop\nmlsys_bib note: Workshop paper"
    )


def test_record_note_cannot_pose_as_a_csl_field():
    # citeproc-js (and Zotero's Extra) read lines like "type: book" in note as field overrides
    record = make_record("n2020", "T", Kind.PREPRINT, note="type: book")
    note = csl_item(record)["note"]
    assert not re.search(r"^([-_a-z]+|[A-Z]+):", note, re.M)


def test_csl_title_spans():
    assert csl_title("vLLM on GPU") == '<span class="nocase">vLLM</span> on <span class="nocase">GPU</span>'
    assert csl_title("Plain Words") == "Plain Words"


def test_types_are_zotero_types_and_dates_are_objects():
    for it in json.loads(csl_json_text(realistic_records())):
        assert it["type"] in ZOTERO_TYPES
        assert isinstance(it["title"], str)
        if "issued" in it:
            assert isinstance(it["issued"], dict) and "date-parts" in it["issued"]
        for name in it.get("author", []):
            assert isinstance(name, dict) and ("family" in name or "literal" in name)
        for field in ("volume", "issue", "page", "number"):
            assert field not in it or isinstance(it[field], str)  # citeproc-js throws on non-scalars


def test_text_is_deterministic_ordered_and_utf8(tmp_path):
    records = realistic_records()
    text = csl_json_text(records)
    assert text.endswith("]\n") and "Müller" in text and '\n  {\n    "id"' in text
    assert [it["id"] for it in json.loads(text)] == [r.key for r in records]
    write_csl_json(records, tmp_path / "a.json")
    write_csl_json(realistic_records(), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes() == text.encode()


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        csl_json_text([make_record("k", "A", Kind.PREPRINT), make_record("k", "B", Kind.PREPRINT)])


def test_valid_against_the_official_schema():
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"CSL schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    data = json.loads(csl_json_text(realistic_records()))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_an_event_name_that_restates_the_proceedings_title_is_left_out():
    from mlsys_bib.export.mapping import event_repeats_container as repeats

    assert repeats("SOSP '23: ACM SIGOPS Symposium on Operating Systems Principles",
                   "Proceedings of the ACM SIGOPS Symposium on Operating Systems Principles (SOSP '23)")  # fmt: skip
    assert repeats("NeurIPS '22: Conference on Neural Information Processing Systems",
                   "Advances in Neural Information Processing Systems")  # fmt: skip
    assert repeats("MLSys '19: Conference on Machine Learning and Systems", "Proceedings of Machine Learning and Systems")
    # a workshop held at a conference is news next to the conference's proceedings
    assert not repeats("Workshop on Efficient Systems for Foundation Models",
                       "Proceedings of the International Conference on Machine Learning")  # fmt: skip


def test_to_appear_is_printed_until_the_venue_year_is_over(monkeypatch):
    from mlsys_bib.export.bibtex import bibtex_fields
    from mlsys_bib.model import VenueTag

    record = make_record("appear-nsdi25", "A Paper To Appear", Kind.PROCEEDINGS, year=2025, note="To appear",
                         container_title="NSDI '25", tag=VenueTag("NSDI'25 (to appear)", "NSDI", 2025))  # fmt: skip
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01: NSDI'25 is ahead
    assert dict(bibtex_fields(record)[1])["note"] == "{To appear}"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: it was held
    fields = dict(bibtex_fields(record)[1])
    assert "note" not in fields and "annote" not in fields
    assert csl_item(record)["note"].endswith("mlsys_bib note: To appear")  # Zotero's Extra keeps it
