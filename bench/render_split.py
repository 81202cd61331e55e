"""Reference lists at scale: time ``render_many`` (split runs) and check it against whole pandoc runs.

The items are the ones a build gives pandoc (list of ``--size`` times the seed, resolved offline
from the bench cache that ``scale.py`` fills, ``refs.render_item``). Prints, per style, the CPU of
pandoc (children) and of this process and the peak RSS of each; with ``--whole`` also renders each
style in one pandoc run and says whether the texts, labels and order are byte-identical (APA in
one run is quadratic: ~221 s of CPU at 10x, hours at 100x). ``--order`` measures only each sorted
style's order-only run (``citeproc_runs.order_only``), under ``/usr/bin/time``, given whole items
and given only what the sort reads (``csl_sort_vars.project``), and says whether the orders agree.

    python bench/render_split.py --size 10 --styles apa,ieee,acm --whole
    python bench/render_split.py --size 100 --styles ieee,acm --whole --workdir /tmp/render
    python bench/render_split.py --size 100 --styles apa,acm --order --workdir /tmp/render
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent)]


def items_for(size: int, workdir: Path) -> list[dict]:
    from bench.scale import prepare
    from mlsys_bib.build import load_list
    from mlsys_bib.config import Settings
    from mlsys_bib.export import refs
    from mlsys_bib.export.csljson import csl_item
    from mlsys_bib.resolve import resolve_records

    list_path, cache = prepare(size, workdir)
    recordset = load_list(list_path)
    settings = Settings.from_env({}, offline=True, cache_path=cache, dblp_sparql_url="none", progress=False)
    resolve_records(list(recordset.records), settings)
    records = list(recordset.records)
    order = refs.section_order(records, None)
    members = refs.section_members(records, order)
    listed = {r.key for s in order for r in members[s]}
    return [refs.render_item(r, csl_item(r)) for r in records if r.key in listed]


def _usage() -> tuple[float, float, int, int]:
    kids, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return (
        kids.ru_utime + kids.ru_stime,
        me.ru_utime + me.ru_stime,
        kids.ru_maxrss // 1024,
        me.ru_maxrss // 1024,
    )


def timed(fn, *args):  # type: ignore[no-untyped-def]
    before, t0 = _usage(), time.perf_counter()
    result = fn(*args)
    after = _usage()
    return result, {
        "wall_s": round(time.perf_counter() - t0, 2),
        "pandoc_cpu_s": round(after[0] - before[0], 2),
        "python_cpu_s": round(after[1] - before[1], 2),
        "pandoc_peak_rss_mb_so_far": after[2],
        "python_peak_rss_mb_so_far": after[3],
    }


def order_run(items: list[dict], style: Path, tmp: Path) -> tuple[list[str], dict]:
    """The order-only pandoc run as ``render_many`` starts it, under ``/usr/bin/time``: the keys in
    order, pandoc's peak RSS and wall time, and the size of the items' JSON."""
    import subprocess

    from mlsys_bib.export import citeproc_pandoc as cp
    from mlsys_bib.export import citeproc_runs as runs

    bib = tmp / "items.json"
    bib.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    args = ["/usr/bin/time", "-f", "%M KB %e s %U user", str(cp.pandoc_binary()), "--from=markdown", "--to=json",
            "--citeproc", f"--bibliography={bib}", f"--csl={runs.order_only(style, tmp)}"]  # fmt: skip
    proc = subprocess.run(args, input="---\nnocite: '@*'\n---\n", capture_output=True, text=True, check=True)
    kb, _, wall, _, user, _ = proc.stderr.strip().splitlines()[-1].split()
    keys = [r.key for r in cp._entries(json.loads(proc.stdout)["blocks"])]
    usage = {"pandoc_peak_rss_mb": int(kb) // 1024, "wall_s": float(wall), "user_s": float(user),
             "json_mb": round(bib.stat().st_size / 2**20, 1)}  # fmt: skip
    return keys, usage


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--styles", default="apa,ieee,acm")
    ap.add_argument("--whole", action="store_true", help="also one pandoc run per style, and compare")
    ap.add_argument("--order", action="store_true", help="only the order-only runs: whole vs projected items")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mlsys-scale"))
    args = ap.parse_args(argv)
    from mlsys_bib.export import citeproc_pandoc as cp
    from mlsys_bib.export import citeproc_runs as runs
    from mlsys_bib.export.refs import STYLES

    cp.TIMEOUT = 10**5  # measuring: let the whole runs finish
    items = items_for(args.size, args.workdir)
    jobs = {name: (items, Path(STYLES[name])) for name in args.styles.split(",")}
    if args.order:
        import tempfile

        from mlsys_bib.export.csl_sort_vars import project

        for name, (its, style) in jobs.items():
            with tempfile.TemporaryDirectory() as tmp:
                whole, before = order_run(its, style, Path(tmp))
                keys, after = order_run(list(project(its, style)), style, Path(tmp))
            print(json.dumps({"style": name, "entries": len(its), "whole_items": before, "projected": after,
                              "same_order": keys == whole}), flush=True)  # fmt: skip
        return 0
    plans = {name: runs.plan(its, style) for name, (its, style) in jobs.items()}
    split, usage = timed(cp.render_many, jobs)
    print(json.dumps({"entries": len(items), "plans": plans, "render_many": usage}), flush=True)
    for name, (its, style) in jobs.items() if args.whole else ():
        whole, usage = timed(cp.render, its, style)
        print(json.dumps({"style": name, "whole": usage, "identical": whole == split[name]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
