"""Merging list items into records, list-derived fields and keys."""

from __future__ import annotations

import json
import textwrap

from mlsys_bib.build import list_report, load_list
from mlsys_bib.keys import KeyLock, assign_keys, base_key
from mlsys_bib.model import Kind
from mlsys_bib.parse.markdown import parse_list
from mlsys_bib.records import build_records


def records(body: str, lock: KeyLock | None = None):
    return build_records(parse_list("# L\n\n" + textwrap.dedent(body)), lock=lock)


def test_same_paper_in_several_sections_is_one_record():
    rs = records(
        """\
        ## 1. Data
        ### 1.2 Caching
        - [EuroSys'23] SiloD: A Co-design of Caching and Scheduling [also in [2.1](#21)]
        ## 2. Training
        ### 2.1 Scheduling
        - [EuroSys'23] SiloD: A co-design of caching and scheduling [also in [1.2](#12)]
        - [OSDI'22] Looking Beyond GPUs for DNN Scheduling on Multi-Tenant Clusters (`Synergy`)
        """
    )
    assert len(rs.records) == 2 and rs.merges == 1
    silod = rs.records[0]
    assert [s.label for s in silod.sections] == ["1.2 Caching", "2.1 Scheduling"]
    assert silod.lines == [5, 8]
    assert rs.records[1].aliases == ["Synergy"]


def test_merge_by_identifier_even_when_titles_differ_slightly():
    rs = records(
        """\
        ## 1. X
        - [arxiv'24] [DeltaZip: Efficient Serving of Multiple Full-Model-Tuned LLMs](https://arxiv.org/abs/2312.05215)
        - [arxiv'25] [DeltaZip: Multi-Tenant Language Model Serving via Delta Compression](https://arxiv.org/abs/2312.05215v3)
        """
    )
    assert len(rs.records) == 1
    assert len(rs.records[0].tags) == 2


def test_shared_link_under_unrelated_titles_is_a_conflict_not_a_merge():
    rs = records(
        """\
        ## 1. X
        - [NeurIPS'24 Workshop] [TurboMoE: Enhancing MoE Model Training](https://openreview.net/forum?id=huy8g3iKy0)
        - [arxiv'24] [Dense Backpropagation Improves Routing](https://openreview.net/forum?id=huy8g3iKy0)
        """
    )
    assert len(rs.records) == 2
    assert any("openreview:huy8g3iKy0" in c["conflict"] for c in rs.conflicts)


def test_two_arxiv_ids_for_one_title_keep_both_and_report():
    rs = records(
        """\
        ## 1. X
        - [arxiv'23] [Some System: A Thing](https://arxiv.org/abs/2301.00001)
        ## 2. Y
        - [arxiv'23] [Some System: A Thing](https://arxiv.org/abs/2302.00002)
        """
    )
    assert len(rs.records) == 1
    rec = rs.records[0]
    assert {i.value for i in rec.identifiers} == {"2301.00001", "2302.00002"}
    assert "several arXiv ids" in rec.conflicts[0]


def test_list_fields_from_venue_table_and_tag():
    rs = records(
        """\
        ## 1. X
        - [VLDB'25] [cedar: Composable and Optimized Machine Learning Input Data Pipelines](https://arxiv.org/abs/2401.08895v2)
        - [arxiv'24] [TensorSocket: Shared Data Loading](https://arxiv.org/abs/2409.18749)
        - [NSDI'25 (to appear)] Some Networked Paper Title
        """
    )
    cedar, tsock, nsdi = rs.records
    assert cedar.get("kind") is Kind.JOURNAL  # PVLDB is a journal; the eprint does not make it a preprint
    assert cedar.get("arxiv") == "2401.08895" and cedar.get("arxiv_version") == "v2"
    assert cedar.get("year") == 2025
    assert cedar.fields["title"].provenance.ref == "L4"
    assert tsock.get("kind") is Kind.PREPRINT
    assert nsdi.get("note") == "To appear" and nsdi.get("kind") is Kind.PROCEEDINGS


def test_keys_readable_unique_and_from_list_data_only():
    assert base_key("cedar: Composable and Optimized", "VLDB", 2025) == "cedar-vldb25"
    assert base_key("Analyzing and Mitigating Data Stalls", "VLDB", 2021) == "analyzingmitigatingdata-vldb21"
    assert base_key("Power-aware Serving with μ-Serve", "ATC", 2024).endswith("-atc24")
    keys = assign_keys([(["a"], "Orca: X", "OSDI", 2022), (["b"], "Orca: Y", "OSDI", 2022)])
    assert keys == ["orca-osdi22", "orca-osdi22-b"]


def test_key_stable_when_a_colliding_paper_is_added_before_it():
    lock = KeyLock()
    first = records("## 1. X\n- [OSDI'22] [Orca: Serving](https://arxiv.org/abs/2201.00001)\n", lock)
    assert first.records[0].key == "orca-osdi22"
    second = records(
        "## 1. X\n- [OSDI'22] [Orca: Something Else](https://arxiv.org/abs/2202.00002)\n"
        "- [OSDI'22] [Orca: Serving](https://arxiv.org/abs/2201.00001)\n",
        lock,
    )
    assert [r.key for r in second.records] == ["orca-osdi22-b", "orca-osdi22"]


def test_key_lock_roundtrip_and_bad_file(tmp_path):
    path = tmp_path / "keys.lock"
    lock = KeyLock({"title:x": "x-osdi22"}, path)
    lock.save()
    assert KeyLock.load(path).entries == {"title:x": "x-osdi22"}
    path.write_text("[1, 2]")
    try:
        KeyLock.load(path)
    except ValueError as exc:
        assert str(path) in str(exc)
    else:
        raise AssertionError("a malformed lock file must be refused")


def test_seed_records_and_report(seed_path):
    rs = load_list(seed_path)
    rep = list_report(rs)
    # 964 items; 876 unique normalised titles, minus two renamed arXiv papers merged by id.
    assert rep["items"] == 964
    assert rep["records"] == 874
    assert rep["merges"] == 90
    assert rep["survey_items"] == 18
    assert rep["sections_with_items"] == 31
    assert rep["unparsed"] == [] and rep["unknown_tags"] == []
    assert len({r.key for r in rs.records}) == len(rs.records)
    assert all(r.get("title") and r.get("kind") for r in rs.records)
    json.dumps(rep)  # serialisable


# -- scheme 2: readable keys, the one-time re-key, a lock that names two papers ----------------


def test_keys_name_the_system_and_never_cut_a_word():
    from mlsys_bib.keys import name_part

    assert base_key("Efficient Memory Management for Large Language Model Serving with PagedAttention",
                    "SOSP", 2023) == "vllm-sosp23"  # fmt: skip
    assert base_key("MLaaS in the wild: workload analysis", "NSDI", 2022, ["PAI"]) == "pai-nsdi22"
    assert base_key("Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads",
                    "OSDI", 2020) == "heterogeneityaware-osdi20"  # fmt: skip
    # whole words: up to 24 characters, two words when they fit in 32 (scheme 1 cut at 24)
    assert name_part("Forecasting GPU Performance for Deep Learning Training") == "forecastinggpu"
    assert name_part("Accelerating Heterogeneous Tensor Parallelism via Flexible Workload Control") == (
        "acceleratingheterogeneous"
    )


def test_a_scheme_1_lock_is_rekeyed_once_and_remembers_the_old_keys(tmp_path):
    path = tmp_path / "keys.lock"
    old = "efficientmemorymanagemen-sosp23"
    path.write_text(json.dumps({"keys": {"arxiv:2309.06180": old}}))
    body = ("## 1. X\n- [SOSP'23] [Efficient Memory Management for Large Language Model Serving with "
            "PagedAttention](https://arxiv.org/abs/2309.06180)\n")  # fmt: skip
    lock = KeyLock.load(path)
    rs = records(body, lock)
    assert rs.records[0].key == "vllm-sosp23"
    assert rs.records[0].get("former_keys") == [old]
    lock.save()
    saved = json.loads(path.read_text())
    assert saved["scheme"] == 2 and saved["renamed"] == {old: "vllm-sosp23"}
    # frozen from now on: a title edit does not move the key, and the old key stays reserved
    again = records(body.replace("Efficient Memory", "Efficient  Memory"), KeyLock.load(path))
    assert again.records[0].key == "vllm-sosp23"
    other = records(body + f"- [SOSP'23] [{old}: a paper named like the old key](https://x.org/1)\n",
                    KeyLock.load(path))  # fmt: skip
    assert old not in [r.key for r in other.records]


def test_a_lock_that_gives_two_papers_one_key_is_refused_naming_both(tmp_path):
    from mlsys_bib.keys import KeyLockError

    body = ("## 1. X\n- [OSDI'22] [Orca: Serving](https://arxiv.org/abs/2201.00001)\n"
            "- [OSDI'22] [Pathways: Dataflow](https://arxiv.org/abs/2203.00002)\n")  # fmt: skip
    lock = KeyLock(path=tmp_path / "keys.lock")
    records(body, lock)
    lock.entries["arxiv:2203.00002"] = lock.entries["arxiv:2201.00001"]  # a hand edit
    for identity, key in list(lock.entries.items()):
        if key == "pathways-osdi22":
            lock.entries[identity] = "orca-osdi22"
    try:
        records(body, lock)
    except KeyLockError as exc:
        message = str(exc)
        assert "orca-osdi22" in message and "Orca: Serving" in message and "Pathways: Dataflow" in message
        assert "keys.lock" in message
    else:
        raise AssertionError("two papers locked to one key must be refused")


def test_a_link_pasted_under_two_papers_is_not_a_lock_error():
    body = ("## 1. X\n- [OSDI'22] [Orca: Serving](https://github.com/shared/repo)\n"
            "- [OSDI'22] [Pathways: Dataflow](https://github.com/shared/repo)\n")  # fmt: skip
    lock = KeyLock()
    first = [r.key for r in records(body, lock).records]
    assert [r.key for r in records(body, lock).records] == first


def test_an_acm_dl_id_is_not_exported_as_a_doi():
    rs = records("## 1. X\n- [JMLR'22] [Switch transformers](https://dl.acm.org/doi/abs/10.5555/3586589.3586709)\n")
    record = rs.records[0]
    assert record.get("doi") is None and "ACM DL 10.5555/3586589.3586709" in record.get("note")


def test_the_rekey_never_hands_a_paper_the_key_of_another_sharing_a_link(tmp_path):
    """TurboMoE and Dense Backpropagation share one OpenReview link in the seed."""
    path = tmp_path / "keys.lock"
    path.write_text(json.dumps({"keys": {
        "openreview:huy8g3iKy0": "turbomoe-mlforsystems24",
        "title:turbomoe enhancing moe model training": "turbomoe-mlforsystems24",
        "title:dense backpropagation improves routing for sparsely gated mixture of experts":
            "densebackpropagationimpr-arxiv24",
    }}))  # fmt: skip
    body = ("## 1. X\n- [MLForSystems'24] [TurboMoE: Enhancing MoE Model Training](https://openreview.net/forum?id=huy8g3iKy0)\n"
            "- [arxiv'24] [Dense Backpropagation Improves Routing for Sparsely-Gated Mixture-of-Experts]"
            "(https://openreview.net/forum?id=huy8g3iKy0)\n")  # fmt: skip
    lock = KeyLock.load(path)
    keys = [r.key for r in records(body, lock).records]
    assert keys == ["turbomoe-mlforsystems24", "densebackpropagation-arxiv24"]
    assert lock.renamed == {"densebackpropagationimpr-arxiv24": "densebackpropagation-arxiv24"}


def test_a_megabyte_venue_tag_gives_a_short_key():
    key = base_key("Some Paper: about things", "V" * 1_000_000, 2024)
    assert key == "somepaper-vvvvvvvvvvvvvvvv24"  # the venue part is capped at 16 characters
