"""The reader's-view matrix of issue 9: every style × {LaTeX errors, warnings, entries with a defect}.

    python bench/rendered_matrix.py --resolved   # the seed resolved against the loopback fakes
    python bench/rendered_matrix.py --list-only  # the committed, list-only exports (offline build)

Writes bench/results/rendered-<mode>.json and prints a markdown table plus examples per check.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlsys_bib.build import build  # noqa: E402
from mlsys_bib.config import Settings  # noqa: E402
from tests.render.matrix import apa_out_of_order, markdown, matrix  # noqa: E402

SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"
OFFLINE = "http://127.0.0.1:9"


def _build(mode: str, work: Path):  # type: ignore[no-untyped-def]
    if mode == "resolved":
        from tests.fakes.services import FakeServices, loopback_settings

        with FakeServices(SEED) as fs:
            settings = loopback_settings(fs, work / "cache.sqlite")
            return build(None, work / "exports", settings=settings)
    settings = Settings.from_env(
        arxiv_url=OFFLINE, crossref_url=OFFLINE, doi_url=OFFLINE, dblp_url=OFFLINE,
        cache_path=work / "cache.sqlite", progress=False, offline=True,
    )  # fmt: skip
    (work / "exports").mkdir(parents=True)
    (work / "exports" / "keys.lock").write_bytes((ROOT / "exports" / "keys.lock").read_bytes())
    return build(None, work / "exports", settings=settings)


def main() -> int:
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--resolved", action="store_const", dest="mode", const="resolved")
    mode.add_argument("--list-only", action="store_const", dest="mode", const="list-only")
    ap.add_argument("--examples", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result = _build(args.mode, work)
        started = time.perf_counter()
        results = matrix(work / "exports", result.records, work / "render")
        unordered = apa_out_of_order(work / "exports", work / "render")
        elapsed = time.perf_counter() - started
    print(markdown(results))
    print(f"\nrefs/apa sections not in APA order: {len(unordered)}; rendering took {elapsed:.0f} s")
    for r in results:
        for check, count in r.by_check().items():
            examples = [f"{k}: {found[check]}" for k, found in r.defective.items() if check in found]
            print(f"  {r.style} / {check} ({count}): " + " | ".join(examples[: args.examples]))
        for err in r.latex_errors[:2]:
            print(f"  {r.style} / LaTeX: {err}")
    out = ROOT / "bench" / "results" / f"rendered-{args.mode}.json"
    payload = {"rows": [r.row() for r in results], "apa_sections_out_of_order": len(unordered)}
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
