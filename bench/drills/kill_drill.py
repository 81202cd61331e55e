"""Kill drill: ``kill -9`` (and Ctrl-C) a real ``mlsys-bib build`` at random moments; lose nothing.

    python bench/drills/kill_drill.py --kills 20 --sigints 5 --seed 1

The whole seed is resolved by ``mlsys-bib build`` in a subprocess, every service pointed at
``tests/fakes/services.py`` on loopback (slowed down so that a random moment often falls in a
request) and ``MLSYS_BIB_CACHE`` at a file of the drill. Each trial starts a build and SIGKILLs
it at one random moment, of one of these kinds (drawn at random):

* ``timed``: after a uniformly random delay within the length of an uninterrupted build;
* ``request``: from inside the fake server, while the k-th request (k random) is in flight;
* ``cache-commit``: inside the N-th cache transaction, before its COMMIT (N random);
* ``export-write``: inside the N-th atomic export write, half of the bytes written;
* ``export-rename``: after the N-th export's temporary file is complete, before its rename.

(the last three run the unmodified CLI through ``killpoint.py``, which SIGKILLs its own
process at that point). Trials start from an empty cache and output directory, or from an
output directory holding *older* exports (a ``--no-resolve`` build), or with a warm cache, so
kills land in every phase, including while old exports are being replaced.

After each kill: the cache passes ``PRAGMA integrity_check``; every file in the output
directory parses (``.bib`` with bibtexparser, ``.json``/``keys.lock`` with json); each export
is either the old one or the new one; a rerun (no kill) exits 0 and writes exports
byte-identical to an uninterrupted run. Leftover ``.*.tmp`` files (atomic_write's temporaries
of a killed write) are counted. SIGINT trials check exit 130, one line on stderr and no
traceback, how long the process took to stop, and the same integrity and rerun checks.

Results go to ``bench/drills/results/kill_drill.json`` and a one-line summary to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

from bench.drills.drillcheck import export_tree, integrity, parse_exports, tree_diff  # noqa: E402
from bench.drills.drillserver import log_lookups  # noqa: E402
from tests.fakes.services import FakeServices  # noqa: E402

KILLPOINT = HERE / "killpoint.py"
KINDS = ("timed", "request", "cache-commit", "export-write", "export-rename")
STARTS = ("fresh", "old-exports", "warm-cache")


def mlsys_bib() -> list[str]:
    """The installed console script (its ``import mlsys_bib`` honours PYTHONPATH, see Drill.env)."""
    beside = Path(sys.executable).parent / "mlsys-bib"  # not a pyenv shim: one process, one pid
    exe = str(beside) if beside.exists() else shutil.which("mlsys-bib")
    return [exe] if exe else [sys.executable, "-m", "mlsys_bib.cli"]


def build_args(list_path: Path, out: Path, extra: list[str]) -> list[str]:
    return ["-q", "build", "--list", str(list_path), "--out", str(out), *extra]


def refs_available() -> bool:
    try:
        import mlsys_bib.export.refs  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Trial:
    n: int
    kind: str
    start: str
    at: str = ""  # the drawn moment: "t=3.2s", "request 17", "commit 4", ...
    killed: bool = False
    returncode: int | None = None
    seconds_to_exit: float = 0.0
    requests_before_kill: int = 0
    phase: str = ""
    integrity: str = ""
    parse_problems: list[str] = field(default_factory=list)
    temporaries_after_kill: list[str] = field(default_factory=list)
    generations: dict[str, str] = field(default_factory=dict)
    stderr_lines: int = 0
    stderr: str = ""
    traceback: bool = False
    rerun_returncode: int | None = None
    rerun_identical: bool = False  # every export but report.json
    rerun_diff: list[str] = field(default_factory=list)
    report_identical: bool = False
    report_identical_but_cached: bool = False  # differs only by the " (cached)" of verdict reasons
    temporaries_after_rerun: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.integrity in ("ok", "absent")
            and not self.parse_problems
            and self.rerun_returncode == 0
            and self.rerun_identical
            and self.report_identical_but_cached
            and not self.traceback
        )


def _ctrl_c_as_at_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Drill:
    """Reference builds, trials and checks over one FakeServices instance."""

    def __init__(self, list_path: Path, work: Path, *, slow: float, extra: list[str], seed: int) -> None:
        from mlsys_bib.build import load_list

        self.list_path = list_path
        self.work = work
        self.extra = extra
        # Every build of the drill runs one frozen copy of the package: the tree may be edited
        # while a long drill runs, and a reference built by other code compares with nothing.
        self.frozen = work / "frozen-src"
        shutil.copytree(
            ROOT / "src" / "mlsys_bib", self.frozen / "mlsys_bib", ignore=shutil.ignore_patterns("__pycache__")
        )
        self.rng = random.Random(seed)
        self.fake = FakeServices(records=load_list(str(list_path)), slow=slow, client_timeout=5.0)
        self._child: subprocess.Popen[str] | None = None
        self._kill_at_request: tuple[int, int] | None = None  # (request number, signal)
        self._signal_sent_at: float | None = None
        self._requests = 0
        self._lock = threading.Lock()
        self.log = log_lookups(self.fake, on_request=self._on_request)
        self.fake.start()
        self.ref_tree: dict[str, bytes] = {}
        self.old_tree_dir = work / "old-exports"
        self.ref_cache = work / "ref-cache.sqlite"
        self.ref_seconds = 0.0
        self.ref_requests = 0
        self.ref_counts: dict[str, int] = {}

    def close(self) -> None:
        self.fake.stop()

    # -- processes ----------------------------------------------------------------------------
    def env(self, cache: Path, killpoint: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.fake.env())
        env["MLSYS_BIB_CACHE"] = str(cache)
        env["MLSYS_BIB_MIN_INTERVAL"] = "arxiv=0,dblp=0,crossref=0,doi=0"
        env["MLSYS_BIB_TIMEOUT"] = "10"
        # the search API's one request per venue-year or title: many requests to kill between
        # (DBLP's SPARQL batches would resolve the drill's list in five)
        env["MLSYS_BIB_DBLP_SPARQL_URL"] = "none"
        env.pop("MLSYS_BIB_OFFLINE", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.frozen), env.get("PYTHONPATH", "")) if p)
        if killpoint:
            env["MLSYS_BIB_DRILL_KILL"] = killpoint
        return env

    def _on_request(self, service: str) -> None:
        with self._lock:
            self._requests += 1
            n = self._requests
            child = self._child
            target = self._kill_at_request
        if child is not None and target is not None and n == target[0]:
            self._signal_sent_at = time.monotonic()
            try:
                os.kill(child.pid, target[1])
            except ProcessLookupError:
                pass

    def start(self, out: Path, cache: Path, *, killpoint: str | None = None) -> subprocess.Popen[str]:
        cmd = [sys.executable, str(KILLPOINT)] if killpoint else mlsys_bib()
        with self._lock:
            self._requests = 0
        child = subprocess.Popen(
            cmd + build_args(self.list_path, out, self.extra),
            env=self.env(cache, killpoint),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell without job control starts background jobs with Ctrl-C ignored, and a child
            # inherits that: the drill is run as a user at a terminal would run the build.
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        with self._lock:
            self._child = child
        return child

    def run(self, out: Path, cache: Path, *, killpoint: str | None = None) -> tuple[int, str, str, float]:
        t = time.monotonic()
        child = self.start(out, cache, killpoint=killpoint)
        stdout, stderr = child.communicate(timeout=1800)
        with self._lock:
            self._child = None
        return child.returncode, stdout, stderr, time.monotonic() - t

    # -- references ---------------------------------------------------------------------------
    def prepare(self) -> dict[str, Any]:
        """An uninterrupted cold build (the reference), a second one (determinism), old exports."""
        ref_out = self.work / "ref-exports"
        self.log.clear()
        code, _, err, seconds = self.run(ref_out, self.ref_cache, killpoint="count")
        if code != 0:
            raise SystemExit(f"reference build failed ({code}): {err[-2000:]}")
        self.ref_counts = json.loads(err.strip().splitlines()[-1])
        self.ref_seconds = seconds
        self.ref_requests = len(self.log.entries)
        self.ref_tree = export_tree(ref_out)
        again = self.work / "ref2"
        code, _, err, seconds2 = self.run(again / "exports", again / "cache.sqlite")
        if code != 0:
            raise SystemExit(f"second reference build failed ({code}): {err[-2000:]}")
        diff = tree_diff(self.ref_tree, export_tree(again / "exports"))
        if diff:
            raise SystemExit(f"two uninterrupted cold builds differ: {diff}; the drill cannot compare")
        code, _, err = subprocess.run(
            mlsys_bib() + ["-q", "build", "--no-resolve", "--list", str(self.list_path), "--out", str(self.old_tree_dir), *self.extra],
            env=self.env(self.work / "unused.sqlite"), capture_output=True, text=True, timeout=600,
        ).returncode, "", ""  # fmt: skip
        if code != 0:
            raise SystemExit("the --no-resolve build for old exports failed")
        shutil.rmtree(again)
        return {
            "reference_seconds": round(self.ref_seconds, 2),
            "second_reference_seconds": round(seconds2, 2),
            "reference_requests": self.ref_requests,
            "reference_cache_commits": self.ref_counts.get("cache-commit", 0),
            "reference_export_writes": self.ref_counts.get("export-write", 0),
            "export_files": len(self.ref_tree),
        }

    # -- trials -------------------------------------------------------------------------------
    def _setup(self, trial_dir: Path, start: str) -> tuple[Path, Path]:
        out, cache = trial_dir / "exports", trial_dir / "cache.sqlite"
        trial_dir.mkdir(parents=True)
        if start in ("old-exports", "warm-cache"):
            shutil.copytree(self.old_tree_dir, out)
        if start == "warm-cache":
            shutil.copy2(self.ref_cache, cache)
        return out, cache

    def _generations(self, out: Path, before: dict[str, bytes]) -> dict[str, str]:
        now = export_tree(out, strip_requests=False) if out.exists() else {}
        ref = self.ref_tree
        gens: dict[str, str] = {}
        for name in sorted(set(ref) | set(now)):
            if name not in now:
                gens[name] = "absent"
            elif now[name] == before.get(name):
                gens[name] = "old"
            elif name in ref and export_tree(out).get(name) == ref[name]:
                gens[name] = "new"
            else:
                gens[name] = "other"
        return gens

    def kill_trial(self, n: int, kind: str, start: str, k: int | None = None) -> Trial:
        """One SIGKILL trial; ``k`` fixes the commit / write / request number (random if None)."""
        trial = Trial(n, kind, start)
        trial_dir = self.work / f"trial-{n:02d}-{kind}"
        out, cache = self._setup(trial_dir, start)
        before = export_tree(out, strip_requests=False) if out.exists() else {}
        killpoint = None
        if kind == "cache-commit":
            total = self.ref_counts["cache-commit"]
            k = k or self.rng.randint(2, max(2, total))  # commit 1 creates the schema
            killpoint, trial.at = f"cache-commit:{k}", f"commit {k} of {total}"
        elif kind in ("export-write", "export-rename"):
            total = self.ref_counts["export-write"]
            k = k or self.rng.randint(1, total)
            killpoint, trial.at = f"{kind}:{k}", f"export write {k} of {total}"
        elif kind == "request":
            k = k or self.rng.randint(1, max(1, self.ref_requests))
            trial.at = f"request {k} of {self.ref_requests}"
            with self._lock:
                self._kill_at_request = (k, signal.SIGKILL)
        self.log.clear()
        t0 = time.monotonic()
        child = self.start(out, cache, killpoint=killpoint)
        if kind == "timed":
            delay = self.rng.uniform(0.05, self.ref_seconds)
            trial.at = f"t={delay:.2f}s of {self.ref_seconds:.2f}s"
            try:
                child.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate(timeout=1800)
        trial.seconds_to_exit = round(time.monotonic() - t0, 3)
        with self._lock:
            self._child = None
            self._kill_at_request = None
        trial.returncode = child.returncode
        trial.killed = child.returncode == -signal.SIGKILL
        trial.requests_before_kill = self._requests  # arrivals at the fake server
        trial.traceback = "Traceback" in stderr
        self._check_after(trial, out, cache, before)
        return trial

    def sigint_trial(self, n: int, start: str, at_request: int | None = None) -> Trial:
        """One Ctrl-C trial: SIGINT after a random delay, or while request ``at_request`` is in flight."""
        trial = Trial(n, "sigint", start)
        trial_dir = self.work / f"trial-{n:02d}-sigint"
        out, cache = self._setup(trial_dir, start)
        before = export_tree(out, strip_requests=False) if out.exists() else {}
        self.log.clear()
        self._signal_sent_at = None
        if at_request is not None:
            trial.at = f"request {at_request} of {self.ref_requests}"
            with self._lock:
                self._kill_at_request = (at_request, signal.SIGINT)
        child = self.start(out, cache)
        if at_request is not None:
            _, stderr = child.communicate(timeout=1800)
        else:
            delay = self.rng.uniform(0.5, max(0.6, self.ref_seconds * 0.8))
            trial.at = f"t={delay:.2f}s of {self.ref_seconds:.2f}s"
            try:
                child.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                self._signal_sent_at = time.monotonic()
                child.send_signal(signal.SIGINT)
            _, stderr = child.communicate(timeout=1800)
        if self._signal_sent_at is not None:
            trial.seconds_to_exit = round(time.monotonic() - self._signal_sent_at, 3)
        with self._lock:
            self._child = None
            self._kill_at_request = None
        trial.returncode = child.returncode
        trial.killed = self._signal_sent_at is not None  # False: the build ended before the signal
        trial.requests_before_kill = self._requests  # arrivals at the fake server
        trial.traceback = "Traceback" in stderr
        trial.stderr_lines = len(stderr.strip().splitlines())
        trial.stderr = stderr[-500:]
        self._check_after(trial, out, cache, before)
        return trial

    def _check_after(self, trial: Trial, out: Path, cache: Path, before: dict[str, bytes]) -> None:
        temporaries = sorted(str(p.relative_to(out)) for p in out.rglob(".*.tmp")) if out.exists() else []
        trial.temporaries_after_kill = temporaries
        if temporaries:
            trial.phase = "export"
        elif trial.requests_before_kill:
            trial.phase = "resolve" if not out.exists() or export_tree(out, strip_requests=False) == before else "export"
        else:
            trial.phase = "startup/parse" if trial.start != "warm-cache" else "resolve(cached)/export"
        trial.integrity = integrity(cache)
        problems, _ = parse_exports(out)
        trial.parse_problems = problems
        trial.generations = self._generations(out, before)
        code, _, err, _ = self.run(out, cache)
        trial.rerun_returncode = code
        trial.traceback = trial.traceback or "Traceback" in err
        tree = export_tree(out)
        diff = tree_diff(self.ref_tree, tree)
        trial.rerun_identical = not [d for d in diff if d != "differs: report.json"]
        trial.rerun_diff = diff[:10]
        trial.report_identical = "differs: report.json" not in diff
        trial.report_identical_but_cached = trial.report_identical or (
            tree.get("report.json", b"").replace(b" (cached)", b"") == self.ref_tree.get("report.json")
        )
        trial.temporaries_after_rerun = sorted(str(p.relative_to(out)) for p in out.rglob(".*.tmp"))


def _brief(trial: Trial) -> dict[str, Any]:
    """A trial for the results file: per-file generations counted (old/new/absent), not listed."""
    from collections import Counter

    return {**asdict(trial), "generations": dict(Counter(trial.generations.values()))}


def summarise(prep: dict[str, Any], kills: list[Trial], sigints: list[Trial], attempts: int) -> dict[str, Any]:
    from collections import Counter

    lost = [t.n for t in kills + sigints if not t.ok]
    return {
        **prep,
        "kills": len(kills),
        "kill_attempts": attempts,
        "kills_by_kind": dict(Counter(t.kind for t in kills)),
        "kills_by_phase": dict(Counter(t.phase for t in kills)),
        "kills_by_start": dict(Counter(t.start for t in kills)),
        "kills_survived": sum(1 for t in kills if t.ok),
        "integrity_failures": sum(1 for t in kills + sigints if t.integrity not in ("ok", "absent")),
        "half_written_exports": sum(len(t.parse_problems) for t in kills + sigints),
        "mixed_generation_states": sum(
            1 for t in kills if {"old", "new"} <= set(t.generations.values())
        ),
        "reruns_with_identical_exports": sum(1 for t in kills + sigints if t.rerun_identical),
        "reruns_with_identical_report": sum(1 for t in kills + sigints if t.report_identical),
        "reruns_whose_report_differs_only_by_cached": sum(
            1 for t in kills + sigints if not t.report_identical and t.report_identical_but_cached
        ),
        "temporaries_left_after_kill": sum(len(t.temporaries_after_kill) for t in kills),
        "temporaries_left_after_rerun": sum(len(t.temporaries_after_rerun) for t in kills),
        "sigints": len(sigints),
        "sigints_exit_130_one_line": sum(
            1 for t in sigints if t.returncode == 130 and t.stderr_lines == 1 and not t.traceback
        ),
        "sigint_seconds_to_exit": sorted(t.seconds_to_exit for t in sigints),
        "sigints_survived": sum(1 for t in sigints if t.ok),
        "trials_with_loss": lost,
        "records_lost": 0 if not lost else "see trials_with_loss",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--sigints", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", type=Path, default=ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md")
    ap.add_argument("--slow", type=float, default=0.02, help="seconds the fake services take per request")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "kill_drill.json")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"kill kinds to draw from (default: all of {KINDS})")
    args = ap.parse_args(argv)
    extra = [] if refs_available() else ["--no-refs"]
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        ap.error(f"unknown kill kinds {sorted(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="kill-drill-"))
    drill = Drill(args.list, work, slow=args.slow, extra=extra, seed=args.seed)
    started = time.monotonic()
    kills: list[Trial] = []
    sigints: list[Trial] = []
    attempts = 0
    try:
        prep = drill.prepare()
        prep["build_args"] = extra
        print(f"reference: {prep['reference_seconds']} s, {prep['reference_requests']} requests, "
              f"{prep['reference_cache_commits']} cache commits, {prep['reference_export_writes']} export writes", flush=True)  # fmt: skip
        n = 0
        while len(kills) < args.kills and attempts < args.kills * 3:
            attempts += 1
            n += 1
            kind = drill.rng.choice(kinds)
            # a warm cache sends no request and commits nothing: only export-phase kills use it
            start = drill.rng.choice(STARTS if kind in ("timed", "export-write", "export-rename") else STARTS[:2])
            trial = drill.kill_trial(n, kind, start)
            status = "ok" if trial.ok else "LOSS"
            print(f"  #{n:02d} {kind:13s} {start:11s} {trial.at:26s} killed={trial.killed} phase={trial.phase} "
                  f"integrity={trial.integrity} tmp={len(trial.temporaries_after_kill)} rerun_identical={trial.rerun_identical} "
                  f"report_identical={trial.report_identical} {status}", flush=True)  # fmt: skip
            if trial.killed:
                kills.append(trial)
        tries = 0
        while len(sigints) < args.sigints and tries < args.sigints * 3:
            tries += 1
            n += 1
            trial = drill.sigint_trial(n, drill.rng.choice(STARTS[:2]))
            print(f"  #{n:02d} sigint        {trial.start:11s} {trial.at:26s} signalled={trial.killed} rc={trial.returncode} "
                  f"exit_after={trial.seconds_to_exit}s stderr_lines={trial.stderr_lines} rerun_identical={trial.rerun_identical}", flush=True)  # fmt: skip
            if trial.killed:
                sigints.append(trial)
    finally:
        drill.close()
    summary = summarise(prep, kills, sigints, attempts)
    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["command"] = "python bench/drills/kill_drill.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"summary": summary, "trials": [_brief(t) for t in kills + sigints]}, indent=1) + "\n", encoding="utf-8"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"kill drill: {summary['kills_survived']}/{summary['kills']} kills survived "
        f"({summary['kills_by_kind']}), {summary['integrity_failures']} integrity failures, "
        f"{summary['half_written_exports']} half-written exports, {summary['reruns_with_identical_exports']} reruns with "
        f"identical exports ({summary['reruns_with_identical_report']} with an identical report.json, "
        f"{summary['reruns_whose_report_differs_only_by_cached']} differing only by '(cached)'), "
        f"{summary['temporaries_left_after_rerun']} stale "
        f"temporaries after rerun; {summary['sigints_exit_130_one_line']}/{summary['sigints']} Ctrl-C exit 130 with one line "
        f"(stopped after {summary['sigint_seconds_to_exit']} s); records lost: {summary['records_lost']}"
    )
    return 0 if not summary["trials_with_loss"] else 1


if __name__ == "__main__":
    sys.exit(main())
