"""``OUT/site/``: the list as a static, searchable, citable web page (issue #12).

Built by every ``mlsys-bib build`` from the same records and the same exports: one page
(:mod:`.page`) with every paper in every section, the search index and copy texts
(:mod:`.index_data`), per-section downloads cut from the build's own ``.bib``/CSL-JSON files
(:mod:`.downloads`), and two hand-written assets (:mod:`.assets`). It works from ``file://`` and
from any static host: no server, no CDN, nothing fetched at view time.

Files are written only when their bytes change (a warm rebuild rewrites nothing), and files of an
earlier build that this one did not write (a renamed section's downloads) are removed, if the build
manifest (:mod:`..manifest`) says a build wrote them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...fsutil import atomic_write
from ...model import Record
from .. import refs
from ..latex import clean_text
from ..manifest import recording
from . import downloads, formatted, index_data, page
from .assets import ASSETS, asset_bytes
from .papers import site_papers

#: The styles the site can switch between (its CSS knows these three).
SITE_STYLES = ("apa", "ieee", "acm")
SITE_DIR = "site"


@dataclass
class SiteReport:
    root: Path
    files: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    papers: int = 0
    sections: int = 0

    @property
    def pages(self) -> int:
        return sum(1 for f in self.files if f.suffix == ".html")

    @property
    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def inputs_fingerprint(
    records: Sequence[Record], report: dict[str, Any] | None, styles: Sequence[str],
    exports: dict[str, bytes], title: str,
) -> str:
    """A hash of everything the site is made from: the records' list data and field values, the
    exports it cuts entries from, the published-since rows, the styles (their files and the pandoc
    version) and the site's own code and assets. Stored in ``data.js``; equal on a rebuild in which
    nothing changed, which then renders and writes nothing (warm rebuilds stay fast)."""
    digest = hashlib.sha256()
    for name in sorted(exports):
        digest.update(name.encode() + b"\0" + hashlib.sha256(exports[name]).digest())
    for record in records:
        items = [
            (i.line, i.section, i.title_raw, i.tags_raw, i.tag, i.survey, i.links, i.aliases, i.authors,
             i.source)
            for i in record.items
        ]
        values = sorted((k, repr(v.value)) for k, v in record.fields.items())
        digest.update(repr((record.key, items, values)).encode() + b"\0")
    resolve = (report or {}).get("resolve") or {}
    extra = [title, (report or {}).get("list"), resolve.get("published_since_listed"), list(styles)]
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    for style in styles:
        digest.update(refs.style_fingerprint(style).encode())
    package = Path(__file__).parent
    for path in sorted([*package.glob("*.py"), *(package / "assets").glob("*")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _up_to_date(root: Path, stamp: str) -> bool:
    """Whether ``root`` holds the site of exactly these inputs (its data.js carries the stamp)."""
    try:
        with open(root / "data.js", encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return False
    if stamp not in first:
        return False
    return all((root / name).is_file() for name in ("index.html", *ASSETS)) and (root / "dl").is_dir()


def _guard(path: Path) -> None:
    for where in (path.parent, path):
        if where.is_symlink():  # the sweep would delete what lives at the link's target
            raise ValueError(f"{where}: a symbolic link; refusing to write or delete files through it")


def write_site(
    records: Sequence[Record],
    out_dir: str | Path,
    *,
    report: dict[str, Any] | None = None,
    styles: Sequence[str] = SITE_STYLES,
    memo: Any = None,
    title: str = "",
) -> SiteReport:
    """Write ``out_dir/site/`` from ``records`` and the exports already in ``out_dir``.

    ``mlsys.bib``, ``mlsys-biblatex.bib`` and ``mlsys.json`` must have been written by the same
    build (they are what "Copy BibTeX" and the downloads hand out). ``report``: the build report
    (its list title and ``resolve.published_since_listed``). ``memo``: the rendered-entry memo of
    the reference lists, so the site reuses their rendering.
    """
    out = Path(out_dir)
    with recording(out) as manifest:
        return _write_site(records, out, manifest, report=report, styles=styles, memo=memo, title=title)


def _write_site(
    records: Sequence[Record], out: Path, manifest: Any, *, report: dict[str, Any] | None,
    styles: Sequence[str], memo: Any, title: str,
) -> SiteReport:
    root = out / SITE_DIR
    _guard(root)
    _guard(root / "dl")
    result = SiteReport(root)
    chosen = [s for s in styles if s in SITE_STYLES] or ["apa"]
    exports = {name: (out / name).read_bytes() for name in ("mlsys.bib", "mlsys-biblatex.bib", "mlsys.json")}
    stamp = inputs_fingerprint(records, report, chosen, exports, title)
    if _up_to_date(root, stamp):
        # nothing to write; the manifest keeps listing the site's files (they are still there)
        ours = [rel.split("/", 1)[1] for rel in manifest.entries() if rel.startswith(SITE_DIR + "/")]
        result.files = [root / rel for rel in ours]
        return result

    order, slugs, members = formatted.sections_in_order(records)
    listed_keys = {r.key for s in order for r in members[s]}
    listed = [r for r in records if r.key in listed_keys]
    papers = site_papers(listed, report)
    sections = [
        page.SiteSection(slugs[s], clean_text(s.number, 40), clean_text(s.title if not s.source else
                         f"{s.source}: {s.title}", 300), tuple(r.key for r in members[s]))
        for s in order
    ]  # fmt: skip
    for n, section in enumerate(sections):
        for key in section.keys:
            papers[key].sections.append(n)
    venues = sorted({p.venue for p in papers.values() if p.venue}, key=lambda v: (v.lower(), v))
    refs, result.errors = formatted.render_styles(listed, chosen, memo)

    bib_header, bibtex = downloads.split_bib(exports["mlsys.bib"].decode("utf-8"))
    _, biblatex = downloads.split_bib(exports["mlsys-biblatex.bib"].decode("utf-8"))
    csl = downloads.split_csl(exports["mlsys.json"].decode("utf-8"))

    written: dict[Path, bytes | str] = {}
    links: dict[str, tuple[str, str]] = {}
    for section in sections:
        bib_name, csl_name = f"dl/{section.slug}.bib", f"dl/{section.slug}.json"
        written[root / bib_name] = downloads.section_bib(bib_header, bibtex, section.keys)
        written[root / csl_name] = downloads.section_csl(csl, section.keys)
        links[section.slug] = (bib_name, csl_name)
    whole = page.WholeList("../mlsys.bib", "../mlsys-biblatex.bib", "../mlsys.json")
    list_title = clean_text(title or (report or {}).get("list") or "ML systems papers", 300)
    ordered = [papers[r.key] for r in listed]
    written[root / "index.html"] = page.index_html(
        list_title, sections, papers, refs, chosen, venues, whole, links
    )
    written[root / "data.js"] = index_data.data_js(
        ordered, [(s.anchor, s.label) for s in sections], venues, bibtex, biblatex, stamp=stamp
    )
    for name in ASSETS:
        written[root / name] = asset_bytes(name)

    for path, data in written.items():
        atomic_write(path, data)
        result.files.append(path)
    # files of an earlier build this one did not write (a renamed section's downloads); only files
    # the manifest says a build wrote: a user's own file in site/ is never touched
    result.removed = manifest.sweep(root)
    result.papers = len(papers)
    result.sections = len(sections)
    return result
