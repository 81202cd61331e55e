"""Round trip: the exports, read back by independent parsers, say what the records say.

The .bib files are parsed with bibtexparser v2 and with pybtex (values decoded from LaTeX with
pylatexenc), the .json with citeproc-py's CSL-JSON source. Every comparable field of every record
is checked against every reader; the test counts the comparisons and asserts that none is lost.

``make_record`` and ``realistic_records`` are imported by the other export tests: one realistic
set (every kind, particles, suffixes, corporate authors, accents, acronyms, missing fields, a
preprint and a published paper that keeps its eprint) exercised everywhere.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from pybtex.database import parse_string as pybtex_parse
from pylatexenc.latex2text import LatexNodes2Text

from mlsys_bib.export.bibtex import MONTH_MACROS, bibtex_text, container_name, keywords_value, normalize_pages
from mlsys_bib.export.csljson import csl_json_text
from mlsys_bib.export.latex import clean_text
from mlsys_bib.export.mapping import is_arxiv_page
from mlsys_bib.export.names import people
from mlsys_bib.model import Kind, Person, Record
from tests.fakes.records import (  # noqa: F401
    S_DATA,
    S_FAIL,
    S_OTHER,
    S_SERVE,
    S_TRAIN,
    S_WORK,
    P,
    make_record,
    realistic_records,
)

# -- readers ------------------------------------------------------------------------------------------

_L2T = LatexNodes2Text(math_mode="verbatim")


def unlatex(value: str) -> str:
    """A .bib value as plain text: LaTeX decoded, protective braces gone, spaces folded."""
    text = _L2T.latex_to_text(value).replace("\u02c6", "^")  # pylatexenc: \textasciicircum -> ˆ
    return " ".join(text.split())


def _person_key(p: Person) -> tuple[str, str, str]:
    """(family with particle, given, suffix) -- or (literal, "", "")."""
    if p.literal:
        return (p.literal, "", "")
    family = f"{p.particle} {p.family}" if p.particle else p.family
    return (family, p.given, p.suffix)


def expected(record: Record, *, biblatex: bool = False) -> dict[str, Any]:
    """What every reader must find for ``record`` (cleaned exactly as the exporters clean)."""
    kind = record.get("kind")
    exp: dict[str, Any] = {
        "title": clean_text(record.title),
        "author": [_person_key(p) for p in people(record.get("author"))],
        "year": record.get("year"),
        "month": record.get("month"),
        "doi": record.get("doi"),
        "url": record.get("url"),
        "keywords": keywords_value(record),
    }
    if kind != Kind.PREPRINT:
        exp["venue"] = container_name(record)
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.REPORT, Kind.JOURNAL):
        exp["pages"] = (
            normalize_pages(record.get("pages")).replace("--", "-") if record.get("pages") else None
        )
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.REPORT):
        exp["publisher"] = record.get("publisher")
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.JOURNAL):
        exp["volume"] = record.get("volume")
        exp["issue"] = record.get("issue")
    if kind == Kind.REPORT:
        exp["number"] = record.get("issue")
    exp["arxiv"] = record.get("arxiv")
    exp["primary_class"] = record.get("primary_class") if record.get("arxiv") else None
    return {name: value for name, value in exp.items() if value not in (None, "", [])}


def _month(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value.isdigit():
        return int(value)
    for i, name in enumerate(MONTH_MACROS, 1):
        if value.startswith(name):
            return i
    return None


def from_bibtexparser(text: str) -> dict[str, dict[str, Any]]:
    """Read a .bib with bibtexparser v2 into the ``expected`` shape."""
    lib = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert not lib.failed_blocks, lib.failed_blocks
    out: dict[str, dict[str, Any]] = {}
    for entry in lib.entries:
        f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
        got: dict[str, Any] = {"title": unlatex(f["title"])}
        if "author" in f:
            got["author"] = [
                (
                    unlatex(" ".join(n.von + n.last)),
                    unlatex(" ".join(n.first)),
                    unlatex(" ".join(n.jr)),
                )
                if n.first or n.von or n.jr
                else (unlatex(" ".join(n.last)), "", "")
                for n in f["author"]
            ]
        _common(got, f)
        out[entry.key] = got
    return out


def from_pybtex(text: str) -> dict[str, dict[str, Any]]:
    """Read a .bib with pybtex into the ``expected`` shape."""
    data = pybtex_parse(text, "bibtex")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in data.entries.items():
        f = {k.lower(): v for k, v in entry.fields.items()}
        got: dict[str, Any] = {"title": unlatex(f["title"])}
        persons = entry.persons.get("author", [])
        if persons:
            got["author"] = [
                (
                    unlatex(" ".join(p.prelast_names + p.last_names)),
                    unlatex(" ".join(p.first_names + p.middle_names)),
                    unlatex(" ".join(p.lineage_names)),
                )
                for p in persons
            ]
        _common(got, f)
        out[key] = got
    return out


def _common(got: dict[str, Any], f: dict[str, str]) -> None:
    """Fields read the same way from bibtexparser's and pybtex's field dicts (lower-case keys)."""
    if "date" in f:
        parts = f["date"].split("-")
        got["year"] = int(parts[0])
        if len(parts) > 1:
            got["month"] = int(parts[1])
    else:
        if "year" in f:
            got["year"] = int(f["year"])
        if "month" in f:
            got["month"] = _month(f["month"])
    venue = f.get("booktitle") or f.get("journal") or f.get("journaltitle")
    if venue:
        got["venue"] = unlatex(venue)
    for src, dst in (("pages", "pages"), ("volume", "volume"), ("publisher", "publisher")):
        if src in f:
            got[dst] = unlatex(f[src]).replace("–", "-")
    if "institution" in f:
        got["publisher"] = unlatex(f["institution"])
    if "number" in f:
        got["issue"] = got["number"] = unlatex(f["number"])
    for src, dst in (("doi", "doi"), ("url", "url"), ("eprint", "arxiv")):
        if src in f:
            got[dst] = f[src]
    printed = re.match(r"^arXiv preprint arXiv:(\S+)$", unlatex(f.get("howpublished", "")))
    if printed:  # classic BibTeX carries a preprint's id where every .bst prints it
        got["arxiv"] = printed.group(1)
    if "primaryclass" in f or "eprintclass" in f:
        got["primary_class"] = f.get("primaryclass") or f.get("eprintclass")
    if "keywords" in f:
        got["keywords"] = unlatex(f["keywords"])


def from_citeproc_json(text: str) -> dict[str, dict[str, Any]]:
    """Read the CSL-JSON with citeproc-py's source reader into the ``expected`` shape."""
    from citeproc.source.json import CiteProcJSON

    raw = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citation-key / event-title are unknown to citeproc-py
        source = CiteProcJSON(raw)
    out: dict[str, dict[str, Any]] = {}
    for item in raw:
        ref = source[item["id"].lower()]
        got: dict[str, Any] = {"title": str(ref["title"])}

        def opt(name: str, dst: str, ref: Any = ref, got: dict[str, Any] = got) -> None:
            if name in ref:
                got[dst] = str(ref[name])

        if "author" in ref:
            got["author"] = [
                (n["literal"], "", "")
                if "literal" in n
                else (n.get("family", ""), n.get("given", ""), n.get("suffix", ""))
                for n in ref["author"]
            ]
        if "issued" in ref:
            got["year"] = ref["issued"]["year"]
            if "month" in ref["issued"]:
                got["month"] = ref["issued"]["month"]
        opt("container_title", "venue")
        opt("page", "pages")
        opt("volume", "volume")
        opt("issue", "issue")
        opt("DOI", "doi")
        opt("URL", "url")
        if item["type"] != "article":
            opt("publisher", "publisher")
        if item["type"] == "report":
            opt("number", "number")
        number = item.get("number", "")
        if number.startswith("arXiv:"):
            got["arxiv"] = number[len("arXiv:") :]
        match = re.search(r"^arXiv: (\S+)$", item.get("note", ""), re.M)
        if match:
            got["arxiv"] = match.group(1)
        got["keywords"] = item.get("keyword", "")
        assert item["note"].startswith(f"Citation Key: {item['id']}")
        assert item["citation-key"] == item["id"]
        out[item["id"]] = got
    return out


def compare(
    records: list[Record], parsed: dict[str, dict[str, Any]], *, skip: Iterable[str] = ()
) -> tuple[int, list[str]]:
    """(number of field values compared, descriptions of the ones lost or changed)."""
    compared, lost = 0, []
    skip = set(skip)
    assert list(parsed) == [r.key for r in records], "entry order must be record order"
    for record in records:
        got = parsed[record.key]
        published = record.get("kind") not in (None, Kind.PREPRINT)
        for name, value in expected(record).items():
            if name in skip or (published and f"{name}@published" in skip):
                continue
            if name == "author":  # each person is one value (a list compares as many)
                found = got.get("author") or []
                for i, person in enumerate(value):
                    compared += 1
                    if i >= len(found) or found[i] != person:
                        lost.append(
                            f"{record.key}.author[{i}]: expected {person!r}, got {found[i : i + 1]!r}"
                        )
                if len(found) > len(value):
                    lost.append(
                        f"{record.key}.author: {len(found) - len(value)} extra names {found[len(value) :]!r}"
                    )
                continue
            compared += 1
            if name == "url" and got.get(name) is None and _arxiv_page_implied(value, got):
                continue  # the arXiv abstract page is left out where the id is printed: same link
            if got.get(name) != value:
                lost.append(f"{record.key}.{name}: expected {value!r}, got {got.get(name)!r}")
    return compared, lost


def _arxiv_page_implied(url: str, got: dict[str, Any]) -> bool:
    return bool(got.get("arxiv")) and is_arxiv_page(url, str(got["arxiv"]))


#: (export file, reader function name, fields that export cannot carry): how the whole-export
#: round trips (tests/test_build.py, tests/test_resolved_seed.py) read each file back.
EXPORT_READERS: list[tuple[str, str, tuple[str, ...]]] = [
    # classic BibTeX prints the arXiv id once, from howpublished: no primaryClass (no .bst prints it)
    ("mlsys.bib", "from_bibtexparser", ("primary_class", "arxiv@published")),
    ("mlsys.bib", "from_pybtex", ("primary_class", "arxiv@published")),
    ("mlsys-biblatex.bib", "from_bibtexparser", ()),
    ("mlsys-biblatex.bib", "from_pybtex", ()),
    ("mlsys.json", "from_citeproc_json", ("primary_class",)),  # CSL has no field for the arXiv class
]


# -- tests --------------------------------------------------------------------------------------------

#: classic BibTeX keeps a published paper's eprint only in the biblatex file (see export/bibtex.py)
_CLASSIC = ("primary_class", "arxiv@published")

READERS: list[tuple[str, Callable[[], str], Callable[[str], dict[str, dict[str, Any]]], tuple[str, ...]]] = [
    ("bibtexparser/bibtex", lambda: bibtex_text(realistic_records()), from_bibtexparser, _CLASSIC),
    ("pybtex/bibtex", lambda: bibtex_text(realistic_records()), from_pybtex, _CLASSIC),
    (
        "bibtexparser/bibtex-ascii",
        lambda: bibtex_text(realistic_records(), ascii=True),
        from_bibtexparser,
        _CLASSIC,
    ),
    ("pybtex/bibtex-ascii", lambda: bibtex_text(realistic_records(), ascii=True), from_pybtex, _CLASSIC),
    ("bibtexparser/biblatex", lambda: bibtex_text(realistic_records(), biblatex=True), from_bibtexparser, ()),
    ("pybtex/biblatex", lambda: bibtex_text(realistic_records(), biblatex=True), from_pybtex, ()),
    # CSL-JSON has no field for a preprint's arXiv class: it is compared in the .bib readers only.
    (
        "citeproc-py/csl-json",
        lambda: csl_json_text(realistic_records()),
        from_citeproc_json,
        ("primary_class",),
    ),
]


@pytest.mark.parametrize(("name", "export", "reader", "skip"), READERS, ids=[r[0] for r in READERS])
def test_round_trip_loses_nothing(name, export, reader, skip, capsys):
    records = realistic_records()
    compared, lost = compare(records, reader(export()), skip=skip)
    with capsys.disabled():
        print(f"\n  round trip {name}: {compared} field values compared, {len(lost)} lost")
    assert compared > 190
    assert lost == []


def test_realistic_set_covers_every_kind_and_quirk():
    records = realistic_records()
    assert 18 <= len(records) <= 25
    assert {r.get("kind") for r in records} == set(Kind)
    persons = [p for r in records for p in r.get("author") or []]
    assert any(p.particle for p in persons) and any(p.suffix for p in persons)
    assert any(p.literal for p in persons)
    assert any(not p.family.isascii() for p in persons)
    assert any(not r.get("author") for r in records)  # list-only records
    assert any(r.get("kind") == Kind.PREPRINT and r.get("arxiv") for r in records)
    assert any(r.get("kind") != Kind.PREPRINT and r.get("arxiv") for r in records)  # published + eprint
    assert any(len(r.sections) >= 3 for r in records)


def test_compare_notices_a_lost_field():
    """The comparison itself is sharp: a dropped page range and a changed name are both caught."""
    records = realistic_records()
    text = re.sub(r"  pages += \{521--538\},\n", "", bibtex_text(records), count=1)
    text = text.replace("Jeong, Joo Seong", "Jeong, Joo", 1)
    _, lost = compare(records, from_bibtexparser(text))
    assert any(item.startswith("yu2022orca.pages") for item in lost)
    assert any(item.startswith("yu2022orca.author[1]") for item in lost)
