"""Which sections a reference list has, which records each shows in which order, and the file
name of each: the layout every output format and the site share.

Sections keep list order. Inside a section, entries keep list order in styles that number them
as cited (IEEE, ACM: numbered afresh from [1] per file) and the style's own order in sorted
styles (APA: by author).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ...model import Record, Section
from .. import citeproc_pandoc
from ..latex import clean_text
from .render import Entry, StyleRendering


def section_order(records: Sequence[Record], sections: Sequence[Section] | None) -> list[Section]:
    """The sections to write: as given, else every section in list order (first line seen)."""
    if sections is not None:
        return list(dict.fromkeys(sections))
    first_line: dict[Section, tuple[int, int]] = {}
    for r_index, record in enumerate(records):
        for item in record.items:
            pos = (item.line, r_index)
            if item.section not in first_line or pos < first_line[item.section]:
                first_line[item.section] = pos
    return sorted(first_line, key=lambda s: first_line[s])


def section_members(records: Sequence[Record], order: Sequence[Section]) -> dict[Section, list[Record]]:
    """Each section's records in the order the list shows them *in that section*.

    Record order is the order of first appearance in the whole list; a paper first listed in an
    earlier section still belongs at its own line in a later one. Ties (no line) keep record order.
    """
    placed: dict[Section, list[tuple[int, int, Record]]] = {s: [] for s in order}
    for index, record in enumerate(records):
        lines: dict[Section, int] = {}
        for item in record.items:
            if item.section in placed:
                lines[item.section] = min(lines.get(item.section, item.line), item.line)
        for section, line in lines.items():
            placed[section].append((line, index, record))
    return {
        s: [r for _, _, r in sorted(entries, key=lambda e: (e[0], e[1]))] for s, entries in placed.items()
    }


#: Longest file name stem derived from a heading: file systems refuse names over 255 bytes (a
#: 249-character heading aborted a build half-way), and nobody reads one that long.
SLUG_MAX = 80


def _capped(slug: str) -> str:
    """``slug`` cut at a word boundary to SLUG_MAX, with a short hash of the whole so that two long
    headings that share a beginning still get two names."""
    if len(slug) <= SLUG_MAX:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    head = slug[: SLUG_MAX - 9]
    head = head.rsplit("-", 1)[0] if "-" in head[SLUG_MAX // 2 :] else head
    return f"{head.rstrip('-')}-{digest}"


def section_slugs(sections: Sequence[Section]) -> dict[Section, str]:
    """File names per section: Section.slug, capped, and unique: ``-2``, ``-3`` ... in section order,
    never a name already taken (``## A``, ``## A!``, ``## A 2`` once wrote ``a``, ``a-2``, ``a-2``)."""
    taken = {"index"}
    out: dict[Section, str] = {}
    for section in sections:
        base = _capped(section.slug)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[section] = slug
    return out


@dataclass(frozen=True)
class StyleNames:
    """How a page names its style: the short name (``apa``) and the style's own title."""

    name: str
    title: str


@dataclass(frozen=True)
class SectionPage:
    """One section's reference list in one style: what every format writes as one file."""

    label: str  # the section's heading, cleaned
    slug: str  # the file name stem
    style: StyleNames
    entries: list[Entry]

    @property
    def count(self) -> str:
        """"3 references" (or "1 reference")."""
        n = len(self.entries)
        return f"{n} reference{'s' if n != 1 else ''}"


def section_pages(
    order: Sequence[Section],
    slugs: dict[Section, str],
    members: dict[Section, list[Record]],
    style: StyleNames,
    rendering: StyleRendering,
    sorted_style: bool,
) -> list[SectionPage]:
    """Every section's page in one style: its records in list order (or the style's own order in
    a sorted style), a citation number counted afresh from [1] in each."""
    pages = []
    for section in order:
        chosen = members[section]
        if sorted_style:
            chosen = sorted(chosen, key=lambda r: rendering.rank.get(r.key, len(rendering.rank)))
        entries = []
        for n, record in enumerate(chosen, 1):
            entry = rendering.entries[record.key]
            if citeproc_pandoc.is_numbered(entry.label):
                entry = replace(entry, label=f"[{n}]")
            entries.append(entry)
        pages.append(SectionPage(clean_text(section.label, 300), slugs[section], style, entries))
    return pages


def labelled(label: str, text: str) -> str:
    """An entry's text after its citation number, when the style prints one."""
    return f"{label} {text}" if label else text
