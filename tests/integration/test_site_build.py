"""OUT/site/ as the build writes it: deterministic bytes, nothing rewritten when nothing changed,
stale downloads removed, every paper present without JavaScript, ``--no-site``, ``serve``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlsys_bib.build import build
from mlsys_bib.export.site import write_site
from tests.fakes.records import realistic_records


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-build")
    build(None, out, resolve=False)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_give_identical_bytes_and_rewrite_nothing(seed_out, tmp_path):
    other = tmp_path / "again"
    other.mkdir()
    (other / "keys.lock").write_bytes((seed_out / "keys.lock").read_bytes())
    build(None, other, resolve=False)
    assert _files(seed_out / "site") == _files(other / "site")
    mtimes = {p: p.stat().st_mtime_ns for p in (other / "site").rglob("*") if p.is_file()}
    time.sleep(0.02)
    build(None, other, resolve=False)
    assert {p: p.stat().st_mtime_ns for p in (other / "site").rglob("*") if p.is_file()} == mtimes


def test_every_paper_is_in_the_html_in_every_section(seed_out):
    html = (seed_out / "site" / "index.html").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),$", (seed_out / "mlsys.bib").read_text(encoding="utf-8"), re.M)
    assert keys
    for key in keys:
        assert f'id="{key}"' in html
    report_sections = (seed_out / "report.json").read_text(encoding="utf-8")
    assert html.count('<li class="paper"') == sum(int(n) for n in re.findall(r'"records": (\d+)\n\s*\}', report_sections))
    assert "<script>" not in html and 'src="data.js"' in html


def test_section_downloads_are_subsets_of_the_whole_list(seed_out):
    whole = (seed_out / "mlsys.bib").read_text(encoding="utf-8")
    bibs = sorted((seed_out / "site" / "dl").glob("*.bib"))
    assert bibs
    for path in bibs:
        for entry in re.findall(r"^@.*?^\}\n", path.read_text(encoding="utf-8"), re.S | re.M):
            assert entry in whole


def test_stale_files_are_removed_and_symlinks_refused(tmp_path):
    from mlsys_bib.build import write_exports
    from mlsys_bib.export.manifest import recording
    from tests.fakes.records import S_DATA

    records = realistic_records()
    out = tmp_path / "out"
    with recording(out):
        write_exports(records, out, refs=False)
        first = write_site(records, out)
    gone = [p for p in first.files if p.parent.name == "dl" and p.stem != S_DATA.slug]
    assert gone
    keep = out / "site" / "notes.txt"
    keep.write_text("mine")
    only = [r for r in records if [s for s in r.sections] == [S_DATA]]
    assert only
    with recording(out):
        write_exports(only, out, refs=False)
        report = write_site(only, out)
    assert keep.exists()
    assert set(report.removed) == set(gone) and not any(p.exists() for p in gone)
    assert report.pages == 1 and report.papers == len(only)
    link = tmp_path / "linked"
    link.mkdir()
    (link / "site").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    write_exports(records, link, refs=False)
    with pytest.raises(ValueError, match="symbolic link"):
        write_site(records, link)


def test_no_site_flag_and_serve(tmp_path, seed_out):
    env_cmd = [sys.executable, "-m", "mlsys_bib.cli", "-q", "build", "--no-resolve", "--out", str(tmp_path / "x"), "--no-site"]
    subprocess.run(env_cmd, check=True, capture_output=True)
    assert (tmp_path / "x" / "mlsys.bib").is_file() and not (tmp_path / "x" / "site").exists()
    proc = subprocess.Popen([sys.executable, "-m", "mlsys_bib.cli", "serve", "--out", str(seed_out), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/site/", line)
        assert match, line
        with urllib.request.urlopen(match.group(0) + "index.html") as reply:
            assert reply.status == 200 and b"MLSYS_SITE" not in reply.read(200)
        with urllib.request.urlopen(match.group(0).replace("/site/", "/mlsys.bib")) as reply:
            assert reply.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    missing = subprocess.run([sys.executable, "-m", "mlsys_bib.cli", "serve", "--out", str(tmp_path / "none")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no site" in missing.stderr
