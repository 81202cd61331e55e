"""mlsys_bib: the ML systems paper list as a bibliography people can cite."""

from __future__ import annotations

__version__ = "0.1.0"
