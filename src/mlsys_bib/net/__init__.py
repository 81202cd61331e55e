"""Shared network plumbing: the polite HTTP client and the SQLite response cache.

The client is four modules: ``http`` (the retry loop, what callers use), ``pacing`` (how fast each
service may be asked), ``transport`` (one request, read whole within bounds) and ``response`` (the
answer, its errors, its JSON). No policy about *what* to ask lives here (which service, what a
reply means): that is ``sources/`` and ``resolve/``.
"""
