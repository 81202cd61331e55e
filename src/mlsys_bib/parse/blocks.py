"""Markdown text -> markdown-it's tokens, read in bounded pieces, and the bullet lines it could not read.

Two things markdown-it does not do for a paper list, done here so the readers (:mod:`.markdown`,
:mod:`.generic`) only decide what bullets *mean*:

* **Bounded memory.** markdown-it turns a whole document into one token stream (a 13 MB list, 100
  times the seed, costs half a gigabyte of tokens). :func:`pieces` reads the list a piece at a time
  instead, each piece ending on a top-level heading, and gives exactly the tokens (types, levels,
  line maps, inline children) a whole-document parse gives: a piece is only cut after a line that
  markdown-it itself parsed as a top-level heading, where no block is open, so the next piece starts
  from the state the whole-document parse is in there. Link reference definitions, which may be
  used before they are written, are collected by a block-only pass first when the list has any.
* **Resuming after too-deep lines.** markdown-it stops at its nesting limit and silently drops the
  rest of the document; the rest is parsed again from the line after the deep one (see
  :func:`tokenize`), so one hostile line costs that line only.

Every bullet line that got no list item (where markdown-it gave up) is reported, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .result import LineKind, LineReport, ParsedList, shown_line

if TYPE_CHECKING:  # markdown-it is imported when a parser is made: `check` on a remembered parse needs none
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = [
    "MAX_NESTING", "MAX_RECOVERIES", "PIECE_LINES", "Piece", "UnreadLines", "new_parser", "normalise_text",
    "pieces", "tokenize", "with_unread_lines",
]  # fmt: skip

#: markdown-it stops parsing at its nesting limit (20 in the commonmark preset) and drops every
#: line after the deep one without a word. Real lists nest 3-4 deep; 100 leaves room, and where a
#: hostile line nests deeper still, parsing resumes on the line after it (see :func:`tokenize`).
MAX_NESTING = 100
#: Recoveries from too-deep lines before the rest of a list is reported instead (each recovery parses
#: the remainder again, so a list made only of such lines must not cost quadratic time).
MAX_RECOVERIES = 200
#: Lines a piece holds at least (it runs on to the next top-level heading): markdown-it's tokens for
#: 2,000 lines of a list are a few megabytes, whatever the list's length.
PIECE_LINES = 2000
#: Line ends as CommonMark (and markdown-it) count them: a lone ``\r`` ends a line too.
_LINE_END = re.compile(r"\r\n?|\n")
#: A line that may be a top-level ATX heading (whether it is, markdown-it decides).
_HEADING_LINE = re.compile(r"#{1,6}(?:[ \t]|$)")


def new_parser() -> MarkdownIt:
    """The seed's parser: commonmark keeps it strict and predictable; no linkify: bare URLs stay text."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.options["maxNesting"] = MAX_NESTING
    return md


def normalise_text(text: str) -> str:
    """A BOM, CRLF line ends and NUL bytes are common in hand-edited or downloaded copies;
    markdown-it keeps line numbering on the normalised text, which matches the file's."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


def _gave_up(tokens: list[Token]) -> int | None:
    """The 0-based line where markdown-it hit its nesting limit and skipped the rest, else None.

    It gives up inside the block it opened last: that block opens at the nesting limit and is
    closed at once (its content was never read), and no token starts after its line."""
    last = max((t.map[0] for t in tokens if t.map), default=None)
    if last is None:
        return None
    for i, t in enumerate(tokens[:-1]):
        if (t.map and t.map[0] == last and t.nesting == 1 and t.level >= MAX_NESTING - 2
                and tokens[i + 1].nesting == -1):
            return last
    return None


def _dedent_after(lines: list[str], stop: int) -> list[str]:
    """The lines after a too-deep line, dedented by its indentation (so an ever-deeper staircase of
    items keeps being read); tabs are expanded in them as the dedent counts columns."""
    cut = _indent(lines[stop])
    return lines[: stop + 1] + [line.expandtabs(4)[min(cut, _indent(line)):] for line in lines[stop + 1 :]]


def tokenize(md: MarkdownIt, text: str) -> tuple[list[Token], list[int]]:
    """markdown-it's tokens for the whole of ``text`` and the 0-based lines too deep to read.

    Where a line nests beyond :data:`MAX_NESTING`, markdown-it stops and silently drops the rest of
    the document. Here the rest is parsed again from the line after the deep one (dedented by the
    deep line's indentation, so an ever-deeper staircase of items keeps being read), with line
    numbers kept, so one hostile line costs that line only: it is reported, never the list after it.
    (:func:`pieces` gives the same tokens a piece at a time.)
    """
    lines = _LINE_END.split(text)  # markdown-it's own line ends, so its line numbers index this list
    env: dict[str, Any] = {}  # shared: link reference definitions stay known across the parts
    tokens: list[Token] = []
    deep: list[int] = []
    start = 0
    while True:
        part = md.parse("\n".join(lines[start:]), env)
        stop = _gave_up(part)
        _shift(part, start)
        tokens.extend(part)
        if stop is None or len(deep) >= MAX_RECOVERIES:
            return tokens, deep
        stop += start
        deep.append(stop)
        lines = _dedent_after(lines, stop)
        start = stop + 1


def _shift(tokens: list[Token], by: int) -> None:
    if by:
        for t in tokens:
            if t.map:
                t.map = [t.map[0] + by, t.map[1] + by]


@dataclass
class Piece:
    """markdown-it's tokens for the lines ``first`` to ``end`` (0-based, ``end`` excluded) of a list,
    with the list's own line numbers; ``deep`` is the too-deep line the piece stopped on, if any."""

    tokens: list[Token]
    first: int
    end: int
    deep: int | None = None
    source: Sequence[str] = field(default=(), repr=False)  # the list's lines as written (not dedented)


def pieces(md: MarkdownIt, text: str, *, size: int = PIECE_LINES) -> Iterator[Piece]:
    """:func:`tokenize`'s tokens, a piece of at least ``size`` lines at a time (see the module's doc).

    Concatenated, the pieces' tokens equal :func:`tokenize`'s, and their ``deep`` lines its list."""
    lines = _LINE_END.split(text)
    source = lines
    env: dict[str, Any] = {}
    recoveries = 0
    start = 0
    while True:  # one part per turn: from ``start`` to the end, or to a line nested too deep
        if any("]:" in line for line in lines[start:]):
            # a link reference definition may be used above it: read the part's blocks once first,
            # as the whole-document parse does before its inline pass (inline parsing is off)
            md.core.ruler.disable("inline")
            try:
                for _ in _part(md, lines, start, env, size):
                    pass
            finally:
                md.core.ruler.enable("inline")
        for tokens, first, end, stop in _part(md, lines, start, env, size):
            if stop is None:
                yield Piece(tokens, first, end, None, source)
                continue
            if recoveries >= MAX_RECOVERIES:
                yield Piece(tokens, first, len(lines), None, source)
                return
            recoveries += 1
            yield Piece(tokens, first, stop + 1, stop, source)
            lines = _dedent_after(lines, stop)
            start = stop + 1
            break
        else:
            return


def _part(
    md: MarkdownIt, lines: list[str], start: int, env: dict[str, Any], size: int
) -> Iterator[tuple[list[Token], int, int, int | None]]:
    """(tokens, first, end, too-deep line or None) per piece of the lines from ``start`` on, up to the
    end or to the first line markdown-it gives up on (the piece that holds it is the last)."""
    n = len(lines)
    first = start
    while True:
        end = _piece_end(lines, first, size)
        tokens = _parse(md, lines, first, end, env)
        stop = _gave_up(tokens)
        if stop is None and end < n and not _ends_on_heading(tokens, end - 1):
            # a fence or HTML block runs past the heading: the rest is one piece, as it is one block
            end = n
            tokens = _parse(md, lines, first, end, env)
            stop = _gave_up(tokens)
        if stop is not None:
            if end < n:  # blocks left open by the give-up end where the whole document does
                last = n - 1 if lines[-1] == "" else n  # markdown-it counts no line after a last line end
                for t in tokens:
                    if t.map and t.map[1] == end:
                        t.map = [t.map[0], last]
            yield tokens, first, end, stop
            return
        yield tokens, first, end, None
        first = end
        if first >= n:
            return


def _piece_end(lines: list[str], first: int, size: int) -> int:
    """The line after the first heading-like line ``size`` lines or more past ``first``; the end if none."""
    for n in range(first + max(size, 1) - 1, len(lines)):
        if _HEADING_LINE.match(lines[n]):
            return n + 1
    return len(lines)


def _parse(md: MarkdownIt, lines: list[str], first: int, end: int, env: dict[str, Any]) -> list[Token]:
    text = "\n".join(lines[first:end])
    if end < len(lines):
        text += "\n"  # the line end the heading has in the whole document
    tokens = md.parse(text, env)
    _shift(tokens, first)
    return tokens


def _ends_on_heading(tokens: list[Token], line: int) -> bool:
    """Whether the last block markdown-it read is a top-level heading on ``line``: then no block is
    open after it, and the rest of the list parses as it would in the whole document."""
    return (
        len(tokens) >= 3
        and tokens[-3].type == "heading_open"
        and tokens[-3].level == 0
        and tokens[-3].map == [line, line + 1]
        and tokens[-1].type == "heading_close"
    )


_BULLET_LINE = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")  # a tab is 4 columns: code
_RULE_LINE = re.compile(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # "- - -" is a thematic break


class UnreadLines:
    """The bullet lines the parser produced no list item for, gathered piece by piece: it gave up
    there (markdown-it stops at its nesting limit and drops the rest of the document without a word)."""

    def __init__(self) -> None:
        self.found: list[LineReport] = []
        self.deep: list[tuple[int, str]] = []  # (0-based line, its text) of every too-deep line

    def add(self, piece: Piece) -> None:
        items = {t.map[0] for t in piece.tokens if t.type == "list_item_open" and t.map}
        verbatim: set[int] = set()
        for t in piece.tokens:
            if t.type in ("fence", "code_block", "html_block") and t.map:
                verbatim.update(range(t.map[0], t.map[1]))
        for n in range(piece.first, piece.end):
            line = piece.source[n]
            if n in items or n in verbatim or not _BULLET_LINE.match(line) or _RULE_LINE.match(line):
                continue
            self.found.append(
                LineReport(n + 1, shown_line(line), LineKind.UNPARSED, "not read: the list nests too deep")
            )
        if piece.deep is not None:
            self.deep.append((piece.deep, piece.source[piece.deep]))

    def report(self, parsed: ParsedList) -> ParsedList:
        """``parsed`` plus a report for every unread bullet line it has no word about.

        The bullet markdown-it opened at its nesting limit on each too-deep line was never read: its
        report says so and shows the line, instead of calling it an empty bullet."""
        for n, text in self.deep:
            at = [r for r in parsed.reports if r.line == n + 1 and r.kind is LineKind.UNPARSED]
            if at:
                at[-1].text = shown_line(text)
                at[-1].reason = f"not read: nests deeper than {MAX_NESTING} levels"
        seen = {item.line for item in parsed.items} | {
            report.line for report in parsed.reports if report.kind is not LineKind.WARNING
        }
        parsed.reports.extend(r for r in self.found if r.line not in seen)
        return parsed


def with_unread_lines(
    parsed: ParsedList, text: str, tokens: list[Token], deep: Sequence[int] = ()
) -> ParsedList:
    """``parsed`` plus a report for every bullet line the parser gave no item (see :class:`UnreadLines`),
    for a whole-document parse (:func:`tokenize`'s ``tokens`` and ``deep`` lines)."""
    lines = text.split("\n")
    unread = UnreadLines()
    unread.add(Piece(tokens, 0, len(lines), None, lines))
    unread.deep = [(n, lines[n]) for n in deep]
    return unread.report(parsed)
