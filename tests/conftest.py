"""Shared test fixtures: where the shared recordings and the seed live, and loopback clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsys_bib.config import Settings
from mlsys_bib.net.cache import Cache
from mlsys_bib.net.http import HttpClient

ROOT = Path(__file__).resolve().parent.parent  # tests/ -> the checkout
SHARED = Path(__import__("os").environ.get("MLSYS_BIB_SHARED", ROOT.parent / "shared"))
RECORDED = SHARED / "fixtures" / "recorded"
SEED = ROOT / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"
NEWER_LIST = SHARED / "lists" / "ml-systems-papers-2025-11-07.md"


UNIT = ROOT / "tests" / "unit"


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    """Mark every test under tests/unit ``unit``: ``python -m pytest -m unit`` is the fast lane."""
    for item in items:
        if UNIT in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.unit)


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


# -- clients against a pytest-httpserver loopback server ------------------------------------------

#: No politeness spacing between requests to any service.
ZERO_INTERVAL = {"arxiv": 0.0, "dblp": 0.0, "crossref": 0.0, "doi": 0.0}


def loopback_settings(url: str, cache_path: Path, **kw) -> Settings:  # type: ignore[no-untyped-def]
    """Settings with every service URL at ``url`` (a loopback server) and no spacing unless ``kw`` says."""
    base = url.rstrip("/")
    kw.setdefault("min_interval", ZERO_INTERVAL)
    return Settings(
        arxiv_url=base, crossref_url=base, doi_url=base, dblp_url=base, cache_path=cache_path, **kw
    )


class ClientEnv:
    """Client + cache + settings wired to the loopback server, with no-op sleeping.

    Subclasses name the service client in ``client_class``.
    """

    client_class: type

    def __init__(self, httpserver, tmp_path: Path, **kw) -> None:  # type: ignore[no-untyped-def]
        kw.setdefault("retries", 1)
        kw.setdefault("timeout", 5.0)
        self.settings = loopback_settings(httpserver.url_for("/"), tmp_path / "cache.sqlite", **kw)
        self.waits: list[float] = []
        self.cache = Cache(self.settings.cache_path)
        self.client = self.again()

    def again(self, **changes):  # type: ignore[no-untyped-def]
        """A fresh client on the same cache (a second run), optionally with other settings."""
        settings = self.settings.with_(**changes) if changes else self.settings
        self.http = HttpClient(settings, sleep=self.waits.append, jitter=lambda: 0.5)  # no jitter: exact waits
        return self.client_class(self.http, self.cache, settings)


def recorded_entry(recorded: Path, service: str, name: str) -> dict:
    """The index.json entry describing the recording ``recorded/<service>/<name>``."""
    index = json.loads((recorded / service / "index.json").read_text())
    return next(e for e in index if e["file"] == name)


def serve_recorded(httpserver, recorded: Path, service: str, name: str, path: str, **reply) -> None:  # type: ignore[no-untyped-def]
    """Serve the recorded body ``recorded/<service>/<name>`` at ``path``.

    Status, content type and the ``x-`` headers come from the recording's index.json entry;
    keyword arguments (``status``, ``content_type``, ``headers``) replace them.
    """
    meta = recorded_entry(recorded, service, name)
    reply.setdefault("status", meta["status"])
    reply.setdefault("content_type", meta["content_type"])
    reply.setdefault("headers", {k: v for k, v in meta.get("headers", {}).items() if k.startswith("x-")})
    httpserver.expect_request(path).respond_with_data((recorded / service / name).read_bytes(), **reply)
