"""mlsys_bib: the ML systems paper list as a bibliography people can cite.

>>> import mlsys_bib
>>> bib = mlsys_bib.load()            # the bundled list, list data only
>>> [r.key for r in bib.find("vLLM")]

The public names are imported on first use (PEP 562): ``import mlsys_bib.cli`` for ``--help``
or ``check`` then does not pay for the exporters, requests and SQLite.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .version import __version__

#: public name -> the module that defines it
_EXPORTS = {
    "Bibliography": "api", "load": "api", "build": "build",
    "Kind": "model", "Person": "model", "Record": "model", "Section": "model", "VenueTag": "model",
    "Verdict": "model", "verify": "verification",
}  # fmt: skip

__all__ = [
    "Bibliography", "Kind", "Person", "Record", "Section", "VenueTag", "Verdict",
    "__version__", "build", "load", "verify",
]

if TYPE_CHECKING:
    from .api import Bibliography, load
    from .build import build
    from .model import Kind, Person, Record, Section, VenueTag, Verdict
    from .verification import verify


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
