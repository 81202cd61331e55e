"""Several lists, one bibliography: read each list, prefix its sections, report each, merge the papers.

A reader who cites from one of the field's lists usually wants them all. Each list keeps its own line
numbers and gets a short prefix for its sections ("gnn: GNN Kernels"), so reports and section-wise
outputs still say where a paper came from; records are then merged across lists exactly as within
one list (identifier, then title), and every record remembers every list and section it came from.
A list that yields no paper at all is an error, never a silent 0.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .config import Settings
from .parse.blocks import normalise_text
from .parse.result import LineKind, LineReport, ParsedList, shown_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "BUNDLED_LIST", "EmptyListError", "ListSource", "bundled_list_path", "decode_list", "list_stats",
    "read_list", "read_list_checked", "read_lists", "sources_from_toml",
]  # fmt: skip


class EmptyListError(ValueError):
    """A list that yields no paper: a wrong file, or a shape the parser does not know."""


@dataclass(frozen=True)
class ListSource:
    location: str | None  # a path or URL; None = the bundled list
    prefix: str = ""  # section prefix in a several-list build
    name: str = ""


#: What callers may name as the list(s) to read: None (the bundled list), one path or URL, a
#: :class:`ListSource`, or a sequence of those (several lists merged).
ListSpec = str | Path | ListSource | Sequence[str | Path | ListSource | None] | None


def _prefix_for(location: str | None) -> str:
    if location is None:
        return "mlsys"
    stem = Path(str(location).rstrip("/")).stem.lower()
    stem = re.sub(r"^awesome[-_]?", "", stem)
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:24] or "list"


def sources_from_toml(path: str | Path) -> list[ListSource]:
    """``[[list]]`` tables with ``path`` (relative to the file) or ``url``, ``prefix`` and ``name``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    out = []
    for n, row in enumerate(data.get("list", []), 1):
        where = row.get("url") or (str((path.parent / row["path"]).resolve()) if row.get("path") else None)
        if where is None and not row.get("bundled"):
            raise ValueError(f"{path}: list #{n} has neither path, url nor bundled = true")
        out.append(ListSource(where, str(row.get("prefix") or _prefix_for(where)), str(row.get("name", ""))))
    if not out:
        raise ValueError(f"{path}: no [[list]] tables")
    return out


def as_sources(source: ListSpec) -> list[ListSource]:
    """Normalise what callers pass: None, one path/URL, a sequence of them, or ListSources."""
    if source is None or isinstance(source, (str, Path)):
        return [ListSource(None if source is None else str(source))]
    if isinstance(source, ListSource):
        return [source]
    out = []
    for s in source:
        out.append(s if isinstance(s, ListSource) else ListSource(None if s is None else str(s)))
    return out


def _tag(parsed: ParsedList, prefix: str) -> None:
    mapping = {s: replace(s, source=prefix) for s in parsed.sections}
    parsed.sections = list(mapping.values())
    for report in parsed.reports:
        report.source = prefix
    for item in parsed.items:
        item.source = prefix
        item.section = mapping.get(item.section, replace(item.section, source=prefix))
        item.section_path = tuple(mapping.get(s, replace(s, source=prefix)) for s in item.section_path)


def list_stats(parsed: ParsedList) -> dict[str, Any]:
    skipped = Counter(r.reason for r in parsed.reports if r.kind is LineKind.SKIPPED)
    return {
        "items": len(parsed.items),
        "sections": len(parsed.sections),
        "skipped": dict(sorted(skipped.items())),
        "continuations": sum(1 for r in parsed.reports if r.kind is LineKind.CONTINUATION),
        "notes": sum(1 for r in parsed.reports if r.kind is LineKind.NOTE),
        "unparsed": [{"line": r.line, "text": r.text[:200], "reason": r.reason}
                     for r in parsed.reports if r.kind is LineKind.UNPARSED],
    }


BUNDLED_LIST = "ml-systems-papers.md"


def bundled_list_path() -> Path:
    """The copy of the paper list shipped inside the package (works without ../shared)."""
    return Path(str(resources.files("mlsys_bib") / "data" / BUNDLED_LIST))


def read_list(source: str | Path | None, settings: Settings | None = None) -> tuple[str, str]:
    """(text, name) of the list at a path or http(s) URL; the bundled list when None."""
    text, name, _ = read_list_checked(source, settings)
    return text, name


def read_list_checked(
    source: str | Path | None, settings: Settings | None = None
) -> tuple[str, str, list[int]]:
    """(text, name, damaged) where ``damaged`` are the lines (1-based, as the parser numbers them)
    in which bytes that are not UTF-8 were replaced by U+FFFD: a reader must hear of them."""
    if source is None:
        path = bundled_list_path()
        return _decoded(path.read_bytes(), f"bundled:{BUNDLED_LIST}")
    text_source = str(source)
    if text_source.startswith(("http://", "https://")):
        from .net.http import HttpClient

        settings = settings or Settings.from_env()
        with HttpClient(settings) as http:
            response = http.get("list", text_source)
        if response.status != 200:
            raise OSError(f"{text_source}: HTTP {response.status}")
        return _decoded(response.content, text_source)
    path = Path(text_source)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OSError(f"cannot read list {path}: {exc.strerror or exc}") from exc
    return _decoded(raw, str(path))


def _decoded(raw: bytes, name: str) -> tuple[str, str, list[int]]:
    text, damaged = decode_list(raw)
    return text, name, damaged


def decode_list(raw: bytes) -> tuple[str, list[int]]:
    """UTF-8 text with invalid bytes replaced by U+FFFD (as before), and the lines where that happened.

    The lines are found on a second decoding that keeps each bad byte as a lone surrogate, which no
    valid text contains; line ends are ASCII in both, so the numbering is the parser's."""
    text = raw.decode("utf-8", errors="replace")
    if "\ufffd" not in text:
        return text, []
    marked = normalise_text(raw.decode("utf-8", errors="surrogateescape"))
    bad = re.compile("[\udc80-\udcff]")
    return text, [n for n, line in enumerate(marked.split("\n"), 1) if bad.search(line)]


def read_lists(
    sources: Sequence[ListSource], settings: Settings | None = None, *, allow_empty: bool = False,
    remember: bool = False,
) -> tuple[ParsedList, list[str], list[dict[str, Any]]]:
    """One ParsedList for all ``sources`` (sections prefixed when there are several), the texts read
    (for the report's checksum), and a report per list. Raises EmptyListError for a list with no paper
    unless ``allow_empty`` (``check`` reports the lines first, then fails).

    ``remember``: parses are kept in (and taken from) the build's cache when it exists, keyed by the
    text and the code (:mod:`.parsememo`): ``check`` and ``stats`` of an unchanged list skip the parse."""
    several = len(sources) > 1
    combined = ParsedList()
    texts: list[str] = []
    reports: list[dict[str, Any]] = []
    prefixes: set[str] = set()
    for src in sources:
        text, name, damaged = read_list_checked(src.location, settings)
        if remember:
            from .parsememo import parse_remembered

            settings = settings or Settings.from_env()
            parsed = parse_remembered(text, name, settings.cache_path)
        else:
            from .parse.shape import parse_any

            parsed = parse_any(text, name=name)
        if damaged:
            lines = normalise_text(text).split("\n")
            parsed.reports.extend(
                LineReport(n, shown_line(lines[n - 1]), LineKind.WARNING, "invalid UTF-8 replaced by U+FFFD")
                for n in damaged
            )
        for report in parsed.reports:
            if report.kind is LineKind.WARNING:
                report.file = name
        parsed.title = parsed.title or name
        if not parsed.items and not allow_empty:
            stats = list_stats(parsed)
            raise EmptyListError(
                f"{name}: no papers found ({sum(stats['skipped'].values())} lines skipped, "
                f"{len(stats['unparsed'])} unparsed): not a paper list, or a shape mlsys-bib cannot read"
            )
        prefix = src.prefix or _prefix_for(src.location)
        if several:
            if prefix in prefixes:
                raise ValueError(f"{name}: list prefix {prefix!r} used twice; give each list its own prefix")
            prefixes.add(prefix)
            _tag(parsed, prefix)
        combined.items.extend(parsed.items)
        combined.sections.extend(parsed.sections)
        combined.reports.extend(parsed.reports)
        combined.title = combined.title or parsed.title
        texts.append(text)
        reports.append({"list": src.name or parsed.title, "source": name, "prefix": prefix if several else "",
                        **list_stats(parsed)})
    if several:
        combined.title = " + ".join(r["list"] for r in reports)
    return combined, texts, reports
