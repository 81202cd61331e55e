"""arXiv client: recorded feeds replayed on loopback, hand-written feeds for batching and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ClientEnv, serve_recorded
from werkzeug.wrappers import Response as WResponse

from mlsys_bib.ids import Identifier
from mlsys_bib.ids import arxiv as arxiv_ids
from mlsys_bib.model import Kind, Person
from mlsys_bib.net.cache import CacheEntry
from mlsys_bib.sources.arxiv import (
    BATCH_SIZE,
    ArxivClient,
    FeedError,
    parse_feed,
)
from mlsys_bib.text.names import split_name
from mlsys_bib.text.titles import search_words

DATA = Path(__file__).parents[1] / "data" / "arxiv"
FEED = (DATA / "feed_template.xml").read_text()
ENTRY = (DATA / "entry_template.xml").read_text()
ERROR = (DATA / "error_feed_template.xml").read_text()


def feed(entries: list[tuple[str, str]] | None = None, version: int = 1) -> str:
    entries = entries or []
    body = "".join(ENTRY.format(id=i, title=t, version=version) for i, t in entries)
    return FEED.format(per_page=len(entries), total=len(entries), entries=body)


def error_feed(message: str, anchor: str = "x") -> str:
    return ERROR.format(message=message, anchor=anchor)


class Env(ClientEnv):
    client_class = ArxivClient


def ident(text: str) -> Identifier:
    parsed = arxiv_ids.parse(text)
    return parsed if parsed is not None else Identifier("arxiv", text)


def query_of(request) -> dict[str, list[str]]:
    return parse_qs(request.query_string.decode())


# -- replay of recorded responses ----------------------------------------------------------------


def recorded_id_cases(recorded_dir: Path) -> list[dict]:
    index = json.loads((recorded_dir / "arxiv" / "index.json").read_text())
    cases = []
    for item in index:
        q = parse_qs(urlsplit(item["url"]).query)
        ids = [i for i in q.get("id_list", [""])[0].split(",") if i]
        if ids:
            cases.append({**item, "ids": ids})
    return cases


def test_replay_every_recorded_id_lookup(recorded, httpserver, tmp_path):
    cases = recorded_id_cases(recorded)
    assert len(cases) >= 15
    for n, case in enumerate(cases):
        httpserver.clear()
        body = (recorded / "arxiv" / case["file"]).read_bytes()
        httpserver.expect_request("/api/query").respond_with_data(
            body, status=case["status"], content_type="application/atom+xml"
        )
        env = Env(httpserver, tmp_path / str(n))
        idents = [ident(i) for i in case["ids"]]
        result = env.client.fetch(idents)
        present = set(re.findall(rb"arxiv\.org/abs/(\S+?)v\d+</id>", body))
        for i in idents:
            outcome = result[i.value]
            if case["status"] == 400:
                assert outcome.status == "failed", case["file"]
                assert "incorrect id format" in outcome.detail
            elif i.value.encode() in present:
                assert outcome.status == "found", case["file"]
                meta = outcome.metadata[0]
                assert meta.get("arxiv") == i.value
                assert meta.get("kind") is Kind.PREPRINT
                assert meta.get("url") == f"https://arxiv.org/abs/{i.value}"
                assert meta.provenance.source == "arxiv"
                assert meta.provenance.ref == f"arxiv:{i.value}{meta.get('arxiv_version')}"
                assert meta.provenance.fetched.endswith("Z")
            else:
                assert outcome.status == "not found", case["file"]
        # the request sent: unversioned ids, max_results = batch size
        request = httpserver.log[0][0]
        q = query_of(request)
        assert q["id_list"] == [",".join(i.value for i in idents)]
        assert q["max_results"] == [str(len(idents))]
        env.cache.close()


def serve(httpserver, recorded: Path, name: str, status: int = 200) -> None:
    serve_recorded(httpserver, recorded, "arxiv", name, "/api/query", status=status,
                   content_type="application/atom+xml", headers=None)  # fmt: skip


def test_batch_with_unknown_id_and_non_ascii_authors(recorded, httpserver, tmp_path):
    serve(httpserver, recorded, "new_batch_0808.05394_1707.08567.xml")
    env = Env(httpserver, tmp_path)
    result = env.client.fetch([ident("0808.05394"), ident("1707.08567")])
    assert result["0808.05394"].status == "not found"
    found = result["1707.08567"]
    assert found.status == "found" and not found.from_cache
    meta = found.metadata[0]
    assert (
        meta.get("title")
        == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )
    names = meta.get("author")
    assert len(names) == 34
    assert Person(family="Wübben", given="Dirk") in names
    assert Person(family="With", given="Peter H. N.", particle="de") in names
    assert meta.get("year") == 2017 and meta.get("month") == 7
    assert meta.get("arxiv_version") == "v1" and meta.get("primary_class") == "cs.IT"
    assert "doi" not in meta.values and "journal_ref" not in meta.values


def test_legacy_doi_journal_ref_and_wrapped_title(recorded, httpserver, tmp_path):
    serve(httpserver, recorded, "legacy_single_1111.2011v2_doi_journal_ref.xml")
    env = Env(httpserver, tmp_path)
    meta = env.client.fetch([ident("1111.2011v2")])["1111.2011"].metadata[0]
    assert meta.get("title") == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert meta.get("doi") == "10.1103/physrevb.85.115117"
    assert meta.get("journal_ref") == "Phys. Rev. B 85, 115117 (2012)"
    assert meta.get("arxiv_version") == "v2"
    assert meta.get("year") == 2011 and meta.get("month") == 11  # first version, not 'updated'
    assert meta.get("primary_class") == "cond-mat.str-el"
    assert Person(family="Del Maestro", given="Adrian") in meta.get("author")
    assert meta.provenance.ref == "arxiv:1111.2011v2"


def test_legacy_inline_namespaces(recorded, httpserver, tmp_path):
    serve(httpserver, recorded, "legacy_single_1710.08557_doi_journal_ref.xml")
    env = Env(httpserver, tmp_path)
    meta = env.client.fetch([ident("1710.08557")])["1710.08557"].metadata[0]
    assert meta.get("doi") == "10.1186/s12984-017-0305-3"
    assert meta.get("journal_ref") == "Journal of NeuroEngineering and Rehabilitation, 2017"
    assert meta.get("primary_class") == "cs.RO"
    assert (
        meta.get("title")
        == "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation"
    )


def test_old_style_id_with_journal_ref(recorded, httpserver, tmp_path):
    serve(httpserver, recorded, "new_oldstyle_astro-ph_0601001_journal_ref.xml")
    env = Env(httpserver, tmp_path)
    result = env.client.fetch([ident("astro-ph/0601001")])
    meta = result["astro-ph/0601001"].metadata[0]
    assert meta.get("journal_ref") == "ActaAstron.56:1-50,2006"
    assert meta.get("url") == "https://arxiv.org/abs/astro-ph/0601001"
    assert meta.get("year") == 2006


@pytest.mark.parametrize(
    "name", ["new_error_incorrect_id_abc.xml", "legacy_error_incorrect_id_INVALIDID_http400.xml"]
)
def test_recorded_error_feeds(recorded, httpserver, tmp_path, name):
    bad = "abc" if "abc" in name else "INVALIDID"
    serve(httpserver, recorded, name, status=400)
    env = Env(httpserver, tmp_path)
    outcome = env.client.fetch([Identifier("arxiv", bad)])[bad]
    assert outcome.status == "failed"
    assert f"incorrect id format for {bad}" in outcome.detail
    assert env.cache.count() == 0  # failures are never cached
    metas, errors = parse_feed((recorded / "arxiv" / name).read_bytes())
    assert metas == [] and errors == [f"incorrect id format for {bad}"]


def test_recorded_empty_result_is_cached_negative(recorded, httpserver, tmp_path):
    serve(httpserver, recorded, "new_empty_0000.0000.xml")
    env = Env(httpserver, tmp_path)
    assert env.client.fetch([ident("0000.0000")])["0000.0000"].status == "not found"
    cached = env.cache.get("arxiv", "0000.0000")
    assert cached is not None and cached.negative
    again = env.again().fetch([ident("0000.0000")])["0000.0000"]
    assert again.status == "not found" and again.from_cache
    assert len(httpserver.log) == 1


def test_recorded_search_feeds_parse(recorded):
    metas, errors = parse_feed((recorded / "arxiv" / "new_search_testing_doi_journal_ref.xml").read_bytes())
    assert len(metas) == 10 and errors == []
    people = [p for m in metas for p in m.get("author", [])]
    assert Person(family="Ramírez", given="Aurora") in people
    assert Person(family="Romero", given="José Raúl") in people
    by_id = {m.get("arxiv"): m for m in metas}
    assert by_id["2202.12139"].get("doi") == "10.1109/icstw55395.2022.00035"
    legacy, _ = parse_feed((recorded / "arxiv" / "legacy_search_2025_cs.RO_crosslist_cs.LG.xml").read_bytes())
    assert [m.get("primary_class") for m in legacy] == ["cs.RO", "cs.RO"]
    p6, _ = parse_feed((recorded / "arxiv" / "new_search_testing_p6_cs.DC_doi_cs.LG.xml").read_bytes())
    assert any(m.get("primary_class") == "cs.DC" and m.get("doi") for m in p6)


def test_recorded_title_zero_and_latex_kept(recorded):
    metas, _ = parse_feed((recorded / "arxiv" / "new_single_2104.12255v1.xml").read_bytes())
    assert metas[0].get("title") == "0"  # a real title, not a missing one
    metas, _ = parse_feed(
        (recorded / "arxiv" / "legacy_single_1601.00001_doi_journal_ref_latex_accent.xml").read_bytes()
    )
    assert metas[0].get("doi") == "10.1063/1.4944470"


# -- hand-written feeds --------------------------------------------------------------------------


def batch_handler(unknown_prefix: str = "9999."):
    """Answers like arXiv: one entry per known id, unknown ids silently left out."""

    def handle(request):
        ids = request.args.get("id_list", "").split(",")
        known = [(i, f"Paper {i}") for i in ids if i and not i.startswith(unknown_prefix)]
        return WResponse(feed(known), content_type="application/atom+xml")

    return handle


def test_250_ids_make_three_requests(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    ids = [Identifier("arxiv", f"2401.{n:05d}") for n in range(250)]
    result = env.client.fetch(ids)
    assert len(result) == 250 and all(o.status == "found" for o in result.values())
    sizes = []
    for request, _ in httpserver.log:
        q = query_of(request)
        batch = q["id_list"][0].split(",")
        sizes.append(len(batch))
        assert q["max_results"] == [str(len(batch))]
        assert "search_query" not in q
    assert sizes == [100, 100, 50] and BATCH_SIZE == 100
    assert env.http.requests_made["arxiv"] == 3


def test_warm_second_run_makes_zero_requests(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    ids = [Identifier("arxiv", "2401.00001"), Identifier("arxiv", "9999.00001", "v3")]
    first = env.client.fetch(ids)
    assert first["2401.00001"].status == "found" and first["9999.00001"].status == "not found"
    client = env.again()
    second = client.fetch(ids)
    assert second["2401.00001"].status == "found" and second["2401.00001"].from_cache
    assert second["9999.00001"].status == "not found" and second["9999.00001"].from_cache
    assert second["2401.00001"].metadata[0].values == first["2401.00001"].metadata[0].values
    assert sum(client.http.requests_made.values()) == 0
    assert len(httpserver.log) == 1


def test_versioned_request_is_sent_unversioned(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_data(feed([("2401.00001", "T")], version=3))
    env = Env(httpserver, tmp_path)
    out = env.client.fetch([Identifier("arxiv", "2401.00001", "v1")])["2401.00001"]
    assert query_of(httpserver.log[0][0])["id_list"] == ["2401.00001"]
    assert out.metadata[0].get("arxiv_version") == "v3"
    authors = out.metadata[0].get("author")
    assert authors == [
        Person(family="Lovelace", given="Ada"),
        Person(family="Berg", given="Jan", particle="van der"),
    ]


def test_refresh_and_expired_negative_refetch(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    env.client.fetch([Identifier("arxiv", "2401.00001")])
    env.again(refresh=True).fetch([Identifier("arxiv", "2401.00001")])
    assert len(httpserver.log) == 2
    env.cache.put(CacheEntry("arxiv", "9999.00002", 200, "x", b"", "2000-01-01T00:00:00Z", True))
    out = env.again().fetch([Identifier("arxiv", "9999.00002")])["9999.00002"]
    assert out.status == "not found" and not out.from_cache
    assert len(httpserver.log) == 3
    assert env.cache.get("arxiv", "9999.00002").fetched_at > "2000"  # renewed


def error_handler(request):
    """A malformed id anywhere fails the whole request, as the real API does."""
    ids = request.args.get("id_list", "").split(",")
    for i in ids:
        if not re.match(r"^\d{4}\.\d{4,5}$", i):
            return WResponse(error_feed(f"incorrect id format for {i}"), status=400)
    return WResponse(feed([(i, f"Paper {i}") for i in ids]))


def test_malformed_id_is_isolated_from_its_batch(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(error_handler)
    env = Env(httpserver, tmp_path)
    ids = [Identifier("arxiv", f"2401.{n:05d}") for n in range(5)] + [Identifier("arxiv", "bogus")]
    result = env.client.fetch(ids)
    assert result["bogus"].status == "failed" and "incorrect id format for bogus" in result["bogus"].detail
    assert all(result[f"2401.{n:05d}"].status == "found" for n in range(5))
    assert len(httpserver.log) == 2  # the error named the culprit: one retry without it


def test_unexplained_error_feed_is_bisected(httpserver, tmp_path):
    def handle(request):
        ids = request.args.get("id_list", "").split(",")
        if "2401.00003" in ids:
            return WResponse(error_feed("internal trouble"), status=400)
        return WResponse(feed([(i, f"Paper {i}") for i in ids]))

    httpserver.expect_request("/api/query").respond_with_handler(handle)
    env = Env(httpserver, tmp_path)
    ids = [Identifier("arxiv", f"2401.{n:05d}") for n in range(8)]
    result = env.client.fetch(ids)
    assert result["2401.00003"].status == "failed" and "internal trouble" in result["2401.00003"].detail
    assert sum(o.status == "found" for o in result.values()) == 7
    assert len(httpserver.log) <= 1 + 2 * 3  # log2(8) levels


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ((DATA / "truncated.xml").read_bytes(), "malformed or truncated XML"),
        (b"", "empty response body"),
        (b"<html><body>Service Unavailable</body></html>", "walled: answered HTTP 200 with an HTML page"),
        ((DATA / "billion_laughs.xml").read_bytes(), "unsafe XML rejected"),
        ((DATA / "external_entity.xml").read_bytes(), "unsafe XML rejected"),
        ((DATA / "dtd_only.xml").read_bytes(), "unsafe XML rejected"),
    ],
)
def test_bad_bodies_fail_clearly_and_are_not_cached(httpserver, tmp_path, body, message):
    httpserver.expect_request("/api/query").respond_with_data(body, content_type="application/atom+xml")
    env = Env(httpserver, tmp_path)
    out = env.client.fetch([Identifier("arxiv", "2401.00001")])["2401.00001"]
    assert out.status == "failed" and message in out.detail
    assert env.cache.count() == 0
    env.again().fetch([Identifier("arxiv", "2401.00001")])
    assert len(httpserver.log) == 2  # retried next run


def test_parse_feed_rejects_entity_bombs():
    with pytest.raises(FeedError, match="EntitiesForbidden|DTDForbidden"):
        parse_feed((DATA / "billion_laughs.xml").read_bytes())
    with pytest.raises(FeedError, match="unsafe XML"):
        parse_feed((DATA / "external_entity.xml").read_bytes())


def test_parse_by_namespace_not_prefix():
    metas, errors = parse_feed(
        (DATA / "prefixed_namespaces.xml").read_bytes(), fetched="2026-01-01T00:00:00Z"
    )
    assert errors == []
    meta = metas[0]
    assert (
        meta.get("title")
        == "Efficient Memory Management for Large Language Model Serving with PagedAttention"
    )
    assert meta.get("doi") == "10.1145/3600006.3613165"
    assert meta.get("journal_ref") == "Proc. MLSys 2024, pp. 1-12"
    assert meta.get("arxiv") == "2309.06180" and meta.get("primary_class") == "cs.LG"
    assert meta.provenance.fetched == "2026-01-01T00:00:00Z"


def test_503_then_success(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/api/query").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/api/query").respond_with_data(feed([("2401.00001", "T")]))
    env = Env(httpserver, tmp_path)
    assert env.client.fetch([Identifier("arxiv", "2401.00001")])["2401.00001"].status == "found"
    assert env.http.requests_made["arxiv"] == 2 and env.waits == [1.0]


def test_persistent_5xx_fails_batch_without_caching(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_data("down", status=502)
    env = Env(httpserver, tmp_path, retries=0)
    out = env.client.fetch([Identifier("arxiv", "2401.00001"), Identifier("arxiv", "2401.00002")])
    assert {o.status for o in out.values()} == {"failed"}
    assert "HTTP 502" in out["2401.00001"].detail
    assert env.cache.count() == 0


def test_offline_uses_cache_only(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    env.client.fetch([Identifier("arxiv", "2401.00001")])
    offline = env.again(offline=True)
    out = offline.fetch([Identifier("arxiv", "2401.00001"), Identifier("arxiv", "2401.00002")])
    assert out["2401.00001"].status == "found" and out["2401.00001"].from_cache
    assert out["2401.00002"].status == "failed" and "offline" in out["2401.00002"].detail
    assert len(httpserver.log) == 1 and sum(offline.http.requests_made.values()) == 0


# -- title search --------------------------------------------------------------------------------


def search_handler(papers: list[tuple[str, str]]):
    def handle(request):
        query = request.args.get("search_query", "")
        phrases = re.findall(r'ti:"([^"]*)"', query)
        hits = [(i, t) for i, t in papers if any(p in search_words(t) for p in phrases)]
        limit = int(request.args.get("max_results", "10"))
        return WResponse(feed(hits[:limit]), content_type="application/atom+xml")

    return handle


def test_search_titles_strict_match_ambiguous_and_not_found(httpserver, tmp_path):
    papers = [
        ("2309.06180", "Efficient Memory Management for Large Language Model Serving with PagedAttention"),
        ("2401.00001", "Orca: A Distributed Serving System"),
        ("2401.00002", "Orca: A Distributed Serving System"),  # two papers, one title
        (
            "2401.00003",
            "Efficient Memory Management for Large Language Model Serving with PagedAttention Extended",
        ),
    ]
    httpserver.expect_request("/api/query").respond_with_handler(search_handler(papers))
    env = Env(httpserver, tmp_path)
    titles = [
        "Efficient memory management for large language model serving with PagedAttention.",
        "Orca: a distributed serving system",
        "A Paper Nobody Wrote",
    ]
    out = env.client.search_titles(titles)
    assert out[titles[0]].status == "found" and out[titles[0]].metadata[0].get("arxiv") == "2309.06180"
    assert out[titles[1]].status == "ambiguous" and len(out[titles[1]].metadata) == 2
    assert out[titles[2]].status == "not found"
    # one batched query; the title nothing in it was about is asked alone, whose empty answer
    # proves the miss (a batch's answer cannot: it may be about other papers)
    assert len(httpserver.log) == 2
    q = query_of(httpserver.log[0][0])["search_query"][0]
    assert q.count('ti:"') == 3 and " OR " in q and ":" not in q.replace("ti:", "")
    assert query_of(httpserver.log[1][0])["search_query"][0] == 'ti:"a paper nobody wrote"'
    again = env.again().search_titles(titles)
    assert all(o.from_cache for o in again.values()) and len(httpserver.log) == 2


def test_search_titles_batches_long_lists(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_handler(search_handler([]))
    env = Env(httpserver, tmp_path)
    titles = [f"Distinct Title Number {n}" for n in range(12)]
    out = env.client.search_titles(titles)
    assert all(o.status == "not found" for o in out.values())
    assert len(httpserver.log) == 3  # 5 + 5 + 2
    for request, _ in httpserver.log:
        assert len(request.query_string) < 2000


@pytest.mark.parametrize(
    ("name", "title", "arxiv_id"),
    [
        (
            "new_search_testing_doi_journal_ref.xml",
            "Testing deep learning models: a first comparative study of multiple testing techniques",
            "2202.12139",
        ),
        (
            "legacy_search_2025_cs.RO_crosslist_cs.LG.xml",
            "Neural Implicit Flow Fields for Spatio-Temporal Motion Mapping",
            "2510.14827",
        ),
    ],
)
def test_replay_recorded_search_feeds(recorded, httpserver, tmp_path, name, title, arxiv_id):
    serve(httpserver, recorded, name)
    env = Env(httpserver, tmp_path)
    out = env.client.search_titles([title, "A Title Absent From The Recorded Page"])
    assert out[title].status == "found" and out[title].metadata[0].get("arxiv") == arxiv_id
    # The recorded page answers another query ("testing"): its entries cannot prove that a title
    # is absent, so the miss is a failure to retry, not a "not found" to cache (see _search_batch).
    absent = out["A Title Absent From The Recorded Page"]
    assert absent.status == "failed" and "other titles" in absent.detail
    assert env.cache.get("arxiv-search", search_words("A Title Absent From The Recorded Page")) is None


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "person"),
    [
        ("Dirk Wübben", Person(family="Wübben", given="Dirk")),
        ("Peter H. N. de With", Person(family="With", given="Peter H. N.", particle="de")),
        ("Fons van der Sommen", Person(family="Sommen", given="Fons", particle="van der")),
        ("Adrian Del Maestro", Person(family="Del Maestro", given="Adrian")),
        ("Martin Luther King Jr.", Person(family="King", given="Martin Luther", suffix="Jr.")),
        ("Knuth, Donald E.", Person(family="Knuth", given="Donald E.")),
        ("The ATLAS Collaboration", Person(literal="The ATLAS Collaboration")),
        ("Plato", Person(family="Plato")),
        ("  ", Person()),
    ],
)
def test_split_name(name, person):
    assert split_name(name) == person
