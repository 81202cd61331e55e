"""HttpClient and Settings against a loopback server: pacing, retries, bounds, offline."""

from __future__ import annotations

import time
from email.utils import formatdate
from pathlib import Path

import pytest
from conftest import ZERO_INTERVAL, loopback_settings
from werkzeug.wrappers import Response as WResponse

from mlsys_bib import __version__
from mlsys_bib.config import DEFAULT_MIN_INTERVAL, Settings, parse_min_interval
from mlsys_bib.net.http import (
    HttpClient,
    OfflineError,
    Response,
    ServiceError,
    parse_rate_limit,
    parse_retry_after,
)


class FakeTime:
    """An injected clock + sleep: sleeping advances the clock and records the wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


def make(httpserver, tmp_path: Path, **kw) -> Settings:
    kw.setdefault("retries", 3)
    kw.setdefault("timeout", 5.0)
    return loopback_settings(httpserver.url_for(""), tmp_path / "c.sqlite", **kw)


def client(settings: Settings, fake: FakeTime | None = None, **kw) -> HttpClient:
    fake = fake or FakeTime()
    return HttpClient(settings, sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5, **kw)


# -- settings ------------------------------------------------------------------------------------


def test_settings_defaults_and_user_agent():
    s = Settings()
    assert s.arxiv_url == "https://export.arxiv.org"
    assert dict(s.min_interval) == dict(DEFAULT_MIN_INTERVAL)
    assert s.cache_path.name == "cache.sqlite"
    assert s.user_agent() == f"mlsys-bib/{__version__} (+https://github.com/mlsys-bib/mlsys_bib)"
    s2 = Settings(mailto="me@example.org")
    assert s2.user_agent().endswith("; mailto:me@example.org)")


def test_settings_from_env_precedence(tmp_path):
    env = {
        "MLSYS_BIB_ARXIV_URL": "http://127.0.0.1:1/",
        "MLSYS_BIB_CACHE": str(tmp_path / "x.sqlite"),
        "MLSYS_BIB_MAILTO": "env@example.org",
        "MLSYS_BIB_MIN_INTERVAL": "arxiv=0,dblp=0.5",
    }
    s = Settings.from_env(env, mailto="cli@example.org", offline=None, only=["arxiv", "doi"])
    assert s.arxiv_url == "http://127.0.0.1:1"  # trailing slash dropped
    assert s.cache_path == tmp_path / "x.sqlite"
    assert s.mailto == "cli@example.org"  # override wins over env
    assert s.offline is False  # None override ignored
    assert s.only == frozenset({"arxiv", "doi"})
    assert s.min_interval["arxiv"] == 0.0 and s.min_interval["dblp"] == 0.5
    assert s.min_interval["crossref"] == 0.0  # untouched defaults survive the merge
    s3 = Settings.from_env(env, min_interval="dblp=2")
    assert s3.min_interval["arxiv"] == 0.0 and s3.min_interval["dblp"] == 2.0


def test_settings_from_process_env_uses_conftest_isolation():
    s = Settings.from_env()
    assert s.arxiv_url == "http://127.0.0.1:9"  # set by tests/conftest.py, never the real service


def test_settings_validation():
    with pytest.raises(ValueError, match="unknown service"):
        Settings(only=frozenset({"scholar"}))
    with pytest.raises(ValueError):
        parse_min_interval("arxiv")
    with pytest.raises(ValueError):
        parse_min_interval("arxiv=-1")
    with pytest.raises(TypeError):
        Settings.from_env({}, colour="blue")


def test_parse_helpers():
    assert parse_retry_after("7", now=0) == 7.0
    when = formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(when, now=1_000_000) == pytest.approx(30.0)
    assert parse_retry_after(formatdate(10, usegmt=True), now=1_000) == 0.0  # in the past
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after(None, now=0) is None
    assert parse_rate_limit("5", "1s") == pytest.approx(0.2)
    assert parse_rate_limit("50", "1s") == pytest.approx(0.02)
    assert parse_rate_limit("10", "60s") == pytest.approx(6.0)
    assert parse_rate_limit("x", "1s") is None
    assert parse_rate_limit("5", None) is None


# -- requests ------------------------------------------------------------------------------------


def test_user_agent_on_every_request(httpserver, tmp_path):
    httpserver.expect_request("/ping").respond_with_data("pong")
    http = client(make(httpserver, tmp_path, mailto="ops@example.org"))
    for _ in range(2):
        r = http.get("crossref", httpserver.url_for("/ping"), params={"a": "1"})
        assert r.status == 200 and r.text == "pong"
    assert len(httpserver.log) == 2
    for request, _ in httpserver.log:
        assert "mailto:ops@example.org" in request.headers["User-Agent"]
        assert request.headers["User-Agent"].startswith("mlsys-bib/")
    assert http.requests_made["crossref"] == 2


def test_4xx_is_returned_not_retried(httpserver, tmp_path):
    httpserver.expect_request("/missing").respond_with_data("Resource not found.", status=404)
    fake = FakeTime()
    http = client(make(httpserver, tmp_path), fake)
    r = http.get("crossref", httpserver.url_for("/missing"))
    assert r.status == 404 and r.content == b"Resource not found."
    assert http.requests_made["crossref"] == 1 and fake.waits == []


def test_429_retry_after_seconds(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/r").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_oneshot_request("/r").respond_with_data("ok")
    fake = FakeTime()
    http = client(make(httpserver, tmp_path), fake)
    r = http.get("dblp", httpserver.url_for("/r"))
    assert r.status == 200 and r.text == "ok"
    assert fake.waits == [7.0]
    assert http.requests_made["dblp"] == 2


def test_429_retry_after_http_date(httpserver, tmp_path):
    wall = 1_700_000_000.0
    httpserver.expect_oneshot_request("/r").respond_with_data(
        "slow down", status=429, headers={"Retry-After": formatdate(wall + 42, usegmt=True)}
    )
    httpserver.expect_oneshot_request("/r").respond_with_data("ok")
    fake = FakeTime()
    http = HttpClient(
        make(httpserver, tmp_path), sleep=fake.sleep, clock=fake.clock, wallclock=lambda: wall, jitter=lambda: 0.5
    )
    assert http.get("crossref", httpserver.url_for("/r")).status == 200
    assert fake.waits == [42.0]


def test_503_then_success_uses_backoff(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/r").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/r").respond_with_data("busy", status=502)
    httpserver.expect_oneshot_request("/r").respond_with_data("ok")
    fake = FakeTime()
    http = client(make(httpserver, tmp_path), fake)
    assert http.get("arxiv", httpserver.url_for("/r")).text == "ok"
    assert fake.waits == [1.0, 2.0]
    assert http.requests_made["arxiv"] == 3


def test_retries_exhausted_raise_service_error(httpserver, tmp_path):
    httpserver.expect_request("/r").respond_with_data("down", status=500)
    fake = FakeTime()
    http = client(make(httpserver, tmp_path, retries=2), fake)
    with pytest.raises(ServiceError) as info:
        http.get("crossref", httpserver.url_for("/r"))
    assert info.value.service == "crossref"
    assert "HTTP 500 after 3 attempt" in info.value.reason
    assert info.value.url.endswith("/r")
    assert http.requests_made["crossref"] == 3
    assert fake.waits == [1.0, 2.0]


def test_absurd_retry_after_gives_up_at_once(httpserver, tmp_path):
    httpserver.expect_request("/r").respond_with_data("later", status=503, headers={"Retry-After": "86400"})
    fake = FakeTime()
    http = client(make(httpserver, tmp_path), fake)
    with pytest.raises(ServiceError, match="asked to wait 86400 s"):
        http.get("doi", httpserver.url_for("/r"))
    assert http.requests_made["doi"] == 1 and fake.waits == []


def test_timeout_is_retried_then_reported(httpserver, tmp_path):
    def slow(request):
        time.sleep(0.6)
        return WResponse("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    http = client(make(httpserver, tmp_path, timeout=0.15, retries=1))
    with pytest.raises(ServiceError, match="timeout after 0.15 s"):
        http.get("arxiv", httpserver.url_for("/slow"))
    assert http.requests_made["arxiv"] == 2


def test_connection_refused(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(cache_path=tmp_path / "c.sqlite", min_interval=ZERO_INTERVAL, retries=1, timeout=2)
    http = client(settings)
    with pytest.raises(ServiceError, match="connection error"):
        http.get("doi", f"http://127.0.0.1:{port}/x")
    assert http.requests_made["doi"] == 1  # nothing listens there: retrying cannot help (issue 11)


def test_body_size_is_bounded(httpserver, tmp_path):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    http = client(make(httpserver, tmp_path), max_body=1000)
    with pytest.raises(ServiceError, match="exceeds 1000"):
        http.get("crossref", httpserver.url_for("/big"))
    assert http.requests_made["crossref"] == 1  # not retried: it would be as big next time


def test_body_size_bounded_without_content_length(httpserver, tmp_path):
    def stream(request):
        return WResponse((b"y" * 600 for _ in range(5)), direct_passthrough=True)

    httpserver.expect_request("/chunked").respond_with_handler(stream)
    http = client(make(httpserver, tmp_path), max_body=1000)
    with pytest.raises(ServiceError, match="exceeds 1000"):
        http.get("crossref", httpserver.url_for("/chunked"))


def test_offline_never_touches_network(httpserver, tmp_path):
    http = client(make(httpserver, tmp_path, offline=True))
    with pytest.raises(OfflineError) as info:
        http.get("arxiv", httpserver.url_for("/x"))
    assert isinstance(info.value, ServiceError)
    assert sum(http.requests_made.values()) == 0
    assert httpserver.log == []


def test_redirect_is_followed_and_accept_resent(httpserver, tmp_path):
    accept = "application/vnd.citationstyles.csl+json"
    httpserver.expect_request("/10.1/x").respond_with_data(
        "<html>Handle Redirect</html>", status=302, headers={"Location": httpserver.url_for("/agency/10.1/x")}
    )
    httpserver.expect_request("/agency/10.1/x", headers={"Accept": accept}).respond_with_json({"ok": True})
    http = client(make(httpserver, tmp_path))
    r = http.get("doi", httpserver.url_for("/10.1/x"), headers={"Accept": accept})
    assert r.status == 200 and r.json() == {"ok": True}
    assert r.url.endswith("/agency/10.1/x") and r.history == [302]
    assert [req.headers.get("Accept") for req, _ in httpserver.log] == [accept, accept]


def test_min_interval_paces_requests(httpserver, tmp_path):
    httpserver.expect_request("/q").respond_with_data("ok")
    fake = FakeTime()
    http = client(make(httpserver, tmp_path, min_interval={"arxiv": 3.0}), fake)
    for _ in range(3):
        http.get("arxiv", httpserver.url_for("/q"))
    http.get("doi", httpserver.url_for("/q"))  # another service is not held back
    assert fake.waits == [3.0, 3.0]


def test_crossref_rate_limit_headers_adapt_spacing(httpserver, tmp_path):
    headers = {"x-rate-limit-limit": "5", "x-rate-limit-interval": "1s"}
    httpserver.expect_request("/works").respond_with_json({"status": "ok"}, headers=headers)
    fake = FakeTime()
    http = client(make(httpserver, tmp_path), fake)
    http.get("crossref", httpserver.url_for("/works"))
    assert http.spacing("crossref") == pytest.approx(0.2)
    http.get("crossref", httpserver.url_for("/works"))
    assert fake.waits == [0.2]


def test_response_json_and_headers():
    r = Response(200, {"Content-Type": "application/json; charset=utf-8"}, b'{"a": 1}', "http://x")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"a": 1}
    bad = Response(404, {"Content-Type": "application/json"}, b"Resource not found.", "http://x", "crossref")
    with pytest.raises(ServiceError, match="invalid JSON") as info:
        bad.json()
    assert "Resource not found." in info.value.reason
    html = Response(429, {"content-type": "text/html"}, b"<html>429</html>", "http://x", "dblp")
    with pytest.raises(ServiceError, match="expected JSON, got text/html"):
        html.json()
    latin = Response(200, {"content-type": "text/plain; charset=latin-1"}, "Wübben".encode("latin-1"), "u")
    assert latin.text == "Wübben"


def test_drip_fed_body_hits_the_total_deadline(httpserver, tmp_path):
    def drip(request):
        def chunks():
            for _ in range(12):
                time.sleep(0.1)
                yield b"z" * 10

        return WResponse(chunks(), direct_passthrough=True)

    httpserver.expect_request("/drip").respond_with_handler(drip)
    http = client(make(httpserver, tmp_path, timeout=0.15, retries=0))
    with pytest.raises(ServiceError, match="body not received within 0.6 s"):
        http.get("dblp", httpserver.url_for("/drip"))


def test_unreachable_service_fails_fast_for_the_rest_of_the_run():
    """Without network, the first failure marks the service down; later requests cost nothing."""
    from mlsys_bib.config import Settings as _Settings
    from mlsys_bib.net.http import HttpClient as _Client
    from mlsys_bib.net.http import ServiceError as _Error

    waits: list[float] = []
    client = _Client(_Settings.from_env(retries=2), sleep=waits.append)
    with pytest.raises(_Error, match="connection error"):
        client.get("crossref", "http://127.0.0.1:9/works/10.1/x")  # port 9: refused at once
    assert client.requests_made["crossref"] == 1  # a refused connection is not retried
    with pytest.raises(_Error, match="unreachable earlier in this run"):
        client.get("crossref", "http://127.0.0.1:9/works/10.1/y")
    assert client.requests_made["crossref"] == 1
    # a name that cannot resolve is not retried at all
    with pytest.raises(_Error):
        client.get("dblp", "http://mlsys-bib-test.invalid/search/publ/api")
    assert client.requests_made["dblp"] == 1


def test_a_content_length_body_dripped_byte_by_byte_ends_at_the_deadline(tmp_path):
    """Issue 11 row 5: one byte every 0.5 s of a declared 1 MB body never completed a 64 KiB read."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"{")
            except OSError:
                break
            time.sleep(0.5)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    settings = Settings(cache_path=tmp_path / "c.sqlite", min_interval=ZERO_INTERVAL, retries=0, timeout=1)
    http = HttpClient(settings)
    started = time.monotonic()
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            http.get("dblp", f"http://127.0.0.1:{server.getsockname()[1]}/search")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(30)  # the test must not hang if the deadline ever regresses
    stop.set()
    server.close()
    assert not worker.is_alive(), "the dripped body was still being read after 30 s"
    assert outcome and isinstance(outcome[0], ServiceError)
    assert "body not received within 4 s" in str(outcome[0])
    assert time.monotonic() - started < 10
