"""Every style × every entry: LaTeX errors, warnings by kind, entries with a rendered defect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlsys_bib.model import Record

from . import csl, latex
from .defects import Seen, defects


@dataclass
class StyleResult:
    style: str
    entries: int = 0
    missing: list[str] = field(default_factory=list)
    latex_errors: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    defective: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {check: reason}

    def by_check(self) -> dict[str, int]:
        return dict(Counter(name for found in self.defective.values() for name in found).most_common())

    def row(self) -> dict[str, object]:
        return {
            "style": self.style,
            "entries": self.entries,
            "missing": len(self.missing),
            "latex_errors": len(self.latex_errors),
            "warnings": sum(self.warnings.values()),
            "warning_kinds": self.warnings,
            "entries_with_defect": len(self.defective),
            "by_check": self.by_check(),
        }


def _judge(result: StyleResult, records: Sequence[Record], entries: dict[str, str],
           citations: dict[str, str], *, author_year: bool, en_us_quotes: bool) -> StyleResult:  # fmt: skip
    result.entries = len(entries)
    for record in records:
        text = entries.get(record.key)
        if text is None:
            result.missing.append(record.key)
            continue
        seen = Seen(result.style, text, citations.get(record.key, ""), author_year, en_us_quotes)
        found = defects(record, seen)
        if found:
            result.defective[record.key] = found
    return result


def bibtex_styles(exports: Path, records: Sequence[Record], work: Path) -> list[StyleResult]:
    results = []
    for style in latex.BST_STYLES:
        compiled = latex.compile_bibtex(exports / "mlsys.bib", style, work / style)
        res = StyleResult(style, latex_errors=compiled.latex_errors, warnings=compiled.warnings)
        results.append(_judge(res, records, compiled.entries, {}, author_year=False,
                              en_us_quotes=style == "IEEEtran"))  # fmt: skip
    compiled = latex.compile_bibtex(exports / "mlsys.bib", latex.AUTHOR_YEAR_BST, work / "ay", author_year=True)
    res = StyleResult(compiled.style, latex_errors=compiled.latex_errors, warnings=compiled.warnings)
    results.append(_judge(res, records, compiled.entries, compiled.citations, author_year=True, en_us_quotes=False))
    return results


def biblatex_styles(exports: Path, records: Sequence[Record], work: Path) -> list[StyleResult]:
    results = []
    for style in latex.BIBLATEX_STYLES:
        compiled = latex.compile_biblatex(exports / "mlsys-biblatex.bib", style, work / f"biblatex-{style}")
        res = StyleResult(compiled.style, latex_errors=compiled.latex_errors, warnings=compiled.warnings)
        results.append(_judge(res, records, compiled.entries, compiled.citations,
                              author_year=style == "authoryear", en_us_quotes=False))  # fmt: skip
    return results


def pandoc_styles(exports: Path, records: Sequence[Record], work: Path) -> list[StyleResult]:
    results = []
    for style in csl.CSL_NAMES:
        entries = csl.render_pandoc(exports / "mlsys.json", style, work / f"pandoc-{style}")
        res = StyleResult(f"pandoc {style}")
        results.append(_judge(res, records, entries, {}, author_year=False, en_us_quotes=style == "ieee"))
    return results


def own_refs(exports: Path, records: Sequence[Record]) -> list[StyleResult]:
    results = []
    for style in csl.CSL_NAMES:
        if not (exports / "refs" / style).is_dir():
            continue
        entries = csl.read_refs(exports / "refs", style)
        res = StyleResult(f"refs {style}")
        results.append(_judge(res, records, entries, {}, author_year=False, en_us_quotes=style == "ieee"))
    return results


def apa_out_of_order(exports: Path, work: Path) -> list[str]:
    """Sections of refs/apa whose order differs from pandoc's APA order of the same entries."""
    if not (exports / "refs" / "apa").is_dir():
        return []
    reference = list(csl.render_pandoc(exports / "mlsys.json", "apa", work / "pandoc-apa-order"))
    rank = {key: i for i, key in enumerate(reference)}
    bad = []
    for page, keys in csl.refs_order(exports / "refs", "apa").items():
        if keys != sorted(keys, key=lambda k: rank.get(k, len(rank))):
            bad.append(page)
    return bad


def matrix(exports: Path, records: Sequence[Record], work: Path) -> list[StyleResult]:
    return (
        bibtex_styles(exports, records, work)
        + biblatex_styles(exports, records, work)
        + pandoc_styles(exports, records, work)
        + own_refs(exports, records)
    )


def markdown(results: Sequence[StyleResult]) -> str:
    lines = ["| style | entries | LaTeX errors | warnings | entries with a defect | by check |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for r in results:
        checks = ", ".join(f"{k} {v}" for k, v in r.by_check().items()) or "—"
        lines.append(f"| {r.style} | {r.entries} | {len(r.latex_errors)} | {sum(r.warnings.values())} "
                     f"| {len(r.defective)} | {checks} |")  # fmt: skip
    return "\n".join(lines)
