"""Identifier helpers, checked against values verified by hand."""

from __future__ import annotations

import pytest

from publisher.identifiers import (
    clean_doi,
    clean_issn,
    doi_key,
    find_trial_ids,
    is_valid_doi,
    is_valid_issn,
    orcid_checksum_ok,
)
from publisher.model import TrialId


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("10.3389/fonc.2021.699946", "10.3389/fonc.2021.699946"),
        ("https://doi.org/10.1056/NEJMoa1203421", "10.1056/NEJMoa1203421"),
        ("doi:10.7554/eLife.01567", "10.7554/eLife.01567"),
        ("  http://dx.doi.org/10.1371/journal.pone.0134826 ", "10.1371/journal.pone.0134826"),
    ],
)
def test_clean_doi(raw: str, clean: str) -> None:
    assert clean_doi(raw) == clean
    assert is_valid_doi(clean)


def test_doi_syntax_and_case() -> None:
    assert not is_valid_doi("11.1234/x")
    assert not is_valid_doi("10.12/short-prefix")
    assert not is_valid_doi("10.1234/with space")
    assert doi_key("10.1056/NEJMoa1203421") == doi_key("10.1056/nejmoa1203421")


@pytest.mark.parametrize(
    ("issn", "valid"),
    [
        (
            "2234-943X",
            True,
        ),  # Frontiers in oncology: 2*8+2*7+3*6+4*5+9*4+4*3+3*2=122, 122%11=1, 11-1=10 -> X
        ("0028-4793", True),  # NEJM print
        ("1533-4406", True),  # NEJM online
        ("2050-084X", True),  # eLife
        ("1932-6203", True),  # PLOS ONE
        ("2234-9430", False),
        ("0028-4794", False),
        ("0028479", False),
    ],
)
def test_issn_check_digit(issn: str, valid: bool) -> None:
    assert is_valid_issn(issn) is valid


def test_clean_issn() -> None:
    assert clean_issn("2234943x") == "2234-943X"
    assert clean_issn("not an issn") == "not an issn"


def test_orcid_checksum() -> None:
    assert orcid_checksum_ok("0000-0002-1825-0097")  # ORCID's documented example
    assert orcid_checksum_ok("https://orcid.org/0000-0001-5109-3700")
    assert not orcid_checksum_ok("0000-0002-1825-0098")


def test_trial_ids_found_in_text_in_canonical_form() -> None:
    text = (
        "ClinicalTrials.gov Identifier: NCT02349698. Also nct 01245062, DRKS00004195, "
        "ISRCTN-12345678 and EudraCT 2004-000123-45. NCT02349698 again."
    )
    assert find_trial_ids(text) == [
        TrialId("nct", "NCT02349698"),
        TrialId("nct", "NCT01245062"),
        TrialId("eudract", "2004-000123-45"),
        TrialId("drks", "DRKS00004195"),
        TrialId("isrctn", "ISRCTN12345678"),
    ]


def test_eudract_pattern_skips_other_registries_numbers() -> None:
    # Glued to another registry's prefix, the digits are not an EudraCT number.
    assert find_trial_ids("PACTR2014-000123-45 and IRCT2014-000123-45") == []
