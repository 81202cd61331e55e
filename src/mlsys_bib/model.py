"""The value objects every stage shares: list items, people, metadata, records.

The flow is one-directional (parse -> records -> resolve -> export), so these types are the
only contract between stages. Metadata is CSL-flavoured (CSL-JSON is the hub format) and every
value carries where it came from, because a user who finds a wrong author must be able to ask
"who said so?".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .ids import Identifier


@dataclass(frozen=True, order=True, slots=True)
class Section:
    """A numbered heading of the list, e.g. number ``2.5`` and title ``Distributed training``."""

    number: str  # "2.5", "1.1.3"; "" for un-numbered headings such as "Others"
    title: str
    source: str = ""  # the list's short prefix when several lists build one bibliography ("gnn")

    @property
    def label(self) -> str:
        text = f"{self.number} {self.title}".strip()
        return f"{self.source}: {text}" if self.source else text

    @property
    def slug(self) -> str:
        import re

        base = self.label.lower().replace("&", "and")
        return re.sub(r"[^a-z0-9]+", "-", base).strip("-") or "section"


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink of a list item; ``label`` is normalised (paper, arxiv, code, slides, ...)."""

    label: str
    url: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class VenueTag:
    """A parsed venue tag such as ``NSDI'25 (to appear)`` or ``ES-FoMO @ ICML'24``."""

    raw: str
    venue: str  # canonical acronym as in venues.toml ("OSDI", "arXiv", "ICML"); "" if none
    year: int | None = None
    qualifier: str = ""  # "to appear", "Workshop", "poster", "Spotlight", "Tutorial", "PMLR", ...
    workshop: str = ""  # the workshop of "ES-FoMO @ ICML'24" / "EuroMLSys@EuroSys'24"
    under_review: bool = False

    @property
    def is_preprint(self) -> bool:
        return self.venue == "arXiv" or self.under_review


@dataclass(slots=True)
class ListItem:
    """One paper bullet of the list, with the continuation bullets that belong to it.

    Its collections are tuples, not lists: most are empty (the empty tuple is one shared object,
    each empty list its own 56 bytes), and a list 100 times the seed has 100,000 items. A parser
    that attaches a continuation bullet to the paper above replaces the tuple (``+=``).
    """

    line: int
    section: Section
    section_path: tuple[Section, ...]
    title: str  # repaired (ftfy), markdown stripped
    title_raw: str  # exactly as the list wrote it
    tag: VenueTag | None = None
    tags_raw: tuple[str, ...] = ()
    survey: bool = False
    links: tuple[Link, ...] = ()
    aliases: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()  # "From OpenAI", "also in 2.1", ...
    continuation_lines: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()  # free text from continuation bullets
    identifiers: tuple[Identifier, ...] = ()
    authors: tuple[str, ...] = ()  # display names, when the list gives them
    source: str = ""  # the list's prefix in a several-list build; lines are that list's lines


@dataclass(frozen=True, slots=True)
class Person:
    """A name as CSL models it. ``literal`` is for corporate authors that must not be split."""

    family: str = ""
    given: str = ""
    particle: str = ""  # non-dropping particle: "van", "de", "von"
    suffix: str = ""  # "Jr.", "III"
    literal: str = ""

    def display(self) -> str:
        if self.literal:
            return self.literal
        parts = [self.given, self.particle, self.family]
        name = " ".join(p for p in parts if p)
        return f"{name}, {self.suffix}" if self.suffix else name


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value came from: ``list`` (with its line), or a service and the request key."""

    source: str  # "list", "arxiv", "crossref", "doi", "dblp", "venues"
    ref: str = ""  # "L123", "arxiv:2401.08895v2", "doi:10.1145/...", "dblp:conf/osdi/XiaoBRSKHPPZZYZ18"
    fetched: str = ""  # ISO-8601 UTC time of the fetch; "" for list data
    #: what the values were derived from inside that answer, when not the answer itself: arXiv's
    #: ``journal_ref`` read as a venue (see resolve.merge), which counts as published
    via: str = ""

    def __str__(self) -> str:
        text = f"{self.source}:{self.ref}" if self.ref else self.source
        text = f"{text}#{self.via}" if self.via else text
        return f"{text}@{self.fetched}" if self.fetched else text


class Kind(str, Enum):
    """What kind of publication a record is; mapped to BibTeX and CSL types by the exporters."""

    PROCEEDINGS = "proceedings"  # @inproceedings / paper-conference
    JOURNAL = "journal"  # @article / article-journal
    PREPRINT = "preprint"  # @misc / article
    CHAPTER = "chapter"  # @incollection / chapter
    REPORT = "report"  # @techreport / report


# Field names a Metadata / Record may carry. Values are plain Python: str, int, list[Person].
FIELDS: tuple[str, ...] = (
    "title",
    "author",
    "kind",
    "container_title",  # journal or proceedings title
    "container_short",  # "OSDI", "PVLDB"
    "event_title",
    "publisher",
    "year",
    "month",
    "volume",
    "issue",
    "pages",
    "doi",
    "arxiv",  # arXiv id without version
    "arxiv_version",
    "primary_class",
    "journal_ref",
    "dblp_key",
    "url",
    "note",
    "former_keys",  # keys retired by the one-time re-key (keys.lock "renamed"), for biblatex ids
)


@dataclass(slots=True)
class Metadata:
    """What one source says about one paper. Resolvers return these; they never touch records."""

    provenance: Provenance
    values: dict[str, Any] = field(default_factory=dict)
    #: Every venue name the source gives (DBLP: ``("NeurIPS", "NeurIPS Workshops")``), for matching
    #: a hit to the list's tag and finding it in the venue table; not a record field.
    venue_names: tuple[str, ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass(frozen=True, slots=True)
class Sourced:
    """One field value of a record together with its provenance."""

    value: Any
    provenance: Provenance


class Verdict(str, Enum):
    """How the resolve step ended for a record."""

    UNRESOLVED = "unresolved"  # not looked up yet (offline, or no lookup possible)
    RESOLVED = "resolved"
    PARTIAL = "partial"  # some sources answered, others failed
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not found"
    FAILED = "failed"


@dataclass(slots=True)
class Record:
    """One paper, however many times the list mentions it."""

    key: str
    items: list[ListItem]
    fields: dict[str, Sourced] = field(default_factory=dict)
    verdict: Verdict = Verdict.UNRESOLVED
    verdict_detail: str = ""  # the source that resolved it, or the error
    conflicts: list[str] = field(default_factory=list)

    # -- list-derived views -------------------------------------------------------------------
    @property
    def sections(self) -> list[Section]:
        seen: dict[Section, None] = {}
        for item in self.items:
            seen.setdefault(item.section, None)
        return list(seen)

    @property
    def tags(self) -> list[VenueTag]:
        seen: dict[str, VenueTag] = {}
        for item in self.items:
            if item.tag is not None:
                seen.setdefault(item.tag.raw, item.tag)
        return list(seen.values())

    @property
    def tag(self) -> VenueTag | None:
        """The authoritative tag: the first main-venue tag, else the first workshop tag, else the first."""
        tags = self.tags
        published = [t for t in tags if not t.is_preprint and t.venue]
        for t in published:
            if not t.workshop and "workshop" not in t.qualifier.lower():
                return t
        if published:
            return published[0]
        return tags[0] if tags else None

    @property
    def links(self) -> list[Link]:
        seen: dict[str, Link] = {}
        for item in self.items:
            for link in item.links:
                seen.setdefault(link.url, link)
        return list(seen.values())

    @property
    def aliases(self) -> list[str]:
        return list(dict.fromkeys(a for item in self.items for a in item.aliases))

    @property
    def identifiers(self) -> list[Identifier]:
        return list(dict.fromkeys(i for item in self.items for i in item.identifiers))

    @property
    def survey(self) -> bool:
        return any(item.survey for item in self.items)

    @property
    def lines(self) -> list[int]:
        return [item.line for item in self.items]

    def identifier(self, kind: str) -> Identifier | None:
        for ident in self.identifiers:
            if ident.kind == kind:
                return ident
        return None

    # -- field access --------------------------------------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        sourced = self.fields.get(name)
        return default if sourced is None else sourced.value

    def set(self, name: str, value: Any, provenance: Provenance) -> None:
        if name not in FIELDS:
            raise KeyError(f"unknown record field {name!r}")
        self.fields[name] = Sourced(value, provenance)

    @property
    def title(self) -> str:
        return self.get("title") or self.items[0].title
