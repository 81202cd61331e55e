"""Bad-input drill (fast version): hand-edited lists, typos, garbage, broken caches, bad outputs.

Nothing the list says may be lost: every bullet that markdown-it sees must come out of the
parser exactly once, as a paper item or as a report ("continuation", "note", "skipped",
"unparsed" with its line number), and every paper item must land in exactly one record.

The accounting is checked against markdown-it's own token stream (an independent count of
bullet start lines), on hypothesis-generated lists (random brackets, tags, links, unicode, very
long lines, NUL bytes, CRLF, BOM, tabs) and on mutated copies of the bundled seed (lines deleted,
duplicated, swapped, truncated, garbage injected). ``bench/drills/input_drill.py`` reuses the
strategies and checkers below for a long run with many more examples.

The number of examples per test is ``MLSYS_BIB_DRILL_EXAMPLES`` (default small, so the file stays
fast).
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from mlsys_bib import cli
from mlsys_bib.parse.markdown import ParsedList, parse_list
from mlsys_bib.parse.shape import parse_any
from mlsys_bib.records import build_records

SEED = Path(__file__).resolve().parents[2] / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"
EXAMPLES = int(os.environ.get("MLSYS_BIB_DRILL_EXAMPLES", "40"))
REPORT_KINDS = {"continuation", "note", "unparsed", "skipped"}
DRILL = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------
# the accounting


def bullet_lines(text: str) -> Counter[int]:
    """Start line (1-based) of every list item markdown-it finds, counted with multiplicity.

    markdown-it normalises CRLF, CR and NUL itself; only the BOM is stripped here, as the
    parser does, because a BOM before ``# Title`` would otherwise hide the heading.
    """
    from mlsys_bib.parse.markdown import MAX_NESTING, tokenize

    md = MarkdownIt("commonmark")
    md.options["maxNesting"] = MAX_NESTING
    text = text.lstrip("\ufeff")
    tokens, _ = tokenize(md, text)  # markdown-it, resumed after a line nested past its limit
    found = Counter((t.map or [0])[0] + 1 for t in tokens if t.type == "list_item_open")
    # markdown-it drops what lies beyond its nesting limit: a line that is a bullet by the
    # CommonMark rule but got no list item must still be accounted for, once
    verbatim = {n for t in tokens if t.type in ("fence", "code_block", "html_block") and t.map
                for n in range(t.map[0], t.map[1])}  # fmt: skip
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    for n, line in enumerate(normalised.split("\n")):
        rule = re.match(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", line)  # "- - -": a thematic break
        if n + 1 not in found and n not in verbatim and not rule and re.match(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S", line):
            found[n + 1] = 1
    return found


def check_accounting(text: str, parse=None) -> ParsedList:  # type: ignore[no-untyped-def]
    """Parse ``text`` and assert that every bullet is accounted for exactly once; return the parse.

    Also builds records and asserts that every paper item is in exactly one record.
    """
    parsed = (parse or parse_list)(text)
    expected = bullet_lines(text)
    got: Counter[int] = Counter(item.line for item in parsed.items)
    # A warning (a venue tag cut to 100 characters) is said *about* a paper that was read: it is no
    # account of a bullet of its own, so it is not counted, but it must point at a paper item.
    warnings = [r for r in parsed.reports if r.kind == "warning"]
    accounts = [r for r in parsed.reports if r.kind != "warning"]
    got.update(r.line for r in accounts)
    missing = expected - got
    extra = got - expected
    assert not missing and not extra, f"bullets lost {sorted(missing)}; invented {sorted(extra)}"
    item_at = {item.line for item in parsed.items}
    for report in warnings:
        assert report.line in item_at and report.reason, report
    for report in accounts:
        assert report.kind in REPORT_KINDS, report
        if report.kind == "unparsed":
            assert report.reason, report
        if report.kind in {"continuation", "note"}:
            assert report.attached_to is not None, report
    item_lines = {item.line for item in parsed.items}
    for item in parsed.items:
        assert item.title.strip(), item
        # a continuation belongs to a bullet that is itself reported as one
        for n in item.continuation_lines:
            assert any(r.line == n and r.kind in {"continuation", "note"} for r in parsed.reports)
    recordset = build_records(parsed)
    placed = Counter(item.line for record in recordset.records for item in record.items)
    assert sum(placed.values()) == len(parsed.items), "a paper item was dropped or doubled by merging"
    assert set(placed) == item_lines
    keys = [r.key for r in recordset.records]
    assert len(keys) == len(set(keys)), "two records share a key"
    return parsed


# ---------------------------------------------------------------------------------------------
# generated lists

FRAGMENTS = [
    "[OSDI'22]", "[arxiv]", "[arxiv'24]", "[arXiv'19]", "[NeurIPS'24 Workshop]", "[ES-FoMO @ ICML'24]",
    "[NSDI'25 (to appear)]", "[*Under Review*]", "[Survey :mag:]", "[Survey 🔍]", "[VLDB'25]", "[XYZ'99]",
    "[", "]", "(", ")", "[]", "()", "[[", "]]", "](", "[x](", "[x]()", "`", "``", "*", "**", "_", "~~",
    "<", ">", "<b>", "</i>", "<!--", "-->", "&amp;", "&#0;", "&#x0;", "&nbsp;", "\\", "\\[", "#", "##",
    ":", ",", ";", "|", "!", "![img](x.png)", "- ", "* ", "1. ", "> ",
    "[Title Of A Paper](https://arxiv.org/abs/2401.00001)", "[T](https://arxiv.org/abs/2401.00001v2)",
    "[paper](https://doi.org/10.1145/1234.5678)", "[code](https://github.com/a/b)",
    "<https://arxiv.org/abs/2301.00001>", "https://example.org/x", "[slides](https://x.org/s.pdf)",
    "[arxiv version](https://arxiv.org/abs/2301.00002)", "arxiv version:", "extended version of",
    "slides: [link](https://x.org)", "[link](#1-data)", "`Alias`", "(`ALIAS`)", "[[code](https://g.com/a)]",
    "\x00", "\r", "\r\n", "\n", "\t", "\ufeff", "\u200b", "\u2028", "\u202e", "\x0b", "\x0c",
    "é", "μ-Serve", "ÎĽ-Serve", "😀", "中文标题", "Ω≈ç√", "\ufffd",
]  # fmt: skip
PREFIXES = [
    "- ", "* ", "+ ", "1. ", "2) ", "  - ", "    - ", "      - ", "\t- ", "> - ", "-\t", "- [ ] ",
    "", "## 1. Section ", "### 2.1 Sub ", "# ", "-", "  ", "    ",
]  # fmt: skip
NEWLINES = ["\n", "\n", "\n", "\r\n", "\r"]

words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=25)
fragment = st.one_of(st.sampled_from(FRAGMENTS), words)
long_line = st.builds(lambda piece, n: piece * n, st.sampled_from(FRAGMENTS[:60]) | words, st.integers(50, 600))


@st.composite
def list_line(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    parts = draw(st.lists(st.one_of(fragment, fragment, long_line), max_size=10))
    return prefix + draw(st.sampled_from(["", " "])).join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A small paper list: optional BOM and header, numbered sections, generated bullet lines."""
    head = draw(st.sampled_from(["", "\ufeff", "\ufeff\ufeff", "Header text\n\n- [skip me](https://x.org)\n\n"]))
    head += draw(st.sampled_from(["# Paper List\n\n", "# Paper List\n\n## Table of Contents\n- [1. A](#1-a)\n\n", ""]))
    body = [draw(st.sampled_from(["## 1. Data", "## 2. Training", "### 1.1 Pipelines", "## Others"]))]
    body += draw(st.lists(list_line(), min_size=1, max_size=25))
    nl = draw(st.sampled_from(NEWLINES))
    tail = draw(st.sampled_from(["", "\n", "\n\n# References\n- https://x.org/ref\n"]))
    return head + nl.join(body) + tail


# ---------------------------------------------------------------------------------------------
# mutated seed

_SEED_LINES: list[str] | None = None


def seed_lines() -> list[str]:
    global _SEED_LINES
    if _SEED_LINES is None:
        _SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
    return _SEED_LINES


GARBAGE = st.one_of(list_line(), words, st.sampled_from(["- ", "-", "- []", "- [OSDI'22]", "- [](", "```", "~~~", "<div>", "|a|b|", "---", "===", "> "]))


@st.composite
def mutated_seeds(draw: st.DrawFn, window: int | None = None) -> str:
    """The seed (or a window of it, always with its title) with random hand-editing damage."""
    lines = list(seed_lines())
    if window is not None:
        start = draw(st.integers(20, max(20, len(lines) - window)))
        lines = lines[:3] + lines[start : start + window]
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "garbage", "indent", "crlf"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
        elif op == "garbage":
            lines.insert(i, draw(GARBAGE))
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["  ", "    ", "\t", "> "])) + lines[i]
        elif op == "crlf":
            lines[i] += "\r"
    if draw(st.booleans()):
        return "\n".join(lines)
    # truncate the whole file mid-line, as an interrupted download would
    text = "\n".join(lines)
    return text[: draw(st.integers(0, len(text)))]


# ---------------------------------------------------------------------------------------------
# the `check` command


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``mlsys-bib ARGV`` in-process: (exit code, stdout, stderr). An escaping exception fails."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def check_cli_names_lines(raw: bytes, path: Path) -> None:
    """``mlsys-bib check`` on ``raw``: non-zero exactly when there are unparsed lines, and one
    ``error: line N: ...`` line on stderr per unparsed bullet."""
    path.write_bytes(raw)
    text = raw.decode("utf-8", errors="replace")  # what read_list does
    parsed = check_accounting(text, parse_any)  # the parser the CLI picks for this shape
    unparsed = sorted(r.line for r in parsed.unparsed)
    code, out, err = run_cli(["-q", "check", "--list", str(path)])
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    empty = not parsed.items  # never a silent 0: a list without papers fails check too
    assert code == (1 if unparsed or empty else 0), (code, err[-500:])
    # identical messages print once with " (xN)" (ten empty bullets on one line): N lines named
    named = sorted(
        int(m[1])
        for m in (re.match(r"error: line (\d+): \S(?:.*? \(x(\d+)\)$)?", e) for e in errors) if m
        for _ in range(int(m[2] or 1))
    )
    assert named == unparsed, (named, unparsed, err[-800:])
    assert f"{len(unparsed) + empty} errors" in out


# ---------------------------------------------------------------------------------------------
# tests: the parser


@DRILL
@given(documents())
def test_generated_lists_lose_no_bullet(text):
    check_accounting(text)


@DRILL
@given(mutated_seeds(window=150))
def test_mutated_seed_windows_lose_no_bullet(text):
    check_accounting(text)


@settings(DRILL, max_examples=max(3, EXAMPLES // 8))
@given(mutated_seeds())
def test_mutated_whole_seed_loses_no_bullet(text):
    check_accounting(text)


def test_seed_itself_is_fully_accounted_for():
    parsed = check_accounting(SEED.read_text(encoding="utf-8"))
    assert len(parsed.items) == 964
    assert not parsed.unparsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff",
        "\x00" * 1000,
        "- " * 5000,
        "# T\n\n## 1. S\n" + "- [OSDI'22] " + "A" * 200_000 + "\n",
        "# T\n\n## 1. S\n" + "[" * 50_000 + "\n- x\n",
        "# T\n\n## 1. S\n" + "".join(f"{'  ' * d}- [a'2{d % 10}] nested {d}\n" for d in range(200)),
        "# T\n\n## 1. S\n" + "> " * 300 + "- [OSDI'22] deep quote\n",
        "# T\r\n\r\n## 1. S\r\n- [OSDI'22] T1\r\n  - [arxiv](https://arxiv.org/abs/2401.00001)\r\n",
        "\ufeff# T\r## 1. S\r- [OSDI'22] T1\r\t- slides: [x](https://x.org)\r",
        "# T\n\n## 1. S\n- [OSDI'22] A\x00B [x](https://arxiv.org/abs/2401.0\x00001)\n- \x00\n",
        "# T\n\n## 1. S\n- [OSDI'22] [](https://arxiv.org/abs/2401.00001)\n- [OSDI'22]\n- []\n- [](\n",
        "# T\r## 1. S\r- [OSDI'22] A\r" + "- " * 150 + "[OSDI'22] deep\r- [OSDI'22] after\r",
        "# T\n\n## 1. S\n- [" + "(" * 150 + "]" * 50 + "\n- [OSDI'22] after\n",
    ],
    ids=["empty", "bom", "nuls", "dash-storm", "200k-title", "50k-brackets", "200-deep", "300-quotes",
         "crlf", "cr-only", "nul-in-link", "empty-parts", "cr-before-deep", "cut-tag"],  # fmt: skip
)
def test_pathological_lists(text, tmp_path):
    check_accounting(text)
    check_cli_names_lines(text.encode("utf-8"), tmp_path / "list.md")


# ---------------------------------------------------------------------------------------------
# tests: `mlsys-bib check`


@settings(DRILL, max_examples=max(5, EXAMPLES // 2))
@given(documents(), st.sampled_from(["utf-8", "utf-8-bad-bytes"]))
def test_check_names_every_unparsed_line(tmp_path_factory, text, encoding):
    raw = text.encode("utf-8")
    if encoding == "utf-8-bad-bytes":
        raw = raw.replace(b"\xc3", b"\xff\xc3", 1) + b"\n- \xfe\xff broken bytes\n"
    check_cli_names_lines(raw, tmp_path_factory.mktemp("check") / "list.md")


def test_check_on_a_list_with_known_errors(tmp_path):
    path = tmp_path / "typos.md"
    path.write_text(
        "# Paper List\n\n## 1. Data\n"
        "- [OSDI'22] [Good Paper One](https://arxiv.org/abs/2401.00001)\n"  # 4
        "- [OSDI'22]\n"  # 5: a tag but no title
        "- \n"  # 6: empty bullet (markdown-it: an empty item)
        "- [x](https://x.org) [y](https://y.org) [z] w\n"  # 7
        "- [ATC'21] Another Good Paper\n",  # 8
        encoding="utf-8",
    )
    code, out, err = run_cli(["-q", "check", "--list", str(path)])
    assert code == 1
    assert "Traceback" not in err
    for n in (5, 6):
        assert re.search(rf"^error: line {n}: ", err, re.M), err
    assert "2 items" in out


def test_check_counts_every_unparsed_bullet_when_it_prints_repeats_once(tmp_path):
    """Nine empty bullets on one line print as one ``(x9)`` line; the summary still says 9 errors."""
    path = tmp_path / "ten.md"
    path.write_text("# L\n\n## 1. A\n- [OSDI'22] A\n- - - - - - - - - - [OSDI'22] Deep: x\n", encoding="utf-8")
    code, out, err = run_cli(["-q", "check", "--list", str(path)])
    assert code == 1
    assert [e for e in err.splitlines() if e.startswith("error: ")] == ["error: line 5: empty bullet: (x9)"]
    assert "9 errors" in out
    check_cli_names_lines(path.read_bytes(), path)


def test_check_messages_are_one_line_each(tmp_path):
    """An error for a multi-line bullet must still be one line on stderr (it names one line)."""
    path = tmp_path / "multiline.md"
    path.write_text("# Paper List\n\n## 1. Data\n- [OSDI'22]\n  [](https://x.org)\n  more text\n"
                    "- [OSDI'22] [A Real Paper Title](https://x.org/p)\n", encoding="utf-8")
    code, _, err = run_cli(["-q", "check", "--list", str(path)])
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: line 4: ")
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_check_unreadable_list_is_a_clear_error(tmp_path, kind):
    path = tmp_path / "nope.md"
    if kind == "directory":
        path.mkdir()
    code, _, err = run_cli(["-q", "check", "--list", str(path)])
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and str(path) in err


# ---------------------------------------------------------------------------------------------
# tests: corrupt or foreign caches

SMALL_LIST = (
    "# Paper List\n\n## 1. Data\n"
    "- [OSDI'22] [Good Paper One](https://arxiv.org/abs/2401.00001)\n"
    "- [arxiv'24] Some Preprint Title Here\n"
)


def _foreign_db(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, payload TEXT)")
    db.execute("INSERT INTO entries (payload) VALUES ('not ours')")
    db.commit()
    db.close()


def _newer_schema(path: Path) -> None:
    from mlsys_bib.net.cache import APPLICATION_ID

    db = sqlite3.connect(path)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 99")
    db.execute("CREATE TABLE entries (x)")
    db.commit()
    db.close()


def _damaged_pages(path: Path) -> None:
    """A real mlsys-bib cache whose header survives but whose data pages are overwritten."""
    from mlsys_bib.net.cache import Cache, CacheEntry

    with Cache(path) as cache:
        cache.put_many(
            CacheEntry("arxiv", f"2401.{i:05d}", 200, "application/atom+xml", b"x" * 3000, "2025-01-01T00:00:00Z", False)
            for i in range(200)
        )
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    rng = __import__("random").Random(7)
    for offset in range(4096, len(data), 4096):
        data[offset + 8 : offset + 400] = bytes(rng.randrange(256) for _ in range(392))
    path.write_bytes(bytes(data))


CORRUPTIONS = {
    "random-bytes": lambda p: p.write_bytes(os.urandom(8192)),
    "text-file": lambda p: p.write_text("this is not a database\n" * 100),
    "sqlite-header-only": lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 84),
    "foreign-schema": _foreign_db,
    "newer-schema": _newer_schema,
    "damaged-pages": _damaged_pages,
}


def _offline_resolve(tmp_path: Path, cache_path: Path) -> tuple[int, str, str]:
    lst = tmp_path / "list.md"
    lst.write_text(SMALL_LIST, encoding="utf-8")
    return run_cli(["-q", "resolve", "--offline", "--list", str(lst), "--cache", str(cache_path)])


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupt_cache_is_refused_by_the_cache_class_with_a_clear_error(tmp_path, name):
    """The Cache class itself: a clear CacheError naming the file (never sqlite3's bare error)."""
    from mlsys_bib.net.cache import Cache, CacheError

    path = tmp_path / "cache.sqlite"
    CORRUPTIONS[name](path)
    try:
        with Cache(path) as cache:
            # a damaged page may only show on read
            cache.get_many("arxiv", [f"2401.{i:05d}" for i in range(200)])
            cache.put_many([])
    except CacheError as exc:
        assert str(path) in str(exc)
        assert "\n" not in str(exc)
    else:
        pytest.fail(f"{name}: the cache was opened and read without complaint")


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupt_cache_is_a_one_line_error_from_the_cli(tmp_path, name):
    path = tmp_path / "cache.sqlite"
    CORRUPTIONS[name](path)
    code, _, err = _offline_resolve(tmp_path, path)
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and str(path) in err


def test_empty_cache_file_is_recovered_transparently(tmp_path):
    """A zero-byte file (e.g. `touch cache.sqlite`) is an empty SQLite database: it is adopted."""
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"")
    code, out, err = _offline_resolve(tmp_path, path)
    assert code == 0, err
    assert '"records": 2' in out


def test_cache_path_that_is_a_directory_is_a_clear_error(tmp_path):
    from mlsys_bib.net.cache import Cache, CacheError

    path = tmp_path / "cache.sqlite"
    path.mkdir()
    with pytest.raises(CacheError, match=re.escape(str(path))):
        Cache(path)


# ---------------------------------------------------------------------------------------------
# tests: unwritable output


def _out_targets(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    targets = {"parent-is-a-file": a_file / "exports", "out-is-a-file": a_file}
    if Path("/proc/self").is_dir():
        targets["proc"] = Path("/proc/mlsys-bib-exports")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        targets["read-only-dir"] = ro / "exports"
    return targets


@pytest.mark.parametrize("target", ["parent-is-a-file", "out-is-a-file", "proc", "read-only-dir"])
def test_unwritable_output_directory_is_a_one_line_error(tmp_path, target):
    targets = _out_targets(tmp_path)
    if target not in targets:
        pytest.skip(f"{target}: not testable here (root ignores permissions, or no /proc)")
    lst = tmp_path / "list.md"
    lst.write_text(SMALL_LIST, encoding="utf-8")
    out_dir = targets[target]
    code, out, err = run_cli(["-q", "build", "--no-resolve", "--no-refs", "--list", str(lst), "--out", str(out_dir)])
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlsys-bib: "), err
    assert str(out_dir.name) in err or str(out_dir.parent) in err

