"""Verdicts: what a record's lookups, taken together, say about it.

Any service that found the paper makes it RESOLVED (PARTIAL when another lookup failed or could
not be made, so a rerun can still add to it). Otherwise the worst news wins, in the order of
:data:`WHEN_NOTHING_FOUND`: a failure (retried next run) before an ambiguity (a human must
choose) before "not found" (the services say no) before "not looked up".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..model import Record, Verdict
from .lookups import Lookup, LookupStatus
from .shared import shared_text

__all__ = ["WHEN_NOTHING_FOUND", "judge"]

#: (lookup status present, verdict, prefix of the detail), first match wins.
WHEN_NOTHING_FOUND: tuple[tuple[LookupStatus, Verdict, str], ...] = (
    (LookupStatus.FAILED, Verdict.FAILED, ""),
    (LookupStatus.AMBIGUOUS, Verdict.AMBIGUOUS, ""),
    (LookupStatus.NOT_FOUND, Verdict.NOT_FOUND, ""),
    (LookupStatus.SKIPPED, Verdict.UNRESOLVED, "not looked up: "),
)


def judge(
    records: Iterable[Record], lookups: Mapping[str, Sequence[Lookup]], nothing: Mapping[str, str]
) -> None:
    """Set ``verdict`` and ``verdict_detail`` on every record; ``nothing`` says why a record got
    no lookup at all (from the plan). Details are shared strings: a few dozen distinct ones."""
    for record in records:
        _judge(record, lookups, nothing)
        record.verdict_detail = shared_text(record.verdict_detail)


def _judge(record: Record, lookups: Mapping[str, Sequence[Lookup]], nothing: Mapping[str, str]) -> None:
    by_status: dict[LookupStatus, list[Lookup]] = {}
    for lookup in lookups.get(record.key, ()):
        by_status.setdefault(lookup.status, []).append(lookup)
    found = list(dict.fromkeys(lk.service for lk in by_status.get(LookupStatus.FOUND, [])))
    if found:
        problems = by_status.get(LookupStatus.FAILED, []) + by_status.get(LookupStatus.SKIPPED, [])
        record.verdict = Verdict.PARTIAL if problems else Verdict.RESOLVED
        record.verdict_detail = "+".join(found)
        if problems:
            record.verdict_detail += "; " + details(problems)
        return
    for status, verdict, prefix in WHEN_NOTHING_FOUND:
        if status in by_status:
            record.verdict = verdict
            record.verdict_detail = prefix + details(by_status[status])
            return
    record.verdict = Verdict.UNRESOLVED
    record.verdict_detail = nothing.get(record.key, "no lookup possible")


def details(lookups: list[Lookup]) -> str:
    """``service: detail`` per lookup, each said once."""
    return "; ".join(
        dict.fromkeys(f"{lk.service}: {lk.detail}" if lk.detail else lk.service for lk in lookups)
    )
