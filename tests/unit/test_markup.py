"""Markup (HTML / JATS / MathML) in service metadata -> plain text and style runs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlsys_bib.text.markup import clean_text, has_markup, to_plain, to_rich


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("Plain title", "Plain title"),
        (
            "Correlation of the Base Strengths of Amines<sup>1</sup>",
            "Correlation of the Base Strengths of Amines1",
        ),
        ("H<sub>2</sub>O", "H2O"),
        ("<scp>Nvidia</scp> GPUs", "Nvidia GPUs"),
        ("<b>Bold</b> and <jats:italic>jats</jats:italic>", "Bold and jats"),
        ("<jats:p>First.</jats:p><jats:p>Second.</jats:p>", "First. Second."),
        ("<jats:title>Abstract</jats:title><jats:p>Text</jats:p>", "Abstract Text"),
        ("A &amp; B", "A & B"),
        ("A &amp;amp; B", "A &amp; B"),  # unescaped exactly once
        ("&lt;i&gt;not a tag&lt;/i&gt;", "<i>not a tag</i>"),  # escaped text stays text
        ("caf&eacute; &#8211; &#x2014;", "café \u2013 \u2014"),
        ("Vector<int> and x < y", "Vector<int> and x < y"),  # unknown "tags" are kept as text
        ("<script>alert(1)</script>Safe", "Safe"),
        ("<style>p{}</style>Styled", "Styled"),
        ('<a href="javascript:x">link</a> text', "link text"),
        ("<img src=x onerror=alert(1)>Image", "Image"),
        ("<i>unclosed italic", "unclosed italic"),
        ("stray</i> close", "stray close"),
        ("<!-- comment -->kept", "kept"),
        ("<![CDATA[raw]]> text", "raw text"),
        ("  lots \n\t of   space  ", "lots of space"),
        ("bidi\u202eoverride\u202c and \x00nul\x07", "bidioverride and nul"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("e\u0301", "\u00e9"),  # NFC
        ("", ""),
    ],
)
def test_to_plain(raw, plain):
    assert to_plain(raw) == plain


def test_none_is_empty():
    assert to_plain(None) == "" and to_rich(None) == []


def test_mathml():
    raw = (
        '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:semantics><mml:mrow>'
        "<mml:msup><mml:mi>n</mml:mi><mml:mn>2</mml:mn></mml:msup><mml:mo>+</mml:mo>"
        "<mml:msub><mml:mi>x</mml:mi><mml:mi>i</mml:mi></mml:msub></mml:mrow>"
        '<mml:annotation encoding="application/x-tex">n^2+x_i</mml:annotation></mml:semantics></mml:math>'
        " attention"
    )
    assert to_plain(raw) == "n2+xi attention"
    assert to_rich(raw) == [("", "n"), ("sup", "2"), ("", "+x"), ("sub", "i"), ("", " attention")]
    frac = "<mml:math><mml:mfrac><mml:mn>1</mml:mn><mml:mi>k</mml:mi></mml:mfrac></mml:math>"
    assert to_plain(frac) == "1/k"
    assert to_plain("<mml:math><mml:msqrt><mml:mi>d</mml:mi></mml:msqrt></mml:math>") == "\u221a(d)"


def test_jats_alternatives_do_not_duplicate():
    raw = (
        "O(<jats:inline-formula><jats:alternatives><jats:tex-math>$n$</jats:tex-math>"
        "<mml:math><mml:mi>n</mml:mi></mml:math></jats:alternatives></jats:inline-formula>)"
    )
    assert to_plain(raw) == "O(n)"


def test_rich_runs():
    assert to_rich("H<sub>2</sub>O <b><i>bold it</i></b> end") == [
        ("", "H"),
        ("sub", "2"),
        ("", "O "),
        ("b+i", "bold it"),
        ("", " end"),
    ]
    assert to_rich("<i>a</i><i>b</i>") == [("i", "ab")]  # merged


def test_recorded_crossref_italic_title(recorded):
    work = json.loads((recorded / "crossref" / "work-journal-article-italic-title-jats-sec.json").read_text())
    raw = work["message"]["title"][0]
    assert "\n" in raw and "<i>" in raw
    assert to_plain(raw) == (
        "Construction of a reference material panel for detecting KRAS / NRAS / EGFR / BRAF / MET "
        "mutations in plasma ctDNA"
    )
    runs = to_rich(raw)
    assert [text for style, text in runs if style == "i"] == ["KRAS", "NRAS", "EGFR", "BRAF", "MET"]
    abstract = to_plain(work["message"]["abstract"])
    assert abstract.startswith("Background The absence of high-quality")
    assert "<" not in abstract and "jats" not in abstract


def test_entities_are_not_declared_or_expanded():
    out = to_plain('<!DOCTYPE t [<!ENTITY big "BOOM">]><t>&big;</t>')
    assert "BOOM" not in out


def test_has_markup_and_clean_text():
    assert has_markup("<i>x</i>") and not has_markup("plain  text")
    assert clean_text(" a\u202e b\n") == "a b"


@given(st.text())
def test_plain_output_is_clean(text):
    out = to_plain(text)
    assert out == out.strip()
    assert "  " not in out
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert not any(0x202A <= ord(c) <= 0x202E for c in out)


@given(st.lists(st.tuples(st.sampled_from(["i", "b", "sup", "sub", "jats:italic", "scp"]), st.text("ab cd"))))
def test_known_markup_never_leaks(parts):
    raw = "".join(f"<{tag}>{text}</{tag}>" for tag, text in parts)
    out = to_plain(raw)
    assert "<" not in out and ">" not in out
