"""The vendored CSL files stay the official bytes (their licence asks that modified copies be renamed)."""

import hashlib
import re

import pytest

from mlsys_bib.styles import CSL_DIR, CSL_LOCALE, CSL_STYLES, csl_style


def _recorded_hashes() -> dict[str, str]:
    text = (CSL_DIR / "SOURCE.md").read_text()
    return dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", text, re.M))


def test_every_vendored_file_matches_its_recorded_hash():
    hashes = _recorded_hashes()
    files = [CSL_DIR / f for f in CSL_STYLES.values()] + [CSL_LOCALE]
    assert sorted(hashes) == sorted(f.name for f in files)
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() == hashes[f.name], f.name


def test_every_style_carries_its_licence():
    for name in CSL_STYLES:
        assert "creativecommons.org/licenses/by-sa/3.0" in csl_style(name).read_text()


def test_unknown_style_names_the_choices():
    with pytest.raises(ValueError, match="apa, acm, ieee|acm, apa, ieee"):
        csl_style("chicago")
