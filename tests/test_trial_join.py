"""An article and a trial registry record that share an NCT number meet at one resource.

PubMed 22663011 names NCT01245062 in its DataBankList; the ClinicalTrials.gov record of
that trial is the synthetic fixture tests/data/ctgov/nct01245062_synthetic.json (see the
README next to it: none of the real captures is a trial the real PubMed samples name).
"""

from __future__ import annotations

from pathlib import Path

from conftest import BASE, REPO, run_cli, shared_path

from publisher.store.oxigraph import OxigraphStore

TRIAL = f"{BASE}trial/nct/NCT01245062"
ARTICLE = f"{BASE}article/doi/10.1056/nejmoa1203421"
ARTICLE_GRAPH = f"{BASE}graph/pubmed-xml/id/22663011"
TRIAL_GRAPH = f"{BASE}graph/ctgov-json/trial/nct/NCT01245062"
FIXTURE = REPO / "tests" / "data" / "ctgov" / "nct01245062_synthetic.json"
PREFIXES = "PREFIX s: <https://schema.org/>\n"


def test_pubmed_article_and_ctgov_record_join_on_the_nct_number(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    article_file = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    result = run_cli(
        "ingest", "--store", str(store_dir), "--base-uri", BASE, str(article_file), str(FIXTURE)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 2, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    store = OxigraphStore(store_dir, read_only=True)
    try:
        # Exactly one trial resource carries the number, whichever record said it.
        rows = list(store.query(PREFIXES + """
            SELECT DISTINCT ?trial WHERE {
                GRAPH ?g { ?trial a s:MedicalTrial ; s:identifier/s:value "NCT01245062" }
            }"""))  # type: ignore[call-overload]
        assert [row[0].value for row in rows] == [TRIAL]
        # Mentioned by the article, in the article's graph ...
        assert store.query(PREFIXES + f"""
            ASK {{ GRAPH <{ARTICLE_GRAPH}> {{ <{ARTICLE}> s:mentions <{TRIAL}> }} }}""")
        # ... described by the registry record, in the registry record's graph ...
        assert store.query(PREFIXES + f"""
            ASK {{ GRAPH <{TRIAL_GRAPH}> {{
                <{TRIAL}> s:name ?name ; s:sponsor/s:name "GlaxoSmithKline" ;
                    s:trialDesign s:RandomizedTrial, s:OpenTrial ;
                    s:citation <{ARTICLE}> .
                FILTER(STRSTARTS(?name, "Trametinib Versus Chemotherapy"))
            }} }}""")
        # ... which are different graphs,
        assert not store.query(PREFIXES + f"""
            ASK {{ GRAPH <{ARTICLE_GRAPH}> {{ <{TRIAL}> s:name ?name }} }}""")
        # and the union default graph shows both at once, on the one resource.
        (row,) = store.query(PREFIXES + f"""
            SELECT ?title ?trialName WHERE {{
                ?article s:mentions ?trial ; s:name ?title .
                ?trial s:name ?trialName ; s:citation ?article .
                FILTER(?trial = <{TRIAL}> && ?article = <{ARTICLE}>)
            }}""")  # type: ignore[misc]
        assert row[0].value == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
        assert row[1].value.startswith("Trametinib Versus Chemotherapy")
        (count,) = store.query(PREFIXES + f"""
            SELECT (COUNT(DISTINCT ?link) AS ?n) WHERE {{
                <{TRIAL}> s:sameAs ?link }}""")  # type: ignore[misc]
        assert int(count[0].value) == 1  # the same registry page from both records
    finally:
        store.close()
