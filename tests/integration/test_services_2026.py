"""The services as they behave in 2026 (issue 10), served by the loopback fakes.

DBLP answers automated clients with HTTP 200 and an HTML bot page; arXiv answers "429 Rate
exceeded." with no Retry-After; a service's real limit may be stricter than configured. All of it
is handled in one place, the HTTP client: a wall is a failure (never "no hits", never cached,
retried next run, named in one line), throttling widens that service's spacing and backs off
exponentially with jitter.
"""

from __future__ import annotations

from pathlib import Path

from mlsys_bib.build import build
from mlsys_bib.config import Settings
from mlsys_bib.net.cache import Cache
from mlsys_bib.net.http import BACKOFF_BASE, HttpClient
from mlsys_bib.sources import dblp_sparql
from mlsys_bib.sources.dblp import NS_SEARCH, NS_TOC
from tests.fakes.services import FakeServices, loopback_settings

ROOT = Path(__file__).resolve().parents[2]
LIST = """# ML systems papers

## 1. Training

- [OSDI'22] Orca: A Distributed Serving System for Transformer-Based Generative Models
- [NSDI'23] Zeus: Understanding and Optimizing GPU Energy Consumption of DNN Training
- [SOSP'23] Efficient Memory Management for Large Language Model Serving with PagedAttention
"""


def _settings(fs: FakeServices, tmp: Path, **kw) -> Settings:  # type: ignore[no-untyped-def]
    return loopback_settings(fs, tmp / "cache.sqlite", retries=kw.pop("retries", 2), **kw)


def test_a_bot_walled_run_fails_cleanly_then_a_clean_run_resolves(tmp_path):
    listing = tmp_path / "list.md"
    listing.write_text(LIST)
    with FakeServices(listing, bot_wall={"dblp", "dblp-sparql"}) as fs:
        settings = _settings(fs, tmp_path)
        walled = build(listing, tmp_path / "out", settings=settings, refs=False)
        report = walled.resolve_report
        assert report.unreachable == ["dblp", "dblp-sparql"]
        # every DBLP lookup failed with the reason; none was taken as "no such paper"
        dblp_rows = [r for r in report.failed if "dblp" in r["reason"]]
        assert dblp_rows and all("walled" in r["reason"] for r in dblp_rows)
        assert report.counts["not found"] == 0
        # the wall was asked once: every later DBLP request of the run fails without a request
        assert fs.stats.requests["dblp"] == 1 and fs.stats.requests["dblp-sparql"] == 1
        with Cache(settings.cache_path) as cache:
            assert cache.count(NS_TOC) == 0 and cache.count(NS_SEARCH) == 0
            assert cache.count(dblp_sparql.NS_TOC) == 0
        fs.configure(bot_wall=[])
        clean = build(listing, tmp_path / "out", settings=settings, refs=False)
        assert clean.resolve_report.unreachable == []
        assert clean.report["verdicts"].get("resolved") == 3
        assert any("dblp walled" in line for line in _summary(clean, walled))


def test_with_dblp_org_walled_the_sparql_endpoint_still_resolves_venue_papers(tmp_path):
    """2026: dblp.org answers automated clients with a bot page; sparql.dblp.org does not sit
    behind it, and serves every venue-year's table of contents."""
    listing = tmp_path / "list.md"
    listing.write_text(LIST)
    with FakeServices(listing, bot_wall={"dblp"}) as fs:
        result = build(listing, tmp_path / "out", settings=_settings(fs, tmp_path), refs=False)
        assert fs.stats.requests["dblp"] == 0  # nothing needed the search API
        assert fs.stats.requests["dblp-sparql"] == 1  # three TOCs, one query
    assert result.report["verdicts"].get("resolved") == 3
    assert all(r.get("pages") and r.get("dblp_key") for r in result.records)


def _summary(*results) -> list[str]:  # type: ignore[no-untyped-def]
    from mlsys_bib.cli import service_problems

    return [line for r in results for line in service_problems(r.resolve_report)]


def test_429_without_retry_after_backs_off_exponentially_with_jitter(tmp_path):
    waits: list[float] = []
    with FakeServices(None, dblp_interval=10.0, no_retry_after={"dblp"}) as fs:
        settings = _settings(fs, tmp_path, retries=3)
        with HttpClient(settings, sleep=waits.append) as http:
            url = fs.url.rstrip("/") + "/search/publ/api"
            http.get("dblp", url, params={"q": "a", "format": "json"})
            try:
                http.get("dblp", url, params={"q": "b", "format": "json"})
            except Exception as exc:  # still throttled after 3 retries: the fake's clock is real
                assert "HTTP 429" in str(exc)
    backoffs = [w for w in waits if w >= 0.5 * BACKOFF_BASE]
    assert len(backoffs) == 3
    for n, wait in enumerate(backoffs):
        assert 0.5 * BACKOFF_BASE * 2**n <= wait < 1.5 * BACKOFF_BASE * 2**n, backoffs
    assert len(set(round(w / 2**n, 6) for n, w in enumerate(backoffs))) > 1  # jittered, not fixed


def test_a_stricter_limit_than_configured_is_learnt_and_few_requests_are_throttled(tmp_path):
    """The fake's DBLP allows one request per 50 ms; the client is told 5 ms and no Retry-After
    comes back. Adaptive pacing must keep the throttled share at or under 5 %."""
    n = 150
    with FakeServices(None, dblp_interval=0.05, no_retry_after={"dblp"}, tolerance=0.0) as fs:
        settings = _settings(fs, tmp_path, min_interval={"arxiv": 0, "dblp": 0.005, "crossref": 0, "doi": 0})
        with HttpClient(settings) as http:
            url = fs.url.rstrip("/") + "/search/publ/api"
            for i in range(n):
                http.get("dblp", url, params={"q": f"query {i}", "format": "json"})
            throttled = http.throttled["dblp"]
        sent = fs.stats.requests["dblp"]
    share = throttled / sent
    print(f"\n  stricter-than-configured limit: {throttled} of {sent} requests throttled ({share:.1%})")
    assert sent >= n and share <= 0.05
