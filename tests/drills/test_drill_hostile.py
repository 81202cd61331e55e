"""The hostile-list drill in its short form (bench/drills/hostile_list.py): CI runs it on every push."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DRILL = Path(__file__).resolve().parents[2] / "bench" / "drills" / "hostile_list.py"


def test_the_hostile_list_loses_nothing_and_touches_nothing_outside_out(tmp_path):
    proc = subprocess.run([sys.executable, str(DRILL), "--short", "--work", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    result = json.loads(proc.stdout)
    assert result["problems"] == [] and result["lost"] == [], result
    assert proc.returncode == 0 and result["exit"] == 0
    assert result["papers_planted"] > 100
