"""Formatted reference lists (export/refs/): files, order, escaping, links, failures."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from mlsys_bib.export.markup_sentinels import md_escape, to_html, to_markdown, to_plain
from mlsys_bib.export.refs import STYLES, Link, entry_links, linkify, safe_url, write_refs
from mlsys_bib.model import Kind, Person
from tests.fakes.records import S_DATA, S_FAIL, S_SERVE, S_TRAIN, make_record, realistic_records

I_OPEN, I_CLOSE = "\ue000", "\ue001"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("refs")
    report = write_refs(realistic_records(), out)
    return out, report


# -- styles and the formatter --------------------------------------------------------------------------


def test_styles_are_the_vendored_official_csl_files():
    assert {"apa", "ieee", "acm"} <= set(STYLES)
    for path in STYLES.values():
        text = Path(path).read_text(encoding="utf-8")
        assert "purl.org/net/xbiblio/csl" in text
        assert "/mlsys_bib/data/csl/" in Path(path).as_posix()  # in the package: a fresh clone has them


def test_the_renderer_is_the_pinned_pandoc():
    from mlsys_bib.export.citeproc_pandoc import pandoc_binary, pandoc_version

    assert pandoc_binary() is not None
    assert pandoc_version().startswith("pandoc 3.")


def test_unknown_style_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown CSL style"):
        write_refs(realistic_records()[:1], tmp_path, styles=("no-such-style-xyz",))


# -- escaping ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "md"),
    [
        ("*bold* _it_ `code`", r"\*bold\* \_it\_ \`code\`"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("[link](javascript:x)", r"\[link\](javascript:x)"),
        ("&amp;lt; $x$ a|b ~~s~~ #1 !x", r"\&amp;lt; \$x\$ a\|b \~\~s\~\~ \#1 \!x"),
        ("- item", r"\- item"),
        ("1984. A Study", r"1984\. A Study"),
        ("> quote", r"\> quote"),
        ("back\\slash", r"back\\slash"),
    ],
)
def test_md_escape(text, md):
    assert md_escape(text) == md


def test_markdown_emphasis_from_sentinels():
    assert to_markdown(f"A. {I_OPEN}Title *x*{I_CLOSE}. 2020.") == r"A. *Title \*x\**. 2020."
    assert to_markdown(f"{I_OPEN} spaced {I_CLOSE}x") == " *spaced* x"
    assert to_markdown(f"a{I_OPEN}{I_CLOSE}b") == "ab"  # an empty pair must not become "**"


def test_html_escapes_everything_but_our_markup():
    out = to_html(f'<script>"&{I_OPEN}T{I_CLOSE}')
    assert out == "&lt;script&gt;&quot;&amp;<i>T</i>"
    assert to_plain(f"{I_OPEN}T{I_CLOSE}") == "T"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/a", "//x.org", "", None]
)
def test_unsafe_urls_are_never_linked(url):
    assert safe_url(url) == ""


def test_safe_url_encodes_delimiters():
    assert safe_url('https://e.org/a_(b) "c"<d>') == "https://e.org/a_%28b%29%20%22c%22%3Cd%3E"


def test_linkify_links_printed_forms_once_longest_first():
    links = [
        Link("DOI", "https://doi.org/10.1/x", ("https://doi.org/10.1/x", "10.1/x")),
        Link("arXiv", "https://arxiv.org/abs/2301.1", ("https://arxiv.org/abs/2301.1", "arXiv:2301.1")),
    ]
    text, rest = linkify(
        "See https://doi.org/10.1/x. Also 10.1/x.",
        links,
        lambda s: s,
        lambda link, shown: f"<{link.url}|{shown}>",
    )
    assert (
        text == "See <https://doi.org/10.1/x|https://doi.org/10.1/x>. Also <https://doi.org/10.1/x|10.1/x>."
    )
    assert [link.label for link in rest] == ["arXiv"]


# -- files -------------------------------------------------------------------------------------------------


def test_files_per_style_and_section(built):
    out, report = built
    sections = {s for r in realistic_records() for s in r.sections}
    for style in ("apa", "ieee", "acm"):
        d = out / "refs" / style
        for section in sections:
            for ext in ("md", "html", "txt"):
                assert (d / f"{section.slug}.{ext}").is_file()
        assert (d / "index.md").is_file() and (d / "index.html").is_file()
    assert len(report.files) == 3 * (3 * len(sections) + 2)
    assert report.entries == {
        style: sum(len(r.sections) for r in realistic_records()) for style in ("apa", "ieee", "acm")
    }


def test_sections_keep_list_order(built):
    out, _ = built
    index = (out / "refs" / "apa" / "index.md").read_text()
    linked = re.findall(r"\]\(([^)]+)\.md\)", index)
    first_line = {}
    for record in realistic_records():
        for item in record.items:
            first_line[item.section.slug] = min(first_line.get(item.section.slug, 10**9), item.line)
    assert linked == sorted(first_line, key=first_line.get)


def test_entries_keep_list_order_within_a_section(built, tmp_path):
    out, _ = built
    text = (out / "refs" / "ieee" / f"{S_TRAIN.slug}.html").read_text()
    ids = re.findall(r'id="ref-([^"]+)"', text)
    assert ids == [r.key for r in realistic_records() if S_TRAIN in r.sections]
    # a paper first listed in an earlier section sits at its own line in a later one
    early = make_record("early2020", "Early", Kind.PREPRINT, sections=(S_DATA, S_TRAIN), line=1, year=2020)
    early.items[1].line = 50
    later = make_record("later2020", "Later", Kind.PREPRINT, sections=(S_TRAIN,), line=10, year=2020)
    write_refs([early, later], tmp_path, styles=("ieee",))
    text = (tmp_path / "refs" / "ieee" / f"{S_TRAIN.slug}.html").read_text()
    assert re.findall(r'id="ref-([^"]+)"', text) == ["later2020", "early2020"]


def test_paper_in_three_sections_appears_in_all_three(built):
    out, _ = built
    for style in ("apa", "ieee", "acm"):
        for section in (S_SERVE, S_TRAIN, S_FAIL):
            for ext in ("md", "html", "txt"):
                text = (out / "refs" / style / f"{section.slug}.{ext}").read_text()
                assert "PagedAttention" in text, (style, section, ext)


def test_links_are_live_where_the_style_prints_them_and_nothing_is_appended(built):
    out, _ = built
    live = 0
    for record in realistic_records():
        links = {html.escape(link.url) for link in entry_links(record)}
        for style in ("apa", "ieee", "acm"):
            page = (out / "refs" / style / f"{record.sections[0].slug}.html").read_text()
            pattern = rf'<li class="[^"]*" id="ref-{re.escape(record.key)}">(.*?)</li>'
            entry = re.search(pattern, page).group(1)
            hrefs = set(re.findall(r'href="([^"]+)"', entry))
            assert hrefs <= links, (style, record.key)  # only the record's own links
            assert not re.search(r"\[(URL|DOI|arXiv)\]", re.sub(r"<[^>]+>", "", entry)), (style, record.key)
            for href in hrefs:  # every live link is text the style printed
                shown = re.search(rf'href="{re.escape(href)}">([^<]+)</a>', entry).group(1)
                assert shown in html.escape(html.unescape(shown))
            live += len(hrefs)
    assert live >= 2 * len(realistic_records())


def test_ieee_numbers_are_separated_from_the_text(built):
    out, _ = built
    text = (out / "refs" / "ieee" / f"{S_DATA.slug}.txt").read_text()
    assert re.search(r"^\[1\] ", text, re.M)


def test_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_refs(realistic_records(), a, styles=("apa",))
    write_refs(realistic_records(), b, styles=("apa",))
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()


def test_stale_files_are_removed_only_when_an_earlier_run_wrote_them(tmp_path):
    """A section gone from the list: its files (listed in the manifest) go; a user's files stay.

    The sweep once removed every *.md/*.html/*.txt this run did not write, a user's notes.md too."""
    apa = tmp_path / "refs" / "apa"
    apa.mkdir(parents=True)
    users = {name: f"mine {name}" for name in ("notes.md", "page.html", "todo.txt", "README.rst")}
    for name, text in users.items():
        (apa / name).write_text(text)
    write_refs(realistic_records(), tmp_path, styles=("apa",))
    fewer = [r for r in realistic_records() if S_DATA not in r.sections]
    gone = {f"{S_DATA.slug}.{ext}" for ext in ("md", "html", "txt")}
    assert gone <= {p.name for p in apa.iterdir()}
    report = write_refs(fewer, tmp_path, styles=("apa",))
    assert not any((apa / name).exists() for name in gone)
    assert {name: (apa / name).read_text() for name in users} == users
    assert sorted(p.name for p in report.removed) == sorted(gone)
    assert report.to_dict()["removed"] == sorted(f"refs/apa/{name}" for name in gone)


def test_explicit_sections_are_written_in_the_given_order(tmp_path):
    report = write_refs(realistic_records(), tmp_path, styles=("ieee",), sections=[S_FAIL, S_DATA])
    index = (tmp_path / "refs" / "ieee" / "index.md").read_text()
    assert re.findall(r"\]\(([^)]+)\.md\)", index) == [S_FAIL.slug, S_DATA.slug]
    assert not (tmp_path / "refs" / "ieee" / f"{S_TRAIN.slug}.md").exists()
    assert report.entries["ieee"] == sum(
        1 for r in realistic_records() for s in r.sections if s in (S_FAIL, S_DATA)
    )


# -- failures ------------------------------------------------------------------------------------------------


def test_what_citeproc_py_got_wrong_pandoc_gets_right(built):
    out, report = built
    # an author-less entry's title once (citeproc-py ignored cs:substitute and printed it twice)
    page = (out / "refs" / "apa" / f"{S_TRAIN.slug}.txt").read_text()
    assert page.count("Accelerating Design Space Exploration for LLM Training Systems") == 1
    # IEEE: the comma inside the closing quote (en-US), never “Title”, in
    ieee = "".join(p.read_text() for p in (out / "refs" / "ieee").glob("*.txt"))
    assert ",” in" in ieee and "”, in" not in ieee
    for style in ("apa", "ieee", "acm"):
        for page in (out / "refs" / style).glob("*.txt"):
            text = page.read_text()
            assert ". . " not in text and "?." not in text and "[URL]" not in text
    assert report.failures == []


def test_apa_sections_are_sorted_by_author_ieee_sections_numbered_from_one(built):
    out, _ = built
    for page in (out / "refs" / "apa").glob("*.txt"):
        entries = [e for e in page.read_text().split("\n\n")[1:] if e.strip()]
        firsts = [e.split(",")[0].lower().removeprefix("van der ").removeprefix("van ") for e in entries]
        assert firsts == sorted(firsts) or len(entries) < 2, page.name
    for page in (out / "refs" / "ieee").glob("*.txt"):
        numbers = re.findall(r"^\[(\d+)\] ", page.read_text(), re.M)
        assert numbers == [str(n) for n in range(1, len(numbers) + 1)], page.name


def test_a_renderer_failure_is_recorded_and_every_entry_still_listed(tmp_path, monkeypatch):
    from mlsys_bib.export import citeproc_pandoc

    records = [
        make_record(
            "good2020", "Good Paper", Kind.PREPRINT, year=2020, arxiv="2001.00001", author=[Person("A", "B")]
        ),
        make_record(
            "bad2020", "Bad Paper", Kind.PREPRINT, year=2020, arxiv="2001.00002", author=[Person("C", "D")]
        ),
    ]
    monkeypatch.setattr(citeproc_pandoc, "pandoc_binary", lambda: str(tmp_path / "no-such-pandoc"))
    report = write_refs(records, tmp_path, styles=("apa",))
    assert [(f.style, f.key) for f in report.failures] == [("apa", "*")]
    assert "pandoc" in report.failures[0].error
    page = (tmp_path / "refs" / "apa" / f"{records[0].sections[0].slug}.html").read_text()
    assert 'class="csl-entry unformatted" id="ref-bad2020">D C. Bad Paper. 2020.' in page
    assert 'class="csl-entry unformatted" id="ref-good2020">' in page


def test_section_file_names_are_capped_and_never_collide(tmp_path):
    from mlsys_bib.model import Section

    long = Section("9", "Very long heading " * 20)
    sections = [Section("", "A"), Section("", "A!"), Section("", "A 2"), long, Section("", "index")]
    records = [
        make_record(f"p{i}", f"Paper {i}", Kind.PREPRINT, sections=[s], year=2024) for i, s in enumerate(sections)
    ]
    report = write_refs(records, tmp_path, styles=("apa",))
    names = sorted(p.name for p in (tmp_path / "refs" / "apa").glob("*.md"))
    assert len(names) == len(sections) + 1  # every section its own file, plus the index
    assert max(len(n) for n in names) <= 83 and report.failures == []
    assert {"a.md", "a-2.md", "a-2-2.md", "index.md", "index-2.md"} <= set(names)
