"""The manifest of files a build wrote into ``OUT``: the tool deletes only files it wrote.

A stale sweep (a renamed section leaves ``refs/apa/old-name.md`` behind) must never take a file that
is not ours: a user's ``refs/apa/notes.md``, a page they keep next to the exports. So every build
records what it writes, and at the end of a successful build saves the list to
``OUT/.mlsys-bib-manifest`` (one relative path a line, sorted, no dates: exports reproduce byte
for byte). A later build deletes a file only if that list names it and this build did not write
it again.

Writers need do nothing: every :func:`mlsys_bib.fsutil.atomic_write` under an open manifest's
directory is recorded (:func:`recording`; ``build`` opens one for ``OUT``). A file written some
other way (a copied asset) is noted with :func:`record`. A writer that owns a whole directory of
outputs (``refs/<style>/``, a static site's ``site/``) calls :func:`sweep` on it once it has written
everything there: the stale files the last build listed under it are deleted, nothing else.
A writer usable on its own (``write_refs``) wraps its work in ``recording(OUT)``: inside a build it
gets the build's manifest, alone it keeps and saves its own.

A directory without a manifest (built by an older version) has nothing swept: its stale files stay
until a build that wrote them is recorded, which is the safe side.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from .. import fsutil

MANIFEST_NAME = ".mlsys-bib-manifest"
_HEADER = (
    "# mlsys-bib: the files the last build wrote in this directory, relative to it, one a line.\n"
    "# A later build deletes a file only if it is listed here and no longer written; others are yours.\n"
)


def _relative(root: str, path: str | os.PathLike[str]) -> str | None:
    """``path`` relative to ``root`` with ``/`` separators, or None when it is not strictly inside."""
    full = os.path.abspath(path)
    if not full.startswith(root + os.sep):
        return None
    rel = full[len(root) + 1 :].replace(os.sep, "/")
    return rel if _valid(rel) else None


def _valid(rel: str) -> bool:
    """A path a manifest may name: relative, normalised, on one line, and not the manifest itself.

    A hand-edited (or hostile) manifest naming ``../../home/me/file`` or ``/etc/x`` is ignored line
    by line, so the sweep can never reach outside ``OUT``."""
    if not rel or rel == MANIFEST_NAME or rel.startswith("/") or "\\" in rel:
        return False
    if any(c in rel for c in "\n\r\x00"):
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


class Manifest:
    """The files of one output directory: those the last build listed, and those this one writes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._root = os.path.abspath(root)
        self.previous: frozenset[str] = frozenset(self._read())
        self.written: set[str] = set()
        self.removed: set[str] = set()
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.root / MANIFEST_NAME

    def _read(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []  # none yet, or unreadable: nothing is known to be ours, so nothing is swept
        return [line for line in text.split("\n") if line and not line.startswith("#") and _valid(line)]

    def record(self, path: str | os.PathLike[str]) -> None:
        """Note that this build wrote ``path`` (ignored when it lies outside the directory)."""
        rel = _relative(self._root, path)
        if rel is not None:
            with self._lock:
                self.written.add(rel)
                self.removed.discard(rel)

    def _ours_on_disk(self, rel: str) -> Path | None:
        """``rel`` as a regular file reached without following a symbolic link, else None."""
        current = self._root
        parts = rel.split("/")
        try:
            for part in parts[:-1]:
                current = os.path.join(current, part)
                if not stat.S_ISDIR(os.lstat(current).st_mode):  # a symlinked directory: not ours
                    return None
            full = os.path.join(current, parts[-1])
            if not stat.S_ISREG(os.lstat(full).st_mode):
                return None
        except OSError:
            return None
        return Path(self.root, *parts)

    def stale(self, directory: str | os.PathLike[str]) -> list[str]:
        """Files under ``directory`` the last build listed and this one has not written (sorted)."""
        if os.path.abspath(directory) == self._root:
            prefix = ""
        else:
            inside = _relative(self._root, directory)
            if inside is None:
                return []
            prefix = inside + "/"
        with self._lock:
            return sorted(r for r in self.previous - self.written - self.removed if r.startswith(prefix))

    def sweep(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Delete the stale files under ``directory`` (see :meth:`stale`); returns those removed.

        Call it once everything under ``directory`` is written. A listed file that is gone, was
        replaced by a symbolic link, or lies behind one is left alone; directories the removals
        emptied below ``directory`` are removed too."""
        removed: list[Path] = []
        top = os.path.abspath(directory)
        for rel in self.stale(directory):
            path = self._ours_on_disk(rel)
            with self._lock:
                self.removed.add(rel)
            if path is None:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
            parent = os.path.dirname(os.path.abspath(path))
            while parent != top and parent.startswith(top + os.sep):
                try:
                    os.rmdir(parent)  # only an empty directory goes
                except OSError:
                    break
                parent = os.path.dirname(parent)
        return removed

    def entries(self) -> list[str]:
        """What :meth:`save` writes: this build's files, and the last build's that are still there
        and were not swept (a build with ``--style apa`` keeps knowing ``refs/ieee/`` is ours)."""
        with self._lock:
            kept = {r for r in self.previous - self.removed if self._ours_on_disk(r) is not None}
            return sorted(self.written | kept)

    def save(self) -> None:
        """Write the manifest atomically (rewritten only when it changes)."""
        fsutil.atomic_write(self.path, _HEADER + "".join(f"{rel}\n" for rel in self.entries()))


_OPEN: list[Manifest] = []
_OPEN_LOCK = threading.Lock()


def record(path: str | os.PathLike[str]) -> None:
    """Note a file written other than by :func:`~mlsys_bib.fsutil.atomic_write` (a copied asset):
    every open manifest whose directory holds ``path`` lists it, so a later build may sweep it."""
    _record(Path(path))


def _record(path: Path) -> None:
    """fsutil's write hook: every open manifest whose directory holds ``path`` records it."""
    with _OPEN_LOCK:
        manifests = list(_OPEN)
    for manifest in manifests:
        manifest.record(path)


def current(root: str | os.PathLike[str]) -> Manifest | None:
    """The open manifest of output directory ``root``, if a build is recording one."""
    key = os.path.abspath(root)
    with _OPEN_LOCK:
        return next((m for m in reversed(_OPEN) if m._root == key), None)


@contextlib.contextmanager
def recording(root: str | os.PathLike[str]) -> Iterator[Manifest]:
    """Record every file written under ``root`` while the block runs; save the manifest when it ends
    without an exception (a failed build leaves the last good manifest in place).

    Re-entrant: inside a build, ``write_refs`` (or a site writer) opening ``recording(OUT)`` gets the
    build's manifest and leaves saving to the build."""
    existing = current(root)
    if existing is not None:
        yield existing
        return
    manifest = Manifest(root)
    with _OPEN_LOCK:
        _OPEN.append(manifest)
    try:
        yield manifest
    finally:
        with _OPEN_LOCK:
            _OPEN.remove(manifest)
    manifest.save()


def sweep(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete the stale files under ``directory`` known to the open manifest that covers it.

    Without one (nothing is recording), nothing is deleted: no file is known to be ours."""
    top = os.path.abspath(directory)
    with _OPEN_LOCK:
        manifests = [m for m in _OPEN if top == m._root or top.startswith(m._root + os.sep)]
    return manifests[-1].sweep(directory) if manifests else []


fsutil.add_write_hook(_record)
