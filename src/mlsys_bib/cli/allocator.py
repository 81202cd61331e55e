"""Keep glibc's malloc from holding on to memory a long build has freed.

glibc serves allocations over its mmap threshold (128 KiB) with their own mappings, returned to the
kernel when freed, but every such free raises the threshold to the freed size (up to 32 MiB). A build
frees a few large blocks early (the list's text, its hash input), after which every large array of
the resolve step (dict tables, lists of records, JSON answers) lands in the heap instead, where a
freed block stays part of the process. Fixing the threshold at its default keeps large blocks
mapped and returned; measured on a list 100 times the seed, this lowers the build's peak RSS by
about 12-23 MB and costs no measurable time (bench/RESULTS.md).

Only the command line sets it: the process is its own. A library caller's process (``import
mlsys_bib``) keeps the allocator it has. A user's ``MALLOC_MMAP_THRESHOLD_`` wins.
"""

from __future__ import annotations

import os
import sys

#: mallopt's parameter number for the mmap threshold (malloc.h: ``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3
#: glibc's own default threshold, kept instead of grown.
DEFAULT_THRESHOLD = 128 * 1024


def fix_mmap_threshold(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Freeze glibc's mmap threshold; False (nothing done) on other C libraries or platforms."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
