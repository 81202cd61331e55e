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

The session's adapter therefore keeps urllib3's default of no retries, and this module does
the loop. Redirects are followed by requests itself, which keeps ``Accept`` on a redirect (it
only drops ``Authorization`` across hosts): doi.org content negotiation relies on that.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from ..config import Settings

log = logging.getLogger(__name__)

#: Statuses that mean "try again later" rather than "the answer is no".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Largest body accepted; the biggest real answer (a DBLP TOC of 1000 hits) is under 1 MB.
MAX_BODY = 20 * 1024 * 1024
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
#: Statuses that mean "you are too fast" (and so widen the spacing), not "the server is down".
THROTTLE_STATUSES = frozenset({429})
MAX_REDIRECTS = 10
#: The whole body must arrive within this many ``timeout`` periods.
BODY_DEADLINE_FACTOR = 4
#: Deepest JSON nesting accepted. Real answers are under 12 levels deep (a DBLP hit's author
#: text is 9); anything far deeper is hostile or broken, and code that walks or re-encodes it
#: (json.dumps for the cache) recurses per level.
MAX_JSON_DEPTH = 64


_Params = Mapping[str, str] | Sequence[tuple[str, str]] | None


class ServiceError(Exception):
    """A service could not be asked: retries exhausted, timeout, connection error, oversized or
    undecodable body. A lookup that ends here is reported as "failed" and never cached."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service}: {reason} [{url}]")
        self.service = service
        self.url = url
        self.reason = reason


class OfflineError(ServiceError):
    """Raised instead of any network access when ``Settings.offline`` is set."""


class RunInterrupted(ServiceError):
    """Raised instead of any new request once :meth:`HttpClient.interrupt` was called (Ctrl-C):
    the worker threads of a resolve run then run through their remaining lookups in
    milliseconds, as failures that are never cached, instead of fetching them all."""


@dataclass
class Response:
    """A fully read response. ``url`` is the final URL after redirects."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    service: str = ""
    history: list[int] = field(default_factory=list)  # statuses of followed redirects

    def __post_init__(self) -> None:
        if not isinstance(self.headers, CaseInsensitiveDict):
            self.headers = CaseInsensitiveDict(self.headers)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none); bad bytes replaced."""
        m = re.search(r"charset=([\w.-]+)", self.content_type, re.IGNORECASE)
        charset = m.group(1) if m else "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Decode a JSON body; HTML pages (rate-limit or error pages) and bad JSON raise ServiceError."""
        ctype = self.content_type.lower()
        if "html" in ctype:
            raise ServiceError(self.service, self.url, f"expected JSON, got {ctype} (HTTP {self.status})")
        return loads_json(self.content, self.service, self.url, self.status)


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads_json(content: bytes, service: str = "", url: str = "", status: int = 200) -> Any:
    """Decode a JSON body, or raise :class:`ServiceError` with a one-line reason.

    ``json.loads`` raises not only ValueError: deeply nested input (``[[[[...`` 200 000 deep)
    raises RecursionError, which would escape every client and sink a whole resolve run, so
    anything it raises becomes a failed lookup; input that parses but nests deeper than
    :data:`MAX_JSON_DEPTH` is refused too (later code would recurse on it).
    """
    snippet = content[:60].decode("utf-8", errors="replace")
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except RecursionError:
        reason = "nested too deeply to decode"
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc)
    except Exception as exc:  # any other decoder failure is a bad body too, not a crash
        reason = f"{type(exc).__name__}: {exc}"
    else:
        if not json_depth_exceeds(data):
            return data
        reason = f"nested deeper than {MAX_JSON_DEPTH} levels"
    reason = " ".join(reason.split())[:200]
    raise ServiceError(service, url, f"invalid JSON (HTTP {status}): {reason}; body starts {snippet!r}")


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
        self._last: dict[str, float] = {}
        self._announced: dict[str, float] = {}  # spacing announced by the service's headers
        self._adaptive: dict[str, float] = {}  # spacing learnt from throttling (see ADAPT_*)
        self.throttled: collections.Counter[str] = collections.Counter()  # 429s per service
        self._jitter = jitter  # [0, 1): scales each backoff by 0.5 + jitter()
        self._locks: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._stop = threading.Event()
        self.session = requests.Session()
        self.session.max_redirects = MAX_REDIRECTS
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": settings.user_agent(), "Accept-Encoding": "gzip, deflate"})

    # -- public -------------------------------------------------------------------------------
    def get(
        self,
        service: str,
        url: str,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
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
        self.session.close()

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
        configured = self.settings.interval(service)
        return max(configured, self._announced.get(service, 0.0), self._adaptive.get(service, 0.0))

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

    def _pace(self, service: str) -> None:
        last = self._last.get(service)
        if last is None:
            return
        wait = last + self.spacing(service) - self._clock()
        if wait > 0:
            self._wait(wait)

    def _get_locked(
        self, service: str, url: str, params: _Params, headers: Mapping[str, str] | None
    ) -> Response:
        attempts = self.settings.retries + 1
        last_error = ""
        shown = _full_url(url, params)
        for attempt in range(attempts):
            self._pace(service)
            self._check_interrupted(service, shown)
            self.requests_made[service] += 1
            retry_after: float | None = None
            try:
                response = self._send(service, url, params, headers)
            except _Transient as exc:
                last_error = str(exc)
                log.debug("%s: attempt %d failed: %s", service, attempt + 1, exc)
                if exc.no_network:
                    # No DNS answer, or a refused connection (nothing listens there): retrying
                    # cannot help, and a machine without network must decide in seconds.
                    self._down[service] = last_error
                    raise ServiceError(service, url, last_error) from None
            else:
                self._learn_rate_limit(service, response)
                self._adapt(service, throttled=response.status in THROTTLE_STATUSES)
                if response.status == 200 and service in WALL_CHECKED and _walled(url, response):
                    # DBLP's bot wall, a captive portal: HTTP 200 with an HTML page. Not an answer,
                    # so never parsed as "no hits" or cached; the service is not asked again in
                    # this run (every request would meet the same wall) and the run says so.
                    asked = _asked_format(headers, params)
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
                self._last[service] = self._clock()
            if attempt + 1 < attempts:
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                log.info("%s: %s; retry %d in %.1f s", service, last_error, attempt + 1, wait)
                if wait > 0:
                    self._wait(wait)
                    # the backoff was the spacing: the retry goes right after it
                    self._last[service] = self._clock() - self.spacing(service)
        if last_error.startswith("connection error"):
            self._down[service] = last_error
        raise ServiceError(service, shown, f"{last_error} after {attempts} attempt(s)")

    def _send(self, service: str, url: str, params: _Params, headers: Mapping[str, str] | None) -> Response:
        try:
            with self.session.get(
                url, params=params, headers=headers, timeout=self.settings.timeout, stream=True
            ) as r:
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_body:
                    raise ServiceError(service, r.url, f"body of {declared} bytes exceeds {self.max_body}")
                chunks: list[bytes] = []
                size = 0
                # ``timeout`` bounds each socket read; a server dripping a byte now and then (a
                # Content-Length body, one byte every 0.5 s) would still hold a 64 KiB read open
                # for hours, so a watchdog closes the connection at the body's deadline (real time,
                # not the test clock) and the blocked read ends.
                allowed = BODY_DEADLINE_FACTOR * self.settings.timeout
                deadline = time.monotonic() + allowed
                expired = threading.Event()

                def cut() -> None:
                    expired.set()
                    _close_quietly(r)

                watchdog = threading.Timer(allowed, cut)
                watchdog.daemon = True
                watchdog.start()
                try:
                    for chunk in r.iter_content(65536):
                        size += len(chunk)
                        if size > self.max_body:
                            raise ServiceError(service, r.url, f"body exceeds {self.max_body} bytes")
                        if time.monotonic() > deadline or expired.is_set():
                            raise _Transient(f"body not received within {allowed:g} s")
                        chunks.append(chunk)
                except (requests.exceptions.RequestException, OSError, AttributeError, ValueError):
                    if expired.is_set():
                        raise _Transient(f"body not received within {allowed:g} s") from None
                    raise
                finally:
                    watchdog.cancel()
                if expired.is_set():
                    raise _Transient(f"body not received within {allowed:g} s")
                return Response(
                    status=r.status_code,
                    headers=CaseInsensitiveDict(r.headers),
                    content=b"".join(chunks),
                    url=r.url,
                    service=service,
                    history=[h.status_code for h in r.history],
                )
        except requests.exceptions.Timeout as exc:
            raise _Transient(f"timeout after {self.settings.timeout:g} s ({type(exc).__name__})") from None
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            # Decide "no network" on the whole message: the short form may cut off its cause.
            raise _Transient(
                f"connection error: {_short(exc)}", no_network=bool(_NO_NETWORK.search(str(exc)))
            ) from None
        except requests.exceptions.TooManyRedirects:
            raise ServiceError(service, url, f"more than {MAX_REDIRECTS} redirects") from None
        except requests.exceptions.RequestException as exc:
            raise ServiceError(service, url, f"request failed: {_short(exc)}") from None

    def _backoff(self, attempt: int) -> float:
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

    def _learn_rate_limit(self, service: str, response: Response) -> None:
        spacing = parse_rate_limit(
            response.headers.get("x-rate-limit-limit"), response.headers.get("x-rate-limit-interval")
        )
        if spacing is not None:
            self._announced[service] = min(spacing, 10.0)


def _close_quietly(response: Any) -> None:
    """Close a response from the watchdog thread: shut the socket so a blocked read returns."""
    try:
        raw = getattr(response, "raw", None)
        sock = getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None)
        sock = getattr(sock, "_sock", None)
        if sock is not None:
            import socket

            sock.shutdown(socket.SHUT_RDWR)
        response.close()
    except Exception:  # noqa: BLE001 - best effort: the read fails either way
        pass


_NO_NETWORK = re.compile(
    r"NameResolutionError|Failed to resolve|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|nodename nor servname|Connection refused|Errno 111|WinError 10061",
    re.IGNORECASE,
)


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


def _asked_format(headers: Mapping[str, str] | None, params: _Params) -> str:
    accept = next((v for k, v in (headers or {}).items() if k.lower() == "accept"), "")
    pairs = params.items() if isinstance(params, Mapping) else (params or ())
    fmt = next((v for k, v in pairs if k == "format"), "")
    return accept or (f"format={fmt}" if fmt else "the service's format")


#: Services none of whose answers is ever an HTML page. doi.org is not one: for a DOI whose agency
#: has no metadata to negotiate, its answer *is* the landing page (sources/doi.py reads that as
#: "not found"), which says nothing about the next DOI.
WALL_CHECKED = frozenset({"arxiv", "crossref", "dblp", "dblp-sparql"})


def _walled(url: str, response: Response) -> bool:
    """A 200 from the service's own host whose body is an HTML document: none of the services'
    APIs answers in HTML (JSON, Atom, BibTeX, CSL), so it is a wall, not an answer. A redirect
    to another host (doi.org to a publisher's landing page) is that one lookup's problem only."""
    if response.history or urlsplit(response.url).hostname != urlsplit(url).hostname:
        return False
    return bool(_HTML_START.match(response.content[:4096]))


class _Transient(Exception):
    """A transport failure worth retrying (unless it shows that there is no network at all)."""

    def __init__(self, message: str, *, no_network: bool = False) -> None:
        super().__init__(message)
        self.no_network = no_network


def _full_url(url: str, params: _Params) -> str:
    """The URL as sent, for error messages (a failed batch should say which IDs it carried)."""
    prepared = requests.models.PreparedRequest()
    try:
        prepared.prepare_url(url, params)
    except requests.exceptions.RequestException:
        return url
    return prepared.url or url


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."
