"""One bullet of a tagged list, read: its inline text flattened, and the readers of its parts.

:mod:`.markdown` walks the list and decides what each bullet is (a paper, a continuation, a note);
this module reads what a bullet says: its venue tags, its title (a link's text or the words before
the first annotation), aliases in code spans, bracketed annotations, its links and what each link
is (arXiv, code, slides, ...), and the identifiers they carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from markdown_it.token import Token

from .. import ids
from ..model import Link, VenueTag
from .textfix import repair

#: A venue tag longer than this is cut (and the cut reported): no venue is named in 100 characters
#: more, and a megabyte tag must not reach keys, exports or error lines.
MAX_TAG = 100

# Placeholders put in a bullet's flattened text where a link or a code span stood, so the
# bullet's structure can be read with small anchored patterns without losing either.
LINK = "\x00L{}\x00"
CODE = "\x00C{}\x00"
MARK = re.compile(r"\x00([LC])(\d+)\x00")
LEADING_TAG = re.compile(r"^\s*\[(?P<tag>[^\[\]\x00]+)\]\s*(?!\()")
# Free-text continuations: they describe the paper above instead of naming a new one.
CONTINUATION_TEXT = re.compile(
    r"^\s*(?:extended version|journal version|conference version|arxiv version|related to|"
    r"also (?:in|see)|see also|slides|video|talk|code|poster|project page|preprint)\b",
    re.IGNORECASE,
)
OTHER_PAPER = re.compile(r"\b(?:version of|related to)\b", re.IGNORECASE)
BARE_URL = re.compile(r"^\s*<?(https?://[^\s<>]+?)>?\s*$")
# Link texts that label a link rather than title a paper.
LINK_LABELS = {
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


@dataclass
class Bullet:
    """A bullet's inline text with placeholders (:data:`LINK`, :data:`CODE`) for its links and code spans."""

    line: int  # 1-based source line of the bullet
    depth: int
    text: str  # flattened inline text with placeholders
    source: str  # the bullet's raw Markdown
    links: list[tuple[str, str]]  # (text, href)
    codes: list[str]


def flatten(inline: Token | None, line: int) -> Bullet:
    """A bullet's inline tokens as one text with a placeholder for each link and code span."""
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
            parts.append(LINK.format(len(links) - 1))
            link_text = None
            continue
        if t in {"text", "html_inline"}:
            piece = child.content
        elif t == "code_inline":
            if link_text is not None:
                piece = child.content
            else:
                codes.append(child.content)
                parts.append(CODE.format(len(codes) - 1))
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
    return Bullet(line, 0, "".join(parts), source, links, codes)



# -- helpers -----------------------------------------------------------------------------------
def cut(text: str, limit: int = MAX_TAG) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def cut_tag(tag: VenueTag) -> VenueTag:
    """A tag cut to :data:`MAX_TAG` in every text field; its year and flags stay as parsed."""
    return replace(tag, raw=cut(tag.raw), venue=cut(tag.venue), qualifier=cut(tag.qualifier),
                   workshop=cut(tag.workshop))


def leading_tags(text: str) -> tuple[list[str], str]:
    tags: list[str] = []
    rest = text
    while True:
        m = LEADING_TAG.match(rest)
        if not m:
            return tags, rest
        tags.append(m["tag"].strip())
        rest = rest[m.end() :]


def lead_label(text: str, n: int) -> str:
    """The label written before link ``n`` (``slides: [link](...)`` -> ``slides``)."""
    before = text[: text.find(LINK.format(n))]
    before = MARK.split(before)[-1] if MARK.search(before) else before
    m = re.search(r"([A-Za-z][A-Za-z ]*?)\s*(?:\(\d{4}\))?\s*:\s*$", before)
    return m.group(1).strip() if m else ""


def is_label_tag(tag: str) -> bool:
    """``[arxiv version]`` at the start of a bullet labels a link, it is not a venue tag."""
    return tag.strip().lower() in {"arxiv version", "link", "slides", "code"}


def looks_like_paper(rest: str) -> bool:
    """After its tags, a nested paper has a title link or a title of several words."""
    return bool(re.match(r"^\s*\x00L\d+\x00", rest)) or len(MARK.sub(" ", rest).split()) >= 3


def is_label_text(text: str) -> bool:
    return text.strip().lower() in LINK_LABELS


def label_for(href: str, text: str) -> str:
    lowered = text.strip().lower()
    if lowered in LINK_LABELS and LINK_LABELS[lowered] not in {"link", "paper"}:
        return LINK_LABELS[lowered]
    ident = ids.from_url(href)
    if ident is not None:
        return {"arxiv": "arxiv", "openreview": "openreview", "doi": "doi"}.get(ident.kind, "paper")
    if "github.com" in href:
        return "code"
    if href.startswith("#"):
        return "anchor"
    return "paper" if lowered in {"", "link", "paper", "pdf"} or lowered not in LINK_LABELS else lowered


def title_end(rest: str) -> int:
    """Where a title-only item's title stops: at a trailing annotation, alias or link."""
    candidates = [len(rest)]
    for pattern in (r"\s\[", r"\s\(\s*\x00C", r",?\s*\(\s*\x00L", r"\x00L", r"\s\(\s*\["):
        m = re.search(pattern, rest)
        if m:
            candidates.append(m.start())
    return min(candidates)


def trailing(tail: str, bullet: Bullet, used: set[int]) -> tuple[list[str], list[str], list[Link]]:
    """Aliases in code spans, bracketed annotations and extra links after the title."""
    aliases = [bullet.codes[int(n)] for k, n in MARK.findall(tail) if k == "C"]
    links: list[Link] = []
    for kind, n in MARK.findall(tail):
        if kind == "L" and int(n) not in used:
            text, href = bullet.links[int(n)]
            if href.startswith("#"):
                continue  # an in-page anchor ("also in 2.1") is an annotation, not a link
            links.append(Link(label_for(href, text), href, bullet.line))
    annotations: list[str] = []
    for m in re.finditer(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]", tail):
        inner = m.group(1)
        if re.fullmatch(r"\s*\x00L\d+\x00\s*", inner):
            continue  # [[code](...)]: a link, already taken
        words = " ".join(unmark(inner, bullet).replace("*", "").split())
        if words:
            annotations.append(words)
    return aliases, annotations, links


def unmark(text: str, bullet: Bullet, *, keep_links: bool = True) -> str:
    def sub(m: re.Match[str]) -> str:
        if m[1] == "C":
            return bullet.codes[int(m[2])]
        return bullet.links[int(m[2])][0] if keep_links else ""

    return MARK.sub(sub, text)


def clean_title(raw: str) -> str:
    title = repair(raw)
    title = title.replace("**", "").strip().strip("*").strip()
    return " ".join(title.split())


def identifiers(links: Iterable[Link]) -> list[ids.Identifier]:
    found: list[ids.Identifier] = []
    for link in links:
        if link.label in {"code", "slides", "video", "anchor", "blog", "related"}:
            continue
        ident = ids.from_url(link.url)
        if ident is not None and ident not in found:
            found.append(ident)
    return found
