"""The command line freezes glibc's mmap threshold for the commands that hold a whole list."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from mlsys_bib.cli.allocator import fix_mmap_threshold

pytestmark = pytest.mark.unit

_GLIBC = sys.platform.startswith("linux") and (ctypes.util.find_library("c") or "").startswith("libc.so")


@pytest.mark.skipif(not _GLIBC, reason="glibc's mallopt only")
def test_glibc_takes_the_threshold() -> None:
    # in a child: the setting is process-wide and must not leak into the test run
    code = "from mlsys_bib.cli.allocator import fix_mmap_threshold as f; print(f())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_users_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert fix_mmap_threshold() is False


def test_only_the_commands_that_hold_a_list_load_it() -> None:
    code = (
        "import sys; from mlsys_bib.cli import main; main(['stats']);"
        "print('ctypes' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "False"
