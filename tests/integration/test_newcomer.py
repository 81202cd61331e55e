"""A newcomer's experience (issue 11): offline decides in seconds, a bad --list URL is one line,
SIGTERM/SIGHUP end a run with one line, exit 128 + signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

OFFLINE = {f"MLSYS_BIB_{s}_URL": "http://127.0.0.1:9" for s in ("ARXIV", "CROSSREF", "DOI", "DBLP")}


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **OFFLINE, "MLSYS_BIB_CACHE": str(tmp_path / "c.sqlite")}


def test_a_refused_list_url_is_one_line_and_exit_2(tmp_path):
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "mlsys_bib.cli", "check", "--list", "http://127.0.0.1:9/l.md"],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "127.0.0.1:9/l.md" in proc.stderr
    assert time.monotonic() - started < 10  # a refused connection is not retried


def test_without_network_the_build_decides_at_once(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mlsys_bib.cli", "build", "--no-refs", "--out", str(tmp_path / "x")],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "requests: arxiv 1, crossref 1, dblp 1" in proc.stdout  # one refused try per service
    assert "network unreachable (arxiv, crossref, dblp, dblp-sparql)" in proc.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_the_run_with_one_line(tmp_path, sig):
    listing = tmp_path / "list.md"
    listing.write_text("# L\n\n## 1. A\n" + "".join(f"- [arXiv'24] Paper number {i}: x\n" for i in range(50)))
    # a service that accepts and never answers keeps the build waiting until the signal comes
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    env = {**_env(tmp_path), **{k: url for k in OFFLINE}, "MLSYS_BIB_TIMEOUT": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "mlsys_bib.cli", "build", "--list", str(listing),
                             "--out", str(tmp_path / "x")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip
    try:
        time.sleep(3)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        server.close()
    assert proc.returncode == 128 + sig, (proc.returncode, err[-500:])
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith(f"mlsys-bib: stopped by {sig.name}") and "Traceback" not in err


def test_a_list_that_lost_most_records_does_not_replace_good_exports(tmp_path):
    from mlsys_bib.cli import main

    good = tmp_path / "good.md"
    good.write_text("# L\n\n## 1. A\n" + "".join(f"- [OSDI'22] System{i}: a paper\n" for i in range(10)))
    bad = tmp_path / "bad.md"
    bad.write_text("# L\n\n## 1. A\n- [OSDI'22] Lonely: one paper\n")
    out = tmp_path / "out"
    args = ["-q", "build", "--offline", "--no-refs", "--out", str(out), "--cache", str(tmp_path / "c.sqlite")]
    assert main([*args, "--list", str(good)]) == 0
    before = (out / "mlsys.bib").read_bytes()
    assert main([*args, "--list", str(bad)]) == 1
    assert (out / "mlsys.bib").read_bytes() == before  # untouched
    assert main([*args, "--list", str(bad), "--allow-shrink"]) == 0
    assert (out / "mlsys.bib").read_bytes() != before


def test_a_build_sweeps_only_its_own_dead_temporaries_and_never_writes_through_a_symlink(tmp_path):
    import os as _os

    from mlsys_bib.export.refs import write_refs
    from mlsys_bib.fsutil import atomic_write
    from mlsys_bib.model import Kind
    from tests.fakes.records import make_record

    out = tmp_path / "out"
    out.mkdir()
    mine_dead = out / ".mlsys.bib.mlsys-bib-999999999-abc.tmp"  # a killed run's temporary
    live = out / f".mlsys.json.mlsys-bib-{_os.getppid()}-xyz.tmp"  # another live run's (our parent lives)
    user = out / ".notes.tmp"
    for f in (mine_dead, live, user):
        f.write_text("x")
    atomic_write(out / "mlsys.bib", "new")
    assert not mine_dead.exists() and live.exists() and user.exists()

    target = tmp_path / "users-own-dir"
    target.mkdir()
    (target / "notes.md").write_text("mine")
    (out / "refs").mkdir()
    (out / "refs" / "apa").symlink_to(target)
    records = [make_record("a2024", "A Paper", Kind.PREPRINT, year=2024)]
    try:
        write_refs(records, out, styles=("apa",))
    except ValueError as exc:
        assert "symbolic link" in str(exc)
    else:
        raise AssertionError("writing through a symlinked refs directory must be refused")
    assert (target / "notes.md").read_text() == "mine" and sorted(p.name for p in target.iterdir()) == ["notes.md"]


def test_a_build_deletes_only_files_a_build_wrote(tmp_path):
    """Row 11: the refs sweep removed every *.md/*.html/*.txt in refs/<style>/ that the run did not
    write, a user's notes too. Now only files the last build's manifest lists are removed."""
    from mlsys_bib.cli import main
    from mlsys_bib.export.manifest import MANIFEST_NAME

    out = tmp_path / "out"
    apa = out / "refs" / "apa"
    apa.mkdir(parents=True)
    users = {"notes.md": "mine", "page.html": "<p>mine</p>", "notes.txt": "mine", ".a.b.tmp": "mine"}
    for name, text in users.items():
        (apa / name).write_text(text)
    listing = tmp_path / "l.md"
    args = ["-q", "build", "--offline", "--style", "apa", "--list", str(listing), "--out", str(out),
            "--cache", str(tmp_path / "c.sqlite")]  # fmt: skip
    listing.write_text("# L\n\n## Old Name\n- [OSDI'22] Orca: a paper\n\n## Kept\n- [SOSP'23] Tulip: b\n")
    assert main(args) == 0
    assert (apa / "old-name.md").exists()
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and p.name not in users and p.name != MANIFEST_NAME)  # fmt: skip
    listed = [line for line in (out / MANIFEST_NAME).read_text().splitlines() if not line.startswith("#")]
    assert listed == written and "keys.lock" in listed and "refs/apa/old-name.md" in listed
    listing.write_text("# L\n\n## New Name\n- [OSDI'22] Orca: a paper\n\n## Kept\n- [SOSP'23] Tulip: b\n")
    assert main(args) == 0
    assert not any(apa.glob("old-name.*")) and (apa / "new-name.md").exists()
    assert {name: (apa / name).read_text() for name in users} == users


def test_a_second_build_of_one_out_waits_for_the_first(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    lock = os.open(out, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a build in progress
    listing = tmp_path / "l.md"
    listing.write_text("# L\n\n## 1. A\n- [OSDI'22] Orca: a paper\n")
    proc = subprocess.Popen([sys.executable, "-m", "mlsys_bib.cli", "-q", "build", "--offline", "--no-refs",
                             "--list", str(listing), "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(tmp_path))  # fmt: skip
    time.sleep(2)
    assert proc.poll() is None and not (out / "mlsys.bib").exists()  # waiting, nothing written
    os.close(lock)  # the first build ends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and (out / "mlsys.bib").exists()
    assert "another build is writing" in err and len(err.strip().splitlines()) == 1
