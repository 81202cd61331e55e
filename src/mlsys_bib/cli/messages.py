"""What the commands print about a run: one-line errors, collapsed repeats, the list's warnings, the
papers published since listed and the services that did not answer. Shared by every command."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence

#: An error or warning line is cut here: list text (a megabyte heading, a hostile tag) must never
#: flood a terminal or a CI log; report.json keeps the detail.
MAX_MESSAGE = 300


def one_line(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` on one line, whitespace and control characters folded, at most ``limit`` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in message[: limit * 4]).split())
    if len(message) > limit * 4 or len(text) > limit:
        return text[: limit - 1] + "\u2026"
    return text


def err(message: str) -> None:
    print(f"mlsys-bib: {one_line(message)}", file=sys.stderr)


def collapsed(lines: Sequence[str]) -> list[str]:
    """Repeats of one message (a line of 50 empty bullets) as one line ending in `` (xN)``.

    The message is cut before the count is added, so the count survives :func:`one_line`'s cap."""
    out: list[str] = []
    for line, n in Counter(lines).items():
        if n == 1:
            out.append(line)
        else:
            suffix = f" (x{n})"
            out.append(one_line(line, MAX_MESSAGE - len(suffix) - len("mlsys-bib: ")) + suffix)
    return out


def warning_lines(rep: Mapping[str, object]) -> list[str]:
    """``file:line: reason: text`` for each warning the list gave (damaged bytes, cut tags)."""
    warnings = rep.get("warnings")
    return [
        f"{w['file'] or w.get('list') or 'list'}:{w['line']}: {w['reason']}"
        + (f": {str(w['text'])[:100]}" if w.get("text") else "")
        for w in (warnings if isinstance(warnings, list) else [])
    ]


def published_since_listed(rows: list[dict[str, object]]) -> str:
    """One line for build, status and stats: how many papers the list still tags as preprints (or
    at the wrong venue) are cited as published, with three examples (old tag -> venue)."""
    if not rows:
        return ""
    shown = ", ".join(f"{r['key']} ({r.get('tag') or 'untagged'} -> {r.get('venue')})" for r in rows[:3])
    return f"published since listed: {len(rows)} — e.g. {shown}"


def service_problems(report: object) -> list[str]:
    """What kept services from answering this run, one line per cause: the unreachable ones
    together, each walled one (DBLP's bot page: HTTP 200 with HTML) on its own, and throttling."""
    why: dict[str, str] = getattr(report, "why", {}) or {}
    down = list(getattr(report, "unreachable", []) or [])
    walled = [s for s in down if why.get(s, "").startswith("walled")]
    lines = [f"{s} walled: {why[s].removeprefix('walled: ')}; not used, retried next run" for s in walled]
    unreachable = [s for s in down if s not in walled]
    if unreachable:
        lines.append(f"network unreachable ({', '.join(unreachable)})")
    throttled = getattr(report, "throttled", {}) or {}
    if throttled:
        counts = ", ".join(f"{k} {v}" for k, v in throttled.items())
        lines.append(f"throttled: {counts} (spacing widened)")
    return lines
