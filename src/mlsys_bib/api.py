"""The Python API: ``bib = mlsys_bib.load(); bib.find("vLLM")``.

A thin, typed façade over the pipeline so scripts do not need to know the modules behind it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from .build import DEFAULT_STYLES, load_list, write_exports
from .config import Settings
from .lists import ListSpec
from .model import Record, Section
from .records import RecordSet
from .text.titles import normalise


class Bibliography:
    """The records of one list, searchable by key, title, alias and section."""

    def __init__(self, recordset: RecordSet, settings: Settings | None = None) -> None:
        self.recordset = recordset
        self.settings = settings
        self._by_key = {r.key: r for r in recordset.records}

    @property
    def records(self) -> list[Record]:
        return self.recordset.records

    @property
    def sections(self) -> list[Section]:
        return self.recordset.parsed.sections

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __getitem__(self, key: str) -> Record:
        return self._by_key[key]

    def get(self, key: str) -> Record | None:
        return self._by_key.get(key)

    def find(self, query: str) -> list[Record]:
        """Records whose key, alias or title matches ``query`` (exact key/alias first)."""
        q = query.strip().lower()
        nq = normalise(query)
        exact = [r for r in self.records if r.key == q or any(a.lower() == q for a in r.aliases)]
        fuzzy = [
            r
            for r in self.records
            if r not in exact
            and (nq and (nq in normalise(r.title) or any(nq in normalise(i.title) for i in r.items)))
        ]
        return exact + fuzzy

    def in_section(self, section: str) -> list[Record]:
        """Records listed in a section, given by number (``2.5``) or label."""
        return [r for r in self.records if any(section in (s.number, s.label, s.title) for s in r.sections)]

    def resolve(self, settings: Settings | None = None):  # type: ignore[no-untyped-def]
        """Fetch metadata for every record (cache first); returns the resolve report."""
        from .resolve import resolve_records

        return resolve_records(self.records, settings or self.settings or Settings.from_env())

    def export(
        self, out_dir: str | Path, *, styles: Sequence[str] = DEFAULT_STYLES, ascii: bool = False
    ) -> None:
        write_exports(self.records, Path(out_dir), styles=styles, ascii=ascii)


def load(
    source: ListSpec = None,
    *,
    resolve: bool = False,
    settings: Settings | None = None,
    lock_path: Path | None = None,
) -> Bibliography:
    """Load a list (the bundled one by default) as a :class:`Bibliography`.

    ``resolve=True`` also fetches metadata (cache first, network if allowed by ``settings``).
    """
    settings = settings or Settings.from_env()
    bib = Bibliography(load_list(source, lock_path=lock_path, settings=settings), settings)
    if resolve:
        bib.resolve(settings)
    return bib
