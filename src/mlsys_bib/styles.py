"""Where the vendored CSL styles live.

The official APA, IEEE and ACM styles ship inside the package (see data/csl/SOURCE.md) so that a fresh
install renders and tests the same styles users pick in pandoc or Zotero, with nothing beside the clone.
"""

from __future__ import annotations

from pathlib import Path

CSL_DIR = Path(__file__).resolve().parent / "data" / "csl"

#: short name → file name of each vendored style
CSL_STYLES: dict[str, str] = {
    "apa": "apa.csl",
    "ieee": "ieee.csl",
    "acm": "association-for-computing-machinery.csl",
}
CSL_LOCALE = CSL_DIR / "locales-en-US.xml"


def csl_style(name: str) -> Path:
    """The vendored style file for a short name (apa, ieee, acm)."""
    try:
        return CSL_DIR / CSL_STYLES[name]
    except KeyError:
        raise ValueError(f"no vendored CSL style {name!r}; have {', '.join(sorted(CSL_STYLES))}") from None
