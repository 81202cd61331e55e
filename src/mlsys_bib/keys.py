"""Citation keys: readable, unique, deterministic and stable.

Scheme (2): ``<name>-<venue><yy>`` built only from what the list itself says, e.g. ``orca-osdi22``,
``vllm-sosp23``, ``tensorsocket-arxiv24``. ``name`` is the list's alias for the system
(``(`PAI`)``), else the system name before a colon (``cedar: Composable ...`` -> ``cedar``), else a
well-known system name from ``data/system_names.toml`` (vLLM's title has no colon), else the first
significant title words, as many whole words as fit in 24 characters: a key is never cut mid-word.
Authors are deliberately not used: they arrive later from services, and a key must never
change when metadata arrives.

Scheme 1 cut the title words at 24 characters (``heterogeneityawarecluste-osdi20``). A lock written
under scheme 1 is re-keyed once: every paper gets its scheme-2 key, the old key is remembered in
the lock's ``renamed`` map (biblatex ``ids``, ``keys-renamed.tsv``), and from then on keys are
frozen by the lock as before.

Stability across list edits comes from a lock file (``keys.lock``, JSON, committed beside
the exports): it maps each paper's identities (arXiv id, DOI, normalised title) to the key it
was first given. A locked paper keeps its key even if its title is edited or a paper with the
same name is added; new papers get the scheme's key, with ``-b``, ``-c``... appended on a
collision in list order. Without a lock file, keys depend only on the list.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path

from .fsutil import atomic_writer

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from .text.titles import KEY_STOP_WORDS, normalise

_SLUG_MAX = 24
_WORD_MAX = 32  # a single word longer than this (a run-together name) is cut after all
SCHEME = 2


class KeyLockError(ValueError):
    """keys.lock says something impossible (two papers, one key): named, never guessed around."""


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: safe in BibTeX, biber, pandoc and CSL ids."""
    text = unicodedata.normalize("NFKD", text)
    text = text.replace("μ", "mu").replace("µ", "mu").replace("λ", "lambda")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", text.lower())


_PREFIXES = ("poster:", "invited paper:", "short paper:", "demo:", "vision paper:")


@functools.lru_cache(maxsize=1)
def system_names() -> dict[str, str]:
    """Normalised title -> system name, for famous papers whose title does not name the system."""
    text = resources.files("mlsys_bib").joinpath("data/system_names.toml").read_text("utf-8")
    table = tomllib.loads(text).get("names", {})
    return {normalise(title): name for title, name in table.items()}


def system_name(title: str, aliases: Sequence[str] = ()) -> str:
    """The name a reader knows the paper by, as written (``vLLM``, ``PAI``, ``cedar``), or ""."""
    for alias in aliases:
        if 1 <= len(ascii_slug(alias)) <= _SLUG_MAX:
            return alias.strip()
    while title.lower().startswith(_PREFIXES):
        title = title.partition(":")[2].strip()
    head, sep, _ = title.partition(":")
    if sep and 1 <= len(head.split()) <= 3 and 1 <= len(ascii_slug(head)) <= _SLUG_MAX:
        return head.strip()
    return system_names().get(normalise(title), "")


def significant_words(title: str) -> list[str]:
    while title.lower().startswith(_PREFIXES):
        title = title.partition(":")[2].strip()
    return [w for w in re.split(r"[^\w]+", title) if w and w.lower() not in KEY_STOP_WORDS]


def name_part(title: str, aliases: Sequence[str] = ()) -> str:
    """The key's name: the system name, else whole significant title words up to 24 characters."""
    name = ascii_slug(system_name(title, aliases))
    if name:
        return name[:_WORD_MAX]
    slug = ""
    for n, word in enumerate(significant_words(title)[:3]):
        piece = ascii_slug(word)
        # whole words only: up to 24 characters, but two words when they fit in 32 (one word such
        # as "accelerating" says too little)
        if slug and len(slug) + len(piece) > (_WORD_MAX if n == 1 else _SLUG_MAX):
            break
        slug += piece
    return slug[:_WORD_MAX] or "untitled"


#: The venue part of a key: no venue acronym is longer (``ieeemicro``, ``hotstorage``).
_VENUE_MAX = 16
#: A whole key (name, ``-``, venue, year) stays under this, before any ``-b`` suffix; the list's
#: longest is 39 (``understandingcharacterizing-ieeemicro25``), so no existing key changes.
KEY_MAX = 40


def venue_part(venue: str, year: int | None) -> str:
    v = ascii_slug(venue[:1000])[:_VENUE_MAX] or "nd"
    return f"{v}{year % 100:02d}" if year else v


def base_key(title: str, venue: str, year: int | None, aliases: Sequence[str] = ()) -> str:
    """``name-venueYY``; the venue part, then the name, shortened when together over :data:`KEY_MAX`."""
    name, where = name_part(title, aliases), venue_part(venue, year)
    over = len(name) + 1 + len(where) - KEY_MAX
    if over > 0:
        yy = f"{year % 100:02d}" if year else ""
        v = where[: len(where) - len(yy)]
        v = v[: max(8, len(v) - over)]
        where = v + yy
        name = name[: KEY_MAX - 1 - len(where)]
    return f"{name}-{where}"


class KeyLock:
    """Identity -> key map persisted as sorted JSON so diffs of it are readable.

    ``renamed`` maps each key retired by the one-time re-key to its new key; ``scheme`` is the
    key scheme the lock was written under (a file without it was written under scheme 1).
    """

    def __init__(
        self,
        entries: dict[str, str] | None = None,
        path: Path | None = None,
        *,
        scheme: int = SCHEME,
        renamed: dict[str, str] | None = None,
    ) -> None:
        self.entries: dict[str, str] = dict(entries or {})
        self.path = path
        self.scheme = scheme
        self.renamed: dict[str, str] = dict(renamed or {})

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
        renamed = data.get("renamed", {})
        if not isinstance(renamed, dict) or not all(isinstance(v, str) for v in renamed.values()):
            raise ValueError(f"{path}: 'renamed' must map old keys to new keys")
        scheme = data.get("scheme", 1)
        if not isinstance(scheme, int):
            raise ValueError(f"{path}: 'scheme' must be a number")
        lock = cls(data.get("keys", {}), path, scheme=scheme, renamed=renamed)
        lock._check_titles_only()
        return lock

    def line_of(self, identity: str) -> int | None:
        """The line of ``identity``'s entry in the lock file (one entry per line, as :meth:`save`
        writes it), for ``keys.lock:LINE`` in errors; None when unknown."""
        if self.path is None:
            return None
        needle = json.dumps(identity, ensure_ascii=False) + ":"
        try:
            lines = self.path.read_text(encoding="utf-8").split("\n")
        except OSError:
            return None
        return next((n for n, line in enumerate(lines, 1) if line.strip().startswith(needle)), None)

    def where(self, identity: str) -> str:
        if self.path is None:
            return ""
        line = self.line_of(identity)
        return f"{self.path}:{line}: " if line else f"{self.path}: "

    def _check_titles_only(self) -> None:
        """Two titles locked to one key with no identifier between them are two papers sharing a
        key: this tool never writes that (a paper gets a second title entry only through an
        identifier it kept), so the lock was edited. Refused while both papers are listed and also
        after one leaves the list, when the other would silently take its key."""
        by_key: dict[str, list[str]] = collections.defaultdict(list)
        for identity, key in self.entries.items():
            by_key[key].append(identity)
        for key, identities in sorted(by_key.items()):
            titles = [i for i in identities if i.startswith("title:")]
            if len(titles) > 1 and len(titles) == len(identities):
                first, second = sorted(titles, key=lambda i: self.line_of(i) or 0)[:2]
                raise KeyLockError(
                    f"{self.where(second)}key {key!r} is locked to two papers: "
                    f"{first.removeprefix('title:')[:80]!r} (line {self.line_of(first)}) and "
                    f"{second.removeprefix('title:')[:80]!r} (line {self.line_of(second)}), with no "
                    "identifier linking them; give one of them its own key"
                )

    def former_keys(self, key: str) -> list[str]:
        """The keys this key replaced (biblatex ``ids``: documents citing them still compile)."""
        return sorted(old for old, new in self.renamed.items() if new == key)

    def save(self) -> None:
        """Write the lock as ``json.dumps(..., indent=1, ensure_ascii=False)`` would, entry by entry:
        a list 100 times the seed has 175,000 identities, and the whole text (four bytes a character
        once one title has an emoji) need not be held."""
        if self.path is None:
            return
        with atomic_writer(self.path) as fh:
            fh.write(f'{{\n "scheme": {json.dumps(self.scheme)},\n "keys": ')
            _write_object(fh.write, self.entries)
            if self.renamed:
                fh.write(',\n "renamed": ')
                _write_object(fh.write, self.renamed)
            fh.write("\n}\n")


def _write_object(write: Callable[[str], object], entries: Mapping[str, str]) -> None:
    """``entries`` sorted, as the value of a top-level field of ``json.dumps(indent=1)``."""
    if not entries:
        write("{}")
        return
    dump = json.JSONEncoder(ensure_ascii=False).encode
    separator = "{\n"
    for k, v in sorted(entries.items()):
        write(f"{separator}  {dump(k)}: {dump(v)}")
        separator = ",\n"
    write("\n }")


Paper = tuple[list[str], str, str, "int | None", Sequence[str]]


def assign_keys(papers: list[tuple], lock: KeyLock | None = None) -> list[str]:  # type: ignore[type-arg]
    """Keys for ``(identities, title, venue, year[, aliases])`` tuples, in the given (list) order.

    Locked identities keep their key; every other paper gets its scheme key, suffixed on a
    collision with any key already taken (locked keys first, then earlier papers). A lock from an
    older scheme is re-keyed first (see the module docstring).
    """
    lock = lock if lock is not None else KeyLock()
    papers = [(p[0], p[1], p[2], p[3], p[4] if len(p) > 4 else ()) for p in papers]
    if lock.scheme < SCHEME:
        _rekey(papers, lock)
    keys: list[str | None] = [None] * len(papers)
    owner: dict[str, int] = {}
    for i, paper in enumerate(papers):
        # Any identity may carry the key (a title edited since, a DOI added); one shared with an
        # earlier paper (a copy-pasted link) may point at that paper's key, so take the first
        # locked key that is still free.
        for identity in paper[0]:
            key = lock.entries.get(identity)
            if not key:
                continue
            if key in owner:
                _check_shared(lock, papers, owner[key], i, identity, key)
                continue
            keys[i] = key
            owner[key] = i
            break
    # Keys in the lock but not in this list stay reserved so a re-added paper gets its old key
    # back and no new paper steals it; retired keys stay reserved too.
    taken = set(owner) | set(lock.entries.values()) | set(lock.renamed)
    for i, (_identities, title, venue, year, aliases) in enumerate(papers):
        if keys[i] is not None:
            continue
        keys[i] = _free(base_key(title, venue, year, aliases), taken)
        taken.add(keys[i])  # type: ignore[arg-type]
    result = [k for k in keys if k is not None]
    for (identities, *_rest), key in zip(papers, result, strict=True):
        for identity in identities:
            lock.entries.setdefault(identity, key)
    return result


def _free(base: str, taken: set[str]) -> str:
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{_suffix(n)}"
    return key


def _check_shared(lock: KeyLock, papers: list, first: int, second: int, identity: str, key: str) -> None:  # type: ignore[type-arg]
    """Two papers may share an identity (a link pasted under both); a lock entry that gives the
    second paper's *own* identity the first paper's key says the two are one paper: refuse it."""
    if identity in papers[first][0]:
        return
    where = lock.where(identity)
    raise KeyLockError(
        f"{where}key {key!r} is locked to two papers: {papers[first][1][:80]!r} and "
        f"{papers[second][1][:80]!r} (entry {identity!r}); give one of them its own key"
    )


def _rekey(papers: list, lock: KeyLock) -> None:  # type: ignore[type-arg]
    """The one-time move to the current scheme: every listed paper gets its new key; its old key
    is kept in ``lock.renamed`` and stays reserved, so no other paper can ever take it."""
    # A paper's old key is that of an identity only it has: a link pasted under two papers (one
    # OpenReview id for TurboMoE and Dense Backpropagation) must not hand one paper the other's key.
    shared = collections.Counter(i for p in papers for i in set(p[0]))
    old_keys = [
        next((lock.entries[i] for i in sorted(p[0], key=lambda i: shared[i] > 1) if i in lock.entries), None)
        for p in papers
    ]
    listed = {k for k in old_keys if k}
    reserved = {k for k in lock.entries.values() if k not in listed}  # papers no longer listed
    taken = set(reserved) | set(lock.renamed)
    new_keys = []
    for (_identities, title, venue, year, aliases), old in zip(papers, old_keys, strict=True):
        base = base_key(title, venue, year, aliases)
        key = old if old and old == base else _free(base, taken | listed - {old} if old else taken)
        taken.add(key)
        new_keys.append(key)
    for paper, old, new in zip(papers, old_keys, new_keys, strict=True):
        for identity in paper[0]:
            if lock.entries.get(identity) == old:
                lock.entries[identity] = new
        if old and old != new:
            lock.renamed[old] = new
    lock.scheme = SCHEME


def _suffix(n: int) -> str:
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters
