"""SQLite store of raw service answers, keyed by (namespace, key).

Raw bodies, not parsed metadata, are stored so that a parser fix takes effect on the next run
without refetching anything. The database runs in WAL mode and every ``put_many`` is a single
transaction, so a process killed at any moment (kill -9 included) leaves either the old or the
new batch, never half of one; SQLite's own recovery replays or discards the WAL on next open.

Namespaces: ``arxiv`` (arXiv id without version), ``arxiv-search`` (normalised title),
``crossref`` (lower-case DOI), ``doi`` (DOI, content negotiation), ``dblp-toc`` (toc key),
``dblp-search`` (query).

Policy: failures (5xx, timeouts) are never stored; definitive misses (unknown arXiv id,
Crossref 404) are stored as *negative* entries that expire after ``negative_ttl_days``;
positive entries stay until ``--refresh``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from ..config import Settings

log = logging.getLogger(__name__)

#: Marks the file as ours (PRAGMA application_id), so a foreign SQLite file is refused.
APPLICATION_ID = 0x6D6C7362  # "mlsb"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    namespace    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    fetched_at   TEXT    NOT NULL,
    negative     INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""


class CacheError(Exception):
    """The cache file cannot be used (corrupt, foreign, newer schema, unwritable)."""


def now_iso() -> str:
    """The current time as ISO-8601 UTC with a ``Z`` suffix, second precision (interned: see
    :meth:`Cache.get_many`)."""
    return sys.intern(datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))


def parse_iso(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class CacheEntry:
    namespace: str
    key: str
    status: int
    content_type: str
    body: bytes
    fetched_at: str
    negative: bool


class Cache:
    """A process-safe (SQLite locking) and thread-safe (one connection behind a lock) store."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot create cache directory {self.path.parent}: {exc}") from None
        self._lock = threading.Lock()
        # A shared cache on a read-only file system (or a file this user may not write) is still
        # good for reading: it is opened read-only and lookups are simply not stored.
        self.readonly = self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        )
        try:
            self._db = self._connect()
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open cache {self.path}: {exc}") from None
        try:
            self._init()
        except sqlite3.OperationalError as exc:
            if self.readonly or "readonly" not in str(exc).replace("read-only", "readonly"):
                self._db.close()
                raise CacheError(f"cannot use cache {self.path}: {exc}") from None
            self._db.close()  # "attempt to write a readonly database": a read-only medium
            self.readonly = True
            self._db = self._connect()
            self._init()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise CacheError(
                f"cache file {self.path} is corrupt or not an mlsys-bib cache ({exc}); "
                "delete it (it only holds downloaded data) or pass another --cache path"
            ) from None
        except CacheError:
            self._db.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            log.warning("cache %s is read-only: lookups are read from it but not stored", self.path)
            uri = f"file:{quote(str(self.path))}?mode=ro&immutable=1"
            return sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)

    def _init(self) -> None:
        db = self._db
        if self.readonly:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise CacheError(f"{self.path} is not an mlsys-bib cache (and is read-only)")
            return
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id == 0 and not tables:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute(_SCHEMA)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        elif app_id != APPLICATION_ID:
            raise CacheError(
                f"{self.path} is an SQLite database that mlsys-bib did not create "
                f"(application_id {app_id:#x}, tables {sorted(tables)}); refusing to use it as a cache"
            )
        else:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CacheError(
                    f"cache {self.path} has schema version {version}, newer than this mlsys-bib "
                    f"({SCHEMA_VERSION}); upgrade mlsys-bib or use another cache path"
                )
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # e.g. a network file system; still atomic, just slower
            db.execute("PRAGMA journal_mode=DELETE")
        # NORMAL in WAL mode: a commit survives any process crash; only power loss may drop
        # the last transactions, which are merely re-downloaded.
        db.execute("PRAGMA synchronous=NORMAL")

    # -- reads ----------------------------------------------------------------------------------
    def get(self, namespace: str, key: str) -> CacheEntry | None:
        return self.get_many(namespace, [key]).get(key)

    def fresh(self, namespace: str, key: str, settings: Settings) -> CacheEntry | None:
        """The entry if it may answer instead of the network (:meth:`is_usable`), else None: the
        one question every client asks before a request."""
        entry = self.get(namespace, key)
        return entry if entry is not None and self.is_usable(entry, settings) else None

    def get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, CacheEntry]:
        """The stored entries of ``keys`` (those it has). Fetch times are interned: every value a
        service gives keeps its fetch time (``Provenance.fetched``), and a batch's thousands of
        answers share one second -- a list 100 times the seed held ~90,000 copies of a few
        dozen strings."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CacheEntry] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                try:
                    rows = self._db.execute(
                        "SELECT key, status, content_type, body, fetched_at, negative FROM entries "
                        f"WHERE namespace = ? AND key IN ({marks})",
                        [namespace, *chunk],
                    ).fetchall()
                except sqlite3.DatabaseError as exc:
                    raise CacheError(f"cannot read cache {self.path}: {exc}") from None
                for key, status, ctype, body, fetched, negative in rows:
                    fetched = sys.intern(fetched) if type(fetched) is str else fetched
                    found[key] = CacheEntry(
                        namespace, key, status, ctype, bytes(body), fetched, bool(negative)
                    )
        return found

    # -- writes ---------------------------------------------------------------------------------
    def put_many(self, entries: Iterable[CacheEntry]) -> None:
        """Store (replace) all ``entries`` in one transaction: all or nothing."""
        rows = [
            (e.namespace, e.key, int(e.status), e.content_type, bytes(e.body), e.fetched_at, int(e.negative))
            for e in entries
        ]
        if not rows or self.readonly:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO entries "
                        "(namespace, key, status, content_type, body, fetched_at, negative) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    # SQLite has already rolled back after some errors (a full disk): a second
                    # ROLLBACK would fail with "no transaction is active" and hide the real cause
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if "full" in str(exc).lower():
                    # A full disk must not cost the build its exports: stop storing, say so once.
                    log.warning("cache %s: disk full (%s): lookups are no longer stored", self.path, exc)
                    self.readonly = True
                    return
                raise CacheError(f"cannot write cache {self.path}: {exc}") from None

    def put(self, entry: CacheEntry) -> None:
        self.put_many([entry])

    def keep_latest(self, namespace: str, n: int) -> None:
        """Drop all but the ``n`` entries of ``namespace`` stored last: for derived data (remembered
        parses, one per list and code version) that must not grow without bound."""
        if self.readonly:
            return
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "DELETE FROM entries WHERE namespace = ? AND key NOT IN (SELECT key FROM entries "
                "WHERE namespace = ? ORDER BY fetched_at DESC, key LIMIT ?)",
                (namespace, namespace, n),
            )

    # -- policy ---------------------------------------------------------------------------------
    def is_usable(self, entry: CacheEntry, settings: Settings, *, now: datetime | None = None) -> bool:
        """Whether ``entry`` may answer a lookup instead of the network.

        Offline, everything stored is used (a stale answer beats none). Otherwise ``refresh``
        refetches everything, and negative entries expire after ``negative_ttl_days`` because
        a paper that was unknown last week may have been announced since.
        """
        if settings.offline:
            return True
        if settings.refresh:
            return False
        if not entry.negative:
            return True
        fetched = parse_iso(entry.fetched_at)
        if fetched is None:
            return False
        now = now or datetime.now(timezone.utc)
        return now - fetched < timedelta(days=settings.negative_ttl_days)

    def count(self, namespace: str | None = None) -> int:
        with self._lock:
            if namespace is None:
                return self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            row = self._db.execute("SELECT COUNT(*) FROM entries WHERE namespace = ?", (namespace,))
            return row.fetchone()[0]

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
