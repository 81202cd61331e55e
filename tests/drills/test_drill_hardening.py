"""XML/JSON hardening drill: hostile answers served on loopback to the real clients.

Billion-laughs and external-entity Atom feeds to the arXiv client, deeply nested JSON to the
Crossref, doi.org and DBLP clients, 50 MB bodies (declared, chunked, and a gzip bomb) to all of
them. Each must end as a *failed* lookup with a message saying why (never an exception, never
metadata), quickly, with bounded memory (tracemalloc peak well under 200 MB), and a whole
resolve run must survive them with the records' list data intact.
"""

from __future__ import annotations

import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from bench.drills.drillserver import LoopbackServer, Reply, Request, iter_zeros  # noqa: E402
from mlsys_bib.config import Settings  # noqa: E402
from mlsys_bib.ids import arxiv as arxiv_ids  # noqa: E402
from mlsys_bib.model import Verdict  # noqa: E402
from mlsys_bib.net.cache import Cache  # noqa: E402
from mlsys_bib.net.http import HttpClient  # noqa: E402
from mlsys_bib.parse.markdown import parse_list  # noqa: E402
from mlsys_bib.records import build_records  # noqa: E402
from mlsys_bib.resolve import resolve_records  # noqa: E402
from mlsys_bib.resolve.dois import DoiLookup  # noqa: E402
from mlsys_bib.sources.arxiv import ArxivClient  # noqa: E402
from mlsys_bib.sources.dblp import DblpClient  # noqa: E402
from mlsys_bib.sources.doi import DoiClient  # noqa: E402
from mlsys_bib.sources.outcome import FAILED  # noqa: E402

DATA = ROOT / "tests" / "data" / "arxiv"
MB = 1024 * 1024
MEMORY_BOUND = 200 * MB
BIG = 50 * MB

# ---------------------------------------------------------------------------------------------
# hostile bodies

BILLION_LAUGHS = (DATA / "billion_laughs.xml").read_bytes()
EXTERNAL_ENTITY = (DATA / "external_entity.xml").read_bytes()
EXTERNAL_DTD = (DATA / "dtd_only.xml").read_bytes()
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "' + b"x" * 100_000 + b'">]>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id><title>'
    + b"&a;" * 20_000
    + b"</title></entry></feed>"
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom"/>'
)
DEEP_XML = (
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id><title>'
    + b"<b>" * 200_000
    + b"x"
    + b"</b>" * 200_000
    + b"</title></entry></feed>"
)
DEEP_ARRAY = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECT = b'{"status":"ok","message":' + b'{"a":' * 200_000 + b"1" + b"}" * 200_000 + b"}"
DEEP_DBLP = b'{"result":{"hits":{"hit":' + b"[" * 200_000 + b"]" * 200_000 + b"}}}"


def gzip_bomb(total: int) -> Iterator[bytes]:
    """``total`` bytes of zeros, gzip-compressed on the fly (a ~1000:1 bomb, never held whole)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * MB
    for _ in range(total // MB):
        out = comp.compress(block)
        if out:
            yield out
    yield comp.flush()


# ---------------------------------------------------------------------------------------------
# plumbing


def serve(body: Callable[[], bytes | Iterator[bytes]], content_type: str, **reply: object) -> LoopbackServer:
    def handler(req: Request) -> Reply:
        return Reply(200, body(), content_type, **reply)  # type: ignore[arg-type]

    return LoopbackServer(handler)


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        arxiv_url=url,
        crossref_url=url,
        doi_url=url,
        dblp_url=url,
        cache_path=tmp_path / "cache.sqlite",
        retries=0,
        timeout=10,
        min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0},
    )


def ask(client: str, http: HttpClient, cache: Cache, settings: Settings) -> list:
    """Outcomes of one lookup through ``client``."""
    if client == "arxiv":
        return list(ArxivClient(http, cache, settings).fetch([arxiv_ids.parse("2401.00001")]).values())
    if client == "arxiv-search":
        return list(ArxivClient(http, cache, settings).search_titles(["A Title Of Some Paper"]).values())
    if client == "crossref":
        return list(DoiLookup(http, cache, settings).fetch(["10.1145/3600006.3613165"]).values())
    if client == "crossref-one":
        client_ = DoiLookup(http, cache, settings)
        return [client_.crossref._fetch_one("10.1145/3600006.3613165") or client_.doi.fetch("10.1145/3600006.3613165")]
    if client == "doi":
        return [DoiClient(http, cache, settings).fetch("10.48550/arXiv.2401.00001")]
    if client == "dblp-toc":
        return [DblpClient(http, cache, settings).toc("db/conf/osdi/osdi2022.bht")]
    if client == "dblp-search":
        return [DblpClient(http, cache, settings).search("some title words")]
    raise AssertionError(client)


def measured(fn: Callable[[], list]) -> tuple[list, int, float]:
    """(result, tracemalloc peak in bytes, seconds)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    t = time.monotonic()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1], time.monotonic() - t
    finally:
        tracemalloc.stop()


def assert_failed_clearly(outcomes: list, *words: str) -> None:
    assert outcomes, "no outcome"
    for outcome in outcomes:
        assert outcome.status == FAILED, (outcome.status, outcome.detail)
        assert not outcome.metadata
        assert outcome.detail and "\n" not in outcome.detail
        for word in words:
            assert word.lower() in outcome.detail.lower(), outcome.detail


def run_client(tmp_path: Path, server: LoopbackServer, client: str) -> tuple[list, int, float, Cache]:
    with server:
        settings = settings_for(server.url, tmp_path)
        with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
            outcomes, peak, seconds = measured(lambda: ask(client, http, cache, settings))
            return outcomes, peak, seconds, cache


def cache_rows(tmp_path: Path) -> int:
    with Cache(tmp_path / "cache.sqlite") as cache:
        return cache.count()


# ---------------------------------------------------------------------------------------------
# XML to the arXiv client


@pytest.mark.parametrize("client", ["arxiv", "arxiv-search"])
@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, QUADRATIC_BLOWUP, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "quadratic-blowup", "parameter-entity"],
)
def test_entity_attacks_on_the_arxiv_client_are_rejected(tmp_path, client, body):
    server = serve(lambda: body, "application/atom+xml")
    outcomes, peak, seconds, _ = run_client(tmp_path, server, client)
    assert_failed_clearly(outcomes, "unsafe XML")
    for outcome in outcomes:
        assert "root:" not in outcome.detail  # /etc/passwd was never read
    assert peak < 20 * MB and seconds < 5, (peak, seconds)
    assert cache_rows(tmp_path) == 0, "a rejected answer must not be cached"


def test_deeply_nested_xml_to_the_arxiv_client_is_bounded(tmp_path):
    """200 000 nested elements in a title: a clear failure or a flattened title, never a crash."""
    server = serve(lambda: DEEP_XML, "application/atom+xml")
    outcomes, peak, seconds, _ = run_client(tmp_path, server, "arxiv")
    (outcome,) = outcomes
    assert outcome.status in (FAILED, "found"), outcome
    if outcome.status == FAILED:
        assert outcome.detail
    assert peak < MEMORY_BOUND and seconds < 20, (peak, seconds)


# ---------------------------------------------------------------------------------------------
# JSON to the Crossref, doi.org and DBLP clients

# json.loads raises RecursionError (not ValueError) on deeply nested input; it must end as a
# failed lookup, not escape the clients (it once escaped every one of them and resolve_records).


@pytest.mark.parametrize("client", ["crossref", "crossref-one", "doi", "dblp-toc", "dblp-search"])
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, DEEP_DBLP], ids=["array", "object", "dblp-shaped"])
def test_deeply_nested_json_is_a_failed_lookup(tmp_path, client, body):
    ctype = "application/vnd.citationstyles.csl+json" if client == "doi" else "application/json"
    server = serve(lambda: body, ctype)
    outcomes, peak, seconds, _ = run_client(tmp_path, server, client)
    assert_failed_clearly(outcomes, "JSON")
    assert peak < MEMORY_BOUND and seconds < 10


def test_deeply_nested_json_does_not_sink_a_resolve_run(tmp_path):
    parsed = parse_list(
        "# L\n\n## 1. S\n- [SOSP'23] [Paper With DOI](https://doi.org/10.1145/3600006.3613165)\n"
        "- [arxiv'24] [Paper On arXiv](https://arxiv.org/abs/2401.00001)\n"
    )
    records = build_records(parsed).records
    server = serve(lambda: DEEP_ARRAY, "application/json")
    with server:
        settings = settings_for(server.url, tmp_path)
        resolve_records(records, settings)
    assert {r.verdict for r in records} <= {Verdict.FAILED}
    assert all(r.get("title") == r.items[0].title for r in records)


# ---------------------------------------------------------------------------------------------
# 50 MB bodies to every client

ALL_CLIENTS = ["arxiv", "arxiv-search", "crossref", "crossref-one", "doi", "dblp-toc", "dblp-search"]


@pytest.mark.parametrize("client", ALL_CLIENTS)
@pytest.mark.parametrize("shape", ["declared", "chunked", "gzip-bomb"])
def test_a_50_mb_body_is_refused_with_bounded_memory(tmp_path, client, shape):
    ctype = "application/atom+xml" if client.startswith("arxiv") else "application/json"
    if shape == "declared":
        server = serve(lambda: iter_zeros(BIG), ctype, length=BIG)
    elif shape == "chunked":
        server = serve(lambda: iter_zeros(BIG), ctype, length=None)
    else:
        server = serve(lambda: gzip_bomb(4 * BIG), ctype, length=None, headers={"Content-Encoding": "gzip"})
    outcomes, peak, seconds, _ = run_client(tmp_path, server, client)
    assert_failed_clearly(outcomes, "exceeds")
    assert peak < MEMORY_BOUND, f"peak {peak / MB:.0f} MB"
    assert seconds < 20
    assert cache_rows(tmp_path) == 0


def test_hostile_answers_leave_a_resolve_run_with_failed_verdicts_and_list_data(tmp_path):
    """A whole run against a server that answers every request with a billion-laughs feed or a
    50 MB body: every looked-up record ends failed with the reason, keeping its list data."""
    parsed = parse_list(
        "# L\n\n## 1. S\n"
        "- [SOSP'23] [Paper With DOI](https://doi.org/10.1145/3600006.3613165)\n"
        "- [arxiv'24] [Paper On arXiv](https://arxiv.org/abs/2401.00001)\n"
        "- [OSDI'22] A Paper Found Only Through DBLP\n"
    )
    records = build_records(parsed).records
    before = {r.key: dict(r.fields) for r in records}

    def handler(req: Request) -> Reply:
        if req.path.endswith("/api/query"):
            return Reply(200, BILLION_LAUGHS, "application/atom+xml")
        return Reply(200, iter_zeros(BIG), "application/json", length=None)

    with LoopbackServer(handler) as server:
        settings = settings_for(server.url, tmp_path)
        _, peak, seconds = measured(lambda: [resolve_records(records, settings)])
    assert peak < MEMORY_BOUND and seconds < 30
    for record in records:
        assert record.verdict is Verdict.FAILED, (record.key, record.verdict, record.verdict_detail)
        assert "unsafe XML" in record.verdict_detail or "exceeds" in record.verdict_detail
        assert record.fields == before[record.key], "list data changed by a failed lookup"
