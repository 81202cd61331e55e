"""DOI lookups: Crossref first, doi.org for what Crossref does not hold.

The fallback is policy, so it lives here rather than in either client: Crossref batches and
answers most DOIs; DataCite DOIs (arXiv's ``10.48550``, Zenodo) and DOIs Crossref definitively
lacks go to doi.org content negotiation, one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Settings
from ..net.cache import Cache
from ..net.http import HttpClient
from ..sources.crossref import CrossrefClient
from ..sources.doi import DoiClient
from ..sources.outcome import Outcome


class DoiLookup:
    """Both DOI services on one channel (``--only crossref`` covers both)."""

    def __init__(self, http: HttpClient, cache: Cache, settings: Settings) -> None:
        self.http = http
        self.crossref = CrossrefClient(http, cache, settings)
        self.doi = DoiClient(http, cache, settings)

    def fetch(self, dois: Sequence[str]) -> dict[str, Outcome]:
        """Outcomes keyed by lower-case DOI, every DOI asked answered by one service or the other."""
        results, elsewhere = self.crossref.fetch(dois)
        for doi in elsewhere:
            results[doi] = self.doi.fetch(doi)
        return results
