"""Text for bibliography files: cleaning and LaTeX escaping.

Every value an exporter writes comes from the list or from remote services, so it is untrusted:
it may hold LaTeX commands (``\\input{/etc/passwd}``), unbalanced braces, markup, control
characters or a megabyte of junk. This module turns such text into something each client reads
as *text*, never as commands:

* :func:`clean_text` drops control and bidi-override characters, folds whitespace and caps the
  length (pandoc's BibLaTeX and CSL-JSON readers are quadratic: a 30 kB title takes a second, a
  1 MB title a quarter of an hour).
* :func:`escape_latex` escapes the LaTeX specials. Braces need care: BibTeX and biber count every
  ``{``/``}`` -- even ``\\{`` -- when they delimit a field, so a lone ``\\{`` unbalances the file.
  Paired braces become ``\\{...\\}`` (balanced for BibTeX, read as ``{``/``}`` by LaTeX, biber and
  pandoc); unpaired ones become ``\\textbraceleft{}``/``\\textbraceright{}`` (balanced; LaTeX and
  biber print the brace, pandoc 2.17 drops it -- the least bad choice for text that is broken
  anyway).
* :func:`latex_title` braces the words :mod:`..text.case` says keep their case (``{GPU}``);
  CSL-JSON spells the same decision as ``<span class="nocase">GPU</span>``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ..text.case import WORD, needs_protection, split_protected

# Longest value written for any field. The longest real paper titles are ~300 characters;
# pandoc needs ~0.05 s at 2000 characters and ~1 s at 30 000 (it is quadratic), bibtex truncates
# beyond its 200 000-character global string size.
MAX_FIELD_CHARS = 2000
ELLIPSIS = "\u2026"

# Characters that are never meaningful in bibliographic text: C0/C1 controls and DEL (tab and
# newlines are folded to spaces first), bidi overrides/isolates that can make text display in a
# different order than it reads ("Trojan source"), zero-width space, BOM, soft hyphen, lone
# surrogates (UTF-8 cannot encode them: the export would crash) and the non-characters U+FFFE/F.
_DROP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
_SPACE = re.compile(r"\s+")


def clean_text(text: object, limit: int = MAX_FIELD_CHARS) -> str:
    """``text`` as one clean line: NFC, no control characters, single spaces, at most ``limit`` chars.

    Applied to every value before any format-specific escaping, so that all exports (BibTeX,
    CSL-JSON, reference lists) say the same thing about a record.
    """
    if text is None:
        return ""
    if isinstance(text, str) and len(text) <= 4096:
        return _clean_short(text, limit)  # every value is cleaned by every format: ask once
    return _clean(str(text), limit)


@functools.lru_cache(maxsize=32768)
def _clean_short(text: str, limit: int) -> str:
    return _clean(text, limit)


def _clean(text: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", text)
    value = value.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    value = _DROP.sub("", value)
    value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        cut = value[: limit - 1]
        space = cut.rfind(" ")
        if space > limit // 2:  # end at a word boundary when one is near
            cut = cut[:space]
        value = cut.rstrip() + ELLIPSIS
    return value


def was_truncated(text: object, limit: int = MAX_FIELD_CHARS) -> bool:
    """Whether :func:`clean_text` shortens ``text`` (exporters log it: data is being dropped)."""
    return text is not None and len(str(text)) > limit and clean_text(text, limit).endswith(ELLIPSIS)


# -- LaTeX escaping ------------------------------------------------------------------------------

# Text-mode replacements. `<` and `>` are not special to LaTeX's parser but print as other glyphs
# in the default OT1 font encoding; pandoc and biber read \textless/\textgreater fine. `|` stays
# raw: pandoc 2.17 drops \textbar, and `|` is only wrong in OT1 (an em dash), right in T1.
_LATEX_SPECIALS: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_PAIRED_BRACE = {"{": r"\{", "}": r"\}"}
_LONE_BRACE = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_NEEDS_ESCAPE = re.compile(r"[\\&%$#_~^<>{}]|[^\x00-\x7f]+")


@functools.lru_cache(maxsize=1)
def _ascii_encoder():  # type: ignore[no-untyped-def]
    """pylatexenc's encoder for ``--ascii``: ``é`` -> ``{\\'e}`` (braced, as BibTeX needs accents).

    Letters with stacked accents are spelled by :func:`_stacked_accents`; characters LaTeX has no
    text-mode name for (CJK, emoji) are kept as UTF-8: no ASCII spelling would print them, and
    dropping them would lose the name.
    """
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",
        unknown_char_policy=_stacked_accents,
        unknown_char_warning=False,
    )


# Combining marks with a LaTeX text-mode accent command, for letters pylatexenc has no single
# command for (Vietnamese "ễ" = e + circumflex + tilde -> {\~{\^e}}).
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
    "\u0331": "b",
}


def _stacked_accents(char: str) -> str:
    """LaTeX for a letter with several accents; the character itself when LaTeX has no spelling."""
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[:1], decomposed[1:]
    if not (base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks)):
        return char  # CJK, emoji, ...: kept as UTF-8 (no ASCII spelling would print it)
    latex = base
    for mark in marks:
        cmd = _ACCENTS[mark]
        latex = f"\\{cmd}{{{latex}}}" if cmd.isalpha() or len(latex) > 1 else f"\\{cmd}{latex}"
    return "{" + latex + "}"


#: A brace: the loops below visit only these, not every character (most values have none).
_BRACE = re.compile(r"[{}]")


def _brace_pairs(text: str) -> set[int]:
    """Positions of the ``{`` and ``}`` in ``text`` that close each other (a stack match)."""
    stack: list[int] = []
    paired: set[int] = set()
    for match in _BRACE.finditer(text):
        i = match.start()
        if match.group() == "{":
            stack.append(i)
        elif stack:
            paired.add(stack.pop())
            paired.add(i)
    return paired


def _escape_piece(piece: str, start: int, paired: set[int], ascii: bool) -> str:
    """Escape ``piece``, which starts at ``start`` of the text ``paired`` was computed on."""

    def repl(match: re.Match[str]) -> str:
        s = match.group(0)
        if s in _PAIRED_BRACE:
            return (_PAIRED_BRACE if start + match.start() in paired else _LONE_BRACE)[s]
        if s in _LATEX_SPECIALS:
            return _LATEX_SPECIALS[s]
        if ascii:
            return _ascii_encoder().unicode_to_latex(s)
        return "".join(c if _pdflatex_types(c) else _pdflatex_spelling(c) for c in s)

    return _NEEDS_ESCAPE.sub(repl, piece)


# What pdflatex's default UTF-8 input (inputenc with the T1/TS1 encodings every LaTeX loads) can
# typeset: Latin-1, Latin Extended-A and the usual punctuation. Anything else (Greek letters in
# "μ-Serve" or "λGrapher", arrows, math) stops pdflatex with "Unicode character ... not set up for
# use with LaTeX" -- with -halt-on-error, no PDF at all -- so the UTF-8 .bib files spell those few
# characters as LaTeX (``{\ensuremath{\lambda}}``) while CSL-JSON keeps them as UTF-8. Characters
# LaTeX has no spelling for (CJK, emoji) stay UTF-8: no spelling would print them either.
_PDFLATEX_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A
    (0x2013, 0x2014),  # en and em dash
    (0x2018, 0x201E),  # quotation marks
    (0x2020, 0x2022),  # daggers, bullet
    (0x2026, 0x2026),  # ellipsis
    (0x2030, 0x2030),  # per mille
    (0x2039, 0x203A),  # single guillemets
    (0x20AC, 0x20AC),  # euro
    (0x2122, 0x2122),  # trade mark
)


@functools.lru_cache(maxsize=4096)
def _pdflatex_spelling(char: str) -> str:
    """LaTeX for ``char`` when reading it back gives the same character (Greek, arrows, ≤), else the
    character itself: a styled letter such as 𝐀 would come back as a plain A, which is data loss."""
    from pylatexenc.latex2text import LatexNodes2Text

    latex = _ascii_encoder().unicode_to_latex(char)
    return latex if LatexNodes2Text().latex_to_text(latex) == char else char


def _pdflatex_types(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _PDFLATEX_RANGES)


def escape_latex(text: str, *, ascii: bool = False) -> str:
    """LaTeX for the plain text ``text``: every special escaped, braces balanced, no command left.

    ``text`` should already be cleaned (:func:`clean_text`). With ``ascii`` non-ASCII letters
    become LaTeX accent commands; otherwise they stay UTF-8 (biber, pandoc and bibtex 0.99d with
    ``inputenc``/a Unicode engine read them), except the few pdflatex cannot typeset by default
    (Greek, math), which are spelled as LaTeX in both modes.
    """
    return _escape_piece(text, 0, _brace_pairs(text), ascii)


def latex_title(text: str, *, ascii: bool = False) -> str:
    """A title's BibTeX value (without the field's own braces): escaped, words brace-protected.

    ``FlashAttention-2: Faster Attention on GPU`` -> ``{FlashAttention}-2: Faster Attention on {GPU}``.
    Protected words hold only letters and digits, so the braces added here never interleave with
    the escaped ``\\{``/``\\}`` pairs of the data.
    """
    paired = _brace_pairs(text)
    out: list[str] = []
    for piece, protect, offset in split_protected(text):
        escaped = _escape_piece(piece, offset, paired, ascii)
        out.append("{" + escaped + "}" if protect else escaped)
    return "".join(out)


def latex_container(text: str, *, ascii: bool = False) -> str:
    """A journal or proceedings title's value: escaped and protected as a whole.

    A venue name is a proper noun from end to end ("Symposium on Operating Systems Design and
    Implementation"), and pandoc sentence-cases ``booktitle`` ("16th USENIX symposium on operating
    systems ..."), so the whole name is braced, which covers ``{USENIX}``, ``{ACM}`` and the rest.
    """
    escaped = escape_latex(text, ascii=ascii)
    return "{" + escaped + "}" if escaped else ""


def latex_protected_text(text: str, *, ascii: bool = False) -> str:
    """Escaped text with the :func:`needs_protection` words braced (publishers, institutions)."""
    paired = _brace_pairs(text)
    out: list[str] = []
    pos = 0
    for match in WORD.finditer(text):
        if needs_protection(match.group(0)):
            out.append(_escape_piece(text[pos : match.start()], pos, paired, ascii))
            out.append("{" + _escape_piece(match.group(0), match.start(), paired, ascii) + "}")
            pos = match.end()
    out.append(_escape_piece(text[pos:], pos, paired, ascii))
    return "".join(out)


# -- verbatim fields ---------------------------------------------------------------------------------

# url, doi and eprint are verbatim fields for biblatex/biber and are typeset with \url/\doi:
# LaTeX escapes would become part of the link. What could break the file or a client (braces,
# backslashes, whitespace, quotes) is percent-encoded instead -- an equivalent URL or DOI.
_VERBATIM_UNSAFE = re.compile(r'[\s{}\\"<>^`|]')


def latex_verbatim(text: str) -> str:
    """A url/doi/eprint value: raw, except characters that could unbalance or inject, %-encoded."""
    value = clean_text(text)
    return _VERBATIM_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), value)


def braces_balanced(value: str) -> bool:
    """BibTeX's own view: every ``{`` closed, depth never negative (backslashes do not escape)."""
    depth = 0
    for ch in _BRACE.findall(value):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
