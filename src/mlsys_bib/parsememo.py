"""Remembered parses: ``check`` and ``stats`` answer in a fraction of the time when the list has not changed.

A parse is kept in the build's metadata cache (its own namespace), keyed by the list's text, its name and
a fingerprint of the code that parses it (every file of this package, the Markdown and text-repair
libraries, the Python version), so an edited list or an upgraded parser never meets an old answer. The
cache is used only when it already exists and may be written (a command that only reads a list creates
no file and prints no warning about it); the last :data:`KEEP` parses are kept, stored
as JSON (see :mod:`.parse.codec`), one transaction per entry (concurrent runs just store the same
answer twice). Any failure to read or store falls back to parsing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from .parse.result import ParsedList

__all__ = ["NAMESPACE", "code_fingerprint", "parse_remembered"]

NAMESPACE = "parsed-list"
FORMAT = "1"
#: Remembered parses kept (the last stored): several lists, a few code versions.
KEEP = 16
#: Libraries whose behaviour is part of the parse (their ``__init__`` carries their version).
_LIBRARIES = ("markdown_it", "mdurl", "ftfy", "wcwidth")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of everything a parse depends on besides the list: this package's files (code and
    data), the libraries' versions and the Python version."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".pyc"):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        digest.update(name.encode() + b"\0" + (Path(origin).read_bytes() if origin else b"-") + b"\0")
    return digest.hexdigest()


def parse_any(text: str, name: str) -> ParsedList:
    from .parse.shape import parse_any  # the parser (and markdown-it, ftfy) only when a parse is needed

    return parse_any(text, name=name)


def parse_remembered(text: str, name: str, cache_path: Path) -> ParsedList:
    """``parse_any(text, name=name)``, from the cache at ``cache_path`` when it holds this very parse."""
    writable = os.access(cache_path, os.W_OK) and os.access(cache_path.parent, os.W_OK)
    if not (cache_path.is_file() and writable):
        return parse_any(text, name)  # no cache yet, or one this user cannot write: just parse
    from .net.cache import Cache, CacheEntry
    from .parse import codec

    key = hashlib.sha256(
        b"\0".join([code_fingerprint().encode(), name.encode("utf-8", "surrogatepass"),
                    text.encode("utf-8", "surrogatepass")])
    ).hexdigest()  # fmt: skip
    try:
        cache = Cache(cache_path)
    except Exception:  # an unreadable cache must not stop a check
        return parse_any(text, name)
    try:
        entry = cache.get(NAMESPACE, key)
        if entry is not None:
            try:
                return codec.loads(entry.body)
            except (ValueError, TypeError, KeyError, IndexError):
                pass  # a damaged entry is parsed again and replaced
        parsed = parse_any(text, name)
        try:
            body = codec.dumps(parsed)
            fetched = datetime.now(timezone.utc).isoformat(timespec="microseconds")
            cache.put(CacheEntry(NAMESPACE, key, 200, "application/json", body, fetched, False))
            cache.keep_latest(NAMESPACE, KEEP)
        except Exception:  # not storable (or a full disk): the parse is still good
            pass
        return parsed
    finally:
        cache.close()
