"""Identifier handlers: every link shape the lists use maps to one normalised identifier."""

from __future__ import annotations

import pytest

from mlsys_bib import ids
from mlsys_bib.parse.markdown import parse_list


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2501.12407v2", "arxiv:2501.12407v2"),
        ("https://www.arxiv.org/abs/2408.06567", "arxiv:2408.06567"),
        ("https://arxiv.org/pdf/2408.12596", "arxiv:2408.12596"),
        ("https://arxiv.org/pdf/2408.12596v3.pdf", "arxiv:2408.12596v3"),
        ("https://browse.arxiv.org/abs/2309.06180", "arxiv:2309.06180"),
        ("https://arxiv.org/abs/cs/0601001v1", "arxiv:cs/0601001v1"),
        ("https://arxiv.org/abs/math.GT/0309136", "arxiv:math.GT/0309136"),
        ("https://doi.org/10.1145/3600006.3613165", "doi:10.1145/3600006.3613165"),
        ("https://dl.acm.org/doi/10.1145/3437801.3441620", "doi:10.1145/3437801.3441620"),
        ("https://dl.acm.org/doi/abs/10.1145/3600006.3613145", "doi:10.1145/3600006.3613145"),
        ("https://dl.acm.org/doi/pdf/10.1145/3642970.3655843", "doi:10.1145/3642970.3655843"),
        ("https://dl.acm.org/doi/full/10.1145/3642970.3655843", "doi:10.1145/3642970.3655843"),
        ("https://dl.acm.org/doi/abs/10.5555/3586589.3586709", "doi:10.5555/3586589.3586709"),
        ("https://dl.acm.org/doi/10.1109/SC41405.2020.00024", "doi:10.1109/sc41405.2020.00024"),
        ("https://openreview.net/forum?id=nZeVKeeFYf9", "openreview:nZeVKeeFYf9"),
        ("https://openreview.net/pdf?id=yoqdlynCRs", "openreview:yoqdlynCRs"),
        ("https://aclanthology.org/2023.emnlp-main.362/", "acl:2023.emnlp-main.362"),
        ("https://aclanthology.org/2024.findings-emnlp.361.pdf", "acl:2024.findings-emnlp.361"),
        ("https://ieeexplore.ieee.org/abstract/document/10449463", "ieee:10449463"),
        ("https://ieeexplore.ieee.org/document/10476443", "ieee:10476443"),
        ("https://www.usenix.org/conference/osdi24/presentation/wu-bingyang", "usenix:osdi24/wu-bingyang"),
        ("https://www.vldb.org/pvldb/vol16/p3848-huang.pdf", "pvldb:16/p3848-huang"),
        (
            "https://proceedings.mlsys.org/paper_files/paper/2024/file/45c1f6a8cbf2da59ebf2c802b4f742cd-Paper-Conference.pdf",
            "mlsys:2024/45c1f6a8cbf2da59ebf2c802b4f742cd",
        ),
        (
            "https://proceedings.neurips.cc/paper/2020/hash/1457c0d6bfcb4967418bfb8ac142f64a-Abstract.html",
            "neurips:2020/1457c0d6bfcb4967418bfb8ac142f64a",
        ),
        ("https://proceedings.mlr.press/v162/du22c/du22c.pdf", "pmlr:v162/du22c"),
        ("https://proceedings.mlr.press/v235/park24e.html", "pmlr:v235/park24e"),
    ],
)
def test_from_url(url, expected):
    assert str(ids.from_url(url)) == expected


@pytest.mark.parametrize(
    "url",
    ["https://github.com/thu-ml/SageAttention", "https://arxiv.org/list/cs.DC/recent", "#21-dl-scheduling",
     "https://dl.acm.org/conference/sosp", "https://openreview.net/group?id=ICLR.cc", "not a url"],
)
def test_links_that_name_no_paper(url):
    assert ids.from_url(url) is None


def test_versions_name_one_paper():
    a = ids.from_url("https://arxiv.org/abs/2401.08895v1")
    b = ids.from_url("https://arxiv.org/pdf/2401.08895v3.pdf")
    assert a.curie == b.curie == "arxiv:2401.08895"
    assert (a.version, b.version) == ("v1", "v3")


def test_parse_curie_and_errors():
    assert ids.parse("doi:10.1145/ABC").value == "10.1145/abc"
    assert ids.parse("arXiv:2401.08895v2").version == "v2"
    with pytest.raises(ValueError, match="not a valid arxiv"):
        ids.parse("arxiv:12345")
    with pytest.raises(ValueError, match="expected KIND:VALUE"):
        ids.parse("2401.08895")


def test_seed_identifier_kinds(seed_path):
    parsed = parse_list(seed_path)
    kinds = {i.kind for item in parsed.items for i in item.identifiers}
    assert {"arxiv", "doi", "openreview", "acl", "ieee", "usenix", "pvldb", "mlsys", "neurips", "pmlr"} <= kinds
