"""LaTeX escaping, brace balance (export/latex.py) and case protection as BibTeX spells it (text/case.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from mlsys_bib.export.latex import (
    ELLIPSIS,
    MAX_FIELD_CHARS,
    braces_balanced,
    clean_text,
    escape_latex,
    latex_container,
    latex_protected_text,
    latex_title,
    latex_verbatim,
    was_truncated,
)
from mlsys_bib.text.case import needs_protection, protected_spans, protected_words

_L2T = LatexNodes2Text(math_mode="verbatim")


def decode(latex: str) -> str:
    return _L2T.latex_to_text(latex).replace("\u02c6", "^")


# -- clean_text ------------------------------------------------------------------------------------


def test_clean_text_drops_controls_and_folds_whitespace():
    assert clean_text("a\x00b\x07c\x1b[31m d\te\nf\r\n  g\x7f\x85h") == "abc[31m d e f gh"


def test_clean_text_drops_bidi_overrides_zero_width_and_lone_surrogates():
    assert clean_text("safe\u202etxt.exe\u2066x\u2069\u200b\ufeff\ud800!") == "safetxt.exex!"


def test_clean_text_normalises_to_nfc():
    assert clean_text("Mu\u0308ller") == "Müller"


def test_clean_text_caps_length_at_a_word_boundary():
    text = "word " * 100_000
    out = clean_text(text)
    assert len(out) <= MAX_FIELD_CHARS
    assert out.endswith(ELLIPSIS) and not out.endswith(" " + ELLIPSIS)
    assert was_truncated(text) and not was_truncated("short")
    assert clean_text(None) == "" and clean_text(2024) == "2024"


# -- escape_latex ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("50% & $5 #1 a_b", r"50\% \& \$5 \#1 a\_b"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("a\\b", r"a\textbackslash{}b"),
        ("<i>", r"\textless{}i\textgreater{}"),
        ("a|b", "a|b"),  # pandoc drops \textbar
        ("{Set}", r"\{Set\}"),
        ("{", r"\textbraceleft{}"),
        ("}x{", r"\textbraceright{}x\textbraceleft{}"),
        ("a{b}c}", r"a\{b\}c\textbraceright{}"),
    ],
)
def test_escape_latex_specials(text, latex):
    assert escape_latex(text) == latex


def test_injection_never_survives_as_a_command():
    for text in (
        r"\input{/etc/passwd}",
        r"\write18{rm -rf /}",
        r"\def\x{y}\x",
        r"\\input",
        r"\csname input\endcsname",
    ):
        out = escape_latex(text)
        assert braces_balanced(out)
        # every backslash starts one of our escapes, never a command from the data
        assert not re.search(r"\\(?!textbackslash\{\}|textbrace(left|right)\{\}|[{}])", out), out
        assert decode(out) == text


def test_unicode_kept_by_default_and_accented_with_ascii():
    assert escape_latex("Müller Ødegaard") == "Müller Ødegaard"
    ascii_out = escape_latex("Müller Ødegaard Åsa Núñez Łukasz", ascii=True)
    assert ascii_out.isascii()
    assert r"M{\"u}ller" in ascii_out and r"{\O}degaard" in ascii_out
    assert decode(ascii_out) == "Müller Ødegaard Åsa Núñez Łukasz"


def test_ascii_stacks_accents_pylatexenc_does_not_know():
    out = escape_latex("Nguyễn", ascii=True)
    assert out == r"Nguy{\~{\^e}}n"
    assert braces_balanced(out)


def test_ascii_keeps_characters_latex_cannot_spell():
    # CJK has no ASCII spelling; dropping it would lose the name, so it stays UTF-8.
    assert escape_latex("李明", ascii=True) == "李明"


_INVERSE = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    r"\textless{}": "<",
    r"\textgreater{}": ">",
}
_ESCAPE = re.compile(r"\\text[a-z]+\{\}|\\[&%$#_{}]|[{}]")


# a pdflatex spelling is a brace group opening with a command ({\\ensuremath{\\lambda}}, {\\'{\\~U}}); a data
# brace is escaped as \\{, so a group whose "{" follows a backslash is data, not a spelling
_SPELLED = re.compile(r"(?<!\\)\{\\(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}")


def unescape(latex: str) -> str:
    """The exact inverse of escape_latex/latex_title in UTF-8 mode (protective braces dropped);
    the few characters pdflatex cannot typeset come back through pylatexenc's reader."""
    from pylatexenc.latex2text import LatexNodes2Text

    latex = _SPELLED.sub(lambda m: LatexNodes2Text().latex_to_text(m.group(0)), latex)

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        if s in ("{", "}"):
            return ""
        return _INVERSE.get(s, s[1:])

    return _ESCAPE.sub(repl, latex)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_text_gives_balanced_braces_and_round_trips(text):
    clean = clean_text(text)
    for ascii in (False, True):
        for out in (escape_latex(clean, ascii=ascii), latex_title(clean, ascii=ascii)):
            assert braces_balanced(out)
    assert unescape(escape_latex(clean)) == clean
    assert unescape(latex_title(clean)) == clean


# -- protection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["vLLM", "GPU", "PyTorch", "FlashAttention", "FP8", "H100", "T5", "3D", "eBPF", "ZeRO", "Python"]
)
def test_needs_protection(word):
    assert needs_protection(word)


@pytest.mark.parametrize("word", ["Training", "the", "A", "x86", "Large", "Model", "Ray", "Meta"])
def test_ordinary_words_are_not_protected(word):
    assert not needs_protection(word)


def test_protected_words_list_loads_and_is_case_sensitive():
    words = protected_words()
    assert "Bayesian" in words and "bayesian" not in words
    assert not any(w.startswith("#") for w in words)


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        ("vLLM Serving on GPU with PyTorch", "{vLLM} Serving on {GPU} with {PyTorch}"),
        (
            "FlashAttention-2: Faster Attention with Better Parallelism",
            "{FlashAttention}-2: Faster Attention with Better Parallelism",
        ),
        ("Orca: A Distributed Serving System", "{Orca}: A Distributed Serving System"),
        ("Training FP8 Models on H100s", "Training {FP8} Models on {H100s}"),
        ("Fast I/O for Q&A", r"Fast {I}/{O} for {Q}\&{A}"),
        ("I/O-Bound Jobs", "{I}/{O}-Bound Jobs"),
        ("Transformer-Based Models", "{Transformer}-Based Models"),
        ("50% of GPU {Set}", r"50\% of {GPU} \{Set\}"),
        ("Plain Title Case Words Only", "Plain Title Case Words Only"),
    ],
)
def test_latex_title_protects_only_what_needs_it(title, latex):
    assert latex_title(title) == latex


def test_title_is_never_protected_as_a_whole():
    out = latex_title("GPU CPU TPU")
    assert out == "{GPU} {CPU} {TPU}"
    assert not (out.startswith("{") and out.endswith("}") and braces_balanced(out[1:-1]) and " " not in out)


def test_protected_spans_cover_words_only():
    text = "vLLM: GPU, I/O"
    assert [text[a:b] for a, b in protected_spans(text)] == ["vLLM", "GPU", "I", "O"]


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        ("Where Is My Training Bottleneck? Hidden Trade-Offs", "Where Is My Training Bottleneck? {Hidden} Trade-Offs"),
        ("Distilling Step-by-Step! Outperforming Larger Models", "Distilling Step-by-Step! {Outperforming} Larger Models"),
        ("Are We There Yet? A Case Study", "Are We There Yet? {A} Case Study"),
        ("To Store or Not? online selection", "To Store or Not? online selection"),
        ("Why? 3 reasons", "Why? 3 reasons"),
    ],
)
def test_a_subtitle_after_a_question_or_exclamation_mark_keeps_its_capital(title, latex):
    assert latex_title(title) == latex


def test_container_is_protected_whole_and_escaped():
    assert latex_container("16th USENIX Symposium & Co") == r"{16th USENIX Symposium \& Co}"
    assert latex_container("") == ""
    assert braces_balanced(latex_container("Proc. {of} }weird{"))


def test_publisher_protects_acronyms():
    assert latex_protected_text("USENIX Association") == "{USENIX} Association"
    assert latex_protected_text("Lab & Co {") == r"Lab \& Co \textbraceleft{}"


def test_verbatim_fields_percent_encode_only_what_breaks():
    assert (
        latex_verbatim("https://example.org/a_b%20c?x=1&y=2#frag")
        == "https://example.org/a_b%20c?x=1&y=2#frag"
    )
    assert latex_verbatim('https://e.org/{x}\\y z"') == "https://e.org/%7Bx%7D%5Cy%20z%22"
    assert latex_verbatim("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0") == (
        "10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0"
    )


def test_braces_balanced_counts_like_bibtex():
    assert braces_balanced("{a}{b}")
    assert not braces_balanced(r"\{")  # a backslash does not hide a brace from bibtex
    assert not braces_balanced("}{")
