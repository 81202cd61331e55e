"""List text written to break things (issue 11, "nothing lost"): every case is read or reported,
names and keys stay short, warnings name ``file:line`` and no message echoes megabytes."""

from __future__ import annotations

import json

import pytest

from mlsys_bib.cli import MAX_MESSAGE, main, one_line
from mlsys_bib.keys import KEY_MAX, KeyLock, KeyLockError, base_key

pytestmark = pytest.mark.unit

PAPERS = "- [OSDI'22] Alpha: a thing.\n- [SOSP'21] Beta: b thing.\n- [NSDI'20] Gamma: c thing.\n"


def _build(tmp_path, text: bytes | str, *extra: str) -> int:
    path = tmp_path / "list.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return main(["-q", "build", "--no-resolve", "--no-refs", "--list", str(path),
                 "--out", str(tmp_path / "out"), *extra])  # fmt: skip


def test_invalid_utf8_is_reported_once_per_line_with_file_and_line(tmp_path, capsys):
    raw = b"# L\n\n## S\n\n- [OSDI'22] Alpha\xff\xfe: a thing.\n- [SOSP'21] Beta: b \xc3 thing.\n- [NSDI'20] Gamma\n"
    assert _build(tmp_path, raw) == 0
    err = capsys.readouterr().err
    path = tmp_path / "list.md"
    warned = [line for line in err.splitlines() if "invalid UTF-8" in line]
    assert warned == [
        f"mlsys-bib: warning: {path}:5: invalid UTF-8 replaced by U+FFFD: - [OSDI'22] Alpha\ufffd\ufffd: a thing.",
        f"mlsys-bib: warning: {path}:6: invalid UTF-8 replaced by U+FFFD: - [SOSP'21] Beta: b \ufffd thing.",
    ]
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [(w["file"], w["line"]) for w in report["warnings"]] == [(str(path), 5), (str(path), 6)]


def test_a_clean_list_has_no_warnings_key_in_its_report(tmp_path):
    assert _build(tmp_path, "# L\n\n## S\n\n" + PAPERS) == 0
    assert "warnings" not in json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))


def test_a_megabyte_venue_tag_is_cut_reported_and_gives_a_short_key(tmp_path, capsys):
    tag = "X" * 1_000_000 + "'22"
    assert _build(tmp_path, f"# L\n\n## S\n\n{PAPERS}- [{tag}] Delta: d thing.\n") == 0
    err = capsys.readouterr().err
    assert len(err) < 2000  # no line echoes the tag
    assert f"{tmp_path / 'list.md'}:8: venue tag of 1,000,003 characters cut to 100" in err
    bib = (tmp_path / "out" / "mlsys.bib").read_text(encoding="utf-8")
    keys = [line.split("{", 1)[1].rstrip(",") for line in bib.splitlines() if line.startswith("@")]
    assert len(keys) == 4 and max(len(k) for k in keys) <= KEY_MAX
    assert len(bib) < 20_000  # the tag did not reach the export either


def test_keys_stay_under_the_cap_whatever_the_name_and_venue():
    assert len(base_key("Averyveryverylongsystemnamethatgoesonandon: x", "V" * 50, 2024)) <= KEY_MAX
    assert base_key("Orca: Serving", "OSDI", 2022) == "orca-osdi22"  # ordinary keys unchanged
    key = base_key("Understanding and Characterizing Things", "IEEE Micro", 2025)
    assert key == "understandingcharacterizing-ieeemicro25"  # the longest in exports/: 39, unchanged


def _lock_with_two_titles_on_one_key(tmp_path):
    path = tmp_path / "keys.lock"
    path.write_text(json.dumps({"scheme": 2, "keys": {
        "title:alpha a thing": "alpha-osdi22",
        "title:beta b thing": "alpha-osdi22",  # a hand edit: was beta-sosp21
        "title:gamma c thing": "gamma-nsdi20",
    }}, indent=1) + "\n")  # fmt: skip
    return path


def test_a_lock_giving_two_papers_one_key_is_one_line_naming_both_the_key_and_the_line(tmp_path, capsys):
    path = _lock_with_two_titles_on_one_key(tmp_path)
    with pytest.raises(KeyLockError) as caught:
        KeyLock.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:5: key 'alpha-osdi22' is locked to two papers: ")
    assert "'alpha a thing' (line 4)" in message and "'beta b thing' (line 5)" in message
    # through the CLI: exit 2, one line, no traceback; also once Alpha has left the list (Beta
    # would otherwise silently take Alpha's key)
    for papers in (PAPERS, PAPERS.replace("- [OSDI'22] Alpha: a thing.\n", "")):
        assert _build(tmp_path, "# L\n\n## S\n\n" + papers, "--keys", str(path)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and "alpha-osdi22" in err


def test_a_lock_the_tool_wrote_for_a_retitled_paper_still_loads(tmp_path):
    """Two titles on one key are fine when an identifier links them (the paper was renamed)."""
    path = tmp_path / "keys.lock"
    path.write_text(json.dumps({"scheme": 2, "keys": {
        "arxiv:2312.05215": "deltazip-arxiv25",
        "title:deltazip efficient serving of multiple full model tuned llms": "deltazip-arxiv25",
        "title:deltazip multi tenant language model serving via delta compression": "deltazip-arxiv25",
    }}, indent=1) + "\n")  # fmt: skip
    assert KeyLock.load(path).entries["arxiv:2312.05215"] == "deltazip-arxiv25"


def test_an_error_line_never_echoes_megabytes(tmp_path, capsys):
    assert len(one_line("x" * 5_000_000)) == MAX_MESSAGE
    assert one_line("a\nb\x1b[31mc\td") == "a b [31mc d"  # one line, no terminal escapes
    missing = tmp_path / ("n" * 200) / ("m" * 1_000_000)
    assert main(["-q", "check", "--list", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= MAX_MESSAGE + 20
