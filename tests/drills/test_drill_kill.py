"""Kill drill (fast version): ``kill -9`` a real ``mlsys-bib build`` three times, and Ctrl-C it.

Each kill lands at an exact point (while a request is in flight, inside a cache transaction
before its COMMIT, half-way through an export write over older exports); afterwards the cache
passes ``PRAGMA integrity_check``, every file in the output directory parses, every export is
either the old or the new one, and a rerun writes exports byte-identical to an uninterrupted
build. Ctrl-C during a request exits 130 with one line and no traceback.

The machinery (and the long version with 20 random kills over the whole seed) is
``bench/drills/kill_drill.py``; services are ``tests/fakes/services.py`` on loopback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from bench.drills.drillcheck import export_tree, tree_diff  # noqa: E402
from bench.drills.drillserver import small_list  # noqa: E402
from bench.drills.kill_drill import Drill, refs_available  # noqa: E402


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    work = tmp_path_factory.mktemp("kill-drill")
    list_path = work / "list.md"
    list_path.write_text(small_list(4, seed=5), encoding="utf-8")
    d = Drill(list_path, work, slow=0.05, extra=[] if refs_available() else ["--no-refs"], seed=7)
    try:
        d.prepare()
        yield d
    finally:
        d.close()


def assert_nothing_lost(trial, *, killed_with: int = -9):
    assert trial.returncode == killed_with, (trial.returncode, trial.stderr)
    assert trial.integrity in ("ok", "absent"), trial.integrity
    assert not trial.parse_problems, trial.parse_problems
    assert "other" not in trial.generations.values(), trial.generations
    assert trial.rerun_returncode == 0
    assert trial.rerun_identical, trial.rerun_diff
    assert not trial.traceback


def test_kill_while_a_request_is_in_flight(drill):
    trial = drill.kill_trial(1, "request", "fresh", k=max(1, drill.ref_requests // 2))
    # the k-th request was in flight; requests to other services may have arrived alongside it
    assert trial.requests_before_kill >= max(1, drill.ref_requests // 2)
    assert_nothing_lost(trial)


def test_kill_inside_a_cache_transaction(drill):
    trial = drill.kill_trial(2, "cache-commit", "fresh", k=max(2, drill.ref_counts["cache-commit"] // 2))
    assert trial.integrity == "ok"
    assert_nothing_lost(trial)


def test_kill_half_way_through_an_export_write_over_old_exports(drill):
    trial = drill.kill_trial(3, "export-write", "old-exports", k=2)
    assert trial.temporaries_after_kill, "the kill did not land inside a write"
    assert set(trial.generations.values()) <= {"old", "new"}, trial.generations
    assert "new" in trial.generations.values(), "the first export should have been replaced"
    assert_nothing_lost(trial)


def test_ctrl_c_during_a_request_exits_130_with_one_line(drill):
    trial = drill.sigint_trial(4, "fresh", at_request=2)
    assert_nothing_lost(trial, killed_with=130)
    assert trial.stderr_lines == 1 and trial.stderr.startswith("mlsys-bib: interrupted"), trial.stderr


def test_ctrl_c_takes_effect_promptly(drill):
    trial = drill.sigint_trial(5, "fresh", at_request=3)
    assert trial.returncode == 130
    assert drill.ref_requests > 6
    # the three services' requests in flight may finish; nothing new should start
    assert trial.requests_before_kill <= 5, (
        f"{trial.requests_before_kill} of {drill.ref_requests} requests made although Ctrl-C came at request 3; "
        f"exit {trial.seconds_to_exit} s after the signal"
    )


def test_a_rerun_removes_temporaries_left_by_a_killed_write(drill):
    trial = drill.kill_trial(6, "export-write", "fresh", k=1)
    assert trial.temporaries_after_kill
    assert not trial.temporaries_after_rerun, trial.temporaries_after_rerun


def test_report_json_of_a_warm_rerun_equals_the_cold_build(drill):
    out = drill.work / "warm-rerun" / "exports"
    code, _, err, _ = drill.run(out, drill.ref_cache)
    assert code == 0, err
    assert not tree_diff(drill.ref_tree, export_tree(out))


def test_exports_get_the_usual_file_mode(drill):
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE((drill.work / "ref-exports" / "mlsys.bib").stat().st_mode)
    assert mode == 0o666 & ~umask, oct(mode)
