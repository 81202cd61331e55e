"""Fault drill (fast version): services that fail a seeded 20% of requests lose nothing.

Against ``tests/fakes/services.py`` (FakeServices) seeded with a small excerpt of the list, a
faulty run (429, 500, 503, resets, timeouts, truncated bodies, HTML instead of JSON/Atom) must
leave every record either resolved exactly as a fault-free run resolves it, or with its list
data and a failed / not found / partial verdict; no record may carry metadata of another paper;
the next, fault-free run must ask only for what failed, and end identical to the fault-free
run; a third run asks nothing.

Wrong-ID answers (valid-looking entries about another paper) are drilled separately below, end
to end and one client at a time: no metadata of another paper may be attached, and a wrong
answer must never be cached as a definitive "not found" (the next run must retry it).

The long version is ``bench/drills/fault_drill.py`` (the whole seed, more seeds).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from bench.drills.drillcheck import Truth, list_data_kept, snapshot, snapshots, wrong_metadata  # noqa: E402
from bench.drills.drillserver import LoopbackServer, Reply, Request, log_lookups, small_list  # noqa: E402
from mlsys_bib.config import Settings  # noqa: E402
from mlsys_bib.ids import arxiv as arxiv_ids  # noqa: E402
from mlsys_bib.model import Verdict  # noqa: E402
from mlsys_bib.net.cache import Cache  # noqa: E402
from mlsys_bib.net.http import HttpClient  # noqa: E402
from mlsys_bib.parse.markdown import parse_list  # noqa: E402
from mlsys_bib.records import build_records  # noqa: E402
from mlsys_bib.resolve import resolve_records  # noqa: E402
from mlsys_bib.resolve.dois import DoiLookup  # noqa: E402
from mlsys_bib.sources.arxiv import ArxivClient  # noqa: E402
from mlsys_bib.sources.dblp import DblpClient  # noqa: E402
from mlsys_bib.sources.doi import DoiClient  # noqa: E402
from mlsys_bib.sources.outcome import FOUND  # noqa: E402
from tests.fakes.services import FAULT_KINDS, FakeServices  # noqa: E402

TRANSPORT_FAULTS = tuple(k for k in FAULT_KINDS if k != "wrong_id")
CLIENT_TIMEOUT = 0.4
LIST = small_list(5, seed=3)


def fresh_records():
    return build_records(parse_list(LIST)).records


def resolve(fs: FakeServices, cache: Path, *, retries: int):
    """One resolve run of LIST against ``fs``; waits are not slept (Retry-After, backoff)."""
    settings = Settings.from_env(
        cache_path=cache, retries=retries, timeout=CLIENT_TIMEOUT, **fs.settings_overrides()
    ).with_(min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0})
    records = fresh_records()
    with HttpClient(settings, sleep=lambda s: None) as http:
        report = resolve_records(records, settings, http=http)
    return records, report


def server(**kw) -> FakeServices:
    return FakeServices(records=fresh_records(), client_timeout=CLIENT_TIMEOUT, fault_retry_after=0, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The fault-free run: records, snapshots, and the truth the fake serves."""
    cache = tmp_path_factory.mktemp("reference") / "cache.sqlite"
    with server() as fs:
        truth = Truth(fresh_records(), fs)
        records, report = resolve(fs, cache, retries=0)
    for record in records:
        assert not wrong_metadata(record, truth), (record.key, wrong_metadata(record, truth))
    assert report.counts["resolved"] >= len(records) * 0.8, report.counts
    return truth, records, snapshots(records)


def _dblp_extra_only(got: dict, want: dict) -> bool:
    """The difference is only DBLP data missing (see test_failed_extra_toc_makes_the_verdict_partial)."""
    keys = {k for k in set(got) | set(want) if got.get(k) != want.get(k)}
    return all(want.get(k) and want[k][1] == "dblp" for k in keys)


@pytest.mark.parametrize(
    "seed, retries",
    [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 1), (7, 4)],
)
def test_fault_run_loses_nothing_and_the_next_run_retries_only_failures(tmp_path, reference, seed, retries):
    truth, ref_records, ref = reference
    ref_verdicts = {r.key: r.verdict for r in ref_records}
    list_only = snapshots(fresh_records())
    cache = tmp_path / "cache.sqlite"

    # 1. the faulty run
    with server(fault_rate=0.2, seed=seed, fault_kinds=TRANSPORT_FAULTS) as fs:
        records, _ = resolve(fs, cache, retries=retries)
        injected = fs.snapshot()["faults_total"]
    unresolved = set()
    for record in records:
        assert not wrong_metadata(record, truth), (record.key, wrong_metadata(record, truth))
        assert not list_data_kept(record, list_only[record.key]), (record.key, list_data_kept(record, list_only[record.key]))
        got = snapshot(record)
        if record.verdict is Verdict.RESOLVED and ref_verdicts[record.key] is Verdict.RESOLVED:
            assert got == ref[record.key] or _dblp_extra_only(got, ref[record.key]), record.key
        elif record.verdict is not ref_verdicts[record.key]:
            assert record.verdict in (Verdict.FAILED, Verdict.PARTIAL), (record.key, record.verdict, record.verdict_detail)
            assert record.verdict_detail
            unresolved.add(record.key)
        if record.verdict is Verdict.FAILED:
            assert got == list_only[record.key], record.key
    if injected == 0:
        assert not unresolved

    # 2. the next run, fault-free: asks only for what failed, ends like the reference
    with server() as fs:
        log = log_lookups(fs)
        records2, report2 = resolve(fs, cache, retries=0)
    for key in log.keys():  # noqa: SIM118 (LookupLog is not iterable)
        assert truth.keys_of(key) & unresolved, f"{key} was asked again, but none of its records failed"
    assert snapshots(records2) == ref
    assert {r.key: r.verdict for r in records2} == ref_verdicts

    # 3. and a warm run asks nothing
    with server() as fs:
        _, report3 = resolve(fs, cache, retries=0)
    assert not report3.requests


def test_failed_extra_toc_makes_the_verdict_partial(tmp_path):
    text = (
        "# L\n\n## 1. S\n"
        "- [OSDI'22] [Paper With arXiv](https://arxiv.org/abs/2201.00001)\n"
        "- [OSDI'22] A Paper Known Only To DBLP\n"
    )

    def records():
        return build_records(parse_list(text)).records

    with FakeServices(records=records()) as fs:
        settings = Settings.from_env(
            cache_path=tmp_path / "cache.sqlite", retries=0, **fs.settings_overrides()
        ).with_(
            dblp_url="http://127.0.0.1:9", dblp_sparql_url="http://127.0.0.1:9", min_interval={"arxiv": 0, "dblp": 0}
        )
        recs = records()
        resolve_records(recs, settings)
    with_id = recs[0]
    assert recs[1].verdict is Verdict.FAILED
    assert with_id.verdict is Verdict.PARTIAL, (with_id.verdict, with_id.verdict_detail)


# ---------------------------------------------------------------------------------------------
# wrong-ID answers: valid-looking entries about another paper


def test_wrong_id_answers_everywhere_do_not_crash_and_keep_list_data(tmp_path, reference):
    truth, _, _ = reference
    list_only = snapshots(fresh_records())
    with server(fault_rate=1.0, seed=0, fault_kinds=("wrong_id",)) as fs:
        records, _ = resolve(fs, tmp_path / "cache.sqlite", retries=0)
        assert fs.snapshot()["faults"].get("wrong_id", 0) > 5
    for record in records:
        assert record.verdict is not None
        assert not list_data_kept(record, list_only[record.key])


def test_wrong_id_answers_everywhere_attach_no_metadata(tmp_path, reference):
    truth, _, _ = reference
    with server(fault_rate=1.0, seed=0, fault_kinds=("wrong_id",)) as fs:
        records, _ = resolve(fs, tmp_path / "cache.sqlite", retries=0)
    wrong = {r.key: wrong_metadata(r, truth) for r in records if wrong_metadata(r, truth)}
    assert not wrong, json.dumps(wrong, indent=1)[:2000]


def test_wrong_id_answers_are_retried_by_the_next_run(tmp_path, reference):
    _, _, ref = reference
    cache = tmp_path / "cache.sqlite"
    with server(fault_rate=1.0, seed=0, fault_kinds=("wrong_id",)) as fs:
        resolve(fs, cache, retries=0)
    with server() as fs:
        records, _ = resolve(fs, cache, retries=0)
    differ = [r.key for r in records if snapshot(r) != ref[r.key]]
    assert not differ


# -- the same, one client at a time, on a hand-made loopback answer --------------------------------

OTHER_WORK = {
    "DOI": "10.1145/9999999.9999999",
    "type": "proceedings-article",
    "title": ["A Completely Different Paper"],
    "author": [{"given": "Eve", "family": "Intruder"}],
    "issued": {"date-parts": [[2001]]},
}
ASKED_DOI = "10.1145/3600006.3613165"


def _client_settings(url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        arxiv_url=url, crossref_url=url, doi_url=url, dblp_url=url, cache_path=tmp_path / "c.sqlite", retries=0,
        min_interval={"arxiv": 0, "dblp": 0},
    )  # fmt: skip


def _ask(tmp_path: Path, handler, fn):
    with LoopbackServer(handler) as srv:
        settings = _client_settings(srv.url, tmp_path)
        with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
            return fn(http, cache, settings), cache.count()


def _foreign_entry_feed() -> bytes:
    return (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.99999v1</id>'
        b"<title>A Completely Different Paper</title><published>2024-01-01T00:00:00Z</published>"
        b"<author><name>Eve Intruder</name></author></entry></feed>"
    )


def _dblp_body(title: str, key: str) -> bytes:
    info = {"title": title + ".", "year": "2022", "venue": "OSDI", "type": "Conference and Workshop Papers", "key": key}
    return json.dumps({"result": {"status": {"@code": "200"}, "hits": {"@total": "1", "hit": [{"info": info}]}}}).encode()


def test_crossref_single_work_for_another_doi_is_not_accepted(tmp_path):
    def handler(req: Request) -> Reply:
        if req.path == "/works":  # the batch leaves the DOI out, so it is asked alone
            return Reply(200, json.dumps({"status": "ok", "message": {"items": []}}).encode())
        return Reply(200, json.dumps({"status": "ok", "message": OTHER_WORK}).encode())

    outcomes, _ = _ask(tmp_path, handler, lambda http, cache, s: DoiLookup(http, cache, s).fetch([ASKED_DOI]))
    outcome = outcomes[ASKED_DOI]
    assert outcome.status != FOUND or outcome.value.get("doi") == ASKED_DOI, outcome


def test_doi_org_csl_for_another_doi_is_not_accepted(tmp_path):
    csl = dict(OTHER_WORK, title="A Completely Different Paper")

    def handler(req: Request) -> Reply:
        return Reply(200, json.dumps(csl).encode(), "application/vnd.citationstyles.csl+json")

    outcome, _ = _ask(tmp_path, handler, lambda http, cache, s: DoiClient(http, cache, s).fetch(ASKED_DOI))
    assert outcome.status != FOUND or outcome.value.get("doi") == ASKED_DOI, outcome


def test_arxiv_answer_about_another_id_is_not_cached_as_a_miss(tmp_path):
    def handler(req: Request) -> Reply:
        return Reply(200, _foreign_entry_feed(), "application/atom+xml")

    outcomes, rows = _ask(
        tmp_path, handler, lambda http, cache, s: ArxivClient(http, cache, s).fetch([arxiv_ids.parse("2401.00001")])
    )
    assert outcomes["2401.00001"].status == "failed" and rows == 0, (outcomes, rows)


def test_arxiv_search_answer_about_other_titles_is_not_cached_as_a_miss(tmp_path):
    def handler(req: Request) -> Reply:
        return Reply(200, _foreign_entry_feed(), "application/atom+xml")

    outcomes, rows = _ask(
        tmp_path, handler, lambda http, cache, s: ArxivClient(http, cache, s).search_titles(["Orca A Distributed Serving System"])
    )
    assert list(outcomes.values())[0].status == "failed" and rows == 0, (outcomes, rows)


def test_arxiv_batched_search_with_one_foreign_entry_is_not_cached_as_a_miss(tmp_path):
    asked = ["Orca A Distributed Serving System", "Pollux Co adaptive Cluster Scheduling"]

    def handler(req: Request) -> Reply:
        return Reply(
            200,
            b'<feed xmlns="http://www.w3.org/2005/Atom">'
            b"<entry><id>http://arxiv.org/abs/2401.00001v1</id><title>Orca: A Distributed Serving System</title>"
            b"<published>2024-01-01T00:00:00Z</published><author><name>Ada Lovelace</name></author></entry>"
            b"<entry><id>http://arxiv.org/abs/2401.99999v1</id><title>A Completely Different Paper</title>"
            b"<published>2024-01-01T00:00:00Z</published><author><name>Eve Intruder</name></author></entry></feed>",
            "application/atom+xml",
        )

    outcomes, _ = _ask(tmp_path, handler, lambda http, cache, s: ArxivClient(http, cache, s).search_titles(asked))
    assert outcomes[asked[0]].status == FOUND
    with Cache(tmp_path / "c.sqlite") as cache:
        from mlsys_bib.sources.arxiv import SEARCH_NAMESPACE
        from mlsys_bib.text.titles import search_words

        negative = cache.get(SEARCH_NAMESPACE, search_words(asked[1]))
    # the second title may well be unknown, but this answer cannot say so: retry it next run
    assert outcomes[asked[1]].status != FOUND
    assert negative is None or not negative.negative, (outcomes[asked[1]], negative)


def test_dblp_search_answer_about_another_paper_is_not_cached(tmp_path):
    def handler(req: Request) -> Reply:
        return Reply(200, _dblp_body("Completely Unrelated Work", "conf/osdi/Intruder22"))

    outcome, rows = _ask(tmp_path, handler, lambda http, cache, s: DblpClient(http, cache, s).search("orca distributed serving system"))
    assert outcome.status == "failed" and rows == 0, (outcome, rows)


def test_dblp_toc_answer_from_another_venue_is_not_cached(tmp_path):
    def handler(req: Request) -> Reply:
        return Reply(200, _dblp_body("Some NSDI Paper", "conf/nsdi/Other23"))

    outcome, rows = _ask(tmp_path, handler, lambda http, cache, s: DblpClient(http, cache, s).toc("db/conf/osdi/osdi2022.bht"))
    assert outcome.status == "failed" and rows == 0, (outcome, rows)


def test_fault_counts_are_what_the_drill_claims():
    """The fake decides faults from (seed, service, request number): the drill is repeatable."""
    counts = []
    for _ in range(2):
        with server(fault_rate=0.2, seed=11, fault_kinds=TRANSPORT_FAULTS) as fs:
            import tempfile

            with tempfile.TemporaryDirectory() as d:
                resolve(fs, Path(d) / "c.sqlite", retries=0)
            counts.append(Counter(fs.snapshot()["faults"]))
    assert counts[0] == counts[1]
