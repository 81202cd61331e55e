"""The site (issue 12): build time cold and warm, size, pages, and search latency per keystroke in
headless Chromium, on the seed (1x) and on a 10x list from gen_list.py.

For each size: the list is generated; ``mlsys-bib build --offline`` runs in a fresh process with an
empty cache (cold: pandoc renders every style) and then three times more (warm; median), and three
times with ``--no-site`` (the site's share of a warm rebuild is the difference). Then the page is
opened from ``file://`` in Debian's chromium (selenium, the test flags) and a query is typed one
character at a time, then deleted again (the empty query shows every paper: the worst case). Per
keystroke two times are taken in the page: the input handler plus the style and layout it causes
(``offsetHeight`` forces both), and the time to the next frame (``requestAnimationFrame`` plus a
task: paint included).

    python bench/site_search.py                 # sizes 1 and 10 -> bench/results/site_search.json
    python bench/site_search.py --sizes 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
QUERIES = ("memory gpu", "llm serving", "zhang")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

KEYSTROKE = """
var value = arguments[0], done = arguments[1], q = document.getElementById('_q');
var t0 = performance.now();
q.value = value;
q.dispatchEvent(new Event('input', {bubbles: true}));
void document.body.offsetHeight;
var sync = performance.now() - t0;
requestAnimationFrame(function () { setTimeout(function () {
  done([sync, performance.now() - t0, document.getElementById('_count').textContent]);
}, 0); });
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSYS_BIB_") or k == "MLSYS_BIB_SHARED"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _build(listing: Path, out: Path, cache: Path, *extra: str) -> float:
    env = _env()
    env["MLSYS_BIB_CACHE"] = str(cache)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mlsys_bib.cli", "-q", "build", "--offline", "--list", str(listing),
         "--out", str(out), *extra],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def _browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(60)
    return driver


def _search(driver, page: Path) -> dict[str, object]:
    start = time.perf_counter()
    driver.get(page.as_uri())
    driver.execute_script("return document.getElementById('_count').textContent")
    load = time.perf_counter() - start
    ready = driver.execute_script(
        "var n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]"
    )
    sync: list[float] = []
    frame: list[float] = []
    for query in QUERIES:
        steps = [query[:n] for n in range(1, len(query) + 1)] + [query[:n] for n in range(len(query) - 1, -1, -1)]
        for value in steps:
            s, f, _ = driver.execute_async_script(KEYSTROKE, value)
            sync.append(s)
            frame.append(f)

    def stats(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {"median_ms": round(statistics.median(xs), 2), "p95_ms": round(xs[int(0.95 * (len(xs) - 1))], 2),
                "max_ms": round(xs[-1], 2)}

    return {"keystrokes": len(sync), "handler_and_layout": stats(sync), "to_next_frame": stats(frame),
            "open_page_s": round(load, 3), "dom_content_loaded_ms": round(ready[0], 1), "load_event_ms": round(ready[1], 1)}


def run(sizes: list[int], warm_runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from bench.gen_list import SEED, generate

    results: dict[str, object] = {
        "machine": platform.platform(), "python": platform.python_version(),
        "chromium": subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip(),
        "queries": list(QUERIES), "sizes": {},
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        driver = _browser(work / "profile")
        try:
            for factor in sizes:
                listing = work / f"list-{factor}x.md"
                listing.write_text(generate(SEED.read_text(encoding="utf-8"), factor), encoding="utf-8")
                out, cache = work / f"out-{factor}", work / f"cache-{factor}.sqlite"
                cold = _build(listing, out, cache)
                warm = [_build(listing, out, cache) for _ in range(warm_runs)]
                without = [_build(listing, out, cache, "--no-site") for _ in range(warm_runs)]
                _build(listing, out, cache)  # the site back in place for the browser
                site = out / "site"
                files = [p for p in site.rglob("*") if p.is_file()]
                data = (site / "data.js").read_text(encoding="utf-8")
                papers = len(json.loads(data[data.index("=") + 1 : data.rindex(";")])["papers"])
                entry = {
                    "papers": papers,
                    "build_cold_s": round(cold, 3),
                    "build_warm_s": round(statistics.median(warm), 3),
                    "build_warm_no_site_s": round(statistics.median(without), 3),
                    "site_share_of_warm_s": round(statistics.median(warm) - statistics.median(without), 3),
                    "site_bytes": sum(p.stat().st_size for p in files),
                    "site_files": len(files),
                    "pages": sum(1 for p in files if p.suffix == ".html"),
                    "bytes_by_file": {
                        "index.html": (site / "index.html").stat().st_size,
                        "data.js": (site / "data.js").stat().st_size,
                        "dl/": sum(p.stat().st_size for p in (site / "dl").iterdir()),
                    },
                    "search": _search(driver, site / "index.html"),
                }
                results["sizes"][f"{factor}x"] = entry  # type: ignore[index]
                print(f"{factor}x: {json.dumps(entry)}", flush=True)
        finally:
            driver.quit()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "site_search.json"))
    args = parser.parse_args()
    results = run([int(s) for s in args.sizes.split(",")], args.warm_runs)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
