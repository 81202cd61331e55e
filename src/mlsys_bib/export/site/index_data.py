"""The search index and copy texts, shipped as ``data.js`` (one global), not as JSON.

Browsers refuse ``fetch()`` of a JSON file from ``file://``; a classic ``<script src>`` loads from
anywhere the page does, and the CSP allows it (``script-src 'self'``). Compact arrays keep it small:
one row per paper ``[key, folded search text, [section indexes], venue index or -1, year or 0,
kind bits]``; biblatex entries as line deltas against the BibTeX ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .downloads import line_delta
from .papers import KINDS, SitePaper

GLOBAL = "MLSYS_SITE"


def kind_bits(kinds: Sequence[str]) -> int:
    return sum(1 << KINDS.index(k) for k in kinds if k in KINDS)


def data_js(
    papers: Sequence[SitePaper],
    sections: Sequence[tuple[str, str]],
    venues: Sequence[str],
    bibtex: dict[str, str],
    biblatex: dict[str, str],
    *,
    stamp: str = "",
) -> str:
    """The text of ``data.js``: deterministic (paper order, no dates, no set iteration)."""
    venue_index = {v: n for n, v in enumerate(venues)}
    rows = [
        [p.key, p.search_text(), p.sections, venue_index.get(p.venue, -1), p.year or 0, kind_bits(p.kinds)]
        for p in papers
    ]
    data = {
        "kinds": list(KINDS),
        "sections": [list(s) for s in sections],
        "venues": list(venues),
        "papers": rows,
        "bibtex": {p.key: bibtex[p.key] for p in papers if p.key in bibtex},
        # biblatex as line references into the BibTeX entry where the lines agree (see line_delta)
        "biblatex": {
            p.key: line_delta(biblatex[p.key], bibtex.get(p.key, "")) for p in papers if p.key in biblatex
        },
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # JSON is JavaScript except for these two line separators in older engines: escape them.
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    inputs = f" from inputs {stamp}" if stamp else ""
    header = f"/* mlsys_bib site data: search index and copy texts (generated{inputs}) */"
    return f"{header}\nwindow.{GLOBAL}={body};\n"
