"""Run-time settings: service endpoints, politeness, cache location, offline/refresh switches.

One frozen value is built once (defaults < environment < command-line overrides) and handed to
every client, so a test or a benchmark can point the whole resolver at a loopback server by
changing URLs, and nothing reads the environment behind the caller's back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .version import __version__

#: Services a user may restrict a run to with ``--only``.
SERVICES: frozenset[str] = frozenset({"arxiv", "doi", "dblp"})
#: Seconds between two requests to one service. arXiv asks for 3 s; DBLP throttles bursts.
DEFAULT_MIN_INTERVAL: Mapping[str, float] = MappingProxyType(
    {"arxiv": 3.0, "dblp": 1.0, "dblp-sparql": 1.0, "crossref": 0.0, "doi": 0.0}
)
HOMEPAGE = "https://github.com/mlsys-bib/mlsys_bib"

_ENV_STR = {
    "arxiv_url": "MLSYS_BIB_ARXIV_URL",
    "crossref_url": "MLSYS_BIB_CROSSREF_URL",
    "doi_url": "MLSYS_BIB_DOI_URL",
    "dblp_url": "MLSYS_BIB_DBLP_URL",
    "dblp_sparql_url": "MLSYS_BIB_DBLP_SPARQL_URL",
    "mailto": "MLSYS_BIB_MAILTO",
}


def as_of_year() -> int:
    """The year a build describes: ``SOURCE_DATE_EPOCH``'s (the reproducible-builds convention, so a
    pinned build says the same thing on any day), else the current UTC year. Used to tell a "to
    appear" whose venue year is over (the conference was held) from one still ahead."""
    import time

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        return time.gmtime(int(epoch)).tm_year if epoch else time.gmtime().tm_year
    except (ValueError, OverflowError):
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r}: not a Unix time") from None


def _default_cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mlsys-bib")) / "cache.sqlite"


def parse_min_interval(text: str) -> dict[str, float]:
    """Parse ``"arxiv=0,dblp=0.5"``; raises ValueError naming the bad part."""
    result: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"bad min-interval item {part!r} (expected SERVICE=SECONDS)")
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"bad min-interval seconds in {part!r}") from None
        if seconds < 0:
            raise ValueError(f"negative min-interval in {part!r}")
        result[name.strip().lower()] = seconds
    return result


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the resolvers need to know about the outside world.

    URLs are base URLs without a trailing slash; each client appends its own path
    (``/api/query``, ``/works``, ``/{doi}``, ``/search/publ/api``).
    """

    arxiv_url: str = "https://export.arxiv.org"
    crossref_url: str = "https://api.crossref.org"
    doi_url: str = "https://doi.org"
    dblp_url: str = "https://dblp.org"
    #: DBLP's SPARQL endpoint's base; "" = derived from ``dblp_url`` (``sparql.dblp.org`` for the
    #: real DBLP, the same server otherwise, so pointing DBLP at a mirror or a test server moves
    #: both); ``none`` = no SPARQL endpoint (a mirror without one): the search API does it all.
    dblp_sparql_url: str = ""
    cache_path: Path = field(default_factory=_default_cache_path)
    mailto: str = ""
    offline: bool = False
    refresh: bool = False
    only: frozenset[str] | None = None
    timeout: float = 30.0
    retries: int = 4
    # hash=False: a mapping is not hashable, and Settings is otherwise a plain value.
    min_interval: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_INTERVAL), hash=False)
    negative_ttl_days: float = 7.0
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("arxiv_url", "crossref_url", "doi_url", "dblp_url", "dblp_sparql_url"):
            object.__setattr__(self, name, str(getattr(self, name)).rstrip("/"))
        if not self.dblp_sparql_url:
            derived = "https://sparql.dblp.org" if self.dblp_url == "https://dblp.org" else self.dblp_url
            object.__setattr__(self, "dblp_sparql_url", derived)
        object.__setattr__(self, "cache_path", Path(self.cache_path))
        merged = dict(DEFAULT_MIN_INTERVAL)
        merged.update({k: float(v) for k, v in dict(self.min_interval).items()})
        object.__setattr__(self, "min_interval", MappingProxyType(merged))
        if self.only is not None:
            only = frozenset(s.lower() for s in self.only)
            unknown = only - SERVICES
            if unknown:
                raise ValueError(f"unknown service(s) {sorted(unknown)}; choose from {sorted(SERVICES)}")
            object.__setattr__(self, "only", only)
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")

    def __reduce__(self) -> tuple[type[Settings], tuple[object, ...]]:
        # MappingProxyType does not pickle; rebuild from plain values (worker processes).
        values = [getattr(self, f.name) for f in fields(self)]
        values[[f.name for f in fields(self)].index("min_interval")] = dict(self.min_interval)
        return (type(self), tuple(values))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``MLSYS_BIB_*`` variables, then ``overrides`` (CLI options; None = unset).

        Besides the variables of the contract, ``MLSYS_BIB_OFFLINE``, ``MLSYS_BIB_TIMEOUT`` and
        ``MLSYS_BIB_RETRIES`` are honoured, so CI can run fully offline without flags.
        ``min_interval`` from the environment or overrides is merged over the defaults
        service by service, so ``arxiv=0`` leaves DBLP's spacing alone.
        """
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        for name, var in _ENV_STR.items():
            if env.get(var):
                kwargs[name] = env[var]
        if env.get("MLSYS_BIB_CACHE"):
            kwargs["cache_path"] = Path(env["MLSYS_BIB_CACHE"]).expanduser()
        if env.get("MLSYS_BIB_OFFLINE"):
            kwargs["offline"] = _bool(env["MLSYS_BIB_OFFLINE"])
        if env.get("MLSYS_BIB_TIMEOUT"):
            kwargs["timeout"] = float(env["MLSYS_BIB_TIMEOUT"])
        if env.get("MLSYS_BIB_RETRIES"):
            kwargs["retries"] = int(env["MLSYS_BIB_RETRIES"])
        interval = dict(DEFAULT_MIN_INTERVAL)
        if env.get("MLSYS_BIB_MIN_INTERVAL"):
            interval.update(parse_min_interval(env["MLSYS_BIB_MIN_INTERVAL"]))
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise TypeError(f"unknown setting {name!r}")
            if value is None:
                continue
            if name == "min_interval":
                interval.update(parse_min_interval(value) if isinstance(value, str) else dict(value))
            elif name == "only" and isinstance(value, Iterable) and not isinstance(value, str):
                kwargs[name] = frozenset(value)
            elif name == "only":
                kwargs[name] = frozenset(s for s in str(value).split(",") if s)
            else:
                kwargs[name] = value
        kwargs["min_interval"] = interval
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``dataclasses.replace`` with validation)."""
        return replace(self, **changes)

    @property
    def sparql(self) -> bool:
        """Whether DBLP's SPARQL endpoint is to be used (``--dblp-sparql-url none`` turns it off)."""
        return self.dblp_sparql_url.lower() != "none"

    def interval(self, service: str) -> float:
        """The configured minimum spacing for ``service`` in seconds (0 for unknown services)."""
        return float(self.min_interval.get(service, 0.0))

    def user_agent(self) -> str:
        """The User-Agent every request carries: services ask for a way to contact the operator."""
        contact = f"+{HOMEPAGE}"
        if self.mailto:
            contact += f"; mailto:{self.mailto}"
        return f"mlsys-bib/{__version__} ({contact})"
