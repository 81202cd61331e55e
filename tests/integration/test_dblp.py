"""DBLP: parsing real recorded answers, TOC paging, caching, failures, and strict matching.

The recorded answers (shared fixtures, read in place) carry every quirk the service notes list;
the paging and failure tests use small hand-written bodies from tests/data/dblp/ served by a
real HTTP server on loopback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import loopback_settings
from werkzeug import Request, Response

from mlsys_bib.config import Settings
from mlsys_bib.model import Kind, Metadata, Person, Provenance
from mlsys_bib.net.cache import Cache
from mlsys_bib.net.http import HttpClient
from mlsys_bib.sources import dblp
from mlsys_bib.sources.dblp import DblpClient, match, parse_hits, split_name, toc_stream, venue_names
from mlsys_bib.sources.outcome import AMBIGUOUS, FAILED, FOUND, NOT_FOUND
from mlsys_bib.text.titles import normalise, same_title

DATA = Path(__file__).parents[1] / "data" / "dblp"
API = "/search/publ/api"


def _recorded_json(recorded: Path) -> list[Path]:
    files = sorted((recorded / "dblp").glob("*.json"))
    return [f for f in files if f.name != "index.json"]


# ---------------------------------------------------------------------------------------------
# parsing every recorded answer


def test_every_recorded_answer_parses_cleanly(recorded: Path) -> None:
    files = _recorded_json(recorded)
    assert len(files) >= 20
    for path in files:
        raw = path.read_bytes()
        data = json.loads(raw)
        hits = data["result"]["hits"].get("hit", [])
        editorships = sum(1 for h in hits if h["info"].get("type") == "Editorship")
        parsed = parse_hits(raw)
        assert len(parsed) == len(hits) - editorships, path.name
        for meta in parsed:
            title = meta.get("title")
            assert title and not title.endswith("."), (path.name, title)
            key = meta.get("dblp_key")
            assert key and meta.provenance == Provenance("dblp", f"dblp:{key}")
            for person in meta.get("author", []):
                assert isinstance(person, Person)
                assert not re.search(r"\d{4}$", person.display()), (path.name, person)
                assert "&" not in person.display() or "&amp;" not in person.display()
            text = json.dumps({k: str(v) for k, v in meta.values.items()})
            for entity in ("&apos;", "&amp;", "&quot;", "&#"):
                assert entity not in text, (path.name, entity)
            assert isinstance(meta.get("year"), int)
            assert meta.get("kind") in {Kind.PROCEEDINGS, Kind.JOURNAL, Kind.PREPRINT, Kind.CHAPTER, None}


def test_recorded_answers_use_crlf(recorded: Path) -> None:
    raw = (recorded / "dblp" / "toc_osdi2018_gandiva.json").read_bytes()
    assert b"\r\n" in raw  # the parser is fed the bytes as served
    assert len(parse_hits(raw)) == 47  # 48 hits, one of them the Editorship


def test_osdi2018_gandiva_dash_title_and_missing_authors(recorded: Path) -> None:
    hits = {
        m.get("dblp_key"): m
        for m in parse_hits((recorded / "dblp" / "toc_osdi2018_gandiva.json").read_bytes())
    }
    gandiva = hits["conf/osdi/XiaoBRSKHPPZZYZ18"]
    assert gandiva.get("title") == "Gandiva - Introspective Cluster Scheduling for Deep Learning"
    assert same_title(gandiva.get("title"), "Gandiva: Introspective Cluster Scheduling for Deep Learning")
    assert len(gandiva.get("author")) == 12
    assert gandiva.get("kind") is Kind.PROCEEDINGS
    assert gandiva.get("container_short") == "OSDI"
    assert gandiva.get("year") == 2018
    assert gandiva.get("url", "").startswith("https://www.usenix.org/conference/osdi18/")
    assert "doi" not in gandiva.values  # USENIX: no DOI
    assert re.fullmatch(r"\d+-\d+", gandiva.get("pages"))
    no_authors = hits["conf/osdi/X18"]
    assert "author" not in no_authors.values
    assert not any(m.get("_type") == "Editorship" for m in hits.values())


def test_single_author_object(recorded: Path) -> None:
    hits = parse_hits((recorded / "dblp" / "toc_eurosys2020_single_author_object.json").read_bytes())
    solo = [m for m in hits if m.get("title") == "Design of a symbolically executable embedded hypervisor"]
    assert len(solo) == 1
    assert solo[0].get("author") == [Person(family="Nordholz", given="Jan")]
    gfair = next(m for m in hits if m.get("dblp_key") == "conf/eurosys/ChaudharyRSKV20")
    assert gfair.get("doi", "").startswith("10.1145/")
    assert gfair.get("pages", "").count(":") == 2  # article-number pages "1:1-1:16"


def test_zero_hits_has_no_hit_key(recorded: Path) -> None:
    raw = (recorded / "dblp" / "toc_fast2006_zero_hits.json").read_bytes()
    assert "hit" not in json.loads(raw)["result"]["hits"]
    assert parse_hits(raw) == []
    assert dblp.total_hits(json.loads(raw)) == 0


def test_homonym_number_stripped_and_colon_title(recorded: Path) -> None:
    raw = (recorded / "dblp" / "search_attention_is_all_you_need_h1.json").read_bytes()
    (meta,) = parse_hits(raw)
    assert meta.get("author")[0] == Person(family="Zhang", given="Xiaopeng")
    assert (
        meta.get("title")
        == "Attentional Transfer is All You Need: Technology-aware Layout Pattern Generation"
    )
    assert meta.get("doi") == "10.1109/dac18074.2021.9586227"
    assert meta.get("dblp_key") == "conf/dac/ZhangYY21"
    assert dblp.total_hits(json.loads(raw)) == 112  # counts are strings


def test_entities_venue_array_and_informal_type(recorded: Path) -> None:
    raw = (recorded / "dblp" / "search_breast_cancer_h1000_EXCERPT_first13.json").read_bytes()
    data = json.loads(raw)
    parsed = parse_hits(raw)
    assert len(parsed) == 13
    first = parsed[0]
    assert "l'étude" in first.get("title")  # &apos; decoded
    assert first.get("author") == [Person(family="Perrier", given="Flavie")]  # bare object
    array_venues = [h for h in data["result"]["hits"]["hit"] if isinstance(h["info"].get("venue"), list)]
    assert array_venues
    key = array_venues[0]["info"]["key"]
    meta = next(m for m in parsed if m.get("dblp_key") == key)
    assert meta.venue_names == tuple(array_venues[0]["info"]["venue"])
    assert meta.get("container_short") == array_venues[0]["info"]["venue"][0]
    hits = data["result"]["hits"]["hit"]
    informal_keys = {h["info"]["key"] for h in hits if h["info"].get("type") == "Informal Publications"}
    informal = [m for m in parsed if m.get("dblp_key") in informal_keys]
    assert informal and all(m.get("kind") is Kind.PREPRINT for m in informal)


def test_pvldb_2023_keeps_colons_and_dates_vol16_in_2022(recorded: Path) -> None:
    parsed = parse_hits((recorded / "dblp" / "toc_pvldb16_2023.json").read_bytes())
    assert parsed and all(m.get("kind") is Kind.JOURNAL for m in parsed)
    assert all(m.get("volume") == "16" for m in parsed)
    assert any(":" in m.get("title") for m in parsed)
    assert {m.get("year") for m in parsed} <= {2022, 2023}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Xiaopeng Zhang 0009", Person(family="Zhang", given="Xiaopeng")),
        ("Andrea C. Arpaci-Dusseau", Person(family="Arpaci-Dusseau", given="Andrea C.")),
        ("Ed van der Epsilon", Person(family="Epsilon", given="Ed", particle="van der")),
        ("Guy L. Steele Jr.", Person(family="Steele", given="Guy L.", suffix="Jr.")),
        ("Madonna", Person(family="Madonna")),
        ("Fran&ccedil;ois Brie 0001", Person(family="Brie", given="François")),
    ],
)
def test_split_name(name: str, expected: Person) -> None:
    assert split_name(name) == expected


# ---------------------------------------------------------------------------------------------
# the client against a loopback server


def _settings(tmp_path: Path, url: str, **kw: object) -> Settings:
    return loopback_settings(url, tmp_path / "cache.sqlite", retries=0, progress=False, **kw)


def _paged_handler(seen: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        body = (DATA / f"toc_demo2021_f{request.args['f']}.json").read_bytes()
        return Response(body, 200, content_type="application/json; charset=utf-8")

    return handle


def test_toc_pages_until_total(httpserver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []
    httpserver.expect_request(API).respond_with_handler(_paged_handler(seen))
    settings = _settings(tmp_path, httpserver.url_for("/"))
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        client = DblpClient(http, cache, settings, page_size=2)
        outcome = client.toc("db/conf/demo/demo2021.bht")
        assert [s["f"] for s in seen] == ["0", "2", "4"]
        assert {s["h"] for s in seen} == {"2"}
        assert {s["q"] for s in seen} == {"toc:db/conf/demo/demo2021.bht:"}
        assert {s["format"] for s in seen} == {"json"}
        assert outcome.status == FOUND and not outcome.from_cache
        titles = [m.get("title") for m in outcome.metadata]
        assert titles == [
            "Alpha - Fast Things for Deep Learning",
            "Gamma's Law of Slow Things",
            "A Paper Without Authors",
            "Delta: Scaling & Sharing GPUs",
            "Zeta - The Last Paper",
        ]  # the Editorship on page 2 is skipped, entities decoded
        assert outcome.metadata[0].get("author")[1] == Person(family="Beta", given="Bo")
        assert outcome.metadata[1].get("author") == [Person(family="Gamma", given="Cy")]
        assert http.requests_made["dblp"] == 3
        # warm: one cache entry for the whole TOC, no request
        again = client.toc("db/conf/demo/demo2021.bht")
        assert again.from_cache and [m.get("title") for m in again.metadata] == titles
        assert http.requests_made["dblp"] == 3
        assert cache.count("dblp-toc") == 1


def test_toc_zero_hits_is_not_found_and_cached_negative(httpserver, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    body = (recorded / "dblp" / "toc_fast2006_zero_hits.json").read_bytes()
    httpserver.expect_request(API).respond_with_data(body, content_type="application/json")
    settings = _settings(tmp_path, httpserver.url_for("/"))
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        client = DblpClient(http, cache, settings)
        outcome = client.toc("db/conf/fast/fast2006.bht")
        assert outcome.status == NOT_FOUND
        entry = cache.get("dblp-toc", "db/conf/fast/fast2006.bht")
        assert entry is not None and entry.negative
        assert client.toc("db/conf/fast/fast2006.bht").from_cache
        assert http.requests_made["dblp"] == 1


def test_html_429_fails_is_not_cached_and_is_retried(httpserver, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = (DATA / "429.html").read_bytes()
    good = (recorded / "dblp" / "toc_osdi2018_gandiva.json").read_bytes()
    httpserver.expect_oneshot_request(API).respond_with_data(html, status=429, content_type="text/html")
    httpserver.expect_request(API).respond_with_data(good, content_type="application/json")
    settings = _settings(tmp_path, httpserver.url_for("/"))
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        client = DblpClient(http, cache, settings)
        first = client.toc("db/conf/osdi/osdi2018.bht")
        assert first.status == FAILED and "429" in first.detail
        assert cache.count("dblp-toc") == 0
        second = client.toc("db/conf/osdi/osdi2018.bht")
        assert second.status == FOUND and len(second.metadata) == 47


def test_html_page_with_200_is_a_failure(httpserver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(API).respond_with_data(
        (DATA / "429.html").read_bytes(), content_type="text/html"
    )
    settings = _settings(tmp_path, httpserver.url_for("/"))
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        outcome = DblpClient(http, cache, settings).search("gandiva")
        assert outcome.status == FAILED and "HTML page instead of application/json" in outcome.detail


def test_search_params_and_cache_per_query(httpserver, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []
    body = (recorded / "dblp" / "search_attention_is_all_you_need_h1.json").read_bytes()

    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        return Response(body, 200, content_type="application/json")

    httpserver.expect_request(API).respond_with_handler(handle)
    settings = _settings(tmp_path, httpserver.url_for("/"))
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        client = DblpClient(http, cache, settings)
        out = client.search("attention is all you need", h=5)
        assert out.status == FOUND and out.metadata[0].get("dblp_key") == "conf/dac/ZhangYY21"
        assert seen == [{"q": "attention is all you need", "format": "json", "h": "5"}]
        assert client.search("attention is all you need", h=5).from_cache
        client.search("another query", h=5)
        assert len(seen) == 2


def test_offline_makes_no_request(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "http://127.0.0.1:9", offline=True)
    with HttpClient(settings) as http, Cache(settings.cache_path) as cache:
        outcome = DblpClient(http, cache, settings).toc("db/conf/osdi/osdi2018.bht")
        assert outcome.status == FAILED and "offline" in outcome.detail
        assert sum(http.requests_made.values()) == 0


# ---------------------------------------------------------------------------------------------
# matching


def _hit(key: str, title: str, year: int, venue: str = "OSDI", kind: Kind = Kind.PROCEEDINGS) -> Metadata:
    return Metadata(
        Provenance("dblp", f"dblp:{key}"),
        {
            "title": title,
            "year": year,
            "kind": kind,
            "dblp_key": key,
            "container_short": venue,
        },
        (venue,),
    )


def test_match_in_toc_recorded(recorded: Path) -> None:
    hits = parse_hits((recorded / "dblp" / "toc_osdi2018_gandiva.json").read_bytes())
    found = match(["Gandiva: Introspective Cluster Scheduling for Deep Learning"], 2018, hits, from_toc=True)
    assert found.status == FOUND and found.value.get("dblp_key") == "conf/osdi/XiaoBRSKHPPZZYZ18"
    missing = match(["Gandiva: Extrospective Cluster Scheduling"], 2018, hits, from_toc=True)
    assert missing.status == NOT_FOUND and missing.value is None


def test_ambiguous_is_reported_and_not_used() -> None:
    hits = [_hit("conf/osdi/A18", "Same Title.", 2018), _hit("conf/osdi/B18", "Same Title", 2018)]
    result = match(["Same Title"], 2018, hits, from_toc=True)
    assert result.status == AMBIGUOUS
    assert result.value is None
    assert "conf/osdi/A18" in result.reason and "conf/osdi/B18" in result.reason
    assert result.outcome().status == AMBIGUOUS


def test_same_key_twice_is_one_candidate() -> None:
    hits = [_hit("conf/osdi/A18", "Same Title", 2018), _hit("conf/osdi/A18", "Same Title", 2018)]
    assert match(["Same Title"], 2018, hits, from_toc=True).status == FOUND


def test_year_must_be_within_one() -> None:
    hits = [_hit("journals/pvldb/X22", "Some Paper", 2022, "Proc. VLDB Endow.", Kind.JOURNAL)]
    assert match(["Some Paper"], 2023, hits, from_toc=True).status == FOUND  # PVLDB vol 16 dated 2022
    far = match(["Some Paper"], 2025, hits, from_toc=True)
    assert far.status == NOT_FOUND and "year 2022" in far.reason
    assert match(["Some Paper"], None, hits, from_toc=True).status == NOT_FOUND


def test_venue_must_agree_outside_a_toc() -> None:
    names = venue_names("OSDI")
    hits = [_hit("conf/sosp/X19", "A Scheduler", 2019, "SOSP")]
    result = match(["A Scheduler"], 2019, hits, names=names, stream="conf/osdi")
    assert result.status == NOT_FOUND and "SOSP" in result.reason
    ok = match(["A Scheduler"], 2019, [_hit("conf/osdi/X19", "A Scheduler", 2019, "OSDI")], names=names)
    assert ok.status == FOUND
    by_stream = match(
        ["A Scheduler"],
        2019,
        [_hit("conf/osdi/X19", "A Scheduler", 2019, "USENIX OSDI 2019")],
        stream="conf/osdi",
    )
    assert by_stream.status == FOUND


def test_corr_copy_never_matches_a_venue() -> None:
    corr = _hit("journals/corr/abs-1901-00001", "A Scheduler", 2019, "CoRR", Kind.PREPRINT)
    conf = _hit("conf/osdi/X19", "A Scheduler", 2019, "OSDI")
    names = venue_names("OSDI")
    assert match(["A Scheduler"], 2019, [corr], names=names).status == NOT_FOUND
    result = match(["A Scheduler"], 2019, [corr, conf], names=names)
    assert result.status == FOUND and result.value is conf


def test_spacing_typo_matches_only_inside_a_toc() -> None:
    hit = _hit(
        "journals/pvldb/Z22", "TGL: Temporal GNN Training onBillion-Scale Graphs", 2022, "Proc. VLDB Endow."
    )
    title = "TGL: temporal GNN training on billion-scale graphs"
    assert match([title], 2022, [hit], from_toc=True).status == FOUND
    assert match([title], 2022, [hit], names={"proc vldb endow"}).status == NOT_FOUND


def test_venue_names_and_stream() -> None:
    from mlsys_bib import venues

    vldb = venues.lookup("VLDB")
    assert "proc vldb endow" in venue_names("VLDB", vldb)
    assert toc_stream("db/journals/pvldb/pvldb16.bht") == "journals/pvldb"
    assert toc_stream("db/conf/nips/neurips{year}.bht") == "conf/nips"
    assert toc_stream("") == ""


def test_title_query_strips_query_syntax() -> None:
    assert (
        dblp.title_query("Gandiva: Introspective - Cluster (Scheduling)")
        == "gandiva introspective cluster scheduling"
    )


# ---------------------------------------------------------------------------------------------
# titles


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Gandiva - Introspective Cluster Scheduling for Deep Learning.",
            "Gandiva: Introspective Cluster Scheduling for Deep Learning",
        ),
        ("Where&apos;s the Bottleneck?", "Where\u2019s the bottleneck"),
        ('Sch\\"{o}lkopf {GPU}s', "Schölkopf GPUs"),
        ("$\\mu$-Law Serving", "μ-law serving"),
        ("ﬁne-tuning", "Fine tuning"),
        ("Data &amp; Models", "Data and Models"),
        ("<i>In vivo</i> training", "In vivo training"),
        ("Fault-Tolerance,  Fast and Slow", "Fault tolerance fast and slow"),
    ],
)
def test_normalise_folds_typography(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("GPT-2 Serving", "GPT-3 Serving"),
        ("Pollux", "Pollux 2"),
        ("Fault Tolerance", "FaultTolerance"),
        ("Scheduling for Training", "Training for Scheduling"),
        ("", ""),
    ],
)
def test_normalise_keeps_different_papers_apart(a: str, b: str) -> None:
    assert not same_title(a, b)
