"""Citation keys: readable, unique, deterministic and stable.

Scheme: ``<name>-<venue><yy>`` built only from what the list itself says, e.g. ``orca-osdi22``,
``vllm-sosp23``, ``tensorsocket-arxiv24``. ``name`` is the system name before a colon
(``cedar: Composable ...`` -> ``cedar``) or else the first three significant title words.
Authors are deliberately not used: they arrive later from services, and a key must never
change when metadata arrives.

Stability across list edits comes from a lock file (``keys.lock``, JSON, committed beside
the exports): it maps each paper's identities (arXiv id, DOI, normalised title) to the key it
was first given. A locked paper keeps its key even if its title is edited or a paper with the
same name is added; new papers get the scheme's key, with ``-b``, ``-c``... appended on a
collision in list order. Without a lock file, keys depend only on the list.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .fsutil import atomic_write
from .text.titles import KEY_STOP_WORDS

_SLUG_MAX = 24


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: safe in BibTeX, biber, pandoc and CSL ids."""
    text = unicodedata.normalize("NFKD", text)
    text = text.replace("μ", "mu").replace("µ", "mu")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", text.lower())


_PREFIXES = ("poster:", "invited paper:", "short paper:", "demo:", "vision paper:")


def name_part(title: str) -> str:
    while title.lower().startswith(_PREFIXES):
        title = title.partition(":")[2].strip()
    head, sep, _ = title.partition(":")
    words = head.split()
    if sep and 1 <= len(words) <= 3:
        slug = ascii_slug(head)
        if slug:
            return slug[:_SLUG_MAX]
    significant = [w for w in re.split(r"[^\w]+", title) if w and w.lower() not in KEY_STOP_WORDS]
    slug = "".join(ascii_slug(w).capitalize() for w in significant[:3]).lower()
    return slug[:_SLUG_MAX] or "untitled"


def venue_part(venue: str, year: int | None) -> str:
    v = ascii_slug(venue) or "nd"
    return f"{v}{year % 100:02d}" if year else v


def base_key(title: str, venue: str, year: int | None) -> str:
    return f"{name_part(title)}-{venue_part(venue, year)}"


class KeyLock:
    """Identity -> key map persisted as sorted JSON so diffs of it are readable."""

    def __init__(self, entries: dict[str, str] | None = None, path: Path | None = None) -> None:
        self.entries: dict[str, str] = dict(entries or {})
        self.path = path

    @classmethod
    def load(cls, path: Path | None) -> KeyLock:
        if path is None or not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable key lock file ({exc})") from exc
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.get("keys", {}).items()
        ):
            raise ValueError(f"{path}: key lock file must be {{'keys': {{identity: key}}}}")
        return cls(data.get("keys", {}), path)

    def save(self) -> None:
        if self.path is None:
            return
        text = json.dumps({"keys": dict(sorted(self.entries.items()))}, indent=1, ensure_ascii=False)
        atomic_write(self.path, text + "\n")


def assign_keys(
    papers: list[tuple[list[str], str, str, int | None]], lock: KeyLock | None = None
) -> list[str]:
    """Keys for ``(identities, title, venue, year)`` tuples, in the given (list) order.

    Locked identities keep their key; every other paper gets its scheme key, suffixed on a
    collision with any key already taken (locked keys first, then earlier papers).
    """
    lock = lock or KeyLock()
    keys: list[str | None] = [None] * len(papers)
    taken: set[str] = set()
    for i, paper in enumerate(papers):
        # Any identity may carry the key (a title edited since, a DOI added); one shared with an
        # earlier paper (a copy-pasted link) may point at that paper's key, so take the first
        # locked key that is still free.
        for identity in paper[0]:
            key = lock.entries.get(identity)
            if key and key not in taken:
                keys[i] = key
                taken.add(key)
                break
    # Keys in the lock but not in this list stay reserved so a re-added paper gets its old key
    # back and no new paper steals it.
    taken |= set(lock.entries.values())
    for i, (_identities, title, venue, year) in enumerate(papers):
        if keys[i] is not None:
            continue
        base = base_key(title, venue, year)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{_suffix(n)}"
        keys[i] = key
        taken.add(key)
    result = [k for k in keys if k is not None]
    for (identities, *_rest), key in zip(papers, result, strict=True):
        for identity in identities:
            lock.entries.setdefault(identity, key)
    return result


def _suffix(n: int) -> str:
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters
