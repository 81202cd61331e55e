"""tests/fakes/services.py answers in the services' real shapes, enforces limits, injects faults.

The responses are parsed with the project's own parsers, so a drift between the fake and what
the clients expect shows up here rather than as a mysterious benchmark number.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import tests.fakes.services as fsmod
from mlsys_bib.sources import arxiv as rarxiv
from mlsys_bib.sources import crossref as rcrossref
from mlsys_bib.sources import dblp as rdblp
from mlsys_bib.sources import doi as rdoi
from mlsys_bib.text.titles import search_words
from tests.fakes.services import FakeServices, Paper

ROOT = Path(__file__).resolve().parents[2]
CSL = "application/vnd.citationstyles.csl+json"


def _papers() -> list[Paper]:
    osdi = dict(kind="proceedings", venue="OSDI", venue_name="USENIX OSDI", publisher="USENIX Association",
                container="Proceedings of OSDI '22", toc_key="db/conf/osdi/osdi2022.bht", year=2022)  # fmt: skip
    return [
        Paper(
            title="Gandiva: Introspective Cluster Scheduling",
            authors=[("Wei", "Xiao")],
            arxiv="2201.00001",
            seeded=True,
            **osdi,
        ),  # fmt: skip
        Paper(
            title="Orca: A Distributed Serving System",
            authors=[("Gyeong", "Yu"), ("Joo", "Jeong")],
            seeded=True,
            **osdi,
        ),  # fmt: skip
        Paper(
            title="Vector Quotient Filters",
            authors=[("Ana", "Pandey")],
            year=2021,
            kind="proceedings",
            venue="SIGMOD",
            doi="10.1145/3448016.3452841",
            container="Proceedings of SIGMOD '21",
            seeded=True,
        ),  # fmt: skip
        Paper(
            title="A Preprint About Caching",
            authors=[("Li", "Wang")],
            year=2024,
            arxiv="2403.01234",
            venue="CoRR",
            seeded=True,
        ),  # fmt: skip
    ]


@pytest.fixture
def fake():
    with FakeServices(papers=_papers(), toc_filler=3, arxiv_search_hit_rate=1.0) as fs:
        yield fs


def _get(fs: FakeServices, path: str, **kw):
    return requests.get(fs.url + path, timeout=5, **kw)


# -- shapes ----------------------------------------------------------------------------------------


def test_arxiv_id_list_parses_and_honours_max_results(fake):
    r = _get(fake, "/api/query", params={"id_list": "2201.00001,2403.01234,2301.11111", "max_results": "3"})
    assert r.status_code == 200 and "atom" in r.headers["content-type"]
    metas, errors = rarxiv.parse_feed(r.content)
    assert not errors
    assert [m.get("arxiv") for m in metas] == ["2201.00001", "2403.01234", "2301.11111"]
    assert metas[0].get("title") == "Gandiva: Introspective Cluster Scheduling"
    assert metas[0].get("author")[0].family == "Xiao"
    assert metas[0].get("primary_class")
    # without max_results the real API stops at 10
    ids = ",".join(f"2301.{i:05d}" for i in range(10001, 10016))
    metas, _ = rarxiv.parse_feed(_get(fake, "/api/query", params={"id_list": ids}).content)
    assert len(metas) == 10
    # an impossible id is silently left out; a malformed one is an HTTP 400 error feed
    metas, _ = rarxiv.parse_feed(
        _get(fake, "/api/query", params={"id_list": "0808.05394", "max_results": "1"}).content
    )
    assert metas == []
    bad = _get(fake, "/api/query", params={"id_list": "abc", "max_results": "1"})
    assert bad.status_code == 400
    metas, errors = rarxiv.parse_feed(bad.content)
    assert metas == [] and errors == ["incorrect id format for abc"]


def test_arxiv_legacy_layout_parses(fake):
    fake.configure(arxiv_legacy=True)
    r = _get(fake, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
    assert 'xmlns:arxiv="http://arxiv.org/schemas/atom"' in r.text and "<feed xmlns=" in r.text
    metas, _ = rarxiv.parse_feed(r.content)
    assert metas[0].get("arxiv") == "2201.00001" and metas[0].get("primary_class")


def test_arxiv_title_search(fake):
    q = 'ti:"a preprint about caching" OR ti:"something nobody wrote"'
    metas, _ = rarxiv.parse_feed(
        _get(fake, "/api/query", params={"search_query": q, "max_results": "40"}).content
    )
    titles = {search_words(m.get("title")) for m in metas}
    assert "a preprint about caching" in titles  # seeded with an arXiv id: always found
    assert "something nobody wrote" in titles  # hit rate 1.0
    fake.configure(arxiv_search_hit_rate=0.0)
    metas, _ = rarxiv.parse_feed(
        _get(
            fake, "/api/query", params={"search_query": 'ti:"something nobody wrote"', "max_results": "20"}
        ).content
    )
    assert metas == []


def test_crossref_batch_and_single(fake):
    dois = ["10.1145/3448016.3452841", "10.1000/xyz1", "10.48550/arxiv.2201.00001"]
    r = _get(fake, "/works", params={"filter": ",".join(f"doi:{d}" for d in dois), "rows": "3",
                                     "select": rcrossref.SELECT, "mailto": "a@b.c"})  # fmt: skip
    assert r.status_code == 200
    assert r.headers["x-rate-limit-limit"] == "50" and r.headers["x-rate-limit-interval"] == "1s"
    data = r.json()
    assert data["message-type"] == "work-list"
    metas = {m.get("doi"): m for m in (rcrossref.work_to_metadata(w, "") for w in data["message"]["items"])}
    assert set(metas) == {"10.1145/3448016.3452841", "10.1000/xyz1"}  # the DataCite DOI is not in Crossref
    assert metas["10.1145/3448016.3452841"].get("title").startswith("Vector Quotient Filters")
    assert metas["10.1145/3448016.3452841"].get("year") == 2021
    assert all(set(w) <= set(rcrossref.SELECT.split(",")) for w in data["message"]["items"])
    # rows is honoured
    assert (
        len(
            _get(fake, "/works", params={"filter": "doi:10.1/a,doi:10.1/b", "rows": "1"}).json()["message"][
                "items"
            ]
        )
        == 1
    )
    one = _get(fake, "/works/10.1145/3448016.3452841")
    assert one.json()["message-type"] == "work"
    assert rcrossref.work_to_metadata(one.json()["message"], "").get("doi") == "10.1145/3448016.3452841"
    missing = _get(fake, "/works/10.48550/arXiv.2201.00001")
    assert missing.status_code == 404 and missing.text == "Resource not found."
    invalid = _get(fake, "/works", params={"filter": "doi:10.1/a", "query.title": "x"})
    assert invalid.status_code == 400 and invalid.json()["message-type"] == "validation-failure"


def test_doi_org_redirects_and_negotiates(fake):
    r = _get(fake, "/10.1145/3448016.3452841", headers={"Accept": CSL})
    assert r.status_code == 200 and r.history and r.history[0].status_code == 302
    csl = r.json()
    assert csl["type"] == "proceedings-article" and "id" not in csl
    meta = rdoi.csl_to_metadata(csl, "", "10.1145/3448016.3452841")
    assert meta.get("title").startswith("Vector Quotient Filters") and meta.get("year") == 2021
    dc = _get(fake, "/10.48550/arXiv.2201.00001", headers={"Accept": CSL}).json()
    assert dc["type"] == "article" and dc["DOI"] == "10.48550/ARXIV.2201.00001"
    assert dc["id"] == "https://doi.org/10.48550/arxiv.2201.00001" and "container-title" not in dc
    meta = rdoi.csl_to_metadata(dc, "", "10.48550/arXiv.2201.00001")
    assert (
        meta.get("arxiv") == "2201.00001" and meta.get("title") == "Gandiva: Introspective Cluster Scheduling"
    )
    assert _get(fake, "/10.1145/x", headers={"Accept": "application/x-bibtex"}).text.startswith(" @")


def test_dblp_toc_paging_and_search(fake):
    params = {"q": "toc:db/conf/osdi/osdi2022.bht:", "format": "json", "h": "2", "f": "0"}
    first = _get(fake, "/search/publ/api", params=params)
    assert b"\r\n" in first.content
    hits = first.json()["result"]["hits"]
    assert (
        hits["@total"] == "6" and hits["@sent"] == "2" and hits["@first"] == "0"
    )  # editorship + 2 + 3 filler
    pages = [first.json()]
    for f in (2, 4, 6):
        pages.append(_get(fake, "/search/publ/api", params={**params, "f": str(f)}).json())
    assert "hit" not in pages[-1]["result"]["hits"]  # past the end: no hit key at all
    metas = [m for page in pages for m in rdblp.parse_hits(page)]
    assert len(metas) == 5  # the Editorship is not a paper
    titles = {m.get("title").replace(" - ", ": ") for m in metas}
    assert {"Gandiva: Introspective Cluster Scheduling", "Orca: A Distributed Serving System"} <= titles
    orca = next(m for m in metas if "Orca" in m.get("title"))
    assert orca.get("year") == 2022 and orca.get("dblp_key").startswith("conf/osdi/")
    assert "doi" not in orca.values  # USENIX: no DOI, ee on usenix.org
    single = next(m for m in metas if "Gandiva" in m.get("title"))
    assert len(single.get("author")) == 1  # authors.author was a bare object
    search = _get(
        fake, "/search/publ/api", params={"q": "gandiva introspective", "format": "json", "h": "30"}
    )
    found = rdblp.parse_hits(search.json())
    assert {m.get("dblp_key").split("/")[1] for m in found} == {"osdi", "corr"}
    none = _get(fake, "/search/publ/api", params={"q": "zzzz nothing", "format": "json", "h": "30"}).json()
    assert none["result"]["hits"]["@total"] == "0" and "hit" not in none["result"]["hits"]


def test_seeded_from_the_bundled_list(seed_path):
    with FakeServices(records=seed_path) as fs:
        stats = fs.snapshot()["config"]
        assert stats["tocs"] > 50
        osdi = _get(
            fs,
            "/search/publ/api",
            params={"q": "toc:db/conf/osdi/osdi2022.bht:", "format": "json", "h": "1000"},
        )
        titles = {rdblp.normalise(m.get("title")) for m in rdblp.parse_hits(osdi.json())}
        assert rdblp.normalise("Looking Beyond GPUs for DNN Scheduling on Multi-Tenant Clusters") in titles


# -- politeness ------------------------------------------------------------------------------------


def test_rate_limits_answer_429_or_503_with_retry_after():
    with FakeServices(papers=_papers(), arxiv_interval=0.5, dblp_interval=0.5, crossref_limit=2) as fs:
        a1 = _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
        a2 = _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
        assert a1.status_code == 200 and a2.status_code == 503 and a2.headers["Retry-After"] == "1"
        d1 = _get(fs, "/search/publ/api", params={"q": "orca", "format": "json"})
        d2 = _get(fs, "/search/publ/api", params={"q": "orca", "format": "json"})
        assert d1.status_code == 200 and d2.status_code == 429 and "html" in d2.headers["Content-Type"]
        assert d2.headers["Retry-After"]
        c = [_get(fs, "/works/10.1/x").status_code for _ in range(3)]
        assert c == [200, 200, 429]
        time.sleep(0.55)
        assert _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"}).status_code == 200
        stats = _get(fs, "/__stats").json()
        assert stats["politeness"] == {"arxiv": 1, "dblp": 1, "crossref": 1}
        assert stats["politeness_violations"] == 3
        assert stats["requests"]["arxiv"] == 3 and stats["routes"]["arxiv:id_list"] == 3
        assert requests.post(fs.url + "/__reset", timeout=5).status_code == 200
        assert _get(fs, "/__stats").json()["total_requests"] == 0


def test_project_client_is_polite():
    from mlsys_bib.config import Settings
    from mlsys_bib.net.http import HttpClient

    with FakeServices(papers=_papers(), arxiv_interval=0.2, dblp_interval=0.1) as fs:
        settings = Settings(arxiv_url=fs.url, dblp_url=fs.url, min_interval={"arxiv": 0.2, "dblp": 0.1})
        with HttpClient(settings) as http:
            for _ in range(3):
                http.get("arxiv", fs.url + "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
                http.get("dblp", fs.url + "/search/publ/api", params={"q": "orca", "format": "json"})
        stats = fs.snapshot()
        assert stats["politeness_violations"] == 0
        assert stats["min_gap_s"]["arxiv"] >= 0.2 and stats["min_gap_s"]["dblp"] >= 0.1


# -- faults ----------------------------------------------------------------------------------------


def _run_sequence(seed: int, n: int = 30) -> list[list]:
    kinds = ("429", "500", "503", "html", "wrong_id", "truncated", "reset")
    with FakeServices(
        papers=_papers(), fault_rate=0.5, seed=seed, fault_kinds=kinds, fault_retry_after=0
    ) as fs:
        for i in range(n):
            try:
                _get(
                    fs,
                    "/works/10.1/x" if i % 2 else "/api/query",
                    params={"id_list": "2201.00001", "max_results": "1"},
                )
            except requests.RequestException:
                pass
        return fs.snapshot()["fault_log"]


def test_faults_are_deterministic_for_a_seed():
    a, b, c = _run_sequence(7), _run_sequence(7), _run_sequence(8)
    assert a == b
    assert a != c
    assert 5 < len(a) < 25


def test_each_fault_kind_behaves():
    with FakeServices(papers=_papers(), fault_rate=1.0, client_timeout=0.2) as fs:

        def ask(kind: str):
            fs.configure(fault_kinds=[kind])
            return _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})

        assert ask("500").status_code == 500
        r = ask("503")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        fs.configure(fault_kinds=["429"])
        r = _get(fs, "/search/publ/api", params={"q": "orca", "format": "json"})
        assert r.status_code == 429 and "html" in r.headers["Content-Type"]
        r = ask("html")
        assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
        metas, _ = rarxiv.parse_feed(ask("wrong_id").content)
        assert [m.get("arxiv") for m in metas] == ["2201.00002"]
        with pytest.raises(requests.exceptions.ConnectionError):
            ask("reset")
        with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
            ask("truncated")
        fs.configure(fault_kinds=["truncated_silent"])
        r = _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
        with pytest.raises(rarxiv.FeedError):
            rarxiv.parse_feed(r.content)
        fs.configure(fault_kinds=["timeout"])
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(fs.url + "/works/10.1/x", timeout=0.2)
        stats = fs.snapshot()
        assert set(stats["faults"]) == {"500", "503", "429", "html", "wrong_id", "reset", "truncated",
                                        "truncated_silent", "timeout"}  # fmt: skip


def test_slow_delays_every_request():
    with FakeServices(papers=_papers(), slow={"crossref": 0.15}) as fs:
        t = time.monotonic()
        _get(fs, "/works/10.1/x")
        assert time.monotonic() - t >= 0.15
        t = time.monotonic()
        _get(fs, "/api/query", params={"id_list": "2201.00001", "max_results": "1"})
        assert time.monotonic() - t < 0.15


def test_cli_prints_url_and_serves():
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fakes" / "services.py"), "--port", "0", "--arxiv-interval", "0",
         "--dblp-interval", "0"],  # fmt: skip
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = requests.get(url + "/__stats", timeout=5)
        assert r.status_code == 200 and json.loads(r.text)["total_requests"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError):
        FakeServices(fault_kinds=["meteor"])
    assert "timeout" in fsmod.FAULT_KINDS
