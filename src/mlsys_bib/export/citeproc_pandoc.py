"""Formatting references with pandoc's citeproc: the renderer behind ``refs/``.

Why pandoc and not citeproc-py: rendered side by side on the resolved seed (bench/rendered_matrix.py),
citeproc-py printed IEEE's comma outside the closing quote in all 874 entries (``“Title”, in``),
``?.`` after question titles, an author-less APA entry's title twice and ACM's ``. .`` for empty
groups, and it implements CSL 1.0.1 only; pandoc's citeproc (Haskell, maintained with pandoc)
rendered the same entries with none of these (0 defective entries in APA). It also renders the
whole bibliography of a style in one process (~0.4 s for 874 entries), where citeproc-py needed
~4 ms an entry.

pandoc is a pinned Python dependency (``pypandoc-binary`` ships the binary), so ``pip install``
is all a user needs and every machine renders the same bytes; a ``pandoc`` on PATH is the
fallback. Rendering goes through pandoc's JSON AST, never its HTML: the AST is turned into the
sentinel text of :mod:`.markup_sentinels`, which each output format escapes itself, so nothing in
the data can become markup.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .markup_sentinels import MARKS

_CSL_NS = "{http://purl.org/net/xbiblio/csl}"
_NUMERIC_LABEL = re.compile(r"^\[\d+\]$")
TIMEOUT = 300


class RenderError(RuntimeError):
    """pandoc is missing or failed: the caller lists the entries unformatted and reports why."""


@dataclass(frozen=True)
class Rendered:
    """One bibliography entry: the style's label (``[3]``, or "") and the text, with sentinels."""

    key: str
    label: str
    text: str


@functools.lru_cache(maxsize=1)
def pandoc_binary() -> str | None:
    """The pinned pandoc that pypandoc-binary ships, else one on PATH, else None."""
    try:
        import pypandoc  # noqa: F401  (only its files/ directory is used)
    except ImportError:
        return shutil.which("pandoc")
    bundled = Path(pypandoc.__file__).resolve().parent / "files" / "pandoc"
    return str(bundled) if bundled.is_file() else shutil.which("pandoc")


@functools.lru_cache(maxsize=1)
def pandoc_version() -> str:
    """``pandoc 3.9`` (part of every memo key: another pandoc may print other bytes)."""
    binary = pandoc_binary()
    if binary is None:
        return "no pandoc"
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    return proc.stdout.splitlines()[0].strip() if proc.stdout else "pandoc ?"


@functools.lru_cache(maxsize=16)
def style_info(style: Path) -> tuple[str, bool]:
    """``(title, sorted)``: the style's human title, and whether its bibliography is sorted
    (APA: by author) rather than in citation order (IEEE, ACM: numbered as cited)."""
    root = ET.parse(style).getroot()  # a vendored, trusted file
    title = root.findtext(f"{_CSL_NS}info/{_CSL_NS}title") or style.stem
    return " ".join(title.split()), root.find(f"{_CSL_NS}bibliography/{_CSL_NS}sort") is not None


def render(items: Sequence[dict[str, Any]], style: Path) -> list[Rendered]:
    """Every item formatted by ``style``, in the style's order (citation order = ``items`` order)."""
    binary = pandoc_binary()
    if binary is None:
        raise RenderError("pandoc not found (install the package's pypandoc-binary dependency)")
    if not items:
        return []
    with tempfile.TemporaryDirectory(prefix="mlsys-bib-refs-") as tmp:
        bib = Path(tmp) / "items.json"
        bib.write_text(json.dumps(list(items), ensure_ascii=False), encoding="utf-8")
        args = [binary, "--from=markdown", "--to=json", "--citeproc",
                f"--bibliography={bib}", f"--csl={style}"]  # fmt: skip
        try:
            proc = subprocess.run(
                args, input="---\nnocite: '@*'\n---\n", capture_output=True, text=True, timeout=TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"pandoc failed: {exc}") from exc
    if proc.returncode != 0:
        raise RenderError(f"pandoc exited {proc.returncode}: {' '.join(proc.stderr.split())[:300]}")
    return list(_entries(json.loads(proc.stdout)["blocks"]))


def _entries(blocks: list[dict[str, Any]]) -> Any:
    for block in blocks:
        if block.get("t") != "Div":
            continue
        (ident, classes, _), content = block["c"]
        if "csl-entry" in classes and ident.startswith("ref-"):
            yield _entry(ident[4:], content)
        else:
            yield from _entries(content)


def _entry(key: str, blocks: list[dict[str, Any]]) -> Rendered:
    label = ""
    parts: list[str] = []
    for block in blocks:
        if block.get("t") == "Div":  # pandoc < 3: left-margin / right-inline as blocks
            (_, classes, _), inner = block["c"]
            text = " ".join(inline_text(b.get("c", [])) for b in inner if b.get("t") in ("Para", "Plain"))
            if "csl-left-margin" in classes:
                label = text.strip()
            else:
                parts.append(text)
            continue
        inlines = block.get("c", []) if block.get("t") in ("Para", "Plain") else []
        if inlines and inlines[0].get("t") == "Span" and "csl-left-margin" in inlines[0]["c"][0][1]:
            label = inline_text(inlines[0]["c"][1]).strip()
            inlines = inlines[1:]
        parts.append(inline_text(inlines))
    return Rendered(key, label, " ".join(" ".join(parts).split()))


_WRAP = {
    "Emph": "i", "Strong": "b", "Superscript": "sup", "Subscript": "sub", "SmallCaps": "sc", "Underline": "u",
}  # fmt: skip
_QUOTES = {"DoubleQuote": ("\u201c", "\u201d"), "SingleQuote": ("\u2018", "\u2019")}


def inline_text(nodes: list[dict[str, Any]]) -> str:
    """pandoc inlines as text with markup sentinels; links become their text (linkify re-links)."""
    out: list[str] = []
    for node in nodes:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in _WRAP:
            open_, close = MARKS[_WRAP[kind]]
            out.append(open_ + inline_text(content) + close)
        elif kind == "Quoted":
            open_, close = _QUOTES.get(content[0]["t"], ("\u201c", "\u201d"))
            out.append(open_ + inline_text(content[1]) + close)
        elif kind in ("Span", "Link", "Cite"):
            out.append(inline_text(content[1]))  # [attr or citations, inlines, (target)]
        elif kind == "Strikeout":
            out.append(inline_text(content))
        elif kind in ("Code", "Math", "RawInline"):
            out.append(content[1])  # literal text: escaped later like everything else
    return "".join(out)


def is_numbered(label: str) -> bool:
    """Whether a label is a citation number (``[12]``): renumbered per section file."""
    return bool(_NUMERIC_LABEL.match(label))


# -- large bibliographies: whole disambiguation groups per pandoc run, styles side by side -------------

#: Up to this many entries a style is rendered by one pandoc run, exactly as it always was.
PARTITION_MIN = 1500
#: Entries per pandoc run when a disambiguating style's bibliography is split (whole groups only).
CHUNK = 400
#: Split groups by year too (measured: not faithful, pandoc disambiguates names across years).
YEAR_GROUPS = False
_DISAMBIGUATES = re.compile(
    r'\sdisambiguate-add-(?:givenname|names|year-suffix)="true"|\sgivenname-disambiguation-rule="[^"]*"'
)


@functools.lru_cache(maxsize=16)
def _disambiguates(style: Path) -> bool:
    root = ET.parse(style).getroot()
    citation = root.find(f"{_CSL_NS}citation")
    return citation is not None and any(k.startswith("disambiguate-") for k in citation.attrib)


def _undisambiguated(style: Path, tmp: Path) -> Path:
    """The style without its disambiguation attributes: the same sort keys, so the same order."""
    path = tmp / f"order-{style.name}"
    path.write_text(_DISAMBIGUATES.sub("", style.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def _fold(text: object) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", " ".join(str(text or "").split()))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def ambiguity_group(item: dict[str, Any]) -> tuple[str, str]:
    """Entries whose citations could ever read alike share a group: the first name of the author
    (or editor) list, folded, and the year. Disambiguation (added names, initials, year
    suffixes) only ever happens between cites that read alike, so it stays inside a group."""
    names = item.get("author") or item.get("editor") or []
    first = names[0] if names else {}
    who = _fold(first.get("family") or first.get("literal") or "") if isinstance(first, dict) else ""
    issued = item.get("issued") or {}
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    if parts and parts[0]:
        year = str(parts[0][0])
    else:
        year = str(issued.get("literal", "")) if isinstance(issued, dict) else ""
    if not YEAR_GROUPS:
        year = ""

    return who, year


def _chunks(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Whole ambiguity groups packed into runs of about :data:`CHUNK` entries, in first-seen order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(ambiguity_group(item), []).append(item)
    chunks: list[list[dict[str, Any]]] = [[]]
    for members in groups.values():
        if chunks[-1] and len(chunks[-1]) + len(members) > CHUNK:
            chunks.append([])
        chunks[-1].extend(members)
    return [c for c in chunks if c]


def render_many(
    jobs: dict[str, tuple[Sequence[dict[str, Any]], Path]],
) -> dict[str, list[Rendered] | RenderError]:
    """Several styles' bibliographies at once (``name -> (items, style)``), pandoc runs spread
    over the machine's cores: each answer is what :func:`render` gives for that style.

    A style that disambiguates (APA: "2024a", added initials) costs pandoc time quadratic in the
    entries: past :data:`PARTITION_MIN` entries its bibliography is rendered in runs of whole
    ambiguity groups (:func:`ambiguity_group`), which cannot disambiguate against each other, and
    its order comes from one run of the style without disambiguation (same sort keys); a label
    that is a citation number is given its place in that order.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    out: dict[str, list[Rendered] | RenderError] = {}
    with tempfile.TemporaryDirectory(prefix="mlsys-bib-order-") as tmp, ThreadPoolExecutor(
        max_workers=max(1, min(len(jobs) * 4, os.cpu_count() or 1))
    ) as pool:
        plans: dict[str, tuple[Any, list[Any]]] = {}
        for name, (items, style) in jobs.items():
            if len(items) > PARTITION_MIN and _disambiguates(style):
                order = pool.submit(render, items, _undisambiguated(style, Path(tmp)))
                plans[name] = (order, [pool.submit(render, chunk, style) for chunk in _chunks(items)])
            else:
                plans[name] = (pool.submit(render, items, style), [])
        for name, (whole, parts) in plans.items():
            try:
                if not parts:
                    out[name] = whole.result()
                    continue
                ordered = whole.result()
                by_key = {r.key: r for part in parts for r in part.result()}
                rendered = []
                for n, entry in enumerate(ordered, 1):
                    chosen = by_key.get(entry.key)
                    if chosen is None:
                        continue
                    label = f"[{n}]" if is_numbered(chosen.label) else chosen.label
                    rendered.append(Rendered(chosen.key, label, chosen.text))
                out[name] = rendered
            except RenderError as exc:
                out[name] = exc
    return out
