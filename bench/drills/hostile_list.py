"""Hostile-list drill: one list with every kind of list text that broke a build (issue 11).

Builds a list holding a 300-character heading, headings that slug alike (``A``, ``A!``, ``A 2``),
an empty heading, a line of 10 and one of 150 nested bullets, a staircase of ever-deeper items,
megabyte lines and venue tags, control characters, ``<script>`` and ``\\input{}`` in titles and
bytes that are not UTF-8; then runs ``mlsys-bib build --offline`` (every service pointed at a
closed local port) in a subprocess and checks:

* the exit code is 0 and no line of stderr is longer than the CLI's cap (one-line messages);
* every planted paper is either exported (its marker word is in mlsys.bib) or reported by line
  in report.json (unparsed, notes, warnings): nothing silently lost;
* the refs/ file names are short and unique per section, keys are at most ~40 characters;
* nothing outside ``--out`` was created or changed (the work directory is compared before/after),
  and a user's files inside it (``refs/apa/notes.md``, ``page.html``, ``.a.b.tmp``) survive the build.

``--short`` builds a small version (CI runs it through tests/drills/test_drill_hostile.py);
the full one plants megabyte lines. Prints one JSON summary; exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ARXIV", "CROSSREF", "DOI", "DBLP")
MAX_LINE = 320  # the CLI caps a message at 300 characters, plus "mlsys-bib: warning: "


def hostile_list(big: int) -> tuple[bytes, list[str]]:
    """The list's bytes and the marker word planted in each paper's title (``zq0``, ``zq1``...)."""
    markers: list[str] = []

    def paper(tag: str = "OSDI'22", title: str = "a system", prefix: str = "- ") -> str:
        marker = f"zq{len(markers)}"
        markers.append(marker)
        return f"{prefix}[{tag}] {marker.capitalize()}: {title}\n"

    parts = ["# Hostile list\n\n"]
    parts += [f"## {' '.join(['word'] * 60)}\n\n", paper()]  # a 299-character heading
    for heading in ("A", "A!", "A 2"):  # three headings with one slug before the fix
        parts += [f"\n## {heading}\n\n", paper(), paper("SOSP'21")]
    parts += ["\n## \n\n", paper()]  # an empty heading
    parts += ["\n## Nesting\n\n", paper(), paper(prefix="- " * 10), paper(), paper(prefix="- " * 150), paper()]
    parts += [paper(prefix=" " * (2 * k) + "- ") for k in range(120)]  # a staircase past the limit
    parts += ["\n## Text\n\n"]
    parts += [paper(title="a <script>alert(1)</script> system")]
    parts += [paper(title=r"a \input{/etc/passwd} and \write18{rm -rf} system")]
    parts += [paper(title="control \x01\x07\x1b[31m characters \x7f in a title")]
    parts += [paper(title="x" * big)]  # a very long title line
    parts += [paper(tag="X" * big + "'22")]  # a very long venue tag
    parts += [paper(title="long " + "word " * (big // 5))]
    parts += ["- " + "y" * big + "\n"]  # a long line that is no paper: a note
    text = "".join(parts).encode("utf-8")
    bad = paper(title="invalid \udcff bytes").encode("utf-8", errors="surrogateescape")
    return text + bad + b"\n## After\n\n" + paper().encode(), markers


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in root.rglob("*"):
        if skip in p.parents or p == skip or not p.is_file():
            continue
        st = p.stat()
        out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def run(short: bool, work: Path) -> dict[str, object]:
    raw, markers = hostile_list(2_000 if short else 1_000_000)
    listed = work / "hostile.md"
    listed.write_bytes(raw)
    out = work / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLSYS_BIB_CACHE": str(work / "cache.sqlite")}
    env.update({f"MLSYS_BIB_{s}_URL": "http://127.0.0.1:9" for s in SERVICES})
    before = _snapshot(work, out)
    users = {"notes.md": "mine\n", "page.html": "<p>mine</p>\n", ".a.b.tmp": "mine\n"}
    for name, text in users.items():  # a user's files where the tool writes: never its to delete
        (out / "refs" / "apa").mkdir(parents=True, exist_ok=True)
        (out / "refs" / "apa" / name).write_text(text, encoding="utf-8")
    cmd = [sys.executable, "-m", "mlsys_bib.cli", "-q", "build", "--offline", "--list", str(listed),
           "--out", str(out), "--style", "apa"]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    seconds = round(time.perf_counter() - t0, 2)
    after = _snapshot(work, out)
    problems: list[str] = []
    if proc.returncode != 0:
        problems.append(f"exit {proc.returncode}: {proc.stderr[-500:]}")
    long_lines = [len(line) for line in proc.stderr.splitlines() if len(line) > MAX_LINE]
    if long_lines or "Traceback" in proc.stderr:
        problems.append(f"stderr lines over {MAX_LINE} characters: {long_lines[:5]}, or a traceback")
    touched = sorted(set(after) ^ set(before) | {k for k in after if k in before and after[k] != before[k]})
    touched = [t for t in touched if not t.startswith("cache.sqlite")]
    if touched:
        problems.append(f"files outside --out touched: {touched[:5]}")
    gone = [n for n, t in users.items() if not (out / "refs" / "apa" / n).is_file()
            or (out / "refs" / "apa" / n).read_text(encoding="utf-8") != t]  # fmt: skip
    if gone:
        problems.append(f"a user's files in --out deleted or changed: {gone}")
    lost: list[str] = []
    if proc.returncode == 0:
        bib = (out / "mlsys.bib").read_text(encoding="utf-8").lower()
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        reported_lines = {r["line"] for key in ("unparsed", "notes", "warnings") for r in report.get(key, [])}
        text_lines = raw.decode("utf-8", errors="replace").split("\n")
        for marker in markers:
            line = next(n for n, t in enumerate(text_lines, 1) if f"{marker.capitalize()}:" in t)
            if marker not in bib and line not in reported_lines:
                lost.append(f"{marker} (line {line})")
        if lost:
            problems.append(f"papers neither exported nor reported: {lost[:10]}")
        keys = [line.split("{", 1)[1].rstrip(",") for line in bib.splitlines() if line.startswith("@")]
        if max(map(len, keys)) > 42:
            problems.append(f"a key of {max(map(len, keys))} characters")
        names = [p.name for p in (out / "refs" / "apa").iterdir()]
        if max(map(len, names)) > 100:
            problems.append(f"a refs/ file name of {max(map(len, names))} characters")
        warnings = report.get("warnings", [])
        if not any("invalid UTF-8" in w["reason"] for w in warnings):
            problems.append("no warning for the invalid UTF-8 line")
    return {
        "short": short,
        "list_bytes": len(raw),
        "papers_planted": len(markers),
        "exit": proc.returncode,
        "seconds": seconds,
        "stderr_lines": len(proc.stderr.splitlines()),
        "longest_stderr_line": max((len(line) for line in proc.stderr.splitlines()), default=0),
        "lost": lost,
        "problems": problems,
        "ok": not problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="a small list (for CI)")
    parser.add_argument("--work", help="work directory (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.work:
        Path(args.work).mkdir(parents=True, exist_ok=True)
        result = run(args.short, Path(args.work))
    else:
        with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
            result = run(args.short, Path(tmp))
    print(json.dumps(result, indent=1))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
