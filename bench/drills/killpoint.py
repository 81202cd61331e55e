"""Run ``mlsys-bib ARGS`` in this process and SIGKILL itself at one exact point of the work.

    MLSYS_BIB_DRILL_KILL=cache-commit:3 python bench/drills/killpoint.py build --out exports

A timer or a server hook can only kill *near* a cache write or an export write; this runner
kills *inside* one, which is where a crash does the most harm:

``cache-commit:N``   the N-th SQLite COMMIT of the cache, after its rows were written and
                     before the COMMIT ran (the transaction is open, pages may be in the WAL);
``export-write:N``   the N-th atomic file write, after half of the bytes went to the
                     temporary file;
``export-rename:N``  the N-th atomic file write, complete and fsynced, before the rename;
``count``            no kill: at exit, print ``{"cache-commit": n, "export-write": m}`` on stderr's
                     last line, so a drill can draw N from the real range.

The process dies by ``os.kill(os.getpid(), SIGKILL)``: no ``finally``, no ``atexit``, no
flush, exactly like ``kill -9`` from outside. The CLI itself is the unmodified
``mlsys_bib.cli.main``; only ``sqlite3`` connections of the cache and ``os.fdopen``/``os.replace``
of temporary ``*.tmp`` files are wrapped.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
from typing import Any

COUNTS = {"cache-commit": 0, "export-write": 0}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Db:
    """A sqlite3 connection whose COMMITs are counted (and the chosen one never happens)."""

    def __init__(self, db: Any, target: int | None) -> None:
        self._db = db
        self._target = target

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.strip().upper() == "COMMIT":
            COUNTS["cache-commit"] += 1
            if COUNTS["cache-commit"] == self._target:
                _die()
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def _is_tmp(fd_or_path: Any) -> bool:
    try:
        path = os.readlink(f"/proc/self/fd/{fd_or_path}") if isinstance(fd_or_path, int) else str(fd_or_path)
    except OSError:
        return False
    return os.path.basename(path).startswith(".") and path.endswith(".tmp")


class _HalfFile:
    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        _die()
        return 0  # pragma: no cover

    def __enter__(self) -> _HalfFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


def install(spec: str) -> None:
    kind, _, n = spec.partition(":")
    target = int(n) if n else None
    if kind not in ("cache-commit", "export-write", "export-rename", "count"):
        raise SystemExit(f"killpoint: unknown kill point {spec!r}")

    from mlsys_bib.net import cache as cache_mod

    original_init = cache_mod.Cache.__init__
    commit_target = target if kind == "cache-commit" else None

    def init(self: Any, path: Any) -> None:
        import sqlite3

        connect = sqlite3.connect

        def wrapped_connect(*a: Any, **kw: Any) -> Any:
            return _Db(connect(*a, **kw), commit_target)

        sqlite3.connect = wrapped_connect  # type: ignore[assignment]
        try:
            original_init(self, path)
        finally:
            sqlite3.connect = connect  # type: ignore[assignment]

    cache_mod.Cache.__init__ = init  # type: ignore[method-assign]

    fdopen, replace = os.fdopen, os.replace
    write_target = target if kind == "export-write" else None
    rename_target = target if kind == "export-rename" else None

    def wrapped_fdopen(fd: int, *a: Any, **kw: Any) -> Any:
        fh = fdopen(fd, *a, **kw)
        if _is_tmp(fd):
            COUNTS["export-write"] += 1
            if COUNTS["export-write"] == write_target:
                return _HalfFile(fh)
        return fh

    renames = [0]

    def wrapped_replace(src: Any, dst: Any, *a: Any, **kw: Any) -> Any:
        if _is_tmp(src):
            renames[0] += 1
            if renames[0] == rename_target:
                _die()
        return replace(src, dst, *a, **kw)

    os.fdopen = wrapped_fdopen  # type: ignore[assignment]
    os.replace = wrapped_replace  # type: ignore[assignment]
    if kind == "count":
        atexit.register(lambda: print(json.dumps(COUNTS), file=sys.stderr, flush=True))


def main() -> int:
    spec = os.environ.get("MLSYS_BIB_DRILL_KILL", "count")
    install(spec)
    from mlsys_bib.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
