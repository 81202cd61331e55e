"""arXiv identifiers: new style (``2401.08895``, 4+4/5 digits) and old style (``cs/0601001``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import Identifier

KIND = "arxiv"
_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
_ID = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?P<version>v\d+)?$", re.IGNORECASE)
_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"}
_PATH = re.compile(r"^/(?:abs|pdf|html|format)/(?P<rest>.+?)(?:\.pdf)?/?$")


def parse(text: str) -> Identifier | None:
    """``2401.08895v2`` -> Identifier('arxiv', '2401.08895', 'v2'); also ``arXiv:`` prefixed."""
    text = text.strip()
    if text.lower().startswith("arxiv:"):
        text = text[6:]
    m = _ID.match(text)
    if not m:
        return None
    value = m["id"]
    if "/" in value:
        archive, _, num = value.partition("/")
        name, dot, subject = archive.partition(".")
        value = f"{name.lower()}{dot}{subject.upper()}/{num}"
    return Identifier(KIND, value, (m["version"] or "").lower())


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    if parts.hostname not in _HOSTS:
        return None
    m = _PATH.match(parts.path)
    return parse(m["rest"]) if m else None
