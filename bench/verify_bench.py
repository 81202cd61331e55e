"""Verify benchmark: precision/recall against planted mistakes, time and memory per .bib size.

The curated set is the whole seed resolved against the loopback fakes (authors, DOIs, pages), so
the generated user bibliographies look like real ones (Google Scholar, DBLP incl. CoRR, ACM DL,
hand-made; tests/fakes/userbibs.py) and every planted mistake is known.

    PYTHONPATH=src:. python bench/verify_bench.py --entries 400,1000,10000 --passes 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from mlsys_bib.api import load
from mlsys_bib.config import Settings
from mlsys_bib.verification import verify
from tests.fakes.services import FakeServices
from tests.fakes.userbibs import corpus, score

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"


def resolved_seed(work: Path):  # type: ignore[no-untyped-def]
    with FakeServices(SEED) as fs:
        base = fs.url.rstrip("/")
        settings = Settings.from_env(arxiv_url=base, crossref_url=base, doi_url=base, dblp_url=base,
                                     cache_path=work / "cache.sqlite", progress=False,
                                     min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0})
        return load(None, resolve=True, settings=settings).records


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", default="400,1000,10000")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "verify.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        records = resolved_seed(work)
        print(f"curated set: {len(records)} records resolved against the fakes in {time.perf_counter() - t0:.1f} s")
        for size in (int(x) for x in args.entries.split(",")):
            planted = corpus(records, size, seed=args.seed)
            bib = work / f"paper-{size}.bib"
            bib.write_text("\n".join(p.text for p in planted), encoding="utf-8")
            times = []
            for _ in range(args.passes):
                t = time.perf_counter()
                report = verify(bib, records=records)
                times.append(time.perf_counter() - t)
            tracemalloc.start()
            verify(bib, records=records, fix=work / f"fixed-{size}.bib")
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            s = score(planted, report)
            after = verify(work / f"fixed-{size}.bib", records=records)
            row = {
                "entries": size, "planted": s["planted"], "found": s["found"],
                "precision": round(s["precision"], 4), "recall": round(s["recall"], 4),
                "wrong_matches": s["wrong_matches"], "median_s": round(statistics.median(times), 3),
                "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                "peak_traced_mb": round(peak / 2**20, 1), "findings_after_fix": len(after.findings),
                "false_positives": [f"{k}:{v.name}" for k, v in s["false_positives"]],
                "missed": [f"{k}:{v.name}" for k, v in s["missed"]],
            }
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k not in ("false_positives", "missed")}))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
