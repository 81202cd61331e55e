"""Fault drill: resolve the whole seed against services that fail a seeded 20% of requests.

    python bench/drills/fault_drill.py --seeds 0-9 --rate 0.2

For each seed: a resolve run of every record of the seed against ``tests/fakes/services.py``
answering a seeded random ``rate`` of requests with 429, 500, 503, connection resets,
timeouts, truncated bodies, HTML instead of JSON/Atom and valid-looking answers about another
paper (``wrong_id``); then a fault-free run on the same cache; then a warm run. Checked, per
record, against a fault-free reference run:

* after the faulty run: resolved exactly like the reference, or list data kept with a
  failed / not found / partial verdict; no metadata of another paper (arXiv id / DOI / DBLP key
  of every service value, and titles, authors, years, agree with the record);
* the fault-free run asks only for lookups of records that did not resolve (requests counted
  per lookup key), and ends identical to the reference ("records lost" counts those that do not);
* the warm run makes no request.

The resolver runs in this process with the real HTTP client; only its ``sleep`` is a no-op, so
Retry-After and backoff waits do not make the drill slow (``--real-sleep`` to keep them).
Two client settings are drilled: the default retries (4) and none (every fault bites).
Results: ``bench/drills/results/fault_drill.json`` and a one-line summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

from bench.drills.drillcheck import Truth, list_data_kept, snapshot, snapshots, wrong_metadata  # noqa: E402
from bench.drills.drillserver import log_lookups  # noqa: E402
from mlsys_bib.build import load_list  # noqa: E402
from mlsys_bib.config import Settings  # noqa: E402
from mlsys_bib.model import Verdict  # noqa: E402
from mlsys_bib.net.http import HttpClient  # noqa: E402
from mlsys_bib.resolve import resolve_records  # noqa: E402
from tests.fakes.services import FAULT_KINDS, FakeServices  # noqa: E402

CLIENT_TIMEOUT = 0.5


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


class FaultDrill:
    def __init__(self, list_path: str | None, work: Path, *, real_sleep: bool) -> None:
        self.list_path = list_path
        self.work = work
        self.real_sleep = real_sleep

    def records(self) -> list[Any]:
        return load_list(self.list_path).records

    def server(self, **kw: Any) -> FakeServices:
        return FakeServices(records=self.records(), client_timeout=CLIENT_TIMEOUT, **kw)

    def resolve(
        self, fs: FakeServices, cache: Path, retries: int, *, refresh: bool = False
    ) -> tuple[list[Any], Any, float]:
        settings = Settings.from_env(
            cache_path=cache, retries=retries, timeout=CLIENT_TIMEOUT, progress=False, **fs.settings_overrides()
        ).with_(min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0}, refresh=refresh)
        records = self.records()
        t = time.monotonic()
        kwargs = {} if self.real_sleep else {"sleep": lambda s: None}
        with HttpClient(settings, **kwargs) as http:
            report = resolve_records(records, settings, http=http)
        return records, report, time.monotonic() - t

    def reference(self) -> dict[str, Any]:
        with self.server() as fs:
            self.truth = Truth(self.records(), fs)
            records, report, seconds = self.resolve(fs, self.work / "reference.sqlite", retries=0)
            requests = fs.snapshot()["total_requests"]
        self.ref = snapshots(records)
        self.ref_verdicts = {r.key: r.verdict for r in records}
        self.list_only = snapshots(self.records())
        wrong = {r.key: wrong_metadata(r, self.truth) for r in records if wrong_metadata(r, self.truth)}
        if wrong:
            raise SystemExit(f"the fault-free reference attaches wrong metadata: {list(wrong)[:5]}")
        return {
            "records": len(records),
            "verdicts": dict(Counter(r.verdict.value for r in records)),
            "requests": requests,
            "seconds": round(seconds, 1),
        }

    def trial(self, seed: int, rate: float, retries: int, kinds: tuple[str, ...]) -> dict[str, Any]:
        cache = self.work / f"seed{seed}-r{retries}.sqlite"
        with self.server(fault_rate=rate, seed=seed, fault_kinds=kinds) as fs:
            records, report, seconds = self.resolve(fs, cache, retries)
            snap = fs.snapshot()
        verdicts = Counter(r.verdict.value for r in records)
        wrong: dict[str, list[str]] = {}
        dropped: dict[str, list[str]] = {}
        resolved_but_different: list[str] = []
        bad_verdict: list[str] = []
        not_resolved: set[str] = set()
        for record in records:
            problems = wrong_metadata(record, self.truth)
            if problems:
                wrong[record.key] = problems
            lost_fields = list_data_kept(record, self.list_only[record.key])
            if lost_fields:
                dropped[record.key] = lost_fields
            ref_verdict = self.ref_verdicts[record.key]
            if record.verdict is Verdict.RESOLVED and ref_verdict is Verdict.RESOLVED:
                if snapshot(record) != self.ref[record.key]:
                    resolved_but_different.append(record.key)
            elif record.verdict is not ref_verdict:
                not_resolved.add(record.key)
                if record.verdict not in (Verdict.FAILED, Verdict.PARTIAL, Verdict.NOT_FOUND, Verdict.AMBIGUOUS):
                    bad_verdict.append(record.key)
        # the next run, fault-free
        with self.server() as fs:
            log = log_lookups(fs)
            records2, report2, seconds2 = self.resolve(fs, cache, retries)
        asked = log.keys()
        failed_or_partial = {r.key for r in records if r.verdict in (Verdict.FAILED, Verdict.PARTIAL)}
        needless = sorted(k for k in asked if not (self.truth.keys_of(k) & (failed_or_partial | not_resolved)))
        lost = [r.key for r in records2 if snapshot(r) != self.ref[r.key] or r.verdict is not self.ref_verdicts[r.key]]
        lost_reasons = Counter(
            next((r.verdict_detail for r in records2 if r.key == key), "")[:60] for key in lost
        )
        with self.server() as fs:
            _, report3, _ = self.resolve(fs, cache, retries)
        recovered_by_refresh = None
        if lost:
            with self.server() as fs:
                records4, _, _ = self.resolve(fs, cache, retries, refresh=True)
            recovered_by_refresh = sum(
                1 for r in records4 if r.key in lost and snapshot(r) == self.ref[r.key]
            )
        return {
            "seed": seed,
            "retries": retries,
            "requests": snap["total_requests"],
            "faults": snap["faults"],
            "faults_total": snap["faults_total"],
            "seconds": round(seconds, 1),
            "verdicts": dict(verdicts),
            "wrong_metadata_records": sorted(wrong),
            "wrong_metadata_examples": {k: v[:2] for k, v in list(wrong.items())[:3]},
            "list_data_dropped": sorted(dropped),
            "resolved_but_different_from_reference": sorted(resolved_but_different),
            "unexpected_verdicts": bad_verdict,
            "records_not_resolved_after_faults": len(not_resolved | failed_or_partial),
            "second_run_requests": dict(report2.requests),
            "second_run_lookups": len(asked),
            "second_run_needless_lookups": needless[:20],
            "records_lost_after_second_run": lost,
            "records_lost_reasons": dict(lost_reasons),
            "warm_run_requests": dict(report3.requests),
            "lost_recovered_by_refresh": recovered_by_refresh,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--rate", type=float, default=0.2)
    ap.add_argument("--retries", default="4,0", help="client retry settings to drill, comma-separated")
    ap.add_argument("--kinds", default=",".join(FAULT_KINDS))
    ap.add_argument("--list", default=None, help="list to resolve (default: the bundled seed)")
    ap.add_argument("--real-sleep", action="store_true")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "fault_drill.json")
    args = ap.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fault-drill-") as tmp:
        drill = FaultDrill(args.list, Path(tmp), real_sleep=args.real_sleep)
        reference = drill.reference()
        print(f"reference: {reference}", flush=True)
        trials = []
        for retries in (int(r) for r in args.retries.split(",")):
            for seed in parse_seeds(args.seeds):
                t = drill.trial(seed, args.rate, retries, kinds)
                trials.append(t)
                print(
                    f"  seed {seed} retries {retries}: {t['faults_total']} faults in {t['requests']} requests "
                    f"{t['faults']}; verdicts {t['verdicts']}; wrong metadata {len(t['wrong_metadata_records'])}; "
                    f"resolved-but-different {len(t['resolved_but_different_from_reference'])}; next run "
                    f"{sum(t['second_run_requests'].values())} requests, {len(t['second_run_needless_lookups'])} needless; "
                    f"lost {len(t['records_lost_after_second_run'])} {t['records_lost_reasons']}; warm {t['warm_run_requests']}",
                    flush=True,
                )
    faults = Counter()
    for t in trials:
        faults.update(t["faults"])
    summary = {
        "command": "python bench/drills/fault_drill.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "reference": reference,
        "runs": len(trials),
        "requests": sum(t["requests"] for t in trials),
        "faults_injected": sum(faults.values()),
        "faults_by_kind": dict(faults),
        "records_checked": reference["records"] * len(trials),
        "records_with_wrong_metadata": sum(len(t["wrong_metadata_records"]) for t in trials),
        "records_with_list_data_dropped": sum(len(t["list_data_dropped"]) for t in trials),
        "records_resolved_but_different": sum(len(t["resolved_but_different_from_reference"]) for t in trials),
        "records_not_resolved_after_faults": sum(t["records_not_resolved_after_faults"] for t in trials),
        "second_run_requests": sum(sum(t["second_run_requests"].values()) for t in trials),
        "second_run_needless_lookups": sum(len(t["second_run_needless_lookups"]) for t in trials),
        "records_lost_after_second_run": sum(len(t["records_lost_after_second_run"]) for t in trials),
        "warm_run_requests": sum(sum(t["warm_run_requests"].values()) for t in trials),
        "lost_recovered_by_refresh": sum(t["lost_recovered_by_refresh"] or 0 for t in trials),
        "seconds": round(time.monotonic() - started, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "trials": trials}, indent=1) + "\n", encoding="utf-8")
    print(
        f"fault drill: {summary['faults_injected']} faults injected in {summary['requests']} requests over "
        f"{summary['runs']} runs ({summary['records_checked']} record checks); wrong metadata "
        f"{summary['records_with_wrong_metadata']}, list data dropped {summary['records_with_list_data_dropped']}, "
        f"resolved-but-different {summary['records_resolved_but_different']}; next runs made "
        f"{summary['second_run_requests']} requests ({summary['second_run_needless_lookups']} needless lookups); "
        f"records not restored by the next run: {summary['records_lost_after_second_run']} "
        f"({summary['lost_recovered_by_refresh']} restored by --refresh); list data lost: "
        f"{summary['records_with_list_data_dropped']}; warm-run requests "
        f"{summary['warm_run_requests']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
