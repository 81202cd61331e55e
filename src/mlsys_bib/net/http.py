"""One polite HTTP client for all services: User-Agent with contact, pacing, retries, bounds.

Why our own retry loop instead of urllib3's ``Retry`` mounted on the session:

* every attempt must be counted per service (``requests_made``): the benchmarks and the
  "warm rebuild makes zero requests" test need the true number of requests, and urllib3 retries
  happen invisibly inside the adapter;
* waits must go through an injectable ``sleep`` so tests can check ``Retry-After`` handling
  (seconds and HTTP-date) without really sleeping, and ``Retry.sleep`` always calls
  ``time.sleep``;
* a retry must also respect the per-service spacing (arXiv's 3 s) and the spacing Crossref
  announces in ``x-rate-limit-limit`` / ``x-rate-limit-interval``; and an absurd
  ``Retry-After`` (hours) should end the attempt with a clear error, not hang the run.

So this module does the loop, :mod:`.pacing` says how long to wait, :mod:`.transport` sends one
request and reads its body within bounds, and :mod:`.response` holds the answer and the errors.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..config import Settings
from .pacing import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_RETRY_AFTER,
    RETRY_STATUSES,
    THROTTLE_STATUSES,
    Pacing,
    parse_rate_limit,
    parse_retry_after,
)
from .response import (
    MAX_BODY,
    MAX_JSON_DEPTH,
    MAX_REDIRECTS,
    WALL_CHECKED,
    OfflineError,
    Params,
    Response,
    RunInterrupted,
    ServiceError,
    Transient,
    asked_format,
    json_depth_exceeds,
    loads_json,
    walled,
)

if TYPE_CHECKING:
    import requests

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_BODY",
    "MAX_JSON_DEPTH",
    "MAX_REDIRECTS",
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "THROTTLE_STATUSES",
    "HttpClient",
    "OfflineError",
    "Response",
    "RunInterrupted",
    "ServiceError",
    "json_depth_exceeds",
    "loads_json",
    "parse_rate_limit",
    "parse_retry_after",
]

log = logging.getLogger(__name__)


class HttpClient:
    """A requests.Session wrapper with per-service pacing, retries and body limits.

    Thread-safe: requests to one service are serialised (that is what the spacing means);
    different services proceed in parallel.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        max_body: int = MAX_BODY,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._wallclock = wallclock
        self.max_body = max_body
        self.requests_made: collections.Counter[str] = collections.Counter()
        self._down: dict[str, str] = {}  # service -> why it is treated as unreachable for this run
        self._pacing = Pacing(settings, clock, jitter)
        self.throttled = self._pacing.throttled  # 429s per service
        self._locks: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._stop = threading.Event()
        self._session: requests.Session | None = None
        if not settings.offline:
            # A client that may ask loads requests now, in the thread that makes it: the services'
            # worker threads would otherwise import it at their first requests, at the same time
            # as each other and as the merge's ``requests.utils``, and requests' circular imports
            # then fail half-initialised (seen in the kill drill).
            from . import transport  # noqa: F401

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made at the first request: an offline build (every answer from the cache)
        never loads requests and urllib3, ~40 ms and ~14 MB."""
        if self._session is None:
            from .transport import new_session

            with self._locks_guard:  # one session for the services' worker threads
                if self._session is None:
                    self._session = new_session(self.settings)
        return self._session

    # -- public -------------------------------------------------------------------------------
    def get(
        self,
        service: str,
        url: str,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET with pacing and retries; any final 2xx/4xx (redirects followed) is returned.

        429/5xx and transport errors are retried ``settings.retries`` times with backoff that
        honours ``Retry-After``; then :class:`ServiceError` is raised.
        """
        if self.settings.offline:
            raise OfflineError(service, url, "offline mode: no network access")
        self._check_interrupted(service, url)
        down = self._down.get(service)
        if down:
            # One unreachable host must not cost every later request its own retries: a
            # laptop without network finishes on cached and list data in seconds.
            raise ServiceError(service, url, f"unreachable earlier in this run ({down})")
        with self._lock(service):
            return self._get_locked(service, url, params, headers)

    def interrupt(self) -> None:
        """Refuse every request from now on, and cut short any pacing or backoff wait.

        Called on Ctrl-C by :func:`mlsys_bib.resolve.resolve_records`: its worker threads
        cannot be killed, but each of their next requests then fails at once (a failure, so
        nothing is cached), and only the requests already on the wire are waited for. An
        interrupted client stays so: make a new one to go on.
        """
        self._stop.set()

    @property
    def interrupted(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def unreachable(self) -> dict[str, str]:
        """Services found unreachable in this run, with the reason (for the build's summary)."""
        return dict(self._down)

    def spacing(self, service: str) -> float:
        """Current minimum spacing for ``service``: configured, announced by its headers (Crossref's
        ``x-rate-limit-*``), or learnt from its throttling, whichever is longest."""
        return self._pacing.spacing(service)

    # -- internals ----------------------------------------------------------------------------
    def _lock(self, service: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[service]

    def _check_interrupted(self, service: str, url: str) -> None:
        if self._stop.is_set():
            raise RunInterrupted(service, url, "interrupted: request not sent")

    def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``; the real sleep is cut short by :meth:`interrupt`."""
        if self._sleep is time.sleep:
            self._stop.wait(seconds)
        else:
            self._sleep(seconds)

    def _get_locked(
        self, service: str, url: str, params: Params, headers: Mapping[str, str] | None
    ) -> Response:
        attempts = self.settings.retries + 1
        last_error = ""
        from .transport import full_url, send

        shown = full_url(url, params)
        for attempt in range(attempts):
            due = self._pacing.due_in(service)
            if due > 0:
                self._wait(due)
            self._check_interrupted(service, shown)
            self.requests_made[service] += 1
            retry_after: float | None = None
            try:
                response = send(
                    self.session, service, url, params, headers,
                    timeout=self.settings.timeout, max_body=self.max_body,
                )  # fmt: skip
            except Transient as exc:
                last_error = str(exc)
                log.debug("%s: attempt %d failed: %s", service, attempt + 1, exc)
                if exc.no_network:
                    # No DNS answer, or a refused connection (nothing listens there): retrying
                    # cannot help, and a machine without network must decide in seconds.
                    self._down[service] = last_error
                    raise ServiceError(service, url, last_error) from None
            else:
                self._pacing.answered(service, response.status, response.headers)
                if response.status == 200 and service in WALL_CHECKED and walled(url, response):
                    # DBLP's bot wall, a captive portal: HTTP 200 with an HTML page. Not an answer,
                    # so never parsed as "no hits" or cached; the service is not asked again in
                    # this run (every request would meet the same wall) and the run says so.
                    asked = asked_format(headers, params)
                    reason = f"walled: answered HTTP 200 with an HTML page instead of {asked}"
                    self._down[service] = reason
                    raise ServiceError(service, shown, reason)
                if response.status not in RETRY_STATUSES:
                    return response
                last_error = f"HTTP {response.status}"
                retry_after = parse_retry_after(response.headers.get("retry-after"), self._wallclock())
                if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                    raise ServiceError(
                        service,
                        shown,
                        f"HTTP {response.status}; server asked to wait {retry_after:.0f} s "
                        f"(more than {MAX_RETRY_AFTER:.0f} s): giving up for this run",
                    )
            finally:
                self._pacing.sent(service)
            if attempt + 1 < attempts:
                wait = retry_after if retry_after is not None else self._pacing.backoff(attempt)
                log.info("%s: %s; retry %d in %.1f s", service, last_error, attempt + 1, wait)
                if wait > 0:
                    self._wait(wait)
                    self._pacing.waited(service)  # the backoff was the spacing: retry right after it
        if last_error.startswith("connection error"):
            self._down[service] = last_error
        raise ServiceError(service, shown, f"{last_error} after {attempts} attempt(s)")
