"""The whole seed resolved against loopback services, then exported and read back.

The committed exports carry list data only (no machine here reaches the real services); this
resolves every record through the real clients against tests/fakes/services.py (the services'
real request and response shapes, synthetic metadata consistent with the list), so the exports
carry authors, pages, volumes, DOIs and eprints, and checks that nothing is lost on the way
back through bibtexparser, pybtex and citeproc-py, and that the real clients accept it all.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mlsys_bib.build import build
from tests.conftest import SHARED
from tests.integration.test_roundtrip import EXPORT_READERS

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOOLS = SHARED / "tools"

from tests.fakes.services import FakeServices, loopback_settings  # noqa: E402


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    work = tmp_path_factory.mktemp("resolved")
    with FakeServices(ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md") as fs:
        settings = loopback_settings(fs, work / "cache.sqlite")
        result = build(None, work / "exports", settings=settings, styles=("ieee",))
        warm = build(None, work / "warm", settings=settings, styles=("ieee",))
    return work, result, warm


def test_most_records_resolve_and_a_warm_rebuild_asks_nothing(resolved):
    work, result, warm = resolved
    verdicts = result.report["verdicts"]
    assert verdicts.get("resolved", 0) >= 850, verdicts
    # every paper gets a published-version lookup (issue 10), batched where DBLP
    # allows (system names, 20 a query): 412 on the seed; the goal of <= 200 is not met yet
    assert sum(result.resolve_report.requests.values()) < 450
    assert sum(warm.resolve_report.requests.values()) == 0
    with_authors = [r for r in result.records if r.get("author")]
    assert len(with_authors) >= 850
    for name in ("mlsys.bib", "mlsys-biblatex.bib", "mlsys.json", "report.json"):
        assert (work / "exports" / name).read_bytes() == (work / "warm" / name).read_bytes(), name


@pytest.mark.parametrize(("export", "reader", "skip"), EXPORT_READERS)
def test_resolved_export_round_trips(resolved, export, reader, skip, capsys):
    import test_roundtrip

    work, result, _ = resolved
    parsed = getattr(test_roundtrip, reader)((work / "exports" / export).read_text(encoding="utf-8"))
    compared, lost = test_roundtrip.compare(result.records, parsed, skip=skip)
    with capsys.disabled():
        print(
            f"\n  resolved seed round trip {export} via {reader}: {compared} values compared, {len(lost)} lost"
        )
    assert compared > 10 * len(result.records)
    assert lost == []


@pytest.mark.skipif(
    not shutil.which("bibtex") or not (SHARED_TOOLS / "validate_exports.sh").exists(),
    reason="real clients or shared/tools not available",
)
def test_real_clients_accept_the_resolved_exports(resolved):
    work, _, _ = resolved
    run = subprocess.run(
        ["bash", str(SHARED_TOOLS / "validate_exports.sh"), str(work / "exports")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    print(run.stdout)
