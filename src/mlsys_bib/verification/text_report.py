"""The human-readable report: one line per finding, ``file:line: key: severity: message``, like a compiler."""

from __future__ import annotations

from .findings import MatchBy, VerifyReport

__all__ = ["render_text"]


def render_text(report: VerifyReport) -> str:
    lines = []
    for e in report.entries:
        if e.match is MatchBy.BROKEN:
            lines.append(f"{report.path}:{e.line}: error: {e.detail}")
            continue
        for f in e.findings:
            text = f"{report.path}:{e.line}: {e.key}: {f.severity.value}: {f.kind.value}"
            if f.yours:
                text += f": yours {f.yours!r}"
            text += f"; curated {f.curated!r} ({f.source})"
            lines.append(text)
    counts = report.counts()
    n_findings = len(report.findings)
    summary = (
        f"{len(report.entries)} entries: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        + f"; {n_findings} findings"
    )
    lines.append(summary)
    return "\n".join(lines)
