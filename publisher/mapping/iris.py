"""Minting IRIs: readable, deterministic, under the configured base URI.

Same record, same IRIs: an article is keyed by its DOI (lower-cased, since DOIs are
case-insensitive) or, without one, by a slug of its title plus a hash of what
identifies it. Shared things (journals, volumes, trials) are keyed by their own
identifiers, so two records naming the same journal or trial meet at one resource.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from publisher.identifiers import doi_key
from publisher.model import Periodical, Record, TrialId

_SAFE = "/._-()~:;@!$'*+,="


def slug(text: str, limit: int = 60) -> str:
    """ASCII, lower-case, hyphenated: `Frontiers in Oncology` -> `frontiers-in-oncology`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-") or "untitled"


def _segment(value: str) -> str:
    return quote(value.strip(), safe=_SAFE)


def article_key(record: Record) -> str:
    """The path that names an article, from what identifies it in the source."""
    if record.doi:
        return "doi/" + _segment(doi_key(record.doi))
    if record.pmid:
        return pmid_key(record.pmid)
    first_author = record.authors[0].name if record.authors else ""
    year = str(record.date.year) if record.date else ""
    journal = record.periodical.name if record.periodical else ""
    title = record.title or ""
    identity = "\x1f".join(v.casefold() for v in (title, first_author, year, journal))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    return f"title/{slug(title)}-{digest}"


def pmid_key(pmid: str) -> str:
    return "pmid/" + _segment(pmid)


def source_key(record: Record) -> str | None:
    """The key of a record's named graph when its source gives it an id (MARC 001, PMID).

    An id that is unique only within its file (a BibTeX key) is qualified by the file's
    name (not its folder, so a moved file still replaces its records): re-ingesting the
    file replaces its records, and another file using the same key gets its own graph.
    """
    if not record.source_id:
        return None
    key = "id/" + _segment(record.source_id)
    if record.source_id_local:
        return f"file/{_segment(PurePath(record.source.path).name)}/{key}"
    return key


def trial_key(trial: TrialId) -> str:
    return f"trial/{trial.registry}/{_segment(trial.value)}"


@dataclass(frozen=True)
class IriMinter:
    base: str  # ends with "/"

    def article(self, key: str) -> str:
        return f"{self.base}article/{key}"

    def person(self, key: str, role: str, position: int) -> str:
        return f"{self.base}person/{key}/{role}{position}"

    def organization(self, key: str, role: str, position: int) -> str:
        return f"{self.base}organization/{key}/{role}{position}"

    def periodical(self, periodical: Periodical) -> str:
        if periodical.issns:
            return f"{self.base}periodical/issn/{_segment(min(periodical.issns))}"
        return f"{self.base}periodical/name/{slug(periodical.name)}"

    def volume(self, periodical_iri: str, volume: str) -> str:
        return f"{periodical_iri}/volume/{_segment(volume)}"

    def issue(self, container_iri: str, issue: str) -> str:
        return f"{container_iri}/issue/{_segment(issue)}"

    def trial(self, trial: TrialId) -> str:
        return f"{self.base}{trial_key(trial)}"

    def graph(self, source_format: str, key: str) -> str:
        """One named graph per source record: re-ingesting the record replaces it."""
        return f"{self.base}graph/{source_format}/{key}"
