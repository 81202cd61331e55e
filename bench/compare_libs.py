"""Exporter overhead vs the plain libraries, on the same (resolved) records.

* BibTeX: ``mlsys_bib.export.bibtex.bibtex_text`` (records -> text: field selection, LaTeX
  escaping, brace protection, then bibtexparser's writer) vs ``bibtexparser.write_string`` on
  a Library holding the very entries the project wrote (parsed back from its output, untimed).
* References: ``mlsys_bib.export.refs.write_refs`` (no render memo: every entry formatted)
  vs citeproc-py alone formatting the project's own CSL items: once as one bibliography of all
  records, and once per section exactly as the project groups them (the fair comparison: a
  record listed in three sections is formatted three times by both).
* CSL-JSON: ``csl_json_text`` vs ``json.dumps`` of the same items.

The records are the seed, resolved against the fake services (so they carry authors, venues,
pages) and then loaded offline from that cache.

    python bench/compare_libs.py [--styles apa,ieee,acm] [--repeat 5]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def resolved_records(workdir: Path) -> list[Any]:
    from bench.warm_rebuild import populate_cache
    from mlsys_bib.build import bundled_list_path, load_list
    from mlsys_bib.config import Settings
    from mlsys_bib.resolve import resolve_records

    cache = workdir / "cache.sqlite"
    populate_cache(bundled_list_path(), cache)
    records = list(load_list().records)
    resolve_records(records, Settings.from_env({}, cache_path=cache, offline=True, progress=False))
    return records


def plain_citeproc(style_path: str, groups: list[list[dict[str, Any]]]) -> int:
    """citeproc-py alone: one bibliography per group, every item registered and rendered."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    style = CitationStylesStyle(style_path, locale="en-US", validate=False)
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for items in groups:
            source = CiteProcJSON(copy.deepcopy(items))
            bib = CitationStylesBibliography(style, source, formatter.plain)
            for item in items:
                bib.register(Citation([CitationItem(item["id"])]))
            n += sum(1 for _ in bib.bibliography())
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--styles", default="apa,ieee,acm")
    ap.add_argument("--repeat", type=int, default=5, help="repeats of the fast measurements (best is kept)")
    ap.add_argument("--refs-repeat", type=int, default=2, help="repeats of the (slow) reference runs")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import bibtexparser
    from bibtexparser.writer import BibtexFormat

    from mlsys_bib.export import bibtex, csljson, refs
    try:  # the title-protection memo's home since the case rules left export.latex
        from mlsys_bib.text import case as latex
    except ImportError:  # an older checkout measured with --src
        from mlsys_bib.export import latex

    styles = [s for s in args.styles.split(",") if s]
    out: dict[str, Any] = {
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="mlsys-libs-") as tmp:
        workdir = Path(tmp)
        records = resolved_records(workdir)
        out["records"] = len(records)

        # -- BibTeX ------------------------------------------------------------------------------
        rows = {}
        for label, biblatex in (("bibtex", False), ("biblatex", True)):
            # first call: the title-protection memo (if any) still empty
            for memo in ("_spans_memo", "_protected_spans_cached"):  # now, and in older checkouts
                getattr(getattr(latex, memo, None), "cache_clear", lambda: None)()
            t0 = time.perf_counter()
            text = bibtex.bibtex_text(records, biblatex=biblatex)
            t_first = time.perf_counter() - t0
            t_project, _ = _best(lambda b=biblatex: bibtex.bibtex_text(records, biblatex=b), args.repeat)
            # the plain library writing the very Entry objects the project builds, same format
            library = bibtexparser.Library([bibtex.bibtex_entry(r, biblatex=biblatex) for r in records])
            fmt = BibtexFormat()
            fmt.indent, fmt.value_column, fmt.block_separator, fmt.trailing_comma = "  ", "auto", "\n", False
            t_plain, plain_text = _best(
                lambda lib=library, f=fmt: bibtexparser.write_string(lib, unparse_stack=[], bibtex_format=f),
                args.repeat,
            )
            assert plain_text.strip() in text, "the plain writer should reproduce the project's entries"
            t_fields, _ = _best(
                lambda b=biblatex: [bibtex.bibtex_fields(r, biblatex=b) for r in records], args.repeat
            )
            rows[label] = {
                "project_first_call_s": round(t_first, 4),
                "project_s": round(t_project, 4),
                "project_fields_only_s": round(t_fields, 4),
                "bibtexparser_write_s": round(t_plain, 4),
                "ratio": round(t_project / t_plain, 2),
                "ratio_first_call": round(t_first / t_plain, 2),
                "entries": len(library.entries),
            }
        out["bibtex"] = rows

        # -- CSL-JSON ----------------------------------------------------------------------------
        t_project, text = _best(lambda: csljson.csl_json_text(records), args.repeat)
        items = json.loads(text)
        t_plain, _ = _best(lambda: json.dumps(items, indent=2, ensure_ascii=False), args.repeat)
        out["csljson"] = {"project_s": round(t_project, 4), "json_dumps_s": round(t_plain, 4),
                          "ratio": round(t_project / t_plain, 2), "items": len(items)}  # fmt: skip

        # -- reference lists ---------------------------------------------------------------------
        order = refs.section_order(records, None)
        members = refs.section_members(records, order)
        by_key = {item["id"]: item for item in items}
        section_groups = [[by_key[r.key] for r in members[s]] for s in order if members[s]]
        all_group = [items]
        entries_per_style = sum(len(g) for g in section_groups)
        ref_rows = {}
        for style in styles:
            path = refs.STYLES.get(style) or refs._bundled_style(style)
            t_project = t_sections = t_all = float("inf")
            for rep in range(args.refs_repeat):  # alternate who goes first; keep the best of each
                runs = [("project", rep), ("sections", rep), ("all", rep)]
                if rep % 2:
                    runs.reverse()
                for what, _ in runs:
                    t0 = time.perf_counter()
                    if what == "project":
                        report = refs.write_refs(
                            records, workdir / f"refs-{style}-{rep}", styles=[style], memo=None
                        )
                        t_project = min(t_project, time.perf_counter() - t0)
                    elif what == "sections":
                        n_sections = plain_citeproc(path, section_groups)
                        t_sections = min(t_sections, time.perf_counter() - t0)
                    else:
                        n_all = plain_citeproc(path, all_group)
                        t_all = min(t_all, time.perf_counter() - t0)
            ref_rows[style] = {
                "project_write_refs_s": round(t_project, 3),
                "project_entries": report.entries.get(style),
                "citeproc_per_section_s": round(t_sections, 3),
                "citeproc_per_section_entries": n_sections,
                "citeproc_one_bibliography_s": round(t_all, 3),
                "citeproc_one_bibliography_entries": n_all,
                "ratio_vs_per_section": round(t_project / t_sections, 2),
                "ratio_vs_one_bibliography": round(t_project / t_all, 2),
                "project_ms_per_entry": round(1000 * t_project / max(1, entries_per_style), 2),
                "citeproc_ms_per_entry": round(1000 * t_sections / max(1, n_sections), 2),
            }
            print(style, json.dumps(ref_rows[style]), flush=True)
        out["refs"] = ref_rows
        out["sections"] = len(section_groups)
        out["section_entries"] = entries_per_style

    out["loadavg_end"] = os.getloadavg()
    print(json.dumps(out, indent=1))
    path = args.json or RESULTS / "compare_libs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
