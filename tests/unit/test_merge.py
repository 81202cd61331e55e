"""The merge policy (resolve/merge.py docstring), case by case.

Records are built by hand with the list-derived fields records.py sets (title, year, kind,
container, publisher from the list line and the venue table), so these tests pin the policy
without depending on the parser.
"""

from __future__ import annotations

from typing import Any

from mlsys_bib import venues
from mlsys_bib.ids import Identifier
from mlsys_bib.model import Kind, ListItem, Metadata, Person, Provenance, Record, Section, VenueTag
from mlsys_bib.resolve import merge

SECTION = Section("1.1", "Data pipelines")
LIST_SOURCES = {"list", "venues"}


def make_record(
    title: str,
    tag: str,
    venue: str,
    year: int | None,
    *,
    arxiv: str = "",
    doi: str = "",
    line: int = 42,
    key: str = "paper-key",
) -> Record:
    idents = []
    if arxiv:
        idents.append(Identifier("arxiv", arxiv))
    if doi:
        idents.append(Identifier("doi", doi))
    item = ListItem(
        line=line,
        section=SECTION,
        section_path=(SECTION,),
        title=title,
        title_raw=title,
        tag=VenueTag(tag, venue, year),
        tags_raw=(tag,),
        identifiers=tuple(idents),
    )
    record = Record(key, [item])
    src = Provenance("list", f"L{line}")
    record.set("title", title, src)
    if year is not None:
        record.set("year", year, src)
    table = venues.lookup(venue)
    assert table is not None
    record.set("kind", table.kind, Provenance("venues", table.acronym))
    record.set("container_title", table.container_title(year), Provenance("venues", table.acronym))
    if table.kind is not Kind.PREPRINT:
        record.set("container_short", table.acronym, src)
    if table.publisher:
        record.set("publisher", table.publisher, Provenance("venues", table.acronym))
    if arxiv:
        record.set("arxiv", arxiv, src)
    if doi:
        record.set("doi", doi, src)
    return record


def arxiv_meta(arxiv: str, **values: Any) -> Metadata:
    base: dict[str, Any] = {
        "kind": Kind.PREPRINT,
        "arxiv": arxiv,
        "arxiv_version": "v3",
        "primary_class": "cs.DC",
        "url": f"https://arxiv.org/abs/{arxiv}",
    }
    base.update(values)
    return Metadata(Provenance("arxiv", f"arxiv:{arxiv}v3", "2025-01-01T00:00:00Z"), base)


def crossref_meta(doi: str, **values: Any) -> Metadata:
    base: dict[str, Any] = {"doi": doi, "url": f"https://doi.org/{doi}"}
    base.update(values)
    return Metadata(Provenance("crossref", f"doi:{doi}", "2025-01-02T00:00:00Z"), base)


def dblp_meta(key: str, **values: Any) -> Metadata:
    base: dict[str, Any] = {"dblp_key": key}
    base.update(values)
    return Metadata(Provenance("dblp", f"dblp:{key}", "2025-01-03T00:00:00Z"), base)


AUTHORS = [Person(family="Graur", given="Dan"), Person(family="Klimovic", given="Ana")]


def assert_every_field_sourced(record: Record) -> None:
    for name, sourced in record.fields.items():
        assert sourced.provenance.source in {"list", "venues", "arxiv", "crossref", "doi", "dblp"}, name
        if sourced.provenance.source not in LIST_SOURCES:
            assert sourced.provenance.ref and sourced.provenance.fetched, name


# ---------------------------------------------------------------------------------------------
# rule 1: the venue tag is authoritative


def test_vldb_tagged_arxiv_item_stays_a_vldb_paper() -> None:
    record = make_record(
        "cedar: Composable and Optimized Machine Learning Input Data Pipelines",
        "VLDB'25",
        "VLDB",
        2025,
        arxiv="2401.08895",
    )
    conflicts = merge.apply(
        record,
        arxiv_meta(
            "2401.08895",
            title="Cedar: Composable and Optimized Machine Learning Input Data Pipelines",
            author=AUTHORS,
            year=2024,
            month=1,
            doi="10.14778/3712221.3712222",
            journal_ref="Proc. VLDB Endow. 18(3) (2024)",
        ),
    )
    assert record.get("kind") is Kind.JOURNAL
    assert record.fields["kind"].provenance == Provenance("venues", "VLDB")
    assert record.get("container_title") == venues.lookup("VLDB").container_title(2025)
    assert record.get("year") == 2025 and record.fields["year"].provenance.source == "list"
    assert conflicts == []  # an eprint's year is expected to predate the venue's
    # services fill the rest
    assert record.get("author") == AUTHORS and record.fields["author"].provenance.source == "arxiv"
    assert record.get("doi") == "10.14778/3712221.3712222"
    assert record.get("primary_class") == "cs.DC"
    assert record.get("journal_ref") == "Proc. VLDB Endow. 18(3) (2024)"
    assert record.get("arxiv") == "2401.08895" and record.fields["arxiv"].provenance.source == "list"
    # same words, better typography: arXiv's spelling of the title is taken
    assert record.get("title").startswith("Cedar:")
    assert record.key == "paper-key"
    assert_every_field_sourced(record)


def test_published_record_keeps_its_title_against_an_eprint_working_title() -> None:
    record = make_record(
        "Quiver: An Informed Storage Cache for Deep Learning", "FAST'20", "FAST", 2020, arxiv="1900.00001"
    )
    conflicts = merge.apply(
        record, arxiv_meta("1900.00001", title="Informed Caching for Deep Learning Workloads")
    )
    assert record.get("title") == "Quiver: An Informed Storage Cache for Deep Learning"
    assert record.fields["title"].provenance.source == "list"
    assert len(conflicts) == 1 and conflicts[0].startswith("title: list=") and "(kept list)" in conflicts[0]


def test_dblp_year_disagreement_is_a_conflict_and_the_published_year_wins() -> None:
    """Issue 10: when a matched published record and the list's tag name the same venue, the
    year the publisher gives wins, and the disagreement is reported (it reaches report.json)."""
    record = make_record(
        "Gandiva: Introspective Cluster Scheduling for Deep Learning", "OSDI'18", "OSDI", 2018
    )
    conflicts = merge.apply(
        record,
        dblp_meta(
            "conf/osdi/XiaoBRSKHPPZZYZ18",
            title="Gandiva - Introspective Cluster Scheduling for Deep Learning",
            author=AUTHORS,
            kind=Kind.PROCEEDINGS,
            container_short="OSDI",
            _venues=("OSDI",),
            year=2019,
            pages="595-610",
            url="https://www.usenix.org/conference/osdi18/presentation/xiao",
        ),
    )
    assert conflicts == ["year: list=2018 vs dblp=2019 (kept dblp)"]
    assert record.conflicts == conflicts
    assert record.get("year") == 2019
    assert record.get("pages") == "595-610" and record.fields["pages"].provenance.source == "dblp"
    assert record.get("dblp_key") == "conf/osdi/XiaoBRSKHPPZZYZ18"
    # DBLP's 2020-era " - " is turned back into the paper's ":"
    assert record.get("title") == "Gandiva: Introspective Cluster Scheduling for Deep Learning"
    assert record.fields["title"].provenance.source == "dblp"
    # the venue table's container title stays (DBLP only says "OSDI")
    assert record.fields["container_title"].provenance == Provenance("venues", "OSDI")
    assert record.get("url").startswith("https://www.usenix.org/")
    assert_every_field_sourced(record)


def test_reapplying_adds_no_duplicate_conflicts() -> None:
    record = make_record(
        "Gandiva: Introspective Cluster Scheduling for Deep Learning", "OSDI'18", "OSDI", 2018
    )
    meta = dblp_meta(
        "conf/osdi/X18", title="Gandiva - Introspective Cluster Scheduling for Deep Learning", year=2019
    )
    first = merge.apply(record, meta)
    assert first and merge.apply(record, meta) == []
    assert record.conflicts == first


def test_a_serverless_dash_title_is_not_rewritten() -> None:
    # a real " - " in a title (no ":" in the list's spelling) is kept as DBLP writes it
    title = "Serverless Data Science - Are We There Yet? A Case Study of Model Serving"
    record = make_record(title, "SIGMOD'22", "SIGMOD", 2022)
    merge.apply(record, dblp_meta("conf/sigmod/WuDH0CO22", title=title, kind=Kind.PROCEEDINGS, year=2022))
    assert record.get("title") == title


def test_dblp_spacing_typo_does_not_replace_the_list_title() -> None:
    record = make_record(
        "TGL: A General Framework for Temporal GNN Training on Billion-Scale Graphs", "VLDB'22", "VLDB", 2022
    )
    merge.apply(
        record,
        dblp_meta(
            "journals/pvldb/ZhouZNISK22",
            title="TGL: A General Framework for Temporal GNN Training onBillion-Scale Graphs",
            kind=Kind.JOURNAL,
            year=2022,
            volume="15",
            issue="8",
            pages="1572-1580",
        ),
    )
    assert "on Billion-Scale" in record.get("title")
    assert record.get("volume") == "15" and record.get("issue") == "8"
    assert record.conflicts == []


def test_crossref_kind_disagreement_between_published_kinds_is_reported() -> None:
    record = make_record("Some SIGMOD Paper", "SIGMOD'24", "SIGMOD", 2024, doi="10.1145/3639315")
    conflicts = merge.apply(
        record, crossref_meta("10.1145/3639315", kind=Kind.JOURNAL, year=2024, volume="2")
    )
    assert record.get("kind") is Kind.PROCEEDINGS  # the tag decides
    assert conflicts == ["kind: venues=proceedings vs crossref=journal (kept venues)"]


def test_list_doi_is_kept_against_a_different_service_doi() -> None:
    record = make_record("A Paper", "SOSP'23", "SOSP", 2023, doi="10.1145/3600006.3613152")
    conflicts = merge.apply(
        record, dblp_meta("conf/sosp/X23", doi="10.1145/3600006.3613999", kind=Kind.PROCEEDINGS)
    )
    assert record.get("doi") == "10.1145/3600006.3613152"
    assert conflicts == ["doi: list='10.1145/3600006.3613152' vs dblp='10.1145/3600006.3613999' (kept list)"]


# ---------------------------------------------------------------------------------------------
# rule 2: published beats preprint for arXiv-tagged items


def _arxiv_tagged() -> Record:
    return make_record(
        "Efficient Memory Management for LLM Serving", "arxiv'23", "arXiv", 2023, arxiv="2309.06180"
    )


def _vllm_arxiv() -> Metadata:
    return arxiv_meta(
        "2309.06180",
        title="Efficient Memory Management for Large Language Model Serving with PagedAttention",
        author=AUTHORS + [Person(family="Stoica", given="Ion")],
        year=2023,
        month=9,
        doi="10.1145/3600006.3613165",
        journal_ref="SOSP 2023",
    )


def _vllm_crossref() -> Metadata:
    return crossref_meta(
        "10.1145/3600006.3613165",
        title="Efficient Memory Management for Large Language Model Serving with PagedAttention",
        author=AUTHORS,
        kind=Kind.PROCEEDINGS,
        container_title="Proceedings of the 29th Symposium on Operating Systems Principles",
        publisher="ACM",
        year=2023,
        month=10,
        pages="611-626",
    )


def test_arxiv_tagged_with_reported_doi_becomes_the_published_paper() -> None:
    record = _arxiv_tagged()
    merge.apply(record, _vllm_arxiv())
    merge.apply(record, _vllm_crossref())
    assert record.get("kind") is Kind.PROCEEDINGS and record.fields["kind"].provenance.source == "crossref"
    assert (
        record.get("container_title") == "Proceedings of the 29th Symposium on Operating Systems Principles"
    )
    assert record.get("publisher") == "ACM"
    assert record.get("pages") == "611-626"
    assert record.get("doi") == "10.1145/3600006.3613165"
    assert record.get("month") == 10 and record.fields["month"].provenance.source == "crossref"
    # the eprint is kept
    assert record.get("arxiv") == "2309.06180"
    assert record.get("primary_class") == "cs.DC"
    # title and authors from the published version
    assert record.fields["title"].provenance.source == "crossref"
    assert record.get("author") == AUTHORS
    assert any(c.startswith("author: arxiv has 3 names vs crossref 2") for c in record.conflicts)
    # the list's "arXiv" placeholder container is gone, not mixed with the venue
    assert record.fields["container_title"].provenance.source == "crossref"
    assert record.key == "paper-key"
    assert_every_field_sourced(record)


def test_merge_result_does_not_depend_on_order() -> None:
    a, b = _arxiv_tagged(), _arxiv_tagged()
    merge.apply(a, _vllm_arxiv())
    merge.apply(a, _vllm_crossref())
    merge.apply(b, _vllm_crossref())
    merge.apply(b, _vllm_arxiv())
    assert {k: v.value for k, v in a.fields.items()} == {k: v.value for k, v in b.fields.items()}
    assert {k: v.provenance for k, v in a.fields.items()} == {k: v.provenance for k, v in b.fields.items()}


def test_journal_ref_alone_promotes_to_a_known_venue() -> None:
    record = _arxiv_tagged()
    merge.apply(
        record, arxiv_meta("2309.06180", year=2022, journal_ref="Proc. VLDB Endow. 16(8): 2000-2010 (2023)")
    )
    vldb = venues.lookup("VLDB")
    assert record.get("kind") is Kind.JOURNAL
    assert record.get("container_title") == vldb.container_title(2023)
    assert record.get("year") == 2023
    assert record.fields["kind"].provenance.via == merge.JOURNAL_REF
    assert record.get("arxiv") == "2309.06180"


def test_workshop_or_vague_journal_ref_does_not_promote() -> None:
    for ref in (
        "Accepted at the ICML 2024 Workshop on Efficient Systems",
        "Under submission",
        "OSDI and SOSP 2023",
    ):
        record = _arxiv_tagged()
        merge.apply(record, arxiv_meta("2309.06180", year=2023, journal_ref=ref))
        assert record.get("kind") is Kind.PREPRINT, ref
        assert record.get("journal_ref") == ref


def test_preprint_takes_arxiv_title_and_year() -> None:
    record = _arxiv_tagged()
    conflicts = merge.apply(record, arxiv_meta("2309.06180", title="A Better Title", year=2022))
    assert record.get("kind") is Kind.PREPRINT
    assert record.get("title") == "A Better Title" and record.fields["title"].provenance.source == "arxiv"
    assert record.get("year") == 2022
    assert "year: list=2023 vs arxiv=2022 (kept arxiv)" in conflicts
    assert any(c.startswith("title: list=") for c in conflicts)


def test_published_dblp_hit_promotes_an_arxiv_tagged_record_with_venue_table_help() -> None:
    record = _arxiv_tagged()
    merge.apply(
        record, arxiv_meta("2309.06180", title="Efficient Memory Management for LLM Serving", year=2023)
    )
    merge.apply(
        record,
        dblp_meta(
            "conf/sosp/KwonLZ0ZY0ZS23",
            title="Efficient Memory Management for LLM Serving",
            kind=Kind.PROCEEDINGS,
            container_short="SOSP",
            _venues=("SOSP",),
            year=2023,
            pages="611-626",
        ),
    )
    assert record.get("kind") is Kind.PROCEEDINGS
    assert record.get("container_title") == venues.lookup("SOSP").container_title(2023)
    assert record.fields["container_title"].provenance.source == "dblp"
    assert record.get("container_short") == "SOSP"
    assert record.get("arxiv") == "2309.06180"


def test_corr_hit_does_not_promote() -> None:
    record = _arxiv_tagged()
    merge.apply(
        record,
        dblp_meta(
            "journals/corr/abs-2309-06180",
            kind=Kind.PREPRINT,
            container_short="CoRR",
            year=2023,
            volume="abs/2309.06180",
        ),
    )
    assert record.get("kind") is Kind.PREPRINT
    assert record.fields["kind"].provenance.source == "venues"


# ---------------------------------------------------------------------------------------------
# rule 4: identifiers


def test_datacite_arxiv_doi_is_never_the_doi() -> None:
    record = _arxiv_tagged()
    merge.apply(record, arxiv_meta("2309.06180", doi="10.48550/arxiv.2309.06180"))
    assert record.get("doi") is None


def test_services_never_write_note_and_unknown_keys_are_ignored() -> None:
    record = make_record("A Paper", "OSDI'22", "OSDI", 2022)
    record.set("note", "To appear", Provenance("list", "L42"))
    merge.apply(
        record, crossref_meta("10.1/x", note="from crossref", _private="ignored", kind=Kind.PROCEEDINGS)
    )
    assert record.get("note") == "To appear"
    assert "_private" not in record.fields


def test_a_published_record_never_carries_the_eprints_month() -> None:
    # venue-tagged: arXiv's month is refused outright (HybridFlow EuroSys'25 printed "Sep. 2025")
    tagged = make_record("HybridFlow: A Flexible RLHF Framework", "EuroSys'25", "EuroSys", 2025, arxiv="2409.19256")
    merge.apply(tagged, arxiv_meta("2409.19256", month=9, year=2024))
    assert tagged.get("month") is None
    # a published source's month is kept
    merge.apply(tagged, crossref_meta("10.1145/3689031.3696075", month=3, year=2025))
    assert tagged.get("month") == 3 and tagged.fields["month"].provenance.source == "crossref"


def test_a_promoted_preprint_drops_the_month_it_had_as_a_preprint() -> None:
    record = make_record("GPTQ: Accurate Post-Training Quantization", "arXiv'22", "arXiv", 2022, arxiv="2210.17323")
    merge.apply(record, arxiv_meta("2210.17323", month=10, year=2022))
    assert record.get("month") == 10  # still a preprint: its month is the eprint's
    merge.apply(record, dblp_meta("conf/iclr/FrantarAHA23", kind=Kind.PROCEEDINGS, year=2023,
                                  container_title="ICLR", container_short="ICLR"))  # fmt: skip
    assert record.get("kind") is Kind.PROCEEDINGS and record.get("month") is None
