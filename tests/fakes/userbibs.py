"""User bibliographies with planted mistakes, for the verifier's tests and its precision/recall benchmark.

Entries are written the way real tools write them (Google Scholar, DBLP incl. CoRR preprints, the
ACM DL export, hand-made), from curated records; each entry carries the findings it *should* get:
the planted mistake plus what its style implies (Scholar gives no DOI, a CoRR entry cites the
preprint). Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mlsys_bib.export.mapping import TYPES, record_kind
from mlsys_bib.model import Kind, Person, Record
from mlsys_bib.verification.curated import Curated
from mlsys_bib.verification.findings import FindingKind as K

STYLES = ("scholar", "dblp", "acm", "handmade")
_OTHER_VENUE = {"OSDI": "NSDI", "NSDI": "OSDI", "SOSP": "EuroSys", "EuroSys": "ASPLOS", "ASPLOS": "ISCA",
                "ISCA": "MICRO", "MICRO": "HPCA", "HPCA": "ISCA", "ATC": "FAST", "FAST": "ATC", "SC": "PPoPP",
                "PPoPP": "SC", "MLSys": "NeurIPS", "NeurIPS": "ICML", "ICML": "ICLR", "ICLR": "NeurIPS",
                "SIGCOMM": "NSDI", "VLDB": "SIGMOD", "SIGMOD": "VLDB", "SoCC": "EuroSys"}


@dataclass
class Planted:
    key: str
    text: str
    record_key: str  # "" for an invented entry
    expected: set[K] = field(default_factory=set)


def _bib_name(p: Person) -> str:
    family = f"{p.particle} {p.family}".strip() if p.particle else p.family
    if p.literal:
        return "{" + p.literal + "}"
    return f"{family}, {p.given}" if p.given else family


def _entry(etype: str, key: str, fields: list[tuple[str, str]]) -> str:
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@{etype}{{{key},\n{body}\n}}\n"


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _misspell(name: str, rng: random.Random) -> str:
    j = rng.randrange(1, len(name) - 2)
    swapped = name[:j] + name[j + 1] + name[j] + name[j + 2:]
    return swapped if swapped != name else name[:-1] + ("a" if name[-1] != "a" else "e")


def usable(record: Record) -> bool:
    c = Curated.of(record)
    return bool(c.authors) and c.year is not None and bool(c.title) and all(
        (p.family or p.literal) for p in c.authors)


def make_entry(record: Record, n: int, rng: random.Random, *, others: list[Record], defect_rate: float = 0.5,
               style: str | None = None) -> Planted:
    c = Curated.of(record)
    style = style or rng.choice(STYLES)
    if style == "acm" and not c.doi.startswith("10.1145/"):
        style = "dblp"
    key = f"e{n}"
    authors = list(c.authors)
    title, year = c.title, c.year
    venue_text = c.container or c.venue
    etype = TYPES[c.kind].bibtex
    doi = c.doi
    expected: set[K] = set()
    truncated = False
    preprint = False

    defects = [K.YEAR, K.TITLE_TYPO, K.AUTHORS_MISSPELT, K.AUTHORS_MISSING, K.AUTHORS_EXTRA,
               K.AUTHORS_TRUNCATED, K.TYPE, K.VENUE, K.DOI_DIFFERENT, K.PREPRINT_PUBLISHED]
    defect = rng.choice(defects) if rng.random() < defect_rate else None
    if defect is K.YEAR:
        year = year + rng.choice((-2, -1, 1))
    elif defect is K.TITLE_TYPO:
        new = _typo(title, rng)
        defect = defect if new != title else None
        title = new
    elif defect is K.AUTHORS_MISSPELT:
        i = rng.randrange(len(authors))
        p = authors[i]
        if len(p.family) >= 5 and not p.literal:
            authors[i] = Person(family=_misspell(p.family, rng), given=p.given, particle=p.particle)
        else:
            defect = None
    elif defect is K.AUTHORS_MISSING:
        if len(authors) >= 3:
            authors.pop(rng.randrange(1, len(authors)))
        else:
            defect = None
    elif defect is K.AUTHORS_EXTRA:
        authors.insert(rng.randrange(len(authors) + 1), Person(family="Quillfeather", given="Ophelia"))
    elif defect is K.AUTHORS_TRUNCATED:
        if len(authors) >= 4:
            authors, truncated = authors[:2], True
        else:
            defect = None
    elif defect is K.TYPE:
        if etype in ("inproceedings", "article"):
            etype = "article" if etype == "inproceedings" else "inproceedings"
        else:
            defect = None
    elif defect is K.VENUE:
        other = _OTHER_VENUE.get(c.venue)
        if other and c.published:
            venue_text = f"{other} '{(year or 0) % 100:02d}"
        else:
            defect = None
    elif defect is K.DOI_DIFFERENT:
        pool = [o for o in others if Curated.of(o).doi and o.key != record.key]
        if c.doi and pool and style in ("dblp", "acm"):
            doi = Curated.of(rng.choice(pool)).doi
        else:
            defect = None
    elif defect is K.PREPRINT_PUBLISHED:
        if c.published and c.arxiv:
            preprint = True
        else:
            defect = None
    if defect is not None:
        expected.add(defect)

    names = " and ".join(_bib_name(p) for p in authors) + (" and others" if truncated else "")
    if style == "handmade" and not truncated:
        names = " and ".join("{" + p.literal + "}" if p.literal else p.display() for p in authors)
    fields: list[tuple[str, str]]
    if preprint:
        if style == "dblp":
            etype = "article"
            fields = [("author", names), ("title", title), ("journal", "CoRR"), ("volume", f"abs/{c.arxiv}"),
                      ("year", str(year)), ("eprint", c.arxiv), ("eprinttype", "arXiv")]
        else:
            etype = "misc"
            fields = [("author", names), ("title", title), ("howpublished", f"arXiv preprint arXiv:{c.arxiv}"),
                      ("year", str(year))]
    else:
        venue_field = {"article": "journal", "inproceedings": "booktitle", "incollection": "booktitle",
                       "techreport": "institution"}.get(etype, "howpublished")
        fields = [("author", names), ("title", title), (venue_field, venue_text), ("year", str(year))]
        pages = str(record.get("pages") or "")
        if style == "scholar":
            fields.append(("pages", pages.replace("-", "--") if "--" not in pages else pages))
            if c.doi:
                expected.add(K.DOI_MISSING)
        elif style == "handmade":
            if c.doi:
                expected.add(K.DOI_MISSING)
        elif style == "dblp":
            fields += [("pages", pages), ("doi", doi), ("url", f"https://doi.org/{doi}" if doi else "")]
        elif style == "acm":
            fields += [("publisher", "Association for Computing Machinery"), ("address", "New York, NY, USA"),
                       ("url", f"https://doi.org/{doi}"), ("doi", doi), ("pages", pages),
                       ("numpages", "16"), ("location", "Somewhere"), ("series", f"{c.venue} '{year % 100:02d}")]
    if not preprint and c.doi and style in ("dblp", "acm") and not doi:
        expected.add(K.DOI_MISSING)
    if record_kind(record) is Kind.PREPRINT:
        expected.discard(K.TYPE) if etype == "misc" else None
    return Planted(key, _entry(etype, key, fields), record.key, expected)


def invented(n: int, rng: random.Random) -> Planted:
    """An entry for a paper that does not exist (the "writing assistant" case): not in the set."""
    words = ["Adaptive", "Elastic", "Speculative", "Federated", "Quantum", "Serverless", "Holistic", "Tiered"]
    nouns = ["Gradient Routing", "Tensor Fabric", "Kernel Weaving", "Token Shuffling", "Cache Braiding"]
    title = f"{rng.choice(words)} {rng.choice(nouns)} for {rng.choice(['Exascale', 'Edge', 'Planet-Scale'])} Models"
    text = _entry("inproceedings", f"e{n}", [("author", "Doe, Jane and Roe, Richard"), ("title", title),
                                            ("booktitle", "OSDI"), ("year", "2024")])
    return Planted(f"e{n}", text, "", set())


def corpus(records: list[Record], size: int, *, seed: int = 0, defect_rate: float = 0.5,
           invented_rate: float = 0.05) -> list[Planted]:
    rng = random.Random(seed)
    pool = [r for r in records if usable(r)]
    out = []
    for n in range(size):
        if rng.random() < invented_rate:
            out.append(invented(n, rng))
        else:
            out.append(make_entry(rng.choice(pool), n, rng, others=pool, defect_rate=defect_rate))
    return out


def score(planted: list[Planted], report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Precision and recall of the report's findings against what was planted (per entry and kind)."""
    expected = {(p.key, k) for p in planted for k in p.expected}
    found = {(e.key, f.kind) for e in report.entries for f in e.findings}
    tp = len(expected & found)
    wrong_match = sum(1 for p, e in zip(planted, report.entries, strict=False)
                      if p.record_key and e.record_key and e.record_key != p.record_key)
    return {
        "entries": len(planted), "planted": len(expected), "found": len(found), "true_positives": tp,
        "precision": tp / len(found) if found else 1.0, "recall": tp / len(expected) if expected else 1.0,
        "false_positives": sorted(found - expected, key=str)[:20],
        "missed": sorted(expected - found, key=str)[:20], "wrong_matches": wrong_match,
    }
