"""The exports of the realistic records, fed to the programs users will feed them to.

bibtex (plain.bst), biber (--validate-datamodel), pandoc --citeproc (.bib and .json) and the
shared validator script (which adds the CSL schema and citeproc-js). Each test skips when its
program is missing. The helpers here are reused by test_hostile_exports.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SHARED

from mlsys_bib.export.bibtex import write_bibtex
from mlsys_bib.export.csljson import write_csl_json
from mlsys_bib.model import Kind
from mlsys_bib.styles import csl_style
from tests.fakes.records import make_record, realistic_records

VALIDATOR = SHARED / "tools" / "validate_exports.sh"
IEEE = csl_style("ieee")  # vendored: a fresh clone has it

# Warnings the realistic set must produce, and why: they report missing data, not broken files.
#   bibtex: @inproceedings requires an author ("empty author"); the author-less records carry a
#   ``key`` (their system name), so plain.bst can sort and label them.
#   biber: the same missing author, and @incollection requires an editor the record lacks.
EXPECTED_BIBTEX_WARNINGS = {
    "Warning--empty author in listonly2025nsdi",
}
EXPECTED_BIBER_WARNINGS = {
    "Missing mandatory field 'author'": {"listonly2025nsdi"},
    "Missing mandatory field 'editor'": {"smith2020chapter"},
}


def needs(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed")


def write_all(records, out: Path, *, ascii: bool = False) -> Path:
    """The three exports into ``out`` (mlsys.bib, mlsys-biblatex.bib, mlsys.json)."""
    write_bibtex(records, out / "mlsys.bib", ascii=ascii)
    write_bibtex(records, out / "mlsys-biblatex.bib", biblatex=True, ascii=ascii)
    write_csl_json(records, out / "mlsys.json")
    return out


@dataclass
class BibtexRun:
    returncode: int
    errors: int
    warnings: list[str]
    bbl: str
    log: str


def run_bibtex(bib: Path, style: str = "plain") -> BibtexRun:
    """bibtex on ``bib`` as a LaTeX run with \\nocite{*} would call it (no LaTeX needed)."""
    work = bib.parent / f"bibtex-{bib.stem}-{style}"
    work.mkdir(exist_ok=True)
    shutil.copy(bib, work / "refs.bib")
    (work / "check.aux").write_text(f"\\relax\n\\citation{{*}}\n\\bibstyle{{{style}}}\n\\bibdata{{refs}}\n")
    proc = subprocess.run(
        ["bibtex", "-terse", "check"], cwd=work, capture_output=True, text=True, timeout=120
    )
    log = (work / "check.blg").read_text(errors="replace")
    match = re.search(r"\(There (?:was|were) (\d+) error messages?\)", log)
    bbl = work / "check.bbl"
    return BibtexRun(
        proc.returncode,
        int(match.group(1)) if match else 0,
        re.findall(r"^Warning--.*$", log, re.M),
        bbl.read_text(errors="replace") if bbl.exists() else "",
        log,
    )


@dataclass
class BiberRun:
    returncode: int
    errors: list[str]
    warnings: list[str]


def run_biber(bib: Path) -> BiberRun:
    """biber --tool --validate-datamodel on ``bib``: ERROR and WARN lines, prefix stripped."""
    out_dir = bib.parent / f"biber-{bib.stem}"
    out_dir.mkdir(exist_ok=True)
    proc = subprocess.run(  # biber wants a bare file name when given an output directory
        ["biber", "--tool", "--validate-datamodel", f"--output-directory={out_dir.name}", bib.name],
        cwd=bib.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = proc.stdout.splitlines() + proc.stderr.splitlines()
    return BiberRun(
        proc.returncode,
        [line[len("ERROR - ") :] for line in lines if line.startswith("ERROR - ")],
        [line[len("WARN - ") :] for line in lines if line.startswith("WARN - ")],
    )


def run_pandoc(bibliography: Path, *, timeout: int = 120) -> tuple[int, str]:
    """(rendered reference count, plain text) of pandoc --citeproc citing everything."""
    md = bibliography.parent / f"{bibliography.name}.nocite.md"
    md.write_text("---\nnocite: '@*'\n---\n")
    args = ["pandoc", str(md), "--citeproc", f"--bibliography={bibliography}", "--to=json"]
    args.append(f"--csl={IEEE}")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=True)
    ast = json.loads(proc.stdout)
    count = _count_entries(ast["blocks"])
    text = subprocess.run(
        ["pandoc", "--from=json", "--to=plain", "--wrap=none"],
        input=proc.stdout,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout
    return count, text


def _count_entries(blocks) -> int:
    n = 0
    for block in blocks:
        if isinstance(block, dict):
            if block.get("t") == "Div" and "csl-entry" in block["c"][0][1]:
                n += 1
            n += _count_entries(block.get("c") if isinstance(block.get("c"), list) else [])
        elif isinstance(block, list):
            n += _count_entries(block)
    return n


# -- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ascii", [False, True], ids=["utf8", "ascii"])
def test_shared_validator_passes(tmp_path, ascii):
    if not VALIDATOR.is_file():
        pytest.skip(f"validator not found at {VALIDATOR}")
    needs("bibtex", "biber", "pandoc", "node")
    write_all(realistic_records(), tmp_path, ascii=ascii)
    proc = subprocess.run(
        ["bash", str(VALIDATOR), str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all 7 checks PASS" in proc.stdout, proc.stdout
    assert "FAIL" not in proc.stdout


@pytest.mark.parametrize("ascii", [False, True], ids=["utf8", "ascii"])
def test_bibtex_plain_has_no_errors_and_only_expected_warnings(tmp_path, ascii):
    needs("bibtex")
    write_all(realistic_records(), tmp_path, ascii=ascii)
    run = run_bibtex(tmp_path / "mlsys.bib")
    assert run.errors == 0 and run.returncode <= 1, run.log
    assert set(run.warnings) == EXPECTED_BIBTEX_WARNINGS
    assert run.bbl.count("\\bibitem") == len(realistic_records())


@pytest.mark.parametrize("name", ["mlsys.bib", "mlsys-biblatex.bib"])
def test_biber_validates_both_variants(tmp_path, name):
    needs("biber")
    write_all(realistic_records(), tmp_path)
    run = run_biber(tmp_path / name)
    assert run.errors == [] and run.returncode == 0
    seen: dict[str, set[str]] = {}
    for line in run.warnings:
        match = re.match(r"Datamodel: Entry '([^']+)' \([^)]*\): (.*)$", line)
        assert match, f"unexpected biber warning: {line}"
        seen.setdefault(match.group(2), set()).add(match.group(1))
    assert seen == EXPECTED_BIBER_WARNINGS


@pytest.mark.parametrize("name", ["mlsys.bib", "mlsys-biblatex.bib", "mlsys.json"])
def test_pandoc_renders_every_entry_and_keeps_protected_case(tmp_path, name):
    needs("pandoc")
    write_all(realistic_records(), tmp_path)
    count, text = run_pandoc(tmp_path / name)
    assert count == len(realistic_records())
    # pandoc sentence-cases .bib titles (not booktitles: they are braced whole); protected words
    # survive it. CSL-JSON titles are not case-changed by this style at all.
    sentence_cased = name.endswith(".bib")
    for word in (
        "PagedAttention",
        "FlashAttention-2",
        "GPU",
        "vLLM",
        "eBPF",
        "FP8-LM",
        "ZeRO",
        "PyTorch",
        "H100s",
        "I/O-bound" if sentence_cased else "I/O-Bound",
        "Bayesian",
        "Transformer-based" if sentence_cased else "Transformer-Based",
        "Symposium on Operating Systems Design and Implementation",
        "van der Schaar",
    ):
        assert word in text, (name, word)
    if sentence_cased:  # and ordinary words were still sentence-cased: nothing is over-protected
        assert "Efficient memory management for large language model serving" in text


def test_pandoc_prints_latex_specials_literally(tmp_path):
    """Every escape the exporter writes is one pandoc's BibLaTeX reader turns back into the char.

    The one exception, by design: an *unpaired* brace is written ``\\textbraceleft{}``, which
    bibtex, biber and LaTeX print but pandoc 2.17 drops (a literal ``\\{`` would unbalance the
    file for bibtex and biber).
    """
    needs("pandoc")
    title = r"X & b % c $ d # e _ f ~ g ^ h < i > j | k {l} m \ n"
    records = [make_record("specials2024", title, Kind.PREPRINT, year=2024, author=[])]
    write_all(records, tmp_path)
    for name in ("mlsys.bib", "mlsys.json"):
        count, text = run_pandoc(tmp_path / name)
        assert count == 1
        assert title in text.replace("“", "").replace("”", ""), (name, text)
