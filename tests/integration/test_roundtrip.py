"""Round trip: the exports, read back by independent parsers, say what the records say.

The .bib files are parsed with bibtexparser v2 and with pybtex (values decoded from LaTeX with
pylatexenc), the .json with citeproc-py's CSL-JSON source. Every comparable field of every record
is checked against every reader; the test counts the comparisons and asserts that none is lost.

``make_record`` and ``realistic_records`` are imported by the other export tests: one realistic
set (every kind, particles, suffixes, corporate authors, accents, acronyms, missing fields, a
preprint and a published paper that keeps its eprint) exercised everywhere.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from pybtex.database import parse_string as pybtex_parse
from pylatexenc.latex2text import LatexNodes2Text

from mlsys_bib.export.bibtex import MONTH_MACROS, bibtex_text, container_name, keywords_value, normalize_pages
from mlsys_bib.export.csljson import csl_json_text
from mlsys_bib.export.latex import clean_text
from mlsys_bib.export.names import people
from mlsys_bib.model import Kind, ListItem, Person, Provenance, Record, Section, VenueTag

P = Person
S_DATA = Section("1.1.1", "General")
S_TRAIN = Section("2.5", "Distributed training (parallelism)")
S_FAIL = Section("2.6", "DL job failures & resilient training")
S_SERVE = Section("3.1", "LLM serving")
S_WORK = Section("1.1.4", "Specific workloads (GNN, DLRM)")
S_OTHER = Section("", "Others")


def make_record(
    key: str,
    title: str,
    kind: Kind,
    *,
    sections: Iterable[Section] = (S_TRAIN,),
    tag: VenueTag | None = None,
    line: int = 1,
    **fields: Any,
) -> Record:
    """A record as the parse + resolve steps would hand it over (one list item per section)."""
    items = [
        ListItem(line=line + i, section=s, section_path=(s,), title=title, title_raw=title, tag=tag)
        for i, s in enumerate(sections)
    ]
    record = Record(key=key, items=items)
    record.set("title", title, Provenance("test"))
    record.set("kind", kind, Provenance("test"))
    for name, value in fields.items():
        record.set(name, value, Provenance("test"))
    return record


def realistic_records() -> list[Record]:
    """~20 hand-made records covering every kind and quirk the exporters must handle."""
    k = Kind
    return [
        make_record(
            "yu2022orca",
            "Orca: A Distributed Serving System for Transformer-Based Generative Models",
            k.PROCEEDINGS,
            sections=(S_SERVE, S_TRAIN),
            line=10,
            tag=VenueTag("OSDI'22", "OSDI", 2022),
            author=[
                P("Yu", "Gyeong-In"),
                P("Jeong", "Joo Seong"),
                P("Kim", "Geon-Woo"),
                P("Kim", "Soojeong"),
                P("Chun", "Byung-Gon"),
            ],
            container_title="16th USENIX Symposium on Operating Systems Design and Implementation (OSDI 22)",
            container_short="OSDI",
            event_title="OSDI '22",
            publisher="USENIX Association",
            year=2022,
            month=7,
            pages="521-538",
            url="https://www.usenix.org/conference/osdi22/presentation/yu",
        ),
        make_record(
            "kwon2023vllm",
            "Efficient Memory Management for Large Language Model Serving with PagedAttention",
            k.PROCEEDINGS,
            sections=(S_SERVE, S_TRAIN, S_FAIL),
            line=20,
            author=[
                P("Kwon", "Woosuk"),
                P("Li", "Zhuohan"),
                P("Zhuang", "Siyuan"),
                P("Sheng", "Ying"),
                P("Zheng", "Lianmin"),
                P("Yu", "Cody Hao"),
                P("Gonzalez", "Joseph E."),
                P("Zhang", "Hao"),
                P("Stoica", "Ion"),
            ],
            container_title="Proceedings of the 29th Symposium on Operating Systems Principles",
            container_short="SOSP",
            publisher="ACM",
            year=2023,
            month=10,
            pages="611--626",
            doi="10.1145/3600006.3613165",
            arxiv="2309.06180",
            arxiv_version="v1",
            primary_class="cs.LG",
            url="https://dl.acm.org/doi/10.1145/3600006.3613165",
        ),
        make_record(
            "dao2023flashattention2",
            "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning",
            k.PREPRINT,
            sections=(S_TRAIN,),
            line=30,
            tag=VenueTag("arxiv'23", "arXiv", 2023),
            author=[P("Dao", "Tri")],
            year=2023,
            month=7,
            arxiv="2307.08691",
            arxiv_version="v1",
            primary_class="cs.LG",
            doi="10.48550/arxiv.2307.08691",
            url="https://arxiv.org/abs/2307.08691",
        ),
        make_record(
            "williams2009roofline",
            "Roofline: An Insightful Visual Performance Model for Multicore Architectures",
            k.JOURNAL,
            sections=(S_OTHER,),
            line=40,
            author=[P("Williams", "Samuel"), P("Waterman", "Andrew"), P("Patterson", "David")],
            container_title="Communications of the ACM",
            container_short="CACM",
            volume="52",
            issue="4",
            pages="65–76",
            year=2009,
            month=4,
            doi="10.1145/1498765.1498785",
        ),
        make_record(
            "vanderschaar2021particles",
            "Synthetic Data Generation with Bayesian Networks on H100 GPUs",
            k.PROCEEDINGS,
            sections=(S_DATA,),
            line=50,
            author=[
                P("Schaar", "Mihaela", particle="van der"),
                P("Moura", "Leonardo", particle="de"),
                P("Beethoven", "Ludwig", particle="van"),
                P("Berg", "Hans", suffix="Jr."),
                P("King", "Martin Luther", suffix="III"),
            ],
            container_title="Advances in Neural Information Processing Systems",
            container_short="NeurIPS",
            volume="34",
            pages="1000--1012",
            year=2021,
            month=12,
            publisher="Curran Associates, Inc.",
        ),
        make_record(
            "openai2023gpt4",
            "GPT-4 Technical Report",
            k.REPORT,
            sections=(S_SERVE,),
            line=60,
            author=[P(literal="OpenAI"), P(literal="Research and Development Team, Inc.")],
            publisher="OpenAI",
            issue="TR-2023-1",
            year=2023,
            month=3,
            arxiv="2303.08774",
            primary_class="cs.CL",
            url="https://arxiv.org/abs/2303.08774",
        ),
        make_record(
            "muller2024systemes",
            "Systèmes d'apprentissage automatique à grande échelle sur GPU",
            k.JOURNAL,
            sections=(S_DATA,),
            line=70,
            author=[
                P("Müller", "Jürgen"),
                P("Ødegaard", "Åsa"),
                P("Núñez", "José"),
                P("Çelik", "Gökhan"),
                P("Kaiser", "Łukasz"),
                P("李", "明"),
            ],
            container_title="Revue d'Intelligence Artificielle",
            volume="38",
            issue="2",
            pages="e1234",
            year=2024,
            publisher="Lavoisier",
            doi="10.18280/ria.380201",
        ),
        make_record(
            "xi2023fp8lm",
            "FP8-LM: Training FP8 Large Language Models with ZeRO and PyTorch FSDP over I/O-Bound H100s",
            k.PREPRINT,
            sections=(S_TRAIN,),
            line=80,
            author=[P("Peng", "Houwen"), P("Wu", "Kan")],
            year=2023,
            month=10,
            arxiv="2310.18313",
            primary_class="cs.LG",
        ),
        make_record(
            "rajbhandari2020zero",
            "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
            k.PROCEEDINGS,
            sections=(S_TRAIN,),
            line=90,
            author=[
                P("Rajbhandari", "Samyam"),
                P("Rasley", "Jeff"),
                P("Ruwase", "Olatunji"),
                P("He", "Yuxiong"),
            ],
            container_title="SC20: International Conference for High Performance Computing, Networking, "
            "Storage and Analysis",
            container_short="SC",
            publisher="IEEE",
            year=2020,
            month=11,
            pages="1-16",
            doi="10.1109/sc41405.2020.00024",
            arxiv="1910.02054",
            primary_class="cs.LG",
        ),
        make_record(
            "listonly2025nsdi",
            "Accelerating Design Space Exploration for LLM Training Systems with "
            "Multi-experiment Parallel Simulation",
            k.PROCEEDINGS,
            sections=(S_TRAIN,),
            line=100,
            tag=VenueTag("NSDI'25 (to appear)", "NSDI", 2025, qualifier="to appear"),
            container_title="22nd USENIX Symposium on Networked Systems Design and Implementation (NSDI 25)",
            year=2025,
        ),
        make_record(
            "listonly2024arxiv",
            "Scaling Inference-Efficient Language Models",
            k.PREPRINT,
            sections=(S_TRAIN,),
            line=110,
            tag=VenueTag("arxiv'25", "arXiv", 2025),
            year=2025,
            arxiv="2501.18107",
            url="https://arxiv.org/abs/2501.18107",
        ),
        make_record(
            "smith2020chapter",
            "Parallel Training on Heterogeneous Clusters",
            k.CHAPTER,
            sections=(S_OTHER,),
            line=120,
            author=[P("Smith", "Anna"), P("Jones", "Bob")],
            container_title="Handbook of Large-Scale Machine Learning Systems",
            publisher="Springer",
            pages="101-130",
            year=2020,
            doi="10.1007/978-3-030-00000-0_5",
        ),
        make_record(
            "armbrust2009clouds",
            "Above the Clouds: A Berkeley View of Cloud Computing",
            k.REPORT,
            sections=(S_OTHER,),
            line=130,
            author=[P("Armbrust", "Michael"), P("Fox", "Armando"), P("Griffith", "Rean")],
            publisher="EECS Department, University of California, Berkeley",
            issue="UCB/EECS-2009-28",
            year=2009,
            month=2,
            url="http://www2.eecs.berkeley.edu/Pubs/TechRpts/2009/EECS-2009-28.html",
        ),
        make_record(
            "raffel2020t5",
            "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
            k.JOURNAL,
            sections=(S_TRAIN,),
            line=140,
            author=[P("Raffel", "Colin"), P("Shazeer", "Noam"), P("Roberts", "Adam")],
            container_title="Journal of Machine Learning Research",
            container_short="JMLR",
            volume="21",
            issue="140",
            pages="1--67",
            year=2020,
            arxiv="1910.10683",
            primary_class="cs.LG",
            url="http://jmlr.org/papers/v21/20-074.html",
        ),
        make_record(
            "specials2024speeding",
            "Speeding up 50% of GPU & CPU_jobs with $5 and #tags ~ {Set} Theory",
            k.REPORT,
            sections=(S_OTHER,),
            line=150,
            author=[P("Doe", "Jane"), P("O'Neil", "Pat")],
            publisher="Example Systems Lab & Co.",
            issue="TR-2024-01",
            year=2024,
        ),
        make_record(
            "chen2024workshop",
            "Efficient LLM Inference with KV-Cache Quantization on Apple Silicon",
            k.PROCEEDINGS,
            sections=(S_SERVE, S_WORK),
            line=160,
            tag=VenueTag("ES-FoMO @ ICML'24", "ICML", 2024, workshop="ES-FoMO"),
            author=[P("Chen", "Wei"), P("García-López", "María")],
            container_title="ICML 2024 Workshop on Efficient Systems for Foundation Models (ES-FoMO II)",
            event_title="ES-FoMO II",
            year=2024,
            month=7,
            url="https://openreview.net/forum?id=abc_DEF-1",
            note="Workshop paper",
        ),
        make_record(
            "li2020pytorchddp",
            "PyTorch Distributed: Experiences on Accelerating Data Parallel Training",
            k.JOURNAL,
            sections=(S_TRAIN,),
            line=170,
            author=[P("Li", "Shen"), P("Zhao", "Yanli"), P("Varma", "Rohan")],
            container_title="Proceedings of the VLDB Endowment",
            container_short="PVLDB",
            volume="13",
            issue="12",
            pages="3005-3018",
            year=2020,
            month=8,
            doi="10.14778/3415478.3415530",
            arxiv="2006.15704",
            primary_class="cs.DC",
        ),
        make_record(
            "ascii2024yearonly",
            "Measuring Datacenter Energy with vLLM and eBPF",
            k.PROCEEDINGS,
            sections=(S_FAIL,),
            line=180,
            author=[P("Ng", "Andrew")],
            container_title="EuroMLSys '24: Proceedings of the 4th Workshop on Machine Learning and Systems",
            year=2024,
            publisher="Association for Computing Machinery",
        ),
        make_record(
            "mononym2023",
            "Serving Models at the Edge: A Study",
            k.PREPRINT,
            sections=(S_SERVE,),
            line=190,
            author=[P(given="Prabhat"), P("Liu", "Jia")],
            year=2023,
            arxiv="2305.00001",
        ),
        make_record(
            "quotes2022",
            "“Quoted” Titles and 'Single' Quotes in Q&A Systems — A Case Study",
            k.JOURNAL,
            sections=(S_WORK,),
            line=200,
            author=[P("Nguyễn", "Văn An")],
            container_title="IEEE Transactions on Parallel and Distributed Systems",
            container_short="TPDS",
            volume="33",
            issue="12",
            pages="4404–4417",
            year=2022,
            month=12,
            doi="10.1109/tpds.2022.3187815",
        ),
    ]


# -- readers ------------------------------------------------------------------------------------------

_L2T = LatexNodes2Text(math_mode="verbatim")


def unlatex(value: str) -> str:
    """A .bib value as plain text: LaTeX decoded, protective braces gone, spaces folded."""
    text = _L2T.latex_to_text(value).replace("\u02c6", "^")  # pylatexenc: \textasciicircum -> ˆ
    return " ".join(text.split())


def _person_key(p: Person) -> tuple[str, str, str]:
    """(family with particle, given, suffix) -- or (literal, "", "")."""
    if p.literal:
        return (p.literal, "", "")
    family = f"{p.particle} {p.family}" if p.particle else p.family
    return (family, p.given, p.suffix)


def expected(record: Record, *, biblatex: bool = False) -> dict[str, Any]:
    """What every reader must find for ``record`` (cleaned exactly as the exporters clean)."""
    kind = record.get("kind")
    exp: dict[str, Any] = {
        "title": clean_text(record.title),
        "author": [_person_key(p) for p in people(record.get("author"))],
        "year": record.get("year"),
        "month": record.get("month"),
        "doi": record.get("doi"),
        "url": record.get("url"),
        "keywords": keywords_value(record),
    }
    if kind != Kind.PREPRINT:
        exp["venue"] = container_name(record)
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.REPORT, Kind.JOURNAL):
        exp["pages"] = (
            normalize_pages(record.get("pages")).replace("--", "-") if record.get("pages") else None
        )
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.REPORT):
        exp["publisher"] = record.get("publisher")
    if kind in (Kind.PROCEEDINGS, Kind.CHAPTER, Kind.JOURNAL):
        exp["volume"] = record.get("volume")
        exp["issue"] = record.get("issue")
    if kind == Kind.REPORT:
        exp["number"] = record.get("issue")
    exp["arxiv"] = record.get("arxiv")
    exp["primary_class"] = record.get("primary_class") if record.get("arxiv") else None
    return {name: value for name, value in exp.items() if value not in (None, "", [])}


def _month(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value.isdigit():
        return int(value)
    for i, name in enumerate(MONTH_MACROS, 1):
        if value.startswith(name):
            return i
    return None


def from_bibtexparser(text: str) -> dict[str, dict[str, Any]]:
    """Read a .bib with bibtexparser v2 into the ``expected`` shape."""
    lib = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert not lib.failed_blocks, lib.failed_blocks
    out: dict[str, dict[str, Any]] = {}
    for entry in lib.entries:
        f = {k.lower(): v.value for k, v in entry.fields_dict.items()}
        got: dict[str, Any] = {"title": unlatex(f["title"])}
        if "author" in f:
            got["author"] = [
                (
                    unlatex(" ".join(n.von + n.last)),
                    unlatex(" ".join(n.first)),
                    unlatex(" ".join(n.jr)),
                )
                if n.first or n.von or n.jr
                else (unlatex(" ".join(n.last)), "", "")
                for n in f["author"]
            ]
        _common(got, f)
        out[entry.key] = got
    return out


def from_pybtex(text: str) -> dict[str, dict[str, Any]]:
    """Read a .bib with pybtex into the ``expected`` shape."""
    data = pybtex_parse(text, "bibtex")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in data.entries.items():
        f = {k.lower(): v for k, v in entry.fields.items()}
        got: dict[str, Any] = {"title": unlatex(f["title"])}
        persons = entry.persons.get("author", [])
        if persons:
            got["author"] = [
                (
                    unlatex(" ".join(p.prelast_names + p.last_names)),
                    unlatex(" ".join(p.first_names + p.middle_names)),
                    unlatex(" ".join(p.lineage_names)),
                )
                for p in persons
            ]
        _common(got, f)
        out[key] = got
    return out


def _common(got: dict[str, Any], f: dict[str, str]) -> None:
    """Fields read the same way from bibtexparser's and pybtex's field dicts (lower-case keys)."""
    if "date" in f:
        parts = f["date"].split("-")
        got["year"] = int(parts[0])
        if len(parts) > 1:
            got["month"] = int(parts[1])
    else:
        if "year" in f:
            got["year"] = int(f["year"])
        if "month" in f:
            got["month"] = _month(f["month"])
    venue = f.get("booktitle") or f.get("journal") or f.get("journaltitle")
    if venue:
        got["venue"] = unlatex(venue)
    for src, dst in (("pages", "pages"), ("volume", "volume"), ("publisher", "publisher")):
        if src in f:
            got[dst] = unlatex(f[src]).replace("–", "-")
    if "institution" in f:
        got["publisher"] = unlatex(f["institution"])
    if "number" in f:
        got["issue"] = got["number"] = unlatex(f["number"])
    for src, dst in (("doi", "doi"), ("url", "url"), ("eprint", "arxiv")):
        if src in f:
            got[dst] = f[src]
    if "primaryclass" in f or "eprintclass" in f:
        got["primary_class"] = f.get("primaryclass") or f.get("eprintclass")
    if "keywords" in f:
        got["keywords"] = unlatex(f["keywords"])


def from_citeproc_json(text: str) -> dict[str, dict[str, Any]]:
    """Read the CSL-JSON with citeproc-py's source reader into the ``expected`` shape."""
    from citeproc.source.json import CiteProcJSON

    raw = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citation-key / event-title are unknown to citeproc-py
        source = CiteProcJSON(raw)
    out: dict[str, dict[str, Any]] = {}
    for item in raw:
        ref = source[item["id"].lower()]
        got: dict[str, Any] = {"title": str(ref["title"])}

        def opt(name: str, dst: str, ref: Any = ref, got: dict[str, Any] = got) -> None:
            if name in ref:
                got[dst] = str(ref[name])

        if "author" in ref:
            got["author"] = [
                (n["literal"], "", "")
                if "literal" in n
                else (n.get("family", ""), n.get("given", ""), n.get("suffix", ""))
                for n in ref["author"]
            ]
        if "issued" in ref:
            got["year"] = ref["issued"]["year"]
            if "month" in ref["issued"]:
                got["month"] = ref["issued"]["month"]
        opt("container_title", "venue")
        opt("page", "pages")
        opt("volume", "volume")
        opt("issue", "issue")
        opt("DOI", "doi")
        opt("URL", "url")
        if item["type"] != "article":
            opt("publisher", "publisher")
        if item["type"] == "report":
            opt("number", "number")
        number = item.get("number", "")
        if number.startswith("arXiv:"):
            got["arxiv"] = number[len("arXiv:") :]
        match = re.search(r"^arXiv: (\S+)$", item.get("note", ""), re.M)
        if match:
            got["arxiv"] = match.group(1)
        got["keywords"] = item.get("keyword", "")
        assert item["note"].startswith(f"Citation Key: {item['id']}")
        assert item["citation-key"] == item["id"]
        out[item["id"]] = got
    return out


def compare(
    records: list[Record], parsed: dict[str, dict[str, Any]], *, skip: Iterable[str] = ()
) -> tuple[int, list[str]]:
    """(number of field values compared, descriptions of the ones lost or changed)."""
    compared, lost = 0, []
    skip = set(skip)
    assert list(parsed) == [r.key for r in records], "entry order must be record order"
    for record in records:
        got = parsed[record.key]
        for name, value in expected(record).items():
            if name in skip:
                continue
            if name == "author":  # each person is one value (a list compares as many)
                found = got.get("author") or []
                for i, person in enumerate(value):
                    compared += 1
                    if i >= len(found) or found[i] != person:
                        lost.append(
                            f"{record.key}.author[{i}]: expected {person!r}, got {found[i : i + 1]!r}"
                        )
                if len(found) > len(value):
                    lost.append(
                        f"{record.key}.author: {len(found) - len(value)} extra names {found[len(value) :]!r}"
                    )
                continue
            compared += 1
            if got.get(name) != value:
                lost.append(f"{record.key}.{name}: expected {value!r}, got {got.get(name)!r}")
    return compared, lost


#: (export file, reader function name, fields that export cannot carry): how the whole-export
#: round trips (tests/test_build.py, tests/test_resolved_seed.py) read each file back.
EXPORT_READERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("mlsys.bib", "from_bibtexparser", ()),
    ("mlsys.bib", "from_pybtex", ()),
    ("mlsys-biblatex.bib", "from_bibtexparser", ()),
    ("mlsys-biblatex.bib", "from_pybtex", ()),
    ("mlsys.json", "from_citeproc_json", ("primary_class",)),  # CSL has no field for the arXiv class
]


# -- tests --------------------------------------------------------------------------------------------

READERS: list[tuple[str, Callable[[], str], Callable[[str], dict[str, dict[str, Any]]], tuple[str, ...]]] = [
    ("bibtexparser/bibtex", lambda: bibtex_text(realistic_records()), from_bibtexparser, ()),
    ("pybtex/bibtex", lambda: bibtex_text(realistic_records()), from_pybtex, ()),
    (
        "bibtexparser/bibtex-ascii",
        lambda: bibtex_text(realistic_records(), ascii=True),
        from_bibtexparser,
        (),
    ),
    ("pybtex/bibtex-ascii", lambda: bibtex_text(realistic_records(), ascii=True), from_pybtex, ()),
    ("bibtexparser/biblatex", lambda: bibtex_text(realistic_records(), biblatex=True), from_bibtexparser, ()),
    ("pybtex/biblatex", lambda: bibtex_text(realistic_records(), biblatex=True), from_pybtex, ()),
    # CSL-JSON has no field for a preprint's arXiv class: it is compared in the .bib readers only.
    (
        "citeproc-py/csl-json",
        lambda: csl_json_text(realistic_records()),
        from_citeproc_json,
        ("primary_class",),
    ),
]


@pytest.mark.parametrize(("name", "export", "reader", "skip"), READERS, ids=[r[0] for r in READERS])
def test_round_trip_loses_nothing(name, export, reader, skip, capsys):
    records = realistic_records()
    compared, lost = compare(records, reader(export()), skip=skip)
    with capsys.disabled():
        print(f"\n  round trip {name}: {compared} field values compared, {len(lost)} lost")
    assert compared > 190
    assert lost == []


def test_realistic_set_covers_every_kind_and_quirk():
    records = realistic_records()
    assert 18 <= len(records) <= 25
    assert {r.get("kind") for r in records} == set(Kind)
    persons = [p for r in records for p in r.get("author") or []]
    assert any(p.particle for p in persons) and any(p.suffix for p in persons)
    assert any(p.literal for p in persons)
    assert any(not p.family.isascii() for p in persons)
    assert any(not r.get("author") for r in records)  # list-only records
    assert any(r.get("kind") == Kind.PREPRINT and r.get("arxiv") for r in records)
    assert any(r.get("kind") != Kind.PREPRINT and r.get("arxiv") for r in records)  # published + eprint
    assert any(len(r.sections) >= 3 for r in records)


def test_compare_notices_a_lost_field():
    """The comparison itself is sharp: a dropped page range and a changed name are both caught."""
    records = realistic_records()
    text = bibtex_text(records).replace("  pages         = {521--538},\n", "", 1)
    text = text.replace("Jeong, Joo Seong", "Jeong, Joo", 1)
    _, lost = compare(records, from_bibtexparser(text))
    assert any(item.startswith("yu2022orca.pages") for item in lost)
    assert any(item.startswith("yu2022orca.author[1]") for item in lost)
