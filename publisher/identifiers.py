"""Identifier syntax shared by every reader and the mapper: DOI, ISSN, ORCID, trial numbers.

Kept in one place so that a DOI found in MARC, RIS or a catalogue page is normalised
and checked the same way, and so that the SHACL shapes and the code agree on the forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from publisher.model import TrialId

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|info:doi/)", re.IGNORECASE)


def clean_doi(raw: str) -> str:
    """Strip the resolver or `doi:` prefix a source may add; keep the DOI's own case.

    DOIs compare case-insensitively (see `doi_key`), but the registrant's spelling is
    what people expect to see published.
    """
    return _DOI_PREFIXES.sub("", raw.strip()).strip()


def is_valid_doi(doi: str) -> bool:
    """DOI syntax; a "DOI" holding a URL (`10.1234/http://...`, as Crossref's deleted-DOI
    listings have them) is not one, so it never becomes a doi.org IRI."""
    return bool(DOI_PATTERN.match(doi)) and "://" not in doi


def doi_key(doi: str) -> str:
    """The form two DOIs are compared by: DOIs are case-insensitive (ASCII)."""
    return clean_doi(doi).lower()


def doi_url(doi: str) -> str:
    return "https://doi.org/" + clean_doi(doi)


PMCID_PATTERN = re.compile(r"^PMC\d{1,9}$")
_PMCID_IN_TEXT = re.compile(r"(?<![\w])PMC\s?(\d{1,9})(?!\d)")
# `26957754[pmid]` (PubMed's search syntax, as exporters write it), `PMID: 26957754`,
# `PubMed 26957754`, `MEDLINE:16735938` (Web of Science's UT of MEDLINE records).
_PMID_IN_TEXT = re.compile(
    r"(?<!\d)(\d{1,9})\s*\[pmid\]|\b(?:pmid|pubmed(?:\s+id)?|medline)\s*[:=]?\s*(\d{1,9})(?!\d)",
    re.IGNORECASE,
)


def clean_pmcid(raw: str) -> str | None:
    """`PMC3654245`, `pmc3654245`, `PMC 3654245` -> `PMC3654245`; None when not one."""
    match = _PMCID_IN_TEXT.fullmatch(raw.strip().upper())
    return f"PMC{match.group(1)}" if match else None


def find_pmcid(text: str | None) -> str | None:
    """The first PubMed Central id named in a free-text field (RIS `AN`, `N1`, `U1`)."""
    match = _PMCID_IN_TEXT.search(text or "")
    return f"PMC{match.group(1)}" if match else None


def find_pmid(text: str | None) -> str | None:
    """The first PMID a free-text field names explicitly (`26957754[pmid]`, `PMID:
    26957754`, `MEDLINE:16735938`); a bare number is not taken for one."""
    match = _PMID_IN_TEXT.search(text or "")
    if not match:
        return None
    return (match.group(1) or match.group(2)).lstrip("0") or None


ISSN_PATTERN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")


def issn_check_digit(first_seven: str) -> str:
    """ISO 3297 check digit: weights 8..2, modulo 11, 10 written as X."""
    total = sum(int(d) * w for d, w in zip(first_seven, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def clean_issn(raw: str) -> str:
    """Normalise to NNNN-NNNC (upper-case X) when the shape allows; otherwise return as given."""
    match = ISSN_PATTERN.match(raw.strip())
    if not match:
        return raw.strip()
    return f"{match.group(1)}-{match.group(2).upper()}"


def is_valid_issn(issn: str) -> bool:
    match = ISSN_PATTERN.match(issn)
    if not match:
        return False
    digits = match.group(1) + match.group(2).upper()
    return issn_check_digit(digits[:7]) == digits[7]


_ISSN_IN_TEXT = re.compile(r"(?<![\w-])(\d{4}-?\d{3}[\dXx])(?![\w-])")


def find_issns(text: str | None) -> list[str]:
    """Every ISSN-shaped number in a field (`0028-4793 (Print) 1533-4406`), normalised
    by `clean_issn`, first-seen order. ISBNs and other numbers are not ISSN-shaped; the
    check digit is not tested here (validation names a bad one)."""
    found: list[str] = []
    for match in _ISSN_IN_TEXT.finditer(text or ""):
        issn = clean_issn(match.group(1))
        if issn not in found:
            found.append(issn)
    return found


ORCID_PATTERN = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])")


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, as ORCID specifies."""
    match = ORCID_PATTERN.search(orcid)
    if not match:
        return False
    digits = "".join(match.groups()).upper()
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


@dataclass(frozen=True)
class TrialRegistry:
    """A clinical-trial registry: how its numbers look in text and where they resolve."""

    key: str
    name: str  # the schema:propertyID we publish
    finder: re.Pattern[str]
    canonical: str  # format string over the finder's groups
    page: str  # registry page for schema:sameAs, `{id}` replaced

    def normalise(self, match: re.Match[str]) -> str:
        return self.canonical.format(*match.groups())


TRIAL_REGISTRIES: dict[str, TrialRegistry] = {
    r.key: r
    for r in (
        TrialRegistry(
            "nct",
            "ClinicalTrials.gov",
            re.compile(r"\bNCT\W{0,2}(\d{8})\b", re.IGNORECASE),
            "NCT{0}",
            "https://clinicaltrials.gov/study/{id}",
        ),
        TrialRegistry(
            "eudract",
            "EudraCT",
            # The ICTRP list's look-behind `(?<!IRCT|PACTR)` is variable-width, which
            # Python's `re` rejects; two fixed-width look-behinds say the same.
            re.compile(r"(?<!IRCT)(?<!PACTR)\b((?:19|20)\d{2})-(\d{6})-(\d{2})\b"),
            "{0}-{1}-{2}",
            "https://www.clinicaltrialsregister.eu/ctr-search/search?query={id}",
        ),
        TrialRegistry(
            "drks",
            "DRKS",
            re.compile(r"\bDRKS\W{0,2}(\d{8})\b", re.IGNORECASE),
            "DRKS{0}",
            "https://drks.de/search/en/trial/{id}",
        ),
        TrialRegistry(
            "isrctn",
            "ISRCTN",
            re.compile(r"\bISRCTN\W{0,2}(\d{8})\b", re.IGNORECASE),
            "ISRCTN{0}",
            "https://www.isrctn.com/{id}",
        ),
    )
}


def find_trial_ids(*texts: str | None) -> list[TrialId]:
    """Every registration number in the texts, canonical form, first-seen order, no repeats."""
    found: list[TrialId] = []
    for text in texts:
        if not text:
            continue
        for registry in TRIAL_REGISTRIES.values():
            for match in registry.finder.finditer(text):
                trial = TrialId(registry.key, registry.normalise(match))
                if trial not in found:
                    found.append(trial)
    return found


def trial_page(trial: TrialId) -> str:
    return TRIAL_REGISTRIES[trial.registry].page.format(id=trial.value)


def clean_orcid(raw: str) -> str | None:
    """`https://orcid.org/0000-0002-1825-0097` / `0000000218250097` -> `0000-0002-1825-0097`.

    None when the text holds no ORCID-shaped number; the checksum is not checked here
    (see `orcid_checksum_ok`), so a reader can warn about a mistyped iD.
    """
    match = ORCID_PATTERN.search(raw.strip())
    if not match:
        return None
    return "-".join(match.groups()).upper()


# A DOI inside running text (a citation, a link): suffix up to whitespace, trailing
# punctuation of the sentence removed by `find_doi`.
_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")


def find_doi(text: str | None) -> str | None:
    """The first DOI in free text (`... 2012;367:107-14. doi: 10.1056/NEJMoa1203421.`)."""
    if not text:
        return None
    match = _DOI_IN_TEXT.search(text)
    if not match:
        return None
    doi = match.group(0).rstrip(".,;:")
    if doi.endswith(")") and doi.count(")") > doi.count("("):
        doi = doi[:-1].rstrip(".,;:")
    return doi
