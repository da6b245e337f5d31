"""One resource per thing across records: a journal whose records share any ISSN, a
person with an ORCID iD in every article they wrote, a trial and the secondary numbers
its registry record lists. The view describes each under one canonical IRI, says
`<alias> owl:sameAs <canonical>` of the others, and pages and resolvers lead there.

Records:
* ISSNs: PubMed's record 22663011 (../shared/samples, from NCBI: NEJM, print ISSN
  0028-4793 and electronic 1533-4406) and the repository's RIS second source of the same
  article (tests/data/harvest) with one line added here, `SN - 1533-4406`: an export that
  gives only the electronic ISSN, as e-journal exports do. The RIS record alone mints
  `periodical/issn/1533-4406`; with PubMed's both ISSNs the two are one journal.
* ORCID: the repository's CSL-JSON and Web of Science test files (tests/data/csl,
  tests/data/wos) both give the first author of a different article the ORCID iD
  0000-0002-1825-0097 (ORCID's documentation example).
* Trials: a registry record assembled here in the shape of ClinicalTrials.gov API v2
  (from tests/data/ctgov/nct01245062_synthetic.json, itself synthetic) listing EudraCT
  number 2018-004614-18 as a secondary id of NCT03926130 (that pairing as a public
  project's test data lists it), and a RIS record whose notes cite the EudraCT number.
  Not reader tests: they exercise the identity rules.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import BASE, REPO, run_cli, shared_path, start_server, stop_server
from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.consolidate import Source, _fold, compatible_names, consolidate
from publisher.mapping.identity import OWL_SAME_AS
from publisher.mapping.vocab import RDF_TYPE, schema
from publisher.pipeline import Pipeline
from publisher.store.layout import Layout
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import PublishedView
from publisher.validation.shacl import ShaclValidator

NEJM_PRINT = NamedNode(f"{BASE}periodical/issn/0028-4793")
NEJM_ELECTRONIC = NamedNode(f"{BASE}periodical/issn/1533-4406")
ORCID = "0000-0002-1825-0097"
ORCID_PERSON = NamedNode(f"{BASE}person/orcid/{ORCID}")
NCT = NamedNode(f"{BASE}trial/nct/NCT03926130")
EUDRACT = NamedNode(f"{BASE}trial/eudract/2018-004614-18")
LAYOUT = Layout(BASE)


def ingest(store: Path, *paths: Path) -> None:
    for path in paths:
        result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, str(path))
        assert result.returncode in (0, 1), result.stderr  # 1: some test records rejected
        assert "Traceback" not in result.stderr


def remove(store: Path, graph: str) -> None:
    result = run_cli("remove", "--store", str(store), "--base-uri", BASE, graph)
    assert result.returncode == 0, result.stderr


def rows(store: Path, query: str) -> list[tuple[str, ...]]:
    opened = OxigraphStore(store, read_only=True)
    try:
        result = opened.query(query)
        assert isinstance(result, QuerySolutions)
        names = [v.value for v in result.variables]
        return sorted(
            tuple(str(row[n].value) if row[n] is not None else "" for n in names) for row in result
        )
    finally:
        opened.close()


def view_triples(store: Path) -> set[str]:
    opened = OxigraphStore(store, read_only=True)
    try:
        return {str(t) for t in opened.graph_triples(None)}
    finally:
        opened.close()


def aliases(store: Path) -> list[tuple[str, ...]]:
    return rows(store, f"SELECT ?a ?c WHERE {{ ?a {OWL_SAME_AS} ?c }}")


@pytest.fixture
def electronic_only(tmp_path: Path) -> Path:
    text = (REPO / "tests" / "data" / "harvest" / "nejm_second_source.ris").read_text()
    path = tmp_path / "electronic_issn_only.ris"
    path.write_text(text.replace("PY  - 2012\n", "PY  - 2012\nSN  - 1533-4406\n"))
    return path


def pubmed() -> Path:
    return shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")


def test_records_sharing_an_issn_describe_one_periodical(
    electronic_only: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    ingest(store, electronic_only)
    assert rows(store, "SELECT ?p WHERE { ?p a <https://schema.org/Periodical> }") == [
        (NEJM_ELECTRONIC.value,)
    ]
    ingest(store, pubmed())
    periodicals = rows(
        store,
        "SELECT ?p ?issn WHERE { ?p a <https://schema.org/Periodical> ; "
        "<https://schema.org/issn> ?issn }",
    )
    assert periodicals == [(NEJM_PRINT.value, "0028-4793"), (NEJM_PRINT.value, "1533-4406")]
    assert (NEJM_ELECTRONIC.value, NEJM_PRINT.value) in aliases(store)
    # The article (both records) sits in the canonical journal, however deep the chain.
    containers = rows(
        store,
        "SELECT DISTINCT ?top WHERE { <" + BASE + "article/doi/10.1056/nejmoa1203421> "
        "<https://schema.org/isPartOf>+ ?top . ?top a <https://schema.org/Periodical> }",
    )
    assert containers == [(NEJM_PRINT.value,)]
    # No reference in the view to an IRI the view calls otherwise.
    dangling = rows(
        store,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o . ?o {OWL_SAME_AS} ?c FILTER (?p != {OWL_SAME_AS}) }}",
    )
    assert dangling == []


def test_the_joined_view_conforms_and_does_not_depend_on_order(
    electronic_only: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    ingest(first, electronic_only, pubmed())
    ingest(second, pubmed(), electronic_only)
    assert view_triples(first) == view_triples(second)
    opened = OxigraphStore(first, read_only=True)
    try:
        triples = opened.graph_triples(None)
    finally:
        opened.close()
    violations = ShaclValidator(fast=False).validate(triples)
    assert violations == [], violations[:5]


def test_removing_the_record_that_joined_them_splits_them_again(
    electronic_only: Path, tmp_path: Path
) -> None:
    store, alone = tmp_path / "store", tmp_path / "alone"
    ingest(store, electronic_only, pubmed())
    remove(store, f"{BASE}graph/pubmed-xml/id/22663011")
    ingest(alone, electronic_only)
    assert aliases(store) == []
    assert view_triples(store) == view_triples(alone)


def test_a_person_with_an_orcid_is_one_resource_across_articles(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest(store, REPO / "tests/data/csl/items.json", REPO / "tests/data/wos/several.txt")
    people = rows(
        store,
        f"SELECT ?p WHERE {{ ?p <https://schema.org/sameAs> <https://orcid.org/{ORCID}> }}",
    )
    assert people == [(ORCID_PERSON.value,)]
    articles = rows(
        store,
        f"SELECT DISTINCT ?a WHERE {{ ?a <https://schema.org/author> {ORCID_PERSON} }}",
    )
    assert len(articles) == 2  # an article of each file
    in_lists = rows(
        store,
        "SELECT DISTINCT ?a WHERE { ?a <http://purl.org/ontology/bibo/authorList>/"
        f"<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>*/"
        f"<http://www.w3.org/1999/02/22-rdf-syntax-ns#first> {ORCID_PERSON} }}",
    )
    assert in_lists == articles
    names = rows(store, f"SELECT ?n WHERE {{ {ORCID_PERSON} <https://schema.org/name> ?n }}")
    assert len(names) == 1


def trial_records(tmp_path: Path) -> list[Path]:
    registry = json.loads(
        (REPO / "tests/data/ctgov/nct01245062_synthetic.json").read_text(encoding="utf-8")
    )
    ident = registry["protocolSection"]["identificationModule"]
    ident["nctId"] = "NCT03926130"
    ident["secondaryIdInfos"] = [
        {"id": "I6T-MC-AMAM", "type": "OTHER", "domain": "Eli Lilly and Company"},
        {"id": "2018-004614-18", "type": "EUDRACT_NUMBER"},
    ]
    registry.pop("derivedSection", None)
    record = tmp_path / "nct03926130.json"
    record.write_text(json.dumps(registry), encoding="utf-8")
    article = tmp_path / "cites_eudract.ris"
    article.write_text(
        "TY  - JOUR\nTI  - Mirikizumab in Crohn's disease\nAU  - Example, Author\n"
        "JO  - Example Journal\nPY  - 2024\nN1  - EudraCT 2018-004614-18\nER  - \n"
    )
    return [article, record]


def test_a_trial_is_one_resource_whatever_number_names_it(tmp_path: Path) -> None:
    article, registry = trial_records(tmp_path)
    store = tmp_path / "store"
    ingest(store, article)
    assert rows(store, "SELECT ?t WHERE { ?t a <https://schema.org/MedicalTrial> }") == [
        (EUDRACT.value,)
    ]
    ingest(store, registry)
    assert rows(store, "SELECT ?t WHERE { ?t a <https://schema.org/MedicalTrial> }") == [
        (NCT.value,)
    ]
    assert (EUDRACT.value, NCT.value) in aliases(store)
    mentions = rows(store, "SELECT ?t WHERE { ?a <https://schema.org/mentions> ?t }")
    assert mentions == [(NCT.value,)]
    other_order = tmp_path / "other"
    ingest(other_order, registry, article)
    assert view_triples(other_order) == view_triples(store)


def test_pages_and_resolvers_lead_to_the_canonical_resource(
    electronic_only: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    ingest(store, electronic_only, pubmed())
    ingest(store, REPO / "tests/data/csl/items.json", REPO / "tests/data/wos/several.txt")
    process, server = start_server(store)
    try:
        for path, target in [
            ("/issn/1533-4406", NEJM_PRINT),
            ("/issn/0028-4793", NEJM_PRINT),
            ("/periodical/issn/1533-4406", NEJM_PRINT),
            (f"/orcid/{ORCID}", ORCID_PERSON),
        ]:
            answer = httpx.get(server.url + path, follow_redirects=False)
            assert answer.status_code == 303, (path, answer.text)
            assert answer.headers["location"] == target.value
        page = httpx.get(
            server.url + "/" + NEJM_PRINT.value.removeprefix(BASE),
            headers={"Accept": "text/turtle"},
        )
        assert page.status_code == 200
        assert "1533-4406" in page.text and "0028-4793" in page.text
    finally:
        stop_server(process)


def test_a_rebuilt_view_equals_the_incremental_one(electronic_only: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest(store, electronic_only, pubmed(), *trial_records(tmp_path))
    before = view_triples(store)
    opened = OxigraphStore(store)
    try:
        PublishedView(opened, BASE).rebuild()
    finally:
        opened.close()
    assert view_triples(store) == before


def abstract(store: Path) -> str:
    article = f"<{BASE}article/doi/10.1056/nejmoa1203421>"
    found = rows(store, f"SELECT ?a WHERE {{ {article} <https://schema.org/abstract> ?a }}")
    assert len(found) == 1
    return found[0][0]


def test_the_configuration_file_overrides_the_precedence(tmp_path: Path) -> None:
    """PubMed (registry metadata) outranks a MARCXML catalogue record by default; a
    `[precedence]` list for one property puts MARCXML first for that property only. The
    two abstracts differ: PubMed's has a METHODS and a RESULTS section that the MARC
    record's 520 (tests/data/marc/articles.xml) leaves out."""
    marc = REPO / "tests" / "data" / "marc" / "articles.xml"
    default, configured = tmp_path / "default", tmp_path / "configured"
    ingest(default, marc, pubmed())
    assert "In this phase 3 open-label trial, we randomly assigned 322" in abstract(default)
    config = tmp_path / "publisher.toml"
    config.write_text('[precedence]\nabstract = ["marcxml", "pubmed-xml"]\n')
    for path in (pubmed(), marc):
        result = run_cli(
            "ingest", "--store", str(configured), "--base-uri", BASE, str(path),
            env={"PUBLISHER_CONFIG": str(config)},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    chosen = abstract(configured)
    assert chosen.startswith("BACKGROUND: Activating mutations in serine-threonine")
    assert "randomly assigned 322" not in chosen
    assert rows(configured, "SELECT ?h WHERE { ?a <https://schema.org/headline> ?h }") == rows(
        default, "SELECT ?h WHERE { ?a <https://schema.org/headline> ?h }"
    )


def test_an_unknown_format_in_the_precedence_is_a_configuration_error(tmp_path: Path) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text('[precedence]\ndefault = ["endnote"]\n')
    result = run_cli(
        "consolidate", "--store", str(tmp_path / "store"), env={"PUBLISHER_CONFIG": str(config)}
    )
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "unknown format 'endnote'" in result.stderr


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        (("Flaherty", "Keith T"), ("Flaherty", "K T"), True),
        (("Flaherty", "Keith T"), ("Flaherty", "KT"), True),  # MEDLINE's initials
        (("Smith", "Anne E."), ("Smith", "Anne Elizabeth"), True),
        (("Müller-Lüdenscheidt", "Jörg"), ("Muller Ludenscheidt", "J"), True),
        (("Flaherty", "Keith T"), ("Robert", "Caroline"), False),
        (("Smith", "Anne"), ("Smith", "Bob"), False),
    ],
)
def test_compatible_names(one: tuple[str, str], other: tuple[str, str], same: bool) -> None:
    def folded(name: tuple[str, str]) -> tuple[str, list[str]]:
        return _fold(name[0]).replace(" ", ""), _fold(name[1]).split()

    assert compatible_names(folded(one), folded(other)) is same


def test_a_source_naming_someone_else_at_that_place_is_kept_out() -> None:
    """Two sources put different people at one place of an author list: the more trusted
    one's person is published, the other is recorded as not published."""
    person = NamedNode(f"{BASE}person/doi/10.1/x/2")

    def source(fmt: str, family: str, given: str) -> Source:
        graph = NamedNode(f"{BASE}graph/{fmt}/x")
        return Source(graph, fmt, [
            Triple(person, RDF_TYPE, schema("Person")),
            Triple(person, schema("name"), Literal(f"{given} {family}")),
            Triple(person, schema("familyName"), Literal(family)),
            Triple(person, schema("givenName"), Literal(given)),
        ])  # fmt: skip

    flag = NamedNode("https://example.org/published")
    pubmed_source = source("pubmed-xml", "Robert", "Caroline")
    ris_source = source("ris", "Flaherty", "Keith T")
    result = consolidate(person, [ris_source, pubmed_source], flag)
    names = {t.object.value for t in result.triples if t.predicate == schema("familyName")}
    assert names == {"Robert"}
    assert result.sources == (pubmed_source.graph,)
    lost = [t for t in result.provenance if t.object == Literal("Flaherty")]
    assert lost, "the other source's person is in the provenance"


class Stopped(Exception):
    """What a kill between the view's two writes leaves: the first done, not the second."""


def test_a_join_stopped_between_the_views_two_writes_is_finished_by_the_next_run(
    electronic_only: Path, tmp_path: Path
) -> None:
    """The record that joins two journals is written and the view's new descriptions
    are in, but the old ones (and the marks) are not yet out when the run stops. The next
    run finishes it: the view is the one a clean run gives, with no stale alias or
    description, and nothing refers to the old name."""
    clean = tmp_path / "clean"
    ingest(clean, electronic_only, pubmed())
    folder = tmp_path / "store"
    ingest(folder, electronic_only)
    store = OxigraphStore(folder)
    removals = 0

    def stop_at_the_second_write(quads: object) -> None:
        nonlocal removals
        removals += 1
        raise Stopped

    real_remove = store.remove_quads
    store.remove_quads = stop_at_the_second_write  # type: ignore[method-assign]
    with pytest.raises(Stopped):
        for _outcome in Pipeline(BASE, store).run_file(pubmed()):
            pass
    assert removals == 1
    store.remove_quads = real_remove  # type: ignore[method-assign]
    assert PublishedView(store, BASE).pending() or store.graph_triples(LAYOUT.pending)
    Pipeline(BASE, store)  # a new run: recovers first
    store.close()
    assert view_triples(folder) == view_triples(clean)


def test_an_orcid_given_to_two_authors_of_one_article_joins_neither(tmp_path: Path) -> None:
    """The repository's Crossref test record gives ORCID's example iD to the second author
    of the founding article, its CSL-JSON test file to the first: the published list keeps
    two people (the shapes forbid one person twice in a list), neither joined by it."""
    store = tmp_path / "store"
    ingest(
        store,
        REPO / "tests/data/csl/items.json",
        REPO / "tests/data/crossref/work_trial_funder_orcid.json",
    )
    seed = f"{BASE}article/doi/10.3389/fonc.2021.699946"
    twice = rows(
        store,
        f"SELECT ?p WHERE {{ <{seed}> <http://purl.org/ontology/bibo/authorList> ?l ."
        " ?l <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>* ?c ."
        " ?c <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?p }"
        " GROUP BY ?p HAVING (COUNT(*) > 1)",
    )
    assert twice == []
    joined = [a for a, _ in aliases(store) if a.startswith(f"{BASE}person/doi/10.3389/")]
    assert joined == []


def test_random_joins_and_splits_match_a_recomputation(tmp_path: Path) -> None:
    """Generated records (bench/generate.py --joins: 5 journals with two ISSNs that
    each record gives one or both of, people with ORCID iDs who write several articles)
    in files of 8, ingested and removed in a seeded random order: after every step the
    view kept incrementally, aliases and provenance included, equals one rebuilt from
    scratch, and conforms to the shapes."""
    generated = tmp_path / "joins.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), str(generated), "--records", "48",
         "--format", "csl-json", "--seed", "5", "--broken-rate", "0", "--joins",
         "--journals", "5"],
        check=True, timeout=120,
    )  # fmt: skip
    items = json.loads(generated.read_text())
    files = []
    for start in range(0, len(items), 8):
        path = tmp_path / f"part-{start // 8}.json"
        path.write_text(json.dumps(items[start : start + 8]))
        files.append(path)
    store = OxigraphStore()
    pipeline = Pipeline(BASE, store)
    view = PublishedView(store, BASE)
    chooser = random.Random(21)
    joined = 0
    for _ in range(12):
        graphs = [g for g in store.graph_names() if not LAYOUT.is_view_graph(g)]
        if graphs and chooser.random() < 0.3:
            for gone in chooser.sample(sorted(graphs, key=str), min(3, len(graphs))):
                batch = view.prepare([(gone, None)])
                store.remove_graph(gone)
                view.apply(batch)
        else:
            for _outcome in pipeline.run_file(chooser.choice(files)):
                pass
        kept = set(store.graph_triples(None))
        kept_provenance = set(store.graph_triples(LAYOUT.provenance))
        joined = max(joined, sum(1 for t in kept if t.predicate == OWL_SAME_AS))
        view.rebuild()
        assert set(store.graph_triples(None)) == kept
        assert set(store.graph_triples(LAYOUT.provenance)) == kept_provenance
        assert not view.pending()
    assert joined >= 5, "the sequence joined journals and people"
    violations = ShaclValidator(fast=False).validate(list(kept))
    assert violations == [], violations[:5]
