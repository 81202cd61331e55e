"""Cold resolve of a list against the fake services: requests, wall-clock, floor, politeness.

Two modes, both driving the project's own resolver and clients (``resolve_records``):

* ``batched``: the documented strategy as shipped: arXiv ``id_list`` batches of 100 and
  5 titles per search, Crossref ``filter=doi:`` batches, one DBLP TOC per venue-year plus
  title searches for venues without a TOC;
* ``per-paper``: what manubot/betterbib-style tools do, one request per paper: arXiv batch
  size 1 and one title per search, Crossref batch size 1, no DBLP TOC (one DBLP title search
  per paper). Done by patching the clients' module constants and the planner's ``toc_key`` for
  the duration of the run; nothing under src/ is edited.

The server enforces the same spacing the client is configured with (arXiv 3 s, DBLP 1 s,
Crossref 50 per 1 s, all divided by ``--scale``) and counts every request that arrives early
as a politeness violation.

The floor is what the limits alone impose for the requests the run made: per service
``(n - 1) x spacing`` (n requests need n-1 gaps), services running in parallel, so the floor is
the largest of them, plus the Crossref second round, which waits for arXiv's answers.

    python bench/cold_resolve.py --modes batched                      # real limits, ~3 min
    python bench/cold_resolve.py --modes batched,per-paper --scale 10 # both, limits / 10
    python bench/cold_resolve.py --modes per-paper                    # real limits, ~22 min
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fakes.services import FakeServices  # noqa: E402

REAL = {"arxiv": 3.0, "dblp": 1.0}
CROSSREF_LIMIT, CROSSREF_WINDOW = 50, 1.0
RESULTS = Path(__file__).resolve().parent / "results"


@contextlib.contextmanager
def per_paper_mode():
    """One request per paper: batch sizes 1, no DBLP TOC (title search instead)."""
    import mlsys_bib.resolve.plan as resolve_plan
    from mlsys_bib.sources import arxiv, crossref

    saved = (arxiv.BATCH_SIZE, arxiv.SEARCH_TITLES_PER_REQUEST, crossref.BATCH_SIZE, resolve_plan.toc_key)
    arxiv.BATCH_SIZE = 1
    arxiv.SEARCH_TITLES_PER_REQUEST = 1
    crossref.BATCH_SIZE = 1
    resolve_plan.toc_key = lambda record: None
    try:
        yield
    finally:
        arxiv.BATCH_SIZE, arxiv.SEARCH_TITLES_PER_REQUEST, crossref.BATCH_SIZE, resolve_plan.toc_key = saved


def planned_requests(records: list[Any], settings: Any) -> dict[str, int]:
    """Requests the documented strategy needs before any answer is known (Crossref round 2 excluded)."""
    from mlsys_bib.resolve import plan_lookups
    from mlsys_bib.sources import arxiv
    from mlsys_bib.sources.crossref import CrossrefClient
    from mlsys_bib.text.titles import search_words

    plan = plan_lookups(records)
    ids = list(dict.fromkeys(i.value for i in plan.arxiv.values()))
    titles = list(dict.fromkeys(search_words(t) for t in plan.arxiv_search.values()))
    searcher = arxiv.ArxivClient.__new__(arxiv.ArxivClient)
    crossref = CrossrefClient(None, None, settings)  # type: ignore[arg-type]
    dois = sorted({d.lower() for d in plan.dois.values()})
    datacite = [d for d in dois if d.startswith(("10.48550/", "10.5281/", "10.6084/", "10.5061/"))]
    return {
        "arxiv_id_batches": math.ceil(len(ids) / arxiv.BATCH_SIZE) if ids else 0,
        "arxiv_search_batches": len(searcher._search_batches(titles)),
        "arxiv_ids": len(ids),
        "arxiv_titles": len(titles),
        "crossref_batches": len(crossref._batches([d for d in dois if d not in datacite])),
        "dois": len(dois),
        "doi_org": len(datacite),
        "dblp_tocs": len(set(plan.toc.values())),
        "dblp_searches": len(set(plan.dblp_search.values())),
        "records_toc": len(plan.toc),
        "records_dblp_search": len(plan.dblp_search),
        "records_no_lookup": len(plan.nothing),
    }


def run_mode(mode: str, list_path: str | None, scale: float, subset: int, workdir: Path) -> dict[str, Any]:
    from mlsys_bib.build import load_list
    from mlsys_bib.config import Settings
    from mlsys_bib.resolve import resolve_records

    intervals = {k: v / scale for k, v in REAL.items()}
    recordset = load_list(list_path)
    records = list(recordset.records)
    if subset and subset < len(records):
        step = len(records) / subset
        records = [records[int(i * step)] for i in range(subset)]
    cache = workdir / f"cache-{mode}.sqlite"
    with FakeServices(
        records=recordset,
        arxiv_interval=intervals["arxiv"],
        dblp_interval=intervals["dblp"],
        crossref_limit=CROSSREF_LIMIT,
        crossref_window=CROSSREF_WINDOW,
    ) as fake:
        settings = Settings.from_env(
            {},
            **fake.settings_overrides(),
            cache_path=cache,
            min_interval=f"arxiv={intervals['arxiv']},dblp={intervals['dblp']},dblp-sparql={intervals['dblp']}",
            progress=False,
        )
        ctx = per_paper_mode() if mode == "per-paper" else contextlib.nullcontext()
        with ctx:
            plan = planned_requests(records, settings)
            fake.reset()
            t0 = time.perf_counter()
            report = resolve_records(records, settings)
            wall = time.perf_counter() - t0
        stats = fake.snapshot()
    spacing = {
        "arxiv": intervals["arxiv"],
        "dblp": intervals["dblp"],
        "crossref": CROSSREF_WINDOW / CROSSREF_LIMIT,
        "dblp-sparql": intervals["dblp"],
    }
    served = {s: n - stats["politeness"].get(s, 0) for s, n in stats["requests"].items()}
    per_service_floor = {
        s: max(0, served.get(s, 0) - 1) * spacing.get(s, 0.0) for s in ("arxiv", "crossref", "dblp", "dblp-sparql")
    }
    # Crossref's second round (DOIs arXiv reported) can only start once arXiv has answered.
    round2 = max(0, served.get("crossref", 0) - plan["crossref_batches"])
    round1 = served.get("crossref", 0) - round2
    chains = {
        "arxiv_then_crossref_round2": per_service_floor["arxiv"] + round2 * spacing["crossref"],
        "crossref_round1": max(0, round1 - 1) * spacing["crossref"],
        # DBLP's SPARQL queries and searches are sent by one worker, one after the other
        "dblp": per_service_floor["dblp"] + per_service_floor["dblp-sparql"],
    }
    floor = max(chains.values())
    return {
        "mode": mode,
        "scale": scale,
        "intervals_s": {**intervals, "crossref": spacing["crossref"]},
        "records": len(records),
        "subset": bool(subset and subset < len(recordset.records)),
        "wall_s": round(wall, 2),
        "requests_client": dict(report.requests),
        "requests_server": served,
        "requests_total": sum(served.values()),
        "routes": stats["routes"],
        "ids_requested": stats["ids_requested"],
        "politeness_violations": stats["politeness_violations"],
        "min_gap_s": stats["min_gap_s"],
        "service_span_s": stats["service_span_s"],
        "floor_per_service_s": {k: round(v, 2) for k, v in per_service_floor.items()},
        "floor_chains_s": {k: round(v, 2) for k, v in chains.items()},
        "crossref_round2_requests": round2,
        "floor_s": round(floor, 2),
        "ratio_to_floor": round(wall / floor, 3) if floor else None,
        "planned": plan,
        "verdicts": report.to_dict()["verdicts"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", dest="list_path", default=None, help="paper list (default: the bundled seed)")
    ap.add_argument("--modes", default="batched", help="comma-separated: batched, per-paper")
    ap.add_argument("--scale", type=float, default=1.0, help="divide the real spacings by this")
    ap.add_argument("--subset", type=int, default=0, help="resolve only N evenly spread records")
    ap.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/...)")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="mlsys-cold-") as tmp:
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            if mode not in ("batched", "per-paper"):
                ap.error(f"unknown mode {mode!r}")
            print(f"== {mode}: scale {args.scale:g}, subset {args.subset or 'all'}", flush=True)
            result = run_mode(mode, args.list_path, args.scale, args.subset, Path(tmp))
            results.append(result)
            print(json.dumps(result, indent=1), flush=True)
    summary: dict[str, Any] = {
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_end": os.getloadavg(),
        "results": results,
    }
    if len(results) == 2:
        batched, per_paper = results
        summary["per_paper_over_batched"] = {
            "requests": round(per_paper["requests_total"] / batched["requests_total"], 2),
            "wall": round(per_paper["wall_s"] / batched["wall_s"], 2),
            "floor": round(per_paper["floor_s"] / batched["floor_s"], 2) if batched["floor_s"] else None,
        }
        print(json.dumps(summary["per_paper_over_batched"]), flush=True)
    out = (
        args.json
        or RESULTS
        / f"cold_{'_'.join(r['mode'] for r in results)}_scale{args.scale:g}"
        f"{'_subset' + str(args.subset) if args.subset else ''}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
