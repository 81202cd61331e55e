"""The CSL variables a style's bibliography sort reads: what the order-only pandoc run needs.

Why: past :data:`.citeproc_runs.PARTITION_MIN` entries a sorted style's (APA, ACM) order comes
from one pandoc run of the style reduced to its sort (:func:`.citeproc_runs.order_only`). That run
orders every entry at once, and pandoc parses and holds every field it is given: at 100x the seed
(87,400 entries) it was the largest process of the build. Its order depends only on the sort keys
(pandoc's citeproc evaluates each ``<key>`` per item and sorts stably in the items' order; the
citation sort does not touch it), so it needs only what those keys can read; the rendering runs
still get whole items.

What counts as read (conservative: anything that might be read is kept), from the style's XML:

* ``<key variable="...">`` of the bibliography's ``<sort>``, and everything its ``<key macro="...">``
  reaches, macros called from macros included: every ``variable`` attribute below it (text,
  number, label, date, names, the names and texts a ``<substitute>`` falls back to, conditions)
  and the variables of ``is-numeric`` and ``is-uncertain-date`` conditions;
* for each its short form (``form="short"`` reads ``title-short`` before ``title``) and what pandoc
  reads into it (``journalAbbreviation``, ``shortTitle`` -> ``container-title-short``); ``page-first``
  is computed from ``page``; ``editortranslator`` is ``editor`` and ``translator``;
* always: ``id`` (the answer's key), ``type``, ``language`` (title case applies to English items
  only) and ``note`` (pandoc reads a note's ``key: value`` lines as variables).

Per item (:func:`project`), what its type and its fields rule out is not followed: a ``<choose>``
branch whose condition is false for every item of that type and those fields (a ``type`` not the
item's, a ``variable`` the item lacks), branches after one that is surely true, and a
``<substitute>`` when the ``<names>`` has a name with a family or literal name (pandoc substitutes
only when every variable of the ``<names>`` is empty), or past its first such fallback. A variable
only tested for (``<if variable=...>``), never printed, is given as ``"x"`` when its value is plain
non-empty text: the test reads only whether it is empty. An item with a ``note`` (which may set any
variable, its type too) is read as if any branch could be taken.

Whole items are given (``None``) when a key reads ``citation-label`` (made from every name
variable and the date) or the style cannot be read. Keys are compared case-folded, as pandoc's
variable names are case-insensitive.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .citeproc_runs import CSL_NS

#: Read by pandoc for every item, whatever the sort.
ALWAYS = frozenset({"id", "type", "language", "note"})
#: Variables a key may read that stand for others (pandoc's citeproc: ``askVariable``,
#: ``parseReference``, ``eLabel``, ``eNames``).
_ALSO = {
    "page-first": ("page", "pages"),
    "editortranslator": ("editor", "translator"),
    "container-title-short": ("journalabbreviation", "shorttitle"),
    "citation-key": ("id",),
}
#: Variables pandoc sets itself or computes: a condition on them is never known here.
_MADE = frozenset({
    "citation-number", "citation-label", "citation-key", "year-suffix", "locator",
    "first-reference-note-number", "page-first", "id", "type",
})  # fmt: skip
#: Variables made from many others: the sort is given whole items.
_WHOLE = frozenset({"citation-label"})
#: Text pandoc surely reads as non-empty (no markup, a visible character).
_PLAIN = re.compile(r"[^<>&]*[^\W_][^<>&]*")

Facts = tuple[str | None, frozenset[str] | None, frozenset[str]]


@functools.lru_cache(maxsize=16)
def _style(style: Path) -> tuple[dict[str, ET.Element], ET.Element | None] | None:
    try:
        root = ET.parse(style).getroot()
    except (OSError, ET.ParseError):
        return None
    macros = {str(m.get("name")): m for m in root.findall(f"{CSL_NS}macro")}
    return macros, root.find(f"{CSL_NS}bibliography/{CSL_NS}sort")


class _Walk:
    """What the sort reads of an item of type ``kind`` (None: any) with the fields ``present``
    (case-folded keys; None: any), ``named`` the name variables with a family or literal name."""

    def __init__(self, macros: dict[str, ET.Element], facts: Facts) -> None:
        self.macros, (self.kind, self.present, self.named) = macros, facts
        self.valued: set[str] = set()  # values read
        self.tested: set[str] = set()  # only whether empty
        self.calling: list[str] = []  # macros being walked (walked again at each call: what a
        # substitute empties depends on where the macro is called)
        self.whole = False
        self.substituting = 0
        self.substituted: set[str] = set()  # used in a substitute: empty to pandoc from then on

    def named_now(self, variables: Any) -> bool:
        return bool((self.named - self.substituted).intersection(variables))

    def maybe(self, variable: str) -> bool:
        if self.present is None or variable in _MADE or variable in self.present:
            return True
        return any(alias in self.present for alias in _ALSO.get(variable, ()))

    def truth(self, branch: ET.Element) -> bool | None:
        """The branch's condition for such items: True, False or None (not known)."""
        tests: list[bool | None] = []
        for attr in ("variable", "is-numeric", "is-uncertain-date"):
            for variable in branch.get(attr, "").split():
                (self.tested if attr == "variable" else self.valued).add(variable.casefold())
                tests.append(None if self.maybe(variable.casefold()) else False)
        if branch.get("type") is not None:
            tests.append(None if self.kind is None else self.kind in branch.get("type", "").split())
        if (
            any(branch.get(a) is not None for a in ("locator", "position"))
            or branch.get("disambiguate") == "true"
        ):
            tests.append(None)
        match = branch.get("match", "all")
        if match == "any":
            return True if True in tests else (False if all(t is False for t in tests) else None)
        if match == "none":
            return False if True in tests else (True if all(t is False for t in tests) else None)
        return False if False in tests else (True if all(t is True for t in tests) else None)

    def walk(self, node: ET.Element) -> None:
        tag = node.tag.replace(CSL_NS, "")
        if tag == "choose":  # pandoc takes the if, then the else-ifs, then the else
            for branch in [c for t in ("if", "else-if", "else") for c in node.findall(CSL_NS + t)]:
                truth = self.truth(branch)
                if truth is not False:
                    for child in branch:
                        self.walk(child)
                if truth is True:
                    break
            return
        variables = [v.casefold() for v in node.get("variable", "").split()]
        self.valued.update(variables)
        if self.substituting:
            self.substituted.update(variables)
        name = node.get("macro")
        if name is not None and name not in self.calling:
            if name in self.macros:
                self.calling.append(name)
                self.walk(self.macros[name])
                self.calling.pop()
            else:
                self.whole = True
        for child in node:
            if child.tag != CSL_NS + "substitute":
                self.walk(child)
            elif not self.named_now(variables):
                self.substituting += 1
                for fallback in child:
                    named = self.named_now(v.casefold() for v in fallback.get("variable", "").split())
                    self.walk(fallback)
                    if fallback.tag == CSL_NS + "names" and named:
                        break
                self.substituting -= 1


@functools.lru_cache(maxsize=4096)
def reads(
    style: Path, facts: Facts = (None, None, frozenset())
) -> tuple[frozenset[str], frozenset[str]] | None:
    """``(keep, tested_only)``: the case-folded item keys the bibliography's ``<sort>`` can read of
    an item with these facts (see :func:`_facts`; by default any item), and those of them it only
    tests for emptiness; None for "give whole items" (see the module's docstring). A style without
    a bibliography sort reads :data:`ALWAYS` (its order is the citation order)."""
    parsed = _style(style)
    if parsed is None:
        return None
    macros, sort = parsed
    walk = _Walk(macros, facts)
    if sort is not None:
        walk.walk(sort)
    if walk.whole or (walk.valued | walk.tested) & _WHOLE:
        return None
    valued: set[str] = set(ALWAYS)
    for variable in walk.valued:
        valued.update((variable, f"{variable}-short", *_ALSO.get(variable, ())))
    tested = walk.tested - valued
    aliases = {a for v in walk.valued | walk.tested for a in _ALSO.get(v, ())}
    keep = valued | tested | aliases
    if "container-title-short" in keep:
        keep.update(_ALSO["container-title-short"])
        aliases.update(_ALSO["container-title-short"])
    return frozenset(keep), frozenset(tested - aliases - _MADE)


def sort_variables(style: Path) -> frozenset[str] | None:
    """The (case-folded) item keys the bibliography's sort of ``style`` can read of any item."""
    found = reads(style)
    return None if found is None else found[0]


def _facts(item: dict[str, Any]) -> Facts:
    """What decides which branches the sort may take for ``item``: its type, its keys, its name
    variables that hold a name with a family or literal part (each only when unambiguous)."""
    folded = [k.casefold() for k in item]
    if "note" in folded:  # its "key: value" lines may set any variable
        return None, None, frozenset()
    kinds = [v for k, v in item.items() if k.casefold() == "type"]
    kind = kinds[0] if len(kinds) == 1 and isinstance(kinds[0], str) else None
    named = {
        key
        for key, value in zip(folded, item.values(), strict=True)
        if folded.count(key) == 1
        and isinstance(value, list)
        and any(
            isinstance(n, dict)
            and any(isinstance(n.get(p), str) and _PLAIN.fullmatch(n[p]) for p in ("family", "literal"))
            for n in value
        )
    }
    return kind, frozenset(folded), frozenset(named)


def project(items: Sequence[dict[str, Any]], style: Path) -> Sequence[dict[str, Any]]:
    """``items`` with only what the sort can read of each (new dicts, values shared; a value only
    tested for emptiness given as ``"x"``), or ``items`` themselves when the sort is not modelled."""
    if reads(style) is None:
        return items
    out = []
    for item in items:
        facts = _facts(item)
        found = reads(style, facts)
        if found is None:
            return items
        keep, tested = found if facts[1] is not None else (found[0], frozenset())  # a note: as given
        folded = [k.casefold() for k in item]
        projected = {}
        for key, fold, value in zip(item, folded, item.values(), strict=True):
            if fold not in keep:
                continue
            if (
                fold in tested
                and folded.count(fold) == 1
                and isinstance(value, str)
                and _PLAIN.fullmatch(value)
            ):
                value = "x"
            projected[key] = value
        out.append(projected)
    return out
