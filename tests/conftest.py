"""Shared test fixtures: where the shared recordings and the seed live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(__import__("os").environ.get("MLSYS_BIB_SHARED", ROOT.parent / "shared"))
RECORDED = SHARED / "fixtures" / "recorded"
SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"
NEWER_LIST = SHARED / "lists" / "ml-systems-papers-2025-11-07.md"


@pytest.fixture(scope="session")
def recorded() -> Path:
    """The real recorded service responses; tests that need them skip when shared/ is absent."""
    if not RECORDED.is_dir():
        pytest.skip(f"recorded fixtures not found at {RECORDED}")
    return RECORDED


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def newer_list_path() -> Path:
    if not NEWER_LIST.is_file():
        pytest.skip(f"newer list not found at {NEWER_LIST}")
    return NEWER_LIST


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """No test ever reads or writes the user's real cache, nor reaches a real service."""
    monkeypatch.setenv("MLSYS_BIB_CACHE", str(tmp_path / "cache.sqlite"))
    for name, port in (("ARXIV", 9), ("CROSSREF", 9), ("DOI", 9), ("DBLP", 9)):
        monkeypatch.setenv(f"MLSYS_BIB_{name}_URL", f"http://127.0.0.1:{port}")
