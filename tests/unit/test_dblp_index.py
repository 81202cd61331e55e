"""Matching through a title index picks exactly what matching the whole table of contents picks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mlsys_bib.model import Kind, Metadata, Provenance
from mlsys_bib.sources import dblp

WORDS = ["gpu", "serving", "llm", "cluster", "on", "billion", "scale", "training", "graph", "fast"]
title = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


def _hit(i: int, text: str, year: int, kind: Kind) -> Metadata:
    squeezed = text.replace(" on ", " on", 1)  # DBLP's typos: a space lost ("onBillion")
    values = {
        "title": squeezed if i % 3 == 0 else text,
        "year": year,
        "kind": kind,
        "dblp_key": f"conf/x/P{i}",
    }
    return Metadata(Provenance("dblp", f"dblp:conf/x/P{i}"), values)


@settings(max_examples=300, deadline=None)
@given(
    toc=st.lists(
        st.tuples(title, st.integers(2020, 2023), st.sampled_from([Kind.PROCEEDINGS, Kind.PREPRINT])),
        max_size=12,
    ),
    wanted=st.lists(title, min_size=1, max_size=2),
    year=st.integers(2020, 2023),
)
def test_the_index_gives_match_the_same_answer_as_the_whole_toc(toc, wanted, year) -> None:
    hits = [_hit(i, t, y, k) for i, (t, y, k) in enumerate(toc)]
    whole = dblp.match(wanted, year, hits, from_toc=True)
    indexed = dblp.match(wanted, year, dblp.TitleIndex(hits).candidates(wanted), from_toc=True)
    assert (indexed.status, indexed.metadata, indexed.reason) == (whole.status, whole.metadata, whole.reason)
