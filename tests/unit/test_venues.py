"""The venue table: its data, its validation, lookup tolerance, container titles and DBLP keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlsys_bib.model import Kind
from mlsys_bib.venues import TABLE_KINDS, Venue, all_venues, lookup, parse_table


def test_table_loads_with_the_lists_venues() -> None:
    venues = all_venues()
    assert len(venues) >= 90
    assert all(isinstance(v, Venue) and v.kind in TABLE_KINDS for v in venues)
    assert all(v.name and v.acronym for v in venues)


def test_hosts_are_canonical_venues() -> None:
    for venue in all_venues():
        if venue.host:
            assert venue.workshop
            host = lookup(venue.host)
            assert host is not None and host.acronym == venue.host


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("VLDB", Kind.JOURNAL),
        ("TPDS", Kind.JOURNAL),
        ("TACO", Kind.JOURNAL),
        ("ACM CSUR", Kind.JOURNAL),
        ("JMLR", Kind.JOURNAL),
        ("TMLR", Kind.JOURNAL),
        ("TKDE", Kind.JOURNAL),
        ("IEEE MICRO", Kind.JOURNAL),
        ("IMWUT", Kind.JOURNAL),
        ("arXiv", Kind.PREPRINT),
        ("OSDI", Kind.PROCEEDINGS),
        ("SIGMOD", Kind.PROCEEDINGS),
        ("MICRO", Kind.PROCEEDINGS),
        ("HotOS", Kind.PROCEEDINGS),
    ],
)
def test_kinds(name: str, kind: Kind) -> None:
    venue = lookup(name)
    assert venue is not None
    assert venue.kind is kind


def test_pvldb_and_arxiv_entries() -> None:
    vldb = lookup("VLDB")
    assert vldb is not None
    assert (vldb.acronym, vldb.name, vldb.publisher) == (
        "VLDB",
        "Proceedings of the VLDB Endowment",
        "VLDB Endowment",
    )
    arxiv = lookup("arxiv")
    assert arxiv is not None
    assert (arxiv.acronym, arxiv.name, arxiv.publisher) == ("arXiv", "arXiv", "arXiv")


@pytest.mark.parametrize(
    ("spelling", "acronym"),
    [
        ("OSDI", "OSDI"),
        ("osdi", "OSDI"),
        ("USENIX ATC", "ATC"),
        ("usenix  atc", "ATC"),
        ("ACM CSUR", "CSUR"),
        ("CSUR", "CSUR"),
        ("PVLDB", "VLDB"),
        ("IEEE MICRO", "IEEE Micro"),  # the magazine: an exact spelling beats prefix stripping
        ("MICRO", "MICRO"),  # the symposium
        ("Micro", "MICRO"),
        ("ACM MICRO", "MICRO"),
        ("USENIX NSDI", "NSDI"),
        ("IEEE TPDS", "TPDS"),
        ("ACM SoCC", "SoCC"),  # prefix the table does not spell
        ("ES-FoMO", "ES-FoMo"),
        ("ES FoMo", "ES-FoMo"),
        ("esfomo", "ES-FoMo"),
        ("ML for Sys workshop", "ML for Systems"),
        ("arxiv", "arXiv"),
        ("arXiv", "arXiv"),
        ("APNET", "APNet"),
        ("S&P", "S&P"),
        ("IEEE S&P", "S&P"),
        ("ESEC/FSE", "ESEC/FSE"),
        ("USENIX Security", "USENIX Security"),
        ("NIPS", "NeurIPS"),
    ],
)
def test_lookup_tolerance(spelling: str, acronym: str) -> None:
    venue = lookup(spelling)
    assert venue is not None, spelling
    assert venue.acronym == acronym


@pytest.mark.parametrize("spelling", ["", "   ", "ACM", "IEEE", "Nonexistent Conf", "Survey :mag:"])
def test_lookup_misses(spelling: str) -> None:
    assert lookup(spelling) is None


@pytest.mark.parametrize(
    ("acronym", "year", "key"),
    [
        ("OSDI", 2018, "db/conf/osdi/osdi2018.bht"),
        ("VLDB", 2023, "db/journals/pvldb/pvldb16.bht"),
        ("VLDB", 2018, "db/journals/pvldb/pvldb11.bht"),
        ("ATC", 2019, "db/conf/usenix/usenix2019.bht"),
        ("EuroSys", 2020, "db/conf/eurosys/eurosys2020.bht"),
        ("SOSP", 2019, "db/conf/sosp/sosp2019.bht"),
        ("NSDI", 2020, "db/conf/nsdi/nsdi2020.bht"),
        ("SIGMOD", 2022, "db/conf/sigmod/sigmod2022.bht"),
        ("ASPLOS", 2020, "db/conf/asplos/asplos2020.bht"),
        ("MLSys", 2022, "db/conf/mlsys/mlsys2022.bht"),
        ("NeurIPS", 2024, "db/conf/nips/neurips2024.bht"),
        # shapes that do not hold: ASPLOS splits into volumes, SIGMOD moves to PACMMOD, nips2019
        ("ASPLOS", 2023, None),
        ("SIGMOD", 2023, None),
        ("NeurIPS", 2019, None),
        ("KDD", 2022, None),  # no key in the table
        ("arXiv", 2024, None),
    ],
)
def test_toc_key(acronym: str, year: int, key: str | None) -> None:
    venue = lookup(acronym)
    assert venue is not None
    assert venue.toc_key(year) == key


def test_toc_keys_match_recorded_dblp_requests(recorded: Path) -> None:
    """Every TOC request DBLP really answered is one the table can produce."""
    index = json.loads((recorded / "dblp" / "index.json").read_text(encoding="utf-8"))
    keys = {
        m[1].replace("%2F", "/")
        for entry in index
        if (m := re.search(r"toc%3A(db(?:/|%2F).*?\.bht)%3A", entry["url"]))
    }
    assert keys, "no TOC requests in the recordings"
    produced = {v.toc_key(year) for v in all_venues() for year in range(2000, 2031)}
    assert keys <= produced, sorted(keys - produced)


@pytest.mark.parametrize(
    ("acronym", "year", "title"),
    [
        (
            "OSDI",
            2022,
            "Proceedings of the USENIX Symposium on Operating Systems Design and Implementation (OSDI '22)",
        ),
        ("SIGCOMM", 2024, "Proceedings of the ACM SIGCOMM Conference (SIGCOMM '24)"),
        (
            "OSDI",
            None,
            "Proceedings of the USENIX Symposium on Operating Systems Design and Implementation (OSDI)",
        ),
        ("EuroSys", 2005, "Proceedings of the European Conference on Computer Systems (EuroSys '05)"),
        ("NeurIPS", 2024, "Advances in Neural Information Processing Systems"),
        ("MLSys", 2023, "Proceedings of Machine Learning and Systems"),
        ("ICLR", 2024, "International Conference on Learning Representations (ICLR '24)"),
        (
            "EuroMLSys",
            2024,
            "Proceedings of the Workshop on Machine Learning and Systems (EuroMLSys @ EuroSys '24)",
        ),
        ("ES-FoMo", 2024, "Workshop on Efficient Systems for Foundation Models (ES-FoMo @ ICML '24)"),
        ("VLDB", 2023, "Proceedings of the VLDB Endowment"),
        ("CSUR", 2023, "ACM Computing Surveys"),
        ("arXiv", 2024, "arXiv"),
    ],
)
def test_container_title(acronym: str, year: int | None, title: str) -> None:
    venue = lookup(acronym)
    assert venue is not None
    assert venue.container_title(year) == title


def test_volume_only_where_the_table_knows_it() -> None:
    vldb, osdi = lookup("VLDB"), lookup("OSDI")
    assert vldb is not None and osdi is not None
    assert vldb.volume(2023) == 16
    assert vldb.volume(2007) is None
    assert osdi.volume(2023) is None


# -- validation --------------------------------------------------------------------------------------

GOOD = """
[[venue]]
acronym = "OSDI"
name = "USENIX Symposium on Operating Systems Design and Implementation"
kind = "proceedings"
aliases = ["USENIX OSDI"]
dblp_toc = "db/conf/osdi/osdi{year}.bht"

[[venue]]
acronym = "SoCC"
name = "ACM Symposium on Cloud Computing"
kind = "proceedings"
"""


def test_parse_table_accepts_a_good_table() -> None:
    venues = parse_table(GOOD)
    assert [v.acronym for v in venues] == ["OSDI", "SoCC"]
    assert venues[0].aliases == ("USENIX OSDI",)
    assert venues[0].toc_key(2020) == "db/conf/osdi/osdi2020.bht"


def _entry(**fields: object) -> str:
    lines = ["[[venue]]"]
    for key, value in fields.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


BASE = {"acronym": "XYZ", "name": "Symposium on XYZ", "kind": "proceedings"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_entry(**{**BASE, "kind": "magazine"}), r"venue 'XYZ': unknown kind 'magazine'"),
        (_entry(**{**BASE, "kind": "chapter"}), r"venue 'XYZ': unknown kind 'chapter'"),
        (
            GOOD + _entry(**{**BASE, "aliases": ["usenix osdi"]}),
            r"venue 'XYZ': duplicate alias 'usenix osdi'",
        ),
        (GOOD + _entry(**{**BASE, "acronym": "osdi"}), r"venue 'osdi': duplicate alias 'osdi'"),
        (
            _entry(**{**BASE, "aliases": ["xyz"]}),
            r"venue 'XYZ': duplicate alias 'xyz' \(already used by itself\)",
        ),
        (_entry(**{**BASE, "alias": ["X"]}), r"venue 'XYZ': unknown key 'alias'"),
        (_entry(acronym="XYZ", kind="journal"), r"venue 'XYZ': missing name"),
        (_entry(name="No acronym", kind="journal"), r"venue #1: missing acronym"),
        (_entry(**{**BASE, "workshop": "yes"}), r"venue 'XYZ': workshop must be of type bool"),
        (_entry(**{**BASE, "dblp_toc_until": True}), r"venue 'XYZ': dblp_toc_until must be of type int"),
        (_entry(**{**BASE, "workshop": True, "host": "NOPE"}), r"venue 'XYZ': host 'NOPE' is not a venue"),
        (
            GOOD + _entry(**{**BASE, "workshop": True, "host": "osdi"}),
            r"venue 'XYZ': host 'osdi' should be spelled 'OSDI'",
        ),
        (_entry(**{**BASE, "host": "XYZ"}), r"venue 'XYZ': host is only meaningful for a workshop"),
        (_entry(**{**BASE, "dblp_toc": "db/conf/xyz/xyz{yr}.bht"}), r"venue 'XYZ': dblp_toc"),
        (_entry(**{**BASE, "dblp_toc": "db/conf/xyz/xyz.bht"}), r"venue 'XYZ': dblp_toc"),
        (_entry(**{**BASE, "dblp_toc": "db/journals/x/x{volume}.bht"}), r"volume_offset is missing"),
        ("[venues]\nx = 1\n", r"unknown top-level keys"),
    ],
)
def test_parse_table_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_table(text)


def test_bundled_table_has_no_duplicate_spellings() -> None:
    seen: dict[str, str] = {}
    for venue in all_venues():
        for spelling in (venue.acronym, *venue.aliases):
            key = " ".join(spelling.split()).casefold()
            assert key not in seen, f"{spelling!r} of {venue.acronym} also names {seen[key]}"
            seen[key] = venue.acronym
