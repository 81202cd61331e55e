"""What a resolve run did, as report.json's ``resolve`` section and ``mlsys-bib status`` read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..config import Settings
from ..model import Record, Verdict
from ..net.http import HttpClient

#: One row of report.json: JSON values, shown or written as they are (no caller relies on their types).
Row = dict[str, object]

__all__ = ["ResolveReport", "build_report"]


@dataclass
class ResolveReport:
    """What a resolve run did: verdict counts, requests per service, and what needs a human."""

    counts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    ambiguous: list[Row] = field(default_factory=list)
    failed: list[Row] = field(default_factory=list)
    partial: list[Row] = field(default_factory=list)
    not_found: list[Row] = field(default_factory=list)
    unresolved: list[Row] = field(default_factory=list)
    offline: bool = False
    records: int = 0
    unreachable: list[str] = field(default_factory=list)  # services found unreachable in this run
    why: dict[str, str] = field(default_factory=dict)  # service -> why (unreachable, walled)
    # preprints the list tags arXiv (or not at all) found published since: key, tag, venue, via
    published_since_listed: list[Row] = field(default_factory=list)
    published_ambiguous: list[Row] = field(default_factory=list)
    # what the services said against the list or each other (year, DOI, pages, ...), per record
    conflicts: list[Row] = field(default_factory=list)
    throttled: dict[str, int] = field(default_factory=dict)  # service -> throttled answers

    @property
    def verdicts(self) -> dict[str, int]:
        return self.counts

    def to_dict(self) -> Row:
        """JSON-ready and deterministic: sorted keys and lists, no timings."""

        def rows(items: list[Row]) -> list[Row]:
            return sorted(({k: item[k] for k in sorted(item)} for item in items), key=lambda r: str(r["key"]))

        return {
            "records": self.records,
            "offline": self.offline,
            "verdicts": {k: self.counts[k] for k in sorted(self.counts)},
            "requests": {k: self.requests[k] for k in sorted(self.requests)},
            "ambiguous": rows(self.ambiguous),
            "failed": rows(self.failed),
            "partial": rows(self.partial),
            "not_found": rows(self.not_found),
            "unresolved": rows(self.unresolved),
            "published_since_listed": rows(self.published_since_listed),
            "published_ambiguous": rows(self.published_ambiguous),
            "conflicts": rows(self.conflicts),
        }


def build_report(
    records: Sequence[Record],
    settings: Settings,
    client: HttpClient,
    before: Mapping[str, int],
    *,
    published: Sequence[Row] = (),
    published_ambiguous: Sequence[Row] = (),
    conflicts_before: Mapping[str, int] | None = None,
) -> ResolveReport:
    """The report of a run that has set every record's verdict. ``before`` is the client's request
    counters at the start (a shared client counts other runs too); ``conflicts_before`` how many
    conflicts each record carried from the list, so only the services' new ones are reported."""
    report = ResolveReport(offline=settings.offline, records=len(records))
    report.unreachable = sorted(client.unreachable)
    report.why = dict(sorted(client.unreachable.items()))
    report.throttled = {k: v for k, v in sorted(client.throttled.items()) if v}
    report.counts = {v.value: 0 for v in Verdict}
    for service, n in client.requests_made.items():
        made = n - before.get(service, 0)
        if made:
            report.requests[service] = made
    lists: dict[Verdict, list[Row]] = {
        Verdict.AMBIGUOUS: report.ambiguous,
        Verdict.FAILED: report.failed,
        Verdict.PARTIAL: report.partial,
        Verdict.NOT_FOUND: report.not_found,
        Verdict.UNRESOLVED: report.unresolved,
    }
    report.published_since_listed = list(published)
    report.published_ambiguous = list(published_ambiguous)
    for record in records:
        report.counts[record.verdict.value] += 1
        target = lists.get(record.verdict)
        if target is not None:
            target.append({"key": record.key, "lines": record.lines, "reason": record.verdict_detail})
        found = record.conflicts[(conflicts_before or {}).get(record.key, 0) :]
        if found:
            report.conflicts.append({"key": record.key, "lines": record.lines, "conflicts": found})
    return report
