"""Crossref client: recorded works replayed on loopback, hand-written batches and failures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import ClientEnv, serve_recorded
from werkzeug.wrappers import Response as WResponse

from mlsys_bib.model import Kind, Person
from mlsys_bib.resolve.dois import DoiLookup
from mlsys_bib.sources import crossref as crossref_mod
from mlsys_bib.sources.crossref import (
    BATCH_SIZE,
    MAX_URL_BYTES,
    SELECT,
    work_to_metadata,
)
from mlsys_bib.sources.csl import date_parts, join_title

DATA = Path(__file__).parents[1] / "data" / "crossref"
DOI_DATA = Path(__file__).parents[1] / "data" / "doi"
ITEM = json.loads((DATA / "work_item.json").read_text())
ENVELOPE = json.loads((DATA / "worklist_envelope.json").read_text())
CSL = "application/vnd.citationstyles.csl+json"


class Env(ClientEnv):
    client_class = DoiLookup


def item(doi: str, **changes) -> dict:
    work = copy.deepcopy(ITEM)
    work["DOI"] = doi
    work.update(changes)
    return work


def worklist(items: list[dict]) -> dict:
    env = copy.deepcopy(ENVELOPE)
    env["message"]["items"] = items
    env["message"]["total-results"] = env["message"]["items-per-page"] = len(items)
    return env


def batch_handler(known: dict[str, dict] | None = None, missing: tuple[str, ...] = ()):
    """A /works?filter=doi:... answer built from hand-written items; ``missing`` DOIs left out."""

    def handle(request):
        filt = request.args.get("filter", "")
        dois = [part[4:] for part in filt.split(",") if part.startswith("doi:")]
        items = []
        for doi in dois:
            if doi in missing:
                continue
            items.append((known or {}).get(doi) or item(doi.upper()))  # Crossref may change case
        return WResponse(json.dumps(worklist(items)), content_type="application/json")

    return handle


def requests_to(httpserver, path_prefix: str) -> list:
    return [req for req, _ in httpserver.log if req.path.startswith(path_prefix)]


# -- field mapping -------------------------------------------------------------------------------


def load_work(recorded: Path, name: str) -> dict:
    return json.loads((recorded / "crossref" / name).read_text())["message"]


def test_recorded_journal_article_italic_title(recorded):
    meta = work_to_metadata(load_work(recorded, "work-journal-article-italic-title-jats-sec.json"), "T")
    v = meta.values
    assert v["title"] == (
        "Construction of a reference material panel for detecting KRAS / NRAS / EGFR / BRAF / MET "
        "mutations in plasma ctDNA"
    )
    assert (v["year"], v["month"]) == (2020, 8)  # issued, not published-print (2021-05)
    assert v["kind"] is Kind.JOURNAL
    assert v["container_title"] == "Journal of Clinical Pathology" and v["container_short"] == "J Clin Pathol"
    assert (v["volume"], v["issue"], v["pages"], v["publisher"]) == ("74", "5", "314-320", "BMJ")
    assert v["doi"] == "10.1136/jclinpath-2020-206745"
    assert v["author"][0] == Person(family="Xu", given="Jun")
    assert meta.provenance.source == "crossref" and meta.provenance.ref == "doi:10.1136/jclinpath-2020-206745"


def test_recorded_acm_subtitle(recorded):
    v = work_to_metadata(load_work(recorded, "work-proceedings-acm-sigmod21-subtitle.json"), "T").values
    assert v["title"] == "Vector Quotient Filters: Overcoming the Time/Space Trade-Off in Filter Design"
    assert v["kind"] is Kind.PROCEEDINGS
    assert v["container_title"] == "Proceedings of the 2021 International Conference on Management of Data"
    assert v["event_title"] == "SIGMOD/PODS '21: International Conference on Management of Data"
    assert (v["year"], v["month"], v["pages"]) == (2021, 6, "1386-1399")
    assert Person(family="Bender", given="Michael A.") in v["author"]
    assert "volume" not in v


def test_recorded_null_issued(recorded):
    v = work_to_metadata(load_work(recorded, "work-proceedings-ieee-null-issued.json"), "T").values
    assert "year" not in v and "month" not in v
    assert v["kind"] is Kind.PROCEEDINGS and v["doi"] == "10.1109/icdcsw.2003.1203662"
    assert v["author"] == [Person(family="Arya", given="V."), Person(family="Turletti", given="T.")]


def test_recorded_posted_content(recorded):
    v = work_to_metadata(load_work(recorded, "work-posted-content-biorxiv.json"), "T").values
    assert v["kind"] is Kind.PREPRINT and "container_title" not in v
    assert (v["year"], v["month"]) == (2024, 4)


def test_recorded_worklist_items(recorded):
    items = json.loads((recorded / "crossref" / "worklist-query-select.json").read_text())["message"]["items"]
    metas = [work_to_metadata(i, "T") for i in items]
    assert "author" not in metas[0].values  # one item has no author key
    assert metas[1].get("author") == [Person(family="Parminter", given="John")]
    assert metas[1].get("year") == 2012  # 'published' when that is all the select returned


def test_hand_written_item_mapping():
    v = work_to_metadata(item("10.9999/ABC"), "T").values
    assert v["title"] == "Serving LLMs at Scale: A Hand-Written Test Record"
    assert v["author"] == [
        Person(family="Hopper", given="Grace"),
        Person(family="King", given="Martin Luther", suffix="Jr."),
        Person(literal="The MLSys Consortium"),
    ]
    assert (v["year"], v["month"]) == (2023, 10)
    assert v["container_short"] == "SOSP '23" and v["pages"] == "611-626"
    assert v["doi"] == "10.9999/abc" and v["url"] == "https://doi.org/10.9999/abc"


def test_field_helpers():
    assert date_parts({"date-parts": [[2020]]}) == (2020, None)
    assert date_parts({"date-parts": [[None]]}) == (None, None)
    assert date_parts({"date-parts": [["2019", "7"]]}) == (2019, 7)
    assert date_parts({"date-parts": []}) == (None, None)
    assert date_parts(None) == (None, None)
    assert join_title("Why?", "A Study") == "Why? A Study"
    assert join_title("Title", "") == "Title"
    assert join_title("Title: Sub", "Sub") == "Title: Sub"
    meta = work_to_metadata({"title": [], "subtitle": [], "type": "dataset"}, "T")
    assert "title" not in meta.values and "kind" not in meta.values


# -- replayed recordings -------------------------------------------------------------------------


def empty_batches(httpserver) -> None:
    httpserver.expect_request("/works").respond_with_json(worklist([]))


def test_replay_recorded_worklist_as_batch_answer(recorded, httpserver, tmp_path):
    """The recorded work-list envelope has the shape of a filter=doi: answer: all three found."""
    serve_recorded(httpserver, recorded, "crossref", "worklist-query-select.json", "/works")
    env = Env(httpserver, tmp_path)
    dois = [
        "10.1093/obo/9780199830060-0238",
        "10.1093/obo/9780199830060-0026",
        "10.1093/obo/9780199830060-0202",
    ]
    out = env.client.fetch(dois)
    assert [out[d].status for d in dois] == ["found"] * 3
    assert out[dois[1]].metadata[0].get("title") == "Fire Ecology"
    assert len(httpserver.log) == 1
    q = parse_qs(httpserver.log[0][0].query_string.decode())
    assert q["filter"] == [",".join(f"doi:{d}" for d in dois)] and q["rows"] == ["3"]


def test_replay_recorded_work_via_single_route(recorded, httpserver, tmp_path):
    empty_batches(httpserver)
    serve_recorded(httpserver, recorded, "crossref", "work-proceedings-acm-sigmod21-subtitle.json",
                   "/works/10.1145/3448016.3452841")  # fmt: skip
    env = Env(httpserver, tmp_path, mailto="ops@example.org")
    out = env.client.fetch(["10.1145/3448016.3452841"])["10.1145/3448016.3452841"]
    assert out.status == "found"
    assert out.metadata[0].get("title").startswith("Vector Quotient Filters: Overcoming")
    batch, single = (req for req, _ in httpserver.log)
    assert parse_qs(batch.query_string.decode())["filter"] == ["doi:10.1145/3448016.3452841"]
    assert parse_qs(single.query_string.decode())["mailto"] == ["ops@example.org"]
    assert parse_qs(batch.query_string.decode())["mailto"] == ["ops@example.org"]
    assert env.http.spacing("crossref") == pytest.approx(0.1)  # x-rate-limit 10 per 1s recorded
    client = env.again()
    again = client.fetch(["10.1145/3448016.3452841"])["10.1145/3448016.3452841"]
    assert again.from_cache and again.metadata[0].values == out.metadata[0].values
    assert sum(client.http.requests_made.values()) == 0


def test_recorded_404_falls_back_to_doi_org_and_is_cached(recorded, httpserver, tmp_path):
    empty_batches(httpserver)
    serve_recorded(
        httpserver, recorded, "crossref", "404-resource-not-found.txt", "/works/10.1371/notarealdoi"
    )
    httpserver.expect_request("/10.1371/notarealdoi").respond_with_data("Not found", status=404)
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.1371/NotARealDOI"])["10.1371/notarealdoi"]
    assert out.status == "not found" and "DOI not found" in out.detail
    assert [r.path for r, _ in httpserver.log] == [
        "/works",
        "/works/10.1371/notarealdoi",
        "/10.1371/notarealdoi",
    ]
    assert env.cache.get("crossref", "10.1371/notarealdoi").negative
    assert env.cache.get("doi", "10.1371/notarealdoi").negative
    client = env.again()
    assert client.fetch(["10.1371/notarealdoi"])["10.1371/notarealdoi"].from_cache
    assert sum(client.http.requests_made.values()) == 0


def test_recorded_datacite_404_then_doi_org(recorded, httpserver, tmp_path, monkeypatch):
    monkeypatch.setattr(crossref_mod, "DATACITE_PREFIXES", ())  # force the Crossref route first
    doi = "10.5281/zenodo.8242099"
    empty_batches(httpserver)
    serve_recorded(httpserver, recorded, "crossref", "404-datacite-arxiv-doi.txt", f"/works/{doi}")
    httpserver.expect_request(f"/{doi}").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for(f"/datacite/{doi}")}
    )
    httpserver.expect_request(f"/datacite/{doi}", headers={"Accept": CSL}).respond_with_data(
        (recorded / "doi" / "csl-datacite-zenodo.json").read_bytes(), content_type=CSL
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch([doi])[doi]
    assert out.status == "found"
    meta = out.metadata[0]
    assert meta.provenance.source == "doi"
    assert meta.get("doi") == doi and meta.get("title") == "Shield bugs (nymphs)"


def test_datacite_prefix_skips_crossref(httpserver, tmp_path):
    doi = "10.48550/arxiv.2309.06180"
    httpserver.expect_request(f"/{doi}", headers={"Accept": CSL}).respond_with_data(
        (DOI_DATA / "datacite_arxiv.json").read_bytes(), content_type=CSL
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.48550/arXiv.2309.06180"])[doi]
    assert out.status == "found" and out.metadata[0].get("arxiv") == "2309.06180"
    assert env.http.requests_made["crossref"] == 0 and env.http.requests_made["doi"] == 1


def test_recorded_400_validation_failure(recorded, httpserver, tmp_path):
    empty_batches(httpserver)
    serve_recorded(
        httpserver, recorded, "crossref", "400-validation-failure.json", "/works/10.1371/journal.pone.0033693"
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.1371/journal.pone.0033693"])["10.1371/journal.pone.0033693"]
    assert out.status == "failed"
    assert "This route does not support field query parameters" in out.detail
    assert env.cache.count() == 0


def test_404_with_json_content_type_and_text_body(httpserver, tmp_path):
    empty_batches(httpserver)
    httpserver.expect_request("/works/10.9999/gone").respond_with_data(
        "Resource not found.", status=404, content_type="application/json"
    )
    httpserver.expect_request("/10.9999/gone").respond_with_data("", status=404)
    env = Env(httpserver, tmp_path)
    assert env.client.fetch(["10.9999/gone"])["10.9999/gone"].status == "not found"


# -- batching ------------------------------------------------------------------------------------


def test_batches_of_forty_with_rows_and_select(httpserver, tmp_path):
    httpserver.expect_request("/works").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    dois = [f"10.1145/3600006.{3613000 + n}" for n in range(100)]
    out = env.client.fetch(dois)
    assert all(out[d].status == "found" for d in dois)
    assert out[dois[0]].metadata[0].get("doi") == dois[0]  # upper-cased answer matched
    sizes = []
    for request, _ in httpserver.log:
        q = parse_qs(request.query_string.decode())
        batch = q["filter"][0].split(",")
        assert all(part.startswith("doi:") for part in batch)
        assert q["rows"] == [str(len(batch))] and q["select"] == [SELECT]
        assert len(request.full_path) < MAX_URL_BYTES
        sizes.append(len(batch))
    assert sizes == [40, 40, 20] and BATCH_SIZE == 40


def test_long_dois_cut_batches_by_url_length(httpserver, tmp_path):
    httpserver.expect_request("/works").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    dois = [f"10.1002/(sici)1097-4571(199806){n:03d}:{'x' * 60}" for n in range(40)]
    out = env.client.fetch(dois)
    assert all(o.status == "found" for o in out.values())
    assert len(httpserver.log) > 1
    for request, _ in httpserver.log:
        assert len(request.url) <= MAX_URL_BYTES


def test_missing_from_batch_asked_singly(httpserver, tmp_path):
    httpserver.expect_request("/works").respond_with_handler(batch_handler(missing=("10.9999/late",)))
    httpserver.expect_request("/works/10.9999/late").respond_with_json(
        {"status": "ok", "message-type": "work", "message": item("10.9999/late")}
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.9999/a", "10.9999/late", "10.9999/b"])
    assert {d: o.status for d, o in out.items()} == dict.fromkeys(
        ["10.9999/a", "10.9999/late", "10.9999/b"], "found"
    )
    assert [r.path for r, _ in httpserver.log] == ["/works", "/works/10.9999/late"]


def test_doi_with_comma_never_goes_in_a_filter(httpserver, tmp_path):
    doi = "10.9999/a,b"
    httpserver.expect_request("/works/10.9999/a,b").respond_with_json(
        {"status": "ok", "message-type": "work", "message": item(doi)}
    )
    env = Env(httpserver, tmp_path)
    assert env.client.fetch([doi])[doi].status == "found"
    assert [r.path for r, _ in httpserver.log] == ["/works/10.9999/a,b"]


def test_batch_400_falls_back_to_single_requests(recorded, httpserver, tmp_path):
    serve_recorded(httpserver, recorded, "crossref", "400-validation-failure.json", "/works")
    for n in range(2):
        httpserver.expect_request(f"/works/10.9999/{n}").respond_with_json(
            {"status": "ok", "message-type": "work", "message": item(f"10.9999/{n}")}
        )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.9999/0", "10.9999/1"])
    assert all(o.status == "found" for o in out.values())
    assert len(httpserver.log) == 3


def test_429_with_retry_after_then_success(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/works").respond_with_data(
        "<html><body><h1>429 Too Many Requests</h1></body></html>",
        status=429,
        content_type="text/html",
        headers={"Retry-After": "3"},
    )
    httpserver.expect_request("/works").respond_with_handler(batch_handler())
    env = Env(httpserver, tmp_path)
    assert env.client.fetch(["10.9999/x"])["10.9999/x"].status == "found"
    assert env.waits == [3.0] and env.http.requests_made["crossref"] == 2


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        ((DATA / "truncated.json").read_bytes(), "application/json", "invalid JSON"),
        (b"<html>maintenance</html>", "text/html", "walled: answered HTTP 200 with an HTML page"),
        (b'{"status": "ok"}', "application/json", "no 'message' envelope"),
        (b'{"status": "ok", "message": {"total-results": 0}}', "application/json", "without 'items'"),
    ],
)
def test_bad_batch_bodies_fail_clearly_and_are_not_cached(httpserver, tmp_path, body, ctype, message):
    httpserver.expect_request("/works").respond_with_data(body, content_type=ctype)
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.9999/x"])["10.9999/x"]
    assert out.status == "failed" and message in out.detail
    assert env.cache.count() == 0


def test_truncated_single_work_fails(httpserver, tmp_path):
    empty_batches(httpserver)
    httpserver.expect_request("/works/10.9999/trunc").respond_with_data(
        (DATA / "truncated.json").read_bytes(), content_type="application/json"
    )
    env = Env(httpserver, tmp_path)
    out = env.client.fetch(["10.9999/trunc"])["10.9999/trunc"]
    assert out.status == "failed" and "invalid JSON" in out.detail


def test_server_errors_are_failures_never_cached(httpserver, tmp_path):
    httpserver.expect_request("/works").respond_with_data("oops", status=500)
    env = Env(httpserver, tmp_path, retries=0)
    assert env.client.fetch(["10.9999/x"])["10.9999/x"].status == "failed"
    assert env.cache.count() == 0
    httpserver.clear()
    httpserver.expect_request("/works").respond_with_handler(batch_handler())
    assert env.again().fetch(["10.9999/x"])["10.9999/x"].status == "found"


def test_offline_never_touches_network(httpserver, tmp_path):
    env = Env(httpserver, tmp_path, offline=True)
    out = env.client.fetch(["10.9999/x", "10.48550/arxiv.2401.00001"])
    assert {o.status for o in out.values()} == {"failed"}
    assert all("offline" in o.detail for o in out.values())
    assert httpserver.log == []
