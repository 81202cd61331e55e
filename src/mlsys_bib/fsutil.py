"""Atomic file output: a reader (or a killed run) never sees a half-written export."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

_UMASK_LOCK = threading.Lock()
_WRITE_HOOKS: list[Callable[[Path], None]] = []


def add_write_hook(hook: Callable[[Path], None]) -> None:
    """Call ``hook(path)`` for every file :func:`atomic_write` writes (or finds already up to date).

    The export manifest (:mod:`mlsys_bib.export.manifest`) learns this way what a build wrote,
    whatever writer wrote it."""
    if hook not in _WRITE_HOOKS:
        _WRITE_HOOKS.append(hook)


def _umask() -> int:
    """The process umask (reading it means setting it; the lock keeps that race-free)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_SWEPT: set[Path] = set()
_SWEPT_LOCK = threading.Lock()


def _sweep_once(directory: Path) -> None:
    """Remove temporaries a killed run left in ``directory``: once per directory and process.

    Once per write would cost a directory listing per file, quadratic in an export's ~300 files.
    """
    key = directory.resolve()
    with _SWEPT_LOCK:
        if key in _SWEPT:
            return
        _SWEPT.add(key)
    for stale in directory.glob(".*.tmp"):
        # only our own temporaries (".NAME.mlsys-bib-PID-RANDOM.tmp"), and only those of a run that
        # is gone: two builds writing one directory at once must not delete each other's files,
        # and a user's ".notes.tmp" is none of our business
        match = _OURS.match(stale.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                stale.unlink()


_OURS = re.compile(r"^\..+\.mlsys-bib-(\d+)-[^./]+\.tmp$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's live process
        return True
    return True


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place.

    rename() within one directory is atomic on POSIX, so ``path`` holds either the old or the
    new content, whatever moment the process dies at.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for hook in _WRITE_HOOKS:
        hook(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # A run killed between mkstemp and rename leaves its temporary behind; the next write of the
    # same file sweeps it up, so exports/ never accumulates (or commits) half-written files.
    _sweep_once(path.parent)
    try:
        if path.stat().st_size == len(payload) and path.read_bytes() == payload:
            return  # unchanged: no rewrite, no fsync, no mtime churn for make/latexmk
    except OSError:
        pass
    prefix = f".{path.name}.mlsys-bib-{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; an export is an ordinary file, readable as the umask allows.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
