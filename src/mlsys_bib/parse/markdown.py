"""Markdown paper list -> list items, with every bullet accounted for.

markdown-it-py does the Markdown (headings, nesting, links split over lines, code spans);
this module only decides what each bullet *means*. Each bullet becomes exactly one of:

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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

import ftfy
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .. import ids
from ..model import Link, ListItem, Section, VenueTag
from .tags import is_survey_marker, parse_tag
from .textfix import repair

# Placeholders put in a bullet's flattened text where a link or a code span stood, so the
# bullet's structure can be read with small anchored patterns without losing either.
_LINK = "\x00L{}\x00"
_CODE = "\x00C{}\x00"
_MARK = re.compile(r"\x00([LC])(\d+)\x00")
_LEADING_TAG = re.compile(r"^\s*\[(?P<tag>[^\[\]\x00]+)\]\s*(?!\()")
_SECTION_NUMBER = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<title>.+)$")
_SEPARATORS = re.compile(r"^[\s,;:()\[\]|/]*$")
# Free-text continuations: they describe the paper above instead of naming a new one.
_CONTINUATION_TEXT = re.compile(
    r"^\s*(?:extended version|journal version|conference version|arxiv version|related to|"
    r"also (?:in|see)|see also|slides|video|talk|code|poster|project page|preprint)\b",
    re.IGNORECASE,
)
_OTHER_PAPER = re.compile(r"\b(?:version of|related to)\b", re.IGNORECASE)
_BARE_URL = re.compile(r"^\s*<?(https?://[^\s<>]+?)>?\s*$")
# Link texts that label a link rather than title a paper.
_LINK_LABELS = {
    "arxiv": "arxiv",
    "arxiv version": "arxiv",
    "arxiv link": "arxiv",
    "openreview": "openreview",
    "code": "code",
    "github": "code",
    "slides": "slides",
    "slide": "slides",
    "video": "video",
    "talk": "video",
    "paper": "paper",
    "pdf": "paper",
    "link": "link",
    "project": "project",
    "project page": "project",
    "poster": "poster",
    "blog": "blog",
    "website": "project",
    "extended version": "paper",
    "journal version": "paper",
}


class LineKind(str, Enum):
    """What a bullet that is not a paper is. A ``str`` so report.json keeps its words."""

    CONTINUATION = "continuation"  # more text of the paper above it
    NOTE = "note"  # a remark, kept in the report
    UNPARSED = "unparsed"  # looks like a paper but cannot be read: ``check`` fails on these
    SKIPPED = "skipped"  # deliberately not a paper (a heading's link list, ...)
    WARNING = "warning"  # read, but something in the line was damaged or cut (reported, not fatal)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass
class LineReport:
    """A bullet that is not a paper, kept so that nothing the list says is lost."""

    line: int
    text: str
    kind: LineKind
    reason: str = ""
    attached_to: int | None = None  # line of the paper it was attached to
    source: str = ""  # the list's prefix in a several-list build
    file: str = ""  # the list's path or URL, for ``file:line`` in warnings


@dataclass
class ParsedList:
    items: list[ListItem] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    reports: list[LineReport] = field(default_factory=list)
    title: str = ""

    def of_kind(self, kind: LineKind | str) -> list[LineReport]:
        kind = LineKind(kind)
        return [r for r in self.reports if r.kind is kind]

    @property
    def unparsed(self) -> list[LineReport]:
        return self.of_kind(LineKind.UNPARSED)


@dataclass
class _Bullet:
    line: int  # 1-based source line of the bullet
    depth: int
    text: str  # flattened inline text with placeholders
    source: str  # the bullet's raw Markdown
    links: list[tuple[str, str]]  # (text, href)
    codes: list[str]


#: markdown-it stops parsing at its nesting limit (20 in the commonmark preset) and drops every
#: line after the deep one without a word. Real lists nest 3-4 deep; 100 leaves room, and where a
#: hostile line nests deeper still, parsing resumes on the line after it (see :func:`tokenize`).
MAX_NESTING = 100
#: A venue tag longer than this is cut (and the cut reported): no venue is named in 100 characters
#: more, and a megabyte tag must not reach keys, exports or error lines.
MAX_TAG = 100
#: Recoveries from too-deep lines before the rest of a list is reported instead (each recovery parses
#: the remainder again, so a list made only of such lines must not cost quadratic time).
MAX_RECOVERIES = 200
#: Line ends as CommonMark (and markdown-it) count them: a lone ``\r`` ends a line too.
_LINE_END = re.compile(r"\r\n?|\n")


def _md() -> MarkdownIt:
    # commonmark keeps the parser strict and predictable; no linkify: bare URLs stay text.
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


def tokenize(md: MarkdownIt, text: str) -> tuple[list[Token], list[int]]:
    """markdown-it's tokens for ``text`` and the 0-based lines too deep to read.

    Where a line nests beyond :data:`MAX_NESTING`, markdown-it stops and silently drops the rest of
    the document. Here the rest is parsed again from the line after the deep one (dedented by the
    deep line's indentation, so an ever-deeper staircase of items keeps being read), with line
    numbers kept, so one hostile line costs that line only: it is reported, never the list after it.
    """
    lines = _LINE_END.split(text)  # markdown-it's own line ends, so its line numbers index this list
    env: dict[str, object] = {}  # shared: link reference definitions stay known across the parts
    tokens: list[Token] = []
    deep: list[int] = []
    start = 0
    while True:
        part = md.parse("\n".join(lines[start:]), env)
        stop = _gave_up(part)
        for t in part:
            if t.map:
                t.map = [t.map[0] + start, t.map[1] + start]
        tokens.extend(part)
        if stop is None or len(deep) >= MAX_RECOVERIES:
            return tokens, deep
        stop += start
        deep.append(stop)
        cut = _indent(lines[stop])
        lines = lines[: stop + 1] + [
            line.expandtabs(4)[min(cut, _indent(line)):] for line in lines[stop + 1 :]
        ]
        start = stop + 1


def parse_list(source: str | Path, *, name: str = "") -> ParsedList:
    """Parse a paper list given as Markdown text or a path."""
    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8", errors="replace")
    else:
        text = source
    text = normalise_text(text)
    tokens, deep = tokenize(_md(), text)
    return with_unread_lines(_Walker(tokens).run(), text, tokens, deep)


def with_unread_lines(
    parsed: ParsedList, text: str, tokens: list[Token], deep: Sequence[int] = ()
) -> ParsedList:
    """``parsed`` plus a report for every bullet line the parser gave no item (see below).

    The bullet markdown-it opened at its nesting limit on each too-deep line (``deep``, 0-based) was
    never read: its report says so and shows the line, instead of calling it an empty bullet."""
    lines = text.split("\n")
    for n in deep:
        at = [r for r in parsed.reports if r.line == n + 1 and r.kind is LineKind.UNPARSED]
        if at:
            at[-1].text = shown_line(lines[n])
            at[-1].reason = f"not read: nests deeper than {MAX_NESTING} levels"
    seen = {item.line for item in parsed.items} | {
        report.line for report in parsed.reports if report.kind is not LineKind.WARNING
    }
    parsed.reports.extend(r for r in _unread_lines(text, tokens) if r.line not in seen)
    return parsed


def shown_line(line: str) -> str:
    """A line as reports show it: whitespace folded, at most 200 characters."""
    shown = " ".join(line[:10_000].split())
    return shown if len(shown) <= 200 else shown[:199] + "\u2026"


_BULLET_LINE = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")  # a tab is 4 columns: code
_RULE_LINE = re.compile(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # "- - -" is a thematic break


def _unread_lines(text: str, tokens: list[Token]) -> list[LineReport]:
    """Bullet lines the parser produced no list item for: it gave up there (markdown-it stops at
    its nesting limit and drops the rest of the document without a word)."""
    items = {t.map[0] for t in tokens if t.type == "list_item_open" and t.map}
    verbatim: set[int] = set()
    for t in tokens:
        if t.type in ("fence", "code_block", "html_block") and t.map:
            verbatim.update(range(t.map[0], t.map[1]))
    reports = []
    for n, line in enumerate(text.split("\n")):
        if n not in items and n not in verbatim and _BULLET_LINE.match(line) and not _RULE_LINE.match(line):
            reports.append(
                LineReport(n + 1, shown_line(line), LineKind.UNPARSED, "not read: the list nests too deep")
            )
    return reports


class _Walker:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.result = ParsedList()
        self.in_list_body = False  # after the list's own "# " title
        self.paper_section = False
        self.heading_stack: list[tuple[int, Section]] = []
        self.current: ListItem | None = None

    # -- headings ------------------------------------------------------------------------------
    def _heading(self, level: int, text: str) -> None:
        text = ftfy.fix_text(text).strip()
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
    def run(self) -> ParsedList:
        depth = 0
        i = 0
        toks = self.tokens
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
        return self.result

    def _flatten(self, inline: Token | None, line: int) -> _Bullet:
        links: list[tuple[str, str]] = []
        codes: list[str] = []
        parts: list[str] = []
        link_text: list[str] | None = None
        href = ""
        for child in (inline.children or []) if inline is not None else []:
            t = child.type
            if t == "link_open":
                link_text = []
                href = str(child.attrGet("href") or "")
                continue
            if t == "link_close":
                links.append((" ".join("".join(link_text or []).split()), href))
                parts.append(_LINK.format(len(links) - 1))
                link_text = None
                continue
            if t in {"text", "html_inline"}:
                piece = child.content
            elif t == "code_inline":
                if link_text is not None:
                    piece = child.content
                else:
                    codes.append(child.content)
                    parts.append(_CODE.format(len(codes) - 1))
                    continue
            elif t in {"softbreak", "hardbreak"}:
                piece = " "
            elif t in {"em_open", "em_close"}:
                piece = "*"
            elif t in {"strong_open", "strong_close"}:
                piece = "**"
            elif t == "image":
                piece = ""
            else:
                piece = child.content or ""
            if link_text is not None:
                if piece not in {"*", "**"}:
                    link_text.append(piece)
            else:
                parts.append(piece)
        source = inline.content if inline is not None else ""
        return _Bullet(line, 0, "".join(parts), source, links, codes)

    def _bullet(self, line: int, depth: int, inline: Token | None) -> None:
        bullet = self._flatten(inline, line)
        bullet.depth = depth
        raw = " ".join(bullet.source.split())
        if not (self.in_list_body and self.paper_section):
            self.result.reports.append(LineReport(line, raw, LineKind.SKIPPED, "outside the paper sections"))
            return
        if not raw:
            self.result.reports.append(LineReport(line, raw, LineKind.UNPARSED, "empty bullet"))
            return
        tags, rest = _leading_tags(bullet.text)
        survey = False
        if tags and is_survey_marker(tags[0]):
            survey = True
            tags = tags[1:]
        if tags and not _is_label_tag(tags[0]) and (depth == 0 or _looks_like_paper(rest)):
            # A tagged paper nested under another (a predecessor, a poster version) is still a
            # paper of its own: flattening the list must not change what it means.
            self._paper(bullet, tags, rest, survey)
            return
        self._continuation(bullet, depth)

    # -- papers -------------------------------------------------------------------------------
    def _paper(self, bullet: _Bullet, tags: list[str], rest: str, survey: bool) -> None:
        section = self.heading_stack[-1][1] if self.heading_stack else Section("", "")
        path = tuple(s for _, s in self.heading_stack)
        m = re.match(r"^\s*\x00L(\d+)\x00", rest)
        links: list[Link] = []
        if m:
            text, href = bullet.links[int(m[1])]
            title_raw = text
            links.append(Link(_label_for(href, "paper"), href, bullet.line))
            tail = rest[m.end() :]
            used = {int(m[1])}
        else:
            cut = _title_end(rest)
            title_raw = _unmark(rest[:cut], bullet).strip().rstrip(",;")
            tail = rest[cut:]
            used = set()
        aliases, annotations, extra_links = _trailing(tail, bullet, used)
        links.extend(extra_links)
        title_raw = title_raw.strip()
        title = _clean_title(title_raw)
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
            tag, tags = _cut_tag(tag), [_cut(t) for t in tags]
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
            tags_raw=tuple(tags),
            survey=survey,
            links=links,
            aliases=aliases,
            annotations=annotations,
        )
        if len(tags) > 1:
            item.annotations.extend(f"extra tag: {t}" for t in tags[1:])
        item.identifiers = _identifiers(item.links)
        self.result.items.append(item)
        # A nested paper becomes "the paper above" for what follows, exactly as in the
        # flattened reading, so both readings attach continuations alike.
        self.current = item

    # -- continuations and notes --------------------------------------------------------------
    def _continuation(self, bullet: _Bullet, depth: int) -> None:
        raw = " ".join(bullet.source.split())
        parent = self.current
        bare = _BARE_URL.match(bullet.text)
        if bare and not bullet.links:
            bullet.links.append(("", bare[1]))
            bullet.text = _LINK.format(0)
        text_only = _MARK.sub(" ", bullet.text)
        stripped = re.sub(r"[\[\]\s,;:()|/*]+", " ", text_only).strip()
        links = [
            Link(_label_for(href, _lead_label(bullet.text, n) or text), href, bullet.line)
            for n, (text, href) in enumerate(bullet.links)
        ]
        label_only = bool(bullet.links) and all(_is_label_text(t) for t, _ in bullet.links)
        if bullet.links and (label_only or _CONTINUATION_TEXT.match(text_only) or not stripped):
            kind, reason = LineKind.CONTINUATION, "links for the paper above"
        elif not bullet.links and _CONTINUATION_TEXT.match(text_only):
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
        parent.continuation_lines.append(bullet.line)
        if kind is LineKind.CONTINUATION and _OTHER_PAPER.search(text_only):
            # "Journal version of [IPDPS'23] [X](...)": the link names another paper. Keep it as
            # a related link; its identifiers must not merge the two papers.
            links = [Link("related", lk.url, lk.line) for lk in links]
        if kind is LineKind.CONTINUATION:
            parent.links.extend(links)
            for ident in _identifiers(links):
                if ident not in parent.identifiers:
                    parent.identifiers.append(ident)
            words = _unmark(bullet.text, bullet, keep_links=False).strip(" :,;")
            if words and not label_only:
                parent.annotations.append(ftfy.fix_text(" ".join(words.split())))
        else:
            parent.notes.append(ftfy.fix_text(" ".join(_unmark(bullet.text, bullet).split())))


# -- helpers -----------------------------------------------------------------------------------
def _cut(text: str, limit: int = MAX_TAG) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _cut_tag(tag: VenueTag) -> VenueTag:
    """A tag cut to :data:`MAX_TAG` in every text field; its year and flags stay as parsed."""
    return replace(tag, raw=_cut(tag.raw), venue=_cut(tag.venue), qualifier=_cut(tag.qualifier),
                   workshop=_cut(tag.workshop))


def _leading_tags(text: str) -> tuple[list[str], str]:
    tags: list[str] = []
    rest = text
    while True:
        m = _LEADING_TAG.match(rest)
        if not m:
            return tags, rest
        tags.append(m["tag"].strip())
        rest = rest[m.end() :]


def _lead_label(text: str, n: int) -> str:
    """The label written before link ``n`` (``slides: [link](...)`` -> ``slides``)."""
    before = text[: text.find(_LINK.format(n))]
    before = _MARK.split(before)[-1] if _MARK.search(before) else before
    m = re.search(r"([A-Za-z][A-Za-z ]*?)\s*(?:\(\d{4}\))?\s*:\s*$", before)
    return m.group(1).strip() if m else ""


def _is_label_tag(tag: str) -> bool:
    """``[arxiv version]`` at the start of a bullet labels a link, it is not a venue tag."""
    return tag.strip().lower() in {"arxiv version", "link", "slides", "code"}


def _looks_like_paper(rest: str) -> bool:
    """After its tags, a nested paper has a title link or a title of several words."""
    return bool(re.match(r"^\s*\x00L\d+\x00", rest)) or len(_MARK.sub(" ", rest).split()) >= 3


def _is_label_text(text: str) -> bool:
    return text.strip().lower() in _LINK_LABELS


def _label_for(href: str, text: str) -> str:
    lowered = text.strip().lower()
    if lowered in _LINK_LABELS and _LINK_LABELS[lowered] not in {"link", "paper"}:
        return _LINK_LABELS[lowered]
    ident = ids.from_url(href)
    if ident is not None:
        return {"arxiv": "arxiv", "openreview": "openreview", "doi": "doi"}.get(ident.kind, "paper")
    if "github.com" in href:
        return "code"
    if href.startswith("#"):
        return "anchor"
    return "paper" if lowered in {"", "link", "paper", "pdf"} or lowered not in _LINK_LABELS else lowered


def _title_end(rest: str) -> int:
    """Where a title-only item's title stops: at a trailing annotation, alias or link."""
    candidates = [len(rest)]
    for pattern in (r"\s\[", r"\s\(\s*\x00C", r",?\s*\(\s*\x00L", r"\x00L", r"\s\(\s*\["):
        m = re.search(pattern, rest)
        if m:
            candidates.append(m.start())
    return min(candidates)


def _trailing(tail: str, bullet: _Bullet, used: set[int]) -> tuple[list[str], list[str], list[Link]]:
    """Aliases in code spans, bracketed annotations and extra links after the title."""
    aliases = [bullet.codes[int(n)] for k, n in _MARK.findall(tail) if k == "C"]
    links: list[Link] = []
    for kind, n in _MARK.findall(tail):
        if kind == "L" and int(n) not in used:
            text, href = bullet.links[int(n)]
            if href.startswith("#"):
                continue  # an in-page anchor ("also in 2.1") is an annotation, not a link
            links.append(Link(_label_for(href, text), href, bullet.line))
    annotations: list[str] = []
    for m in re.finditer(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]", tail):
        inner = m.group(1)
        if re.fullmatch(r"\s*\x00L\d+\x00\s*", inner):
            continue  # [[code](...)]: a link, already taken
        words = " ".join(_unmark(inner, bullet).replace("*", "").split())
        if words:
            annotations.append(words)
    return aliases, annotations, links


def _unmark(text: str, bullet: _Bullet, *, keep_links: bool = True) -> str:
    def sub(m: re.Match[str]) -> str:
        if m[1] == "C":
            return bullet.codes[int(m[2])]
        return bullet.links[int(m[2])][0] if keep_links else ""

    return _MARK.sub(sub, text)


def _clean_title(raw: str) -> str:
    title = repair(raw)
    title = title.replace("**", "").strip().strip("*").strip()
    return " ".join(title.split())


def _identifiers(links: list[Link]) -> list[ids.Identifier]:
    found: list[ids.Identifier] = []
    for link in links:
        if link.label in {"code", "slides", "video", "anchor", "blog", "related"}:
            continue
        ident = ids.from_url(link.url)
        if ident is not None and ident not in found:
            found.append(ident)
    return found
