"""The Zotero RDF export imported by Zotero's own import translators (translation-server).

Needs a translation-server checkout with its submodules (translators, translate, utilities,
zotero-schema) and ``npm install`` done, named by ``MLSYS_BIB_ZOTERO_TRANSLATION_SERVER``; skips
with the reason otherwise. tests/data/zotero_import.js loads the server's modules in-process
(nothing listens, nothing is fetched) and runs the import as its /import endpoint does, but
also returns the collections the translator created, which /import drops.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from test_hostile_exports import all_records
from test_roundtrip import realistic_records

from mlsys_bib.build import list_report, load_list
from mlsys_bib.export.csljson import csl_item, csl_json_text
from mlsys_bib.export.zotero_rdf import record_tags, zotero_rdf_text

DRIVER = Path(__file__).parents[1] / "data" / "zotero_import.js"
SERVER = Path(os.environ.get("MLSYS_BIB_ZOTERO_TRANSLATION_SERVER", "/nonexistent"))

pytestmark = [
    pytest.mark.skipif(not shutil.which("node"), reason="node is not installed"),
    pytest.mark.skipif(
        not (SERVER / "node_modules").is_dir()
        or not (SERVER / "modules" / "translators" / "RDF.js").is_file(),
        reason="set MLSYS_BIB_ZOTERO_TRANSLATION_SERVER to a translation-server checkout with its"
        " submodules and node_modules (not installed here)",
    ),
]


def zotero_import(text: str, tmp_path: Path, name: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    run = subprocess.run(
        ["node", str(DRIVER), str(path)], cwd=SERVER, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def citation_key(item: dict[str, Any]) -> str:
    match = re.search(r"^Citation Key: (\S+)$", item.get("extra", ""), re.M)
    assert match, item
    return match.group(1)


def memberships(collections: list[dict[str, Any]], ids: dict[str, str]) -> tuple[dict[str, set[str]], int]:
    """key -> titles of the collections holding it, and the number of collections."""
    member_of: dict[str, set[str]] = defaultdict(set)
    count = 0
    stack = list(collections)
    while stack:
        node = stack.pop()
        count += 1
        for child in node["children"]:
            if "item" in child:
                member_of[ids[child["item"]]].add(node["name"])
            else:
                stack.append(child)
    return member_of, count


def test_zotero_imports_the_seed_with_the_list_structure(tmp_path):
    recordset = load_list()
    got = zotero_import(zotero_rdf_text(recordset.records), tmp_path, "mlsys-zotero.rdf")
    assert got["translator"] == "RDF"
    items = {citation_key(i): i for i in got["items"]}
    assert list(items) == [r.key for r in recordset.records]  # 874 items, one per record, in order
    ids = {i["__itemID"]: k for k, i in items.items()}
    member_of, count = memberships(got["collections"], ids)
    assert count == 34 and len(got["collections"]) == 14  # 31 sections with papers + 3 parent headings
    for record in recordset.records:
        assert member_of[record.key] == {s.label for s in record.sections}, record.key
        tags = {t["tag"] for t in items[record.key]["tags"]}
        assert tags == set(record_tags(record)), record.key
    per_collection: dict[str, int] = defaultdict(int)
    for titles in member_of.values():
        for title in titles:
            per_collection[title] += 1
    listed = {s["section"]: s["records"] for s in list_report(recordset)["sections"] if s["records"]}
    assert dict(per_collection) == listed


@pytest.mark.parametrize("records", [realistic_records, all_records], ids=["realistic", "hostile"])
def test_zotero_keeps_every_field_the_csl_json_import_keeps(tmp_path, records):
    records = records()
    rdf = {citation_key(i): i for i in zotero_import(zotero_rdf_text(records), tmp_path, "r.rdf")["items"]}
    csl = {citation_key(i): i for i in zotero_import(csl_json_text(records), tmp_path, "r.json")["items"]}
    assert list(rdf) == list(csl) == [r.key for r in records]
    ignore = {"key", "version", "tags", "__itemID", "date"}
    only_rdf: set[str] = set()
    suffixes = 0
    for record in records:
        a, b = rdf[record.key], csl[record.key]
        for creator in a.get("creators", []):  # CSL-JSON's import drops a suffix; RDF keeps "Given, Jr."
            given, comma, _ = creator.get("firstName", "").partition(", ")
            if comma:
                creator["firstName"], suffixes = given, suffixes + 1
        for name, value in b.items():
            if name not in ignore:
                assert a.get(name) == value, (record.key, name)
        only_rdf |= set(a) - set(b) - ignore
        issued = csl_item(record).get("issued", {}).get("date-parts", [[]])[0]
        if issued:
            assert a["date"] == "-".join([str(issued[0])] + [f"{p:02d}" for p in issued[1:]])
        assert {t["tag"] for t in a["tags"]} == set(record_tags(record))
        assert b["tags"] == []  # Zotero's CSL-JSON import drops keyword
    # Dropped by the CSL-JSON import, kept here: container-title-short, a report's container-title.
    assert "journalAbbreviation" in only_rdf and only_rdf <= {"journalAbbreviation", "seriesTitle"}
    assert suffixes >= 1
