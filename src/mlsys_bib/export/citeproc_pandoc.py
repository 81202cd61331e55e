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

Large bibliographies (:func:`render_many`, past :data:`.citeproc_runs.PARTITION_MIN` entries) are rendered in
several pandoc runs spread over the cores and put back together, byte for byte what one run per
style prints: pandoc's APA time grows with the square of the entries (10x the seed: 221 s of CPU
in one run, 19 s in runs of ambiguity groups) and one run of 87,400 IEEE entries holds 2.9 GB.
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

from . import citeproc_runs as runs
from . import csl_sort_vars
from .citeproc_runs import CSL_NS
from .markup_sentinels import MARKS

_NUMERIC_LABEL = re.compile(r"^\[\d+\]$")
#: Seconds one pandoc run may take (a hung pandoc is given up on), and more per entry past
#: 30,000 entries: the order of 87,400 APA entries is one run of ~50 s of CPU, which a loaded
#: machine can stretch past 300 s of wall time.
TIMEOUT = 300
TIMEOUT_PER_ENTRY = 0.01


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
    title = root.findtext(f"{CSL_NS}info/{CSL_NS}title") or style.stem
    return " ".join(title.split()), root.find(f"{CSL_NS}bibliography/{CSL_NS}sort") is not None


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
                args,
                input="---\nnocite: '@*'\n---\n",
                capture_output=True,
                text=True,
                timeout=max(TIMEOUT, TIMEOUT_PER_ENTRY * len(items)),
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


def render_many(
    jobs: dict[str, tuple[Sequence[dict[str, Any]], Path]],
) -> dict[str, list[Rendered] | RenderError]:
    """Several styles' bibliographies at once (``name -> (items, style)``), pandoc runs spread
    over the machine's cores: each answer is what :func:`render` gives for that style.

    Past :data:`.citeproc_runs.PARTITION_MIN` entries a style is rendered in several runs and its order put
    together from them (:func:`.citeproc_runs.plan`): a style whose entries are independent (IEEE, ACM) in
    slices of the list; a style that disambiguates (APA: "2024a", added initials), whose pandoc
    time grows with the square of the entries, in runs of whole ambiguity groups with stand-ins
    for the first authors they lack (:func:`.citeproc_runs.chunks`), which cannot disambiguate against each
    other. A sorted style's order comes from one run of its sort alone (:func:`.citeproc_runs.order_only`)
    given only the variables that sort reads (:func:`.csl_sort_vars.project`), an
    unsorted style's is the list's (citation order); a label that is a citation number is given
    its place in that order. The long runs start first, so the short ones fill the cores around them.
    """
    import os
    from concurrent.futures import Future, ThreadPoolExecutor

    out: dict[str, list[Rendered] | RenderError] = {}
    with (
        tempfile.TemporaryDirectory(prefix="mlsys-bib-order-") as tmp,
        ThreadPoolExecutor(max_workers=max(1, min(len(jobs) * 4, os.cpu_count() or 1))) as pool,
    ):
        plans = {name: runs.plan(items, style) for name, (items, style) in jobs.items()}
        orders: dict[str, Future[list[Rendered]] | None] = {}
        for name, (items, style) in jobs.items():
            if plans[name] == "whole":
                orders[name] = pool.submit(render, items, style)
            elif style_info(style)[1]:
                order_items = csl_sort_vars.project(items, style)  # what the sort reads, nothing more
                orders[name] = pool.submit(render, order_items, runs.order_only(style, Path(tmp)))
            else:
                orders[name] = None
        parts: dict[str, list[Future[list[Rendered]]]] = {}
        for name, (items, style) in jobs.items():
            if plans[name] == "groups":
                parts[name] = [pool.submit(render, chunk, style) for chunk in runs.chunks(items)]
            elif plans[name] == "slices":
                slices = [items[i : i + runs.SLICE] for i in range(0, len(items), runs.SLICE)]
                parts[name] = [pool.submit(render, chunk, style) for chunk in slices]
        for name, (items, _style) in jobs.items():
            try:
                order = orders[name]
                if plans[name] == "whole":
                    assert order is not None
                    out[name] = order.result()
                    continue
                by_key = {r.key: r for part in parts[name] for r in part.result()}
                keys = (
                    [r.key for r in order.result()]
                    if order is not None
                    else [str(i.get("id")) for i in items]
                )
                rendered = []
                for n, key in enumerate(keys, 1):
                    chosen = by_key.get(key)
                    if chosen is None:
                        continue
                    label = f"[{n}]" if is_numbered(chosen.label) else chosen.label
                    rendered.append(Rendered(chosen.key, label, chosen.text))
                out[name] = rendered
            except RenderError as exc:
                out[name] = exc
    return out
