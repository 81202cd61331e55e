"""Paper lists in the other shapes the field uses: tables, untagged and citation-style bullets.

The seed's own shape (``[VENUE'YY] [Title](url)``) is read by :mod:`.markdown`; the lists it names as
its references are written differently (``shared/lists/other`` has two, SOURCES.md says where from):

* Markdown tables whose columns are found by header (``Venue``, ``Title``, ``Link``, ``Authors``, a
  nickname column taken as an alias) and, failing that, by content;
* untagged bullets ``Title [[paper]](url) [[code]](url)`` whose venue and year come from the text
  (``(SOSP2019)``, ``OSDI 2020``) or from the link (``usenix.org/conference/atc20/``);
* citation-style bullets ``Authors. "Title." Venue (Year).``, and nested author / venue lines under
  a paper (``- Gujarati, A., ..., 2020.`` / ``- OSDI 2020``);
* files without a top-level title, unnumbered headings and bold pseudo-headings.

Every bullet and table row is accounted for: a paper, a continuation or note of the paper above, a
non-paper line skipped with its reason (a GitHub project, a blog, a video, contents), or an
unparsed line reported with its number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ftfy
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .. import ids
from ..model import Link, ListItem, Section
from .blocks import MAX_NESTING, tokenize, with_unread_lines
from .citation import authors_from_text, looks_like_authors, quoted_title, venue_year_in_text
from .hosts import venue_from_url
from .result import LineKind, LineReport, ParsedList
from .tags import parse_tag
from .textfix import repair

__all__ = ["parse_generic"]

#: Section titles whose bullets are navigation or housekeeping, never papers.
_SKIP_SECTIONS = re.compile(
    r"^(?:table of )?contents?$|^contribut|^license|^acknowledg|^references?$|^citation|^star history"
    r"|^how to",
    re.I,
)
#: Link labels that name the paper itself.
_PAPER_LABELS = frozenset({
    "paper", "pdf", "arxiv", "link", "acm", "ieee", "openreview", "doi", "url", "html",
})  # fmt: skip
#: Hosts of links that are not papers, and the reason a bullet with only such links is skipped.
_NON_PAPER_HOSTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"github\.com|gitlab\.com|huggingface\.co|pypi\.org|readthedocs"), "software project"),
    (re.compile(r"medium\.com|blog|towardsdatascience|substack|zhihu"), "blog post"),
    (re.compile(r"youtube\.com|youtu\.be|vimeo|bilibili"), "video"),
    (re.compile(r"coursera|udacity|edx\.org|/course|cs\d{3}|stanford\.edu/class"), "course"),
    (re.compile(r"twitter\.com|x\.com|linkedin|slack|discord"), "social media"),
)
_PAPER_HOSTS = re.compile(
    r"arxiv\.org|doi\.org|dl\.acm\.org|ieeexplore|usenix\.org|openreview|proceedings\.|papers\.nips|neurips\.cc|"
    r"vldb\.org|springer|sciencedirect|aclanthology|mlsys\.org|semanticscholar|\.pdf(?:$|\?)|jmlr\.org|mlr\.press",
    re.I,
)
_HEADER_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("alias", re.compile(r"nick|abbr|short|alias|system|name of", re.I)),
    ("title", re.compile(r"title|paper|name|work", re.I)),
    ("venue", re.compile(r"venue|conf|publication|published|journal|where", re.I)),
    ("year", re.compile(r"year|date", re.I)),
    ("authors", re.compile(r"author", re.I)),
    ("links", re.compile(r"link|url|pdf|code|source|resource|material", re.I)),
    ("ignore", re.compile(r"affil|institut|org|team|star|citation|note|comment|tag|keyword", re.I)),
)


@dataclass
class _Inline:
    text: str  # text with link texts kept
    plain: str  # text without links
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)


def _inline(token: Token | None) -> _Inline:
    parts: list[str] = []
    plain: list[str] = []
    links: list[tuple[str, str]] = []
    in_link: list[str] | None = None
    href = ""
    for child in (token.children or []) if token is not None else []:
        if child.type == "link_open":
            in_link, href = [], str(child.attrGet("href") or "")
        elif child.type == "link_close":
            text = " ".join("".join(in_link or []).split())
            links.append((text, href))
            parts.append(text)
            in_link = None
        elif child.type in ("text", "code_inline", "html_inline"):
            (in_link if in_link is not None else plain).append(child.content)
            if in_link is None:
                parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            (in_link if in_link is not None else plain).append(" ")
            if in_link is None:
                parts.append(" ")
    return _Inline(" ".join("".join(parts).split()), " ".join("".join(plain).split()), links)


def _link_kind(text: str, href: str) -> str:
    """``paper`` for a link to the paper, a non-paper reason, or ``other``."""
    label = text.strip().strip("[]").lower()
    if href.startswith("#"):
        return "contents"
    if ids.from_url(href) is not None or label in _PAPER_LABELS or _PAPER_HOSTS.search(href):
        for pattern, reason in _NON_PAPER_HOSTS:
            if pattern.search(href) and label not in _PAPER_LABELS:
                return reason
        return "paper"
    for pattern, reason in _NON_PAPER_HOSTS:
        if pattern.search(href):
            return reason
    return "other"


def _label(text: str, href: str) -> str:
    label = text.strip().strip("[]").lower()
    ident = ids.from_url(href)
    if ident is not None and ident.kind in ("arxiv", "openreview", "doi"):
        return ident.kind
    if "github.com" in href:
        return "code"
    return label if label in ("code", "slides", "video", "blog", "project", "poster") else "paper"


def _clean(text: str) -> str:
    text = repair(text).replace("**", "").replace("__", "").replace("{", "").replace("}", "")
    return " ".join(text.strip(" \t*_-–—:;,").split())


class _Walker:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.result = ParsedList()
        self.stack: list[tuple[int, Section]] = []
        self.skipping = False
        self.current: ListItem | None = None
        self.current_depth = 0

    # -- sections -------------------------------------------------------------------------------
    def _section(self, level: int, text: str) -> None:
        text = _clean(ftfy.fix_text(text))
        if level == 1 and not self.result.title and not self.result.sections:
            self.result.title = text
            return
        m = re.match(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<title>.+)$", text)
        section = Section(m["num"], m["title"]) if m else Section("", text)
        self.stack = [(lv, s) for lv, s in self.stack if lv < level] + [(level, section)]
        self.skipping = bool(_SKIP_SECTIONS.search(section.title))
        self.current = None
        if not self.skipping:
            self.result.sections.append(section)

    @property
    def section(self) -> Section:
        return self.stack[-1][1] if self.stack else Section("", self.result.title or "")

    # -- walk -----------------------------------------------------------------------------------
    def run(self) -> ParsedList:
        toks, i, depth = self.tokens, 0, 0
        while i < len(toks):
            tok = toks[i]
            if tok.type == "heading_open":
                self._section(int(tok.tag[1]), toks[i + 1].content)
                i += 3
                continue
            if tok.type == "paragraph_open" and depth == 0:
                inline = toks[i + 1]
                kids = [c for c in inline.children or []
                        if c.type != "softbreak" and (c.type != "text" or c.content)]
                if len(kids) >= 3 and kids[0].type == "strong_open" and kids[-1].type == "strong_close" \
                        and all(c.type in ("text", "strong_open", "strong_close") for c in kids):
                    self._section(7, inline.content.strip("*_ "))  # a bold line used as a heading
            elif tok.type == "table_open":
                i = self._table(i)
                continue
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                depth += 1
            elif tok.type in ("bullet_list_close", "ordered_list_close"):
                depth -= 1
            elif tok.type == "list_item_open":
                j = i + 1
                inline = None
                while j < len(toks) and toks[j].type not in ("list_item_close", "bullet_list_open",
                                                             "ordered_list_open", "list_item_open"):
                    if toks[j].type == "inline":
                        inline = toks[j]
                        break
                    j += 1
                self._bullet((tok.map or [0])[0] + 1, depth - 1, inline)
            i += 1
        return self.result

    def _report(self, line: int, raw: str, kind: LineKind, reason: str, attached: int | None = None) -> None:
        self.result.reports.append(LineReport(line, " ".join(raw.split()), kind, reason, attached))

    # -- bullets --------------------------------------------------------------------------------
    def _bullet(self, line: int, depth: int, token: Token | None) -> None:
        raw = token.content if token is not None else ""
        if self.skipping:
            self._report(line, raw, LineKind.SKIPPED, f"in section '{self.section.title}'")
            return
        il = _inline(token)
        if not il.text:
            self._report(line, raw, LineKind.SKIPPED, "empty bullet")
            return
        kinds = [_link_kind(t, h) for t, h in il.links]
        paper_links = [lk for lk, k in zip(il.links, kinds, strict=True) if k == "paper"]
        nested = depth > 0 and self.current is not None and depth > self.current_depth
        parent = self.current if nested else None
        if parent is not None and not paper_links:
            self._continuation(line, raw, il, parent)
            return
        if il.links and all(k == "contents" for k in kinds):
            self._report(line, raw, LineKind.SKIPPED, "contents")
            return
        if not paper_links:
            quoted = quoted_title(il.plain)
            if quoted is not None and venue_year_in_text(quoted[2])[0]:
                self._paper(line, depth, quoted[1], [], il, authors_text=quoted[0], venue_text=quoted[2])
                return
            reasons = sorted({k for k in kinds if k not in ("paper", "other", "contents")})
            if reasons:
                self._report(line, raw, LineKind.SKIPPED, " / ".join(reasons))
            elif parent is None and self.current is not None and depth > 0:
                self._continuation(line, raw, il, self.current)
            elif len(il.plain.split()) >= 4 and not il.links:
                self._report(line, raw, LineKind.UNPARSED, "text without a paper link or a venue")
            else:
                self._report(line, raw, LineKind.SKIPPED, "not a paper (no paper link)")
            return
        # a paper: citation style, a titled link, or a title followed by link labels
        quoted = quoted_title(il.plain)
        first_text, first_href = paper_links[0]
        if quoted is not None:
            title, authors_text, venue_text = quoted[1], quoted[0], quoted[2]
        elif (first_text and first_text.strip("[]").lower() not in _PAPER_LABELS
              and len(first_text.split()) >= 2 and il.text.startswith(first_text)):
            title, authors_text, venue_text = first_text, "", il.plain
        else:
            cut = il.text.find(il.links[0][0]) if il.links[0][0] else -1
            head = il.text[:cut] if cut > 0 else il.plain
            title, authors_text, venue_text = head, "", il.text[len(head):]
        self._paper(line, depth, title, il.links, il, authors_text=authors_text, venue_text=venue_text)

    def _paper(self, line: int, depth: int, title_raw: str, links: list[tuple[str, str]], il: _Inline,
               *, authors_text: str = "", venue_text: str = "") -> None:
        # "(SOSP2019)" / "(*OSDI 2018*)" at the end of a title is the venue, not the title
        title_raw = title_raw.strip()
        m = re.search(r"\(\s*\*?([^()]*?(?:19|20)\d\d)\*?\s*\)\s*\.?\s*$", title_raw)
        if m and venue_year_in_text(m[1])[0]:
            venue_text = m[1] + " " + venue_text
            title_raw = title_raw[: m.start()]
        title_raw = title_raw.strip().rstrip(".")
        title = _clean(title_raw)
        if len(title.split()) < 2 and ":" not in title:
            self._report(line, il.text, LineKind.UNPARSED, "no readable title")
            return
        item_links = [Link(_label(t, h), h, line) for t, h in links if not h.startswith("#")]
        venue, year = venue_year_in_text(venue_text) if venue_text else ("", None)
        if not venue:
            for lk in item_links:
                found = venue_from_url(lk.url)
                if found:
                    venue, year = found
                    break
        tag = parse_tag(f"{venue} {year}" if year else venue) if venue else None
        item = ListItem(line=line, section=self.section, section_path=tuple(s for _, s in self.stack),
                        title=title, title_raw=title_raw, tag=tag, tags_raw=(tag.raw,) if tag else (),
                        links=tuple(item_links))
        skip = ("code", "slides", "video", "blog")
        found = (ids.from_url(lk.url) for lk in item_links if lk.label not in skip)
        item.identifiers = tuple(dict.fromkeys(i for i in found if i is not None))
        if authors_text:
            item.authors = tuple(authors_from_text(authors_text.strip().rstrip(".")))
        self.result.items.append(item)
        self.current, self.current_depth = item, depth

    def _continuation(self, line: int, raw: str, il: _Inline, parent: ListItem) -> None:
        """A nested line under a paper: its authors, its venue (``OSDI 2020``, ``(*NSDI 2017*)``, ``In
        Proceedings of ...``), both (``Chen, Tianqi, et al. (*OSDI 2018*)``), or a note."""
        text = il.text
        taken = []
        venue, year = venue_year_in_text(text)
        if not venue and re.search(r"arxiv\s+preprint", text, re.I):
            years = re.findall(r"(?:19|20)\d\d", text)
            venue, year = "arXiv", int(years[-1]) if years else None
        # the list's own venue line beats a venue guessed from an arXiv link
        if venue and (parent.tag is None or (parent.tag.is_preprint and venue != "arXiv")):
            parent.tag = parse_tag(f"{venue} {year}" if year else venue)
            parent.tags_raw = (parent.tag.raw,)
            taken.append("venue")
        head = re.split(r"\(|\bIn\s+(?:Proceedings|\d{4})|\bProceedings\b", text)[0]
        if not parent.authors and looks_like_authors(head):
            parent.authors = tuple(authors_from_text(head))
            taken.append("authors")
        for t, h in il.links:
            if _link_kind(t, h) == "paper" or "github.com" in h:
                parent.links += (Link(_label(t, h), h, line),)
        if taken:
            reason = " and ".join(taken) + " of the paper above"
            self._report(line, raw, LineKind.CONTINUATION, reason, parent.line)
        else:
            parent.notes += (ftfy.fix_text(text),)
            self._report(line, raw, LineKind.NOTE, "free text under a paper", parent.line)

    # -- tables ---------------------------------------------------------------------------------
    def _table(self, i: int) -> int:
        toks = self.tokens
        rows: list[tuple[int, list[Token]]] = []
        header: list[str] = []
        j = i + 1
        in_head = False
        cells: list[Token] = []
        row_line = 0
        while toks[j].type != "table_close":
            t = toks[j]
            if t.type == "thead_open":
                in_head = True
            elif t.type == "thead_close":
                in_head = False
            elif t.type == "tr_open":
                cells, row_line = [], (t.map or [0])[0] + 1
            elif t.type == "inline":
                cells.append(t)
            elif t.type == "tr_close":
                if in_head:
                    header = [_clean(c.content.replace("&nbsp;", " ")) for c in cells]
                else:
                    rows.append((row_line, cells))
            j += 1
        roles = self._roles(header, rows)
        for line, cells in rows:
            self._row(line, cells, roles)
        return j + 1

    @staticmethod
    def _roles(header: list[str], rows: list[tuple[int, list[Token]]]) -> list[str]:
        roles: list[str] = []
        for text in header:
            role = next((r for r, pattern in _HEADER_ROLES if pattern.search(text)), "")
            roles.append(role if role not in roles or role in ("links", "ignore") else "ignore")
        if "title" not in roles:
            # by content: the column with the most words is the title
            widths = [sum(len(_inline(cells[k]).text.split()) for _, cells in rows if k < len(cells))
                      for k in range(len(roles))]
            if widths:
                roles[widths.index(max(widths))] = "title"
        return roles

    def _row(self, line: int, cells: list[Token], roles: list[str]) -> None:
        if self.skipping:
            self._report(line, " | ".join(c.content for c in cells), LineKind.SKIPPED,
                         f"in section '{self.section.title}'")
            return
        parts = {role: _inline(cell) for role, cell in zip(roles, cells, strict=False) if role}
        links = [lk for role, cell in zip(roles, cells, strict=False) if role != "ignore"
                 for lk in _inline(cell).links]
        raw = " | ".join(c.content for c in cells)
        title_cell = parts.get("title")
        if title_cell is None or len(title_cell.text.split()) < 2:
            self._report(line, raw, LineKind.UNPARSED, "table row without a title")
            return
        venue_text = " ".join(p.text for r, p in parts.items() if r in ("venue", "year"))
        before = len(self.result.items)
        self._paper(line, 0, title_cell.text, links, title_cell, venue_text="")
        if len(self.result.items) == before:
            return
        item = self.result.items[-1]
        if venue_text:
            tag = parse_tag(venue_text)
            if tag.venue:
                item.tag, item.tags_raw = tag, (tag.raw,)
        if "alias" in parts and parts["alias"].text:
            item.aliases += (parts["alias"].text,)
        if "authors" in parts:
            item.authors = tuple(authors_from_text(parts["authors"].text) or [
                a.strip() for a in re.split(r",|\band\b", parts["authors"].text) if a.strip()])
        self.current = None  # a table row never owns the bullets after the table


def parse_generic(text: str) -> ParsedList:
    md = MarkdownIt("commonmark").enable("table")
    md.options["maxNesting"] = MAX_NESTING  # the same limit as the seed's parser: nothing dropped at 20
    tokens, deep = tokenize(md, text)
    return with_unread_lines(_Walker(tokens).run(), text, tokens, deep)
