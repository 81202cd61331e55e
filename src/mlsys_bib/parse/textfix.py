"""Repair mojibake in list text.

ftfy's general heuristic misses short Central-European mojibake such as ``ÎĽ-Serve`` (the
UTF-8 bytes of ``μ`` read as cp1250), because ``ÎĽ`` is plausible Czech/Polish text. We
first let ftfy fix what it is sure of, then try ftfy's own sloppy single-byte codecs on any
run of non-ASCII characters, keeping a re-decoding only when it is valid UTF-8 and shorter:
legitimate accented text almost never re-encodes to valid multi-byte UTF-8.
"""

from __future__ import annotations

import re

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)

_ENCODINGS = ("sloppy-windows-1252", "sloppy-windows-1250", "latin-1")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def _redecode(run: str) -> str:
    for encoding in _ENCODINGS:
        try:
            fixed = run.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(fixed) < len(run):
            return fixed
    return run


def _nothing_to_fix(text: str) -> bool:
    """Printable ASCII without ``&``: no mojibake, control character, line break or HTML entity
    that ftfy could change (it returns such text as it is), so it need not be asked. Most of a
    list's lines are such text, and ftfy takes a tenth of a millisecond a line."""
    return text.isascii() and text.isprintable() and "&" not in text


def fix_text(text: str) -> str:
    """ftfy's ``fix_text`` with its defaults, skipping text it leaves unchanged."""
    return text if _nothing_to_fix(text) else ftfy.fix_text(text)


def repair(text: str) -> str:
    """Return ``text`` with mojibake undone and nothing else changed."""
    if _nothing_to_fix(text):
        return text
    fixed = ftfy.fix_text(text, normalization="NFC")
    return _NON_ASCII_RUN.sub(lambda m: _redecode(m.group(0)), fixed)
