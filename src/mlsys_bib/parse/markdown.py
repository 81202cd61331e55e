"""Markdown paper list -> list items, with every bullet accounted for.

markdown-it-py does the Markdown (headings, nesting, links split over lines, code spans), read a
piece at a time by :mod:`.blocks`; this module only decides what each bullet *means*
(:mod:`.bullet` reads what it says). Each bullet becomes exactly one of:

* a **paper** (``[TAG] [Title](url)`` or ``[TAG] Title``),
* a **continuation** of the paper above (``[arxiv version](...)``, ``slides: [link](...)``,
  ``extended version of X``): on GitHub these are nested bullets, in flattened copies they
  follow the paper at the same depth; both readings give the same items,
* a **note** (free text such as ``algorithmic method for memory efficiency``), attached to the
  paper above and reported,
* an **unparsed** line, reported with its line number, never dropped.

Bullets outside the paper sections (the index site's header, the Table of Contents, the
References) are counted as skipped, not reported as errors.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import Link, ListItem, Section, VenueTag
from .blocks import (  # noqa: F401  (MAX_NESTING, MAX_RECOVERIES, tokenize, with_unread_lines: used from here)
    MAX_NESTING,
    MAX_RECOVERIES,
    UnreadLines,
    new_parser,
    normalise_text,
    pieces,
    tokenize,
    with_unread_lines,
)
from .bullet import (
    BARE_URL,
    CONTINUATION_TEXT,
    LINK,
    MARK,
    MAX_TAG,
    OTHER_PAPER,
    Bullet,
    clean_title,
    cut,
    cut_tag,
    flatten,
    identifiers,
    is_label_tag,
    is_label_text,
    label_for,
    lead_label,
    leading_tags,
    looks_like_paper,
    title_end,
    trailing,
    unmark,
)
from .result import LineKind, LineReport, ParsedList, shown_line  # noqa: F401  (their old home)
from .tags import is_survey_marker, parse_tag
from .textfix import fix_text

_SECTION_NUMBER = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<title>.+)$")


def _md() -> MarkdownIt:
    return new_parser()


def parse_list(source: str | Path, *, name: str = "") -> ParsedList:
    """Parse a paper list given as Markdown text or a path.

    The list is read a piece at a time (:func:`.blocks.pieces`): the tokens of a piece are walked and
    dropped before the next is parsed, so memory follows the items found, not the list's length."""
    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8", errors="replace")
    else:
        text = source
    text = normalise_text(text)
    walker = _Walker()
    unread = UnreadLines()
    for piece in pieces(new_parser(), text):
        walker.feed(piece.tokens)
        unread.add(piece)
    return unread.report(walker.result)


class _Walker:
    """Reads the tokens of a list, piece by piece (:meth:`feed`), into :attr:`result`."""

    def __init__(self) -> None:
        self.depth = 0  # lists open around the next token; 0 between pieces (they end on a heading)
        self.result = ParsedList()
        self.in_list_body = False  # after the list's own "# " title
        self.paper_section = False
        self.heading_stack: list[tuple[int, Section]] = []
        self._last_path: tuple[Section, ...] = ()
        self._lone_tags: dict[str, tuple[str]] = {}
        self.current: ListItem | None = None

    # -- headings ------------------------------------------------------------------------------
    def _heading(self, level: int, text: str) -> None:
        text = fix_text(text).strip()
        if level == 1:
            if not self.in_list_body:
                self.in_list_body = True
                self.result.title = text
                self.paper_section = False
                return
            # A second top-level heading (e.g. "# References") ends the paper sections.
            self.paper_section = False
            self.heading_stack = []
            self.current = None
            return
        if not self.in_list_body:
            return
        m = _SECTION_NUMBER.match(text)
        number, title = (m["num"], m["title"].strip()) if m else ("", text)
        section = Section(number, title)
        self.heading_stack = [(lv, s) for lv, s in self.heading_stack if lv < level]
        self.heading_stack.append((level, section))
        self.paper_section = title.lower() not in {"table of contents", "contents", "references"}
        self.current = None
        if self.paper_section:
            self.result.sections.append(section)

    # -- walk -----------------------------------------------------------------------------------
    def feed(self, toks: list[Token]) -> None:
        """Walk one piece of the token stream (a list item and its paragraph are never split)."""
        depth = self.depth
        i = 0
        while i < len(toks):
            tok = toks[i]
            if tok.type == "heading_open":
                inline = toks[i + 1]
                self._heading(int(tok.tag[1]), inline.content)
                i += 3
                continue
            if tok.type == "bullet_list_open" or tok.type == "ordered_list_open":
                depth += 1
            elif tok.type in {"bullet_list_close", "ordered_list_close"}:
                depth -= 1
            elif tok.type == "list_item_open":
                line = (tok.map or [0])[0] + 1
                # The bullet's own paragraph is the first inline before any nested list.
                inline = None
                j = i + 1
                while j < len(toks) and toks[j].type not in {
                    "list_item_close",
                    "bullet_list_open",
                    "ordered_list_open",
                    "list_item_open",
                }:
                    if toks[j].type == "inline":
                        inline = toks[j]
                        break
                    j += 1
                self._bullet(line, depth - 1, inline)
            i += 1
        self.depth = depth

    def _bullet(self, line: int, depth: int, inline: Token | None) -> None:
        bullet = flatten(inline, line)
        bullet.depth = depth
        raw = " ".join(bullet.source.split())
        if not (self.in_list_body and self.paper_section):
            self.result.reports.append(LineReport(line, raw, LineKind.SKIPPED, "outside the paper sections"))
            return
        if not raw:
            self.result.reports.append(LineReport(line, raw, LineKind.UNPARSED, "empty bullet"))
            return
        tags, rest = leading_tags(bullet.text)
        survey = False
        if tags and is_survey_marker(tags[0]):
            survey = True
            tags = tags[1:]
        if tags and not is_label_tag(tags[0]) and (depth == 0 or looks_like_paper(rest)):
            # A tagged paper nested under another (a predecessor, a poster version) is still a
            # paper of its own: flattening the list must not change what it means.
            self._paper(bullet, tags, rest, survey)
            return
        self._continuation(bullet, depth)

    # -- papers -------------------------------------------------------------------------------
    def _paper(self, bullet: Bullet, tags: list[str], rest: str, survey: bool) -> None:
        section = self.heading_stack[-1][1] if self.heading_stack else Section("", "")
        path = tuple(s for _, s in self.heading_stack)
        if path == self._last_path:
            path = self._last_path  # one tuple for a section's papers (a long list has 100,000)
        self._last_path = path
        m = re.match(r"^\s*\x00L(\d+)\x00", rest)
        links: list[Link] = []
        if m:
            text, href = bullet.links[int(m[1])]
            title_raw = text
            links.append(Link(label_for(href, "paper"), href, bullet.line))
            tail = rest[m.end() :]
            used = {int(m[1])}
        else:
            end = title_end(rest)
            title_raw = unmark(rest[:end], bullet).strip().rstrip(",;")
            tail = rest[end:]
            used = set()
        aliases, annotations, extra_links = trailing(tail, bullet, used)
        links.extend(extra_links)
        title_raw = title_raw.strip()
        title = clean_title(title_raw)
        if title == title_raw:
            title = title_raw  # one string for both when cleaning changed nothing
        if not title:
            self.result.reports.append(
                LineReport(
                    bullet.line, " ".join(bullet.source.split()), LineKind.UNPARSED, "a tag but no title"
                )
            )
            return
        tag = parse_tag(tags[0])
        if any(len(t) > MAX_TAG for t in tags):
            longest = max(len(t) for t in tags)
            tag, tags = cut_tag(tag), [cut(t) for t in tags]
            self.result.reports.append(LineReport(
                bullet.line, tag.raw, LineKind.WARNING,
                f"venue tag of {longest:,} characters cut to {MAX_TAG}",
            ))
        item = ListItem(
            line=bullet.line,
            section=section,
            section_path=path,
            title=title,
            title_raw=title_raw,
            tag=tag,
            tags_raw=self._tags_raw(tags, tag),
            survey=survey,
            links=tuple(links),
            aliases=tuple(aliases),
            annotations=(*annotations, *(f"extra tag: {t}" for t in tags[1:])),
        )
        item.identifiers = tuple(identifiers(item.links))
        self.result.items.append(item)
        # A nested paper becomes "the paper above" for what follows, exactly as in the
        # flattened reading, so both readings attach continuations alike.
        self.current = item

    def _tags_raw(self, tags: list[str], tag: VenueTag) -> tuple[str, ...]:
        """The item's tags as written; a lone tag's tuple (and string) shared by every item that
        writes it so: a list 100 times the seed writes the same few hundred tags 100,000 times."""
        if len(tags) != 1 or tags[0] != tag.raw:
            return tuple(tags)
        return self._lone_tags.setdefault(tag.raw, (tag.raw,))

    # -- continuations and notes --------------------------------------------------------------
    def _continuation(self, bullet: Bullet, depth: int) -> None:
        raw = " ".join(bullet.source.split())
        parent = self.current
        bare = BARE_URL.match(bullet.text)
        if bare and not bullet.links:
            bullet.links.append(("", bare[1]))
            bullet.text = LINK.format(0)
        text_only = MARK.sub(" ", bullet.text)
        stripped = re.sub(r"[\[\]\s,;:()|/*]+", " ", text_only).strip()
        links = [
            Link(label_for(href, lead_label(bullet.text, n) or text), href, bullet.line)
            for n, (text, href) in enumerate(bullet.links)
        ]
        label_only = bool(bullet.links) and all(is_label_text(t) for t, _ in bullet.links)
        if bullet.links and (label_only or CONTINUATION_TEXT.match(text_only) or not stripped):
            kind, reason = LineKind.CONTINUATION, "links for the paper above"
        elif not bullet.links and CONTINUATION_TEXT.match(text_only):
            kind, reason = LineKind.CONTINUATION, "describes the paper above"
        elif not bullet.links and depth > 0:
            kind, reason = LineKind.NOTE, "nested free text"
        elif not bullet.links and not text_only.lstrip().startswith("["):
            kind, reason = LineKind.NOTE, "free text"
        else:
            kind, reason = LineKind.UNPARSED, "neither a tagged paper nor a continuation"
        if parent is None and kind is not LineKind.UNPARSED:
            kind, reason = LineKind.UNPARSED, f"{reason}, but no paper above it in this section"
        report = LineReport(bullet.line, raw, kind, reason, parent.line if parent else None)
        self.result.reports.append(report)
        if kind is LineKind.UNPARSED or parent is None:
            return
        parent.continuation_lines += (bullet.line,)
        if kind is LineKind.CONTINUATION and OTHER_PAPER.search(text_only):
            # "Journal version of [IPDPS'23] [X](...)": the link names another paper. Keep it as
            # a related link; its identifiers must not merge the two papers.
            links = [Link("related", lk.url, lk.line) for lk in links]
        if kind is LineKind.CONTINUATION:
            parent.links += tuple(links)
            parent.identifiers = tuple(dict.fromkeys((*parent.identifiers, *identifiers(links))))
            words = unmark(bullet.text, bullet, keep_links=False).strip(" :,;")
            if words and not label_only:
                parent.annotations += (fix_text(" ".join(words.split())),)
        else:
            parent.notes += (fix_text(" ".join(unmark(bullet.text, bullet).split())),)
