"""Venue tags: every tag the lists use, the quirky ones one by one, and the never-raise contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlsys_bib.model import VenueTag
from mlsys_bib.parse.tags import is_known, is_survey_marker, parse_tag

# A bullet's leading "[...]" groups that are not link texts ("[Title](url)" is a link, not a tag).
_BULLET = re.compile(r"^\s*[-*+]\s+")
_TAG = re.compile(r"\[([^\[\]]*)\](?!\()\s*")
_LINK_LABELS = {"arxiv version", "link", "slides", "code"}


def list_tags(path: Path) -> list[str]:
    """The venue tags of a list file, found without the Markdown parser (an independent check)."""
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        bullet = _BULLET.match(line)
        if bullet is None:
            continue
        rest = line[bullet.end() :]
        while (m := _TAG.match(rest)) is not None:
            text = m[1].strip()
            if text and not is_survey_marker(text) and text.casefold() not in _LINK_LABELS:
                tags.append(text)
            rest = rest[m.end() :]
    return tags


def _assert_all_known(path: Path) -> None:
    tags = list_tags(path)
    assert len(tags) > 500, f"suspiciously few tags in {path}"
    unknown = sorted({t for t in tags if not (parse_tag(t).under_review or is_known(parse_tag(t)))})
    assert not unknown, f"tags the venue table does not know: {unknown}"
    no_year = sorted({t for t in tags if parse_tag(t).year is None and not parse_tag(t).under_review})
    assert not no_year, f"tags without a year: {no_year}"


def test_every_seed_tag_is_known(seed_path: Path) -> None:
    _assert_all_known(seed_path)


def test_every_newer_list_tag_is_known(newer_list_path: Path) -> None:
    _assert_all_known(newer_list_path)


@pytest.mark.parametrize(
    ("raw", "venue", "year", "qualifier", "workshop"),
    [
        ("OSDI'22", "OSDI", 2022, "", ""),
        ("arxiv, 2022", "arXiv", 2022, "", ""),
        ("arxiv'24", "arXiv", 2024, "", ""),
        ("arXiv'19", "arXiv", 2019, "", ""),
        ("arxiv", "arXiv", None, "", ""),
        ("NSDI'25 (to appear)", "NSDI", 2025, "to appear", ""),
        ("NeurIPS'24 Workshop", "NeurIPS", 2024, "Workshop", ""),
        ("NeurIPS'24 (Splotlight)", "NeurIPS", 2024, "Spotlight", ""),
        ("NeurIPS'25 Spotlight", "NeurIPS", 2025, "Spotlight", ""),
        ("PPoPP'24 poster", "PPoPP", 2024, "poster", ""),
        ("KDD'20 Tutorial", "KDD", 2020, "Tutorial", ""),
        ("FAST'25 WiP", "FAST", 2025, "WiP", ""),
        ("CPAL'24 (PMLR)", "CPAL", 2024, "PMLR", ""),
        ("ES-FoMO @ ICML'24", "ES-FoMo", 2024, "", "ES-FoMo"),
        ("EuroMLSys@EuroSys'24", "EuroMLSys", 2024, "", "EuroMLSys"),
        ("EuroMLSys'25", "EuroMLSys", 2025, "", "EuroMLSys"),
        ("PML4LRS @ ICLR2024", "PML4LRS", 2024, "", "PML4LRS"),
        ("PML4LRS @ ICLR'24", "PML4LRS", 2024, "", "PML4LRS"),
        ("MLArchSys @ ISCA'24", "MLArchSys", 2024, "", "MLArchSys"),
        ("MLArchSys'24 @ ISCA'24", "MLArchSys", 2024, "", "MLArchSys"),
        ("ML for Sys workshop @ NeurIPS'19", "ML for Systems", 2019, "", "ML for Systems"),
        ("SRW @ ACL'24", "SRW", 2024, "", "SRW"),
        ("NAIC @ SIGCOMM'24", "NAIC", 2024, "", "NAIC"),
        ("Unknown WS @ ICML'24", "ICML", 2024, "", "Unknown WS"),  # unknown workshop: cite the host
        ("HotOS'25", "HotOS", 2025, "", "HotOS"),
        ("IEEE MICRO'19", "IEEE Micro", 2019, "", ""),
        ("MICRO'16", "MICRO", 2016, "", ""),
        ("ACM CSUR'23", "CSUR", 2023, "", ""),
        ("ESEC/FSE'20", "ESEC/FSE", 2020, "", ""),
        ("S&P'24", "S&P", 2024, "", ""),
        ("USENIX Security'25", "USENIX Security", 2025, "", ""),
        ("APNET'25", "APNet", 2025, "", "APNet"),  # a stand-alone workshop
        ("Mobicom'25", "MobiCom", 2025, "", ""),
        ("VLDB'23", "VLDB", 2023, "", ""),
        ("RTSS'99", "RTSS", 1999, "", ""),
        ("OSDI \u201922", "OSDI", 2022, "", ""),  # typographic apostrophe
        ("ICLR 2024", "ICLR", 2024, "", ""),
        ("[OSDI'22]", "OSDI", 2022, "", ""),
        ("**OSDI'22**", "OSDI", 2022, "", ""),
        ("Some Conf'21", "Some Conf", 2021, "", ""),  # unknown: kept as written
    ],
)
def test_quirky_tags(raw: str, venue: str, year: int | None, qualifier: str, workshop: str) -> None:
    tag = parse_tag(raw)
    assert tag.raw == raw
    assert (tag.venue, tag.year, tag.qualifier, tag.workshop) == (venue, year, qualifier, workshop)
    assert not tag.under_review


def test_under_review() -> None:
    tag = parse_tag("*Under Review*")
    assert tag == VenueTag(raw="*Under Review*", venue="", under_review=True)
    assert tag.is_preprint
    assert not is_known(tag)


def test_under_review_for_a_named_venue_keeps_the_venue() -> None:
    tag = parse_tag("Under Review @ ICLR'25")
    assert (tag.venue, tag.year, tag.under_review) == ("ICLR", 2025, True)


def test_is_known() -> None:
    assert is_known(parse_tag("OSDI'22"))
    assert is_known(parse_tag("ACM CSUR'23"))
    assert not is_known(parse_tag("Some Conf'21"))
    assert not is_known(VenueTag(raw="", venue=""))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Survey :mag:", True),
        ("Survey \U0001f50d", True),
        ("[Survey :mag:]", True),
        ("survey", True),
        ("Surveys", False),
        ("OSDI'22", False),
        ("ACM CSUR'23", False),
    ],
)
def test_is_survey_marker(text: str, expected: bool) -> None:
    assert is_survey_marker(text) is expected


def test_survey_marker_as_a_tag_has_no_venue() -> None:
    assert parse_tag("Survey :mag:").venue == ""


@given(st.text(max_size=60))
def test_parse_tag_never_raises(text: str) -> None:
    tag = parse_tag(text)
    assert tag.raw == text
    assert tag.year is None or 1900 <= tag.year <= 2099


@given(st.sampled_from(["OSDI", "NSDI", "ICML", "arxiv", "ES-FoMO @ ICML"]), st.integers(0, 99))
def test_two_digit_years_pivot_at_fifty(name: str, yy: int) -> None:
    tag = parse_tag(f"{name}'{yy:02d}")
    assert tag.year == (2000 + yy if yy < 50 else 1900 + yy)
