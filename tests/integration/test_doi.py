"""doi.org content negotiation: the 302 to the agency, both CSL dialects, misses and failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ClientEnv, recorded_entry, serve_recorded

from mlsys_bib.model import Kind, Person
from mlsys_bib.sources.doi import ACCEPT, DoiClient, csl_to_metadata

DATA = Path(__file__).parents[1] / "data" / "doi"


class Env(ClientEnv):
    client_class = DoiClient


def redirect_then_csl(httpserver, recorded: Path, doi: str, body: bytes) -> None:
    """doi.org's 302 (the recorded Handle Redirect page, Location pointed at loopback), then the
    agency, which only answers when the Accept header survived the redirect."""
    assert recorded_entry(recorded, "doi", "doi-302-redirect.html")["status"] == 302
    serve_recorded(httpserver, recorded, "doi", "doi-302-redirect.html", f"/{doi}", status=302,
                   headers={"Location": httpserver.url_for(f"/v1/works/{doi}/transform")})  # fmt: skip
    httpserver.expect_request(f"/v1/works/{doi}/transform", headers={"Accept": ACCEPT}).respond_with_data(
        body, content_type=ACCEPT
    )


CASES = {
    "csl-crossref-journal-article-sup-title.json": dict(
        doi="10.1021/ja01577a030",
        title="Correlation of the Base Strengths of Amines1",
        kind=Kind.JOURNAL,
        year=1957,
        month=10,
        container_title="Journal of the American Chemical Society",
        container_short="J. Am. Chem. Soc.",
        author0=Person(family="Hall", given="H. K.", suffix="Jr."),
    ),
    "csl-crossref-posted-content-medrxiv.json": dict(
        doi="10.1101/2021.08.15.21262067",
        kind=Kind.PREPRINT,
        year=2021,
        month=8,
        container_title=None,
        author0=Person(family="Canaday", given="David H."),
    ),
    "csl-crossref-science-1970-subtitle.json": dict(
        doi="10.1126/science.169.3946.635",
        title=(
            "The Structure of Ordinary Water: New data and interpretations are yielding new insights "
            "into this fascinating substance."
        ),
        kind=Kind.JOURNAL,
        year=1970,
        month=8,
        container_title="Science",
        pages="635-641",
        author0=Person(family="Frank", given="Henry S."),
    ),
    "csl-datacite-zenodo.json": dict(
        doi="10.5281/zenodo.8242099",
        title="Shield bugs (nymphs)",
        kind=Kind.PREPRINT,
        year=2023,
        month=8,
        container_title=None,
        publisher="Zenodo",
        author0=Person(family="Willighagen", given="Lars"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_replay_recorded_csl_through_redirect(recorded, httpserver, tmp_path, name):
    expect = CASES[name]
    doi = expect["doi"]
    redirect_then_csl(httpserver, recorded, doi, (recorded / "doi" / name).read_bytes())
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(doi.upper())
    assert out.status == "found", out.detail
    meta = out.metadata[0]
    assert meta.provenance.source == "doi" and meta.provenance.ref == f"doi:{doi}"
    assert meta.get("doi") == doi  # DataCite's upper-case DOI lower-cased
    assert meta.get("url") == f"https://doi.org/{doi}"
    for field in (
        "title",
        "kind",
        "year",
        "month",
        "container_title",
        "container_short",
        "pages",
        "publisher",
    ):
        if field in expect:
            assert meta.get(field) == expect[field], field
    assert meta.get("author")[0] == expect["author0"]
    assert [r.headers.get("Accept") for r, _ in httpserver.log] == [ACCEPT, ACCEPT]
    assert env.http.requests_made["doi"] == 1  # one logical request; the redirect is followed inside
    again = env.again().fetch(doi)
    assert again.from_cache and again.metadata[0].values == meta.values
    assert len(httpserver.log) == 2


def test_datacite_arxiv_doi_maps_to_arxiv_id(httpserver, tmp_path):
    httpserver.expect_request("/10.48550/arxiv.2309.06180").respond_with_data(
        (DATA / "datacite_arxiv.json").read_bytes(), content_type=ACCEPT
    )
    env = Env(httpserver, tmp_path)
    meta = env.client.fetch("https://doi.org/10.48550/arXiv.2309.06180").metadata[0]
    assert meta.get("arxiv") == "2309.06180" and meta.get("kind") is Kind.PREPRINT
    assert meta.get("doi") == "10.48550/arxiv.2309.06180" and meta.get("year") == 2023
    assert meta.get("author")[-1] == Person(literal="vLLM Team")
    assert "container_title" not in meta.values


@pytest.mark.parametrize(("status", "reason"), [(404, "DOI not found"), (406, "no CSL-JSON offered")])
def test_definitive_misses_are_cached_negative(httpserver, tmp_path, status, reason):
    httpserver.expect_request("/10.9999/none").respond_with_data("DOI Not Found", status=status)
    env = Env(httpserver, tmp_path)
    out = env.client.fetch("10.9999/none")
    assert out.status == "not found" and reason in out.detail
    assert env.cache.get("doi", "10.9999/none").negative
    assert env.again().fetch("10.9999/none").from_cache
    assert len(httpserver.log) == 1


def test_landing_page_is_not_metadata(httpserver, tmp_path):
    httpserver.expect_request("/10.9999/page").respond_with_data(
        (DATA / "landing_page.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch("10.9999/page")
    assert out.status == "not found" and "web page" in out.detail


def test_bad_json_and_server_errors_fail_uncached(httpserver, tmp_path):
    httpserver.expect_request("/10.9999/bad").respond_with_data('{"title": "cut', content_type=ACCEPT)
    httpserver.expect_request("/10.9999/down").respond_with_data("down", status=503)
    env = Env(httpserver, tmp_path, retries=0)
    bad = env.client.fetch("10.9999/bad")
    assert bad.status == "failed" and "invalid JSON" in bad.detail
    down = env.client.fetch("10.9999/down")
    assert down.status == "failed" and "HTTP 503" in down.detail
    assert env.cache.count() == 0


def test_not_a_doi_makes_no_request(httpserver, tmp_path):
    env = Env(httpserver, tmp_path)
    assert env.client.fetch("arXiv:2401.00001").status == "failed"
    assert httpserver.log == []


def test_offline(httpserver, tmp_path):
    env = Env(httpserver, tmp_path, offline=True)
    out = env.client.fetch("10.9999/x")
    assert out.status == "failed" and "offline" in out.detail
    assert httpserver.log == []


def test_csl_to_metadata_variants():
    meta = csl_to_metadata(
        {
            "type": "paper-conference",
            "title": ["Listed <i>title</i>"],
            "author": [{"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"}],
            "issued": {"date-parts": [["2021"]]},
            "container-title": "Proc. X",
            "event": "X '21",
        },
        "T",
        doi="10.9999/Y",
    )
    v = meta.values
    assert v["title"] == "Listed title" and v["kind"] is Kind.PROCEEDINGS
    assert v["author"] == [Person(family="Beethoven", given="Ludwig", particle="van")]
    assert v["year"] == 2021 and "month" not in v
    assert v["container_title"] == "Proc. X" and v["event_title"] == "X '21"
    assert v["doi"] == "10.9999/y" and meta.provenance.ref == "doi:10.9999/y"
