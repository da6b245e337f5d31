"""A store richer than the bundled examples, for the pages' tests and the screenshots: the
examples, the PubMed record of NEJM 22663011 (journal, volume, issue, pages, PMID), its
trial's registry record (tests/data/ctgov, synthetic), the Crossref fixture with an
ORCID iD and affiliations, and a synthetic single-group phase 2 trial written here (no
real capture has ClinicalTrials.gov's SINGLE_GROUP and COMPLETED codes together)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import BASE, EXAMPLES, REPO, run_cli, shared_path

NEJM = f"{BASE}article/doi/10.1056/nejmoa1203421"
NEJM_TRIAL = f"{BASE}trial/nct/NCT01245062"
SINGLE_GROUP_TRIAL = f"{BASE}trial/nct/NCT09000001"
ORCID = "0000-0002-1825-0097"  # ORCID's documented test iD (Josiah Carberry)
SINGLE_GROUP_STUDY = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT09000001",
            "briefTitle": "A Single-Arm Study of a Made-Up Drug (synthetic record)",
        },
        "statusModule": {
            "overallStatus": "COMPLETED",
            "startDateStruct": {"date": "2019-03"},
            "completionDateStruct": {"date": "2021-06-30"},
        },
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Example University"}},
        "conditionsModule": {"conditions": ["Melanoma"]},
        "designModule": {
            "studyType": "INTERVENTIONAL",
            "phases": ["PHASE2"],
            "designInfo": {
                "allocation": "NA",
                "interventionModel": "SINGLE_GROUP",
                "primaryPurpose": "TREATMENT",
                "maskingInfo": {"masking": "NONE"},
            },
            "enrollmentInfo": {"count": 40},
        },
        "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": "Exampletinib"}]},
    }
}


def rich_sources(folder: Path) -> list[Path]:
    trial = folder / "nct09000001_synthetic.json"
    trial.write_text(json.dumps(SINGLE_GROUP_STUDY), encoding="utf-8")
    return [
        *sorted(EXAMPLES.glob("*.txt")),
        shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml"),
        REPO / "tests" / "data" / "ctgov" / "nct01245062_synthetic.json",
        REPO / "tests" / "data" / "crossref" / "work_trial_funder_orcid.json",
        trial,
    ]


def ingest_rich(folder: Path, base: str = BASE) -> Path:
    store = folder / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--base-uri", base, *map(str, rich_sources(folder))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return store
