"""Per-key BibTeX/biblatex entries and per-section downloads, cut from the build's own exports.

The site never formats an entry itself: it cuts ``mlsys.bib``, ``mlsys-biblatex.bib`` and
``mlsys.json`` as this build wrote them. So "Copy BibTeX" gives exactly the entry of
``mlsys.bib``, and a section's download is byte for byte a subset of the whole-list file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

# An entry starts at a line "@type{key," and runs to the line "}" that closes it.
_ENTRY_START = re.compile(r"^@([A-Za-z]+)\{([^,\s]+),$", re.M)


def split_bib(text: str) -> tuple[str, dict[str, str]]:
    """(header comment, {key: entry text}) of a .bib file written by export/bibtex.py.

    Each entry's text runs from its ``@`` to its closing ``}`` line, newline included: what a
    reader selects in the file and pastes into their own.
    """
    starts = list(_ENTRY_START.finditer(text))
    header = text[: starts[0].start()] if starts else text
    entries: dict[str, str] = {}
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        entries[match.group(2)] = text[match.start() : end].rstrip("\n") + "\n"
    return header, entries


def section_bib(header: str, entries: dict[str, str], keys: Sequence[str]) -> str:
    """A .bib of some keys: the whole file's header, then their entries, blank-line separated."""
    return header + "\n".join(entries[k] for k in keys if k in entries)


def split_csl(text: str) -> dict[str, Any]:
    """{id: item} of the CSL-JSON export."""
    return {str(item.get("id")): item for item in json.loads(text)}


def section_csl(items: dict[str, Any], keys: Sequence[str]) -> str:
    """A CSL-JSON file of some keys (Zotero: File > Import): the items of ``mlsys.json``, one per
    line (a third smaller than indented, and still one line per paper in a diff)."""
    chosen = [json.dumps(items[k], ensure_ascii=False, separators=(",", ":")) for k in keys if k in items]
    return ("[\n" + ",\n".join(chosen) + "\n]\n") if chosen else "[]\n"


def line_delta(text: str, base: str) -> list[int | str]:
    """``text`` as lines, each either an index into ``base``'s lines (when equal) or itself.

    A biblatex entry repeats most lines of the BibTeX entry of the same paper; shipping it as a
    delta against that entry halves the site's copy data. :func:`undelta` (and site.js) rebuild it.
    """
    where: dict[str, int] = {}
    for n, line in enumerate(base.split("\n")):
        where.setdefault(line, n)
    return [where.get(line, line) for line in text.split("\n")]


def undelta(delta: Sequence[int | str], base: str) -> str:
    lines = base.split("\n")
    return "\n".join(lines[x] if isinstance(x, int) else x for x in delta)
