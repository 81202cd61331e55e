"""Loopback plumbing for the drills: a raw HTTP server, a request-key log for FakeServices, a small list.

The four services themselves are ``tests/fakes/services.py`` (FakeServices): the drills use it
as it is. What it does not do, and the drills need, lives here:

* :class:`LoopbackServer`: a threaded HTTP/1.1 server whose answers are whatever a function
  returns, including streamed bodies that are never held in memory (a 50 MB answer), resets,
  silence and truncation; the hardening tests serve hostile XML/JSON with it;
* :func:`log_lookups`: wraps a FakeServices instance (its methods, not its file) so that every
  request is logged with the lookup keys it asks for (``arxiv:ID``, ``doi:DOI``, ``toc:KEY``,
  ``dblp-search:Q``, ``arxiv-search:T``) and can run a hook while the request is in flight
  (the kill drill SIGKILLs the client from there);
* :func:`small_list`: a list cut from the seed with items of every lookup kind.
"""

from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mlsys_bib.text.titles import search_words

# ---------------------------------------------------------------------------------------------
# a generic loopback server: a function maps a request to a Reply


@dataclass
class Reply:
    """What to answer. ``body`` may be an iterator of chunks (streamed, never held whole)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    action: str = ""  # "", "reset", "timeout", "truncated"
    length: int | None = None  # Content-Length to declare for an iterator body (None: close-delimited)
    delay: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_target: str


class LoopbackServer:
    """``with LoopbackServer(handler) as srv: srv.url`` — a threaded HTTP/1.1 server on 127.0.0.1."""

    def __init__(self, handler: Callable[[Request], Reply], *, timeout_delay: float = 3.0) -> None:
        self.handler = handler
        self.timeout_delay = timeout_delay
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                req = Request(
                    "GET",
                    unquote(parts.path),
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.path,
                )
                try:
                    reply = outer.handler(req)
                except Exception as exc:  # a bug in a drill handler must show, not hang the client
                    reply = Reply(599, f"drill handler error: {exc!r}".encode(), "text/plain")
                outer._send(self, reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _send(self, h: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            if reply.delay and self._stop.wait(reply.delay):
                return
            if reply.action == "reset":
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                h.close_connection = True
                return
            if reply.action == "timeout":
                self._stop.wait(self.timeout_delay)
                h.close_connection = True
                return
            body = reply.body
            if isinstance(body, bytes):
                length: int | None = len(body)
                chunks: Iterable[bytes] = [body]
            else:
                length, chunks = reply.length, body
            if reply.action == "truncated" and isinstance(body, bytes):
                chunks = [body[: len(body) // 2]]
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            if length is not None:
                h.send_header("Content-Length", str(length))
            if length is None or reply.action == "truncated":
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            for chunk in chunks:
                if self._stop.is_set():
                    break
                h.wfile.write(chunk)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            h.close_connection = True

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# helpers for drills


@dataclass
class Logged:
    service: str
    lookups: tuple[str, ...]
    t: float


class LookupLog:
    """Requests a FakeServices instance answered, each with the lookup keys it asked for."""

    def __init__(self) -> None:
        self.entries: list[Logged] = []
        self._lock = threading.Lock()

    def add(self, service: str, keys: Iterable[str]) -> None:
        with self._lock:
            self.entries.append(Logged(service, tuple(keys), time.monotonic()))

    def clear(self) -> None:
        with self._lock:
            self.entries = []

    def keys(self) -> set[str]:
        return {k for e in self.entries for k in e.lookups}

    def counts(self) -> Counter[str]:
        return Counter(e.service for e in self.entries)


def log_lookups(fake: Any, on_request: Callable[[str], None] | None = None) -> LookupLog:
    """Wrap ``fake`` (a running or not yet started FakeServices) so that each service request
    is logged with its lookup keys, and ``on_request(service)`` runs while it is in flight."""
    log = LookupLog()
    arxiv, crossref_list, crossref_one, doi_org, dblp = (
        fake.arxiv, fake.crossref_list, fake.crossref_one, fake.doi_org, fake.dblp,
    )  # fmt: skip
    admit = fake._admit

    def _admit(service: str, route: str, label: str):  # type: ignore[no-untyped-def]
        result = admit(service, route, label)
        if on_request is not None:
            on_request(service)
        return result

    def _arxiv(params, wrong):  # type: ignore[no-untyped-def]
        if params.get("id_list"):
            keys = [f"arxiv:{re.sub(r'v[0-9]+$', '', i.strip())}" for i in params["id_list"].split(",") if i.strip()]
        else:
            keys = [f"arxiv-search:{search_words(p)}" for p in re.findall(r'ti:"([^"]*)"', params.get("search_query", ""))]
        log.add("arxiv", keys)
        return arxiv(params, wrong)

    def _crossref_list(pairs, wrong):  # type: ignore[no-untyped-def]
        filt = dict(pairs).get("filter", "")
        log.add("crossref", [f"doi:{p.partition(':')[2].lower()}" for p in filt.split(",") if p])
        return crossref_list(pairs, wrong)

    def _crossref_one(doi, params, wrong):  # type: ignore[no-untyped-def]
        log.add("crossref", [f"doi:{doi.lower()}"])
        return crossref_one(doi, params, wrong)

    def _doi_org(doi, accept, wrong, *, agency=""):  # type: ignore[no-untyped-def]
        if not agency:
            log.add("doi", [f"doi:{doi.lower()}"])
        return doi_org(doi, accept, wrong, agency=agency)

    def _dblp(params, wrong):  # type: ignore[no-untyped-def]
        q = params.get("q", "").strip()
        log.add("dblp", [f"toc:{q[4:].rstrip(':')}" if q.startswith("toc:") else f"dblp-search:{q}"])
        return dblp(params, wrong)

    fake._admit = _admit
    fake.arxiv, fake.crossref_list, fake.crossref_one, fake.doi_org, fake.dblp = (
        _arxiv, _crossref_list, _crossref_one, _doi_org, _dblp,
    )  # fmt: skip
    return log


def small_list(n_per_kind: int = 6, seed: int = 0) -> str:
    """A small list cut from the seed: items of every lookup kind (arXiv id, DOI, TOC, arXiv and
    DBLP title search), with the seed's own header and section headings."""
    from mlsys_bib.build import bundled_list_path, load_list
    from mlsys_bib.resolve import plan_lookups

    text = bundled_list_path().read_text(encoding="utf-8")
    recordset = load_list(None)
    plan = plan_lookups(recordset.records)
    rng = random.Random(seed)
    chosen: set[int] = set()
    for group in (plan.arxiv, plan.dois, plan.toc, plan.arxiv_search, plan.dblp_search):
        keys = sorted(group)
        for key in rng.sample(keys, min(n_per_kind, len(keys))):
            record = recordset.by_key()[key]
            for item in record.items:
                chosen.add(item.line)
                chosen.update(item.continuation_lines)
    lines = text.split("\n")
    out = ["# Paper List (drill excerpt)", "", "## 1. Drill"]
    out += [lines[n - 1] for n in sorted(chosen)]
    return "\n".join(out) + "\n"


def iter_zeros(total: int, chunk: int = 65536) -> Iterator[bytes]:
    block = b"0" * chunk
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield block[:n]
        sent += n
