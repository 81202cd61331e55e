"""parse -> records -> resolve -> export, and the build report.

Kept apart from the CLI so that ``import mlsys_bib`` users and the command line run the very
same pipeline. Every export is written atomically; the report holds no timestamps, so two
builds of the same list and cache give byte-identical files.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .fsutil import atomic_write
from .keys import KeyLock
from .lists import (  # noqa: F401  (their home is lists.py)
    BUNDLED_LIST,
    bundled_list_path,
    decode_list,
    read_list,
    read_list_checked,
)
from .model import Record
from .parse.result import LineKind, ParsedList
from .records import RecordSet, build_records

if TYPE_CHECKING:  # imported where used: a build without resolve or refs never loads them
    from .export.refs import RefsReport, RefsSummary, RenderMemo
    from .lists import ListSpec
    from .net.cache import Cache
    from .resolve.report import ResolveReport

DEFAULT_STYLES: tuple[str, ...] = ("apa", "ieee", "acm")


def load_list(
    source: ListSpec = None, *, lock_path: Path | None = None, settings: Settings | None = None,
    allow_empty: bool = False,
) -> RecordSet:
    """The records of one list (a path, URL or None for the bundled one) or of several (a sequence)."""
    from .lists import as_sources, read_lists

    parsed, _, reports = read_lists(as_sources(source), settings, allow_empty=allow_empty, remember=True)
    recordset = build_records(parsed, lock=KeyLock.load(lock_path) if lock_path else None)
    recordset.list_reports = reports
    return recordset


class RenderedEntries:
    """The formatted-reference memo, kept in the metadata cache under its own namespace.

    A rebuild in which nothing changed starts no pandoc at all.
    """

    NAMESPACE = "rendered"

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        found = self.cache.get_many(self.NAMESPACE, keys)
        return {k: e.body.decode("utf-8") for k, e in found.items()}

    def put_many(self, items: dict[str, str]) -> None:
        from .net.cache import CacheEntry

        self.cache.put_many(
            CacheEntry(self.NAMESPACE, k, 200, "text/plain", v.encode("utf-8"), "", False)
            for k, v in sorted(items.items())
        )


class _InProcessMemo:
    """A rendered-entry memo for one build without a cache (``--no-resolve``): the site page
    reuses what the reference lists rendered instead of starting pandoc again."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        return {k: self.items[k] for k in keys if k in self.items}

    def put_many(self, items: dict[str, str]) -> None:
        self.items.update(items)


@contextlib.contextmanager
def one_build_at_a_time(out: Path) -> Iterator[None]:
    """An advisory lock per output directory: a second build of the same ``--out`` waits (and says
    so in one line) instead of interleaving its files with the first's. The directory itself is
    locked (flock on its descriptor), so no lock file appears in or beside the exports."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): atomic writes alone keep each file whole
        yield
        return
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY)  # flock on the directory itself: no lock file, in or beside it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"mlsys-bib: another build is writing {out}; waiting for it to finish"
            print(message, file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _lazier_gc() -> Iterator[None]:
    """A build allocates many small objects and frees few: the cyclic collector's default
    thresholds cost ~8% of a warm rebuild. Raised for the build, restored afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@dataclass
class BuildResult:
    recordset: RecordSet
    report: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    resolve_report: ResolveReport | None = None

    @property
    def records(self) -> list[Record]:
        return self.recordset.records


def list_report(recordset: RecordSet) -> dict[str, Any]:
    """What the parser and the merger found: the counts issue #2 asks for, and every problem."""
    parsed: ParsedList = recordset.parsed
    per_section: Counter[str] = Counter(item.section.label for item in parsed.items)
    records_per_section: Counter[str] = Counter(
        s.label for record in recordset.records for s in record.sections
    )
    reports = parsed.reports
    # only when there are any: the report of a clean list stays byte-identical to earlier builds
    warnings = [
        {"file": r.file, "line": r.line, "reason": r.reason, "text": r.text[:200],
         **({"list": r.source} if r.source else {})}
        for r in reports if r.kind is LineKind.WARNING
    ]
    return {
        "list": parsed.title,
        "items": len(parsed.items),
        "records": len(recordset.records),
        "merges": recordset.merges,
        "survey_items": sum(1 for i in parsed.items if i.survey),
        "sections": [
            {
                "section": s.label,
                "items": per_section.get(s.label, 0),
                "records": records_per_section.get(s.label, 0),
            }
            for s in parsed.sections
        ],
        "sections_with_items": len(per_section),
        "continuation_lines": len([r for r in reports if r.kind is LineKind.CONTINUATION]),
        "notes": [
            {"line": r.line, "text": r.text, "attached_to": r.attached_to}
            for r in reports
            if r.kind is LineKind.NOTE
        ],
        "unparsed": [
            {"line": r.line, "text": r.text, "reason": r.reason, **({"list": r.source} if r.source else {})}
            for r in reports
            if r.kind is LineKind.UNPARSED
        ],
        **({"warnings": warnings} if warnings else {}),
        "skipped_outside_paper_sections": len([r for r in reports if r.kind is LineKind.SKIPPED]),
        "skipped": dict(sorted(Counter(r.reason for r in reports if r.kind is LineKind.SKIPPED).items())),
        "unknown_tags": [{"tag": t, "lines": lines} for t, lines in sorted(recordset.unknown_tags.items())],
        "conflicts": recordset.conflicts,
        "records_in_several_sections": sum(1 for r in recordset.records if len(r.sections) > 1),
        **({"lists": recordset.list_reports} if len(recordset.list_reports) > 1 else {}),
    }


def write_exports(
    records: Sequence[Record],
    out_dir: Path,
    *,
    styles: Sequence[str] = DEFAULT_STYLES,
    ascii: bool = False,
    refs: bool = True,
    memo: RenderMemo | None = None,
) -> tuple[list[Path], RefsReport | None]:
    from .export.bibtex import write_bibtex
    from .export.csljson import write_csl_json
    from .export.zotero_rdf import write_zotero_rdf

    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        out_dir / "mlsys.bib",
        out_dir / "mlsys-biblatex.bib",
        out_dir / "mlsys.json",
        out_dir / "mlsys-zotero.rdf",
    ]
    write_bibtex(records, files[0], ascii=ascii)
    write_bibtex(records, files[1], biblatex=True, ascii=ascii)
    write_csl_json(records, files[2])
    write_zotero_rdf(records, files[3])
    refs_report = None
    if refs and styles:
        from .export.refs import write_refs

        refs_report = write_refs(records, out_dir, styles=styles, memo=memo)
    return files, refs_report


#: A build keeping fewer than this share of the previous build's records is refused.
SHRINK_LIMIT = 0.5


class ShrinkError(ValueError):
    """The list lost most of the previous build's records: probably not the list at all."""


def _refuse_shrink(out: Path, records: int) -> None:
    try:
        previous = int(json.loads((out / "report.json").read_text(encoding="utf-8")).get("records") or 0)
    except (OSError, ValueError, AttributeError):
        return  # no earlier build here (or an unreadable report): nothing to protect
    if previous and records < SHRINK_LIMIT * previous:
        raise ShrinkError(
            f"{out}: the list gives {records} records where the last build had {previous}; "
            "refusing to replace the exports (rerun with --allow-shrink if that is intended)"
        )


def write_renamed_keys(lock: KeyLock, path: Path) -> Path:
    """``old<TAB>new`` per key retired by the one-time re-key: for BibTeX users to update their
    ``\\cite`` commands (biblatex users need nothing: the entries carry ``ids``)."""
    rows = "".join(f"{old}\t{new}\n" for old, new in sorted(lock.renamed.items()))
    atomic_write(path, "old_key\tnew_key\n" + rows)
    return path


def _refs_summary(refs_report: RefsReport | None) -> RefsSummary | None:
    return None if refs_report is None else refs_report.to_dict()


def build(
    source: ListSpec = None,
    out_dir: str | Path = "exports",
    *,
    settings: Settings | None = None,
    resolve: bool = True,
    styles: Sequence[str] = DEFAULT_STYLES,
    ascii: bool = False,
    refs: bool = True,
    lock_path: Path | None = None,
    allow_shrink: bool = False,
    site: bool = True,
) -> BuildResult:
    """Build every export of a list into ``out_dir``; returns the records and the report.

    A list that loses most of the records of the build already in ``out_dir`` (a URL answering
    an HTML error page, a truncated download) is refused before anything is written, unless
    ``allow_shrink``: good exports are never replaced by a broken list's.

    The key lock lives beside the exports (``out_dir/keys.lock``) unless given: keys stay
    stable from one build to the next even as the list changes.

    ``site``: also write ``out_dir/site/``, the browsable page (needs the reference lists).
    """
    from .export.manifest import recording

    # every file written under out_dir is recorded; the manifest is saved when the build succeeds
    with _lazier_gc(), one_build_at_a_time(Path(out_dir)), recording(Path(out_dir)):
        out = Path(out_dir)
        settings = settings or Settings.from_env()
        lock = KeyLock.load(lock_path or out / "keys.lock")
        from .lists import as_sources, read_lists

        parsed, texts, list_reports = read_lists(as_sources(source), settings)
        list_sha256 = hashlib.sha256("".join(texts).encode("utf-8")).hexdigest()
        del texts  # a long list's text (four bytes a character when it holds an emoji) is not kept
        recordset = build_records(parsed, lock=lock)
        if not allow_shrink:
            _refuse_shrink(out, len(recordset.records))
        recordset.list_reports = list_reports
        report = list_report(recordset)
        report["list_sha256"] = list_sha256
        resolve_report = None
        if resolve:
            from .resolve import resolve_records

            resolve_report = resolve_records(recordset.records, settings)
            resolved = resolve_report.to_dict()
            # Request counts differ between a cold and a warm run of the same data; the report must
            # not, so they go to the console (and `mlsys-bib resolve`), not into report.json.
            resolved.pop("requests", None)
            report["resolve"] = resolved
        report["verdicts"] = dict(sorted(Counter(r.verdict.value for r in recordset.records).items()))
        memo: RenderMemo | None = None
        cache = None
        if resolve and refs:
            from .net.cache import Cache

            cache = Cache(settings.cache_path)
            memo = RenderedEntries(cache)
        site = site and refs and bool(styles)
        if site and memo is None:
            memo = _InProcessMemo()  # the site reuses the reference lists' rendering
        try:
            files, refs_report = write_exports(
                recordset.records, out, styles=styles, ascii=ascii, refs=refs, memo=memo
            )
            if site:
                from .export.site import write_site

                # like refs/, the site is listed by its entry point, not file by file
                site_report = write_site(recordset.records, out, report=report, styles=styles, memo=memo)
                files.append(site_report.root / "index.html")
        finally:
            if cache is not None:
                cache.close()
        report["refs"] = _refs_summary(refs_report)
        report_path = out / "report.json"
        atomic_write(report_path, json.dumps(report, indent=1, ensure_ascii=False, sort_keys=False) + "\n")
        lock.save()
        files += [report_path, lock.path] if lock.path else [report_path]
        if lock.renamed:
            files.append(write_renamed_keys(lock, out / "keys-renamed.tsv"))
        return BuildResult(recordset, report, files, resolve_report)
