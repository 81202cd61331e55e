"""The streaming writers give the very bytes of the whole-file writers they replaced.

The references below are the writers as they were: bibtexparser's ``write_string`` over a
whole Library, ``json.dumps`` of the whole item list, the RDF lines joined at the end. The
streaming ones write entry by entry into a temporary file, then replace the export atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.model import ImplicitComment
from bibtexparser.writer import BibtexFormat
from fakes.records import make_record, realistic_records

from mlsys_bib.build import load_list
from mlsys_bib.export import bibtex, zotero_rdf
from mlsys_bib.export.bibtex import HEADER, bibtex_entry, bibtex_text, write_bibtex
from mlsys_bib.export.csljson import csl_items, csl_json_text, write_csl_json
from mlsys_bib.export.zotero_rdf import write_zotero_rdf, zotero_rdf_text
from mlsys_bib.fsutil import atomic_writer
from mlsys_bib.model import Kind, Record


def _library_bibtex(records: list[Record], *, biblatex: bool = False, ascii: bool = False) -> str:
    library = bibtexparser.Library()
    name = "mlsys-biblatex.bib" if biblatex else "mlsys.bib"
    library.add(ImplicitComment(HEADER.format(name=name, encoding="ASCII with LaTeX accents" if ascii else "UTF-8")))
    for record in records:
        library.add(bibtex_entry(record, biblatex=biblatex, ascii=ascii))
    fmt = BibtexFormat()
    fmt.indent = "  "
    fmt.value_column = "auto"
    fmt.block_separator = "\n"
    fmt.trailing_comma = False
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=fmt)


def _whole_json(records: list[Record]) -> str:
    return json.dumps(csl_items(records), indent=2, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def record_sets() -> dict[str, list[Record]]:
    return {"seed": load_list().records, "realistic": realistic_records(), "empty": [],
            "one": realistic_records()[:1]}  # fmt: skip


@pytest.mark.parametrize("which", ["seed", "realistic", "empty", "one"])
@pytest.mark.parametrize(("biblatex", "ascii"), [(False, False), (True, False), (False, True), (True, True)])
def test_bibtex_streams_the_librarys_bytes(record_sets, tmp_path: Path, which: str, biblatex: bool, ascii: bool) -> None:
    records = record_sets[which]
    expected = _library_bibtex(records, biblatex=biblatex, ascii=ascii)
    assert bibtex_text(records, biblatex=biblatex, ascii=ascii) == expected
    write_bibtex(records, tmp_path / "x.bib", biblatex=biblatex, ascii=ascii)
    assert (tmp_path / "x.bib").read_bytes() == expected.encode("utf-8")


@pytest.mark.parametrize("guess", [1, 5, 11, 13, 30])
def test_a_wrong_width_guess_is_rewritten_not_kept(record_sets, tmp_path: Path, monkeypatch, guess: int) -> None:
    """Values align one column past the file's longest field name, whatever the guess was."""
    monkeypatch.setattr(bibtex, "USUAL_NAME_WIDTH", guess)
    for records in record_sets.values():
        for biblatex in (False, True):
            expected = _library_bibtex(records, biblatex=biblatex)
            assert bibtex_text(records, biblatex=biblatex) == expected
            write_bibtex(records, tmp_path / "x.bib", biblatex=biblatex)
            assert (tmp_path / "x.bib").read_text(encoding="utf-8") == expected
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("which", ["seed", "realistic", "empty", "one"])
def test_csl_json_streams_the_whole_dumps_bytes(record_sets, tmp_path: Path, which: str) -> None:
    records = record_sets[which]
    expected = _whole_json(records)
    assert csl_json_text(records) == expected
    write_csl_json(records, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_bytes() == expected.encode("utf-8")


@pytest.mark.parametrize("which", ["seed", "realistic", "empty", "one"])
def test_zotero_rdf_streams_the_joined_lines(record_sets, tmp_path: Path, which: str) -> None:
    records = record_sets[which]
    w = zotero_rdf._Writer()
    pieces: list[str] = []
    zotero_rdf._write_rdf(pieces.append, records)
    text = zotero_rdf_text(records)
    assert text == "".join(pieces) and text.endswith("</rdf:RDF>\n") and "\n\n" not in text
    assert not w.lines
    write_zotero_rdf(records, tmp_path / "x.rdf")
    assert (tmp_path / "x.rdf").read_text(encoding="utf-8") == text


def test_duplicate_keys_leave_the_export_as_it_was(tmp_path: Path) -> None:
    good = realistic_records()
    twice = [*good, make_record(good[0].key, "Another Paper", Kind.PREPRINT)]
    for write, name in ((write_bibtex, "x.bib"), (write_csl_json, "x.json"), (write_zotero_rdf, "x.rdf")):
        write(good, tmp_path / name)
        before = (tmp_path / name).read_bytes()
        with pytest.raises(ValueError, match="duplicate citation key"):
            write(twice, tmp_path / name)
        assert (tmp_path / name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bib", "x.json", "x.rdf"]


def test_an_unchanged_export_is_not_rewritten(tmp_path: Path) -> None:
    records = realistic_records()
    path = tmp_path / "x.bib"
    write_bibtex(records, path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino
    write_bibtex(records, path)
    assert path.stat().st_mtime_ns == 1_000_000_000 and path.stat().st_ino == inode
    write_bibtex(records[1:], path)
    assert path.stat().st_mtime_ns != 1_000_000_000


def test_atomic_writer_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_writer(path) as fh:
        fh.write("half a fi")
        raise RuntimeError("killed")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_writer(path) as fh:
        fh.write("new\r\nline\n")
    assert path.read_bytes() == b"new\r\nline\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
