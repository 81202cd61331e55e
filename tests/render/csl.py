"""Render CSL-JSON with pandoc --citeproc and read the project's own reference lists, per entry."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from mlsys_bib.styles import CSL_STYLES, csl_style

CSL_NAMES = tuple(CSL_STYLES)  # apa, ieee, acm


def pandoc() -> str | None:
    """The pandoc users of the package get (the pinned one), else one on PATH."""
    try:
        from mlsys_bib.export.citeproc_pandoc import pandoc_binary
    except ImportError:  # an older mlsys_bib measured by bench/rendered_matrix.py
        return shutil.which("pandoc")
    return pandoc_binary() or shutil.which("pandoc")


def pandoc_missing() -> str | None:
    return None if pandoc() else "pandoc not installed (pip install -e . brings the pinned one)"


class _Entries(HTMLParser):
    """Text of every element whose id is ``ref-KEY`` (pandoc's divs, our refs' list items)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: dict[str, str] = {}
        self._key: str | None = None
        self._depth = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id") or ""
        if self._key is None and ident.startswith("ref-"):
            self._key, self._depth, self._parts = ident[4:], 0, []
        if self._key is not None:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._key is None:
            return
        self._depth -= 1
        if self._depth == 0:
            self.entries[self._key] = " ".join("".join(self._parts).split())
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            self._parts.append(data)


def entries_of_html(text: str) -> dict[str, str]:
    parser = _Entries()
    parser.feed(text)
    return parser.entries


def render_pandoc(bibliography: Path, style: str, work: Path) -> dict[str, str]:
    """``{key: rendered entry}`` of pandoc --citeproc citing everything in ``bibliography``."""
    work.mkdir(parents=True, exist_ok=True)
    doc = work / "nocite.md"
    doc.write_text("---\nnocite: '@*'\n---\n")
    proc = subprocess.run(
        [str(pandoc()), str(doc), "--citeproc", f"--bibliography={bibliography}", f"--csl={csl_style(style)}",
         "--to=html", "--wrap=none"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return entries_of_html(proc.stdout)


def read_refs(refs_dir: Path, style: str) -> dict[str, str]:
    """``{key: entry}`` from the project's own ``refs/<style>/*.html`` (every section)."""
    entries: dict[str, str] = {}
    for page in sorted((refs_dir / style).glob("*.html")):
        entries.update(entries_of_html(page.read_text(encoding="utf-8")))
    return entries


def refs_order(refs_dir: Path, style: str) -> dict[str, list[str]]:
    """Per section page, the keys in the order printed (APA must be alphabetical)."""
    order: dict[str, list[str]] = {}
    for page in sorted((refs_dir / style).glob("*.html")):
        order[page.stem] = re.findall(r'id="ref-([^"]+)"', page.read_text(encoding="utf-8"))
    return order


__all__ = ["CSL_NAMES", "entries_of_html", "html", "pandoc_missing", "read_refs", "refs_order", "render_pandoc"]
