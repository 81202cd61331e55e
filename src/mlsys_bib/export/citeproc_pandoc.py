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

Large bibliographies (:func:`render_many`, past :data:`PARTITION_MIN` entries) are rendered in
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

from .markup_sentinels import MARKS

_CSL_NS = "{http://purl.org/net/xbiblio/csl}"
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


# -- large bibliographies: runs of entries that cannot disambiguate each other, styles side by side -------

#: Up to this many entries a style is rendered by one pandoc run, exactly as it always was.
PARTITION_MIN = 1500
#: Entries per pandoc run when a disambiguating style's bibliography is split (whole groups only).
CHUNK = 400
#: Add, to each run, stand-in entries for the first authors it lacks (see :func:`_chunks`); off
#: only to show that a split without them is not faithful (tests).
GHOSTS = True
_DISAMBIGUATES = re.compile(
    r'\sdisambiguate-add-(?:givenname|names|year-suffix)="true"|\sgivenname-disambiguation-rule="[^"]*"'
)
#: Item types whose in-text citation (APA: ``author-short``) names the ``author`` when there is
#: one: the types this package exports, and a few plain ones. Anything else is rendered whole.
_PLAIN_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "paper-conference",
    "chapter", "report", "book", "thesis", "manuscript", "webpage", "post", "post-weblog", "dataset",
})  # fmt: skip
#: CSL name variables: an item carrying any but ``author`` is rendered whole (styles substitute
#: editors, composers, ... for the author in ways this module does not model).
_NAME_VARIABLES = frozenset({
    "chair", "collection-editor", "compiler", "composer", "container-author", "contributor", "curator",
    "director", "editor", "editorial-director", "executive-producer", "guest", "host", "illustrator",
    "interviewer", "narrator", "organizer", "original-author", "performer", "producer", "recipient",
    "reviewed-author", "script-writer", "series-creator", "translator",
})  # fmt: skip
_WORD = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"\d{4}")


@functools.lru_cache(maxsize=16)
def _disambiguates(style: Path) -> bool:
    root = ET.parse(style).getroot()
    citation = root.find(f"{_CSL_NS}citation")
    return citation is not None and any(k.startswith("disambiguate-") for k in citation.attrib)


@functools.lru_cache(maxsize=16)
def _splittable(style: Path) -> bool:
    """Whether the style's given-name disambiguation looks at first authors only (APA:
    ``primary-name-with-initials``) or per cite: then which citations can read alike, and which
    names decide whether a first author gets initials, is known per first-author family."""
    root = ET.parse(style).getroot()
    citation = root.find(f"{_CSL_NS}citation")
    if citation is None:
        return False
    if citation.get("disambiguate-add-givenname") != "true":
        return True
    return citation.get("givenname-disambiguation-rule", "by-cite") in (
        "by-cite", "primary-name", "primary-name-with-initials",
    )  # fmt: skip


_LAYOUT = re.compile(r"(<layout\b[^>]*(?<!/)>).*?(</layout>)", re.DOTALL)


def _order_only(style: Path, tmp: Path) -> Path:
    """The style reduced to what orders its bibliography: its sort keys and the macros they use,
    without disambiguation and with layouts that print one character. pandoc computes the sort
    keys before disambiguating, so this run's order is the whole run's, at a fraction of its time
    and memory."""
    path = tmp / f"order-{style.name}"
    text = _DISAMBIGUATES.sub("", style.read_text(encoding="utf-8"))
    path.write_text(_LAYOUT.sub(r'\1<text value="x"/>\2', text), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=16)
def _independent(style: Path) -> bool:
    """Whether each bibliography entry's text depends on that entry alone (IEEE, ACM): no
    disambiguation, no subsequent-author substitution (its label, a citation number, is set from
    the order)."""
    root = ET.parse(style).getroot()
    citation = root.find(f"{_CSL_NS}citation")
    bibliography = root.find(f"{_CSL_NS}bibliography")
    if bibliography is None or bibliography.get("subsequent-author-substitute") is not None:
        return False
    return citation is None or not any(k.startswith("disambiguate") for k in citation.attrib)


def _fold(text: object) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", " ".join(str(text or "").split()))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: object) -> list[str]:
    return _WORD.findall(_fold(text))


@functools.lru_cache(maxsize=1 << 16)
def _family_words(family: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(family)))


def _year(item: dict[str, Any]) -> str:
    """The year a citation prints (the first four digits of the date), "" for none ("n.d.")."""
    issued = item.get("issued")
    if not isinstance(issued, dict):
        return ""
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return _four_digits(str(parts[0][0]))
    return _four_digits(str(issued.get("literal", "")))


@functools.lru_cache(maxsize=1 << 12)
def _four_digits(text: str) -> str:
    found = _YEAR.search(text)
    return found.group() if found else ""


def _first_author(item: dict[str, Any]) -> dict[str, Any] | None:
    """The first author when it has a family name: the name pandoc's ``primary-name`` rules see."""
    authors = item.get("author")
    first = authors[0] if isinstance(authors, list) and authors else None
    if isinstance(first, dict) and isinstance(first.get("family"), str) and first["family"].strip():
        return first
    return None


def _plain(item: dict[str, Any]) -> bool:
    return item.get("type") in _PLAIN_TYPES and not any(k in _NAME_VARIABLES for k in item)


def _name_id(name: dict[str, Any]) -> Any:
    """The name as a hashable value: equal for names pandoc reads as the same name."""
    try:
        return tuple(sorted(name.items()))
    except TypeError:  # a value that is not a string (not CSL, but not ours to refuse here)
        return json.dumps(name, sort_keys=True, ensure_ascii=False)


def _firsts(items: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None, tuple[str, ...]]]:
    """Per item: the year its citation prints, its first author, that author's family words."""
    out = []
    for item in items:
        first = _first_author(item)
        out.append((_year(item), first, _family_words(first["family"]) if first is not None else ()))
    return out


def ambiguity_groups(
    items: Sequence[dict[str, Any]],
    facts: list[tuple[str, dict[str, Any] | None, tuple[str, ...]]] | None = None,
) -> list[list[int]]:
    """Indexes of ``items`` in groups whose citations can never read alike across groups (pandoc's
    disambiguation compares the citations' text): a group holds the entries of one year whose
    first authors share a word of the family name (folded: "Chén" with "Chen", "van Dyk" with
    "Dyk"); an entry without such an author (its citation prints a title or a literal name) joins
    the group of its year without authors and every group of that year whose family words its
    text contains. Groups in order of first entry, entries in list order."""
    parent: dict[tuple[str, ...], tuple[str, ...]] = {}

    def find(node: tuple[str, ...]) -> tuple[str, ...]:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    facts = _firsts(items) if facts is None else facts
    family_words = {word for _, _, words in facts for word in words}
    nodes: list[tuple[str, ...]] = []
    for item, (year, first, words) in zip(items, facts, strict=True):
        if first is not None:
            keys = [("w", word, year) for word in words] or [("t", year)]
        else:
            text = " ".join(str(v) for k, v in item.items() if k != "id" and isinstance(v, str))
            authors = item.get("author")
            if isinstance(authors, list) and authors:
                text += " " + json.dumps(authors[0], ensure_ascii=False)
            keys = [("t", year)] + [("w", w, year) for w in set(_words(text)) if w in family_words]
        root = find(keys[0])
        for key in keys[1:]:
            other = find(key)
            if other != root:
                parent[other] = root
        nodes.append(keys[0])
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        groups.setdefault(find(node), []).append(i)
    return list(groups.values())


def _ghost_years(used: set[str]) -> Any:
    return (year for year in range(1000, 10**6) if str(year) not in used)


def _chunks(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """:func:`ambiguity_groups` packed into runs of about :data:`CHUNK` entries, each run in list
    order, plus stand-ins ("ghosts") that make each run's first-author given-name hints those of
    the whole bibliography.

    Why the ghosts: with ``primary-name-with-initials`` pandoc gives a first author initials when
    another first author anywhere in the bibliography has the same family name and other initials,
    and none when one has the same initials: a citation's text, so whether it needs a year suffix,
    depends on first authors of other years. A ghost is a one-author entry whose name is such a
    first author missing from the run, with a year no entry has (so its citation reads like no
    other and it is never disambiguated); it is dropped from the output."""

    facts = _firsts(items)

    def family(group: list[int]) -> str:
        return " ".join(facts[group[0]][2])

    chunks: list[list[int]] = [[]]
    # one family's years side by side: a run then needs the stand-ins of one or two families only
    for group in sorted(ambiguity_groups(items, facts), key=family):
        if chunks[-1] and len(chunks[-1]) + len(group) > CHUNK:
            chunks.append([])
        chunks[-1].extend(group)
    chunks = [sorted(chunk) for chunk in chunks if chunk]
    runs = [[items[i] for i in chunk] for chunk in chunks]
    if not GHOSTS:
        return runs
    ids = [_name_id(first) if first is not None else None for _, first, _ in facts]
    by_word: dict[str, dict[Any, dict[str, Any]]] = {}
    for (_, first, words), ident in zip(facts, ids, strict=True):
        if first is not None:
            for word in words:
                by_word.setdefault(word, {}).setdefault(ident, first)
    years = _ghost_years({year for year, _, _ in facts})
    taken = {str(item.get("id")) for item in items}
    serial = 0
    for chunk, run in zip(chunks, runs, strict=True):
        present = {ids[i] for i in chunk if ids[i] is not None}
        words = {word for i in chunk for word in facts[i][2]}
        wanted: dict[Any, dict[str, Any]] = {}
        for word in sorted(words):
            wanted.update(by_word.get(word, {}))
        for ident, name in wanted.items():
            if ident in present:
                continue
            serial += 1
            while f"mlsys-bib-ghost-{serial}" in taken:
                serial += 1
            run.append({"id": f"mlsys-bib-ghost-{serial}", "type": "article", "title": "ghost",
                        "author": [name], "issued": {"date-parts": [[next(years)]]}})  # fmt: skip
    return runs


def _plan(items: Sequence[dict[str, Any]], style: Path) -> str:
    """Plan: "whole" (one pandoc run), "groups" (:func:`_chunks`) or "slices" (runs of :data:`SLICE`
    entries in list order: entries that cannot affect each other)."""
    if len(items) <= PARTITION_MIN:
        return "whole"
    if _independent(style):
        return "slices" if len(items) > SLICE_MIN else "whole"
    if _disambiguates(style) and _splittable(style) and all(_plain(item) for item in items):
        return "groups"
    return "whole"


#: Entries per pandoc run of a style whose entries are independent (IEEE, ACM) past
#: :data:`PARTITION_MIN`: runs spread over the cores, and pandoc's memory stays that of a few
#: thousand entries (one run of 87,400 IEEE entries took 2.9 GB).
SLICE = 2000
#: ... from this many entries on: below it one run is cheaper (a sorted style's slices need a run
#: of its order too: ACM at 8,740 entries 8.9 s of CPU in slices, 7.1 s whole) and small enough.
SLICE_MIN = 20_000


def render_many(
    jobs: dict[str, tuple[Sequence[dict[str, Any]], Path]],
) -> dict[str, list[Rendered] | RenderError]:
    """Several styles' bibliographies at once (``name -> (items, style)``), pandoc runs spread
    over the machine's cores: each answer is what :func:`render` gives for that style.

    Past :data:`PARTITION_MIN` entries a style is rendered in several runs and its order put
    together from them (:func:`_plan`): a style whose entries are independent (IEEE, ACM) in
    slices of the list; a style that disambiguates (APA: "2024a", added initials), whose pandoc
    time grows with the square of the entries, in runs of whole ambiguity groups with stand-ins
    for the first authors they lack (:func:`_chunks`), which cannot disambiguate against each
    other. A sorted style's order comes from one run of its sort alone (:func:`_order_only`), an
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
        plans = {name: _plan(items, style) for name, (items, style) in jobs.items()}
        orders: dict[str, Future[list[Rendered]] | None] = {}
        for name, (items, style) in jobs.items():
            if plans[name] == "whole":
                orders[name] = pool.submit(render, items, style)
            elif style_info(style)[1]:
                orders[name] = pool.submit(render, items, _order_only(style, Path(tmp)))
            else:
                orders[name] = None
        parts: dict[str, list[Future[list[Rendered]]]] = {}
        for name, (items, style) in jobs.items():
            if plans[name] == "groups":
                parts[name] = [pool.submit(render, chunk, style) for chunk in _chunks(items)]
            elif plans[name] == "slices":
                slices = [items[i : i + SLICE] for i in range(0, len(items), SLICE)]
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
