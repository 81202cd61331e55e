"""IEEE Xplore document numbers (``ieeexplore.ieee.org/{abstract/,}document/N``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import Identifier

KIND = "ieee"
_PATH = re.compile(r"^/(?:abstract/)?document/(?P<n>\d+)")


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != "ieeexplore.ieee.org":
        return None
    m = _PATH.match(parts.path)
    return Identifier(KIND, m["n"]) if m else None
