"""One GET on the wire, read whole within bounds: a size cap, a deadline for the body, and every
failure sorted into "worth retrying" (:class:`Transient`) or "the answer is no" (ServiceError).

No pacing and no retries here (:mod:`.pacing`, :mod:`.http`). The session's adapter keeps
urllib3's default of no retries; redirects are followed by requests itself, which keeps
``Accept`` on a redirect (it only drops ``Authorization`` across hosts): doi.org content
negotiation relies on that.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Mapping

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from ..config import Settings
from .response import MAX_BODY, MAX_REDIRECTS, Params, Response, ServiceError, Transient

__all__ = ["MAX_BODY", "MAX_REDIRECTS", "Transient", "full_url", "new_session", "send"]

#: The whole body must arrive within this many ``timeout`` periods.
BODY_DEADLINE_FACTOR = 4


def new_session(settings: Settings) -> requests.Session:
    """A session that says who we are, follows a bounded number of redirects and never retries."""
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": settings.user_agent(), "Accept-Encoding": "gzip, deflate"})
    return session


def send(
    session: requests.Session,
    service: str,
    url: str,
    params: Params,
    headers: Mapping[str, str] | None,
    *,
    timeout: float,
    max_body: int,
) -> Response:
    """GET ``url`` once and read the whole body, or raise :class:`Transient` / ServiceError."""
    try:
        with session.get(url, params=params, headers=headers, timeout=timeout, stream=True) as r:
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_body:
                raise ServiceError(service, r.url, f"body of {declared} bytes exceeds {max_body}")
            content = _read_body(r, service, timeout, max_body)
            return Response(
                status=r.status_code,
                headers=CaseInsensitiveDict(r.headers),
                content=content,
                url=r.url,
                service=service,
                history=[h.status_code for h in r.history],
            )
    except requests.exceptions.Timeout as exc:
        raise Transient(f"timeout after {timeout:g} s ({type(exc).__name__})") from None
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        # Decide "no network" on the whole message: the short form may cut off its cause.
        no_network = bool(_NO_NETWORK.search(str(exc)))
        raise Transient(f"connection error: {short(exc)}", no_network=no_network) from None
    except requests.exceptions.TooManyRedirects:
        raise ServiceError(service, url, f"more than {MAX_REDIRECTS} redirects") from None
    except requests.exceptions.RequestException as exc:
        raise ServiceError(service, url, f"request failed: {short(exc)}") from None


def _read_body(r: requests.Response, service: str, timeout: float, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    # ``timeout`` bounds each socket read; a server dripping a byte now and then (a
    # Content-Length body, one byte every 0.5 s) would still hold a 64 KiB read open
    # for hours, so a watchdog closes the connection at the body's deadline (real time,
    # not the test clock) and the blocked read ends.
    allowed = BODY_DEADLINE_FACTOR * timeout
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
            if size > max_body:
                raise ServiceError(service, r.url, f"body exceeds {max_body} bytes")
            if time.monotonic() > deadline or expired.is_set():
                raise Transient(f"body not received within {allowed:g} s")
            chunks.append(chunk)
    except (requests.exceptions.RequestException, OSError, AttributeError, ValueError):
        if expired.is_set():
            raise Transient(f"body not received within {allowed:g} s") from None
        raise
    finally:
        watchdog.cancel()
    if expired.is_set():
        raise Transient(f"body not received within {allowed:g} s")
    return b"".join(chunks)


def _close_quietly(response: requests.Response) -> None:
    """Close a response from the watchdog thread: shut the socket so a blocked read returns."""
    try:
        raw = getattr(response, "raw", None)
        sock = getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None)
        sock = getattr(sock, "_sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        response.close()
    except Exception:  # noqa: BLE001 - best effort: the read fails either way
        pass


_NO_NETWORK = re.compile(
    r"NameResolutionError|Failed to resolve|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|nodename nor servname|Connection refused|Errno 111|WinError 10061",
    re.IGNORECASE,
)


def full_url(url: str, params: Params) -> str:
    """The URL as sent, for error messages (a failed batch should say which IDs it carried)."""
    prepared = requests.models.PreparedRequest()
    try:
        prepared.prepare_url(url, params)
    except requests.exceptions.RequestException:
        return url
    return prepared.url or url


def short(exc: BaseException) -> str:
    """An exception's message, cut to one readable length."""
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."
