"""``mlsys-bib verify`` end to end: the bundled list as the curated set, exit codes, JSON, the fix
read back by the real bibtex and biber, hostile input, and ``--online`` against the loopback fakes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlsys_bib.cli import main
from mlsys_bib.config import Settings
from mlsys_bib.verification import FindingKind as K
from mlsys_bib.verification import MatchBy, verify

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"

# vLLM is tagged SOSP'23 in the list and links its arXiv preprint: citing the preprint is a finding
# even with list data only (no cache), which is what a fresh clone has.
PAPER = r"""@article{kwon2023efficient,
  title   = {Efficient Memory Management for Large Language Model Serving with PagedAttention},
  author  = {Kwon, Woosuk and Li, Zhuohan and Zhuang, Siyuan and others},
  journal = {arXiv preprint arXiv:2309.06180},
  year    = {2023}
}
@inproceedings{made_up,
  title     = {Holistic Kernel Weaving for Planet-Scale Models},
  author    = {Doe, Jane},
  booktitle = {OSDI},
  year      = {2024}
}
"""


def _run(capsys, *args):
    code = main(["-q", "verify", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_reports_findings_and_exits_1(tmp_path, capsys):
    bib = tmp_path / "paper.bib"
    bib.write_text(PAPER, encoding="utf-8")
    code, out, _ = _run(capsys, bib, "--json")
    assert code == 1
    data = json.loads(out)
    rows = {r["key"]: r for r in data["results"]}
    assert rows["made_up"]["match"] == MatchBy.NONE.value
    kinds = {f["kind"] for f in rows["kwon2023efficient"]["findings"]}
    assert "preprint_published" in kinds
    pre = next(f for f in rows["kwon2023efficient"]["findings"] if f["kind"] == "preprint_published")
    assert "SOSP" in pre["curated"] and pre["source"].startswith("list")
    code, out, _ = _run(capsys, bib)
    assert f"{bib}:1: kwon2023efficient: warning: cites preprint" in out


def test_cli_exit_0_on_a_clean_file_and_2_on_bad_input(tmp_path, capsys):
    clean = tmp_path / "clean.bib"
    clean.write_text("@misc{x, title = {Nothing the list has}}\n", encoding="utf-8")
    assert _run(capsys, clean)[0] == 0
    code, _, err = _run(capsys, tmp_path / "missing.bib")
    assert code == 2 and "missing.bib: no such file" in err and len(err.splitlines()) == 1
    binary = tmp_path / "latin1.bib"
    binary.write_bytes(b"@misc{x, title = {Caf\xe9}}\n")
    code, _, err = _run(capsys, binary)
    assert code == 2 and "latin1.bib: not UTF-8" in err


def test_hostile_input_never_crashes(tmp_path, capsys):
    hostile = (
        "@misc{a, title = {" + "\\input{/etc/passwd}" * 2000 + "}}\n"
        "@misc{b, title = {}}}}}}}\n"
        "@misc{c, author = {" + " and ".join(["X, Y"] * 5000) + "}}\n"
        "@@@@\n@misc{\n@comment{ {{{ }\n"
        "@misc{d, title = {" + "a" * 300_000 + "}}\n"
        "@misc{e, title = {Efficient Memory Management for Large Language Model Serving with PagedAttention}}\n"
    )
    bib = tmp_path / "hostile.bib"
    bib.write_text(hostile, encoding="utf-8")
    code, out, err = _run(capsys, bib, "--json", "--fix", tmp_path / "out.bib")
    assert code == 1, err
    data = json.loads(out)
    assert any(r["match"] == "not readable" and "longer than" in r["detail"] for r in data["results"])
    assert any(r["key"] == "e" and r["match"] == "title" for r in data["results"])


@pytest.mark.skipif(not (shutil.which("bibtex") and shutil.which("biber")), reason="bibtex/biber not installed")
def test_fixed_copy_is_read_by_bibtex_and_biber(tmp_path, capsys):
    bib = tmp_path / "paper.bib"
    bib.write_text(PAPER, encoding="utf-8")
    fixed = tmp_path / "fixed.bib"
    _run(capsys, bib, "--fix", fixed)
    assert fixed.is_file() and bib.read_text(encoding="utf-8") == PAPER
    assert "@inproceedings{kwon2023efficient," in fixed.read_text(encoding="utf-8")
    (tmp_path / "doc.aux").write_text(
        "\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{fixed}\n", encoding="utf-8")
    run = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0 and "error message" not in run.stdout, run.stdout
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    assert "kwon2023efficient" in bbl and "made_up" in bbl
    # biber's tool mode reads the file as biblatex would (no document needed)
    run = subprocess.run(["biber", "--tool", "--nolog", "--output-file", "tool.bib", "fixed.bib"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0 and "ERROR" not in run.stdout, run.stdout
    assert "kwon2023efficient" in (tmp_path / "tool.bib").read_text(encoding="utf-8")


def test_online_looks_up_entries_outside_the_curated_set_and_offline_asks_nothing(tmp_path):
    from tests.fakes.services import FakeServices

    bib = tmp_path / "paper.bib"
    bib.write_text(PAPER.replace("journal = {arXiv preprint arXiv:2309.06180}",
                                 "journal = {arXiv preprint arXiv:2309.06180}, eprint = {2309.06180}"),
                   encoding="utf-8")
    with FakeServices(SEED) as fs:
        base = fs.url.rstrip("/")
        settings = Settings.from_env(arxiv_url=base, crossref_url=base, doi_url=base, dblp_url=base,
                                     cache_path=tmp_path / "c.sqlite", progress=False,
                                     min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0})
        offline = verify(bib, records=[], settings=settings)
        assert sum(fs.stats.requests.values()) == 0
        assert all(e.match is MatchBy.NONE for e in offline.entries)
        online = verify(bib, records=[], settings=settings, online=True)
        assert sum(fs.stats.requests.values()) >= 1
    row = next(e for e in online.entries if e.key == "kwon2023efficient")
    assert row.match is MatchBy.ARXIV and "services" in row.detail
    assert K.AUTHORS_TRUNCATED in {f.kind for f in row.findings}


def test_api_is_exported():
    import mlsys_bib

    assert mlsys_bib.verify is verify
    assert "verify" in subprocess.run([sys.executable, "-m", "mlsys_bib.cli", "--help"],
                                      capture_output=True, text=True).stdout
