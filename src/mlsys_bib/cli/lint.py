"""The commands that read a list and nothing else: ``check`` (its errors, warnings and notes) and
``stats`` (counts per section, venue, year and identifier)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from .messages import collapsed, one_line, published_since_listed, warning_lines
from .options import sources_of


def cmd_check(args: argparse.Namespace) -> int:
    from ..build import list_report, load_list

    recordset = load_list(sources_of(args), allow_empty=True)
    rep = list_report(recordset)
    errors = collapsed([
        f"{u['list'] + ': ' if u.get('list') else ''}line {u['line']}: {u['reason']}: {u['text'][:120]}"
        for u in rep["unparsed"]
    ])
    per_list = recordset.list_reports or [{"source": rep["list"], "items": rep["items"]}]
    empty = [f"{r['source']}: no papers found: a build would fail" for r in per_list if not r["items"]]
    errors += empty
    # the summary counts what is wrong (one per unparsed bullet, as report.json does), not lines shown
    n_errors = len(rep["unparsed"]) + len(empty)
    warnings = warning_lines(rep) + [
        f"lines {', '.join(map(str, t['lines'][:20]))}: unknown venue tag [{t['tag'][:100]}]"
        for t in rep["unknown_tags"]
    ]
    warnings += [
        f"lines {', '.join(map(str, c['lines']))}: {c['key']}: {c['conflict']}" for c in rep["conflicts"]
    ]
    notes = [
        f"line {n['line']}: note attached to line {n['attached_to']}: {n['text'][:80]}" for n in rep["notes"]
    ]
    if args.json:
        print(
            json.dumps({"errors": errors, "warnings": warnings, "notes": notes}, indent=1, ensure_ascii=False)
        )
    else:
        for e in errors:
            print(f"error: {one_line(e)}", file=sys.stderr)
        for w in warnings:
            print(f"warning: {one_line(w)}", file=sys.stderr)
        for n in notes:
            print(f"note: {one_line(n)}", file=sys.stderr)
        sys.stderr.flush()  # the summary must not run into the last warning on a shared terminal
        print(
            f"{rep['items']} items, {rep['records']} records, {rep['merges']} merged; "
            f"{n_errors} errors, {len(warnings)} warnings, {len(notes)} notes"
        )
    return 1 if errors else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from ..build import list_report, load_list

    recordset = load_list(sources_of(args))
    rep = list_report(recordset)
    venues = Counter(r.tag.venue if r.tag else "(none)" for r in recordset.records)
    years = Counter(str(r.get("year") or "(none)") for r in recordset.records)
    ids = Counter(i.kind for r in recordset.records for i in {x.kind: x for x in r.identifiers}.values())
    out = {
        "items": rep["items"],
        "records": rep["records"],
        "merges": rep["merges"],
        "survey_items": rep["survey_items"],
        "sections_with_items": rep["sections_with_items"],
        "sections": rep["sections"],
        "venues": dict(venues.most_common()),
        "years": dict(sorted(years.items())),
        "identifiers": dict(ids.most_common()),
        "records_without_identifier": sum(1 for r in recordset.records if not r.identifiers),
    }
    try:  # what the last build found out (stats itself reads only the list)
        built = json.loads((Path(args.out) / "report.json").read_text(encoding="utf-8"))
        rows = (built.get("resolve") or {}).get("published_since_listed") or []
        out["published_since_listed"] = len(rows)
        published_line = published_since_listed(rows)
    except (OSError, ValueError, AttributeError):
        published_line = ""
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print(
        f"{out['items']} items, {out['records']} records, {out['merges']} merged, "
        f"{out['survey_items']} survey items, {out['sections_with_items']} sections with papers"
    )
    for s in rep["sections"]:
        print(f"  {s['items']:4d} items {s['records']:4d} records  {s['section']}")
    print(
        "identifiers: "
        + ", ".join(f"{k} {v}" for k, v in out["identifiers"].items())
        + f", none {out['records_without_identifier']}"
    )
    print("top venues: " + ", ".join(f"{k} {v}" for k, v in venues.most_common(15)))
    if published_line:
        print(published_line + f" (last build in {args.out})")
    return 0
