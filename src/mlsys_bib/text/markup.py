"""Markup in service metadata (HTML, JATS, MathML) -> plain text, optionally with style runs.

Crossref titles carry HTML (``<i>KRAS</i>``, ``<sup>1</sup>``, ``<scp>``), abstracts carry JATS
(``<jats:p>``), and formulas come as MathML (``<mml:math>``). Exporters need text they can
escape for their own format, plus enough structure to keep meaning where the format can
express it (italic gene names, superscripts). So this module returns plain text, and
``to_rich`` returns ``(style, text)`` runs.

Safety: the text is tokenised with the standard library's ``html.parser`` (a tokenizer, not an
XML parser: it never resolves or expands entities declared in a document and never fetches
anything). Character references are unescaped exactly once. Known markup (HTML, ``jats:``,
``mml:`` and other prefixed tags) never reaches the output; tags we do not recognise as markup
(``Vector<int>``-like text) are kept as literal text for the exporter to escape. Control
characters and bidirectional overrides are removed.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

#: Style names used in runs; a run's style is these joined with "+" in this order ("" = plain).
STYLE_ORDER = ("b", "i", "sc", "sup", "sub", "mono")

_STYLE_OF = {
    "i": "i", "em": "i", "cite": "i", "var": "i", "dfn": "i",
    "jats:italic": "i", "italic": "i",
    "b": "b", "strong": "b", "jats:bold": "b", "bold": "b",
    "sup": "sup", "jats:sup": "sup",
    "sub": "sub", "jats:sub": "sub",
    "scp": "sc", "jats:sc": "sc", "sc": "sc", "smallcaps": "sc",
    "tt": "mono", "code": "mono", "kbd": "mono", "samp": "mono",
    "jats:monospace": "mono", "monospace": "mono",
}  # fmt: skip

# Elements whose content is never text of the title: scripts, styles, MathML annotations
# (usually a LaTeX copy of the formula next to it), JATS labels and embedded objects.
_DROP = {
    "script", "style", "head", "title-group-meta", "iframe", "object", "embed", "svg", "template",
    "mml:annotation", "mml:annotation-xml", "annotation", "annotation-xml",
    "jats:label", "jats:xref", "jats:fn", "jats:object-id",
}  # fmt: skip

# Elements that separate words (blocks, breaks, table cells, list items, paragraphs).
_BLOCK = {
    "p", "div", "br", "hr", "li", "ul", "ol", "tr", "td", "th", "table", "section", "h1", "h2", "h3",
    "h4", "h5", "h6", "blockquote", "title", "jats:p", "jats:sec", "jats:title", "jats:list",
    "jats:list-item", "jats:break", "jats:disp-quote", "jats:table-wrap", "jats:fig", "jats:caption",
    "jats:def-list", "jats:abstract",
}  # fmt: skip

_HTML_TAGS = {
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
    "big", "blink", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code",
    "col", "colgroup", "data", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed",
    "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3",
    "h4", "h5", "h6", "head", "header", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd",
    "label", "legend", "li", "link", "main", "mark", "marquee", "math", "menu", "meta", "meter", "nav",
    "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture", "pre",
    "progress", "q", "rp", "rt", "ruby", "s", "samp", "scp", "script", "section", "select", "small",
    "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
    "ul", "var", "video", "wbr",
    # MathML without prefix
    "mi", "mn", "mo", "ms", "mtext", "mrow", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot",
    "mstyle", "mspace", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "semantics",
    "annotation", "annotation-xml", "mfenced", "mpadded", "mphantom", "menclose", "mmultiscripts",
    "mprescripts", "none",
}  # fmt: skip
_VOID = {"br", "hr", "img", "wbr", "input", "meta", "link", "area", "base", "col", "embed", "param",
         "source", "track", "mspace", "mprescripts", "none", "jats:break"}  # fmt: skip

# Removed outright: C0/C1 controls except whitespace (which collapses), bidi overrides and
# isolates (they can make a reference list display text other than what it contains), soft
# hyphens, BOMs and zero-width spaces.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_SPACE = re.compile(r"\s+")


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _is_markup(tag: str) -> bool:
    return ":" in tag or tag in _HTML_TAGS


class _Runs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[tuple[str, str]] = []
        # stack entries: [tag, style or "", dropping?, children seen]
        self.stack: list[list] = []
        self.drop = 0

    # -- helpers --------------------------------------------------------------------------------
    def _style(self) -> str:
        active = {entry[1] for entry in self.stack if entry[1]}
        return "+".join(s for s in STYLE_ORDER if s in active)

    def _emit(self, text: str, style: str | None = None) -> None:
        if self.drop or not text:
            return
        self.runs.append((self._style() if style is None else style, text))

    def _math_child(self) -> str:
        """Style implied by position inside msup/msub/msubsup; also emits mfrac's slash."""
        if not self.stack:
            return ""
        parent = self.stack[-1]
        parent[3] += 1
        kind, n = _local(parent[0]), parent[3]
        if kind == "msup" and n == 2 or kind == "msubsup" and n == 3:
            return "sup"
        if kind == "msub" and n == 2 or kind == "msubsup" and n == 2:
            return "sub"
        if kind == "mfrac" and n == 2:
            self._emit("/")
        if kind == "mroot" and n == 2:
            self._emit(" root ")
        return ""

    # -- parser callbacks -----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs) -> None:  # type: ignore[no-untyped-def]
        if not _is_markup(tag):
            self._emit(self.get_starttag_text() or f"<{tag}>")
            return
        position_style = self._math_child()
        local = _local(tag)
        if tag in _BLOCK or local in {"p", "sec", "title", "break"}:
            self._emit(" ")
        if tag in _VOID or local in {"mspace", "break"}:
            return
        drop = (
            tag in _DROP
            or local in {"annotation", "annotation-xml"}
            or (local == "tex-math" and any(_local(e[0]) == "alternatives" for e in self.stack))
        )
        if drop:
            self.drop += 1
        style = _STYLE_OF.get(tag, "")
        self.stack.append([tag, style or position_style, drop, 0])
        if local == "msqrt":
            self._emit("\u221a(")

    def handle_startendtag(self, tag: str, attrs) -> None:  # type: ignore[no-untyped-def]
        if not _is_markup(tag):
            self._emit(self.get_starttag_text() or f"<{tag}/>")
            return
        self._math_child()
        if tag in _BLOCK or _local(tag) in {"break", "mspace"} or tag == "br":
            self._emit(" ")

    def handle_endtag(self, tag: str) -> None:
        if not _is_markup(tag):
            self._emit(f"</{tag}>")
            return
        if tag in _VOID:
            if tag == "br":
                self._emit(" ")
            return
        if not any(entry[0] == tag for entry in self.stack):
            return  # stray closing tag: ignore
        while self.stack:
            entry = self.stack.pop()
            if entry[2]:
                self.drop -= 1
            if _local(entry[0]) == "msqrt":
                self._emit(")")
            if entry[0] == tag:
                break
        if tag in _BLOCK or _local(tag) in {"p", "sec", "title"}:
            self._emit(" ")

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        pass  # <!DOCTYPE ...> and <!ENTITY ...> declarations are dropped, never interpreted

    def unknown_decl(self, data: str) -> None:
        if data.upper().startswith("CDATA["):
            self._emit(data[6:])

    def handle_pi(self, data: str) -> None:
        pass


def clean_text(text: str) -> str:
    """NFC-normalise, drop invisible/control characters, collapse whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def to_rich(text: str | None) -> list[tuple[str, str]]:
    """Styled runs ``[(style, text), ...]`` with whitespace collapsed across runs.

    ``style`` is ``""`` for plain text, else names from :data:`STYLE_ORDER` joined by ``+``
    (``"i"``, ``"sup"``, ``"b+i"``). Adjacent runs of one style are merged.
    """
    if not text:
        return []
    parser = _Runs()
    parser.feed(str(text))
    parser.close()
    out: list[tuple[str, str]] = []
    for style, chunk in parser.runs:
        chunk = _SPACE.sub(" ", unicodedata.normalize("NFC", _INVISIBLE.sub("", chunk)))
        if chunk.startswith(" ") and (not out or out[-1][1].endswith(" ")):
            chunk = chunk[1:]
        if not chunk:
            continue
        if out and out[-1][0] == style:
            out[-1] = (style, out[-1][1] + chunk)
        else:
            out.append((style, chunk))
    if out:
        out[-1] = (out[-1][0], out[-1][1].rstrip())
    return [(style, chunk) for style, chunk in out if chunk]


def to_plain(text: str | None) -> str:
    """Plain text of a marked-up string: tags removed, entities unescaped once, spaces collapsed."""
    return "".join(chunk for _, chunk in to_rich(text)).strip()


def has_markup(text: str) -> bool:
    """Whether ``text`` contains anything :func:`to_plain` would change besides whitespace."""
    return to_plain(text) != clean_text(text)
