"""Remembered parses (``check``/``stats`` of an unchanged list): exactly the parse, never a stale one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlsys_bib import parsememo
from mlsys_bib.lists import bundled_list_path
from mlsys_bib.net.cache import Cache
from mlsys_bib.parse import codec
from mlsys_bib.parse.shape import parse_any

ROOT = Path(__file__).resolve().parents[2]
SEED = bundled_list_path().read_text(encoding="utf-8")
TABLE = "# L\n\n## Papers\n\n| Venue | Title | Link |\n|---|---|---|\n| OSDI 2020 | A system | [paper](https://a.org) |\n"


def _hostile() -> str:
    sys.path.insert(0, str(ROOT / "bench" / "drills"))
    try:
        from hostile_list import hostile_list
    finally:
        sys.path.remove(str(ROOT / "bench" / "drills"))
    return hostile_list(2000)[0].decode("utf-8", errors="replace")


@pytest.mark.parametrize("which", ["seed", "hostile", "table"])
def test_a_parse_survives_json_exactly(which: str) -> None:
    text = {"seed": SEED, "table": TABLE}.get(which) or _hostile()
    parsed = parse_any(text)
    again = codec.loads(codec.dumps(parsed))
    assert repr(again) == repr(parsed)
    assert isinstance(again.items, list) and isinstance(again.items[0].links, tuple)


def _cache(tmp_path: Path) -> Path:
    path = tmp_path / "cache.sqlite"
    Cache(path).close()
    return path


def test_the_second_read_of_an_unchanged_list_is_not_parsed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _cache(tmp_path)
    first = parsememo.parse_remembered(SEED, "seed", path)
    monkeypatch.setattr(parsememo, "parse_any", lambda text, name: pytest.fail("parsed again"))
    assert repr(parsememo.parse_remembered(SEED, "seed", path)) == repr(first) == repr(parse_any(SEED))


def test_an_edited_list_or_changed_code_is_parsed_again(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _cache(tmp_path)
    parsememo.parse_remembered(SEED, "seed", path)
    edited = SEED.replace("Gandiva", "Gandivo", 1)
    assert repr(parsememo.parse_remembered(edited, "seed", path)) == repr(parse_any(edited))
    calls = []
    monkeypatch.setattr(parsememo, "code_fingerprint", lambda: "another parser")
    monkeypatch.setattr(parsememo, "parse_any", lambda text, name: calls.append(1) or parse_any(text))
    parsememo.parse_remembered(SEED, "seed", path)
    assert calls == [1]


def test_no_cache_file_is_created_and_a_damaged_entry_is_replaced(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "cache.sqlite"
    assert repr(parsememo.parse_remembered(TABLE, "t", missing)) == repr(parse_any(TABLE))
    assert not missing.parent.exists()
    path = _cache(tmp_path)
    parsememo.parse_remembered(TABLE, "t", path)
    with Cache(path) as cache:
        (key,) = [row[0] for row in cache._db.execute("SELECT key FROM entries WHERE namespace = ?",
                                                          (parsememo.NAMESPACE,))]  # fmt: skip
        cache._db.execute("UPDATE entries SET body = ? WHERE key = ?", (b"{not json", key))
        cache._db.commit()
    assert repr(parsememo.parse_remembered(TABLE, "t", path)) == repr(parse_any(TABLE))
    with Cache(path) as cache:
        assert codec.loads(cache.get(parsememo.NAMESPACE, key).body).items  # stored again, readable


def test_only_the_latest_parses_are_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _cache(tmp_path)
    monkeypatch.setattr(parsememo, "KEEP", 3)
    for n in range(6):
        parsememo.parse_remembered(TABLE + f"\n<!-- {n} -->\n", "t", path)
    with Cache(path) as cache:
        assert cache.count(parsememo.NAMESPACE) == 3
