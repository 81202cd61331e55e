"""doi.org content negotiation: any registered DOI -> CSL-JSON -> Metadata.

This is the fallback for DOIs Crossref's REST API does not hold, chiefly DataCite DOIs (arXiv's
``10.48550/arXiv.*``, Zenodo). doi.org answers ``302`` to the registration agency's transform
endpoint; requests follows it and, on a redirect, keeps every header except ``Authorization``,
so the ``Accept`` header reaches the agency (a loopback test checks exactly that).

Two CSL dialects come back (see shared/notes/service-formats.md): Crossref's keeps Crossref
type names (``journal-article``, ``posted-content``), ``container-title`` as a string or ``[]``
and a ``subtitle`` list; DataCite's has ``type: "article"``, an upper-case ``DOI``, an ``id``
that is the doi.org URL, and no container.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

from ..config import Settings
from ..ids import doi as doi_ids
from ..model import Kind, Metadata, Provenance
from ..net.cache import Cache, CacheEntry, now_iso
from ..net.http import HttpClient
from ..net.response import ServiceError, loads_json
from .csl import common_fields
from .outcome import Outcome

log = logging.getLogger(__name__)

SERVICE = "doi"
NAMESPACE = "doi"
ACCEPT = "application/vnd.citationstyles.csl+json"
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)


def csl_to_metadata(csl: dict, fetched: str, doi: str = "") -> Metadata:
    """A CSL-JSON item from doi.org (Crossref or DataCite flavour) as Metadata."""
    values: dict[str, Any] = {}
    common_fields(csl, values)
    parsed = (
        doi_ids.parse(str(csl.get("DOI") or ""))
        or doi_ids.parse(str(csl.get("id") or ""))
        or (doi_ids.parse(doi) if doi else None)
    )
    if parsed is not None:
        values["doi"] = parsed.value
        values["url"] = f"https://doi.org/{parsed.value}"
        m = _ARXIV_DOI.match(parsed.value)
        if m:
            from ..ids import arxiv as arxiv_ids

            ident = arxiv_ids.parse(m["id"])
            if ident is not None:
                values["arxiv"] = ident.value
                values["kind"] = Kind.PREPRINT
    ref = f"doi:{parsed.value}" if parsed else (f"doi:{doi}" if doi else "")
    return Metadata(Provenance(SERVICE, ref, fetched), values)


_MISS_REASONS = {404: "DOI not found", 406: "no CSL-JSON offered", 410: "DOI withdrawn"}


def _miss_reason(key: str, status: int, content_type: str) -> str:
    """Why doi.org has no metadata for ``key``: the same text for a fresh and a cached answer."""
    if status in _MISS_REASONS:
        return f"doi.org: {_MISS_REASONS[status]} for {key} (HTTP {status})"
    if "html" in content_type.lower():
        return f"doi.org: {key} resolves to a web page, not CSL-JSON"
    return f"doi.org: no metadata for {key} (HTTP {status})"


def _doi_mismatch(csl: dict, key: str) -> str:
    """The DOI a CSL item names (``DOI``, else a doi.org ``id``) when it is not ``key``, else "".

    An item naming no DOI at all is taken as the answer for the DOI asked: DataCite items
    always name it, and csl_to_metadata then falls back to the DOI asked for.
    """
    for field_name in ("DOI", "id"):
        named = str(csl.get(field_name) or "").strip()
        parsed = doi_ids.parse(named) if named else None
        if parsed is not None:
            return "" if parsed.value == key else parsed.value
    return ""


class DoiClient:
    """One DOI per request (doi.org has no batch interface), cache first."""

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings

    def fetch(self, doi: str) -> Outcome:
        parsed = doi_ids.parse(doi)
        if parsed is None:
            return Outcome.failed(f"not a DOI: {doi!r}")
        key = parsed.value
        entry = self.cache.fresh(NAMESPACE, key, self.settings)
        if entry is not None:
            if entry.negative:
                # The same words as when the answer came in: "from cache" is Outcome.from_cache,
                # never part of the detail, so a warm rerun's report equals the cold build's.
                return Outcome.not_found(_miss_reason(key, entry.status, entry.content_type), from_cache=True)
            try:
                csl = loads_json(entry.body)
            except ServiceError:
                csl = None  # unreadable row: fetch again
            if isinstance(csl, dict) and not _doi_mismatch(csl, key):
                return Outcome.found(csl_to_metadata(csl, entry.fetched_at, key), from_cache=True)
        return self._fetch(key)

    def _fetch(self, key: str) -> Outcome:
        url = f"{self.settings.doi_url}/{quote(key, safe='/')}"
        try:
            response = self.http.get(SERVICE, url, headers={"Accept": ACCEPT})
        except ServiceError as exc:
            return Outcome.failed(str(exc))
        fetched = now_iso()
        if response.status in (404, 406, 410):
            # 404: the DOI is not registered; 406/410: its agency offers no CSL for it. Both
            # are answers, not failures.
            ctype = response.content_type
            self.cache.put(CacheEntry(NAMESPACE, key, response.status, ctype, b"", fetched, True))
            return Outcome.not_found(_miss_reason(key, response.status, ctype))
        if response.status != 200:
            return Outcome.failed(f"doi.org: HTTP {response.status} for {key} [{response.url}]")
        ctype = response.content_type.lower()
        if "html" in ctype:
            # the agency redirected to a landing page instead of negotiating: no metadata
            self.cache.put(CacheEntry(NAMESPACE, key, 200, ctype, b"", fetched, True))
            return Outcome.not_found(_miss_reason(key, 200, ctype))
        try:
            csl = response.json()
        except ServiceError as exc:
            return Outcome.failed(str(exc))
        if isinstance(csl, list) and len(csl) == 1:
            csl = csl[0]
        if not isinstance(csl, dict):
            return Outcome.failed(f"doi.org: CSL-JSON for {key} is not an object")
        mismatch = _doi_mismatch(csl, key)
        if mismatch:
            # Another paper's metadata: neither attached nor cached, so the next run asks again.
            return Outcome.failed(
                f"doi.org: CSL-JSON is about another DOI ({mismatch}), not {key} [{response.url}]"
            )
        body = json.dumps(csl, ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.cache.put(CacheEntry(NAMESPACE, key, 200, ACCEPT, body, fetched, False))
        return Outcome.found(csl_to_metadata(csl, fetched, key))
