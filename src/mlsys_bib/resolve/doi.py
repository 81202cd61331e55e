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
from .cache import Cache, CacheEntry, now_iso
from .crossref import common_fields
from .http import HttpClient, ServiceError
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
        entry = self.cache.get(NAMESPACE, key)
        if entry is not None and self.cache.is_usable(entry, self.settings):
            if entry.negative:
                return Outcome.not_found(f"doi.org: no metadata for {key} (cached)", from_cache=True)
            try:
                csl = json.loads(entry.body.decode("utf-8"))
                if isinstance(csl, dict):
                    return Outcome.found(csl_to_metadata(csl, entry.fetched_at, key), from_cache=True)
            except (UnicodeDecodeError, ValueError):
                pass  # unreadable row: fetch again
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
            reason = {404: "DOI not found", 406: "no CSL-JSON offered", 410: "DOI withdrawn"}[response.status]
            ctype = response.content_type
            self.cache.put(CacheEntry(NAMESPACE, key, response.status, ctype, b"", fetched, True))
            return Outcome.not_found(f"doi.org: {reason} for {key} (HTTP {response.status})")
        if response.status != 200:
            return Outcome.failed(f"doi.org: HTTP {response.status} for {key} [{response.url}]")
        ctype = response.content_type.lower()
        if "html" in ctype:
            # the agency redirected to a landing page instead of negotiating: no metadata
            self.cache.put(CacheEntry(NAMESPACE, key, 200, ctype, b"", fetched, True))
            return Outcome.not_found(f"doi.org: {key} resolves to a web page, not CSL-JSON")
        try:
            csl = response.json()
        except ServiceError as exc:
            return Outcome.failed(str(exc))
        if isinstance(csl, list) and len(csl) == 1:
            csl = csl[0]
        if not isinstance(csl, dict):
            return Outcome.failed(f"doi.org: CSL-JSON for {key} is not an object")
        body = json.dumps(csl, ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.cache.put(CacheEntry(NAMESPACE, key, 200, ACCEPT, body, fetched, False))
        return Outcome.found(csl_to_metadata(csl, fetched, key))
