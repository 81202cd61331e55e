"""DOIs from doi.org links and from publisher pages that embed them (ACM DL serves IEEE DOIs too)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from . import Identifier

KIND = "doi"
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
# dl.acm.org/doi/{abs,pdf,full,epdf,}/10....
_ACM = re.compile(r"^/doi/(?:(?:abs|pdf|full|epdf|fullHtml|book)/)?(?P<doi>10\.\d{4,9}/.+?)/?$")
_LINK_SUFFIX = re.compile(r"\.pdf$", re.IGNORECASE)

#: Prefixes that look like DOIs but that no registration agency resolves: ACM's Digital Library
#: files items without a real DOI under 10.5555 (``dl.acm.org/doi/abs/10.5555/3586589.3586709``
#: for JMLR's Switch Transformers). Citing one as ``doi`` prints a dead link; they stay notes.
UNREGISTERED_PREFIXES: tuple[str, ...] = ("10.5555/",)


def registered(doi: str) -> bool:
    """Whether ``doi`` can be a registered DOI (its prefix is not one of UNREGISTERED_PREFIXES)."""
    return not doi.lower().startswith(UNREGISTERED_PREFIXES)


def parse(text: str) -> Identifier | None:
    """Normalise a bare DOI: strip ``doi:``/URL prefixes, lower-case (DOIs are case-insensitive)."""
    text = unquote(text.strip())
    for prefix in (
        "doi:",
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
    ):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    text = text.rstrip(".,;")
    if not _DOI.match(text):
        return None
    return Identifier(KIND, text.lower())


def from_url(url: str) -> Identifier | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _DOI_HOSTS:
        return parse(parts.path.lstrip("/"))
    if host == "dl.acm.org":
        m = _ACM.match(parts.path)
        if m:
            return parse(_LINK_SUFFIX.sub("", m["doi"]))
    if host in {"www.sciencedirect.com", "link.springer.com"}:
        m = re.search(r"(10\.\d{4,9}/[^?#]+)", parts.path)
        if m:
            return parse(m[1])
    return None
