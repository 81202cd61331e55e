"""The list parser on small hand-written lists (one per quirk) and on the real seed."""

from __future__ import annotations

import re
import textwrap

import pytest

from mlsys_bib.parse.markdown import parse_list

HEADER = "Some index site header\n\n- [not a paper](https://example.org)\n\n# Paper List\n\n"


def parse(body: str):
    return parse_list(HEADER + textwrap.dedent(body))


def only_item(body: str):
    parsed = parse(body)
    assert len(parsed.items) == 1, [i.title for i in parsed.items]
    return parsed.items[0]


def test_header_and_toc_are_not_papers():
    parsed = parse(
        """\
        ## Table of Contents
        - [1. Data](#1-data)
          - [1.1 Pipelines](#11-pipelines)

        ## 1. Data
        ### 1.1 Pipelines
        - [OSDI'22] [Orca: A Distributed Serving System](https://www.usenix.org/conference/osdi22/presentation/yu)

        # References
        - https://github.com/some/list
        """
    )
    assert [i.title for i in parsed.items] == ["Orca: A Distributed Serving System"]
    assert parsed.items[0].section.label == "1.1 Pipelines"
    assert [s.label for s in parsed.items[0].section_path] == ["1 Data", "1.1 Pipelines"]
    skipped = parsed.of_kind("skipped")
    assert len(skipped) == 4  # header link, two TOC entries, one reference
    assert not parsed.unparsed


def test_sub_sub_sections_and_line_numbers():
    parsed = parse("## 1. Data\n### 1.1 P\n#### 1.1.3 Fetch stalls (I/O)\n- [ATC'21] Title Here Is Long\n")
    item = parsed.items[0]
    assert item.section.label == "1.1.3 Fetch stalls (I/O)"
    assert HEADER.count("\n") + 4 == item.line


@pytest.mark.parametrize(
    "tag",
    [
        "OSDI'22",
        "arxiv'24",
        "arXiv'19",
        "arxiv, 2022",
        "NSDI'25 (to appear)",
        "NeurIPS'24 Workshop",
        "NeurIPS'24 (Splotlight)",
        "PPoPP'24 poster",
        "KDD'20 Tutorial",
        "ES-FoMO @ ICML'24",
        "EuroMLSys@EuroSys'24",
        "PML4LRS @ ICLR2024",
        "CPAL'24 (PMLR)",
        "IEEE MICRO'19",
        "ACM CSUR'23",
        "ESEC/FSE'20",
        "S&P'24",
        "*Under Review*",
    ],
)
def test_tag_shapes(tag):
    item = only_item(f"## 1. X\n- [{tag}] [Some Paper Title](https://arxiv.org/abs/2401.00001)\n")
    assert item.tags_raw == (tag,)
    assert item.tag is not None and item.tag.raw == tag
    assert item.title == "Some Paper Title"


def test_survey_marker_before_tag():
    item = only_item(
        "## 1. X\n- [Survey :mag:] [ACM CSUR'23] [A Survey](https://dl.acm.org/doi/10.1145/3638757)\n"
    )
    assert item.survey
    assert item.tags_raw == ("ACM CSUR'23",)
    assert [i.curie for i in item.identifiers] == ["doi:10.1145/3638757"]


def test_title_only_item():
    item = only_item("## 1. X\n- [VLDB'21] Analyzing and Mitigating Data Stalls in DNN Training\n")
    assert item.title == "Analyzing and Mitigating Data Stalls in DNN Training"
    assert item.links == () and item.identifiers == ()


def test_link_title_broken_across_two_lines():
    item = only_item(
        "## 1. X\n- [RecSys'23] [InTune: Reinforcement Learning-based Data Pipeline Optimization for Deep "
        "Recommendation Models\n](https://arxiv.org/abs/2308.08500)\n"
    )
    assert item.title.endswith("Deep Recommendation Models")
    assert item.identifiers[0].curie == "arxiv:2308.08500"


@pytest.mark.parametrize(
    ("body", "aliases"),
    [
        ("- [NSDI'22] MLaaS in the wild: workload analysis (`PAI`)", ["PAI"]),
        (
            "- [SC'21] Efficient Large-Scale Language Model Training (`PTD-P` or `Megatron-LM v2`)",
            ["PTD-P", "Megatron-LM v2"],
        ),
    ],
)
def test_aliases_in_backticks(body, aliases):
    item = only_item("## 1. X\n" + body + "\n")
    assert list(item.aliases) == aliases
    assert "`" not in item.title and "(" not in item.title


def test_trailing_annotations_and_code_links():
    parsed = parse(
        """\
        ## 1. X
        - [EuroSys'23] SiloD: A Co-design of Caching and Scheduling [also in [2.1](#21-dl-scheduling)]
        - [NeurIPS'20] [Language Models are Few-Shot Learners](https://proceedings.neurips.cc/paper/2020/hash/1457c0d6bfcb4967418bfb8ac142f64a-Abstract.html) [**From OpenAI**]
        - [NeurIPS'25 Spotlight] [SageAttention3: Microscaling FP4](https://arxiv.org/abs/2505.11594) [[Code](https://github.com/thu-ml/SageAttention)]
        - [arxiv'24] [SageAttention: Accurate 8-Bit Attention](https://arxiv.org/abs/2410.02367), ([Code](https://github.com/thu-ml/SageAttention))
        """
    )
    silod, gpt3, sage3, sage = parsed.items
    assert silod.title == "SiloD: A Co-design of Caching and Scheduling"
    assert silod.annotations == ("also in 2.1",)
    assert gpt3.annotations == ("From OpenAI",)
    assert [lk.label for lk in sage3.links] == ["arxiv", "code"]
    assert [lk.label for lk in sage.links] == ["arxiv", "code"]
    assert [i.curie for i in sage.identifiers] == ["arxiv:2410.02367"]


CONTINUATIONS = """\
## 2. Training
- [ATC'22] [tf.data service: A Case for Disaggregating ML Input Data Processing](https://dl.acm.org/doi/10.1145/3620678.3624666)
- [arxiv version](https://arxiv.org/abs/2210.14826)
- [TKDE'24] [Improving Automatic Parallel Training](https://ieeexplore.ieee.org/abstract/document/10449463)
- extended version of Galvatron (VLDB'23)
- arxiv version (2023): [link](https://arxiv.org/abs/2307.02031)
- [ICLR'24] [CO2: Efficient Distributed Training](https://openreview.net/forum?id=ZO5cn4IfaN)
- [arxiv](https://arxiv.org/abs/2401.16265) [openreview](https://openreview.net/forum?id=ZO5cn4IfaN)
- [[arxiv](https://arxiv.org/abs/2401.16265)] [[openreview](https://openreview.net/forum?id=ZO5cn4IfaN)]
- [RTAS'24] [Demystifying NVIDIA GPU Internals](https://www.cs.unc.edu/~jbakita/rtas24.pdf)
- slides: [link](https://www.cs.unc.edu/~jbakita/rtas24_slides.pdf)
- [ICML'23] [CocktailSGD: Fine-tuning Foundation Models](https://proceedings.mlr.press/v202/wang23t/wang23t.pdf)
- Related to DT-FM (NeurIPS'22)
- [ICLR'22] [LoRA: Low-Rank Adaptation](https://openreview.net/forum?id=nZeVKeeFYf9)
- algorithmic method for memory efficiency
"""


def test_continuations_belong_to_the_paper_above():
    parsed = parse(CONTINUATIONS)
    titles = [i.title for i in parsed.items]
    assert len(titles) == 6, titles
    tfdata, tkde, co2, rtas, cocktail, lora = parsed.items
    assert {i.curie for i in tfdata.identifiers} == {"doi:10.1145/3620678.3624666", "arxiv:2210.14826"}
    assert "arxiv:2307.02031" in {i.curie for i in tkde.identifiers}
    assert any("extended version of Galvatron" in a for a in tkde.annotations)
    assert {i.curie for i in co2.identifiers} == {"openreview:ZO5cn4IfaN", "arxiv:2401.16265"}
    assert [lk.label for lk in rtas.links] == ["paper", "slides"]
    assert any("Related to DT-FM" in a for a in cocktail.annotations)
    assert lora.notes == ("algorithmic method for memory efficiency",)
    kinds = [r.kind for r in parsed.reports if r.kind != "skipped"]
    assert kinds.count("continuation") == 7 and kinds.count("note") == 1
    assert not parsed.unparsed


def test_nested_and_flattened_continuations_agree():
    nested = re.sub(r"^- (?!\[(?:ATC|TKDE|ICLR|RTAS|ICML)')", "  - ", CONTINUATIONS, flags=re.M)
    assert nested != CONTINUATIONS
    a, b = parse(CONTINUATIONS), parse(nested)
    assert [(i.title, i.identifiers, i.links, i.annotations, i.notes) for i in a.items] == [
        (i.title, i.identifiers, i.links, i.annotations, i.notes) for i in b.items
    ]


def test_related_paper_link_does_not_merge_identifiers():
    item = only_item(
        "## 4. MoE\n- [TPDS'24] [MPMoE: Memory Efficient MoE](https://ieeexplore.ieee.org/document/10494556)\n"
        "  - Journal version of [IPDPS'23] [MPipeMoE: Memory Efficient MoE]"
        "(https://ieeexplore.ieee.org/document/10177396)\n"
    )
    assert [i.curie for i in item.identifiers] == ["ieee:10494556"]
    assert [lk.label for lk in item.links] == ["paper", "related"]


def test_nested_tagged_paper_is_a_paper():
    parsed = parse(
        "## 2. X\n- [OSDI'24] [nnScaler: Constraint-Guided Parallelization](https://arxiv.org/abs/2403.01001)\n"
        "  - [arxiv'23] [SuperScaler: Supporting Flexible DNN Parallelization](https://arxiv.org/abs/2301.08984)\n"
    )
    assert [i.title.split(":")[0] for i in parsed.items] == ["nnScaler", "SuperScaler"]


def test_mojibake_repaired_and_original_kept():
    item = only_item(
        "## 3. Inference\n- [ATC'24] [Power-aware Deep Learning Model Serving with ÎĽ-Serve]"
        "(https://www.usenix.org/conference/atc24/presentation/qiu)\n"
    )
    assert item.title == "Power-aware Deep Learning Model Serving with μ-Serve"
    assert item.title_raw.endswith("ÎĽ-Serve")


def test_unclassifiable_bullets_are_reported_with_line_numbers():
    parsed = parse("## 1. X\n- [[weird]] [x\n- [OSDI'22]\n- [ATC'21] Real Paper Title Here\n- ]]]] [[[[ (\n")
    assert [i.title for i in parsed.items] == ["Real Paper Title Here"]
    unparsed = parsed.unparsed
    assert len(unparsed) >= 2
    base = HEADER.count("\n")
    assert {u.line for u in unparsed} >= {base + 2, base + 3}
    assert all(u.reason for u in unparsed)


def test_continuation_with_no_paper_above_is_reported():
    parsed = parse("## 1. X\n- [arxiv](https://arxiv.org/abs/2401.16265)\n")
    assert parsed.items == []
    assert parsed.unparsed[0].reason.endswith("no paper above it in this section")


def test_crlf_bom_and_nul_survive():
    text = "\ufeff" + (HEADER + "## 1. X\r\n- [OSDI'22] Title\x00 With Nul\r\n").replace("\n", "\r\n")
    parsed = parse_list(text)
    assert len(parsed.items) == 1
    assert parsed.items[0].title.startswith("Title")


# -- the real seed ------------------------------------------------------------------------------
def test_seed_counts(seed_path):
    parsed = parse_list(seed_path)
    assert len(parsed.items) == 964
    assert sum(i.survey for i in parsed.items) == 18
    assert len({i.section for i in parsed.items}) == 31
    assert not parsed.unparsed
    assert len(parsed.of_kind("continuation")) == 9
    assert len(parsed.of_kind("note")) == 1


def test_newer_list_nested_and_flattened_give_the_same_items(newer_list_path):
    text = newer_list_path.read_text(encoding="utf-8")
    flat = re.sub(r"^[ \t]+- ", "- ", text, flags=re.M)
    assert flat != text
    a, b = parse_list(text), parse_list(flat)
    assert len(a.items) > 1000
    key = lambda p: [  # noqa: E731
        (
            i.line,
            i.section,
            i.title,
            i.tags_raw,
            i.links,
            i.identifiers,
            i.aliases,
            i.annotations,
            i.notes,
            i.continuation_lines,
        )
        for i in p.items
    ]
    assert key(a) == key(b)
    assert not a.unparsed and not b.unparsed


def test_deep_nesting_loses_nothing_after_it():
    from mlsys_bib.parse.markdown import parse_list

    deep = "- " * 10 + "[OSDI'22] Deep: x\n"
    text = f"# L\n\n## 1. A\n- [OSDI'22] First: a\n{deep}- [OSDI'22] After: b\n\n## 2. B\n- [SOSP'23] Later: c\n"
    parsed = parse_list(text)
    titles = [item.title for item in parsed.items]
    assert "After: b" in titles and "Later: c" in titles  # 10 levels: read
    deeper = "- " * 150 + "[OSDI'22] Abyss: x\n"
    parsed = parse_list(f"# L\n\n## 1. A\n{deeper}- [OSDI'22] After: b\n\n## 2. B\n- [SOSP'23] Later: c\n")
    # beyond the parser's limit: the deep line is reported once, by line, and parsing goes on after it
    deep_reports = {(r.line, r.reason) for r in parsed.unparsed if "deeper" in r.reason}
    assert deep_reports == {(4, "not read: nests deeper than 100 levels")}
    assert {r.line for r in parsed.unparsed} == {4}
    assert [item.title for item in parsed.items] == ["After: b", "Later: c"]


def test_an_ever_deeper_staircase_of_items_is_read_to_the_end():
    """Indentation nesting past the limit: markdown-it stopped at item 49 and dropped the other 250
    items and the next section without a report (its unread-line check saw only 0-3 space indents)."""
    from mlsys_bib.parse.markdown import parse_list

    stairs = [" " * (2 * k) + f"- [OSDI'22] Paper number {k} here: a thing." for k in range(300)]
    text = "\n".join(["# L", "", "## S", "", *stairs, "", "## T", "", "- [NSDI'20] Gamma: c thing."]) + "\n"
    parsed = parse_list(text)
    reported = {r.line for r in parsed.reports}
    read = {item.line for item in parsed.items}
    assert all(line in read | reported for line in range(5, 305))  # every stair: a paper or reported
    assert len(read) >= 290 and parsed.items[-1].title == "Gamma: c thing."
    assert len(parsed.unparsed) <= 10


def test_a_lone_carriage_return_before_a_deep_line_keeps_line_numbers():
    """markdown-it ends a line at a lone CR too; resuming after a too-deep line indexed the lines split
    on LF only, so a CR before it raised IndexError (found by the input drill)."""
    from mlsys_bib.parse.markdown import _md, tokenize

    deeper = "- " * 150 + "[OSDI'22] Abyss: x"
    text = "# L\r## 1. A\r- [OSDI'22] First: a\r" + deeper + "\r- [OSDI'22] After: b\r"
    tokens, deep = tokenize(_md(), text)
    assert deep == [3]
    after = [t.map[0] for t in tokens if t.type == "inline" and "After" in t.content]
    assert after == [4]


def test_a_cut_venue_tag_is_a_warning_on_a_paper_not_a_second_account_of_its_bullet():
    """``- [((((…]]]]``: a 150-character tag is cut and warned about; the bullet is still one paper."""
    from mlsys_bib.parse.markdown import parse_list

    parsed = parse_list("# L\n\n## 1. A\n- [" + "(" * 150 + "]" * 50 + "\n- [OSDI'22] After: b\n")
    assert [item.line for item in parsed.items] == [4, 5]
    assert [(r.line, r.kind) for r in parsed.reports] == [(4, "warning")]
