"""How fast each service may be asked, and how long to wait before a retry.

The policy only: it keeps per-service times and spacings and says how long to wait; the client
(:mod:`.http`) does the waiting (which an interrupt can cut short) and holds the service's lock
around every call here, so one service's state is never touched by two threads at once.
"""

from __future__ import annotations

import collections
import logging
import re
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from ..config import Settings

log = logging.getLogger(__name__)

#: Statuses that mean "try again later" rather than "the answer is no".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Statuses that mean "you are too fast" (and so widen the spacing), not "the server is down".
THROTTLE_STATUSES = frozenset({429})
#: Longest server-requested wait honoured; beyond it the lookup fails and is retried next run.
MAX_RETRY_AFTER = 120.0
#: Exponential backoff without Retry-After: 1, 2, 4, 8, ... seconds, capped, each scaled by a
#: random factor in [0.5, 1.5) so that clients throttled together do not retry together (arXiv
#: answers "429 Rate exceeded." with no Retry-After, even to clients within 1 request / 3 s).
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
#: Adaptive pacing: a throttled service's spacing doubles (at least this much), and each answer
#: that is not throttled narrows it again by ADAPT_NARROW, never below the configured spacing.
#: Narrowing slowly keeps a service whose real limit is stricter than configured at a few percent
#: of throttled requests instead of one in every few.
ADAPT_MIN = 0.1
ADAPT_WIDEN = 2.0
ADAPT_NARROW = 0.99
ADAPT_CAP = 60.0
#: Most spacing a service's own rate-limit headers can impose.
ANNOUNCED_CAP = 10.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)


def parse_rate_limit(limit: str | None, interval: str | None) -> float | None:
    """Spacing in seconds from Crossref's ``x-rate-limit-limit: 5`` + ``x-rate-limit-interval: 1s``."""
    if not limit or not interval:
        return None
    try:
        n = int(limit.strip())
    except ValueError:
        return None
    m = _DURATION.match(interval)
    if not m or n <= 0:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[(m.group(2) or "s").lower()]
    return float(m.group(1)) * scale / n


class Pacing:
    """Per-service spacing: configured, announced by the service's headers (Crossref's
    ``x-rate-limit-*``), or learnt from its throttling, whichever is longest; and the backoff
    between attempts."""

    def __init__(self, settings: Settings, clock: Callable[[], float], jitter: Callable[[], float]) -> None:
        self.settings = settings
        self._clock = clock
        self._jitter = jitter  # [0, 1): scales each backoff by 0.5 + jitter()
        self._last: dict[str, float] = {}
        self._announced: dict[str, float] = {}  # spacing announced by the service's headers
        self._adaptive: dict[str, float] = {}  # spacing learnt from throttling (see ADAPT_*)
        self.throttled: collections.Counter[str] = collections.Counter()  # 429s per service

    def spacing(self, service: str) -> float:
        """Current minimum spacing for ``service``."""
        configured = self.settings.interval(service)
        return max(configured, self._announced.get(service, 0.0), self._adaptive.get(service, 0.0))

    def due_in(self, service: str) -> float:
        """Seconds until ``service`` may be asked again (<= 0: now)."""
        last = self._last.get(service)
        if last is None:
            return 0.0
        return last + self.spacing(service) - self._clock()

    def sent(self, service: str) -> None:
        """An attempt ended (answered or not): the spacing counts from now."""
        self._last[service] = self._clock()

    def waited(self, service: str) -> None:
        """A backoff wait just ended: it was the spacing, so the retry goes right after it."""
        self._last[service] = self._clock() - self.spacing(service)

    def answered(self, service: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from an answer: the spacing its headers announce, and whether it throttled."""
        announced = parse_rate_limit(headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval"))
        if announced is not None:
            self._announced[service] = min(announced, ANNOUNCED_CAP)
        self._adapt(service, throttled=status in THROTTLE_STATUSES)

    def backoff(self, attempt: int) -> float:
        """The wait before retry ``attempt + 1`` when the service named none."""
        return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt) * (0.5 + self._jitter())

    def _adapt(self, service: str, *, throttled: bool) -> None:
        """Widen ``service``'s spacing when it throttles, narrow it slowly while it does not."""
        current = self._adaptive.get(service)
        if throttled:
            self.throttled[service] += 1
            base = max(self.spacing(service), ADAPT_MIN / ADAPT_WIDEN)
            self._adaptive[service] = min(ADAPT_CAP, base * ADAPT_WIDEN)
            log.info("%s: throttled; spacing now %.2f s", service, self._adaptive[service])
        elif current is not None:
            narrowed = current * ADAPT_NARROW
            if narrowed <= self.settings.interval(service):
                del self._adaptive[service]
            else:
                self._adaptive[service] = narrowed
