"""The site's static files (``site.css``, ``site.js``): hand-written package data, copied as is."""

from __future__ import annotations

from importlib import resources

ASSETS = ("site.css", "site.js", "favicon.svg")


def asset_bytes(name: str) -> bytes:
    """The bytes of one bundled asset."""
    return (resources.files(__package__) / "assets" / name).read_bytes()
