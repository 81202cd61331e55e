"""The commands that run the pipeline: ``build`` (every export), ``resolve`` (the cache and the
verdicts only) and ``serve`` (a preview of the built site). What they run is imported when they
run: ``--help`` pays for none of it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .messages import collapsed, err, published_since_listed, service_problems, warning_lines
from .options import settings_from, sources_of


def cmd_build(args: argparse.Namespace) -> int:
    from ..build import DEFAULT_STYLES, build

    settings = settings_from(args)
    result = build(
        sources_of(args),
        args.out,
        settings=settings,
        resolve=not args.no_resolve,
        styles=tuple(args.styles or DEFAULT_STYLES),
        ascii=args.ascii,
        refs=not args.no_refs,
        lock_path=Path(args.keys) if args.keys else None,
        allow_shrink=args.allow_shrink,
        site=not args.no_site,
    )
    rep = result.report
    unparsed = [
        f"{u['list'] + ': ' if u.get('list') else ''}line {u['line']}: not understood ({u['reason']}): "
        f"{u['text'][:100]}"
        for u in rep["unparsed"]
    ]
    for line in collapsed(unparsed):
        err(line)
    for line in warning_lines(rep):
        err(f"warning: {line}")
    print(
        f"{rep['items']} items -> {rep['records']} records ({rep['merges']} merged), "
        f"{rep['continuation_lines']} continuation lines, {len(rep['notes'])} notes, "
        f"{len(rep['unparsed'])} unparsed, {len(rep['unknown_tags'])} unknown tags, "
        f"{len(rep['conflicts'])} conflicts"
    )
    verdicts = rep.get("verdicts", {})
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
    published_line = published_since_listed((rep.get("resolve") or {}).get("published_since_listed") or [])
    if published_line:
        print(published_line)
    if result.resolve_report is not None:
        requests = getattr(result.resolve_report, "requests", {})
        print("requests: " + (", ".join(f"{k} {v}" for k, v in sorted(requests.items()) if v) or "none"))
        unresolved = sum(v for k, v in verdicts.items() if k != "resolved")
        down = getattr(result.resolve_report, "unreachable", [])
        if settings.offline or getattr(result.resolve_report, "offline", False):
            print(f"offline: built from cache and list data; {unresolved} records not fully resolved")
        elif down:
            print(
                "; ".join(service_problems(result.resolve_report))
                + f": built from cache and list data; {unresolved} records not fully resolved, "
                + "retried next run"
            )
        elif unresolved:
            print(f"{unresolved} records not fully resolved (see {args.out}/report.json; retried next run)")
    print(f"wrote {', '.join(str(f) for f in result.files)}")
    refs = rep.get("refs") or {}
    failures = refs.get("failures", []) if isinstance(refs, dict) else []
    for f in failures:
        err(f"style {f.get('style')}: entry {f.get('key')}: {f.get('error')}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from ..build import load_list
    from ..resolve import resolve_records

    settings = settings_from(args)
    recordset = load_list(sources_of(args), settings=settings)
    report = resolve_records(recordset.records, settings)
    print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ..export.site.serve import serve

    return serve(Path(args.out), args.port)
