"""Hostile metadata served by loopback 'services' through the real resolve path into every export.

The exporters' own hostile tests start from hand-built records; this one starts from HTTP
responses, so the parsers (defusedxml, the JATS/HTML tokenizer), the merge policy and the
exporters are all in the path, and the real clients judge what comes out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import bibtexparser
import pytest
from werkzeug.wrappers import Response

from mlsys_bib.build import build
from mlsys_bib.config import Settings
from tests.conftest import SHARED

DATA = Path(__file__).parents[1] / "data"
SHARED_TOOLS = SHARED / "tools"

HOSTILE_TITLE = (
    r"\input{/etc/passwd} \write18{rm -rf /} Unbalanced { brace } } 100% $x^2$ # & _ ~ ^ "
    "<script>alert(1)</script> &amp;lt;b&amp;gt; \x07\x1b[31m bell"
)
HOSTILE_AUTHOR = r"Robert'); \immediate\write18{id}{"
MATHML_TITLE = (
    'Scaling <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:msup><mml:mi>n</mml:mi>'
    "<mml:mn>2</mml:mn></mml:msup></mml:math> Attention with <i>Flash</i> &amp; <script>x()</script>"
)
LIST = """# Paper List

## 1. Hostile
- [arxiv'24] [A Preprint Title](https://arxiv.org/abs/2401.00001)
- [SOSP'23] [A Published Title](https://doi.org/10.9999/hostile.1)
- [arxiv'24] [A Huge Title](https://arxiv.org/abs/2401.00002)
"""


def arxiv_feed() -> str:
    feed = (DATA / "arxiv" / "feed_template.xml").read_text(encoding="utf-8")
    template = (DATA / "arxiv" / "entry_template.xml").read_text(encoding="utf-8")
    first = template.format(
        id="2401.00001", version=1, title=escape(HOSTILE_TITLE.replace("\x07", "").replace("\x1b", ""))
    )
    first = first.replace("<name>Ada Lovelace</name>", f"<name>{escape(HOSTILE_AUTHOR)}</name>")
    huge = template.format(id="2401.00002", version=1, title="Huge " + "A" * 1_000_000)
    return feed.format(per_page=2, total=2, entries=first + huge)


def crossref_list() -> str:
    item = json.loads((DATA / "crossref" / "work_item.json").read_text(encoding="utf-8"))
    item["DOI"] = "10.9999/hostile.1"
    item["title"] = [MATHML_TITLE]
    item["subtitle"] = []
    item["author"][0]["family"] = "O'Brien \\textbf{x} <b>bold</b> %"
    item["container-title"] = ["Proc. {SOSP} \\def\\x{y} </li><li>"]
    item["page"] = "1--2}"
    envelope = json.loads((DATA / "crossref" / "worklist_envelope.json").read_text(encoding="utf-8"))
    envelope["message"]["items"] = [item]
    envelope["message"]["total-results"] = 1
    return json.dumps(envelope)


@pytest.fixture
def hostile_build(httpserver, tmp_path):
    httpserver.expect_request("/api/query").respond_with_response(
        Response(arxiv_feed(), content_type="application/atom+xml")
    )
    httpserver.expect_request("/works").respond_with_response(
        Response(crossref_list(), content_type="application/json")
    )
    httpserver.expect_request(re.compile("/search/publ/api.*")).respond_with_json({"result": {"hits": {}}})
    base = httpserver.url_for("").rstrip("/")
    settings = Settings.from_env(
        arxiv_url=base,
        crossref_url=base,
        doi_url=base,
        dblp_url=base,
        cache_path=tmp_path / "c.sqlite",
        min_interval={"arxiv": 0, "dblp": 0, "crossref": 0, "doi": 0},
        progress=False,
        retries=0,
    )
    source = tmp_path / "list.md"
    source.write_text(LIST, encoding="utf-8")
    out = tmp_path / "exports"
    result = build(source, out, settings=settings)
    return out, result


def test_hostile_values_reach_the_records(hostile_build):
    _, result = hostile_build
    by_title = {r.key: r for r in result.records}
    pre, pub, huge = result.records
    assert pre.verdict.value == "resolved" and pub.verdict.value == "resolved", by_title
    assert "\\input{/etc/passwd}" in pre.get("title")  # kept as text, made inert by the exporters
    assert "<mml:" not in pub.get("title") and "n2" in pub.get("title").replace(" ", "")
    assert "<script>" not in pub.get("title")  # markup from Crossref's JATS/HTML title is never kept
    assert len(huge.get("title")) > 100_000


def test_bibtex_is_inert(hostile_build):
    out, _ = hostile_build
    for name in ("mlsys.bib", "mlsys-biblatex.bib"):
        text = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"(?<!\\textbackslash\{\})\\(input|write18|immediate|def|textbf)\b", text), name
        assert "\x07" not in text and "\x1b" not in text
        library = bibtexparser.parse_string(text)
        assert len(library.entries) == 3 and not library.failed_blocks
        for entry in library.entries:
            for field in entry.fields:
                value = field.value
                depth = 0
                for i, ch in enumerate(value):
                    if ch in "{}" and (i == 0 or value[i - 1] != "\\"):
                        depth += 1 if ch == "{" else -1
                        assert depth >= 0, (entry.key, field.key)
                assert depth == 0, (entry.key, field.key)


def test_csl_json_keeps_text_and_html_refs_have_no_live_markup(hostile_build):
    out, _ = hostile_build
    items = json.loads((out / "mlsys.json").read_text(encoding="utf-8"))
    assert any("\\input{/etc/passwd}" in i["title"] for i in items)
    for page in (out / "refs").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower() and "<mml:" not in html and "</li><li>" not in html
        assert "<b>" not in html


@pytest.mark.skipif(
    not shutil.which("bibtex") or not (SHARED_TOOLS / "validate_exports.sh").exists(),
    reason="real clients (bibtex, biber, pandoc, node) or shared/tools not available",
)
def test_real_clients_accept_the_hostile_exports(hostile_build):
    out, _ = hostile_build
    run = subprocess.run(
        ["bash", str(SHARED_TOOLS / "validate_exports.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all 7 checks PASS" in run.stdout
