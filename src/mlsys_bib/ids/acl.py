"""ACL Anthology ids (``2023.emnlp-main.362``); the landing page and the PDF name one paper."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import Identifier

KIND = "acl"
_PATH = re.compile(r"^/(?P<id>(?:\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4}))(?:\.pdf)?/?$", re.IGNORECASE)


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {"aclanthology.org", "www.aclanthology.org"}:
        return None
    m = _PATH.match(parts.path)
    return Identifier(KIND, m["id"]) if m else None
