"""The one rule that tells a body from a person in a free-text name
(`publisher.names.is_organization_name`), on names taken from real records."""

from __future__ import annotations

import pytest

from publisher.model import Organization, Person
from publisher.names import agent_from_inverted, is_organization_name, split_inverted_name_list

BODIES = [
    # PubMed CollectiveName, ../shared/samples/pubmed/pubmed_22663011_efetch.xml
    "METRIC Study Group",
    # MARC 710, ../shared/samples/lobid/99375707820206441.xml (a German compound)
    "Österreichische Krebshilfe-Krebsgesellschaft",
    # MARC 110/710, ../shared/samples/marc/pymarc_batch.xml
    "White House Web Team.",
    # ClinicalTrials.gov sponsors, ../shared/samples/ctgov/*.json
    "Centre Leon Berard",
    "Tocagen Inc.",
    "Phanes Therapeutics",
]
PERSONS = [
    # ClinicalTrials.gov overall official, ../shared/samples/ctgov/search_keytruda_*.json
    "Rahul Aggarwal",
    # oai_dc creator, ../shared/samples/oai/sickle_GetRecord_oai_dc.xml
    "John Doe",
    # Web of Science AU, tests/data/wos/jabref_isi_medline.isi
    "Joffe, Hadine",
    "Yurgelun-Todd, Deborah",
    # a comma means `Family, Given`, even with a word of the list in it: a
    # ClinicalTrials.gov sponsor, ../shared/samples/ctgov/get_nct06382129_*.json
    "Sichuan Baili Pharmaceutical Co., Ltd.",
]


@pytest.mark.parametrize("name", BODIES)
def test_real_bodies_are_organizations(name: str) -> None:
    assert is_organization_name(name)
    assert agent_from_inverted(name) == Organization(" ".join(name.split()))


@pytest.mark.parametrize("name", PERSONS)
def test_real_persons_are_not(name: str) -> None:
    assert not is_organization_name(name)


def test_a_body_among_other_authors_keeps_its_place() -> None:
    """A catalogue page's "Weitere Verfasser" list, `Family, Given` pairs read two by
    two, with a body in between (real names, from the records named above)."""
    agents, warnings = split_inverted_name_list(
        "Joffe, Hadine, Österreichische Krebshilfe-Krebsgesellschaft, Hall, Janet E"
    )
    assert agents == [
        Person("Hadine Joffe", "Joffe", "Hadine"),
        Organization("Österreichische Krebshilfe-Krebsgesellschaft"),
        Person("Janet E Hall", "Hall", "Janet E"),
    ]
    assert warnings == []
