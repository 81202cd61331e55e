"""What resolve keeps small (issue 16): shared values, fetch times, DBLP matches dropped once merged."""

from __future__ import annotations

from mlsys_bib.model import Kind, Metadata, Person, Provenance, VenueTag
from mlsys_bib.net.cache import Cache, CacheEntry
from mlsys_bib.resolve import merge, shared
from mlsys_bib.resolve.dblp_matches import DblpMatches
from mlsys_bib.resolve.lookups import Lookup, LookupLog, LookupStatus
from mlsys_bib.sources.outcome import FOUND, Outcome
from tests.fakes.records import make_record


def _copy(text: str) -> str:
    """An equal string that is not the same object (as a second JSON answer decodes it)."""
    return "".join(list(text))


def test_repeated_values_are_one_object():
    a, b = _copy("cs.LG"), _copy("cs.LG")
    assert a is not b
    assert shared.shared_value("primary_class", a) is shared.shared_value("primary_class", b)
    year_a, year_b = int(_copy("2024")), int(_copy("2024"))
    assert shared.shared_value("year", year_a) is shared.shared_value("year", year_b)
    title = _copy("A title is one per paper")
    assert shared.shared_value("title", title) is title  # not worth a look-up
    first = [Person(_copy("Müller"), _copy("Sofía"))]
    second = [Person(_copy("Müller"), _copy("Sofía")), Person("Okafor", "Ada")]
    one, two = shared.shared_value("author", first), shared.shared_value("author", second)
    assert one == first and two == second and one is not first  # a new list, equal
    assert one[0] is two[0]
    assert shared.shared_value("volume", True) is True  # 1 and True never stand for each other
    shared.forget()
    assert shared.shared_value("year", year_b) is year_b  # a fresh table after a run


def test_merge_keeps_one_object_per_value():
    tag = VenueTag("arXiv'24", "arXiv", 2024)
    records = [make_record(f"k{i}", f"Paper {i}", Kind.PREPRINT, tag=tag) for i in range(2)]
    listed = records[0].get("title")
    for i, record in enumerate(records):
        values = {"title": _copy(f"Paper {i}"), "arxiv_version": _copy("v2"), "primary_class": _copy("cs.DC")}
        merge.apply(record, Metadata(Provenance("arxiv", f"arxiv:2401.0000{i}v2"), values))
    assert records[0].get("arxiv_version") is records[1].get("arxiv_version")
    assert records[0].get("primary_class") is records[1].get("primary_class")
    # arXiv, saying the title the record has, is credited with it; the record keeps its own string
    assert records[0].fields["title"].provenance.source == "arxiv"
    assert records[0].get("title") is listed
    shared.forget()


def test_fetch_times_read_from_the_cache_are_shared(tmp_path):
    stamp = "2026-12-04T09:33:06Z"
    with Cache(tmp_path / "c.sqlite") as cache:
        cache.put_many(
            CacheEntry("arxiv", key, 200, "application/atom+xml", b"<entry/>", stamp, False)
            for key in ("a", "b")
        )
        got = cache.get_many("arxiv", ["a", "b"])
    assert got["a"].fetched_at == stamp and got["a"].fetched_at is got["b"].fetched_at


def test_a_dblp_match_is_forgotten_once_the_merge_took_it():
    record = make_record("k", "Ray: A Distributed Framework", Kind.PROCEEDINGS, tag=VenueTag("OSDI'18", "OSDI", 2018))
    hit = Metadata(
        Provenance("dblp", "dblp:conf/osdi/MoritzNWTLLEYPJ18"),
        {"title": "Ray: A Distributed Framework.", "year": 2018, "kind": Kind.PROCEEDINGS,
         "dblp_key": "conf/osdi/MoritzNWTLLEYPJ18"},  # fmt: skip
    )
    toc_key = "db/conf/osdi/osdi2018.bht"
    matches = DblpMatches({"k": record})
    toc = matches.read_toc(toc_key, Outcome(FOUND, [hit]), ["k"])
    assert toc.metadata == []  # the TOC's papers are dropped once matched
    assert matches.toc_match("k", toc_key, toc).value is hit  # the wrong-venue check reads it
    found = matches.take_toc_match("k", toc_key, toc)
    assert found.status == FOUND and found.value is hit
    assert matches.toc_matches == {}


def test_lookups_are_shared_and_kept_in_order():
    log = LookupLog()
    for key in ("a", "b"):
        log.add(key, Lookup("arxiv", LookupStatus.FOUND))
        log.add(key, Lookup("dblp", LookupStatus.FOUND, _copy("title, year and venue agree")))
    log.add("b", Lookup("crossref", LookupStatus.FAILED, "HTTP 503"))
    assert [lk.service for lk in log["b"]] == ["arxiv", "dblp", "crossref"]
    assert log["a"] == log["b"][:2] and log["a"][1] is log["b"][1]
    assert "c" not in log
    other = LookupLog()
    other.add("a", Lookup("arxiv", LookupStatus.FOUND))
    for key in ("c", "d"):
        log.add(key, Lookup("arxiv", LookupStatus.FOUND))
    assert log["c"] == other["a"] and log["c"][0] is log["a"][0]
    assert log["c"] is log["d"]  # one tuple per distinct sequence
