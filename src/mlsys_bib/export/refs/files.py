"""Writing a build's reference lists: every style, every section, every format, and the sweep of
the files an earlier build wrote that this one did not (:mod:`..manifest`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from ...fsutil import atomic_write
from ...model import Record, Section
from .. import manifest
from ..csljson import csl_item
from .formats import FORMATS
from .layout import StyleNames, section_members, section_order, section_pages, section_slugs
from .render import STYLES, RenderMemo, is_sorted, render_styles, style_title


@dataclass
class RefFailure:
    """The renderer could not format ``key`` in ``style`` (in ``sections``); why, in ``error``.
    ``key`` is ``*`` when the whole style failed (pandoc missing or exiting with an error)."""

    style: str
    key: str
    error: str
    sections: list[str] = field(default_factory=list)


class RefFailureSummary(TypedDict):
    """A :class:`RefFailure` in the build report."""

    style: str
    key: str
    error: str
    sections: list[str]


class RefsSummary(TypedDict):
    """The ``refs`` part of the build report (report.json)."""

    entries: dict[str, int]
    repaired: dict[str, dict[str, int]]
    files: int
    removed: list[str]
    failures: list[RefFailureSummary]


@dataclass
class RefsReport:
    """What :func:`write_refs` did: files written, stale files removed, entries, failures."""

    root: Path | None = None  # the out_dir given to write_refs
    files: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    failures: list[RefFailure] = field(default_factory=list)
    entries: dict[str, int] = field(default_factory=dict)  # style -> entries written (all sections)
    # style -> {citeproc-py defect corrected in the output -> entries}; counted, not listed per
    # key, because an unresolved build has one per author-less paper
    repaired: dict[str, dict[str, int]] = field(default_factory=dict)

    def failed(self, style: str | None = None) -> list[RefFailure]:
        """The failures of one style (all when ``style`` is None)."""
        return [f for f in self.failures if style is None or f.style == style]

    def _rel(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def to_dict(self) -> RefsSummary:
        """A JSON-ready summary for the build report: deterministic, paths relative to out_dir."""
        return {
            "entries": dict(self.entries),
            "repaired": {style: dict(counts) for style, counts in self.repaired.items()},
            "files": len(self.files),
            "removed": [self._rel(p) for p in self.removed],
            "failures": [
                {"style": f.style, "key": f.key, "error": f.error, "sections": list(f.sections)}
                for f in self.failures
            ],
        }


def write_refs(
    records: Sequence[Record],
    out_dir: Path,
    *,
    styles: Sequence[str] = ("apa", "ieee", "acm"),
    sections: Sequence[Section] | None = None,
    memo: RenderMemo | None = None,
) -> RefsReport:
    """Write ``out_dir/refs/<style>/<section-slug>.{md,html,txt}`` and ``index.{md,html}``.

    Sections keep list order (or the order of ``sections``). Inside a section, entries keep list
    order in styles that number them as cited (IEEE, ACM: numbered afresh from [1] per file) and
    the style's order in sorted styles (APA: by author). Files an earlier run wrote (its manifest,
    :mod:`..manifest`, lists them) that this run did not (a renamed section) are removed from
    ``refs/<style>/``; any other file there is left alone.
    """
    with manifest.recording(out_dir):  # inside a build: the build's manifest, saved by the build
        return _write_refs(records, out_dir, styles=styles, sections=sections, memo=memo)


def _style_dir(out_dir: Path, style_name: str) -> Path:
    style_dir = Path(out_dir) / "refs" / style_name
    for where in (style_dir.parent, style_dir):
        if where.is_symlink():  # the sweep would delete what lives at the link's target
            raise ValueError(f"{where}: a symbolic link; refusing to write or delete files through it")
    return style_dir


def _write_refs(
    records: Sequence[Record],
    out_dir: Path,
    *,
    styles: Sequence[str],
    sections: Sequence[Section] | None,
    memo: RenderMemo | None,
) -> RefsReport:
    report = RefsReport(root=Path(out_dir))
    order = section_order(records, sections)
    slugs = section_slugs(order)
    members = section_members(records, order)
    bases = {r.key: csl_item(r) for r in records}  # once per record, not per style
    in_sections = {r.key for s in order for r in members[s]}
    listed = [r for r in records if r.key in in_sections]

    for style_name in styles:
        if style_name not in STYLES:
            raise ValueError(f"unknown CSL style {style_name!r}; have {', '.join(sorted(STYLES))}")
    rendered_styles = render_styles(list(dict.fromkeys(styles)), listed, memo, bases)
    for style_name in styles:
        rendering = rendered_styles[style_name]
        if rendering.error:
            report.failures.append(RefFailure(style_name, "*", rendering.error, [s.label for s in order]))
        names = StyleNames(style_name, style_title(style_name))
        style_dir = _style_dir(out_dir, style_name)
        pages = section_pages(order, slugs, members, names, rendering, is_sorted(style_name))
        for page in pages:
            for ext, fmt in FORMATS.items():
                path = style_dir / f"{page.slug}.{ext}"
                atomic_write(path, fmt.section_file(page))
                report.files.append(path)
        for ext, fmt in FORMATS.items():
            index = fmt.index_file(names, pages)
            if index is not None:
                path = style_dir / f"index.{ext}"
                atomic_write(path, index)
                report.files.append(path)
        report.removed += manifest.sweep(style_dir)  # only what an earlier build listed as written
        report.entries[style_name] = sum(len(page.entries) for page in pages)
    return report
