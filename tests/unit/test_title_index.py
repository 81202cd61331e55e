"""Matching through the TOC title index gives the very answers of the old all-pairs scan.

``_scan_match`` below is the matcher as it was before the index (every record compared with
every hit): kept here as the reference; the indexed path is ``match(titles, year,
TitleIndex(hits).candidates(titles))``, as the resolve run calls it. Both run over the recorded DBLP answers, the fake
services' TOCs of the seed, and hand-made ties, with each record's own titles, spacing typos,
other years and both TOC and search modes; status, chosen hits (in order) and reason must agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from mlsys_bib.model import Kind, Metadata, Provenance
from mlsys_bib.sources import dblp
from mlsys_bib.sources.dblp import Match, TitleIndex, match, parse_hits, venue_agrees, venue_names
from mlsys_bib.sources.outcome import AMBIGUOUS, FOUND, NOT_FOUND
from mlsys_bib.text.titles import normalise

RECORDED_DBLP = Path(__file__).resolve().parents[2] / "tests" / "data" / "dblp"


def _scan_match(
    titles: Iterable[str], year: int | None, hits: Iterable[Metadata], *, names: set[str] | None = None,
    stream: str = "", from_toc: bool = False, year_slack: int = 1,
) -> Match:  # fmt: skip
    wanted = {normalise(t) for t in titles} - {""}
    if not wanted:
        return Match(NOT_FOUND, reason="no title to match")
    if year is None:
        return Match(NOT_FOUND, reason="no year in the venue tag: a title-only match is not trusted")
    hits = list(hits)
    same_title = [h for h in hits if normalise(str(h.get("title") or "")) in wanted]
    how = "title, year and venue agree"
    if not same_title and from_toc:
        compact = {w.replace(" ", "") for w in wanted}
        same_title = [h for h in hits if normalise(str(h.get("title") or "")).replace(" ", "") in compact]
        how = "title (ignoring spaces), year and venue agree"
    if not same_title:
        return Match(NOT_FOUND, reason="no DBLP hit with this title")
    reasons: list[str] = []
    candidates: dict[str, Metadata] = {}
    for hit in same_title:
        hit_year = hit.get("year")
        if not isinstance(hit_year, int) or abs(hit_year - year) > year_slack:
            reasons.append(f"{hit.get('dblp_key')} has year {hit_year}, list says {year}")
            continue
        if hit.get("kind") is Kind.PREPRINT:
            reasons.append(f"{hit.get('dblp_key')} is a preprint (CoRR)")
            continue
        if not from_toc and not venue_agrees(hit, names or set(), stream):
            venues = "/".join(hit.venue_names) or "?"
            reasons.append(f"{hit.get('dblp_key')} is in {venues}, not the tagged venue")
            continue
        candidates.setdefault(str(hit.get("dblp_key") or id(hit)), hit)
    if len(candidates) == 1:
        return Match(FOUND, tuple(candidates.values()), how)
    if len(candidates) > 1:
        keys = ", ".join(sorted(candidates))
        return Match(AMBIGUOUS, tuple(candidates[k] for k in sorted(candidates)), f"several DBLP papers: {keys}")
    return Match(NOT_FOUND, reason="title matches but " + "; ".join(reasons))


def _same(a: Match, b: Match) -> bool:
    return (a.status, a.reason, [id(h) for h in a.metadata or ()]) == (b.status, b.reason, [id(h) for h in b.metadata or ()])


def _hit(key: str, title: str, year: int, venue: str = "OSDI", kind: Kind = Kind.PROCEEDINGS) -> Metadata:
    return Metadata(
        Provenance("dblp", f"dblp:{key}"),
        {"title": title, "year": year, "kind": kind, "dblp_key": key, "container_short": venue},
        venue_names=(venue,),
    )


def _queries(hits: list[Metadata]) -> list[tuple[list[str], int | None]]:
    """Each hit's own title (exact, with a space lost, with a space added), other years, a miss."""
    out: list[tuple[list[str], int | None]] = []
    for hit in hits:
        title = str(hit.get("title") or "")
        year = hit.get("year") if isinstance(hit.get("year"), int) else 2020
        words = title.split()
        joined = " ".join(words[:1]) + "".join(words[1:2]) + " " + " ".join(words[2:]) if len(words) > 2 else title
        spaced = title.replace("-", " - ").replace("a", "a ", 1)
        out += [([title], year), ([title], year + 2), ([joined], year), ([spaced], year), ([title, joined], year)]
    out += [(["No Such Paper Anywhere"], 2020), ([""], 2020), (["x"], None)]
    return out


def _check_all(hits: list[Metadata], names: set[str] | None = None, stream: str = "") -> int:
    index = TitleIndex(hits)
    n = 0
    for titles, year in _queries(hits):
        for from_toc in (True, False):
            kwargs = {"names": names, "stream": stream, "from_toc": from_toc}
            old = _scan_match(titles, year, hits, **kwargs)
            assert _same(old, match(titles, year, index.candidates(titles), **kwargs)), (titles, year, from_toc)
            assert _same(old, match(titles, year, hits, **kwargs)), (titles, year, from_toc)
            n += 1
    return n


def _recorded_answers() -> list[Path]:
    files = sorted(RECORDED_DBLP.glob("*.json"))
    from conftest import RECORDED

    if RECORDED.is_dir():
        files += sorted(f for f in (RECORDED / "dblp").glob("*.json") if f.name != "index.json")
    return files


@pytest.mark.parametrize("path", _recorded_answers(), ids=lambda p: p.name)
def test_index_matches_like_the_scan_on_recorded_answers(path: Path) -> None:
    hits = parse_hits(path.read_bytes())
    stream = dblp.toc_stream(str(hits[0].get("dblp_key") or "").rsplit("/", 1)[0]) if hits else ""
    assert _check_all(hits, venue_names("OSDI"), stream) >= 3


def test_index_matches_like_the_scan_on_the_seeds_tocs() -> None:
    """Every TOC the fake DBLP serves for the seed, each record's titles matched against it."""
    from mlsys_bib.build import load_list
    from tests.fakes.services import Catalog, dblp_body, dblp_info, papers_from_records

    records = load_list().records
    catalog = Catalog(papers_from_records(records))
    assert len(catalog.tocs) > 20
    tocs = {}
    for toc_key, papers in catalog.tocs.items():
        tocs[toc_key] = parse_hits(dblp_body(toc_key, [dblp_info(p) for p in papers], len(papers), 0))
    checked = 0
    for hits in tocs.values():
        checked += _check_all(hits)
    # and the list's own titles (several spellings per record) against their TOC
    for record in records:
        titles = [item.title for item in record.items]
        year = record.tag.year if record.tag else None
        for hits in tocs.values():
            if any(normalise(str(h.get("title"))) in {normalise(t) for t in titles} for h in hits):
                old = _scan_match(titles, year, hits, from_toc=True)
                assert _same(old, match(titles, year, TitleIndex(hits).candidates(titles), from_toc=True)), titles
                checked += 1
    assert checked > 1000


def test_ties_spacing_and_duplicates_agree() -> None:
    hits = [
        _hit("conf/osdi/B18", "Same Title", 2018),
        _hit("conf/osdi/A18", "Same Title.", 2018),  # tie: two papers, one normalised title
        _hit("conf/osdi/A18", "Same  Title", 2018),  # the same key twice: one candidate
        _hit("journals/corr/X18", "Same Title", 2018, "CoRR", Kind.PREPRINT),
        _hit("conf/osdi/C17", "Same Title", 2015),
        _hit("conf/osdi/D18", "Spaced Out Title", 2018),
        _hit("conf/osdi/E18", "SpacedOut Title", 2018),
        _hit("conf/sosp/F18", "Other Venue", 2018, "SOSP"),
        _hit("conf/osdi/G18", "", 2018),
    ]
    _check_all(hits, venue_names("OSDI"), "conf/osdi")
    index = TitleIndex(hits)

    def indexed(titles: list[str], from_toc: bool = True) -> Match:
        return match(titles, 2018, index.candidates(titles), from_toc=from_toc)

    tie = indexed(["Same Title"])
    assert tie.status == AMBIGUOUS and [h.get("dblp_key") for h in tie.metadata] == ["conf/osdi/A18", "conf/osdi/B18"]
    spaced = indexed(["Spaced Out Title"])
    assert spaced.status == FOUND and spaced.value.get("dblp_key") == "conf/osdi/D18"
    compact = indexed(["Spac edOutTitle"])
    assert compact.status == AMBIGUOUS  # ignoring spaces, both D18 and E18
    assert indexed(["Spac edOutTitle"], from_toc=False).status == NOT_FOUND


def test_several_spellings_keep_the_answer_order() -> None:
    """A record listed under two titles: the reasons name the hits in the answer's order."""
    hits = [_hit("conf/osdi/B10", "Beta Paper", 2010), _hit("conf/osdi/A10", "Alpha Paper", 2010),
            _hit("conf/osdi/B11", "Beta Paper", 2011), _hit("conf/osdi/A12", "Alpha Paper", 2012)]  # fmt: skip
    for titles in (["Alpha Paper", "Beta Paper"], ["Beta Paper", "Alpha Paper"]):
        old = _scan_match(titles, 2020, hits, from_toc=True)
        new = match(titles, 2020, TitleIndex(hits).candidates(titles), from_toc=True)
        assert _same(old, new)
        assert new.reason.index("B10") < new.reason.index("A10") < new.reason.index("B11") < new.reason.index("A12")
