"""Case protection finds all-capitals compounds once per title; the answer is the per-word rule's."""

from __future__ import annotations

import random
import re

import pytest

from mlsys_bib.text import case

pytestmark = pytest.mark.unit


def _in_caps_chunk(text: str, start: int, end: int) -> bool:
    """The rule as written down: the word is inside a whitespace- or hyphen-delimited chunk of at
    least two letters, all of them capitals (asked word by word, the slow way)."""
    for pattern in (r"\S+", r"[^\s\-\u2010-\u2015]+"):
        for m in re.finditer(pattern, text):
            if m.start() <= start and end <= m.end():
                letters = [c for c in m.group(0) if c.isalpha()]
                if len(letters) >= 2 and all(c.isupper() for c in letters):
                    return True
                break
    return False


def _reference(text: str) -> list[tuple[int, int]]:
    first = re.match(r"\s*([^\W_]+)\s*:", text)
    subtitles = {m.end() for m in re.finditer(r"[?!]\s+(?=[^\W\d_])", text)}
    spans = []
    for m in case.WORD.finditer(text):
        word, (start, end) = m.group(0), m.span()
        upper_inside = any(c.isupper() for c in word[1:])
        capital_digit = word[0].isupper() and any(c.isdigit() for c in word)
        if (
            upper_inside
            or capital_digit
            or word in case.protected_words()
            or (first is not None and start == first.start(1) and word[0].isupper())
            or (start in subtitles and word[0].isupper())
            or (word[0].isupper() and _in_caps_chunk(text, start, end))
        ):
            spans.append((start, end))
    return spans


@pytest.mark.parametrize(
    "title",
    ["Fast I/O for Q&A", "I/O-Bound Jobs", "K-V Cache: A Study", "ǅemal Ǆ-Ǆ", "中文 AB/中", "Ⅱ-Ⅲ Ab", "A-b C-D"],
)
def test_known_shapes(title: str) -> None:
    assert case._protected_spans(title) == _reference(title)


def test_random_titles_agree_with_the_rule() -> None:
    rnd = random.Random(16)
    alphabet = "AaBbIiOoQqKkVv/&-: ?!0123_.\u2010ÉéÄǅǆǄ\u1f88ſ中Ⅱ"
    for _ in range(20_000):
        title = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 24)))
        assert case._protected_spans(title) == _reference(title), title
