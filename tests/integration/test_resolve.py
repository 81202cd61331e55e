"""The orchestrator end to end: one loopback server plays arXiv, Crossref and DBLP.

The responses are small hand-written bodies in each service's real shape (Atom feed, Crossref
work list, DBLP JSON with string counts and " - " titles). The tests check the plan (which
service is asked for what, in how many requests), the verdicts, the report, and the run-to-run
behaviour: a warm rerun asks nothing, offline asks nothing, failures are retried and only they.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from conftest import loopback_settings
from werkzeug import Request, Response

from mlsys_bib import venues
from mlsys_bib.config import Settings
from mlsys_bib.ids import Identifier
from mlsys_bib.model import Kind, ListItem, Provenance, Record, Section, VenueTag, Verdict
from mlsys_bib.net.http import HttpClient
from mlsys_bib.resolve import ResolveReport, plan_lookups, resolve_records
from mlsys_bib.text.titles import normalise

SECTION = Section("2.2", "DNN job scheduling")

# -- the services' data ------------------------------------------------------------------------

ARXIV = {
    "2309.06180": {
        "title": "Efficient Memory Management for Large Language Model Serving with PagedAttention",
        "authors": ["Woosuk Kwon", "Zhuohan Li", "Ion Stoica"],
        "published": "2023-09-12T17:52:36Z",
        "doi": "10.1145/3600006.3613165",
        "journal_ref": "SOSP 2023",
    },
    "2401.08895": {
        "title": "cedar: Composable and Optimized Machine Learning Input Data Pipelines",
        "authors": ["Mark Zhao", "Emanuel Adamiak", "Christos Kozyrakis"],
        "published": "2024-01-17T00:00:00Z",
    },
    "2405.00001": {
        "title": "A Title-Only Preprint About Schedulers",
        "authors": ["Ann Author"],
        "published": "2024-05-01T00:00:00Z",
    },
}

CROSSREF = {
    "10.1145/3600006.3613165": {
        "DOI": "10.1145/3600006.3613165",
        "type": "proceedings-article",
        "title": ["Efficient Memory Management for Large Language Model Serving with PagedAttention"],
        "author": [{"given": "Woosuk", "family": "Kwon"}, {"given": "Zhuohan", "family": "Li"}],
        "issued": {"date-parts": [[2023, 10, 23]]},
        "container-title": ["Proceedings of the 29th Symposium on Operating Systems Principles"],
        "publisher": "ACM",
        "page": "611-626",
    },
    "10.1145/3600006.3613152": {
        "DOI": "10.1145/3600006.3613152",
        "type": "proceedings-article",
        "title": ["Oobleck: Resilient Distributed Training of Large Models Using Pipeline Templates"],
        "author": [{"given": "Insu", "family": "Jang"}],
        "issued": {"date-parts": [[2023, 10, 23]]},
        "container-title": ["Proceedings of the 29th Symposium on Operating Systems Principles"],
        "publisher": "ACM",
        "page": "382-395",
    },
}


def _dblp_hit(
    key: str, title: str, year: int, venue: str, authors: list[str], **extra: str
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "authors": {"author": [{"@pid": f"p/{i}", "text": a} for i, a in enumerate(authors)]},
        "title": title,
        "venue": venue,
        "year": str(year),
        "type": "Conference and Workshop Papers",
        "key": key,
    }
    info.update(extra)
    return {"@score": "1", "@id": key, "info": info, "url": f"URL#{key}"}


DBLP_TOC = {
    "db/conf/osdi/osdi2018.bht": [
        _dblp_hit(
            "conf/osdi/XiaoBRSKHPPZZYZ18",
            "Gandiva - Introspective Cluster Scheduling for Deep Learning.",
            2018,
            "OSDI",
            ["Wencong Xiao", "Romil Bhardwaj 0001"],
            pages="595-610",
            ee="https://www.usenix.org/conference/osdi18/presentation/xiao",
        ),
        _dblp_hit("conf/osdi/A18", "Twice Listed Paper.", 2018, "OSDI", ["A One"]),
        _dblp_hit("conf/osdi/B18", "Twice Listed Paper.", 2018, "OSDI", ["B Two"]),
        _dblp_hit("conf/osdi/C18", "Wrong Year Paper.", 2015, "OSDI", ["C Three"]),
        {
            "@score": "1",
            "@id": "ed",
            "info": {
                "title": "13th USENIX Symposium on OSDI 2018.",
                "type": "Editorship",
                "key": "conf/osdi/2018",
            },
        },
    ],
}
DBLP_SEARCH = {
    "dlbooster boosting end to end deep learning workflows with offloading data preprocessing pipelines": [
        _dblp_hit(
            "journals/corr/abs-1900-00002",
            "DLBooster - Boosting End-to-End Deep Learning Workflows with Offloading Data Preprocessing Pipelines.",
            2019,
            "CoRR",
            ["Yang Cheng"],
        ),
        _dblp_hit(
            "conf/icpp/ChengLGZLW19",
            "DLBooster - Boosting End-to-End Deep Learning Workflows with Offloading Data Preprocessing Pipelines.",
            2019,
            "ICPP",
            ["Yang Cheng", "Dan Li 0001"],
            pages="88:1-88:11",
            doi="10.1145/3337821.3337892",
        ),
    ],
}


def _atom(ids: list[str]) -> bytes:
    entries = []
    for value in ids:
        paper = ARXIV[value]
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in paper["authors"])
        extra = ""
        if "doi" in paper:
            extra += f"<arxiv:doi>{paper['doi']}</arxiv:doi>"
        if "journal_ref" in paper:
            extra += f"<arxiv:journal_ref>{escape(paper['journal_ref'])}</arxiv:journal_ref>"
        entries.append(
            f"<entry><id>http://arxiv.org/abs/{value}v2</id><updated>{paper['published']}</updated>"
            f"<published>{paper['published']}</published><title>{escape(paper['title'])}</title>"
            f"<summary>An abstract.</summary>{authors}{extra}"
            f'<arxiv:primary_category term="cs.DC" scheme="http://arxiv.org/schemas/atom"/>'
            f'<category term="cs.DC" scheme="http://arxiv.org/schemas/atom"/></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<title>arXiv Query</title><id>https://arxiv.org/api/x</id><updated>2025-01-01T00:00:00Z</updated>"
        f"<opensearch:totalResults>{len(ids)}</opensearch:totalResults>"
        f"<opensearch:startIndex>0</opensearch:startIndex><opensearch:itemsPerPage>{len(ids)}</opensearch:itemsPerPage>"
        + "".join(entries)
        + "</feed>"
    ).encode()


def _dblp_body(hits: list[dict[str, Any]], query: str) -> bytes:
    result: dict[str, Any] = {
        "query": query,
        "status": {"@code": "200", "text": "OK"},
        "hits": {
            "@total": str(len(hits)),
            "@computed": str(len(hits)),
            "@sent": str(len(hits)),
            "@first": "0",
        },
    }
    if hits:
        result["hits"]["hit"] = hits
    return json.dumps({"result": result}, indent=0).replace("\n", "\r\n").encode()


class FakeServices:
    """arXiv + Crossref + doi.org + DBLP on one loopback server; ``down`` services answer 503."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.calls: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: Request) -> Response:
        path = request.path
        service = (
            "arxiv"
            if path.startswith("/api/query")
            else "crossref"
            if path.startswith("/works")
            else "dblp"
            if path.startswith("/search/publ/api")
            else "doi"
        )
        self.calls[service] += 1
        self.log.append((path, dict(request.args)))
        if service in self.down:
            return Response("Service Unavailable", 503, content_type="text/plain")
        return getattr(self, service)(request)

    def arxiv(self, request: Request) -> Response:
        if "id_list" in request.args:
            ids = [i for i in request.args["id_list"].split(",") if i in ARXIV]
        else:
            phrases = re.findall(r'ti:"([^"]+)"', request.args.get("search_query", ""))
            ids = [k for k, v in ARXIV.items() if normalise(v["title"]) in {normalise(p) for p in phrases}]
        return Response(_atom(ids), 200, content_type="application/atom+xml; charset=UTF-8")

    def crossref(self, request: Request) -> Response:
        if request.path == "/works":
            wanted = [d.removeprefix("doi:") for d in request.args.get("filter", "").split(",")]
            items = [CROSSREF[d] for d in wanted if d in CROSSREF]
            body = {"status": "ok", "message-type": "work-list", "message": {"items": items}}
            return Response(json.dumps(body), 200, content_type="application/json")
        doi = request.path.removeprefix("/works/").lower()
        if doi in CROSSREF:
            return Response(
                json.dumps({"status": "ok", "message": CROSSREF[doi]}), 200, content_type="application/json"
            )
        return Response("Resource not found.", 404, content_type="application/json")

    def doi(self, request: Request) -> Response:
        return Response("DOI Not Found", 404, content_type="text/html")

    def dblp(self, request: Request) -> Response:
        q = request.args.get("q", "")
        if q.startswith("toc:"):
            hits = DBLP_TOC.get(q[4:].rstrip(":"), [])
        else:
            hits = DBLP_SEARCH.get(q, [])
        return Response(_dblp_body(hits, q), 200, content_type="application/json; charset=utf-8")


# -- records as records.py builds them ----------------------------------------------------------


def make_record(key: str, title: str, tag: str, venue: str, year: int | None, *links: Identifier) -> Record:
    vtag = VenueTag(tag, venue, year) if tag else None
    item = ListItem(10, SECTION, (SECTION,), title, title, tag=vtag, identifiers=tuple(links))
    record = Record(key, [item])
    src = Provenance("list", "L10")
    record.set("title", title, src)
    table = venues.lookup(venue) if venue else None
    if year is not None:
        record.set("year", year, src)
    if table is not None:
        record.set("kind", table.kind, Provenance("venues", table.acronym))
        record.set("container_title", table.container_title(year), Provenance("venues", table.acronym))
    else:
        record.set("kind", Kind.PREPRINT, src)
    for ident in links:
        record.set(ident.kind, ident.value, src)
    return record


def the_records() -> list[Record]:
    return [
        make_record(
            "vllm",
            "Efficient Memory Management for LLM Serving",
            "arxiv'23",
            "arXiv",
            2023,
            Identifier("arxiv", "2309.06180"),
        ),  # fmt: skip
        make_record(
            "cedar",
            "cedar: Composable and Optimized ML Input Data Pipelines",
            "VLDB'25",
            "VLDB",
            2025,
            Identifier("arxiv", "2401.08895"),
        ),  # fmt: skip
        make_record(
            "oobleck",
            "Oobleck: Resilient Distributed Training",
            "SOSP'23",
            "SOSP",
            2023,
            Identifier("doi", "10.1145/3600006.3613152"),
        ),  # fmt: skip
        make_record(
            "gandiva", "Gandiva: Introspective Cluster Scheduling for Deep Learning", "OSDI'18", "OSDI", 2018
        ),
        make_record("optimus", "Optimus: Not In This TOC", "OSDI'18", "OSDI", 2018),
        make_record("twice", "Twice Listed Paper", "OSDI'18", "OSDI", 2018),
        make_record("wrongyear", "Wrong Year Paper", "OSDI'18", "OSDI", 2018),
        make_record(
            "dlbooster",
            "DLBooster: Boosting End-to-End Deep Learning Workflows with Offloading Data Preprocessing Pipelines",
            "ICPP'19",
            "ICPP",
            2019,
        ),
        make_record("titleonly", "A Title-Only Preprint About Schedulers", "arxiv'24", "arXiv", 2024),
        make_record("untagged", "Some Untagged Paper", "", "", None),
    ]


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def services(httpserver) -> FakeServices:  # type: ignore[no-untyped-def]
    fake = FakeServices()
    httpserver.expect_request(re.compile(r"^/")).respond_with_handler(fake)
    return fake


@pytest.fixture
def settings(httpserver, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    # this server speaks DBLP's search API only, like a mirror without SPARQL
    return loopback_settings(
        httpserver.url_for("/"), tmp_path / "cache.sqlite", retries=0, progress=False, dblp_sparql_url="none"
    )


def verdicts(records: list[Record]) -> dict[str, tuple[Verdict, str]]:
    return {r.key: (r.verdict, r.verdict_detail) for r in records}


# -- tests --------------------------------------------------------------------------------------


def test_plan() -> None:
    plan = plan_lookups(the_records())
    assert set(plan.arxiv) == {"vllm", "cedar"}
    assert set(plan.dois) == {"oobleck"}
    # a venue-tagged arXiv link without a DOI gets its venue's TOC (issue 10: where its pages and
    # DOI are); a DOI is answered by Crossref, so its TOC is matched only if fetched anyway
    assert plan.toc == {
        **dict.fromkeys(["gandiva", "optimus", "twice", "wrongyear"], "db/conf/osdi/osdi2018.bht"),
        "cedar": "db/journals/pvldb/pvldb18.bht",
    }
    assert plan.toc_extra == {"oobleck": "db/conf/sosp/sosp2023.bht"}
    assert set(plan.dblp_search) == {"dlbooster"}
    assert set(plan.arxiv_search) == {"titleonly"}
    assert set(plan.nothing) == {"untagged"}


def test_end_to_end(services: FakeServices, settings: Settings) -> None:
    records = the_records()
    report = resolve_records(records, settings)
    got = verdicts(records)
    assert got["vllm"] == (Verdict.RESOLVED, "arxiv+crossref")
    assert got["cedar"] == (Verdict.RESOLVED, "arxiv")
    assert got["oobleck"] == (Verdict.RESOLVED, "crossref")
    assert got["gandiva"] == (Verdict.RESOLVED, "dblp")
    assert got["dlbooster"] == (Verdict.RESOLVED, "dblp")
    assert got["titleonly"] == (Verdict.RESOLVED, "arxiv")
    assert got["optimus"][0] is Verdict.NOT_FOUND and "no DBLP hit with this title" in got["optimus"][1]
    assert got["twice"][0] is Verdict.AMBIGUOUS and "conf/osdi/A18" in got["twice"][1]
    assert got["wrongyear"][0] is Verdict.NOT_FOUND and "year 2015" in got["wrongyear"][1]
    assert got["untagged"][0] is Verdict.UNRESOLVED

    by = {r.key: r for r in records}
    # arXiv-tagged + arXiv-reported DOI: the published version wins, the eprint stays
    vllm = by["vllm"]
    assert vllm.get("kind") is Kind.PROCEEDINGS and vllm.get("pages") == "611-626"
    assert vllm.get("arxiv") == "2309.06180" and vllm.get("primary_class") == "cs.DC"
    assert (
        vllm.get("title")
        == "Efficient Memory Management for Large Language Model Serving with PagedAttention"
    )
    # VLDB-tagged with an arXiv link stays a VLDB paper
    assert by["cedar"].get("kind") is Kind.JOURNAL and by["cedar"].get("year") == 2025
    # DBLP TOC match: colon restored, homonym number gone, pages and key filled
    gandiva = by["gandiva"]
    assert gandiva.get("title") == "Gandiva: Introspective Cluster Scheduling for Deep Learning"
    assert gandiva.get("author")[1].family == "Bhardwaj"
    assert gandiva.get("dblp_key") == "conf/osdi/XiaoBRSKHPPZZYZ18"
    assert gandiva.fields["pages"].provenance.source == "dblp"
    # the CoRR copy is passed over for the ICPP paper
    assert by["dlbooster"].get("dblp_key") == "conf/icpp/ChengLGZLW19"
    assert by["dlbooster"].get("doi") == "10.1145/3337821.3337892"
    # ambiguous and not-found keep the list data untouched
    assert by["twice"].get("author") is None and by["twice"].fields["title"].provenance.source == "list"
    for record in records:
        assert record.key in {r.key for r in the_records()}  # keys never change

    # one batched request per service round; one TOC for four records, the TOC of cedar (a
    # venue-tagged arXiv link without a DOI: its pages are there), dlbooster's title search, and
    # the published-version search of the arXiv-only vllm (issue 10), planned before arXiv answers
    assert dict(services.calls) == {"arxiv": 2, "crossref": 2, "dblp": 4}
    assert report.requests == {"arxiv": 2, "crossref": 2, "dblp": 4}
    toc_queries = [a["q"] for p, a in services.log if a.get("q", "").startswith("toc:")]
    assert toc_queries == ["toc:db/conf/osdi/osdi2018.bht:", "toc:db/journals/pvldb/pvldb18.bht:"]
    assert report.counts == {
        "resolved": 6,
        "not found": 2,
        "ambiguous": 1,
        "unresolved": 1,
        "failed": 0,
        "partial": 0,
    }
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert [a["key"] for a in data["ambiguous"]] == ["twice"]
    assert [a["key"] for a in data["not_found"]] == ["optimus", "wrongyear"]
    assert list(data["verdicts"]) == sorted(data["verdicts"])


def test_warm_rerun_makes_zero_requests(services: FakeServices, settings: Settings) -> None:
    first = the_records()
    resolve_records(first, settings)
    before = sum(services.calls.values())
    second = the_records()
    report = resolve_records(second, settings)
    assert sum(services.calls.values()) == before
    assert report.requests == {}
    assert verdicts(second) == verdicts(first)
    assert report.to_dict() == resolve_records(the_records(), settings).to_dict()
    assert {k: v.value for k, v in second[0].fields.items()} == {
        k: v.value for k, v in first[0].fields.items()
    }


def test_offline_makes_zero_requests_and_leaves_unresolved(
    services: FakeServices, settings: Settings
) -> None:
    records = the_records()
    report = resolve_records(records, settings.with_(offline=True))
    assert sum(services.calls.values()) == 0
    assert report.requests == {} and report.offline
    assert {r.verdict for r in records} == {Verdict.UNRESOLVED}
    assert all(r.get("author") is None for r in records)
    assert "offline" in records[0].verdict_detail


def test_offline_after_a_warm_run_uses_the_cache(services: FakeServices, settings: Settings) -> None:
    resolve_records(the_records(), settings)
    calls = sum(services.calls.values())
    records = the_records()
    resolve_records(records, settings.with_(offline=True))
    assert sum(services.calls.values()) == calls
    assert verdicts(records)["gandiva"] == (Verdict.RESOLVED, "dblp")
    assert verdicts(records)["vllm"] == (Verdict.RESOLVED, "arxiv+crossref")


def test_failing_service_gives_failed_and_only_failures_are_retried(
    services: FakeServices, settings: Settings
) -> None:
    services.down = {"dblp"}
    records = the_records()
    report = resolve_records(records, settings)
    got = verdicts(records)
    for key in ("gandiva", "optimus", "twice", "wrongyear", "dlbooster"):
        assert got[key][0] is Verdict.FAILED, key
        assert "503" in got[key][1]
    assert got["vllm"][0] is Verdict.RESOLVED and got["oobleck"][0] is Verdict.RESOLVED
    assert {f["key"] for f in report.to_dict()["failed"]} == {
        "gandiva",
        "optimus",
        "twice",
        "wrongyear",
        "dlbooster",
    }
    assert (
        records[3].get("title") == "Gandiva: Introspective Cluster Scheduling for Deep Learning"
    )  # list data kept

    services.down = set()
    services.calls.clear()
    again = the_records()
    report = resolve_records(again, settings)
    # the failed lookups only: the two TOCs, the title search, the published-version search
    assert dict(services.calls) == {"dblp": 4}
    assert verdicts(again)["gandiva"] == (Verdict.RESOLVED, "dblp")
    assert report.counts["failed"] == 0


def test_partial_when_one_of_two_sources_fails(services: FakeServices, settings: Settings) -> None:
    services.down = {"crossref", "doi"}
    records = the_records()
    report = resolve_records(records, settings)
    got = verdicts(records)
    assert got["vllm"][0] is Verdict.PARTIAL and got["vllm"][1].startswith("arxiv; crossref:")
    assert got["oobleck"][0] is Verdict.FAILED
    # arXiv alone: its journal_ref "SOSP 2023" names one venue and one year, so that is the venue
    vllm = records[0]
    assert vllm.get("kind") is Kind.PROCEEDINGS and vllm.get("container_short") == "SOSP"
    assert vllm.fields["kind"].provenance.via == "journal_ref"
    assert vllm.get("pages") is None
    assert [p["key"] for p in report.to_dict()["partial"]] == ["vllm"]


def test_only_limits_the_services_asked(services: FakeServices, settings: Settings) -> None:
    records = the_records()
    resolve_records(records, settings.with_(only=frozenset({"dblp"})))
    assert set(services.calls) == {"dblp"}
    got = verdicts(records)
    assert got["gandiva"][0] is Verdict.RESOLVED
    assert got["vllm"][0] is Verdict.UNRESOLVED and "not looked up" in got["vllm"][1]


def test_caller_http_client_counts_requests(services: FakeServices, settings: Settings) -> None:
    with HttpClient(settings) as http:
        report = resolve_records(the_records(), settings, http=http, progress=False)
        assert sum(http.requests_made.values()) == 8
    assert isinstance(report, ResolveReport) and report.records == 10


def test_progress_bar_only_on_a_tty(services: FakeServices, settings: Settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import sys

    from mlsys_bib.resolve import _progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert _progress_bar(10, True) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _progress_bar(10, False) is None
    records = the_records()
    resolve_records(records, settings, progress=True)
    assert "resolve" in capsys.readouterr().err
    assert verdicts(records)["gandiva"] == (Verdict.RESOLVED, "dblp")
