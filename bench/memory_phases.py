"""Memory by phase: the build's own steps in one process, RSS and peak RSS after each.

``scale.py`` gives one peak per build; this says which phase sets it and what each phase keeps.
It runs the steps ``build.build`` runs (parse, records, resolve, the four exports, without the
reference lists) on a list and cache made by ``scale.py`` (warm cache, offline), and prints
RSS now / peak so far after each, in MB, as the kernel counts them. ``--trace`` adds
the allocation sites that grew most in each phase (slow: run it at 10x).

    python bench/memory_phases.py --size 100 --workdir /tmp/mem
    python bench/memory_phases.py --size 10 --workdir /tmp/mem --trace 25
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_URL_VARS = ("MLSYS_BIB_ARXIV_URL", "MLSYS_BIB_CROSSREF_URL", "MLSYS_BIB_DOI_URL", "MLSYS_BIB_DBLP_URL")


def _rss_mb() -> tuple[float, float]:
    with open("/proc/self/status", encoding="ascii") as f:
        fields = dict(line.split(":", 1) for line in f)
    now = int(fields["VmRSS"].split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(now), round(peak)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mem"))
    ap.add_argument("--src", type=Path, default=HERE.parent / "src")
    ap.add_argument("--trace", type=int, default=0, help="print the N largest allocation sites")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    for var in _URL_VARS:
        os.environ.pop(var, None)
    list_path = args.workdir / f"list-{args.size}x.md"
    cache = args.workdir / f"cache-{args.size}x-nosparql.sqlite"
    if not (list_path.exists() and cache.exists()):
        print(f"{list_path} or {cache} missing: run bench/scale.py with --workdir {args.workdir} first")
        return 2
    sys.path.insert(0, str(args.src))
    if args.trace:
        import tracemalloc

        tracemalloc.start(1)
    import importlib

    b = importlib.import_module("mlsys_bib.build")
    from mlsys_bib.config import Settings
    from mlsys_bib.keys import KeyLock
    from mlsys_bib.lists import as_sources, read_lists
    from mlsys_bib.records import build_records

    phases: list[dict[str, object]] = []
    snaps: list[object] = []
    t0 = time.process_time()

    def mark(name: str) -> None:
        now, peak = _rss_mb()
        blocks = sys.getallocatedblocks()
        phases.append({"phase": name, "rss_mb": now, "peak_mb": peak, "blocks": blocks,
                       "cpu_s": round(time.process_time() - t0, 2)})  # fmt: skip
        print(f"{name:10s} rss {now:5d} MB  peak {peak:5d} MB  {blocks / 1e6:6.2f}M blocks  "
              f"cpu {phases[-1]['cpu_s']} s", flush=True)
        if args.trace:
            import tracemalloc

            snap = tracemalloc.take_snapshot()
            current, top = tracemalloc.get_traced_memory()
            print(f"           traced {current / 2**20:.1f} MB, traced peak {top / 2**20:.1f} MB")
            if snaps:
                for stat in snap.compare_to(snaps[-1], "lineno")[: args.trace]:
                    print(f"    {stat.size_diff / 2**20:+7.2f} MB {stat.count_diff:+8d}  {stat.traceback[0]}")
            snaps.append(snap)

    if os.environ.get("TRIM"):
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        _mark = mark

        def mark(name: str) -> None:  # noqa: F811
            _mark(name)
            libc.malloc_trim(0)
            _mark(name + "+trim")

    mark("start")
    out = Path(tempfile.mkdtemp(prefix="memphases-"))
    settings = Settings.from_env(
        {}, cache_path=cache, offline=True, dblp_sparql_url="none", progress=False
    )
    with b._lazier_gc():
        parsed, texts, _ = read_lists(as_sources(list_path), settings)
        del texts
        mark("parse")
        recordset = build_records(parsed, lock=KeyLock.load(out / "keys.lock"))
        b.list_report(recordset)
        mark("records")
        from mlsys_bib.resolve import resolve_records

        resolve_records(recordset.records, settings)
        mark("resolve")
        b.write_exports(recordset.records, out, refs=False)
        mark("exports")
        gc.collect()
        mark("collected")
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "phases": phases}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
