"""The verifier's parts on small files: reading a user's .bib, naming venues, matching, findings, the fix."""

from __future__ import annotations

import pytest

from mlsys_bib.model import Person
from mlsys_bib.venues import find_venue as venue_of
from mlsys_bib.venues import same_venue
from mlsys_bib.verification import FindingKind as K
from mlsys_bib.verification import MatchBy, userbib, verify
from mlsys_bib.verification.userbib import field_value, read_bib
from tests.fakes.records import realistic_records
from tests.fakes.userbibs import corpus, score


@pytest.fixture(scope="module")
def records():
    return realistic_records()


def _bib(tmp_path, text, name="paper.bib"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _kinds(report, key):
    return {f.kind for e in report.entries if e.key == key for f in e.findings}


# -- reading ---------------------------------------------------------------------------------------

def test_strings_concatenation_crossref_and_lines(tmp_path):
    path = _bib(tmp_path, """% my refs
@string{osdi = "USENIX OSDI"}

@inproceedings{a,
  title = {Orca # not a concatenation},
  booktitle = osdi # " 2022",
  year = 2022,
  crossref = {proc}
}
@proceedings{proc, title = {Proceedings of OSDI}, publisher = {USENIX Association}}
@inproceedings{b, title = "Quoted {Title}", crossref = {proc}}
""")
    entries, broken = read_bib(path)
    assert broken == []
    a, proc, b = entries
    assert (a.line, proc.line, b.line) == (4, 10, 11)
    assert a.get("title") == "Orca # not a concatenation"
    assert a.get("booktitle") == "USENIX OSDI 2022"
    assert a.get("publisher") == "USENIX Association"  # inherited through crossref
    assert b.get("booktitle") == "Proceedings of OSDI"  # a proceedings' title becomes the booktitle
    assert b.title == "Quoted Title"


def test_a_broken_entry_is_reported_with_its_line_and_the_rest_is_checked(tmp_path):
    path = _bib(tmp_path, "@article{ok1, title={A}}\n@article{bad, title={x, author = \n@misc{ok2, title={B}}\n"
                          "@misc{ok1, title={dup}}\n")
    entries, broken = read_bib(path)
    assert [e.key for e in entries] == ["ok1", "ok2"]
    assert [b.line for b in broken] == [2, 4]
    assert "duplicate key 'ok1'" in broken[1].reason


def test_oversized_block_is_skipped_and_lines_after_it_stay_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(userbib, "MAX_BLOCK_CHARS", 1000)
    monkeypatch.setattr(userbib, "CHUNK_BLOCKS", 2)
    huge = "@misc{huge, title={" + "x" * 5000 + "}}\n"
    text = "@misc{a, title={A}}\n" + huge + "".join(f"@misc{{k{i},\n title={{T{i}}}}}\n" for i in range(5))
    entries, broken = read_bib(_bib(tmp_path, text))
    assert [b.line for b in broken] == [2] and "longer than" in broken[0].reason
    assert [(e.key, e.line) for e in entries] == [("a", 1)] + [(f"k{i}", 3 + 2 * i) for i in range(5)]


def test_identifiers_from_every_place_users_put_them(tmp_path):
    path = _bib(tmp_path, r"""@article{dblp, journal = {CoRR}, volume = {abs/2309.06180}, title = {t}}
@misc{scholar, title = {t}, journal = {arXiv preprint arXiv:2205.14135}}
@misc{url, title = {t}, url = {https://arxiv.org/abs/1910.02054v3}}
@misc{note, title = {t}, note = {arXiv:2307.08691}}
@misc{ep, title = {t}, eprint = {2303.08774}, archivePrefix = {arXiv}}
@inproceedings{doi, title = {t}, url = {https://doi.org/10.1145/3600006.3613165}}
""")
    got = {e.key: (e.arxiv, e.doi, e.is_preprint) for e in read_bib(path)[0]}
    assert got == {
        "dblp": ("2309.06180", "", True), "scholar": ("2205.14135", "", True), "url": ("1910.02054", "", True),
        "note": ("2307.08691", "", True), "ep": ("2303.08774", "", True),
        "doi": ("", "10.1145/3600006.3613165", False),
    }


def test_authors_braces_latex_and_others(tmp_path):
    path = _bib(tmp_path, r"""@misc{a, author = {M{\"u}ller, J{\"o}rg and {OpenAI Team} and de With, Peter and others}}""")
    people, truncated = read_bib(path)[0][0].authors
    assert truncated
    assert people[0] == Person(family="Müller", given="Jörg")
    assert people[1].literal == "OpenAI Team"
    assert (people[2].family, people[2].particle) == ("With", "de")


def test_field_value_forms():
    strings = {"osdi": "OSDI"}
    assert field_value('{a # b}', strings) == "a # b"
    assert field_value('"q"', strings) == "q"
    assert field_value('osdi # " 22"', strings) == "OSDI 22"
    assert field_value("2020", strings) == "2020"
    assert field_value("{a} # {b}", strings) == "ab"


@pytest.mark.parametrize(("text", "acronym"), [
    ("Proceedings of the 29th Symposium on Operating Systems Principles", "SOSP"),
    ("16th USENIX Symposium on Operating Systems Design and Implementation (OSDI 22)", "OSDI"),
    ("Proc. VLDB Endow.", "VLDB"),
    ("CoRR", "arXiv"),
    ("Advances in Neural Information Processing Systems", "NeurIPS"),
    ("ICML 2024 Workshop on Efficient Systems for Foundation Models (ES-FoMO II)", "ES-FoMo"),
    ("SC20: International Conference for High Performance Computing, Networking, Storage and Analysis", "SC"),
    ("Journal of Something Nobody Lists", ""),
])
def test_venue_names(text, acronym):
    assert venue_of(text) == acronym


def test_same_venue_folds_spellings():
    assert same_venue("PVLDB", "VLDB") and not same_venue("OSDI", "NSDI")


# -- matching and findings --------------------------------------------------------------------------

CORRECT = r"""@inproceedings{orca,
  author = {Yu, Gyeong-In and Jeong, Joo Seong and Kim, Geon-Woo and Kim, Soojeong and Chun, Byung-Gon},
  title = {Orca: A Distributed Serving System for {Transformer}-Based Generative Models},
  booktitle = {16th USENIX Symposium on Operating Systems Design and Implementation (OSDI 22)},
  year = {2022}, pages = {521--538}
}
"""


def test_a_correct_entry_has_no_findings_and_exit_0(tmp_path, records):
    report = verify(_bib(tmp_path, CORRECT), records=records)
    [entry] = report.entries
    assert (entry.match, entry.record_key, entry.findings) == (MatchBy.TITLE, "yu2022orca", [])
    assert report.exit_code == 0


def test_each_mistake_is_named_with_the_curated_value_and_its_source(tmp_path, records):
    text = r"""@article{vllm, title = {Efficient Memory Management for Large Language Model Serving with PagedAttention},
  author = {Kwon, Woosuk and Li, Zhuohan}, journal = {CoRR}, volume = {abs/2309.06180}, year = {2023}}
@inproceedings{orca2, title = {Orca: A Distributed Serving Sytem for Transformer-Based Generative Models},
  author = {Yu, Gyeong-In and Jeong, Joo Seong and Kim, Geon-Woo and Kim, Soojeong and Chun, Byung-Gon},
  booktitle = {NSDI}, year = {2021}}
@article{ptd, title = {PyTorch Distributed: Experiences on Accelerating Data Parallel Training},
  author = {Li, Shen and Zhoa, Yanli and Varma, Rohan and Salpekar, Omkar and Noordhuis, Pieter and Li, Teng
            and Paszke, Adam and Smith, Jeff and Vaughan, Brian and Damania, Pritam and Chintala, Soumith},
  journal = {Proc. VLDB Endow.}, year = {2020}, doi = {10.1145/3600006.3613165}}
@article{zero, title = {ZeRO: Memory Optimizations Toward Training Trillion Parameter Models},
  author = {Rajbhandari, Samyam and Rasley, Jeff and Ruwase, Olatunji and He, Yuxiong},
  booktitle = {SC}, year = {2020}, doi = {10.1109/SC41405.2020.00024}}
@inproceedings{fake, title = {Holistic Kernel Weaving for Planet-Scale Models}, author = {Doe, Jane}, year = 2024}
"""
    report = verify(_bib(tmp_path, text), records=records)
    assert _kinds(report, "vllm") == {K.PREPRINT_PUBLISHED, K.AUTHORS_MISSING}
    assert _kinds(report, "orca2") == {K.TITLE_TYPO, K.VENUE, K.YEAR}
    assert K.AUTHORS_MISSPELT in _kinds(report, "ptd") and K.DOI_DIFFERENT in _kinds(report, "ptd")
    assert _kinds(report, "zero") == {K.TYPE}
    by_key = {e.key: e for e in report.entries}
    assert by_key["fake"].match is MatchBy.NONE and by_key["fake"].findings == []
    assert by_key["ptd"].match is MatchBy.TITLE  # the copied DOI of another paper lost to the title
    pre = by_key["vllm"].findings[0]
    assert "10.1145/3600006.3613165" in pre.curated and pre.source
    assert report.exit_code == 1


def test_fuzzy_needs_author_overlap(tmp_path, records):
    text = r"""@misc{x, title = {Orca: A Distributed Serving Sytem for Transformer-Based Generative Models},
  author = {Somebody, Else}, year = {2022}}"""
    [entry] = verify(_bib(tmp_path, text), records=records).entries
    assert entry.match is MatchBy.NONE


def test_planted_mistakes_precision_and_recall(tmp_path, records):
    planted = corpus(records, 300, seed=7)
    path = _bib(tmp_path, "\n".join(p.text for p in planted))
    s = score(planted, verify(path, records=records))
    assert s["planted"] > 100
    assert (s["precision"], s["recall"], s["wrong_matches"]) == (1.0, 1.0, 0), s


# -- fix -------------------------------------------------------------------------------------------

def test_fix_keeps_keys_and_other_fields_copies_clean_blocks_and_never_touches_the_input(tmp_path, records):
    text = "% header comment\n" + CORRECT + r"""@article{zero, title = {ZeRO: Memory Optimizations Toward Training Trillion Parameter Models},
  author = {Rajbhandari, Samyam and Rasley, Jeff and Ruwase, Olatunji and He, Yuxiong},
  journal = {CoRR}, volume = {abs/1910.02054}, year = {2019}, abstract = {Mine.}}
% trailing comment
"""
    src = _bib(tmp_path, text)
    before = src.read_bytes()
    out = tmp_path / "fixed.bib"
    verify(src, records=records, fix=out)
    assert src.read_bytes() == before
    fixed = out.read_text(encoding="utf-8")
    assert fixed.startswith("% header comment\n" + CORRECT)  # untouched blocks byte for byte
    assert "@inproceedings{zero," in fixed and "abstract" in fixed and "Mine." in fixed
    assert "CoRR" not in fixed and "10.1109/sc41405.2020.00024" in fixed and fixed.endswith("% trailing comment\n")
    assert verify(out, records=records).findings == []
    with pytest.raises(ValueError, match="not the input"):
        verify(src, records=records, fix=src)
