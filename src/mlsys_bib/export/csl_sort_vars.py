"""The CSL variables a style's bibliography sort reads: what the order-only pandoc run needs.

Why: past :data:`.citeproc_runs.PARTITION_MIN` entries a sorted style's (APA, ACM) order comes
from one pandoc run of the style reduced to its sort (:func:`.citeproc_runs.order_only`). That run
orders every entry at once, and pandoc parses and holds every field it is given: at 100x the seed
(87,400 entries) it was the largest process of the build. Its order depends only on the sort keys
(pandoc's citeproc evaluates each ``<key>`` per item and sorts stably in the items' order), so it
needs only the variables those keys can read; the rendering runs still get whole items.

What counts as read (conservative: anything that might be read is kept), from the style's XML:

* ``<key variable="...">`` of the bibliography's ``<sort>``, and everything its ``<key macro="...">``
  reaches, macros called from macros included: every ``variable`` attribute of any element (text,
  number, label, date, names and the names a ``<substitute>`` falls back to, conditions) and the
  variables of ``is-numeric`` and ``is-uncertain-date`` conditions;
* for each such variable its short form (``form="short"`` reads ``title-short`` before ``title``)
  and the aliases pandoc reads into it (``journalAbbreviation``, ``shortTitle`` ->
  ``container-title-short``); ``page-first`` is computed from ``page``; ``editortranslator`` is
  ``editor`` and ``translator``;
* always: ``id`` (the answer's key), ``type`` (type conditions, and what pandoc needs of an item),
  ``language`` (title case applies to English items only) and ``note`` (pandoc reads
  ``key: value`` lines of a note as variables; the renderer's items carry none).

Whole items are given (``None``) when a key reads ``citation-label`` (made from every name
variable and the date) or the style cannot be read. Keys are compared case-folded, as pandoc's
variable names are case-insensitive.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CSL_NS = "{http://purl.org/net/xbiblio/csl}"

#: Read by pandoc for every item, whatever the sort.
ALWAYS = frozenset({"id", "type", "language", "note"})
#: Attributes whose value is a space-separated list of variable names.
_VARIABLE_ATTRS = ("variable", "is-numeric", "is-uncertain-date")
#: Variables a key may read that stand for others (pandoc's citeproc: ``askVariable``,
#: ``parseReference``, ``eLabel``, ``eNames``).
_ALSO = {
    "page-first": ("page", "pages"),
    "editortranslator": ("editor", "translator"),
    "container-title-short": ("journalabbreviation", "shorttitle"),
    "citation-key": ("id",),
}
#: Variables made from many others: the sort is given whole items.
_WHOLE = frozenset({"citation-label"})


@functools.lru_cache(maxsize=16)
def sort_variables(style: Path) -> frozenset[str] | None:
    """The (case-folded) item keys the bibliography's ``<sort>`` of ``style`` can read, or None
    for "give whole items" (see the module's docstring); for a style without a bibliography sort,
    :data:`ALWAYS` (its order is the citation order)."""
    try:
        root = ET.parse(style).getroot()
    except (OSError, ET.ParseError):
        return None
    macros = {m.get("name"): m for m in root.findall(f"{CSL_NS}macro")}
    read: set[str] = set()
    seen: set[str] = set()

    def walk(node: ET.Element) -> bool:
        for element in node.iter():
            for attr in _VARIABLE_ATTRS:
                read.update(element.get(attr, "").split())
            name = element.get("macro")
            if name is not None and name not in seen:
                seen.add(name)
                if name not in macros or not walk(macros[name]):
                    return False
        return True

    sort = root.find(f"{CSL_NS}bibliography/{CSL_NS}sort")
    if sort is not None and not walk(sort):
        return None
    if read & _WHOLE:
        return None
    out = set(ALWAYS)
    for variable in read:
        variable = variable.casefold()
        out.update((variable, f"{variable}-short", *_ALSO.get(variable, ())))
    if "container-title-short" in out:
        out.update(_ALSO["container-title-short"])
    return frozenset(out)


def project(items: Sequence[dict[str, Any]], style: Path) -> Sequence[dict[str, Any]]:
    """``items`` with only the keys :func:`sort_variables` keeps (new dicts, values shared), or
    ``items`` themselves when no item has a key it drops."""
    keep = sort_variables(style)
    if keep is None:
        return items
    keys: set[str] = set()
    for item in items:
        keys.update(item)
    dropped = {k for k in keys if k.casefold() not in keep}
    if not dropped:
        return items
    return [{k: v for k, v in item.items() if k not in dropped} for item in items]
