"""``mlsys-bib``: build, resolve, check, stats, status, verify.

Exit codes: 0 success; 1 the list has errors (``check``) or a build step failed; 2 bad usage
or unreadable input; 130 interrupted. Errors are one line on stderr naming the file, line or
identifier; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .config import SERVICES, Settings
from .version import __version__


def _settings(args: argparse.Namespace) -> Settings:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlsys-bib", description=__doc__.split("\n")[0])
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


def _sources(args: argparse.Namespace) -> object:
    """What the pipeline reads: None (the bundled list), one location, or several lists."""
    if getattr(args, "lists", None):
        from .lists import sources_from_toml

        return sources_from_toml(args.lists) + list(args.source or [])
    if not args.source:
        return None
    return args.source[0] if len(args.source) == 1 else list(args.source)


#: An error or warning line is cut here: list text (a megabyte heading, a hostile tag) must never
#: flood a terminal or a CI log; report.json keeps the detail.
MAX_MESSAGE = 300


def one_line(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` on one line, whitespace and control characters folded, at most ``limit`` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in message[: limit * 4]).split())
    if len(message) > limit * 4 or len(text) > limit:
        return text[: limit - 1] + "\u2026"
    return text


def _err(message: str) -> None:
    print(f"mlsys-bib: {one_line(message)}", file=sys.stderr)


def _collapsed(lines: Sequence[str]) -> list[str]:
    """Repeats of one message (a line of 50 empty bullets) as one line ending in `` (xN)``.

    The message is cut before the count is added, so the count survives :func:`one_line`'s cap."""
    out: list[str] = []
    for line, n in Counter(lines).items():
        if n == 1:
            out.append(line)
        else:
            suffix = f" (x{n})"
            out.append(one_line(line, MAX_MESSAGE - len(suffix) - len("mlsys-bib: ")) + suffix)
    return out


def _warning_lines(rep: dict[str, object]) -> list[str]:
    """``file:line: reason: text`` for each warning the list gave (damaged bytes, cut tags)."""
    return [
        f"{w['file'] or w.get('list') or 'list'}:{w['line']}: {w['reason']}"
        + (f": {str(w['text'])[:100]}" if w.get("text") else "")
        for w in rep.get("warnings", [])  # type: ignore[union-attr]
    ]


def cmd_build(args: argparse.Namespace) -> int:
    from .build import DEFAULT_STYLES, build

    settings = _settings(args)
    result = build(
        _sources(args),
        args.out,
        settings=settings,
        resolve=not args.no_resolve,
        styles=tuple(args.styles or DEFAULT_STYLES),
        ascii=args.ascii,
        refs=not args.no_refs,
        lock_path=Path(args.keys) if args.keys else None,
        allow_shrink=args.allow_shrink,
        site=not args.no_site,
    )
    rep = result.report
    unparsed = [
        f"{u['list'] + ': ' if u.get('list') else ''}line {u['line']}: not understood ({u['reason']}): "
        f"{u['text'][:100]}"
        for u in rep["unparsed"]
    ]
    for line in _collapsed(unparsed):
        _err(line)
    for line in _warning_lines(rep):
        _err(f"warning: {line}")
    print(
        f"{rep['items']} items -> {rep['records']} records ({rep['merges']} merged), "
        f"{rep['continuation_lines']} continuation lines, {len(rep['notes'])} notes, "
        f"{len(rep['unparsed'])} unparsed, {len(rep['unknown_tags'])} unknown tags, "
        f"{len(rep['conflicts'])} conflicts"
    )
    verdicts = rep.get("verdicts", {})
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
    published_line = _published_since_listed((rep.get("resolve") or {}).get("published_since_listed") or [])
    if published_line:
        print(published_line)
    if result.resolve_report is not None:
        requests = getattr(result.resolve_report, "requests", {})
        print("requests: " + (", ".join(f"{k} {v}" for k, v in sorted(requests.items()) if v) or "none"))
        unresolved = sum(v for k, v in verdicts.items() if k != "resolved")
        down = getattr(result.resolve_report, "unreachable", [])
        if settings.offline or getattr(result.resolve_report, "offline", False):
            print(f"offline: built from cache and list data; {unresolved} records not fully resolved")
        elif down:
            print(
                "; ".join(service_problems(result.resolve_report))
                + f": built from cache and list data; {unresolved} records not fully resolved, "
                + "retried next run"
            )
        elif unresolved:
            print(f"{unresolved} records not fully resolved (see {args.out}/report.json; retried next run)")
    print(f"wrote {', '.join(str(f) for f in result.files)}")
    refs = rep.get("refs") or {}
    failures = refs.get("failures", []) if isinstance(refs, dict) else []
    for f in failures:
        _err(f"style {f.get('style')}: entry {f.get('key')}: {f.get('error')}")
    return 0


def service_problems(report: object) -> list[str]:
    """What kept services from answering this run, one line per cause: the unreachable ones
    together, each walled one (DBLP's bot page: HTTP 200 with HTML) on its own, and throttling."""
    why: dict[str, str] = getattr(report, "why", {}) or {}
    down = list(getattr(report, "unreachable", []) or [])
    walled = [s for s in down if why.get(s, "").startswith("walled")]
    lines = [f"{s} walled: {why[s].removeprefix('walled: ')}; not used, retried next run" for s in walled]
    unreachable = [s for s in down if s not in walled]
    if unreachable:
        lines.append(f"network unreachable ({', '.join(unreachable)})")
    throttled = getattr(report, "throttled", {}) or {}
    if throttled:
        counts = ", ".join(f"{k} {v}" for k, v in throttled.items())
        lines.append(f"throttled: {counts} (spacing widened)")
    return lines


def cmd_resolve(args: argparse.Namespace) -> int:
    from .build import load_list
    from .resolve import resolve_records

    settings = _settings(args)
    recordset = load_list(_sources(args), settings=settings)
    report = resolve_records(recordset.records, settings)
    print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import list_report, load_list

    recordset = load_list(_sources(args), allow_empty=True)
    rep = list_report(recordset)
    errors = _collapsed([
        f"{u['list'] + ': ' if u.get('list') else ''}line {u['line']}: {u['reason']}: {u['text'][:120]}"
        for u in rep["unparsed"]
    ])
    per_list = recordset.list_reports or [{"source": rep["list"], "items": rep["items"]}]
    empty = [f"{r['source']}: no papers found: a build would fail" for r in per_list if not r["items"]]
    errors += empty
    # the summary counts what is wrong (one per unparsed bullet, as report.json does), not lines shown
    n_errors = len(rep["unparsed"]) + len(empty)
    warnings = _warning_lines(rep) + [
        f"lines {', '.join(map(str, t['lines'][:20]))}: unknown venue tag [{t['tag'][:100]}]"
        for t in rep["unknown_tags"]
    ]
    warnings += [
        f"lines {', '.join(map(str, c['lines']))}: {c['key']}: {c['conflict']}" for c in rep["conflicts"]
    ]
    notes = [
        f"line {n['line']}: note attached to line {n['attached_to']}: {n['text'][:80]}" for n in rep["notes"]
    ]
    if args.json:
        print(
            json.dumps({"errors": errors, "warnings": warnings, "notes": notes}, indent=1, ensure_ascii=False)
        )
    else:
        for e in errors:
            print(f"error: {one_line(e)}", file=sys.stderr)
        for w in warnings:
            print(f"warning: {one_line(w)}", file=sys.stderr)
        for n in notes:
            print(f"note: {one_line(n)}", file=sys.stderr)
        sys.stderr.flush()  # the summary must not run into the last warning on a shared terminal
        print(
            f"{rep['items']} items, {rep['records']} records, {rep['merges']} merged; "
            f"{n_errors} errors, {len(warnings)} warnings, {len(notes)} notes"
        )
    return 1 if errors else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from .build import list_report, load_list

    recordset = load_list(_sources(args))
    rep = list_report(recordset)
    venues = Counter(r.tag.venue if r.tag else "(none)" for r in recordset.records)
    years = Counter(str(r.get("year") or "(none)") for r in recordset.records)
    ids = Counter(i.kind for r in recordset.records for i in {x.kind: x for x in r.identifiers}.values())
    out = {
        "items": rep["items"],
        "records": rep["records"],
        "merges": rep["merges"],
        "survey_items": rep["survey_items"],
        "sections_with_items": rep["sections_with_items"],
        "sections": rep["sections"],
        "venues": dict(venues.most_common()),
        "years": dict(sorted(years.items())),
        "identifiers": dict(ids.most_common()),
        "records_without_identifier": sum(1 for r in recordset.records if not r.identifiers),
    }
    try:  # what the last build found out (stats itself reads only the list)
        built = json.loads((Path(args.out) / "report.json").read_text(encoding="utf-8"))
        rows = (built.get("resolve") or {}).get("published_since_listed") or []
        out["published_since_listed"] = len(rows)
        published_line = _published_since_listed(rows)
    except (OSError, ValueError, AttributeError):
        published_line = ""
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print(
        f"{out['items']} items, {out['records']} records, {out['merges']} merged, "
        f"{out['survey_items']} survey items, {out['sections_with_items']} sections with papers"
    )
    for s in rep["sections"]:
        print(f"  {s['items']:4d} items {s['records']:4d} records  {s['section']}")
    print(
        "identifiers: "
        + ", ".join(f"{k} {v}" for k, v in out["identifiers"].items())
        + f", none {out['records_without_identifier']}"
    )
    print("top venues: " + ", ".join(f"{k} {v}" for k, v in venues.most_common(15)))
    if published_line:
        print(published_line + f" (last build in {args.out})")
    return 0


_VARYING = re.compile(r"'[^']*'|\S*\d\S*")  # quoted titles and tokens with ids, paths, years or URLs
_SERVICE_PART = re.compile(r"(?:^|;\s*)(arxiv|crossref|doi|dblp): ")
#: words of a lookup's detail → the cause it names (first match wins); data, so a new message is one row
_ERROR_WORDS: tuple[tuple[str, str], ...] = (
    ("unreachable", "unreachable"),
    ("connection error", "unreachable"),
    ("timed out", "timed out"),
    ("not the format asked", "walled (answered with another format)"),
    ("bot", "walled (answered with another format)"),
    ("HTTP 429", "throttled"),
    ("HTTP 5", "server error"),
    ("HTTP 4", "client error"),
    ("not found", "not found"),
    ("no match", "no match"),
    ("ambiguous", "ambiguous"),
)


def _cause(detail: str) -> str:
    """What a verdict's detail says once the per-record parts are dropped, so 873 offline failures read
    as the three causes they are (one per service) instead of 873 lines."""
    starts = [(m.start(), m.end(), m.group(1)) for m in _SERVICE_PART.finditer(detail)]
    causes: list[str] = []
    for i, (_, end, service) in enumerate(starts):
        part = detail[end : starts[i + 1][0] if i + 1 < len(starts) else len(detail)]
        kind = next((k for words, k in _ERROR_WORDS if words in part), None)
        causes.append(f"{service} {kind}" if kind else f"{service}: {_blank(part)}")
    return " + ".join(dict.fromkeys(causes)) or _blank(detail) or "(no detail)"


def _blank(text: str) -> str:
    return " ".join(_VARYING.sub("…", text.split(" (", 1)[0]).split())[:100]


def cmd_serve(args: argparse.Namespace) -> int:
    from .export.site.serve import serve

    return serve(Path(args.out), args.port)


def _published_since_listed(rows: list[dict[str, object]]) -> str:
    """One line for build, status and stats: how many papers the list still tags as preprints (or
    at the wrong venue) are cited as published, with three examples (old tag -> venue)."""
    if not rows:
        return ""
    shown = ", ".join(f"{r['key']} ({r.get('tag') or 'untagged'} -> {r.get('venue')})" for r in rows[:3])
    return f"published since listed: {len(rows)} — e.g. {shown}"


def cmd_status(args: argparse.Namespace) -> int:
    path = Path(args.out) / "report.json"
    try:
        rep = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _err(f"cannot read {path}: {exc} (run `mlsys-bib build` first)")
        return 2
    print(f"{rep['records']} records: " + ", ".join(f"{k} {v}" for k, v in rep.get("verdicts", {}).items()))
    resolve = rep.get("resolve") or {}
    published_line = _published_since_listed(resolve.get("published_since_listed") or [])
    if published_line:
        print("  " + published_line)
    doubtful = resolve.get("published_ambiguous") or []
    if doubtful:
        print(f"  published version not used (ambiguous): {len(doubtful)} — e.g. {doubtful[0]['key']}: "
              f"{doubtful[0].get('reason', '')}")  # fmt: skip
    for verdict in ("failed", "ambiguous", "partial", "not_found"):
        rows = resolve.get(verdict, [])
        label = verdict.replace("_", " ")
        if args.verbose:
            for row in rows:
                print(f"  {label}: {row.get('key')}: {row.get('detail') or row.get('reason') or ''}")
            continue
        groups: dict[str, list[str]] = {}
        for row in rows:
            cause = _cause(row.get("detail") or row.get("reason") or "")
            groups.setdefault(cause, []).append(str(row.get("key")))
        for cause, keys in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            more = f", … ({len(keys) - 3} more)" if len(keys) > 3 else ""
            print(f"  {label} {len(keys)}: {cause} — e.g. {', '.join(keys[:3])}{more}")
    if not args.verbose and any(resolve.get(v) for v in ("failed", "ambiguous", "partial", "not_found")):
        print("  (one line per cause; --verbose lists every record with its full detail)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 nothing wrong, 1 findings, 2 bad input (unreadable file)."""
    from .verification import verify
    from .verification.text_report import render_text

    settings = _settings(args)
    if not Path(args.bib).is_file():
        _err(f"{args.bib}: no such file")
        return 2
    try:
        report = verify(args.bib, source=_sources(args), settings=settings, online=args.online, fix=args.fix)
    except UnicodeDecodeError as exc:
        _err(f"{args.bib}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
    else:
        print(render_text(report))
    if args.fix:
        print(f"wrote {args.fix}", file=sys.stderr)
    return report.exit_code


COMMANDS = {
    "build": cmd_build,
    "serve": cmd_serve,
    "resolve": cmd_resolve,
    "check": cmd_check,
    "stats": cmd_stats,
    "status": cmd_status,
    "verify": cmd_verify,
}


class _Terminated(BaseException):
    """SIGTERM or SIGHUP: unwound like Ctrl-C (cache transactions roll back, temporaries go)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    raise _Terminated(signum)


def _install_signal_handlers() -> None:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # handlers can only be set from the main thread (mlsys_bib.cli.main in a test)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_signal)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _install_signal_handlers()
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _err("interrupted; the cache and the exports are intact (rerun to continue)")
        return 130
    except _Terminated as stop:
        import signal

        name = signal.Signals(stop.signum).name
        _err(f"stopped by {name}; the cache and the exports are intact (rerun to continue)")
        sys.stdout.flush()
        sys.stderr.flush()
        # A worker thread may sit in a socket read for up to the timeout; whoever sent the signal
        # wants the process gone now. The build has unwound (exports are replaced atomically,
        # SQLite rolls back an open transaction), so nothing is left half-written.
        os._exit(128 + stop.signum)
    except BrokenPipeError:
        # `mlsys-bib stats | head`: the reader left; say nothing more, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        _err(str(exc))
        lists, build = sys.modules.get("mlsys_bib.lists"), sys.modules.get("mlsys_bib.build")
        refused = tuple(getattr(m, n) for m, n in ((lists, "EmptyListError"), (build, "ShrinkError")) if m)
        return 1 if isinstance(exc, refused) else 2


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors that end a command with one line: OSError, ValueError and, when the cache or
    HTTP module was loaded at all, its CacheError or ServiceError. Looked up, not imported:
    ``check``, ``stats`` and ``status`` never open the cache, and ``--help`` should not pay for
    SQLite and requests."""
    cache = sys.modules.get("mlsys_bib.net.cache")
    http = sys.modules.get("mlsys_bib.net.http")  # e.g. `check --list URL` that cannot be fetched
    loaded = [m for m in ((cache, "CacheError"), (http, "ServiceError")) if m[0] is not None]
    return (OSError, ValueError, *(getattr(module, name) for module, name in loaded))


if __name__ == "__main__":
    sys.exit(main())
