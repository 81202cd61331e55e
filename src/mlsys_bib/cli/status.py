"""``status``: the verdicts of the last build from its report.json, one line per cause (what a
verdict's detail says once the per-record parts are dropped) unless ``--verbose``."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .messages import err, published_since_listed

_VARYING = re.compile(r"'[^']*'|\S*\d\S*")  # quoted titles and tokens with ids, paths, years or URLs
_SERVICE_PART = re.compile(r"(?:^|;\s*)(arxiv|crossref|doi|dblp): ")
#: words of a lookup's detail → the cause it names (first match wins); data, so a new message is one row
_ERROR_WORDS: tuple[tuple[str, str], ...] = (
    ("unreachable", "unreachable"),
    ("connection error", "unreachable"),
    ("timed out", "timed out"),
    ("not the format asked", "walled (answered with another format)"),
    ("bot", "walled (answered with another format)"),
    ("HTTP 429", "throttled"),
    ("HTTP 5", "server error"),
    ("HTTP 4", "client error"),
    ("not found", "not found"),
    ("no match", "no match"),
    ("ambiguous", "ambiguous"),
)


def cause_of(detail: str) -> str:
    """What a verdict's detail says once the per-record parts are dropped, so 873 offline failures read
    as the three causes they are (one per service) instead of 873 lines."""
    starts = [(m.start(), m.end(), m.group(1)) for m in _SERVICE_PART.finditer(detail)]
    causes: list[str] = []
    for i, (_, end, service) in enumerate(starts):
        part = detail[end : starts[i + 1][0] if i + 1 < len(starts) else len(detail)]
        kind = next((k for words, k in _ERROR_WORDS if words in part), None)
        causes.append(f"{service} {kind}" if kind else f"{service}: {_blank(part)}")
    return " + ".join(dict.fromkeys(causes)) or _blank(detail) or "(no detail)"


def _blank(text: str) -> str:
    return " ".join(_VARYING.sub("…", text.split(" (", 1)[0]).split())[:100]


def cmd_status(args: argparse.Namespace) -> int:
    path = Path(args.out) / "report.json"
    try:
        rep = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err(f"cannot read {path}: {exc} (run `mlsys-bib build` first)")
        return 2
    print(f"{rep['records']} records: " + ", ".join(f"{k} {v}" for k, v in rep.get("verdicts", {}).items()))
    resolve = rep.get("resolve") or {}
    published_line = published_since_listed(resolve.get("published_since_listed") or [])
    if published_line:
        print("  " + published_line)
    doubtful = resolve.get("published_ambiguous") or []
    if doubtful:
        print(f"  published version not used (ambiguous): {len(doubtful)} — e.g. {doubtful[0]['key']}: "
              f"{doubtful[0].get('reason', '')}")  # fmt: skip
    for verdict in ("failed", "ambiguous", "partial", "not_found"):
        rows = resolve.get(verdict, [])
        label = verdict.replace("_", " ")
        if args.verbose:
            for row in rows:
                print(f"  {label}: {row.get('key')}: {row.get('detail') or row.get('reason') or ''}")
            continue
        groups: dict[str, list[str]] = {}
        for row in rows:
            cause = cause_of(row.get("detail") or row.get("reason") or "")
            groups.setdefault(cause, []).append(str(row.get("key")))
        for cause, keys in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            more = f", … ({len(keys) - 3} more)" if len(keys) > 3 else ""
            print(f"  {label} {len(keys)}: {cause} — e.g. {', '.join(keys[:3])}{more}")
    if not args.verbose and any(resolve.get(v) for v in ("failed", "ambiguous", "partial", "not_found")):
        print("  (one line per cause; --verbose lists every record with its full detail)")
    return 0
