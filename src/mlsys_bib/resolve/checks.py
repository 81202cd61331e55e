"""What an answer must pass before it is merged, and what a DOI nobody knows becomes.

arXiv's title search can find another paper of the same title (a different year); arXiv can
report its own DataCite DOI, which is no published version; a DOI neither Crossref nor doi.org
knows would be a dead link in every style. Each rule is one function, so the run reads as policy.
"""

from __future__ import annotations

from ..model import Record
from ..sources.outcome import Outcome

#: DOIs arXiv mints for its own preprints (DataCite): not a published version.
DATACITE_ARXIV = "10.48550/"


def published_doi(outcome: Outcome) -> str:
    """The DOI (lower case) arXiv reports for its paper, unless it is arXiv's own DataCite DOI."""
    meta = outcome.value
    doi = meta.get("doi") if meta is not None else None
    if doi and not str(doi).lower().startswith(DATACITE_ARXIV):
        return str(doi).lower()
    return ""


def unconfirmed_doi(record: Record, doi: str) -> None:
    """Neither Crossref nor doi.org knows the DOI: it is not exported as ``doi`` (a dead link in
    every style) but kept as a note, and the conflict reaches report.json."""
    sourced = record.fields.get("doi")
    if sourced is None or str(sourced.value).lower() != doi.lower():
        return
    del record.fields["doi"]
    note = str(record.get("note") or "")
    record.set("note", "; ".join(x for x in (note, f"DOI {doi} (not registered)") if x), sourced.provenance)
    text = f"doi: {sourced.provenance.source}={doi} unknown to Crossref and doi.org (kept as a note)"
    if text not in record.conflicts:
        record.conflicts.append(text)


def check_year(record: Record, outcome: Outcome) -> Outcome:
    """An arXiv title match whose year is more than one off the tag's year is another paper."""
    tag = record.tag
    meta = outcome.value
    if meta is None or tag is None or tag.year is None:
        return outcome
    year = meta.get("year")
    if isinstance(year, int) and abs(year - tag.year) > 1:
        return Outcome.not_found(
            f"arXiv {meta.get('arxiv')} has this title but year {year}, list says {tag.year}",
            from_cache=outcome.from_cache,
        )
    return outcome
