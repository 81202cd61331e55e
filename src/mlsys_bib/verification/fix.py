"""``--fix OUT.bib``: a corrected copy that keeps the user's keys, layout and every field we do not correct.

Only the fields a finding names are replaced (a DOI finding adds the DOI, it does not restyle the
title), the rest of each entry is the user's text, and blocks without findings are copied byte for
byte. The copy is streamed (bounded memory) and written atomically; the input is never opened for
writing, and OUT may not be the input.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..export.bibtex import bibtex_fields
from .curated import Curated
from .findings import EntryResult, FindingKind, VerifyReport
from .userbib import _BLOCK_START, UserEntry

__all__ = ["fix_entry_text", "write_fixed"]

_VENUE_GROUP = ("booktitle", "journal", "journaltitle", "shortjournal", "eventtitle", "publisher", "volume",
                "number", "pages", "howpublished", "institution", "year", "date", "month", "doi", "eprint",
                "archiveprefix", "primaryclass", "eprinttype", "eprintclass")
#: Which fields each finding kind lets the fix replace (and, for a new type, remove when absent).
FIX_FIELDS: dict[FindingKind, tuple[str, ...]] = {
    FindingKind.PREPRINT_PUBLISHED: _VENUE_GROUP,
    FindingKind.VENUE: _VENUE_GROUP,
    FindingKind.TYPE: _VENUE_GROUP,
    FindingKind.YEAR: ("year", "date", "month"),
    FindingKind.TITLE_TYPO: ("title",),
    FindingKind.TITLE_WRONG: ("title",),
    FindingKind.AUTHORS_TRUNCATED: ("author",),
    FindingKind.AUTHORS_MISSING: ("author",),
    FindingKind.AUTHORS_EXTRA: ("author",),
    FindingKind.AUTHORS_MISSPELT: ("author",),
    FindingKind.DOI_MISSING: ("doi",),
    FindingKind.DOI_DIFFERENT: ("doi",),
}
#: Kinds that change the entry type to the curated one.
_RETYPE = frozenset({FindingKind.PREPRINT_PUBLISHED, FindingKind.VENUE, FindingKind.TYPE})


def fix_entry_text(entry: UserEntry, result: EntryResult, curated: Curated) -> str:
    """The corrected entry: the user's key and field order, curated values where findings say so."""
    etype, curated_items = bibtex_fields(curated.record, biblatex=entry.biblatex)
    theirs = {name.lower(): value for name, value in curated_items if name not in ("keywords", "note")}
    replace: set[str] = set()
    for finding in result.findings:
        replace.update(FIX_FIELDS[finding.kind])
    retype = any(f.kind in _RETYPE for f in result.findings)
    out: list[tuple[str, str]] = []
    for name, value in entry.fields.items():
        if name in replace:
            if name in theirs:
                out.append((name, theirs.pop(name)))
            elif not retype:
                out.append((name, "{" + value + "}"))
            # a field of the old type the curated record lacks (journal = CoRR) goes
        else:
            out.append((name, "{" + value + "}"))
    out.extend((name, value) for name, value in theirs.items() if name in replace)
    width = max((len(n) for n, _ in out), default=0)
    body = ",\n".join(f"  {name.ljust(width)} = {value}" for name, value in out)
    return f"@{etype if retype else entry.entry_type}{{{entry.key},\n{body}\n}}"


def _entry_end(text: str) -> int:
    """Index just past the entry's closing delimiter in ``text`` (its block), or len(text)."""
    m = re.search(r"[{(]", text)
    if not m:
        return len(text)
    depth = 0
    for i in range(m.start(), len(text)):
        ch = text[i]
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def write_fixed(report: VerifyReport, src: str | Path, out: str | Path, replacements: dict[int, str]) -> int:
    """Copy ``src`` to ``out`` with the entries starting at the given lines replaced; returns how many."""
    src, out = Path(src), Path(out)
    if out.exists() and out.resolve() == src.resolve():
        raise ValueError(f"{out}: --fix must write a new file, not the input")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    done = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as dst, open(src, encoding="utf-8-sig") as fh:
            pending: list[str] | None = None
            pending_line = 0

            def flush() -> None:
                nonlocal pending, done
                if pending is not None:
                    text = "".join(pending)
                    dst.write(replacements[pending_line] + text[_entry_end(text):])
                    done += 1
                    pending = None

            for number, line in enumerate(fh, 1):
                if _BLOCK_START.match(line):
                    flush()
                    if number in replacements:
                        pending, pending_line = [], number
                if pending is not None:
                    pending.append(line)
                else:
                    dst.write(line)
            flush()
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return done
