"""Which parser reads a list: the seed's tagged shape, or the generic one for tables and prose bullets.

Decided by content, not by file name: a list whose bullets mostly start with a venue tag
(``[OSDI'22]``) is the seed's shape; anything else goes to :mod:`.generic`.
"""

from __future__ import annotations

import re
from pathlib import Path

from .generic import parse_generic
from .markdown import ParsedList, normalise_text, parse_list
from .tags import parse_tag

__all__ = ["is_tagged_list", "parse_any"]

_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+(.*)$")
_TAG = re.compile(r"^\[([^\[\]]{2,40})\](?!\()")
#: At least this share of bullets carry a venue tag in a list of the seed's shape (the seed: ~90 %).
TAGGED_SHARE = 0.3


def is_tagged_list(text: str) -> bool:
    bullets = tagged = 0
    for line in text.splitlines():
        m = _BULLET.match(line)
        if not m:
            continue
        bullets += 1
        t = _TAG.match(m[1])
        if t:
            tag = parse_tag(t[1])
            tagged += bool(tag.venue or tag.under_review)
    return bullets > 0 and tagged >= TAGGED_SHARE * bullets


def parse_any(source: str | Path, *, name: str = "") -> ParsedList:
    text = source.read_text(encoding="utf-8", errors="replace") if isinstance(source, Path) else source
    text = normalise_text(text)
    if is_tagged_list(text):
        return parse_list(text, name=name)
    return parse_generic(text)
