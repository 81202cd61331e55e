"""BibTeX and biblatex exports (export/bibtex.py) and BibTeX names (export/names.py)."""

from __future__ import annotations

import re

import pytest

from mlsys_bib.export.bibtex import (
    bibtex_fields,
    bibtex_text,
    check_key,
    keywords_value,
    normalize_pages,
    write_bibtex,
)
from mlsys_bib.export.latex import braces_balanced
from mlsys_bib.export.names import bibtex_name, bibtex_names
from mlsys_bib.model import Kind, Person, VenueTag
from tests.fakes.records import S_TRAIN, S_WORK, make_record, realistic_records


def fields_of(record, **kw) -> tuple[str, dict[str, str]]:
    etype, items = bibtex_fields(record, **kw)
    return etype, dict(items)


def by_key(key: str):
    return next(r for r in realistic_records() if r.key == key)


# -- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "bib"),
    [
        (Person("Yu", "Gyeong-In"), "Yu, Gyeong-In"),
        (Person("Schaar", "Mihaela", particle="van der"), "van der Schaar, Mihaela"),
        (Person("Berg", "Hans", suffix="Jr."), "Berg, Jr., Hans"),
        (Person("King", "Martin Luther", particle="", suffix="III"), "King, III, Martin Luther"),
        (Person("Gogh", "", suffix="Jr."), "Gogh, Jr., {}"),
        (Person(literal="OpenAI"), "{OpenAI}"),
        (Person(literal="Research and Development, Inc."), "{Research and Development, Inc.}"),
        (Person(given="Prabhat"), "Prabhat"),
        (Person("Smith, Jr.", "Bob"), "{Smith, Jr.}, Bob"),
        (Person("Ford", "Tom and Jerry"), "Ford, {Tom and Jerry}"),
        (Person("Müller", "Jürgen"), "Müller, Jürgen"),
        (Person("O'Neil & Co_", "Pat%"), r"O'Neil \& Co\_, Pat\%"),
    ],
)
def test_bibtex_name(person, bib):
    assert bibtex_name(person) == bib


def test_bibtex_names_skip_empty_people_and_join_with_and():
    people = [Person("A", "B"), Person(), Person(literal="  "), Person("C", "D")]
    assert bibtex_names(people) == "A, B and C, D"
    assert bibtex_names(None) == ""


def test_ascii_names_use_latex_accents():
    assert bibtex_name(Person("Müller", "Jürgen"), ascii=True) == r"M{\"u}ller, J{\"u}rgen"


# -- entry types and fields --------------------------------------------------------------------------


def test_inproceedings_fields():
    etype, f = fields_of(by_key("yu2022orca"))
    assert etype == "inproceedings"
    assert (
        f["booktitle"] == "{{16th USENIX Symposium on Operating Systems Design and Implementation (OSDI 22)}}"
    )
    assert f["title"] == "{{Orca}: A Distributed Serving System for {Transformer}-Based Generative Models}"
    assert f["month"] == "jul"  # bare macro, no braces
    assert f["year"] == "{2022}"
    assert f["pages"] == "{521--538}"
    assert f["publisher"] == "{{USENIX} Association}"
    assert f["keywords"] == "{3.1 LLM serving, 2.5 Distributed training (parallelism)}"
    assert list(f)[:2] == ["author", "title"]


def test_published_paper_keeps_its_eprint_in_biblatex_only():
    etype, f = fields_of(by_key("kwon2023vllm"))
    assert etype == "inproceedings"
    # classic styles print no eprint but ACM's, which would print it beside the DOI; Zotero's
    # BibTeX import drops eprint + archivePrefix: the classic file leaves them out
    assert "eprint" not in f and "archivePrefix" not in f
    assert f["doi"] == "{10.1145/3600006.3613165}"
    assert "howpublished" not in f
    _, b = fields_of(by_key("kwon2023vllm"), biblatex=True)
    assert b["eprint"] == "{2309.06180}" and b["eprinttype"] == "{arxiv}" and b["eprintclass"] == "{cs.LG}"


def test_preprint_is_misc_with_arxiv_fields():
    etype, f = fields_of(by_key("dao2023flashattention2"))
    assert etype == "misc"
    assert f["howpublished"] == "{arXiv preprint arXiv:2307.08691}"  # the one place the id is printed
    assert "eprint" not in f and "archivePrefix" not in f
    assert "arxiv.org/abs/2307.08691" not in f.get("url", "")  # would print the id a second time
    assert "pages" not in f and "publisher" not in f  # not in biber's data model for @misc


def test_article_fields():
    etype, f = fields_of(by_key("williams2009roofline"))
    assert etype == "article"
    assert f["journal"] == "{{Communications of the ACM}}"
    assert f["volume"] == "{52}" and f["number"] == "{4}" and f["pages"] == "{65--76}"
    assert f["month"] == "apr"
    assert f["doi"] == "{10.1145/1498765.1498785}"
    assert "publisher" not in f


def test_chapter_and_report():
    etype, f = fields_of(by_key("smith2020chapter"))
    assert (
        etype == "incollection" and f["booktitle"] == "{{Handbook of Large-Scale Machine Learning Systems}}"
    )
    etype, f = fields_of(by_key("armbrust2009clouds"))
    assert etype == "techreport"
    assert f["institution"] == "{{EECS} Department, University of California, {Berkeley}}"
    assert f["number"] == "{UCB/EECS-2009-28}"


def test_biblatex_variant():
    etype, f = fields_of(by_key("kwon2023vllm"), biblatex=True)
    assert etype == "inproceedings"
    assert f["date"] == "{2023-10}" and "year" not in f and "month" not in f
    assert f["eprinttype"] == "{arxiv}" and f["eprintclass"] == "{cs.LG}"
    assert "archivePrefix" not in f and "primaryClass" not in f
    etype, f = fields_of(by_key("williams2009roofline"), biblatex=True)
    assert etype == "article" and f["journaltitle"] == "{{Communications of the ACM}}"
    assert f["shortjournal"] == "{{CACM}}"
    etype, f = fields_of(by_key("dao2023flashattention2"), biblatex=True)
    assert etype == "misc" and "howpublished" not in f and f["date"] == "{2023-07}"
    _, f = fields_of(by_key("listonly2025nsdi"), biblatex=True)
    assert f["date"] == "{2025}"


def test_list_only_record_has_no_author_field():
    etype, f = fields_of(by_key("listonly2025nsdi"))
    assert etype == "inproceedings" and "author" not in f
    assert f["booktitle"].startswith("{{22nd USENIX")


def test_proceedings_without_venue_name_falls_back():
    tagged = make_record("t2024", "A Paper", Kind.PROCEEDINGS, tag=VenueTag("OSDI'24", "OSDI", 2024))
    etype, f = fields_of(tagged)
    assert etype == "inproceedings" and f["booktitle"] == "{{OSDI 2024}}"
    etype, f = fields_of(make_record("u2024", "A Paper", Kind.PROCEEDINGS))
    assert etype == "misc" and "booktitle" not in f


@pytest.mark.parametrize(
    ("pages", "out"),
    [
        ("123-130", "123--130"),
        ("123--130", "123--130"),
        ("123–130", "123--130"),
        ("e1234", "e1234"),
        ("7", "7"),
    ],
)
def test_pages(pages, out):
    assert normalize_pages(pages) == out


def test_doi_is_bare():
    record = make_record("d2020", "T", Kind.JOURNAL, container_title="J", doi="https://doi.org/10.1/ABC")
    assert fields_of(record)[1]["doi"] == "{10.1/ABC}"


def test_keywords_turn_commas_inside_a_label_into_slashes():
    record = make_record("k2020", "T", Kind.PREPRINT, sections=(S_WORK, S_TRAIN))
    assert (
        keywords_value(record)
        == "1.1.4 Specific workloads (GNN / DLRM), 2.5 Distributed training (parallelism)"
    )


def test_bad_month_and_year_are_left_out():
    record = make_record("m2020", "T", Kind.PREPRINT, year="n/a", month=13)
    f = fields_of(record)[1]
    assert "year" not in f and "month" not in f


# -- file ----------------------------------------------------------------------------------------------


def test_entry_order_is_record_order_and_output_is_deterministic(tmp_path):
    records = realistic_records()
    text = bibtex_text(records)
    keys = re.findall(r"^@\w+\{([^,]+),", text, re.M)
    assert keys == [r.key for r in records]
    assert bibtex_text(realistic_records()) == text
    write_bibtex(records, tmp_path / "a.bib")
    write_bibtex(realistic_records(), tmp_path / "b.bib")
    assert (tmp_path / "a.bib").read_bytes() == (tmp_path / "b.bib").read_bytes() == text.encode()
    assert text.endswith("}\n")


@pytest.mark.parametrize(("biblatex", "ascii"), [(False, False), (True, False), (False, True), (True, True)])
def test_every_field_is_balanced(biblatex, ascii):
    for record in realistic_records():
        _, items = bibtex_fields(record, biblatex=biblatex, ascii=ascii)
        for name, value in items:
            assert braces_balanced(value), (record.key, name, value)


def test_ascii_export_is_ascii_except_unspellable_scripts():
    text = bibtex_text(realistic_records(), ascii=True)
    non_ascii = {c for c in text if not c.isascii()}
    assert non_ascii == {"李", "明"}, non_ascii  # CJK has no LaTeX spelling: kept as UTF-8
    assert r"M{\"u}ller" in text and r"Nguy{\~{\^e}}n" in text


def test_utf8_export_keeps_unicode_except_in_names_and_what_pdflatex_cannot_typeset():
    text = bibtex_text(realistic_records())
    assert "Systèmes" in text and "Encoding: UTF-8" in text
    # 8-bit bibtex abbreviates given names byte by byte: names are LaTeX-accented in mlsys.bib ...
    assert r"M{\"u}ller, J{\"u}rgen" in text and "Müller" not in text
    # ... and kept as UTF-8 for biber
    assert "Müller, Jürgen" in bibtex_text(realistic_records(), biblatex=True)


def test_greek_in_titles_is_spelled_for_pdflatex_in_both_bib_files():
    from mlsys_bib.export.latex import escape_latex

    assert escape_latex("λGrapher and μ-Serve") == r"{\ensuremath{\lambda}}Grapher and {\ensuremath{\mu}}-Serve"
    assert escape_latex("Systèmes – “quoted” …") == "Systèmes – “quoted” …"  # pdflatex types these
    assert escape_latex("李明") == "李明"  # no LaTeX spelling: kept


def test_duplicate_or_unsafe_keys_are_refused():
    records = [make_record("same", "A", Kind.PREPRINT), make_record("same", "B", Kind.PREPRINT)]
    with pytest.raises(ValueError, match="duplicate"):
        bibtex_text(records)
    for key in ("has space", "a,b", "a{b", "", "a%b"):
        with pytest.raises(ValueError):
            check_key(key)
    assert check_key("yu2022orca") == "yu2022orca"
