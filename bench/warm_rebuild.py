"""Warm rebuild: cache full, offline; time and peak RSS to parse, merge and write every export.

For each size (1 = the bundled seed, k = ``gen_list.py --factor k``):

1. the list is generated and its cache filled by a cold resolve against the fake services with
   no spacing (that part is not timed: it is the cold benchmark's business);
2. ``mlsys_bib.build.build(list, out, settings=offline, resolve=True)`` -- parse, records,
   resolve from cache, BibTeX, biblatex, CSL-JSON and the reference lists in every default
   style -- runs in a *fresh subprocess* per pass, which reports its wall time, a per-phase
   breakdown (timers wrapped around the pipeline's functions), and its peak RSS
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
3. pass 1 finds no rendered references in the cache ("render-cold": citeproc-py formats every
   entry and the build stores the results); passes 2.. are fully warm.

``--profile`` adds one more warm pass per size under cProfile and stores the top functions.

    python bench/warm_rebuild.py                       # sizes 1,2,5,10, 3 passes each
    python bench/warm_rebuild.py --sizes 1 --profile   # seed only, with a profile
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


# ---------------------------------------------------------------------------------------------
# preparation (driver process)


def make_list(factor: int, workdir: Path) -> Path:
    from bench.gen_list import SEED, generate

    path = workdir / f"list-{factor}x.md"
    path.write_text(generate(SEED.read_text(encoding="utf-8"), factor), encoding="utf-8")
    return path


def populate_cache(list_path: Path, cache_path: Path) -> dict[str, Any]:
    """Cold-resolve ``list_path`` into ``cache_path`` against the fake services, no spacing."""
    from mlsys_bib.build import load_list
    from mlsys_bib.config import Settings
    from mlsys_bib.resolve import resolve_records
    from tests.fakes.services import FakeServices

    recordset = load_list(list_path)
    with FakeServices(records=recordset, crossref_enforce=False) as fake:
        settings = Settings.from_env(
            {},
            **fake.settings_overrides(),
            cache_path=cache_path,
            min_interval="arxiv=0,dblp=0,crossref=0,doi=0",
            progress=False,
        )
        t0 = time.perf_counter()
        report = resolve_records(list(recordset.records), settings)
        wall = time.perf_counter() - t0
        stats = fake.snapshot()
    return {"records": len(recordset.records), "resolve_wall_s": round(wall, 2),
            "requests": stats["total_requests"], "verdicts": report.to_dict()["verdicts"]}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# one build (child process)

_PHASES = (
    ("parse", "mlsys_bib.build", "parse_list"),
    ("records", "mlsys_bib.build", "build_records"),
    ("resolve", "mlsys_bib.resolve", "resolve_records"),
    ("bibtex+biblatex", "mlsys_bib.export.bibtex", "write_bibtex"),
    ("csljson", "mlsys_bib.export.csljson", "write_csl_json"),
    ("refs", "mlsys_bib.export.refs", "write_refs"),
)


def _install_timers(phases: dict[str, float]) -> None:
    """Wrap the pipeline's stage functions with timers (names that moved are skipped)."""
    import importlib

    for label, module_name, attr in _PHASES:
        try:
            module = importlib.import_module(module_name)
            original = getattr(module, attr)
        except (ImportError, AttributeError):
            continue

        def timed(*args: Any, _orig: Any = original, _label: str = label, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return _orig(*args, **kwargs)
            finally:
                phases[_label] = phases.get(_label, 0.0) + time.perf_counter() - t

        setattr(module, attr, timed)


def child(args: argparse.Namespace) -> int:
    import resource

    t_start = time.perf_counter()
    from mlsys_bib.build import build
    from mlsys_bib.config import Settings

    t_imported = time.perf_counter()
    phases: dict[str, float] = {}
    _install_timers(phases)
    settings = Settings.from_env({}, cache_path=Path(args.cache), offline=True, progress=False)
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    result = build(args.list, args.out, settings=settings, resolve=True)
    wall = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile_out)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "build_s": round(wall, 4),
        "import_s": round(t_imported - t_start, 4),
        "process_s": round(time.perf_counter() - t_start, 4),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "records": len(result.records),
        "phases_s": {k: round(v, 4) for k, v in phases.items()},
        "verdicts": result.report.get("verdicts"),
        "files": len(result.files),
    }
    print(json.dumps(out))
    return 0


def run_child(list_path: Path, cache: Path, out: Path, profile_out: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--list", str(list_path),
           "--cache", str(cache), "--out", str(out)]  # fmt: skip
    if profile_out is not None:
        cmd += ["--profile-out", str(profile_out)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["subprocess_s"] = round(elapsed, 3)
    return data


def top_functions(profile_path: Path, n: int = 25) -> dict[str, list[dict[str, Any]]]:
    import pstats

    stats = pstats.Stats(str(profile_path))
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename
        for marker in ("site-packages/", "/src/", "lib/python3"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        rows.append({"function": f"{short}:{line}({name})", "calls": nc, "tottime_s": round(tt, 4),
                     "cumtime_s": round(ct, 4)})  # fmt: skip
    return {
        "by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:n],
        "by_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:n],
        "total_s": round(stats.total_tt, 4),  # type: ignore[attr-defined]
    }


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,2,5,10")
    ap.add_argument("--passes", type=int, default=3, help="builds per size (the first is render-cold)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="keep lists/caches/exports here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--list", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="mlsys-warm-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for size in sizes:
            list_path = make_list(size, workdir)
            cache = workdir / f"cache-{size}x.sqlite"
            if cache.exists():
                cache.unlink()
            prep = populate_cache(list_path, cache)
            out = workdir / f"exports-{size}x"
            shutil.rmtree(out, ignore_errors=True)
            passes = [run_child(list_path, cache, out) for _ in range(max(1, args.passes))]
            warm = passes[1:] or passes
            entry: dict[str, Any] = {
                "size": size,
                "records": passes[0]["records"],
                "prepare": prep,
                "render_cold": passes[0],
                "warm_passes": warm,
                "warm_build_s_median": round(statistics.median(p["build_s"] for p in warm), 4),
                "warm_build_s_min": round(min(p["build_s"] for p in warm), 4),
                "loadavg": os.getloadavg(),
                "warm_process_s_median": round(statistics.median(p["process_s"] for p in warm), 4),
                "warm_peak_rss_mb_max": max(p["peak_rss_mb"] for p in warm),
                "cache_mb": round(cache.stat().st_size / 2**20, 1),
            }
            if args.profile:
                prof = workdir / f"warm-{size}x.prof"
                entry["profiled_pass"] = run_child(list_path, cache, out, prof)
                entry["profile"] = top_functions(prof)
                cold_out = workdir / f"exports-{size}x-cold"
                cold_cache = workdir / f"cache-{size}x-cold.sqlite"
                shutil.copy(cache, cold_cache)
                _drop_rendered(cold_cache)
                prof_cold = workdir / f"render-cold-{size}x.prof"
                entry["profiled_render_cold_pass"] = run_child(list_path, cold_cache, cold_out, prof_cold)
                entry["profile_render_cold"] = top_functions(prof_cold)
            results.append(entry)
            print(
                json.dumps({k: v for k, v in entry.items() if not k.startswith("profile")}, indent=1),
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    base = results[0] if results and results[0]["size"] == 1 else None
    if base:
        for entry in results:
            entry["growth_vs_seed"] = {
                "records": round(entry["records"] / base["records"], 2),
                "warm_build": round(entry["warm_build_s_median"] / base["warm_build_s_median"], 2),
                "warm_build_min": round(entry["warm_build_s_min"] / base["warm_build_s_min"], 2),
                "render_cold_build": round(
                    entry["render_cold"]["build_s"] / base["render_cold"]["build_s"], 2
                ),
                "us_per_record_warm": round(1e6 * entry["warm_build_s_median"] / entry["records"], 1),
            }
    summary = {
        "python": platform.python_version(),
        "nproc": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_end": os.getloadavg(),
        "results": results,
    }
    path = args.json or RESULTS / f"warm_{'-'.join(map(str, sizes))}{'_profile' if args.profile else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {path}")
    for entry in results:
        g = entry.get("growth_vs_seed", {})
        print(
            f"{entry['size']:>3}x {entry['records']:>6} records: render-cold {entry['render_cold']['build_s']:7.2f} s, "
            f"warm {entry['warm_build_s_median']:6.3f} s (min {entry['warm_build_s_min']:6.3f}, process "
            f"{entry['warm_process_s_median']:6.3f} s), "
            f"peak RSS {entry['warm_peak_rss_mb_max']:6.1f} MB, x{g.get('warm_build', '?')} vs seed"
        )
    return 0


def _drop_rendered(cache_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(str(cache_path))
    try:
        db.execute("DELETE FROM entries WHERE namespace = 'rendered'")
        db.commit()
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
