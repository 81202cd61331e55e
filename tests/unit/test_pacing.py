"""The HTTP client's pacing policy on its own (net/pacing.py): no server, no sleeping, a test clock.
The client's use of it against a loopback server is tested in tests/integration/test_http.py."""

from __future__ import annotations

import pytest

from mlsys_bib.config import Settings
from mlsys_bib.net.pacing import ADAPT_CAP, ADAPT_NARROW, BACKOFF_CAP, Pacing


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pacing(clock: Clock, **intervals: float) -> Pacing:
    settings = Settings(min_interval={"arxiv": 0.0, "dblp": 0.0, "crossref": 0.0, "doi": 0.0, **intervals})
    return Pacing(settings, clock, jitter=lambda: 0.5)


def test_the_configured_spacing_counts_from_the_last_attempt():
    clock = Clock()
    pacing = _pacing(clock, arxiv=3.0)
    assert pacing.due_in("arxiv") == 0.0  # never asked: now
    pacing.sent("arxiv")
    clock.now += 1.0
    assert pacing.due_in("arxiv") == pytest.approx(2.0)
    assert pacing.due_in("doi") == 0.0  # another service is not held back


def test_a_backoff_wait_is_the_spacing():
    clock = Clock()
    pacing = _pacing(clock, arxiv=3.0)
    clock.now += 10.0
    pacing.waited("arxiv")
    assert pacing.due_in("arxiv") == pytest.approx(0.0)


def test_announced_rate_limits_widen_the_spacing_up_to_a_cap():
    pacing = _pacing(Clock())
    pacing.answered("crossref", 200, {"x-rate-limit-limit": "5", "x-rate-limit-interval": "1s"})
    assert pacing.spacing("crossref") == pytest.approx(0.2)
    pacing.answered("crossref", 200, {"x-rate-limit-limit": "1", "x-rate-limit-interval": "1h"})
    assert pacing.spacing("crossref") == pytest.approx(10.0)


def test_throttling_doubles_the_spacing_and_quiet_answers_narrow_it_back():
    pacing = _pacing(Clock(), dblp=1.0)
    pacing.answered("dblp", 429, {})
    assert pacing.spacing("dblp") == pytest.approx(2.0) and pacing.throttled["dblp"] == 1
    pacing.answered("dblp", 200, {})
    assert pacing.spacing("dblp") == pytest.approx(2.0 * ADAPT_NARROW)
    for _ in range(200):
        pacing.answered("dblp", 200, {})
    assert pacing.spacing("dblp") == pytest.approx(1.0)  # never below the configured spacing
    for _ in range(20):
        pacing.answered("dblp", 429, {})
    assert pacing.spacing("dblp") == ADAPT_CAP


def test_backoff_doubles_per_attempt_scaled_by_the_jitter_and_capped():
    pacing = _pacing(Clock())
    assert [pacing.backoff(n) for n in range(3)] == [1.0, 2.0, 4.0]  # jitter 0.5 scales by 1.0
    assert pacing.backoff(30) == BACKOFF_CAP
