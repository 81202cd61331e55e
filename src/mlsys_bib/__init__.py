"""mlsys_bib: the ML systems paper list as a bibliography people can cite.

>>> import mlsys_bib
>>> bib = mlsys_bib.load()            # the bundled list, list data only
>>> [r.key for r in bib.find("vLLM")]
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Bibliography, load  # noqa: E402
from .build import build  # noqa: E402
from .model import Kind, Person, Record, Section, VenueTag, Verdict  # noqa: E402

__all__ = ["Bibliography", "Kind", "Person", "Record", "Section", "VenueTag", "Verdict", "build", "load",
           "__version__"]
