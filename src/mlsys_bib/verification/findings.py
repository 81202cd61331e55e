"""Findings as data: what is wrong with an entry, how bad, what the curated record says and who said so.

Kinds and severities are enums so the JSON report, the text report, ``--fix`` and the benchmark's
precision/recall all count the same things.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

__all__ = ["EntryResult", "Finding", "FindingKind", "MatchBy", "Severity", "VerifyReport"]


class FindingKind(str, Enum):
    PREPRINT_PUBLISHED = "cites preprint, published version known"
    VENUE = "venue differs"
    YEAR = "year differs"
    TITLE_TYPO = "title differs slightly (possible typo)"
    TITLE_WRONG = "title differs (possibly a different paper)"
    AUTHORS_TRUNCATED = "author list truncated"
    AUTHORS_MISSING = "authors missing"
    AUTHORS_EXTRA = "authors not in the curated record"
    AUTHORS_MISSPELT = "author name misspelt"
    DOI_MISSING = "DOI missing"
    DOI_DIFFERENT = "DOI differs"
    TYPE = "entry type wrong"


class Severity(str, Enum):
    ERROR = "error"  # the reference is wrong: a reader following it lands elsewhere or misreads it
    WARNING = "warning"  # the reference is outdated or incomplete
    INFO = "info"  # an improvement (a DOI to add)


#: How bad each kind is: a table, so a user who disagrees changes a row, not the checks.
SEVERITY: dict[FindingKind, Severity] = {
    FindingKind.PREPRINT_PUBLISHED: Severity.WARNING,
    FindingKind.VENUE: Severity.ERROR,
    FindingKind.YEAR: Severity.ERROR,
    FindingKind.TITLE_TYPO: Severity.WARNING,
    FindingKind.TITLE_WRONG: Severity.ERROR,
    FindingKind.AUTHORS_TRUNCATED: Severity.WARNING,
    FindingKind.AUTHORS_MISSING: Severity.ERROR,
    FindingKind.AUTHORS_EXTRA: Severity.ERROR,
    FindingKind.AUTHORS_MISSPELT: Severity.WARNING,
    FindingKind.DOI_MISSING: Severity.INFO,
    FindingKind.DOI_DIFFERENT: Severity.ERROR,
    FindingKind.TYPE: Severity.WARNING,
}


class MatchBy(str, Enum):
    DOI = "doi"
    ARXIV = "arxiv"
    TITLE = "title"
    FUZZY = "fuzzy title + authors"
    NONE = "not in the curated set"
    BROKEN = "not readable"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    yours: str  # what the user's entry has
    curated: str  # what the curated record has
    source: str  # where the curated value came from: "dblp:conf/osdi/...", "list:L123"

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.name.lower(), "severity": self.severity.value, "message": self.kind.value,
                "yours": self.yours, "curated": self.curated, "source": self.source}


@dataclass
class EntryResult:
    key: str
    line: int
    match: MatchBy
    record_key: str = ""
    findings: list[Finding] = field(default_factory=list)
    detail: str = ""  # for broken blocks: why

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["match"] = self.match.value
        data["findings"] = [f.as_dict() for f in self.findings]
        return data


@dataclass
class VerifyReport:
    path: str
    entries: list[EntryResult] = field(default_factory=list)

    @property
    def findings(self) -> list[tuple[EntryResult, Finding]]:
        return [(e, f) for e in self.entries for f in e.findings]

    @property
    def broken(self) -> list[EntryResult]:
        return [e for e in self.entries if e.match is MatchBy.BROKEN]

    @property
    def exit_code(self) -> int:
        """0 nothing wrong, 1 findings (or unreadable blocks), as the CLI promises."""
        return 1 if self.findings or self.broken else 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.match.value] = out.get(e.match.value, 0) + 1
        return out

    def as_dict(self) -> dict[str, object]:
        by_kind: dict[str, int] = {}
        for _, f in self.findings:
            by_kind[f.kind.name.lower()] = by_kind.get(f.kind.name.lower(), 0) + 1
        return {"file": self.path, "entries": len(self.entries), "matches": self.counts(),
                "findings": dict(sorted(by_kind.items())), "results": [e.as_dict() for e in self.entries]}
