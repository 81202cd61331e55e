"""`mlsys-bib status` reads as causes, not as one line per record (issue 11: 873 lines offline)."""

import json

from mlsys_bib.cli import main
from mlsys_bib.cli.status import cause_of

UNREACHABLE = "connection error: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /q?id={}"


def _report(tmp_path, rows):
    out = tmp_path / "out"
    out.mkdir()
    report = {"records": len(rows), "verdicts": {"failed": len(rows)}, "resolve": {"failed": rows}}
    (out / "report.json").write_text(json.dumps(report))
    return out


def test_cause_blanks_what_differs_per_record():
    a = cause_of(f"arxiv: arxiv: {UNREACHABLE.format('2401.00001')}")
    b = cause_of(f"arxiv: arxiv: {UNREACHABLE.format('2312.99999')}")
    assert a == b == "arxiv unreachable"
    both = cause_of(f"arxiv: {UNREACHABLE.format(1)}; dblp: DBLP TOC db/conf/sosp/sosp2023.bht: unreachable earlier")
    assert both == "arxiv unreachable + dblp unreachable"
    assert cause_of("dblp: DBLP search 'some title 2024': HTTP 429 after 5 attempt(s)") == "dblp throttled"
    # an unknown message keeps its words, with quoted titles and ids blanked
    assert cause_of("dblp: DBLP search 'a title': odd reply 17") == "dblp: DBLP search …: odd reply …"


def test_status_prints_one_line_per_cause_with_three_examples(tmp_path, capsys):
    rows = [
        {"key": f"paper{i}-osdi22", "reason": f"arxiv: arxiv: {UNREACHABLE.format(i)}"} for i in range(40)
    ] + [{"key": "other-sosp23", "reason": "crossref: crossref: HTTP 503 after 5 attempt(s)"}]
    out = _report(tmp_path, rows)
    assert main(["status", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "  failed 40: arxiv unreachable — e.g. paper0-osdi22, paper1-osdi22, paper2-osdi22, … (37 more)"
    assert lines[2] == "  failed 1: crossref server error — e.g. other-sosp23"
    assert len(lines) == 4  # header, two causes, the hint about --verbose


def test_status_verbose_lists_every_record(tmp_path, capsys):
    rows = [{"key": f"p{i}", "reason": f"arxiv: {UNREACHABLE.format(i)}"} for i in range(5)]
    out = _report(tmp_path, rows)
    assert main(["status", "--out", str(out), "--verbose"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6


def test_status_names_the_preprints_published_since_listed(tmp_path, capsys):
    out = _report(tmp_path, [])
    report = json.loads((out / "report.json").read_text())
    report["resolve"]["published_since_listed"] = [
        {"key": "nanoflow-arxiv24", "tag": "arxiv'24", "venue": "OSDI 2025", "via": "title"}
    ]
    (out / "report.json").write_text(json.dumps(report))
    assert main(["status", "--out", str(out)]) == 0
    assert "published since listed: 1 — e.g. nanoflow-arxiv24 (arxiv'24 -> OSDI 2025)" in capsys.readouterr().out
