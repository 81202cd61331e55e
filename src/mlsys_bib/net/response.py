"""What a service answered: a fully read response, its JSON, and the errors a lookup ends with.

Shared by the transport (:mod:`.transport`), the client (:mod:`.http`) and every source client:
an answer that is not one (an oversized or undecodable body, a bot wall's HTML page) becomes a
:class:`ServiceError`, reported as a failed lookup and never cached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Largest body accepted; the biggest real answer (a DBLP TOC of 1000 hits) is under 1 MB.
MAX_BODY = 20 * 1024 * 1024
MAX_REDIRECTS = 10
#: Deepest JSON nesting accepted. Real answers are under 12 levels deep (a DBLP hit's author
#: text is 9); anything far deeper is hostile or broken, and code that walks or re-encodes it
#: (json.dumps for the cache) recurses per level.
MAX_JSON_DEPTH = 64

#: Query parameters as requests takes them.
Params = Mapping[str, str] | Sequence[tuple[str, str]] | None


class ServiceError(Exception):
    """A service could not be asked: retries exhausted, timeout, connection error, oversized or
    undecodable body. A lookup that ends here is reported as "failed" and never cached."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service}: {reason} [{url}]")
        self.service = service
        self.url = url
        self.reason = reason


class Transient(Exception):
    """A transport failure worth retrying (unless it shows that there is no network at all)."""

    def __init__(self, message: str, *, no_network: bool = False) -> None:
        super().__init__(message)
        self.no_network = no_network


class OfflineError(ServiceError):
    """Raised instead of any network access when ``Settings.offline`` is set."""


class RunInterrupted(ServiceError):
    """Raised instead of any new request once :meth:`.http.HttpClient.interrupt` was called
    (Ctrl-C): the worker threads of a resolve run then run through their remaining lookups in
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
        # imported here: requests is loaded by the first request (:mod:`.transport`), not before
        from requests.structures import CaseInsensitiveDict

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

    def json(self) -> object:
        """Decode a JSON body; HTML pages (rate-limit or error pages) and bad JSON raise ServiceError.
        What a service sends is untrusted: callers check its shape (isinstance) before using it."""
        ctype = self.content_type.lower()
        if "html" in ctype:
            raise ServiceError(self.service, self.url, f"expected JSON, got {ctype} (HTTP {self.status})")
        return loads_json(self.content, self.service, self.url, self.status)


def json_depth_exceeds(data: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: list[object]
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads_json(content: bytes, service: str = "", url: str = "", status: int = 200) -> object:
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


# -- walls -------------------------------------------------------------------------------------------

#: Services none of whose answers is ever an HTML page. doi.org is not one: for a DOI whose agency
#: has no metadata to negotiate, its answer *is* the landing page (sources/doi.py reads that as
#: "not found"), which says nothing about the next DOI.
WALL_CHECKED = frozenset({"arxiv", "crossref", "dblp", "dblp-sparql"})

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


def walled(url: str, response: Response) -> bool:
    """A 200 from the service's own host whose body is an HTML document: none of the services'
    APIs answers in HTML (JSON, Atom, BibTeX, CSL), so it is a wall, not an answer. A redirect
    to another host (doi.org to a publisher's landing page) is that one lookup's problem only."""
    if response.history or urlsplit(response.url).hostname != urlsplit(url).hostname:
        return False
    return bool(_HTML_START.match(response.content[:4096]))


def asked_format(headers: Mapping[str, str] | None, params: Params) -> str:
    """What the request asked for (its Accept header or ``format=`` parameter), for the error."""
    accept = next((v for k, v in (headers or {}).items() if k.lower() == "accept"), "")
    pairs = params.items() if isinstance(params, Mapping) else (params or ())
    fmt = next((v for k, v in pairs if k == "format"), "")
    return accept or (f"format={fmt}" if fmt else "the service's format")
