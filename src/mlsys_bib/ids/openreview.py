"""OpenReview forum ids (``openreview.net/forum?id=X`` and ``/pdf?id=X`` name the same paper)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from . import Identifier

KIND = "openreview"


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {"openreview.net", "www.openreview.net"}:
        return None
    if parts.path.rstrip("/") not in {"/forum", "/pdf", "/attachment"}:
        return None
    ids = parse_qs(parts.query).get("id")
    return Identifier(KIND, ids[0]) if ids and ids[0] else None
