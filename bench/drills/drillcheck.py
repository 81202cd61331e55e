"""Checks shared by the fault and kill drills: snapshots of records, "no wrong metadata", exports.

Kept beside :mod:`drillserver` so the fast tests (tests/test_drill_*.py) and the long drills
(bench/drills/*_drill.py) assert exactly the same things.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlsys_bib.model import Person, Record, Verdict
from mlsys_bib.text.titles import normalise

SERVICE_SOURCES = {"arxiv", "crossref", "doi", "dblp"}
NOT_RESOLVED = {Verdict.FAILED, Verdict.NOT_FOUND, Verdict.PARTIAL, Verdict.AMBIGUOUS, Verdict.UNRESOLVED}


def snapshot(record: Record) -> dict[str, tuple[Any, str, str]]:
    """field -> (value, source, ref): everything a record says, without fetch times."""
    return {
        name: (_plain(s.value), s.provenance.source, s.provenance.ref)
        for name, s in sorted(record.fields.items())
    }


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "value") and not isinstance(value, (str, int)):
        return str(value.value)
    return value


def snapshots(records: Iterable[Record]) -> dict[str, dict[str, tuple[Any, str, str]]]:
    return {r.key: snapshot(r) for r in records}


class Truth:
    """What FakeServices serves for each record of a list, and which records a lookup key serves.

    FakeServices seeds one catalog paper per record, in record order (papers_from_records).
    """

    def __init__(self, records: list[Record], fake: Any) -> None:
        from mlsys_bib.resolve.plan import plan_lookups, toc_key
        from mlsys_bib.text.titles import search_words

        papers = fake.catalog.papers[: len(records)]
        self.papers = {}
        for record, paper in zip(records, papers, strict=True):
            assert paper.seeded and paper.title == record.title, (record.key, paper.title)
            self.papers[record.key] = paper
        plan = plan_lookups(records)
        self.by_lookup: dict[str, set[str]] = {}
        self.names = dict(plan.published_names)

        def add(lookup: str, key: str) -> None:
            self.by_lookup.setdefault(lookup, set()).add(key)

        for record in records:
            paper = self.papers[record.key]
            for ident in record.identifiers:
                if ident.kind in ("arxiv", "doi"):
                    add(f"{ident.kind}:{ident.value}", record.key)
            if paper.doi:
                add(f"doi:{paper.doi.lower()}", record.key)
            toc = toc_key(record)
            if toc:
                add(f"toc:{toc}", record.key)
            if record.key in plan.dblp_search:
                add(f"dblp-search:{plan.dblp_search[record.key]}", record.key)
            if record.key in plan.published_search:
                add(f"dblp-search:{plan.published_search[record.key]}", record.key)
            if record.key in plan.arxiv_search:
                add(f"arxiv-search:{search_words(plan.arxiv_search[record.key])}", record.key)

    def keys_of(self, lookup: str) -> set[str]:
        found = self.by_lookup.get(lookup, set())
        if lookup.startswith("dblp-search:") and "$" in lookup:  # a batch of system names: a$|b$
            names = {a.rstrip("$") for a in lookup.split(":", 1)[1].split("|")}
            found = found | {key for key, name in self.names.items() if name in names}
        return found


def _person_names(people: Any) -> list[str]:
    return [normalise(p.display()) for p in people if isinstance(p, Person)]


def wrong_metadata(record: Record, truth: Truth) -> list[str]:
    """Every field of ``record`` that a service supplied but that is not about this paper.

    A service value must carry the provenance of this record's own identifier (its arXiv id,
    its DOI or the DOI its arXiv entry reports, its DBLP key), and titles, authors and years
    must be this paper's.
    """
    from tests.fakes.services import dblp_info

    paper = truth.papers[record.key]
    arxiv_ids = {i.value for i in record.identifiers if i.kind == "arxiv"}
    dois = {i.value for i in record.identifiers if i.kind == "doi"} | ({paper.doi.lower()} if paper.doi else set())
    dois |= {f"10.48550/arxiv.{a}".lower() for a in arxiv_ids}
    dblp_keys = {paper.dblp_key, dblp_info(paper)["key"]} - {""}
    if paper.arxiv:
        dblp_keys.add(dblp_info(paper, corr=True)["key"])
    titles = {normalise(item.title) for item in record.items}
    problems: list[str] = []
    for name, sourced in record.fields.items():
        prov = sourced.provenance
        if prov.source not in SERVICE_SOURCES:
            continue
        ref = prov.ref
        if prov.source == "arxiv":
            ident = re.sub(r"v\d+$", "", ref.removeprefix("arxiv:").split("#")[0])
            if arxiv_ids and ident not in arxiv_ids:
                problems.append(f"{name} from arXiv {ref}, but the list links arXiv {sorted(arxiv_ids)}")
        elif prov.source in ("crossref", "doi"):
            if ref.removeprefix("doi:").lower() not in dois:
                problems.append(f"{name} from {prov.source} {ref}, but the paper's DOIs are {sorted(dois)}")
        elif prov.source == "dblp" and ref.removeprefix("dblp:") not in dblp_keys:
            problems.append(f"{name} from DBLP {ref}, but the paper is {sorted(dblp_keys)}")
        value = sourced.value
        if name == "title" and normalise(str(value)) not in titles:
            problems.append(f"title {value!r} from {prov} is not {paper.title!r}")
        if name == "author":
            want = [normalise(f"{g} {f}") for g, f in paper.authors]
            if _person_names(value) != want:
                problems.append(f"authors {_person_names(value)} from {prov} are not {want}")
        if name == "year" and prov.source != "arxiv" and value != paper.year:
            problems.append(f"year {value} from {prov} is not {paper.year}")
    return problems


def list_data_kept(record: Record, list_only: dict[str, tuple[Any, str, str]]) -> list[str]:
    """Fields the list gave that a record lost (a service may replace a value, never drop it)."""
    current = snapshot(record)
    lost = [name for name in list_only if name not in current]
    # the list's 'arXiv' placeholder venue is dropped by design when a preprint is promoted
    if record.get("kind") is not None and str(_plain(record.get("kind"))) != "preprint":
        lost = [
            n for n in lost if n not in ("container_title", "container_short", "event_title", "publisher")
        ]
    return [f"{name} (list said {list_only[name][0]!r}) was dropped" for name in lost]


def integrity(cache_path: Path) -> str:
    """``PRAGMA integrity_check`` of a cache file ('ok' when healthy; 'absent' when not created)."""
    if not cache_path.exists():
        return "absent"
    db = sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)
    finally:
        db.close()


def parse_exports(out_dir: Path) -> tuple[list[str], list[str]]:
    """(problems, stale temporary files) of every file in ``out_dir``.

    ``.bib`` must parse with bibtexparser without failed blocks, ``.json`` and ``keys.lock`` with
    json; other exports must be UTF-8 text. Hidden ``.*.tmp`` files (atomic_write's temporaries)
    are listed separately.
    """
    import bibtexparser

    problems: list[str] = []
    stale: list[str] = []
    if not out_dir.exists():
        return problems, stale
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        name = path.name
        if name.startswith(".") and name.endswith(".tmp"):
            stale.append(str(path.relative_to(out_dir)))
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"{name}: not UTF-8 ({exc})")
            continue
        if name.endswith(".bib"):
            lib = bibtexparser.parse_string(text)
            if lib.failed_blocks:
                problems.append(f"{name}: {len(lib.failed_blocks)} failed BibTeX blocks")
            if not text.strip():
                problems.append(f"{name}: empty")
        elif name.endswith(".json") or name == "keys.lock":
            try:
                json.loads(text)
            except ValueError as exc:
                problems.append(f"{name}: invalid JSON ({exc})")
        elif not text.strip():
            problems.append(f"{name}: empty")
    return problems, stale


def export_tree(out_dir: Path, *, strip_requests: bool = True) -> dict[str, bytes]:
    """relative path -> bytes of every export (temporaries excluded). ``report.json``'s request
    counts (how many requests *this* run made) are removed: they differ by design between a
    cold run and a rerun that finds half of the answers in the cache. Occurrences of the
    directory's own path are replaced by ``<out>``."""
    tree: dict[str, bytes] = {}
    # the output directory's own path is not content: builds into two directories must compare
    where = str(out_dir.resolve()).encode()
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            continue
        data = path.read_bytes().replace(where, b"<out>")
        if where != str(out_dir).encode():
            data = data.replace(str(out_dir).encode(), b"<out>")
        if strip_requests and path.name == "report.json":
            report = json.loads(data)
            if isinstance(report.get("resolve"), dict):
                report["resolve"].pop("requests", None)
            data = json.dumps(report, indent=1, ensure_ascii=False).encode()
        tree[str(path.relative_to(out_dir))] = data
    return tree


def tree_diff(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    diffs = [f"only in first: {k}" for k in sorted(set(a) - set(b))]
    diffs += [f"only in second: {k}" for k in sorted(set(b) - set(a))]
    diffs += [f"differs: {k}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    return diffs
