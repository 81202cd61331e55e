"""DBLP SPARQL: query text from checked ids only, and answers read into citation metadata."""

from __future__ import annotations

import pytest

from mlsys_bib.model import Kind
from mlsys_bib.sources import dblp_sparql as ds


def test_corr_keys_follow_dblps_scheme_for_new_and_old_arxiv_ids() -> None:
    assert ds.corr_key("2309.06180") == "journals/corr/abs-2309-06180"
    assert ds.corr_key("cs/0601001") == "journals/corr/abs-cs-0601001"


@pytest.mark.parametrize("bad", ["2309.06180> } ?x ?y ?z { <a", "not-an-id", ""])
def test_nothing_but_an_arxiv_id_reaches_the_query(bad: str) -> None:
    with pytest.raises(ValueError):
        ds.twins_query([bad])


@pytest.mark.parametrize("bad", ["db/conf/osdi/osdi2022.bht> } <x", "conf/osdi", "db/conf/OSDI/a b.bht"])
def test_nothing_but_a_toc_key_reaches_the_query(bad: str) -> None:
    with pytest.raises(ValueError):
        ds.toc_query([bad])


def _row(pub: str, ordinal: int, name: str, **extra: str) -> dict[str, str]:
    return {
        "corr": "journals/corr/abs-2309-06180",
        "pub": pub,
        "ordinal": str(ordinal),
        "name": name,
        **extra,
    }


def test_rows_become_one_record_per_publication_with_authors_in_order() -> None:
    conf = {
        "title": "Efficient Memory Management for Large Language Model Serving with PagedAttention.",
        "year": "2023",
        "type": "http://purl.org/net/nknouf/ns/bibtex#Inproceedings",
        "venue": "SOSP",
        "pages": "611-626",
        "doi": "https://doi.org/10.1145/3600006.3613165",
    }
    corr = {"title": conf["title"], "year": "2023", "type": "http://purl.org/net/nknouf/ns/bibtex#Article",
            "venue": "CoRR", "doi": "https://doi.org/10.48550/ARXIV.2309.06180"}  # fmt: skip
    rows = [
        _row("https://dblp.org/rec/conf/sosp/KwonLZ0ZY0ZS23", 2, "Zhuohan Li", **conf),
        _row("https://dblp.org/rec/conf/sosp/KwonLZ0ZY0ZS23", 1, "Woosuk Kwon", **conf),
        _row("https://dblp.org/rec/conf/sosp/KwonLZ0ZY0ZS23", 3, "Siyuan Zhuang 0001", **conf),
        _row("https://dblp.org/rec/journals/corr/abs-2309-06180", 1, "Woosuk Kwon", **corr),
        _row("https://dblp.org/rec/conf/sosp/2023", 1, "Jason Flinn",
             type="http://purl.org/net/nknouf/ns/bibtex#Proceedings", title="SOSP 2023", year="2023"),
    ]  # fmt: skip
    by_key = {m.get("dblp_key"): m for m in ds.candidates(rows)}
    assert set(by_key) == {"conf/sosp/KwonLZ0ZY0ZS23", "journals/corr/abs-2309-06180"}  # no volume
    sosp = by_key["conf/sosp/KwonLZ0ZY0ZS23"]
    assert [p.family for p in sosp.get("author")] == ["Kwon", "Li", "Zhuang"]  # homonym number dropped
    assert sosp.get("kind") is Kind.PROCEEDINGS and sosp.get("year") == 2023
    assert sosp.get("doi") == "10.1145/3600006.3613165" and sosp.get("pages") == "611-626"
    assert sosp.get("title").endswith("PagedAttention")  # DBLP's final period goes
    preprint = by_key["journals/corr/abs-2309-06180"]
    assert preprint.get("kind") is Kind.PREPRINT and preprint.get("arxiv") == "2309.06180"
    assert preprint.get("doi") is None  # arXiv's DataCite DOI is not a published DOI


def test_an_answer_that_is_not_sparql_json_is_an_error_not_an_empty_result() -> None:
    with pytest.raises(ValueError):
        ds.rows_by({"head": {}, "results": {}}, "corr")
    assert ds.rows_by({"results": {"bindings": []}}, "corr") == {}


def test_a_stream_lookup_puts_only_streams_a_year_and_a_plain_word_in_the_query() -> None:
    lookup = ds.StreamLookup(("conf/sigmod", "journals/pacmmod"), 2023, "ghost")
    text = ds.streams_query([lookup])
    assert (
        '("conf/sigmod+journals/pacmmod|2023|ghost" <https://dblp.org/streams/journals/pacmmod> 2022 2024 "ghost")'
        in text
    )
    for bad in (
        ds.StreamLookup(("conf/x",), 2023, 'a" } ?s ?p ?o {'),
        ds.StreamLookup(("conf/x> <y",), 2023, "word"),
    ):
        with pytest.raises(ValueError):
            ds.streams_query([bad])


def test_the_plan_asks_a_venue_without_a_toc_by_its_stream_and_longest_plain_title_word() -> None:
    from mlsys_bib.parse.markdown import parse_list
    from mlsys_bib.records import build_records
    from mlsys_bib.resolve.plan import plan_lookups

    text = "# L\n\n## 1. S\n\n- [ASPLOS'24] Déjà Vu: Serving LLMs with Speculative Pipelines\n- [HotInfra'24] Tiny Paper\n"
    records = build_records(parse_list(text)).records
    plan = plan_lookups(records)
    lookups = {r.title.split(":")[0]: plan.stream_search.get(r.key) for r in records}
    assert lookups["Déjà Vu"] == ds.StreamLookup(("conf/asplos",), 2024, "speculative")  # not "déjà"
    assert lookups["Tiny Paper"] is None  # a workshop without a DBLP stream: the title search only


def test_a_title_word_too_long_for_a_stream_lookup_is_never_planned() -> None:
    """The planner and the query builder share one rule for the narrowing word: a 50-letter word
    (which the builder refuses) is passed over for the next one, instead of failing the whole run."""
    from mlsys_bib.parse.markdown import parse_list
    from mlsys_bib.records import build_records
    from mlsys_bib.resolve.plan import plan_lookups

    long_word = "supercalifragilisticexpialidociousnessisticallyyy"
    text = f"# L\n\n## 1. S\n\n- [ASPLOS'24] {long_word.capitalize()} Serving Engine\n"
    plan = plan_lookups(build_records(parse_list(text)).records)
    (lookup,) = plan.stream_search.values()
    assert lookup.word == "serving"
    assert "serving" in ds.streams_query([lookup])
    assert not ds.usable_word(long_word)


@pytest.mark.parametrize("arxiv_id", ["2309.06180", "1706.03762", "cs/0601001", "math/0211159"])
def test_a_corr_key_gives_back_its_arxiv_id_for_new_and_old_style_ids(arxiv_id: str) -> None:
    assert ds.arxiv_of_corr(ds.corr_key(arxiv_id)) == arxiv_id
    assert ds.arxiv_of_corr("conf/sosp/KwonLZ0ZY0ZS23") is None
