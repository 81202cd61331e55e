"""``verify``: a paper's .bib checked against the curated set (:mod:`..verification`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .messages import err
from .options import settings_from, sources_of


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 nothing wrong, 1 findings, 2 bad input (unreadable file)."""
    from ..verification import verify
    from ..verification.text_report import render_text

    settings = settings_from(args)
    if not Path(args.bib).is_file():
        err(f"{args.bib}: no such file")
        return 2
    try:
        source = sources_of(args)
        report = verify(args.bib, source=source, settings=settings, online=args.online, fix=args.fix)
    except UnicodeDecodeError as exc:
        err(f"{args.bib}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
    else:
        print(render_text(report))
    if args.fix:
        print(f"wrote {args.fix}", file=sys.stderr)
    return report.exit_code
