"""The SQLite cache: round trips, atomic batches, crash safety, expiry policy, bad files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import pytest

from mlsys_bib.config import Settings
from mlsys_bib.net.cache import Cache, CacheEntry, CacheError, now_iso, parse_iso


def entry(
    key: str, *, ns: str = "arxiv", body: bytes = b"<entry/>", negative: bool = False, fetched: str = ""
):
    return CacheEntry(ns, key, 200, "application/atom+xml", body, fetched or now_iso(), negative)


def test_round_trip_and_replace(tmp_path):
    path = tmp_path / "sub" / "dir" / "cache.sqlite"  # parent directories are created
    with Cache(path) as cache:
        assert cache.get("arxiv", "2401.00001") is None
        cache.put_many([entry("2401.00001"), entry("2401.00002", body=b"\x00\xffbinary")])
        got = cache.get("arxiv", "2401.00001")
        assert got is not None and got.body == b"<entry/>" and got.negative is False
        assert cache.get("crossref", "2401.00001") is None  # namespaces are separate
        cache.put_many([entry("2401.00001", body=b"new")])
        assert cache.get("arxiv", "2401.00001").body == b"new"
        many = cache.get_many("arxiv", ["2401.00001", "2401.00002", "nope"])
        assert set(many) == {"2401.00001", "2401.00002"}
        assert many["2401.00002"].body == b"\x00\xffbinary"
    with Cache(path) as again:  # persisted
        assert again.count("arxiv") == 2


def test_get_many_beyond_parameter_limit(tmp_path):
    with Cache(tmp_path / "c.sqlite") as cache:
        keys = [f"k{i}" for i in range(1200)]
        cache.put_many(entry(k) for k in keys)
        assert len(cache.get_many("arxiv", keys + ["absent"])) == 1200


def test_wal_mode(tmp_path):
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_many_is_all_or_nothing(tmp_path):
    with Cache(tmp_path / "c.sqlite") as cache:
        good = entry("good")
        bad = CacheEntry("arxiv", None, 200, "x", b"", now_iso(), False)  # type: ignore[arg-type]
        with pytest.raises(CacheError, match="cannot write cache"):
            cache.put_many([good, bad])
        assert cache.get("arxiv", "good") is None
        cache.put_many([good])  # the connection is still usable afterwards
        assert cache.get("arxiv", "good") is not None


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mlsys_bib.net.cache import Cache, CacheEntry
    cache = Cache(Path(sys.argv[1]))
    n = 0
    while True:
        cache.put_many(CacheEntry("batch", f"{n}:{i}", 200, "x", b"y" * 2000, "2026-01-01T00:00:00Z", False)
                       for i in range(50))
        n += 1
        if n == 3:
            print("ready", flush=True)
    """
)


def test_survives_kill_9_mid_write(tmp_path):
    path = tmp_path / "c.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Cache(path) as cache:
        assert cache._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = cache._db.execute("SELECT key FROM entries WHERE namespace = 'batch'").fetchall()
    per_batch: dict[str, int] = {}
    for (key,) in rows:
        per_batch[key.split(":")[0]] = per_batch.get(key.split(":")[0], 0) + 1
    assert len(per_batch) >= 3
    assert set(per_batch.values()) == {50}  # every committed batch is whole, none half-written


def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(CacheError) as info:
        Cache(path)
    assert str(path) in str(info.value)
    assert "corrupt" in str(info.value)


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (x TEXT)")
    with pytest.raises(CacheError, match="did not create"):
        Cache(path)
    with sqlite3.connect(path) as db:  # and it was left alone
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(CacheError, match="schema version 99"):
        Cache(path)


def test_empty_file_is_initialised(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"")
    with Cache(path) as cache:
        cache.put_many([entry("a")])
        assert cache.count() == 1


def test_usability_policy(tmp_path):
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    fresh = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    stale = (now - timedelta(days=8)).isoformat().replace("+00:00", "Z")
    base = Settings(cache_path=tmp_path / "c.sqlite")
    with Cache(base.cache_path) as cache:
        positive_old = entry("p", fetched="2001-01-01T00:00:00Z")
        neg_fresh = entry("n1", negative=True, fetched=fresh)
        neg_stale = entry("n2", negative=True, fetched=stale)
        assert cache.is_usable(positive_old, base, now=now)  # positives never expire
        assert cache.is_usable(neg_fresh, base, now=now)
        assert not cache.is_usable(neg_stale, base, now=now)  # negatives expire after 7 days
        longer = Settings(cache_path=base.cache_path, negative_ttl_days=30)
        assert cache.is_usable(neg_stale, longer, now=now)
        refresh = Settings(cache_path=base.cache_path, refresh=True)
        assert not cache.is_usable(positive_old, refresh, now=now)
        assert not cache.is_usable(neg_fresh, refresh, now=now)
        offline = Settings(cache_path=base.cache_path, offline=True)
        assert cache.is_usable(neg_stale, offline, now=now)  # offline, a stale answer beats none
        assert not cache.is_usable(entry("x", negative=True, fetched="garbage"), base, now=now)


def test_iso_helpers():
    stamp = now_iso()
    assert stamp.endswith("Z") and parse_iso(stamp) is not None
    assert parse_iso("2026-01-01T00:00:00").tzinfo is not None
    assert parse_iso("yesterday") is None


def test_two_handles_share_one_file(tmp_path):
    path = tmp_path / "c.sqlite"
    with Cache(path) as a, Cache(path) as b:
        a.put_many([entry("from-a")])
        b.put_many([entry("from-b")])
        assert set(a.get_many("arxiv", ["from-a", "from-b"])) == {"from-a", "from-b"}


def test_a_read_only_cache_is_read_not_called_corrupt(tmp_path, monkeypatch):
    """Issue 11 row 9: a valid cache on a read-only medium was diagnosed as corrupt ("delete it")."""
    import os

    from mlsys_bib.net.cache import Cache, CacheEntry

    path = tmp_path / "shared.sqlite"
    with Cache(path) as cache:
        cache.put(CacheEntry("arxiv", "2401.00001", 200, "application/atom+xml", b"<feed/>", "2025-01-01T00:00:00Z", False))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with Cache(path) as cache:
        assert cache.readonly
        assert cache.get("arxiv", "2401.00001").body == b"<feed/>"  # reading works
        cache.put(CacheEntry("arxiv", "2401.00002", 200, "x", b"y", "2025-01-01T00:00:00Z", False))  # not stored
        assert cache.get("arxiv", "2401.00002") is None


def test_a_full_disk_stops_caching_and_says_so_instead_of_failing(tmp_path, caplog):
    """Issue 11 row 8: SQLITE_FULL was hidden by "cannot rollback - no transaction is active"."""
    from mlsys_bib.net.cache import Cache, CacheEntry

    with Cache(tmp_path / "c.sqlite") as cache:
        pages = cache._db.execute("PRAGMA page_count").fetchone()[0]
        cache._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from now on
        big = [CacheEntry("dblp-toc", f"k{i}", 200, "application/json", b"x" * 4000, "2025-01-01T00:00:00Z", False)
               for i in range(50)]  # fmt: skip
        cache.put_many(big)  # no exception: the build goes on and writes its exports
        assert cache.readonly and cache.count() == 0
        assert any("disk full" in r.getMessage() for r in caplog.records)
