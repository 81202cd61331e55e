"""Shared network plumbing: the polite HTTP client and the SQLite response cache.

No policy lives here (which service to ask, what a reply means): that is ``sources/`` and ``resolve/``.
"""
