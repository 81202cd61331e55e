"""Verify a paper's bibliography against the curated set: ``mlsys-bib verify PAPER.bib``.

The pipeline is read (:mod:`.userbib`) -> match (:mod:`.match`) -> compare (:mod:`.compare`) ->
report / fix. The curated set is the list's records with whatever the cache resolved, read offline:
verifying a bibliography must not depend on, or hammer, the services.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..config import Settings
from ..lists import ListSpec
from ..model import Record
from .compare import compare
from .curated import Curated, CuratedIndex
from .findings import EntryResult, Finding, FindingKind, MatchBy, Severity, VerifyReport
from .match import match_entry
from .userbib import UserEntry, read_bib

__all__ = [
    "EntryResult", "Finding", "FindingKind", "MatchBy", "Severity", "VerifyReport", "curated_records",
    "verify",
]


def curated_records(source: ListSpec = None, settings: Settings | None = None) -> list[Record]:
    """The list's records with cached metadata, never touching the network."""
    from ..api import load

    settings = (settings or Settings.from_env()).with_(offline=True, progress=False)
    return load(source, resolve=True, settings=settings).records


def verify(
    path: str | Path,
    *,
    records: Iterable[Record] | None = None,
    source: ListSpec = None,
    settings: Settings | None = None,
    online: bool = False,
    fix: str | Path | None = None,
) -> VerifyReport:
    """Check every entry of the .bib at ``path``; with ``fix``, also write a corrected copy there.

    ``records`` is the curated set (default: the bundled list with cached metadata, or ``source``).
    ``online`` looks up entries outside the curated set by DOI / arXiv id with the project's client.
    Raises OSError / UnicodeDecodeError / ValueError on unreadable input.
    """
    settings = settings or Settings.from_env()
    if records is None:
        records = curated_records(source, settings)
    index = CuratedIndex(records)
    entries, broken = read_bib(path)
    report = VerifyReport(str(path))
    matched: dict[str, tuple[UserEntry, Curated]] = {}
    outside: list[UserEntry] = []
    for entry in entries:
        curated, how = match_entry(entry, index)
        result = EntryResult(entry.key, entry.line, how)
        if curated is not None:
            result.record_key = curated.key
            result.findings = compare(entry, curated)
            matched[entry.key] = (entry, curated)
        else:
            outside.append(entry)
        report.entries.append(result)
    if online and outside:
        _check_online(report, outside, matched, settings)
    for b in broken:
        report.entries.append(EntryResult("", b.line, MatchBy.BROKEN, detail=b.reason))
    report.entries.sort(key=lambda e: e.line)
    if fix is not None:
        from .fix import fix_entry_text, write_fixed

        by_key = {e.key: e for e in report.entries if e.findings}
        replacements = {
            entry.line: fix_entry_text(entry, by_key[key], curated)
            for key, (entry, curated) in matched.items()
            if key in by_key
        }
        write_fixed(report, path, fix, replacements)
    return report


def _check_online(report: VerifyReport, outside: list[UserEntry],
                  matched: dict[str, tuple[UserEntry, Curated]], settings: Settings) -> None:
    from .online import records_for, resolve_online

    wanted = records_for(outside)
    if not wanted:
        return
    resolve_online(list(wanted.values()), settings.with_(offline=False))
    results = {e.key: e for e in report.entries}
    for entry in outside:
        record = wanted.get(entry.key)
        if record is None or not record.get("author") and not record.fields.get("title"):
            continue
        curated = Curated.of(record)
        result = results[entry.key]
        result.match = MatchBy.DOI if entry.doi else MatchBy.ARXIV
        result.detail = "outside the curated set; checked against the services"
        result.findings = compare(entry, curated)
        matched[entry.key] = (entry, curated)
