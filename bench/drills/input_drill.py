"""Bad-input drill (long run): many more hypothesis examples than the fast tests, plus caches.

    python bench/drills/input_drill.py --examples 3000

Runs the strategies and checkers of ``tests/test_drill_input.py`` with ``--examples`` examples
each: generated lists (random brackets, tags, links, unicode, very long lines, NUL bytes, CRLF,
BOM, tabs), mutated windows of the seed, mutated copies of the whole seed (fewer: each parses
~1000 bullets), and ``mlsys-bib check`` on generated lists written to disk (with invalid UTF-8
bytes too). Every input must parse, every bullet must be accounted for (markdown-it's bullet
start lines == item lines + report lines), every item must be in exactly one record, and
``check`` must exit 1 exactly when there are unparsed bullets, naming each one's line.

Then ``--caches`` random corruptions of a real, populated cache file (bytes overwritten at
random offsets, truncation, zero-filled pages), each opened through the Cache class and
through ``mlsys-bib resolve --offline``: the outcome is classified as *transparent* (the cache
still reads), *clear error* (CacheError naming the file) or *crash* (any other exception).

Results: ``bench/drills/results/input_drill.json`` and a one-line summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

from tests.drills import test_drill_input as t  # noqa: E402

COUNTS: Counter[str] = Counter()


def run_property(name: str, strategy, check, examples: int) -> None:  # type: ignore[no-untyped-def]
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(value):  # type: ignore[no-untyped-def]
        COUNTS[name] += 1
        check(value)

    prop()


def cache_drill(n: int, seed: int, work: Path) -> dict[str, object]:
    from mlsys_bib.net.cache import Cache, CacheEntry, CacheError

    base = work / "base.sqlite"
    with Cache(base) as cache:
        cache.put_many(
            CacheEntry(ns, f"{ns}-{i}", 200, "application/json", os.urandom(200 + i % 3000), "2025-01-01T00:00:00Z", i % 7 == 0)
            for ns in ("arxiv", "crossref", "dblp-toc")
            for i in range(400)
        )
    db = sqlite3.connect(base)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    pristine = base.read_bytes()
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    cli_outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    lst = work / "list.md"
    lst.write_text(t.SMALL_LIST, encoding="utf-8")
    for i in range(n):
        data = bytearray(pristine)
        how = rng.choice(["flip", "flip-header", "truncate", "zero-page", "garbage-page"])
        if how == "flip":
            for _ in range(rng.randint(1, 50)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif how == "flip-header":
            data[rng.randrange(100)] = rng.randrange(256)
        elif how == "truncate":
            data = data[: rng.randrange(len(data))]
        else:
            page = rng.randrange(max(1, len(data) // 4096)) * 4096
            fill = bytes(4096) if how == "zero-page" else os.urandom(4096)
            data[page : page + 4096] = fill[: len(data) - page]
        path = work / f"c{i}.sqlite"
        path.write_bytes(bytes(data))
        try:
            with Cache(path) as cache:
                for ns in ("arxiv", "crossref", "dblp-toc"):
                    cache.get_many(ns, [f"{ns}-{k}" for k in range(400)])
                cache.count()
                cache.put_many([CacheEntry("arxiv", "new", 200, "x", b"x", "2025-01-01T00:00:00Z", False)])
            outcome = "transparent"
        except CacheError as exc:
            outcome = "clear error" if str(path) in str(exc) else "error without the path"
        except Exception as exc:  # noqa: BLE001 - the drill classifies whatever escapes
            outcome = f"crash: {type(exc).__name__}"
            crashes.append(f"{how}: {type(exc).__name__}: {exc}"[:200])
        outcomes[f"{how}: {outcome}"] += 1
        outcomes[outcome] += 1
        if i % 10 == 0:  # the CLI path, for a sample
            path.write_bytes(bytes(data))
            try:
                code, _, err = t.run_cli(["-q", "resolve", "--offline", "--list", str(lst), "--cache", str(path)])
                cli = "exit 0" if code == 0 else f"exit {code}, {len(err.strip().splitlines())} line(s)"
            except Exception as exc:  # noqa: BLE001
                cli = f"traceback ({type(exc).__name__})"
            cli_outcomes[cli] += 1
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return {"outcomes": dict(outcomes), "cli_outcomes": dict(cli_outcomes), "crashes": crashes[:10]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=3000)
    ap.add_argument("--caches", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "input_drill.json")
    args = ap.parse_args(argv)
    started = time.monotonic()
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="input-drill-") as tmp:
        work = Path(tmp)
        counter = iter(range(10**9))

        def check_cli(pair):  # type: ignore[no-untyped-def]
            text, bad = pair
            raw = text.encode("utf-8")
            if bad:
                raw = raw.replace(b"\xc3", b"\xff\xc3", 1) + b"\n- \xfe\xff broken bytes\n"
            t.check_cli_names_lines(raw, work / f"l{next(counter) % 50}.md")

        from hypothesis import strategies as st

        jobs = [
            ("generated lists", t.documents(), t.check_accounting, args.examples),
            ("mutated seed windows", t.mutated_seeds(window=150), t.check_accounting, args.examples),
            ("mutated whole seeds", t.mutated_seeds(), t.check_accounting, max(50, args.examples // 10)),
            ("check command", st.tuples(t.documents(), st.booleans()), check_cli, max(100, args.examples // 3)),
        ]
        for name, strategy, check, n in jobs:
            t0 = time.monotonic()
            try:
                run_property(name, strategy, check, n)
                status = "ok"
            except Exception as exc:  # noqa: BLE001
                failures[name] = f"{type(exc).__name__}: {exc}"[:2000]
                status = "FAILED"
            print(f"  {name}: {COUNTS[name]} inputs, {status}, {time.monotonic() - t0:.0f} s", flush=True)
        caches = cache_drill(args.caches, args.seed, work)
        print(f"  corrupt caches: {caches['outcomes']}; CLI: {caches['cli_outcomes']}", flush=True)
    summary = {
        "command": "python bench/drills/input_drill.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "inputs": dict(COUNTS),
        "inputs_total": sum(COUNTS.values()),
        "failures": failures,
        "corrupt_caches": caches,
        "seconds": round(time.monotonic() - started, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    outcomes = caches["outcomes"]
    print(
        f"input drill: {summary['inputs_total']} inputs tried ({dict(COUNTS)}), {len(failures)} failing properties; "
        f"{args.caches} corrupt caches: {outcomes.get('transparent', 0)} read transparently, "
        f"{outcomes.get('clear error', 0)} clear CacheError, "
        f"{sum(v for k, v in outcomes.items() if k.startswith('crash:'))} crashes; "
        f"CLI on a sample: {caches['cli_outcomes']}"
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
