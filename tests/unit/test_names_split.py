"""The one name splitter (text/names.py): remembered per name, so a long list's authors are shared."""

from __future__ import annotations

from mlsys_bib.model import Person
from mlsys_bib.text import names


def test_the_same_name_gives_the_same_person_object():
    first = names.split_name("Peter H. N. de With")
    again = names.split_name("Peter H. N. de With")
    assert first is again
    assert first == Person(family="With", given="Peter H. N.", particle="de")


def test_remembered_and_fresh_splits_agree():
    for name in ("Ion Stoica", "Stoica, Ion", "Guido van Rossum", "John Smith Jr.", "Google DeepMind Team",
                 "Anna Del Maestro", "Plato", ""):
        assert names.split_name(name) == names._split_name(name)


def test_a_hostile_megabyte_name_is_split_but_not_kept():
    names._split_name_shared.cache_clear()
    long = "Given " + "x" * 1_000_000
    assert names.split_name(long).given == "Given"
    assert names._split_name_shared.cache_info().currsize == 0
