"""keys.lock is written entry by entry (a 100x list has 175,000 identities); the bytes must stay
exactly those of ``json.dumps(indent=1, ensure_ascii=False)`` of the sorted lock, as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsys_bib.keys import KeyLock

CASES = [
    ({}, {}),
    ({"a": "b"}, {}),
    ({"title:\u00e9t\u00e9 x": "k1", "doi:10.1/x": 'k"2', "arxiv:1": "\U0001f50d", "z\\y": "q\n"}, {"old": "new"}),
    ({f"title:{i:05d}": f"key{i}" for i in range(2000)}, {"b": "a", "a": "b"}),
]


@pytest.mark.parametrize("scheme", [1, 2])
@pytest.mark.parametrize("entries,renamed", CASES)
def test_the_lock_file_is_the_json_it_always_was(tmp_path: Path, entries, renamed, scheme: int) -> None:  # type: ignore[no-untyped-def]
    lock = KeyLock(dict(entries), tmp_path / "keys.lock", scheme=scheme, renamed=dict(renamed))
    lock.save()
    data: dict[str, object] = {"scheme": scheme, "keys": dict(sorted(entries.items()))}
    if renamed:
        data["renamed"] = dict(sorted(renamed.items()))
    assert (tmp_path / "keys.lock").read_bytes() == (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()
    again = KeyLock.load(tmp_path / "keys.lock")
    assert again.entries == entries and again.renamed == renamed and again.scheme == scheme
