"""``mlsys-bib serve``: a local preview of ``OUT/site/`` on the loopback interface only.

The output directory is served (not just ``site/``) so the page's whole-list download links
(``../mlsys.bib``) work as they do on a static host that publishes the exports.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def make_server(out: Path, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server of ``out`` bound to 127.0.0.1 (never to every interface)."""
    handler = functools.partial(_QuietHandler, directory=str(out))
    return ThreadingHTTPServer((HOST, port), handler)


def serve(out: Path, port: int = 8000) -> int:
    """Serve until interrupted; 2 when there is no site to serve."""
    if not (out / "site" / "index.html").is_file():
        print(f"mlsys-bib: no site in {out} (run `mlsys-bib build --out {out}` first)", file=sys.stderr)
        return 2
    try:
        server = make_server(out, port)
    except OSError as exc:
        print(f"mlsys-bib: cannot listen on {HOST}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with server:
        print(f"serving http://{HOST}:{server.server_address[1]}/site/ (Ctrl+C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
