"""Tests for the SHACL shapes in shapes/publisher.ttl.

The founding record (the first record the publisher emitted) must conform.
Every other test makes one small mutation of it and checks the validation
report exactly: which shape fired (sh:sourceShape, and sh:sourceConstraint for
SHACL-SPARQL rules), on which node (sh:focusNode), along which path
(sh:resultPath), with which constraint component and which offending value.
The set of results must match exactly, so a rule that starts firing where it
should not is caught as well.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from publisher.validation.shacl import run_pyshacl

SHAPES_PATH = Path(__file__).parents[1] / "shapes" / "publisher.ttl"

SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
SHP = Namespace("urn:publisher:shapes#")
# a plain Namespace: pytest trips over rdflib.namespace.XSD while collecting
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

BASE = "http://127.0.0.1:8000/"
ARTICLE = URIRef(BASE + "article/doi/10.3389/fonc.2021.699946")
AUTHOR_1 = URIRef(BASE + "person/doi/10.3389/fonc.2021.699946/1")
AUTHOR_2 = URIRef(BASE + "person/doi/10.3389/fonc.2021.699946/2")
VOLUME = URIRef(BASE + "periodical/issn/2234-943X/volume/11")
PERIODICAL = URIRef(BASE + "periodical/issn/2234-943X")
TRIAL = URIRef(BASE + "trial/nct/NCT02349698")

FOUNDING_RECORD = """
@prefix schema: <https://schema.org/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<http://127.0.0.1:8000/article/doi/10.3389/fonc.2021.699946>
    a schema:ScholarlyArticle, schema:MedicalScholarlyArticle ;
    schema:name "Successful Treatment of ... : A Case Report" ;
    schema:publicationType "Case Reports" ;
    schema:abstract "In recent decades, ..."@en ;
    schema:inLanguage "en" ;
    schema:datePublished "2021-08"^^xsd:gYearMonth ;
    schema:identifier [
        a schema:PropertyValue ;
        schema:propertyID "DOI" ;
        schema:value "10.3389/fonc.2021.699946"
    ] ;
    schema:sameAs <https://doi.org/10.3389/fonc.2021.699946> ;
    schema:author <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/1>,
                  <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/2> ;
    bibo:authorList (
        <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/1>
        <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/2>
    ) ;
    schema:isPartOf <http://127.0.0.1:8000/periodical/issn/2234-943X/volume/11> ;
    schema:mentions <http://127.0.0.1:8000/trial/nct/NCT02349698> .

<http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/1>
    a schema:Person ;
    schema:name "Kyaw Thu Htun" ;
    schema:givenName "Kyaw Thu" ;
    schema:familyName "Htun" .

<http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/2>
    a schema:Person ;
    schema:name "Qiang Gong" ;
    schema:givenName "Qiang" ;
    schema:familyName "Gong" .

<http://127.0.0.1:8000/periodical/issn/2234-943X/volume/11>
    a schema:PublicationVolume ;
    schema:volumeNumber "11" ;
    schema:isPartOf <http://127.0.0.1:8000/periodical/issn/2234-943X> .

<http://127.0.0.1:8000/periodical/issn/2234-943X>
    a schema:Periodical ;
    schema:name "Frontiers in oncology" ;
    schema:issn "2234-943X" .

<http://127.0.0.1:8000/trial/nct/NCT02349698>
    a schema:MedicalTrial ;
    schema:identifier [
        a schema:PropertyValue ;
        schema:propertyID "ClinicalTrials.gov" ;
        schema:value "NCT02349698"
    ] ;
    schema:sameAs <https://clinicaltrials.gov/study/NCT02349698> .
"""

# Every message shown to users names the field with its vocabulary term.
FIELD_TERM = re.compile(r"\((?:schema|bibo|pub):\w")


class Result(NamedTuple):
    """One sh:ValidationResult, reduced to what the tests compare."""

    focus: Node
    path: object  # a term, a tuple for a sequence path, or None
    component: URIRef
    shape: URIRef
    constraint: URIRef | None = None  # sh:sourceConstraint (SPARQL rules)
    value: Node | None = None


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_PATH, format="turtle")


@pytest.fixture
def record() -> Graph:
    """A fresh copy of the founding record; tests mutate it freely."""
    return Graph().parse(data=FOUNDING_RECORD, format="turtle")


def validate(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """Exactly the pyshacl call ingest makes (same options, same query caching)."""
    return run_pyshacl(data, shapes)


def _path(report: Graph, node: Node | None) -> object:
    if isinstance(node, BNode) and report.value(node, RDF.first) is not None:
        return tuple(Collection(report, node))
    return node


def top_level_results(report: Graph) -> list[Node]:
    """sh:result nodes of the report; results nested in sh:detail are left out."""
    return list(report.objects(None, SH.result))


def results(report: Graph) -> Counter[Result]:
    found: Counter[Result] = Counter()
    for r in top_level_results(report):
        messages = [str(m) for m in report.objects(r, SH.resultMessage)]
        assert len(messages) == 1, f"expected exactly one message, got {messages}"
        assert FIELD_TERM.search(messages[0]), f"message does not name the field: {messages[0]}"
        assert "{?" not in messages[0] and "{$" not in messages[0], messages[0]
        found[
            Result(
                focus=report.value(r, SH.focusNode),
                path=_path(report, report.value(r, SH.resultPath)),
                component=report.value(r, SH.sourceConstraintComponent),
                shape=report.value(r, SH.sourceShape),
                constraint=report.value(r, SH.sourceConstraint),
                value=report.value(r, SH.value),
            )
        ] += 1
    return found


def messages(report: Graph) -> list[str]:
    return [str(m) for r in top_level_results(report) for m in report.objects(r, SH.resultMessage)]


def assert_violations(data: Graph, shapes: Graph, *expected: Result) -> Graph:
    conforms, report = validate(data, shapes)
    assert not conforms
    assert results(report) == Counter(expected)
    return report


def identifier_of(data: Graph, subject: URIRef) -> Node:
    node = data.value(subject, SCHEMA.identifier)
    assert node is not None
    return node


def author_list_entries(data: Graph) -> list[Node]:
    """The list nodes of the article's bibo:authorList, in order."""
    entries = []
    node = data.value(ARTICLE, BIBO.authorList)
    while node is not None and node != RDF.nil:
        entries.append(node)
        node = data.value(node, RDF.rest)
    return entries


def issn_check_char(issn: str) -> str:
    """Reference implementation of the ISSN check character (ISO 3297)."""
    digits = [int(c) for c in issn[:4] + issn[5:8]]
    r = sum(w * d for w, d in zip(range(8, 1, -1), digits, strict=True)) % 11
    return {0: "0", 1: "X"}.get(r, str(11 - r))


# components
MIN_COUNT = SH.MinCountConstraintComponent
MAX_COUNT = SH.MaxCountConstraintComponent
DATATYPE = SH.DatatypeConstraintComponent
PATTERN = SH.PatternConstraintComponent
MIN_LENGTH = SH.MinLengthConstraintComponent
NODE_KIND = SH.NodeKindConstraintComponent
CLASS = SH.ClassConstraintComponent
OR = SH.OrConstraintComponent
NODE = SH.NodeConstraintComponent
IN = SH.InConstraintComponent
SPARQL = SH.SPARQLConstraintComponent

VALUE_FORM = SHP["PropertyValue-valueForm-sparql"]


# --------------------------------------------------------------------------
# the shapes file itself
# --------------------------------------------------------------------------


def test_shapes_are_named_commented_and_have_messages(shapes: Graph) -> None:
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(
        shapes.subjects(SH.path, None)
    )
    sparql_constraints = set(shapes.objects(None, SH.sparql))
    referenced = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.node))
    for members in shapes.objects(None, SH["or"]):
        referenced |= set(Collection(shapes, members))
    assert node_shapes and property_shapes and sparql_constraints
    for shape in node_shapes | property_shapes | sparql_constraints | referenced:
        assert isinstance(shape, URIRef) and shape.startswith(str(SHP)), shape
    for shape in node_shapes:
        assert shapes.value(shape, RDFS.comment) is not None, shape
    for constraint in sparql_constraints:
        assert FIELD_TERM.search(str(shapes.value(constraint, SH.message))), constraint
    for shape in property_shapes:
        message = shapes.value(shape, SH.message)
        if message is None:
            # SPARQL-only property shapes: the message sits on each constraint
            assert set(shapes.predicate_objects(shape)) - {
                (RDF.type, SH.PropertyShape),
                (SH.path, shapes.value(shape, SH.path)),
                (RDFS.comment, shapes.value(shape, RDFS.comment)),
            } <= {(SH.sparql, c) for c in sparql_constraints}, shape
        else:
            assert FIELD_TERM.search(str(message)), shape


# --------------------------------------------------------------------------
# valid records
# --------------------------------------------------------------------------


def test_founding_record_conforms(record: Graph, shapes: Graph) -> None:
    conforms, report = validate(record, shapes)
    assert conforms, results(report)


def test_record_using_every_optional_field_conforms(record: Graph, shapes: Graph) -> None:
    org = URIRef(BASE + "organization/1")
    issue = URIRef(BASE + "periodical/issn/2234-943X/volume/11/issue/3")
    pmid = BNode()
    record.remove((ARTICLE, SCHEMA.isPartOf, VOLUME))
    for triple in [
        (ARTICLE, SCHEMA.isPartOf, issue),
        (issue, RDF.type, SCHEMA.PublicationIssue),
        (issue, SCHEMA.issueNumber, Literal("3")),
        (issue, SCHEMA.isPartOf, VOLUME),
        (ARTICLE, SCHEMA.pageStart, Literal(1)),
        (ARTICLE, SCHEMA.pageEnd, Literal("e12")),
        (ARTICLE, SCHEMA.keywords, Literal("lymphoma")),
        (ARTICLE, SCHEMA.keywords, Literal("case report")),
        (ARTICLE, SCHEMA.inLanguage, Literal("zh-Hans")),
        (ARTICLE, SCHEMA.contributor, org),
        (org, RDF.type, SCHEMA.Organization),
        (org, SCHEMA.name, Literal("Example Study Group")),
        (ARTICLE, SCHEMA.identifier, pmid),
        (pmid, SCHEMA.propertyID, Literal("PMID")),
        (pmid, SCHEMA.value, Literal("12345678")),
        (AUTHOR_1, SCHEMA.sameAs, URIRef("https://orcid.org/0000-0002-1825-0097")),
        (PERIODICAL, SCHEMA.issn, Literal("0028-4793")),
    ]:
        record.add(triple)
    for n, (scheme, value) in enumerate(
        [("EudraCT", "2004-000123-45"), ("DRKS", "DRKS00012345"), ("ISRCTN", "ISRCTN12345678")]
    ):
        trial, ident = URIRef(f"{BASE}trial/{n}"), BNode()
        record.add((ARTICLE, SCHEMA.mentions, trial))
        record.add((trial, RDF.type, SCHEMA.MedicalTrial))
        record.add((trial, SCHEMA.identifier, ident))
        record.add((trial, SCHEMA.sameAs, URIRef(f"https://registry.example/{value}")))
        record.add((ident, RDF.type, SCHEMA.PropertyValue))
        record.add((ident, SCHEMA.propertyID, Literal(scheme)))
        record.add((ident, SCHEMA.value, Literal(value)))
    conforms, report = validate(record, shapes)
    assert conforms, results(report)


@pytest.mark.parametrize(
    "date",
    [Literal("2021-08-15", datatype=XSD.date), Literal("2021", datatype=XSD.gYear)],
    ids=["date", "gYear"],
)
def test_other_publication_date_forms_conform(record: Graph, shapes: Graph, date: Literal) -> None:
    record.set((ARTICLE, SCHEMA.datePublished, date))
    conforms, report = validate(record, shapes)
    assert conforms, results(report)


# --------------------------------------------------------------------------
# article: core fields
# --------------------------------------------------------------------------


def test_missing_title(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, SCHEMA.name, None))
    report = assert_violations(
        record, shapes, Result(ARTICLE, SCHEMA.name, MIN_COUNT, SHP["Article-name"])
    )
    assert messages(report) == [
        "An article needs exactly one title (schema:name), written as non-empty plain text."
    ]


def test_two_titles(record: Graph, shapes: Graph) -> None:
    record.add((ARTICLE, SCHEMA.name, Literal("A second title")))
    assert_violations(record, shapes, Result(ARTICLE, SCHEMA.name, MAX_COUNT, SHP["Article-name"]))


def test_abstract_without_language_tag_conforms(record: Graph, shapes: Graph) -> None:
    """An abstract whose language the source does not say is plain text, not `und`."""
    record.set((ARTICLE, SCHEMA.abstract, Literal("In recent decades, ...")))
    assert validate(record, shapes)[0]


def test_abstract_that_is_not_text(record: Graph, shapes: Graph) -> None:
    abstract = Literal(12)
    record.set((ARTICLE, SCHEMA.abstract, abstract))
    assert_violations(
        record,
        shapes,
        Result(ARTICLE, SCHEMA.abstract, OR, SHP["Article-abstract"], value=abstract),
    )


def test_pagination_is_text(record: Graph, shapes: Graph) -> None:
    record.add((ARTICLE, SCHEMA.pagination, Literal("1787-8; discussion 1791")))
    assert validate(record, shapes)[0]
    bad = Literal(1787)
    record.set((ARTICLE, SCHEMA.pagination, bad))
    assert_violations(
        record,
        shapes,
        Result(ARTICLE, SCHEMA.pagination, DATATYPE, SHP["Article-pagination"], value=bad),
    )


@pytest.mark.parametrize(
    "date",
    [
        Literal("August 2021"),
        Literal("2021-08-15T00:00:00", datatype=XSD.dateTime),
        Literal("August", datatype=XSD.gYearMonth),  # right datatype, wrong lexical form
    ],
    ids=["plain-string", "dateTime", "ill-formed-gYearMonth"],
)
def test_bad_publication_date(record: Graph, shapes: Graph, date: Literal) -> None:
    record.set((ARTICLE, SCHEMA.datePublished, date))
    assert_violations(
        record,
        shapes,
        Result(ARTICLE, SCHEMA.datePublished, OR, SHP["Article-datePublished"], value=date),
    )


# --------------------------------------------------------------------------
# identifiers
# --------------------------------------------------------------------------


def test_bad_doi_value(record: Graph, shapes: Graph) -> None:
    doi = identifier_of(record, ARTICLE)
    bad = Literal("doi:10.3389/fonc.2021.699946")
    record.set((doi, SCHEMA.value, bad))
    report = assert_violations(
        record,
        shapes,
        # the identifier entry itself (targeted as an object of schema:identifier) ...
        Result(doi, SCHEMA.value, SPARQL, SHP["PropertyValue-valueForm"], VALUE_FORM, bad),
        # ... and the article, whose identifier does not conform to shp:PropertyValue
        Result(ARTICLE, SCHEMA.identifier, NODE, SHP["Article-identifier"], value=doi),
    )
    assert sorted(messages(report)) == [
        "Each identifier of an article (schema:identifier) must be a complete identifier entry: "
        "exactly one scheme name (schema:propertyID) and one value (schema:value) in the form "
        "that scheme requires.",
        'The DOI identifier "doi:10.3389/fonc.2021.699946" (schema:value of an identifier with '
        'schema:propertyID "DOI") is not well-formed: it must be 10. followed by 4 to 9 digits, '
        "a slash and a suffix without spaces, for example 10.3389/fonc.2021.699946.",
    ]


def test_bad_pmid_value(record: Graph, shapes: Graph) -> None:
    pmid = BNode()
    record.add((ARTICLE, SCHEMA.identifier, pmid))
    record.add((pmid, RDF.type, SCHEMA.PropertyValue))
    record.add((pmid, SCHEMA.propertyID, Literal("PMID")))
    bad = Literal("022663011")  # a PubMed number never starts with 0
    record.add((pmid, SCHEMA.value, bad))
    report = assert_violations(
        record,
        shapes,
        Result(pmid, SCHEMA.value, SPARQL, SHP["PropertyValue-valueForm"], VALUE_FORM, bad),
        Result(ARTICLE, SCHEMA.identifier, NODE, SHP["Article-identifier"], value=pmid),
    )
    assert (
        'The PMID identifier "022663011" (schema:value of an identifier with schema:'
        'propertyID "PMID") is not well-formed: it must be a PubMed number of 1 to 9 digits, '
        "for example 22663011." in messages(report)
    )
    record.set((pmid, SCHEMA.value, Literal("22663011")))
    assert validate(record, shapes)[0]  # the well-formed number passes


def test_bad_doi_value_with_a_backslash(record: Graph, shapes: Graph) -> None:
    # pyshacl pastes SPARQL variables into messages with re.sub(), which raises on a
    # backslash followed by a letter; the shape leaves sh:value out for such a value
    # (and shows it in the message) instead of aborting the validation
    doi = identifier_of(record, ARTICLE)
    record.set((doi, SCHEMA.value, Literal("doi:10.1000/a\\d")))
    report = assert_violations(
        record,
        shapes,
        Result(doi, SCHEMA.value, SPARQL, SHP["PropertyValue-valueForm"], VALUE_FORM),
        Result(ARTICLE, SCHEMA.identifier, NODE, SHP["Article-identifier"], value=doi),
    )
    assert any('"doi:10.1000/a\\d"' in m for m in messages(report))


def test_two_dois(record: Graph, shapes: Graph) -> None:
    second = BNode()
    record.add((ARTICLE, SCHEMA.identifier, second))
    record.add((second, RDF.type, SCHEMA.PropertyValue))
    record.add((second, SCHEMA.propertyID, Literal("DOI")))
    record.add((second, SCHEMA.value, Literal("10.1000/another")))
    assert_violations(
        record,
        shapes,
        Result(
            ARTICLE, SCHEMA.identifier, SPARQL, SHP["Article-oneDoi"], SHP["Article-oneDoi-sparql"]
        ),
    )


def test_identifier_without_value(record: Graph, shapes: Graph) -> None:
    doi = identifier_of(record, ARTICLE)
    record.remove((doi, SCHEMA.value, None))
    assert_violations(
        record,
        shapes,
        Result(doi, SCHEMA.value, MIN_COUNT, SHP["PropertyValue-value"]),
        Result(ARTICLE, SCHEMA.identifier, NODE, SHP["Article-identifier"], value=doi),
    )


# --------------------------------------------------------------------------
# journal
# --------------------------------------------------------------------------


def test_bad_issn_pattern(record: Graph, shapes: Graph) -> None:
    bad = Literal("2234943X")
    record.set((PERIODICAL, SCHEMA.issn, bad))
    # the check-digit rule skips values of the wrong form, so only one result
    assert_violations(
        record, shapes, Result(PERIODICAL, SCHEMA.issn, PATTERN, SHP["Periodical-issn"], value=bad)
    )


def test_bad_issn_check_digit(record: Graph, shapes: Graph) -> None:
    bad = Literal("2234-9430")  # same seven digits as 2234-943X: the check must be X, not 0
    assert issn_check_char("2234-9430") == "X"
    record.set((PERIODICAL, SCHEMA.issn, bad))
    report = assert_violations(
        record,
        shapes,
        Result(
            PERIODICAL,
            SCHEMA.issn,
            SPARQL,
            SHP["Periodical-issnCheckDigit"],
            SHP["Periodical-issnCheckDigit-sparql"],
            bad,
        ),
    )
    assert messages(report) == [
        "The ISSN 2234-9430 (schema:issn) has a wrong check digit, so at least one of its "
        "characters is wrong; please compare it with the ISSN printed in the journal or "
        "listed in the ISSN Portal."
    ]


def test_issn_check_digit_agrees_with_reference_implementation(
    record: Graph, shapes: Graph
) -> None:
    # hand-checked: 2234-943X (sum 122, r 1 -> X), 0028-4793 (NEJM: sum 107, r 8 -> 3),
    # 1476-4687 (Nature: sum 158, r 4 -> 7), 0000-0000 (sum 0, r 0 -> 0)
    good = ["2234-943X", "0028-4793", "1476-4687", "0000-0000"]
    bad = ["2234-9430", "0028-4794", "0028-7493", "1476-468X", "0000-000X"]
    assert all(issn_check_char(i) == i[-1] for i in good)
    assert not any(issn_check_char(i) == i[-1] for i in bad)
    record.remove((PERIODICAL, SCHEMA.issn, None))
    for issn in good + bad:
        record.add((PERIODICAL, SCHEMA.issn, Literal(issn)))
    conforms, report = validate(record, shapes)
    flagged = {r.value for r in results(report) if r.shape == SHP["Periodical-issnCheckDigit"]}
    assert flagged == {Literal(i) for i in bad}
    assert not conforms and results(report).total() == len(bad)


def test_volume_without_periodical(record: Graph, shapes: Graph) -> None:
    record.remove((VOLUME, SCHEMA.isPartOf, None))
    assert_violations(
        record,
        shapes,
        Result(VOLUME, SCHEMA.isPartOf, MIN_COUNT, SHP["PublicationVolume-isPartOf"]),
    )


def test_is_part_of_pointing_at_a_person(record: Graph, shapes: Graph) -> None:
    record.set((ARTICLE, SCHEMA.isPartOf, AUTHOR_1))
    assert_violations(
        record,
        shapes,
        Result(ARTICLE, SCHEMA.isPartOf, OR, SHP["Article-isPartOf"], value=AUTHOR_1),
    )


def test_issue_without_number(record: Graph, shapes: Graph) -> None:
    issue = URIRef(BASE + "periodical/issn/2234-943X/volume/11/issue/3")
    record.set((ARTICLE, SCHEMA.isPartOf, issue))
    record.add((issue, RDF.type, SCHEMA.PublicationIssue))
    record.add((issue, SCHEMA.isPartOf, VOLUME))
    assert_violations(
        record,
        shapes,
        Result(issue, SCHEMA.issueNumber, MIN_COUNT, SHP["PublicationIssue-issueNumber"]),
    )


# --------------------------------------------------------------------------
# authors and the ordered author list
# --------------------------------------------------------------------------


def test_author_missing_from_list(record: Graph, shapes: Graph) -> None:
    third = URIRef(BASE + "person/doi/10.3389/fonc.2021.699946/3")
    record.add((ARTICLE, SCHEMA.author, third))
    record.add((third, RDF.type, SCHEMA.Person))
    record.add((third, SCHEMA.name, Literal("A. Third")))
    report = assert_violations(
        record,
        shapes,
        Result(
            ARTICLE,
            BIBO.authorList,
            SPARQL,
            SHP["Article-authorsAreListed"],
            SHP["Article-authorsAreListed-sparql"],
            third,
        ),
    )
    assert str(third) in messages(report)[0]


def test_list_member_that_is_not_an_author(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, SCHEMA.author, AUTHOR_2))
    assert_violations(
        record,
        shapes,
        Result(
            ARTICLE,
            BIBO.authorList,
            SPARQL,
            SHP["Article-authorListMembersAreAuthors"],
            SHP["Article-authorListMembersAreAuthors-sparql"],
            AUTHOR_2,
        ),
    )


def test_duplicated_list_member(record: Graph, shapes: Graph) -> None:
    last = author_list_entries(record)[-1]
    extra = BNode()
    record.set((last, RDF.rest, extra))
    record.add((extra, RDF.first, AUTHOR_1))
    record.add((extra, RDF.rest, RDF.nil))
    assert_violations(
        record,
        shapes,
        Result(
            ARTICLE,
            BIBO.authorList,
            SPARQL,
            SHP["Article-authorListNoDuplicates"],
            SHP["Article-authorListNoDuplicates-sparql"],
            AUTHOR_1,
        ),
    )


def test_author_list_missing_while_authors_exist(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, BIBO.authorList, None))
    assert_violations(
        record,
        shapes,
        Result(
            ARTICLE,
            BIBO.authorList,
            SPARQL,
            SHP["Article-authorListRequired"],
            SHP["Article-authorListRequired-sparql"],
            ARTICLE,  # a node shape's result: its value node is the focus node
        ),
    )


def test_article_without_authors_needs_no_list(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, SCHEMA.author, None))
    record.remove((ARTICLE, BIBO.authorList, None))
    conforms, report = validate(record, shapes)
    assert conforms, results(report)


WELL_FORMED = Result(
    ARTICLE,
    BIBO.authorList,
    SPARQL,
    SHP["Article-authorListWellFormed"],
    SHP["Article-authorListWellFormed-sparql"],
)


def test_broken_list_node_with_two_members(record: Graph, shapes: Graph) -> None:
    first = author_list_entries(record)[0]
    record.add((first, RDF.first, AUTHOR_2))
    assert_violations(
        record,
        shapes,
        WELL_FORMED,
        # AUTHOR_2 now sits in two entries, which is also a duplicate
        Result(
            ARTICLE,
            BIBO.authorList,
            SPARQL,
            SHP["Article-authorListNoDuplicates"],
            SHP["Article-authorListNoDuplicates-sparql"],
            AUTHOR_2,
        ),
    )


def test_list_that_does_not_end_at_nil(record: Graph, shapes: Graph) -> None:
    last = author_list_entries(record)[-1]
    record.remove((last, RDF.rest, RDF.nil))
    assert_violations(record, shapes, WELL_FORMED)


def test_list_that_loops_back_on_itself(record: Graph, shapes: Graph) -> None:
    first, last = author_list_entries(record)
    record.set((last, RDF.rest, first))
    assert_violations(record, shapes, WELL_FORMED)


def test_author_that_is_not_a_person_or_organization(record: Graph, shapes: Graph) -> None:
    record.remove((AUTHOR_2, RDF.type, SCHEMA.Person))
    assert_violations(
        record, shapes, Result(ARTICLE, SCHEMA.author, OR, SHP["Article-author"], value=AUTHOR_2)
    )


def test_person_without_name(record: Graph, shapes: Graph) -> None:
    record.remove((AUTHOR_1, SCHEMA.name, None))
    assert_violations(record, shapes, Result(AUTHOR_1, SCHEMA.name, MIN_COUNT, SHP["Person-name"]))


def test_organization_without_name(record: Graph, shapes: Graph) -> None:
    org = URIRef(BASE + "organization/1")
    record.add((ARTICLE, SCHEMA.contributor, org))
    record.add((org, RDF.type, SCHEMA.Organization))
    assert_violations(record, shapes, Result(org, SCHEMA.name, MIN_COUNT, SHP["Organization-name"]))


# --------------------------------------------------------------------------
# clinical trials
# --------------------------------------------------------------------------


def test_bad_nct_id(record: Graph, shapes: Graph) -> None:
    ident = identifier_of(record, TRIAL)
    bad = Literal("NCT0234969")  # 7 digits
    record.set((ident, SCHEMA.value, bad))
    report = assert_violations(
        record,
        shapes,
        Result(ident, SCHEMA.value, SPARQL, SHP["PropertyValue-valueForm"], VALUE_FORM, bad),
    )
    assert messages(report) == [
        'The ClinicalTrials.gov identifier "NCT0234969" (schema:value of an identifier with '
        'schema:propertyID "ClinicalTrials.gov") is not well-formed: it must be NCT followed by '
        "8 digits, for example NCT02349698."
    ]


@pytest.mark.parametrize(
    ("scheme", "value", "expected_form"),
    [
        ("EudraCT", "2004-00123-45", "for example 2004-000123-45"),
        ("DRKS", "DRKS0001234", "for example DRKS00012345"),
        ("ISRCTN", "ISRCTN 12345678", "for example ISRCTN12345678"),
    ],
)
def test_bad_other_registry_ids(
    record: Graph, shapes: Graph, scheme: str, value: str, expected_form: str
) -> None:
    ident = identifier_of(record, TRIAL)
    record.set((ident, SCHEMA.propertyID, Literal(scheme)))
    record.set((ident, SCHEMA.value, Literal(value)))
    report = assert_violations(
        record,
        shapes,
        Result(
            ident, SCHEMA.value, SPARQL, SHP["PropertyValue-valueForm"], VALUE_FORM, Literal(value)
        ),
    )
    [message] = messages(report)
    assert message.startswith(f'The {scheme} identifier "{value}"') and expected_form in message


def test_trial_identifier_from_unsupported_registry(record: Graph, shapes: Graph) -> None:
    ident = identifier_of(record, TRIAL)
    record.set((ident, SCHEMA.propertyID, Literal("DOI")))
    record.set((ident, SCHEMA.value, Literal("10.1000/trial")))
    assert_violations(
        record,
        shapes,
        Result(
            TRIAL,
            (SCHEMA.identifier, SCHEMA.propertyID),
            IN,
            SHP["MedicalTrial-registry"],
            value=Literal("DOI"),
        ),
    )


def test_medical_trial_without_same_as(record: Graph, shapes: Graph) -> None:
    record.remove((TRIAL, SCHEMA.sameAs, None))
    assert_violations(
        record, shapes, Result(TRIAL, SCHEMA.sameAs, MIN_COUNT, SHP["MedicalTrial-sameAs"])
    )


# --------------------------------------------------------------------------
# medical articles / case reports
# --------------------------------------------------------------------------


def test_medical_article_without_publication_type(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, SCHEMA.publicationType, None))
    assert_violations(
        record,
        shapes,
        Result(
            ARTICLE,
            SCHEMA.publicationType,
            MIN_COUNT,
            SHP["MedicalScholarlyArticle-publicationType"],
        ),
    )


def test_medical_article_not_typed_scholarly_article(record: Graph, shapes: Graph) -> None:
    record.remove((ARTICLE, RDF.type, SCHEMA.ScholarlyArticle))
    assert_violations(
        record, shapes, Result(ARTICLE, None, CLASS, SHP.MedicalScholarlyArticle, value=ARTICLE)
    )


# --------------------------------------------------------------------------
# other article fields
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "value", "component", "shape"),
    [
        (SCHEMA.inLanguage, Literal("English"), PATTERN, "Article-inLanguage"),
        (SCHEMA.pageStart, Literal("1.5", datatype=XSD.decimal), OR, "Article-pageStart"),
        (SCHEMA.keywords, Literal(""), MIN_LENGTH, "Article-keywords"),
        (
            SCHEMA.sameAs,
            Literal("https://doi.org/10.3389/fonc.2021.699946"),
            NODE_KIND,
            "Article-sameAs",
        ),
        (SCHEMA.mentions, Literal("NCT02349698"), NODE_KIND, "Article-mentions"),
        (SCHEMA.contributor, URIRef(BASE + "periodical/issn/2234-943X"), OR, "Article-contributor"),
    ],
    ids=["inLanguage", "pageStart", "keywords", "sameAs", "mentions", "contributor"],
)
def test_other_article_fields(
    record: Graph, shapes: Graph, prop: URIRef, value: Node, component: URIRef, shape: str
) -> None:
    record.set((ARTICLE, prop, value))
    assert_violations(record, shapes, Result(ARTICLE, prop, component, SHP[shape], value=value))
