"""The list is parsed a piece at a time (bounded memory); the pieces must read exactly like one
whole-document parse: the same tokens (types, levels, line maps, inline children), the same
items, reports, warnings and line numbers, on the seed and on hostile text."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from mlsys_bib.lists import bundled_list_path
from mlsys_bib.parse.blocks import new_parser, normalise_text, pieces, tokenize, with_unread_lines
from mlsys_bib.parse.markdown import _Walker, parse_list

ROOT = Path(__file__).resolve().parents[2]


def _sig(t):  # type: ignore[no-untyped-def]
    return (
        t.type, t.tag, t.nesting, t.level, tuple(t.map) if t.map else None, t.content, t.markup, t.info,
        tuple(sorted((t.attrs or {}).items())), t.hidden, t.block, tuple(_sig(c) for c in t.children or []),
    )  # fmt: skip


def _whole_parse(text: str):  # type: ignore[no-untyped-def]
    """The parser as it was: one token stream for the whole list, walked at once."""
    text = normalise_text(text)
    tokens, deep = tokenize(new_parser(), text)
    walker = _Walker()
    walker.feed(tokens)
    return with_unread_lines(walker.result, text, tokens, deep)


def assert_pieces_read_like_the_whole(text: str, sizes: tuple[int, ...] = (1, 2, 5, 40)) -> None:
    text = normalise_text(text)
    whole, deep = tokenize(new_parser(), text)
    expected = [_sig(t) for t in whole]
    for size in sizes:
        got = list(pieces(new_parser(), text, size=size))
        assert [_sig(t) for p in got for t in p.tokens] == expected, f"tokens differ at piece size {size}"
        assert [p.deep for p in got if p.deep is not None] == deep
        assert got[0].first == 0 and all(a.end == b.first for a, b in zip(got, got[1:], strict=False))


def test_the_seed_reads_the_same_in_pieces() -> None:
    text = bundled_list_path().read_text(encoding="utf-8")
    assert_pieces_read_like_the_whole(text, sizes=(1, 7, 100))
    assert len(list(pieces(new_parser(), normalise_text(text), size=100))) > 5  # it was cut at all
    assert repr(parse_list(text)) == repr(_whole_parse(text))


def test_the_hostile_list_reads_the_same_in_pieces() -> None:
    sys.path.insert(0, str(ROOT / "bench" / "drills"))
    try:
        from hostile_list import hostile_list
    finally:
        sys.path.remove(str(ROOT / "bench" / "drills"))
    text = hostile_list(2000)[0].decode("utf-8", errors="replace")
    assert_pieces_read_like_the_whole(text, sizes=(1, 3, 50))
    assert repr(parse_list(text)) == repr(_whole_parse(text))


CASES = {
    # a fenced block holding headings: the piece cannot end inside it
    "fence": "# L\n## 1. A\n- [OSDI'22] A: a\n```\n# not a heading\n## nor this\n```\n## 2. B\n- [OSDI'22] B: b\n",
    "open fence": "# L\n## 1. A\n~~~\n# inside\n## 2. B\n- [OSDI'22] B: b\n",
    "html block": "# L\n## 1. A\n<pre>\n# inside\n</pre>\n## 2. B\n- [OSDI'22] B: b\n",
    # a reference used above its definition, which lies in a later piece
    "late reference": "# L\n## 1. A\n- [OSDI'22] [A title][r]\n## 2. B\n- [OSDI'22] B: b\n## 3. C\n[r]: https://a.org/x\n",
    # a line nested past markdown-it's limit, in the middle: read again after it, line numbers kept
    "deep": "# L\n## 1. A\n- [OSDI'22] A: a\n" + "- " * 150 + "[OSDI'22] Deep: d\n## 2. B\n- [OSDI'22] B: b\n",
    "deep at the end": "# L\n## 1. A\n" + "  " * 120 + "- x\n" + "- " * 120 + "[OSDI'22] Deep: d",
    "lone CRs": "# L\r## 1. A\r- [OSDI'22] A: a\r" + "- " * 150 + "x\r## 2. B\r- [OSDI'22] B: b\r",
    "lazy and nested": "# L\n## 1. A\n- [OSDI'22] A: a\ncontinued\n  - [arxiv](https://arxiv.org/abs/2101.00001)\n# B\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_awkward_lists_read_the_same_in_pieces(name: str) -> None:
    assert_pieces_read_like_the_whole(CASES[name])
    assert repr(parse_list(CASES[name])) == repr(_whole_parse(CASES[name]))


FRAGMENTS = [
    "# T", "## 1. A", "### 1.1 B", "- [OSDI'22] [X: a](http://a)", "  - [arxiv](http://arxiv.org/abs/2101.00001)",
    "```", "~~~", "    code", "<pre>", "</pre>", "<div>", "", "", "> quote", "> - [NSDI'21] Q: b", "[ref]: http://r",
    "- [SOSP'19] [Y][ref]", "- [ATC'20] [Z][later]", "[later]: http://l 'title'", "- " * 60 + "[OSDI'22] D: d",
    "\t- [OSDI'22] Tab: t", "1. [OSDI'22] Num: n", "Para text", "===", "---", "- - -", "#", "#no", "  # indented",
    "<!--", "-->", "- [OSDI'22] Lazy", "continued lazy", "x\ry", "  ```", "   ~~~~",
]  # fmt: skip


def test_random_lists_of_awkward_lines_read_the_same_in_pieces() -> None:
    rng = random.Random(16)
    for _ in range(150):
        text = "\n".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 50)))
        assert_pieces_read_like_the_whole(text, sizes=(1, 3))
        assert repr(parse_list(text)) == repr(_whole_parse(text)), text
