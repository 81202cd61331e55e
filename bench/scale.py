"""Scale: build 1x, 10x, 100x the seed (warm cache, offline) and plot time and peak RSS vs size.

A regression shows as a bend in the line: a linear build keeps the 100x/10x time ratio near 10
and the memory near flat. Each build is the real command line (``python -m mlsys_bib.cli build
--offline``) in a fresh process; wall time from outside, peak RSS from the kernel's accounting
of that one child (``wait4``), so start-up and interpreter teardown are included.

1. the lists come from ``gen_list.py`` and each cache is filled once by a cold resolve against
   the fake services with no spacing (kept in ``--workdir`` and reused: not timed);
2. ``--refs`` adds builds with the reference lists on a cache without rendered references
   (copied fresh per run: the first build after a resolve, the expensive one) and, after it,
   a warm one (the memo full); ``--per-style apa,ieee,acm`` adds cold builds without the site
   (``--no-site``), all styles and then each style alone: a style's share, and the site's, is
   the difference to "no refs" and to the cold build with the site;
3. start-up of ``--help``, ``check``, ``stats``, ``status`` is timed too (``--startup-runs``).

``--src`` points at another checkout's ``src`` to measure it the same way (the "before"),
``--compare`` overlays an earlier results file in the plot and the table.

    python bench/scale.py --label after                      # 1,10,100 without reference lists
    python bench/scale.py --sizes 1,10 --refs --label after-refs
    python bench/scale.py --sizes 1,10,100 --refs --per-style apa,ieee,acm --runs 1 --startup-runs 0
    python bench/scale.py --src /tmp/old/src --label before --runs 1
    python bench/scale.py --label after --compare bench/results/scale_before.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
_URL_VARS = ("MLSYS_BIB_ARXIV_URL", "MLSYS_BIB_CROSSREF_URL", "MLSYS_BIB_DOI_URL", "MLSYS_BIB_DBLP_URL")


def populate_cache(list_path: Path, cache: Path) -> None:
    """Cold-resolve ``list_path`` into ``cache`` against the fake services, no spacing. DBLP's
    SPARQL endpoint is off (the fake's published-twins query scans every paper per arXiv id:
    hours at 100x), so twins come from the search API, as with a DBLP mirror without SPARQL."""
    from mlsys_bib.build import load_list
    from mlsys_bib.config import Settings
    from mlsys_bib.resolve import resolve_records
    from tests.fakes.services import FakeServices

    recordset = load_list(list_path)
    with FakeServices(records=recordset, crossref_enforce=False) as fake:
        settings = Settings.from_env(
            {}, **fake.settings_overrides(), dblp_sparql_url="none", cache_path=cache,
            min_interval="arxiv=0,dblp=0,crossref=0,doi=0,dblp-sparql=0", progress=False,
        )  # fmt: skip
        resolve_records(list(recordset.records), settings)


def prepare(size: int, workdir: Path) -> tuple[Path, Path]:
    """The size's list and a cache filled by a cold resolve (made once, then reused)."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    from bench.warm_rebuild import make_list

    list_path = workdir / f"list-{size}x.md"
    cache = workdir / f"cache-{size}x-nosparql.sqlite"
    if not list_path.exists():
        make_list(size, workdir)
    if not cache.exists():
        print(f"filling the {size}x cache (cold resolve against the fakes, not timed) ...", flush=True)
        partial = cache.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        populate_cache(list_path, partial)
        partial.rename(cache)
    return list_path, cache


def _env(src: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _URL_VARS}
    env.update(PYTHONPATH=str(src), MLSYS_BIB_CACHE=str(cache), MLSYS_BIB_DBLP_SPARQL_URL="none")
    return env


def run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One process: wall seconds, CPU seconds and its own peak RSS (MB), as the kernel saw them."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode()[-2000:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}  # fmt: skip


def _drop_rendered(cache: Path) -> None:
    db = sqlite3.connect(str(cache))
    try:
        db.execute("DELETE FROM entries WHERE namespace = 'rendered'")
        db.commit()
    finally:
        db.close()


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "runs": runs,
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def build_runs(
    src: Path, size: int, workdir: Path, runs: int, refs: bool, per_style: tuple[str, ...] = ()
) -> dict[str, Any]:
    list_path, cache = prepare(size, workdir)
    out = workdir / f"out-{size}x"
    base = [sys.executable, "-m", "mlsys_bib.cli", "-q", "build", "--offline", "--list", str(list_path)]
    result: dict[str, Any] = {"size": size}
    shutil.rmtree(out, ignore_errors=True)
    result["no_refs"] = _summary(
        [run([*base, "--out", str(out), "--no-refs"], _env(src, cache)) for _ in range(runs)]
    )
    if refs:
        cold_runs, warm_runs = [], []
        for _ in range(runs):
            cold_cache = workdir / f"cache-{size}x-render-cold.sqlite"
            shutil.copy(cache, cold_cache)
            _drop_rendered(cold_cache)
            shutil.rmtree(out, ignore_errors=True)
            cold_runs.append(run([*base, "--out", str(out)], _env(src, cold_cache)))
            warm_runs.append(run([*base, "--out", str(out)], _env(src, cold_cache)))
            cold_cache.unlink()
        result["refs_render_cold"] = _summary(cold_runs)
        result["refs_warm"] = _summary(warm_runs)
        # the same cold build without the site, and one style at a time (no site): the site's and
        # each style's share are these minus "no refs"
        variants = [("refs_cold_no_site", [])] if per_style else []
        for kind, extra in variants + [(f"refs_cold_{s}", ["--style", s]) for s in per_style]:
            samples = []
            for _ in range(runs):
                cold_cache = workdir / f"cache-{size}x-render-cold.sqlite"
                shutil.copy(cache, cold_cache)
                _drop_rendered(cold_cache)
                shutil.rmtree(out, ignore_errors=True)
                samples.append(run([*base, "--out", str(out), "--no-site", *extra], _env(src, cold_cache)))
                cold_cache.unlink()
            result[kind] = _summary(samples)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    result["records"] = report["records"]
    return result


def startup(src: Path, workdir: Path, runs: int) -> dict[str, Any]:
    """Seconds from start to exit of the commands that need no resolve (the bundled list)."""
    _, cache = prepare(1, workdir)
    out: dict[str, Any] = {}
    for name, args in (("--help", ["--help"]), ("check", ["check"]), ("stats", ["stats"]),
                       ("status", ["status", "--out", str(workdir / "out-1x")])):  # fmt: skip
        cmd = [sys.executable, "-m", "mlsys_bib.cli", *args]
        samples = [run(cmd, _env(src, cache)) for _ in range(runs + 1)][1:]  # first one warms the disk
        out[name] = _summary(samples)
    return out


KINDS = ("no_refs", "refs_render_cold", "refs_warm", "refs_cold_no_site",
         "refs_cold_apa", "refs_cold_ieee", "refs_cold_acm")  # fmt: skip


def table(results: list[dict[str, Any]], label: str) -> list[str]:
    rows = [f"| {label} | size | records | wall (median s) | CPU s | CPU ratio to previous size | peak RSS (MB) |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    previous = None
    for r in results:
        for kind in KINDS:
            if kind not in r:
                continue
            s = r[kind]
            prev = previous.get(kind) if previous else None
            ratio = f"{s['cpu_s'] / prev['cpu_s']:.1f}x" if prev else "-"
            rows.append(f"| {kind.replace('_', ' ')} | {r['size']}x | {r['records']} | {s['wall_s']:.2f} | "
                        f"{s['cpu_s']:.2f} | {ratio} | {s['peak_rss_mb']:.0f} |")  # fmt: skip
        previous = r
    return rows


def plot(series: dict[str, list[dict[str, Any]]], path: Path, metric: str = "cpu_s") -> None:
    """Time (CPU seconds by default: steadier than wall on a shared machine) and peak RSS vs size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, results in series.items():
        for kind, style in (("no_refs", "-o"), ("refs_render_cold", "--s"), ("refs_warm", ":^")):
            points = [(r["records"], r[kind]) for r in results if kind in r]
            if not points:
                continue
            xs = [p[0] for p in points]
            name = f"{label}, {kind.replace('_', ' ')}"
            ax_t.plot(xs, [p[1][metric] for p in points], style, label=name)
            ax_m.plot(xs, [p[1]["peak_rss_mb"] for p in points], style, label=name)
    if series:
        first = next(iter(series.values()))
        if first:
            xs = [r["records"] for r in first]
            t0 = first[0]["no_refs"][metric]
            ax_t.plot(xs, [t0 * x / xs[0] for x in xs], color="grey", lw=0.8, label="linear from 1x")
    ax_t.set(
        xscale="log",
        yscale="log",
        xlabel="records",
        ylabel="build CPU s (with pandoc)" if metric == "cpu_s" else "build wall time (s)",
        title="time",
    )
    ax_m.set(xscale="log", xlabel="records", ylabel="peak RSS (MB)", title="memory")
    ax_m.axhline(500, color="red", lw=0.8, ls="--", label="500 MB goal")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("mlsys-bib build vs list size (warm cache, offline)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,10,100")
    ap.add_argument("--runs", type=int, default=3, help="builds per size (median taken)")
    ap.add_argument("--large-runs", type=int, default=1, help="builds for sizes >= 50")
    ap.add_argument("--refs", action="store_true", help="also build with the reference lists")
    ap.add_argument("--refs-sizes", default=None, help="sizes built with --refs (default: all)")
    ap.add_argument("--per-style", default="", help="with --refs: also cold builds without the site, "
                    "all styles and each of these (e.g. apa,ieee,acm)")  # fmt: skip
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the code to measure")
    ap.add_argument("--label", default="after")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mlsys-scale"))
    ap.add_argument("--compare", type=Path, action="append", default=[], help="earlier results to overlay")
    ap.add_argument("--plot", type=Path, default=RESULTS / "scale.png")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--plot-metric", choices=("cpu_s", "wall_s"), default="cpu_s")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    refs_sizes = {int(s) for s in args.refs_sizes.split(",")} if args.refs_sizes else set(sizes)
    src = args.src.resolve()
    results = []
    for size in sizes:
        runs = args.large_runs if size >= 50 else args.runs
        per_style = tuple(x for x in args.per_style.split(",") if x)
        entry = build_runs(src, size, args.workdir, runs, args.refs and size in refs_sizes, per_style)
        entry["loadavg"] = os.getloadavg()
        results.append(entry)
        print(json.dumps({k: v for k, v in entry.items()}, default=str)[:600], flush=True)
    summary = {
        "label": args.label,
        "src": str(src),
        "python": platform.python_version(),
        "nproc": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "results": results,
        "startup": startup(src, args.workdir, args.startup_runs) if args.startup_runs else {},
    }
    path = args.json or RESULTS / f"scale_{args.label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {path}")
    series = {}
    for earlier in args.compare:
        old = json.loads(earlier.read_text())
        series[old["label"]] = old["results"]
        print("\n".join(table(old["results"], old["label"])))
    series[args.label] = results
    print("\n".join(table(results, args.label)))
    for name, s in summary["startup"].items():
        print(f"start-up {name}: {s['wall_s']:.3f} s wall, {s['cpu_s']:.3f} s CPU (median)")
    plot(series, args.plot, args.plot_metric)
    print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
