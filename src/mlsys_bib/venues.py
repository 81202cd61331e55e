"""The venue table: what a tag's acronym stands for, and how a reference names that venue.

The table is data (``data/venues.toml``) so that adding a venue never needs code. It is read once,
checked strictly (a typo in a key, a kind or a host must fail loudly at load time, not turn into a
silently wrong BibTeX entry later) and indexed by every spelling a tag may use.
"""

from __future__ import annotations

import re
import string
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .model import Kind
from .text.titles import normalise

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["TABLE_KINDS", "Venue", "all_venues", "find_venue", "lookup", "parse_table", "same_venue"]

#: The kinds a venue can have; chapters and reports describe single works, never a venue.
TABLE_KINDS: tuple[Kind, ...] = (Kind.PROCEEDINGS, Kind.JOURNAL, Kind.PREPRINT)

#: Organisation prefixes that tags add or leave out ("ACM CSUR" / "CSUR"); tried only when the
#: spelling as written is not in the table, so "IEEE MICRO" (the magazine) stays distinct from MICRO.
_PREFIXES: tuple[str, ...] = ("acm/ieee ", "ieee/acm ", "acm ", "ieee ", "usenix ")

_KEYS: dict[str, type] = {
    "acronym": str,
    "name": str,
    "kind": str,
    "publisher": str,
    "aliases": list,
    "proceedings": bool,
    "container": str,
    "workshop": bool,
    "host": str,
    "dblp_toc": str,
    "dblp_toc_from": int,
    "dblp_toc_until": int,
    "volume_offset": int,
    "dblp_toc_size": int,
    "dblp_streams": list,
}
#: A DBLP stream key (``conf/asplos``, ``journals/pacmmod``): the only shape the venue table accepts
#: and the only one a SPARQL query is built from (sources.dblp_sparql).
DBLP_STREAM = re.compile(r"^(?:conf|journals)/[a-z0-9_-]+$")
_PLACEHOLDERS = frozenset({"year", "volume"})


@dataclass(frozen=True)
class Venue:
    """One venue of the table. The first eight fields are the shared API; the rest refine it.

    ``proceedings`` is false for venues without a "Proceedings of ..." volume (OpenReview-only
    conferences, non-archival workshops); ``container`` is a fixed container title that replaces the
    generated one (NeurIPS: "Advances in Neural Information Processing Systems");
    ``dblp_toc_from``/``dblp_toc_until`` bound the years in which ``dblp_toc`` has the right shape;
    ``volume_offset`` turns a year into a journal volume (PVLDB: 2023 - 2007 = vol. 16).
    """

    acronym: str
    name: str
    kind: Kind
    publisher: str = ""
    aliases: tuple[str, ...] = ()
    dblp_toc: str = ""
    workshop: bool = False
    host: str = ""
    proceedings: bool = True
    container: str = ""
    dblp_toc_from: int | None = None
    dblp_toc_until: int | None = None
    volume_offset: int | None = None
    dblp_toc_size: int = 0  # papers in one year's TOC, roughly: large TOCs cost several pages
    dblp_streams: tuple[str, ...] = ()  # DBLP streams the venue publishes in (conf/asplos, ...)

    def label(self, year: int | None = None) -> str:
        """The short form used in citations: ``OSDI '22``, ``ES-FoMo @ ICML '24``, ``arXiv``."""
        text = f"{self.acronym} @ {self.host}" if self.host else self.acronym
        return f"{text} '{year % 100:02d}" if year is not None else text

    def container_title(self, year: int | None) -> str:
        """The title of the container a paper of this venue appears in.

        - journals and preprint servers: the journal name ("Proceedings of the VLDB Endowment",
          "arXiv"); the year belongs in the date, not the title;
        - proceedings with a fixed series title: that title ("Advances in Neural Information
          Processing Systems", "Proceedings of Machine Learning and Systems");
        - other proceedings: ``Proceedings of the <name> (<ACRONYM> 'YY)``, the form ACM and USENIX
          print, without the edition ordinal, which the list does not give; a hosted workshop
          shows its host: ``(EuroMLSys @ EuroSys '24)``;
        - venues without proceedings (ICLR, non-archival workshops): ``<name> (<ACRONYM> 'YY)``.
        """
        if self.kind is not Kind.PROCEEDINGS:
            return self.name
        if self.container:
            return self.container
        title = f"{self.name} ({self.label(year)})"
        if not self.proceedings or self.name.startswith("Proceedings"):
            return title
        return f"Proceedings of the {title}"

    def volume(self, year: int) -> int | None:
        """The journal volume of ``year`` for journals with one volume per year, else None."""
        if self.volume_offset is None:
            return None
        number = year - self.volume_offset
        return number if number > 0 else None

    @property
    def streams(self) -> tuple[str, ...]:
        """The DBLP streams to look for this venue's papers in: the table's ``dblp_streams``, else
        the stream of its TOC key (``db/conf/osdi/osdi{year}.bht`` -> ``conf/osdi``)."""
        if self.dblp_streams:
            return self.dblp_streams
        parts = self.dblp_toc.split("/")
        return ("/".join(parts[1:3]),) if len(parts) >= 4 and parts[0] == "db" else ()

    def toc_key(self, year: int) -> str | None:
        """The DBLP table-of-contents key of ``year`` (``db/conf/osdi/osdi2022.bht``), or None.

        None when the table gives no key for this venue, when ``year`` lies outside the years
        the key's shape is known to hold, or when the key needs a volume that cannot be derived.
        """
        if not self.dblp_toc:
            return None
        if self.dblp_toc_from is not None and year < self.dblp_toc_from:
            return None
        if self.dblp_toc_until is not None and year > self.dblp_toc_until:
            return None
        volume = self.volume(year)
        if volume is None and "{volume}" in self.dblp_toc:
            return None
        return self.dblp_toc.format(year=year, volume=volume)


@dataclass(frozen=True)
class _Table:
    venues: tuple[Venue, ...]
    exact: dict[str, Venue]
    compact: dict[str, Venue | None]  # None marks a compact spelling two venues share


def _key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def _compact(key: str) -> str:
    return re.sub(r"[\s\-_.]+", "", key)


def _fail(source: str, entry: str, message: str) -> ValueError:
    return ValueError(f"{source}: venue {entry}: {message}")


def _check_entry(raw: object, index: int, source: str) -> dict[str, Any]:
    """Type-check one ``[[venue]]`` table and return it with defaults applied."""
    entry = f"#{index + 1}"
    if not isinstance(raw, dict):
        raise _fail(source, entry, "is not a table")
    if isinstance(raw.get("acronym"), str) and raw["acronym"].strip():
        entry = f"{raw['acronym']!r}"
    for name, value in raw.items():
        if name not in _KEYS:
            raise _fail(source, entry, f"unknown key {name!r} (known: {', '.join(_KEYS)})")
        if not isinstance(value, _KEYS[name]) or (_KEYS[name] is int and isinstance(value, bool)):
            raise _fail(source, entry, f"{name} must be of type {_KEYS[name].__name__}")
    for name in ("acronym", "name", "kind"):
        if not str(raw.get(name, "")).strip():
            raise _fail(source, entry, f"missing {name}")
    allowed = ", ".join(k.value for k in TABLE_KINDS)
    if raw["kind"] not in {k.value for k in TABLE_KINDS}:
        raise _fail(source, entry, f"unknown kind {raw['kind']!r} (allowed: {allowed})")
    aliases = raw.get("aliases", [])
    if not all(isinstance(a, str) and a.strip() for a in aliases):
        raise _fail(source, entry, "aliases must be non-empty strings")
    if raw.get("host") and not raw.get("workshop"):
        raise _fail(source, entry, "host is only meaningful for a workshop")
    toc = raw.get("dblp_toc", "")
    if toc:
        fields = {f for _, f, _, _ in string.Formatter().parse(toc) if f is not None}
        if not fields or not fields <= _PLACEHOLDERS:
            raise _fail(source, entry, f"dblp_toc {toc!r} must use {{year}} or {{volume}} and nothing else")
        if "volume" in fields and "volume_offset" not in raw:
            raise _fail(source, entry, "dblp_toc uses {volume} but volume_offset is missing")
    streams = raw.get("dblp_streams", [])
    if not all(isinstance(x, str) and DBLP_STREAM.match(x) for x in streams):
        raise _fail(source, entry, f"dblp_streams {streams!r} must be DBLP streams like 'conf/asplos'")
    return raw


def _index(venues: list[Venue], source: str) -> _Table:
    """Index every spelling; a spelling claimed twice is an error naming both entries."""
    exact: dict[str, Venue] = {}
    compact: dict[str, Venue | None] = {}
    for venue in venues:
        for spelling in (venue.acronym, *venue.aliases):
            key = _key(spelling)
            other = exact.get(key)
            if other is not None:
                where = "itself" if other is venue else f"venue {other.acronym!r}"
                raise _fail(
                    source, repr(venue.acronym), f"duplicate alias {spelling!r} (already used by {where})"
                )
            exact[key] = venue
            short = _compact(key)
            if short in compact and compact[short] is not venue:
                compact[short] = None
            else:
                compact[short] = venue
    return _Table(tuple(venues), exact, compact)


def _build(text: str, source: str) -> _Table:
    data = tomllib.loads(text)
    extra = set(data) - {"venue"}
    if extra:
        raise ValueError(f"{source}: unknown top-level keys {sorted(extra)}; expected [[venue]] tables")
    rows = data.get("venue", [])
    if not isinstance(rows, list):
        raise ValueError(f"{source}: 'venue' must be an array of tables ([[venue]])")
    checked = [_check_entry(row, i, source) for i, row in enumerate(rows)]
    venues = [
        Venue(
            acronym=row["acronym"].strip(),
            name=row["name"].strip(),
            kind=Kind(row["kind"]),
            publisher=row.get("publisher", "").strip(),
            aliases=tuple(a.strip() for a in row.get("aliases", [])),
            dblp_toc=row.get("dblp_toc", ""),
            workshop=row.get("workshop", False),
            host=row.get("host", "").strip(),
            proceedings=row.get("proceedings", True),
            container=row.get("container", "").strip(),
            dblp_toc_from=row.get("dblp_toc_from"),
            dblp_toc_until=row.get("dblp_toc_until"),
            volume_offset=row.get("volume_offset"),
            dblp_toc_size=row.get("dblp_toc_size", 0),
            dblp_streams=tuple(row.get("dblp_streams", [])),
        )
        for row in checked
    ]
    table = _index(venues, source)
    # A host must be a venue of the table, spelled canonically, so that citations can name it.
    for venue in venues:
        if venue.host:
            host = table.exact.get(_key(venue.host))
            if host is None:
                raise _fail(source, repr(venue.acronym), f"host {venue.host!r} is not a venue of the table")
            if host.acronym != venue.host:
                raise _fail(
                    source, repr(venue.acronym), f"host {venue.host!r} should be spelled {host.acronym!r}"
                )
    return table


def parse_table(text: str, source: str = "venues.toml") -> list[Venue]:
    """Parse and validate a venue table given as TOML text; raises ValueError naming the entry.

    Public so that tests and tools can check a candidate table without installing it.
    """
    return list(_build(text, source).venues)


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = resources.files("mlsys_bib").joinpath("data/venues.toml").read_text(encoding="utf-8")
    return _build(text, "mlsys_bib/data/venues.toml")


def all_venues() -> list[Venue]:
    """Every venue of the bundled table, in file order."""
    return list(_table().venues)


#: Names up to this length are looked up once per process (a list names its few venues thousands of
#: times); a longer one (a hostile megabyte tag) is looked up each time and never kept.
_REMEMBERED_NAME = 200


def lookup(name: str) -> Venue | None:
    """The venue ``name`` denotes: an acronym or alias, compared case-insensitively.

    Tolerant, in this order, of: differences in spacing, hyphens and dots ("ES-FoMO", "esfomo"), and a
    leading "ACM "/"IEEE "/"USENIX " the table does not spell ("ACM CSUR", "USENIX NSDI"). A tolerant
    match is used only when exactly one venue fits; an exact spelling always wins, so "IEEE MICRO" is
    the magazine and "MICRO" the symposium.
    """
    return _lookup_remembered(name) if len(name) <= _REMEMBERED_NAME else _lookup(name)


@lru_cache(maxsize=4096)
def _lookup_remembered(name: str) -> Venue | None:
    return _lookup(name)


def _lookup(name: str) -> Venue | None:
    table = _table()
    key = _key(name)
    if not key:
        return None
    candidates = [key] + [key[len(p) :] for p in _PREFIXES if key.startswith(p) and len(key) > len(p)]
    for candidate in candidates:
        if candidate in table.exact:
            return table.exact[candidate]
    for candidate in candidates:
        found = table.compact.get(_compact(candidate))
        if found is not None:
            return found
    return None


# -- venues named in free text ----------------------------------------------------------------------

#: Words that differ between spellings of one venue name and never tell two venues apart.
_NOISE = frozenset({
    "acm", "ieee", "usenix", "sigops", "sigplan", "sigsac", "sigkdd", "sigapp", "ifip", "cvf", "sigmod",
    "sigcomm", "sigarch", "the", "of", "proceedings", "proc", "international", "annual", "in",
})  # fmt: skip
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)?$")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*[A-Za-z]")


def _core(text: str) -> str:
    words = [w for w in normalise(text).split() if w not in _NOISE and not _ORDINAL.match(w)]
    return " ".join(words)


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, str], ...]:
    """(core name, acronym), longest first; names two venues share (PMLR) are left out."""
    pairs: list[tuple[str, str]] = []
    for venue in all_venues():
        for name in {venue.name, venue.container}:
            core = _core(name) if name else ""
            if len(core.split()) >= 2:
                pairs.append((core, venue.acronym))
    shared = Counter(core for core, _ in set(pairs))
    unique = {(c, a) for c, a in pairs if shared[c] == 1}
    return tuple(sorted(unique, key=lambda p: (-len(p[0]), p[0])))


@lru_cache(maxsize=4096)
def find_venue(text: str) -> str:
    """The acronym of the venue ``text`` names (``"OSDI"``, ``"arXiv"``), or "".

    Users and lists write venues every way ("Proceedings of the 29th Symposium on Operating Systems
    Principles", "SOSP '23", "Proc. VLDB Endow.", "CoRR"). Full names are tried first (longest first,
    organisation words and ordinals ignored), then acronyms written in the text; an unknown spelling
    gives "" (not an error)."""
    text = (text or "").strip()
    if not text:
        return ""
    words = normalise(text).split()
    if "corr" in words or "arxiv" in words:
        return "arXiv"
    whole = lookup(text)
    if whole is not None:
        return whole.acronym
    core = f" {_core(text)} "
    for name, acronym in _names():
        if f" {name} " in core:
            return acronym
    for token in _TOKEN.findall(text):
        if sum(ch.isupper() for ch in token) >= 2 or token.lower() in ("neurips", "eurosys", "mlsys"):
            venue = lookup(token)
            if venue is not None:
                return venue.acronym
    return ""


def same_venue(a: str, b: str) -> bool:
    """Whether two venue texts or acronyms name one venue (``PVLDB`` = ``VLDB``)."""
    va, vb = find_venue(a) or a, find_venue(b) or b
    return va.casefold() == vb.casefold()
