"""The command line's grammar: every command and option, and the settings and list sources they
name. Only argparse and the settings here, so ``--help`` starts no SQLite, no requests."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import SERVICES, Settings
from ..version import __version__

if TYPE_CHECKING:  # lists.py loads the parser: not for --help
    from ..lists import ListSpec

#: The first line of the program's description.
DESCRIPTION = "``mlsys-bib``: build, resolve, check, stats, status, verify."


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        "arxiv_url": args.arxiv_url,
        "crossref_url": args.crossref_url,
        "doi_url": args.doi_url,
        "dblp_url": args.dblp_url,
        "dblp_sparql_url": args.dblp_sparql_url,
        "cache_path": Path(args.cache) if args.cache else None,
        "mailto": args.mailto,
        "offline": True if getattr(args, "offline", False) else None,
        "refresh": True if getattr(args, "refresh", False) else None,
        "only": frozenset(args.only) if getattr(args, "only", None) else None,
        "progress": False if args.quiet else None,
    }
    return Settings.from_env(**overrides)


def _add_service_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("services (defaults: the real services, or MLSYS_BIB_* environment)")
    g.add_argument("--arxiv-url", help="arXiv API base URL [MLSYS_BIB_ARXIV_URL]")
    g.add_argument("--crossref-url", help="Crossref REST base URL [MLSYS_BIB_CROSSREF_URL]")
    g.add_argument("--doi-url", help="doi.org base URL [MLSYS_BIB_DOI_URL]")
    g.add_argument("--dblp-url", help="DBLP base URL [MLSYS_BIB_DBLP_URL]")
    g.add_argument(
        "--dblp-sparql-url",
        help="DBLP SPARQL base URL; default follows --dblp-url [MLSYS_BIB_DBLP_SPARQL_URL]",
    )
    g.add_argument("--cache", help="cache file (SQLite) [MLSYS_BIB_CACHE]")
    g.add_argument("--mailto", help="contact address for the polite pools [MLSYS_BIB_MAILTO]")
    g.add_argument("--offline", action="store_true", help="never touch the network; use cache and list data")
    g.add_argument("--refresh", action="store_true", help="refetch even what the cache has")
    g.add_argument(
        "--only", action="append", choices=sorted(SERVICES), help="resolve with these services only"
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlsys-bib", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"mlsys-bib {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True)

    def list_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--list", dest="source", action="append",
            help="list to read: a path or an http(s) URL (default: bundled); repeat to merge several lists",
        )
        p.add_argument("--lists", metavar="LISTS.toml", help="the lists to merge, with section prefixes")

    b = sub.add_parser("build", help="parse, resolve and write every export")
    list_option(b)
    b.add_argument("--out", default="exports", help="output directory (default: exports)")
    b.add_argument("--no-resolve", action="store_true", help="list data only: no cache, no network")
    b.add_argument(
        "--style", action="append", dest="styles", help="CSL style for reference lists (apa, ieee, acm)"
    )
    b.add_argument("--no-refs", action="store_true", help="skip the formatted reference lists")
    b.add_argument("--no-site", action="store_true", help="skip OUT/site/, the browsable page")
    b.add_argument("--allow-shrink", action="store_true",
                   help="replace exports even when the list lost most of the last build's records")
    b.add_argument("--ascii", action="store_true", help="write LaTeX accents instead of UTF-8 in .bib files")
    b.add_argument("--keys", help="key lock file (default: OUT/keys.lock)")
    _add_service_options(b)

    r = sub.add_parser("resolve", help="fetch metadata into the cache; print verdicts")
    list_option(r)
    _add_service_options(r)

    c = sub.add_parser("check", help="lint a list: unparsed lines, duplicates, unknown tags")
    list_option(c)
    c.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("stats", help="counts per section, venue and year")
    list_option(s)
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default="exports", help="where a build's report.json is read from [exports]")

    v = sub.add_parser("verify", help="check a paper's .bib against the curated set (offline)")
    v.add_argument("bib", help="the .bib file to check (BibTeX or biblatex; never modified)")
    list_option(v)
    v.add_argument("--json", action="store_true", help="machine-readable report")
    v.add_argument("--fix", metavar="OUT.bib", help="write a corrected copy (keys and other fields kept)")
    v.add_argument("--online", action="store_true", help="look up entries outside the curated set")
    _add_service_options(v)

    sv = sub.add_parser("serve", help="preview OUT/site/ on http://127.0.0.1 (loopback only)")
    sv.add_argument("--out", default="exports", help="the build's output directory (default: exports)")
    sv.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: any)")

    st = sub.add_parser("status", help="verdicts of the last build (reads OUT/report.json)")
    st.add_argument("--out", default="exports")
    st.add_argument("--verbose", "-v", action="store_true", help="every record with its full detail")
    return parser


def sources_of(args: argparse.Namespace) -> ListSpec:
    """What the pipeline reads: None (the bundled list), one location, or several lists."""
    if getattr(args, "lists", None):
        from ..lists import sources_from_toml

        return sources_from_toml(args.lists) + list(args.source or [])
    if not args.source:
        return None
    return args.source[0] if len(args.source) == 1 else list(args.source)
