"""What each command loads: a command that asks no service never imports requests and urllib3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

_PROBE = """
import sys
from mlsys_bib.cli import main
code = main(sys.argv[1:])
print(sorted(m for m in ("requests", "urllib3", "markdown_it") if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def _loaded(tmp_path: Path, *args: str) -> str:
    env = {"MLSYS_BIB_CACHE": str(tmp_path / "cache.sqlite"), "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME")})
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stderr.strip().splitlines()[-1]


def test_an_offline_build_without_answers_loads_no_http_library(tmp_path: Path) -> None:
    # the newcomer's first build: no network, an empty cache, every record from the list
    loaded = _loaded(tmp_path, "-q", "build", "--offline", "--no-refs", "--out", str(tmp_path / "out"))
    assert loaded == "['markdown_it']"


def test_stats_loads_neither_http_nor_markdown_when_the_parse_is_remembered(tmp_path: Path) -> None:
    from mlsys_bib.net.cache import Cache

    Cache(tmp_path / "cache.sqlite").close()  # a parse is remembered only in a cache that exists
    _loaded(tmp_path, "stats")  # the first run parses and remembers
    assert _loaded(tmp_path, "stats") == "[]"


def test_a_client_that_may_ask_loads_requests_in_the_thread_that_makes_it() -> None:
    # worker threads importing requests at their first request raced each other and the merge's
    # requests.utils into a half-initialised module (ImportError in the kill drill's rerun)
    code = (
        "import sys\n"
        "from mlsys_bib.config import Settings\n"
        "from mlsys_bib.net.http import HttpClient\n"
        "HttpClient(Settings.from_env({}, offline=True))\n"
        "print('requests' in sys.modules, end=' ')\n"
        "HttpClient(Settings.from_env({}))\n"
        "print('requests' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False True"
