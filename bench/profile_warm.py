"""What dominates a warm rebuild, and how much each candidate fix would save -- measured.

Each candidate fix is applied as a monkeypatch inside a fresh child process (src/ is never
edited), the warm build is timed (median of ``--repeat``), and the exports are hashed: a fix
only counts if the output stays byte-identical to the unpatched build.

Candidates (each names the function it would change in src/):

``names-cache``   memoize ``export.names.normalized`` (Person is frozen, so hashable): every
                  exporter normalises every author again (BibTeX twice: ``people()`` and then
                  ``bibtex_name``; CSL twice: ``people()`` then ``csl_name``).
``clean-cache``   memoize ``export.latex.clean_text`` for str input (NFC + 3 regex passes, called
                  ~230 times per record per build).
``csl-once``      compute ``export.csljson.csl_item`` once per record per build and share it
                  between the CSL-JSON file and the reference lists.
``refs-once``     compute ``refs.citeproc_item`` / ``refs.entry_links`` once per record instead
                  of once per (style x section it appears in).
``sweep-once``    ``fsutil.atomic_write`` globs the directory for stale temporaries on every
                  write (~300 files per build): sweep each directory once per process. The glob
                  lists the whole directory, so this is O(files^2) per refs/<style>/ directory.
``toc-index``     ``resolve.dblp.match`` scans every hit of a TOC for every record of that TOC
                  (O(records x TOC size)); index the TOC's hits by normalised title once.
``csl-stream``    ``export.csljson.csl_json_text`` dumps the whole list with ``indent=2`` (the
                  pure-Python encoder, whose chunk list is the build's peak memory): dump item
                  by item and join -- byte-identical output.
``gc-threshold``  ``gc.set_threshold(50_000, 20, 20)`` at the start of a build: the default
                  (700, 10, 10) runs ~1900 young collections over the 10x build's live heap.
``record-tag-cache``  cache ``model.Record.tag`` (a property that rebuilds the tag list on
                  every access; ~25k accesses per seed build, mostly from ``resolve.merge``).
``citeproc-macro-cache``  (only matters with ``--render-cold``) memoize citeproc-py's
                  ``CitationStylesElement.get_macro``, an XPath search run for every macro
                  reference of every entry; a shim in ``export.refs`` could install it.

``--render-cold`` times the first build after a resolve instead (no rendered references in
the cache: citeproc-py formats every entry), from a fresh copy of the cache each run.

    python bench/profile_warm.py [--size 1] [--repeat 3] [--only names-cache,clean-cache]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

CANDIDATES = (
    "names-cache",
    "clean-cache",
    "csl-once",
    "refs-once",
    "sweep-once",
    "toc-index",
    "csl-stream",
    "gc-threshold",
)


# ---------------------------------------------------------------------------------------------
# patches (child process)


def _patch_names_cache() -> None:
    from mlsys_bib.export import names

    names.normalized = functools.lru_cache(maxsize=None)(names.normalized)


def _patch_clean_cache() -> None:
    import mlsys_bib.export.latex as latex

    original = latex.clean_text
    cached = functools.lru_cache(maxsize=1 << 16)(original)

    def clean_text(text: object, limit: int = latex.MAX_FIELD_CHARS) -> str:
        return cached(text, limit) if type(text) is str else original(text, limit)

    for name, module in list(sys.modules.items()):
        if name.startswith("mlsys_bib.") and getattr(module, "clean_text", None) is original:
            module.clean_text = clean_text


def _patch_csl_once() -> None:
    import mlsys_bib.export.refs  # noqa: F401  (loads the modules that hold csl_item)
    from mlsys_bib.export import csljson

    original = csljson.csl_item
    memo: dict[int, Any] = {}

    def csl_item(record: Any) -> Any:
        key = id(record)
        if key not in memo:
            memo[key] = (record, original(record))  # keep the record alive: ids stay unique
        return memo[key][1]

    for name, module in list(sys.modules.items()):  # every module that imported it (refs/render, refs/files)
        if name.startswith("mlsys_bib.") and getattr(module, "csl_item", None) is original:
            module.csl_item = csl_item


def _patch_refs_once() -> None:
    from mlsys_bib.export import refs

    original_item, original_links = refs.citeproc_item, refs.entry_links
    items: dict[int, Any] = {}
    links: dict[int, Any] = {}

    def citeproc_item(record: Any, ident: str, base: Any = None) -> Any:
        key = id(record)
        if key not in items:
            items[key] = (record, original_item(record, "\x00", base))
        item = dict(items[key][1])
        item["id"] = ident
        return item

    def entry_links(record: Any) -> Any:
        key = id(record)
        if key not in links:
            links[key] = (record, original_links(record))
        return links[key][1]

    refs.citeproc_item = citeproc_item
    refs.entry_links = entry_links


def _patch_sweep_once() -> None:
    from mlsys_bib import fsutil

    original = fsutil.atomic_write
    swept: set[Path] = set()

    def atomic_write(path: Any, data: Any) -> None:
        path = Path(path)
        if path.parent in swept:  # directory already swept: only the unchanged-file check
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                if path.stat().st_size == len(payload) and path.read_bytes() == payload:
                    return
            except OSError:
                pass
        swept.add(path.parent)
        original(path, data)

    for name, module in list(sys.modules.items()):
        if name.startswith("mlsys_bib") and getattr(module, "atomic_write", None) is original:
            module.atomic_write = atomic_write


def _patch_toc_index() -> None:
    from mlsys_bib.sources import dblp

    original = dblp.match
    indexes: dict[int, Any] = {}

    def match(titles: Any, year: Any, hits: Any, **kwargs: Any) -> Any:
        if not isinstance(hits, list):
            return original(titles, year, hits, **kwargs)
        entry = indexes.get(id(hits))
        if entry is None or entry[0] is not hits:
            by_norm: dict[str, list[Any]] = {}
            by_compact: dict[str, list[Any]] = {}
            for hit in hits:
                norm = dblp.normalise(str(hit.get("title") or ""))
                by_norm.setdefault(norm, []).append(hit)
                by_compact.setdefault(norm.replace(" ", ""), []).append(hit)
            entry = indexes[id(hits)] = (hits, by_norm, by_compact)
        _, by_norm, by_compact = entry
        wanted = [dblp.normalise(t) for t in titles]
        chosen = {id(h): h for w in wanted for h in by_norm.get(w, ())}
        chosen.update({id(h): h for w in wanted for h in by_compact.get(w.replace(" ", ""), ())})
        subset = [h for h in hits if id(h) in chosen]  # original order
        return original(titles, year, subset, **kwargs)

    dblp.match = match


def _patch_csl_stream() -> None:
    import json

    from mlsys_bib.export import csljson

    def csl_json_text(records: Any) -> str:
        items = csljson.csl_items(records)
        if not items:
            return "[]\n"
        parts = []
        for item in items:
            text = json.dumps(item, indent=2, ensure_ascii=False)
            parts.append("  " + text.replace("\n", "\n  "))
        return "[\n" + ",\n".join(parts) + "\n]\n"

    csljson.csl_json_text = csl_json_text


def _patch_gc_threshold() -> None:
    import gc

    gc.set_threshold(50_000, 20, 20)


def _patch_citeproc_macro_cache() -> None:
    import citeproc.model as model

    original = model.CitationStylesElement.get_macro
    memo: dict[tuple[int, str], Any] = {}

    def get_macro(self: Any, name: str) -> Any:
        # citeproc-py runs an XPath search for every macro reference of every entry; the style
        # tree never changes, so one search per (style, macro) is enough. The root proxy is kept
        # in the memo, so its id() cannot be reused while the entry lives.
        root = self.get_root()
        hit = memo.get((id(root), name))
        if hit is None or hit[0] is not root:
            hit = memo[(id(root), name)] = (root, original(self, name))
        return hit[1]

    model.CitationStylesElement.get_macro = get_macro


def _patch_record_tag_cache() -> None:
    from mlsys_bib import model

    original = model.Record.tag.fget

    def tag(self: Any) -> Any:
        cached = self.__dict__.get("_bench_tag")
        if cached is None or cached[0] != len(self.items):
            cached = self.__dict__["_bench_tag"] = (len(self.items), original(self))
        return cached[1]

    model.Record.tag = property(tag)


PATCHES = {
    "names-cache": _patch_names_cache,
    "clean-cache": _patch_clean_cache,
    "csl-once": _patch_csl_once,
    "refs-once": _patch_refs_once,
    "sweep-once": _patch_sweep_once,
    "toc-index": _patch_toc_index,
    "csl-stream": _patch_csl_stream,
    "gc-threshold": _patch_gc_threshold,
    "citeproc-macro-cache": _patch_citeproc_macro_cache,
    "record-tag-cache": _patch_record_tag_cache,
}


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "keys.lock"):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def child(args: argparse.Namespace) -> int:
    import importlib

    build_module = importlib.import_module("mlsys_bib.build")
    import mlsys_bib.export.bibtex  # noqa: F401  (import before patching, as build() would)
    import mlsys_bib.export.csljson  # noqa: F401
    import mlsys_bib.export.refs  # noqa: F401
    import mlsys_bib.resolve  # noqa: F401
    from mlsys_bib.config import Settings

    for name in [p for p in args.patches.split(",") if p]:
        PATCHES[name]()
    settings = Settings.from_env({}, cache_path=Path(args.cache), offline=True, progress=False)
    t = time.perf_counter()
    build_module.build(args.list, args.out, settings=settings, resolve=True)
    wall = time.perf_counter() - t
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"build_s": wall, "peak_rss_mb": round(rss, 1), "hash": _tree_hash(Path(args.out))}))
    return 0


# ---------------------------------------------------------------------------------------------
# driver


def _fresh_cold_cache(cache: Path) -> Path:
    """A copy of ``cache`` without rendered references (the build's render memo)."""
    import shutil
    import sqlite3

    copy = cache.with_name(cache.stem + "-cold.sqlite")
    shutil.copy(cache, copy)
    db = sqlite3.connect(str(copy))
    try:
        db.execute("DELETE FROM entries WHERE namespace = 'rendered'")
        db.commit()
    finally:
        db.close()
    return copy


def _run(list_path: Path, cache: Path, out: Path, patches: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--list", str(list_path), "--cache",
           str(cache), "--out", str(out), "--patches", ",".join(patches)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--render-cold", action="store_true", help="time the first build after a resolve")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--list", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--patches", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)

    from bench.warm_rebuild import make_list, populate_cache

    candidates = [c for c in args.only.split(",") if c]
    with tempfile.TemporaryDirectory(prefix="mlsys-prof-") as tmp:
        work = Path(tmp)
        list_path = make_list(args.size, work)
        cache = work / "cache.sqlite"
        populate_cache(list_path, cache)
        _run(list_path, cache, work / "out-base", [])  # render-cold pass fills the memo
        variants = [("baseline", [])] + [(c, [c]) for c in candidates] + [("all", candidates)]
        rows: dict[str, Any] = {}
        # interleave variants (shuffled per round) so drift and other load spread evenly
        samples: dict[str, list[float]] = {name: [] for name, _ in variants}
        rss: dict[str, float] = {}
        hashes: dict[str, str] = {}
        for round_no in range(args.repeat):
            order = list(variants)
            random.Random(round_no).shuffle(order)  # no variant always runs first
            for name, patches in order:
                out = work / f"out-{name}"
                run_cache = _fresh_cold_cache(cache) if args.render_cold else cache
                result = _run(list_path, run_cache, out, patches)
                samples[name].append(result["build_s"])
                rss[name] = max(rss.get(name, 0.0), result["peak_rss_mb"])
                hashes[name] = result["hash"]
        base = statistics.median(samples["baseline"])
        for name, _ in variants:
            med = statistics.median(samples[name])
            rows[name] = {
                "build_s_median": round(med, 4),
                "build_s_min": round(min(samples[name]), 4),
                "samples": [round(s, 4) for s in samples[name]],
                "saved_s": round(base - med, 4),
                "saved_pct": round(100 * (base - med) / base, 1),
                "identical_output": hashes[name] == hashes["baseline"],
                "peak_rss_mb": rss[name],
            }
            print(f"{name:12s} {med:7.3f} s  saved {base - med:+.3f} s ({100 * (base - med) / base:+.1f}%)"
                  f"  rss {rss[name]:6.1f} MB  identical={hashes[name] == hashes['baseline']}", flush=True)  # fmt: skip
    out = {
        "size": args.size,
        "repeat": args.repeat,
        "render_cold": args.render_cold,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_end": os.getloadavg(),
        "variants": rows,
    }
    path = args.json or RESULTS / f"profile_{'render_cold' if args.render_cold else 'warm'}_{args.size}x.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
