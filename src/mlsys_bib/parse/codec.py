"""A parsed list as JSON and back, exactly: the same items, sections and reports, tuples still tuples,
enum members still members. For remembering a parse (see :mod:`mlsys_bib.parsememo`): JSON, never
pickle, because the cache file that holds it may be shared (a CI cache) and must not run code."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any

from ..ids import Identifier
from ..model import Link, ListItem, Section, VenueTag
from .result import LineKind, LineReport, ParsedList

__all__ = ["dumps", "loads"]

_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (ParsedList, ListItem, Section, VenueTag, Link, Identifier, LineReport)
}


def _encode(value: Any) -> Any:
    if isinstance(value, LineKind):
        return {"@k": value.value}
    if is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _TYPES.get(name) is not type(value):
            raise TypeError(f"cannot remember a {name}")
        return {"@": name, "v": [_encode(getattr(value, f.name)) for f in fields(value)]}
    if isinstance(value, tuple):
        return {"@t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"cannot remember a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "@k" in value:
            return LineKind(value["@k"])
        if "@t" in value:
            return tuple(_decode(v) for v in value["@t"])
        return _TYPES[value["@"]](*(_decode(v) for v in value["v"]))
    return value


def dumps(parsed: ParsedList) -> bytes:
    """``parsed`` as UTF-8 JSON; TypeError for anything the parser does not produce."""
    return json.dumps(_encode(parsed), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> ParsedList:
    parsed = _decode(json.loads(data.decode("utf-8")))
    if not isinstance(parsed, ParsedList):
        raise ValueError("not a parsed list")
    return parsed
