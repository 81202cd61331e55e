"""The manifest of written files (issue 11 row 11): the tool deletes only files it wrote."""

from __future__ import annotations

import pytest

from mlsys_bib.export.manifest import MANIFEST_NAME, Manifest, current, record, recording, sweep
from mlsys_bib.fsutil import atomic_write


def _listed(out) -> list[str]:
    return [line for line in (out / MANIFEST_NAME).read_text().splitlines() if not line.startswith("#")]


def test_every_atomic_write_under_out_is_listed_sorted_and_nothing_outside(tmp_path):
    out = tmp_path / "out"
    with recording(out):
        atomic_write(out / "refs" / "apa" / "b.md", "b")
        atomic_write(out / "mlsys.bib", "x")
        atomic_write(out / "refs" / "apa" / "a.md", "a")
        atomic_write(tmp_path / "elsewhere.lock", "not under out")
        atomic_write(out / "mlsys.bib", "x")  # unchanged: still written by this build
    assert _listed(out) == ["mlsys.bib", "refs/apa/a.md", "refs/apa/b.md"]
    assert current(out) is None  # closed


def test_the_manifest_is_byte_identical_for_the_same_files(tmp_path):
    for name in ("a", "b"):
        with recording(tmp_path / name):
            for rel in ("z.txt", "m/n.md", "a.json"):
                atomic_write(tmp_path / name / rel, rel)
    assert (tmp_path / "a" / MANIFEST_NAME).read_bytes() == (tmp_path / "b" / MANIFEST_NAME).read_bytes()


def test_a_sweep_takes_only_what_the_last_build_listed(tmp_path):
    out = tmp_path / "out"
    style = out / "refs" / "apa"
    with recording(out):
        for name in ("old.md", "old.html", "kept.md"):
            atomic_write(style / name, name)
    (style / "notes.md").write_text("the user's")
    (style / "page.html").write_text("the user's")
    with recording(out) as manifest:
        atomic_write(style / "kept.md", "kept.md")
        atomic_write(style / "new.md", "new.md")
        removed = sweep(style)
        assert manifest.stale(style) == []
    assert sorted(p.name for p in removed) == ["old.html", "old.md"]
    assert sorted(p.name for p in style.iterdir()) == ["kept.md", "new.md", "notes.md", "page.html"]
    assert _listed(out) == ["refs/apa/kept.md", "refs/apa/new.md"]


def test_without_a_manifest_nothing_is_swept(tmp_path):
    out = tmp_path / "out"
    (out / "refs" / "apa").mkdir(parents=True)
    (out / "refs" / "apa" / "from-an-older-version.md").write_text("x")
    with recording(out):
        assert sweep(out / "refs" / "apa") == []
    assert (out / "refs" / "apa" / "from-an-older-version.md").exists()
    assert sweep(out / "refs" / "apa") == []  # and nothing at all when no build is recording


def test_files_outside_the_swept_directory_stay_listed(tmp_path):
    """A build with --style apa sweeps refs/apa only; refs/ieee is still known to be ours."""
    out = tmp_path / "out"
    with recording(out):
        atomic_write(out / "refs" / "apa" / "a.md", "a")
        atomic_write(out / "refs" / "ieee" / "a.md", "a")
    with recording(out):
        atomic_write(out / "refs" / "apa" / "b.md", "b")
        sweep(out / "refs" / "apa")
    assert not (out / "refs" / "apa" / "a.md").exists() and (out / "refs" / "ieee" / "a.md").exists()
    assert _listed(out) == ["refs/apa/b.md", "refs/ieee/a.md"]


def test_a_failed_build_keeps_the_last_manifest(tmp_path):
    out = tmp_path / "out"
    with recording(out):
        atomic_write(out / "a.md", "a")
    before = (out / MANIFEST_NAME).read_bytes()
    with pytest.raises(RuntimeError), recording(out):
        atomic_write(out / "b.md", "b")
        raise RuntimeError("the build failed half-way")
    assert (out / MANIFEST_NAME).read_bytes() == before


def test_recording_is_reentrant_and_the_outer_one_saves(tmp_path):
    out = tmp_path / "out"
    with recording(out) as outer:
        with recording(out) as inner:
            assert inner is outer
            atomic_write(out / "a.md", "a")
        assert not (out / MANIFEST_NAME).exists()
    assert _listed(out) == ["a.md"]


def test_a_hand_edited_manifest_cannot_reach_outside_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    (out / "sub").mkdir()
    (out / MANIFEST_NAME).write_text(f"../victim.txt\n{victim}\nsub/../../victim.txt\n./x\n\n{MANIFEST_NAME}\n")
    manifest = Manifest(out)
    assert manifest.previous == frozenset()
    with recording(out):
        assert sweep(out) == []
    assert victim.read_text() == "mine"


def test_a_listed_file_behind_or_replaced_by_a_symlink_is_left_alone(tmp_path):
    out = tmp_path / "out"
    with recording(out):
        atomic_write(out / "refs" / "apa" / "a.md", "a")
        atomic_write(out / "refs" / "acm" / "a.md", "a")
    users = tmp_path / "users"
    users.mkdir()
    (users / "a.md").write_text("the user's")
    (out / "refs" / "apa" / "a.md").unlink()
    (out / "refs" / "apa" / "a.md").symlink_to(users / "a.md")  # the file became a link
    for p in (out / "refs" / "acm").iterdir():
        p.unlink()
    (out / "refs" / "acm").rmdir()
    (out / "refs" / "acm").symlink_to(users)  # the directory became a link
    with recording(out):
        assert sweep(out / "refs") == []
    assert (users / "a.md").read_text() == "the user's"


def test_a_sweep_removes_directories_it_emptied_but_not_the_swept_one(tmp_path):
    out = tmp_path / "out"
    with recording(out):
        atomic_write(out / "site" / "papers" / "x" / "index.html", "x")
        atomic_write(out / "site" / "kept" / "index.html", "k")
    with recording(out):
        atomic_write(out / "site" / "kept" / "index.html", "k")
        assert [p.name for p in sweep(out / "site")] == ["index.html"]
    assert not (out / "site" / "papers").exists() and (out / "site").is_dir()


def test_a_file_written_another_way_is_recorded_on_request(tmp_path):
    import shutil

    out = tmp_path / "out"
    (tmp_path / "style.css").write_text("body {}")
    with recording(out):
        (out / "site").mkdir(parents=True)
        shutil.copyfile(tmp_path / "style.css", out / "site" / "style.css")
        record(out / "site" / "style.css")
    assert _listed(out) == ["site/style.css"]
    with recording(out):
        assert [p.name for p in sweep(out / "site")] == ["style.css"]
