"""Atomic file output: a reader (or a killed run) never sees a half-written export."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

_UMASK_LOCK = threading.Lock()
_WRITE_HOOKS: list[Callable[[Path], None]] = []


def add_write_hook(hook: Callable[[Path], None]) -> None:
    """Call ``hook(path)`` for every file :func:`atomic_write` or :func:`atomic_writer` writes (or
    finds already up to date).

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


def _prepare(path: str | os.PathLike[str]) -> Path:
    """What every write does first: the directory exists, the write hooks (the export manifest)
    hear of the file, and temporaries a killed run left beside it are swept up, so exports/ never
    accumulates (or commits) half-written files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for hook in _WRITE_HOOKS:
        hook(path)
    _sweep_once(path.parent)
    return path


def _temporary(path: Path) -> tuple[int, str]:
    """A new temporary beside ``path``, named ``.NAME.mlsys-bib-PID-RANDOM.tmp`` (the shape
    :data:`_OURS` recognises), with an ordinary file's mode: mkstemp creates 0600, an export is
    readable as the umask allows."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.mlsys-bib-{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
    try:
        os.fchmod(fd, 0o666 & ~_umask())
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return fd, tmp


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place.

    rename() within one directory is atomic on POSIX, so ``path`` holds either the old or the
    new content, whatever moment the process dies at.
    """
    path = _prepare(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.stat().st_size == len(payload) and path.read_bytes() == payload:
            return  # unchanged: no rewrite, no fsync, no mtime churn for make/latexmk
    except OSError:
        pass
    fd, tmp = _temporary(path)
    try:
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


def _same_bytes(a: Path, b: Path) -> bool:
    """Do two files hold the same bytes? Compared in blocks: neither is read whole."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            while True:
                block = fa.read(1 << 20)
                if block != fb.read(1 << 20):
                    return False
                if not block:
                    return True
    except OSError:
        return False


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text stream whose content replaces ``path`` atomically when the block ends cleanly.

    The streaming form of :func:`atomic_write`, for exports too large to hold as one string
    (a 100x list's BibTeX is ~35 MB of text, twice over while encoded): written piece by piece
    to a temporary beside ``path``, fsynced, renamed into place; an unchanged file is left
    alone (no mtime churn), and an exception leaves ``path`` as it was.
    """
    path = _prepare(path)
    fd, tmp = _temporary(path)
    try:
        with open(fd, "w", encoding="utf-8", newline="", buffering=1 << 20) as fh:
            yield fh
            fh.flush()
            if _same_bytes(Path(tmp), path):
                os.unlink(tmp)  # unchanged: no rewrite, no fsync, no mtime churn for make/latexmk
                return
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
