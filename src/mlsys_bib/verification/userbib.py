"""Reading the user's .bib: every entry with its line, every broken block as a finding, bounded memory.

A user's file is untrusted and may be huge or damaged (a stray brace swallows the next entries in
naive parsers). So the file is streamed in chunks of blocks, each parsed by bibtexparser v2 with
the ``@string`` macros seen so far; a broken block is reported with its line and the rest is still
checked; a block larger than :data:`MAX_BLOCK_CHARS` is reported and skipped rather than parsed.
Values keep the user's text (for ``--fix``); :class:`UserEntry` gives decoded views for matching.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

from ..ids import arxiv as arxiv_ids
from ..ids import doi as doi_ids
from ..model import Person
from ..text.names import split_name
from ..text.titles import _delatex, normalise

__all__ = ["Block", "BrokenBlock", "UserEntry", "read_bib", "split_blocks"]

#: Blocks parsed per bibtexparser call: memory stays bounded whatever the file's size.
CHUNK_BLOCKS = 500
#: A single block longer than this is not a real entry (an unclosed brace or a pasted PDF).
MAX_BLOCK_CHARS = 200_000
#: Entries read from one file; beyond it the rest is reported, not held in memory.
MAX_ENTRIES = 200_000

_BLOCK_START = re.compile(r"^\s*@\s*([A-Za-z]+)")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\s+preprint)?\s*[:/]?\s*(?:abs/)?([0-9]{4}\.[0-9]{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/[0-9]{7})",
    re.IGNORECASE,
)
_CORR_VOLUME = re.compile(r"abs/([0-9]{4}\.[0-9]{4,5}|[a-z\-]+/[0-9]{7})", re.IGNORECASE)
_YEAR = re.compile(r"(1[89]|20)[0-9]{2}")
_PREPRINT_TYPES = frozenset({"misc", "unpublished", "online", "article", "electronic"})
_VENUE_FIELDS = ("booktitle", "journal", "journaltitle", "eventtitle", "series", "howpublished", "publisher")

logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Block:
    """One top-level block of the file as written: its first line (1-based) and raw text."""

    line: int
    text: str
    oversized: bool = False


@dataclass(frozen=True)
class BrokenBlock:
    """A block that could not be read as an entry; reported, never silently dropped."""

    line: int
    reason: str


def _brace_split(value: str, sep: re.Pattern[str]) -> list[str]:
    """Split ``value`` at ``sep`` outside braces (``{Team A and B}`` stays one author)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(value):
        ch = value[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = sep.match(value, i)
            if m:
                parts.append(value[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(value[start:])
    return [p.strip() for p in parts if p.strip()]


def decode(text: str) -> str:
    """LaTeX to plain text for comparing (``Sch{\\"o}lkopf`` -> ``Schölkopf``), braces dropped."""
    if "\\" in text:
        text = _delatex(text)
    return " ".join(text.replace("{", "").replace("}", "").split())


@dataclass
class UserEntry:
    """One entry of the user's file: fields as written (names lower-cased), decoded views on demand."""

    key: str
    entry_type: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @cached_property
    def title(self) -> str:
        return decode(self.get("title"))

    @cached_property
    def authors(self) -> tuple[tuple[Person, ...], bool]:
        """The author list and whether it ends with ``and others`` (truncated by the user)."""
        names = _brace_split(self.get("author"), _AND)
        truncated = bool(names) and names[-1].strip().lower() == "others"
        if truncated:
            names = names[:-1]
        people = []
        for name in names:
            if name.startswith("{") and name.endswith("}") and "," not in name:
                people.append(Person(literal=decode(name)))
            else:
                people.append(split_name(decode(name)))
        return tuple(people), truncated

    @cached_property
    def year(self) -> int | None:
        m = _YEAR.search(self.get("year") or self.get("date"))
        return int(m.group(0)) if m else None

    @cached_property
    def venue(self) -> str:
        for name in _VENUE_FIELDS:
            if self.get(name):
                return decode(self.get(name))
        return ""

    @cached_property
    def doi(self) -> str:
        for text in (self.get("doi"), self.get("url")):
            if not text:
                continue
            ident = doi_ids.from_url(text) if "doi.org" in text else doi_ids.parse(text)
            if ident is not None:
                return ident.value.lower()
        return ""

    @cached_property
    def arxiv(self) -> str:
        eprint = self.get("eprint")
        if eprint:
            ident = arxiv_ids.parse(eprint.strip())
            if ident is not None:
                return ident.value
        url = self.get("url")
        if url:
            ident = arxiv_ids.from_url(url.strip())
            if ident is not None:
                return ident.value
        if "corr" in self.get("journal").lower():
            m = _CORR_VOLUME.search(self.get("volume"))
            if m:
                ident = arxiv_ids.parse(m.group(1))
                if ident is not None:
                    return ident.value
        for name in ("note", "howpublished", "journal", "booktitle", "annote", "pages"):
            m = _ARXIV_IN_TEXT.search(self.get(name))
            if m:
                ident = arxiv_ids.parse(m.group(1))
                if ident is not None:
                    return ident.value
        return ""

    @cached_property
    def is_preprint(self) -> bool:
        """Whether the entry cites a preprint: CoRR / arXiv as its venue, or an arXiv id and no venue."""
        venue = (self.get("journal") or self.get("journaltitle") or self.get("booktitle")).lower()
        if venue:
            return "corr" in normalise(venue).split() or "arxiv" in venue
        if self.entry_type not in _PREPRINT_TYPES:
            return False  # a report, thesis or book with an arXiv copy is still that
        return bool(self.arxiv) or "arxiv" in (self.get("howpublished") + self.get("note")).lower()

    @property
    def biblatex(self) -> bool:
        return any(name in self.fields for name in ("date", "journaltitle", "eprinttype", "eventtitle"))


def split_blocks(lines: Iterator[str]) -> Iterator[Block]:
    """The file's top-level blocks: text from one line starting with ``@`` to the next one.

    Splitting at ``@`` at line start (as every .bib writer emits) confines a damaged entry to its own
    block, so one missing brace costs one entry, not the rest of the file.
    """
    buf: list[str] = []
    start, size, oversized = 1, 0, False
    for number, line in enumerate(lines, 1):
        if _BLOCK_START.match(line) and (buf or size):
            yield Block(start, "".join(buf), oversized)
            start, buf, size, oversized = number, [], 0, False
        size += len(line)
        if size > MAX_BLOCK_CHARS:
            oversized, buf = True, []
        elif not oversized:
            buf.append(line)
    if buf or oversized:
        yield Block(start, "".join(buf), oversized)


def _enclosed(value: str, open_: str, close: str) -> bool:
    """Whether ``value`` is one ``{...}`` (or ``"..."``) group from its first to its last character."""
    if len(value) < 2 or value[0] != open_ or value[-1] != close:
        return False
    if open_ == '"':
        return True
    depth = 0
    for i, ch in enumerate(value):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and i < len(value) - 1:
            return False
    return True


def field_value(raw: str, strings: dict[str, str]) -> str:
    """A field's text from its raw BibTeX form: ``{...}`` or ``"..."`` unwrapped, a bare number kept,
    ``@string`` names and ``#`` concatenations resolved (``osdi # " 2022"``). A ``#`` inside braces
    is text, so values are read raw, not after the parser has removed the braces."""
    raw = raw.strip()
    if _enclosed(raw, "{", "}") or _enclosed(raw, '"', '"'):
        return raw[1:-1]
    out = []
    for part in _brace_split(raw, re.compile(r"\s*#\s*")):
        if _enclosed(part, "{", "}") or _enclosed(part, '"', '"'):
            out.append(part[1:-1])
        else:
            out.append(strings.get(part.lower(), part))
    return "".join(out)


def _entry(entry: Entry, offset: int, strings: dict[str, str], raw: str) -> UserEntry:
    fields = {}
    for f in entry.fields:
        value = f.value if isinstance(f.value, str) else str(f.value)
        fields[f.key.lower()] = field_value(value, strings)
    return UserEntry(entry.key, entry.entry_type.lower(), entry.start_line + offset, fields, raw)


def _parse_chunk(
    chunk: list[Block], strings: dict[str, str]
) -> tuple[list[UserEntry], list[BrokenBlock]]:
    entries: list[UserEntry] = []
    broken: list[BrokenBlock] = []
    for block in chunk:
        if block.oversized:
            reason = f"block longer than {MAX_BLOCK_CHARS:,} characters, skipped"
            broken.append(BrokenBlock(block.line, reason))
    readable = [b for b in chunk if not b.oversized]
    if not readable:
        return entries, broken
    # Each block is parsed where it stands: separators keep bibtexparser's line numbers mappable.
    simple = {k: v for k, v in strings.items() if "{" not in v and "}" not in v}
    preamble = "".join(f"@string{{{k} = {{{v}}}}}\n" for k, v in simple.items())
    pre_lines = preamble.count("\n")
    text = preamble + "".join(b.text if b.text.endswith("\n") else b.text + "\n" for b in readable)
    library = bibtexparser.parse_string(text, parse_stack=[])
    first_line = readable[0].line
    # Map bibtexparser's 0-based line to the file: lines inside the chunk are contiguous.
    offset = first_line - pre_lines
    raws = {b.line: b.text for b in readable}
    for s in library.strings:
        strings[str(s.key).lower()] = field_value(str(s.value), strings)
    for e in library.entries:
        line = e.start_line + offset
        entries.append(_entry(e, offset, strings, raws.get(line, "")))
    for failed in library.failed_blocks:
        if failed.start_line < pre_lines:
            continue
        line = failed.start_line + offset
        if isinstance(failed, DuplicateBlockKeyBlock):
            broken.append(BrokenBlock(line, f"duplicate key {failed.key!r}: only the first is checked"))
        elif isinstance(failed, ParsingFailedBlock):
            reason = " ".join(str(failed.error or "").split())[:120] or "unbalanced braces or quotes"
            broken.append(BrokenBlock(line, f"entry not readable as BibTeX: {reason}"))
        else:
            broken.append(BrokenBlock(line, "not readable as BibTeX"))
    return entries, broken


def _contiguous(chunk: list[Block]) -> bool:
    """Whether the chunk's blocks follow each other with no line lost (oversized ones break it)."""
    return all(not b.oversized for b in chunk)


def read_bib(path: str | Path) -> tuple[list[UserEntry], list[BrokenBlock]]:
    """Every entry of ``path`` (crossref inheritance applied) and every block that is not one.

    Raises OSError / UnicodeDecodeError for an unreadable file (the CLI turns them into exit 2).
    """
    entries: list[UserEntry] = []
    broken: list[BrokenBlock] = []
    strings: dict[str, str] = {}
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        chunk: list[Block] = []
        for block in split_blocks(fh):
            chunk.append(block)
            if len(chunk) >= CHUNK_BLOCKS:
                _take(chunk, strings, entries, broken, seen)
                chunk = []
        if chunk:
            _take(chunk, strings, entries, broken, seen)
    _inherit(entries)
    broken.sort(key=lambda b: b.line)
    return entries, broken


def _take(chunk: list[Block], strings: dict[str, str], entries: list[UserEntry],
          broken: list[BrokenBlock], seen: set[str]) -> None:
    # Oversized blocks are dropped from the text, so parse the runs between them separately:
    # line numbers within each run stay exact.
    run: list[Block] = []
    for block in chunk + [Block(0, "", True)]:
        if block.oversized:
            if run:
                got, bad = _parse_chunk(run, strings)
                for entry in got:
                    if entry.key in seen:
                        reason = f"duplicate key {entry.key!r}: only the first is checked"
                        broken.append(BrokenBlock(entry.line, reason))
                    elif len(entries) >= MAX_ENTRIES:
                        reason = f"more than {MAX_ENTRIES:,} entries: not checked"
                        broken.append(BrokenBlock(entry.line, reason))
                    else:
                        seen.add(entry.key)
                        entries.append(entry)
                broken.extend(bad)
                run = []
            if block.line:
                broken.extend(_parse_chunk([block], strings)[1])
        else:
            run.append(block)


#: Fields a ``crossref``-ed parent lends its children (BibTeX's rule; biblatex adds title -> booktitle).
_INHERITED = (
    "booktitle", "year", "date", "publisher", "editor", "series", "volume", "journal", "journaltitle",
)


def _inherit(entries: list[UserEntry]) -> None:
    by_key = {e.key.lower(): e for e in entries}
    for entry in entries:
        parent = by_key.get(entry.get("crossref").strip().lower()) if entry.get("crossref") else None
        if parent is None or parent is entry:
            continue
        for name in _INHERITED:
            if name not in entry.fields and parent.get(name):
                entry.fields[name] = parent.get(name)
        is_volume = parent.entry_type in ("proceedings", "book")
        if "booktitle" not in entry.fields and is_volume and parent.get("title"):
            entry.fields["booktitle"] = parent.get("title")
