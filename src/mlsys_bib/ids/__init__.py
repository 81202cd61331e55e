"""Identifiers found in list links: one value object, one small handler module per kind.

Each handler module exposes ``KIND`` and ``from_url(url) -> Identifier | None``; ``from_url``
here tries them in order. Handlers are pure functions of the URL so the parser, the merger
and the resolvers agree on what "the same paper" means.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class Identifier:
    """A normalised identifier: ``kind`` names the handler, ``value`` is canonical.

    ``version`` (arXiv ``v2``) is kept apart so that two links to different versions of one
    preprint still name one paper.
    """

    kind: str
    value: str
    version: str = ""

    @property
    def curie(self) -> str:
        return f"{self.kind}:{self.value}"

    def __str__(self) -> str:
        return self.curie + (self.version or "")


# Resolvable first: the merge step prefers earlier kinds when a record has several.
from . import acl, arxiv, doi, ieee, openreview, proceedings  # noqa: E402

HANDLERS = (arxiv, doi, openreview, acl, ieee, proceedings)


def from_url(url: str) -> Identifier | None:
    """The identifier a link names, or None for links that name no paper (code, slides)."""
    url = url.strip()
    for handler in HANDLERS:
        ident = handler.from_url(url)
        if ident is not None:
            return ident
    return None


def parse(text: str) -> Identifier:
    """Parse a CURIE such as ``arxiv:2401.08895`` or ``doi:10.1145/1``; raises ValueError."""
    kind, sep, value = text.partition(":")
    if not sep or not value:
        raise ValueError(f"not an identifier: {text!r} (expected KIND:VALUE)")
    kind = kind.lower()
    if kind == "arxiv":
        ident = arxiv.parse(value)
    elif kind == "doi":
        ident = doi.parse(value)
    else:
        ident = Identifier(kind, value)
    if ident is None:
        raise ValueError(f"not a valid {kind} identifier: {value!r}")
    return ident


__all__ = ["Identifier", "from_url", "parse", "HANDLERS"]
