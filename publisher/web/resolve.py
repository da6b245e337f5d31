"""Identifier resolution: /doi/{doi}, /pmid/{pmid}, /issn/{issn}, /orcid/{orcid} and
/nct/, /eudract/, /drks/, /isrctn/{registration number}.

Each answers `303 See Other` with `Location:` our resource for that identifier, `404`
with a message when we publish none, `400` when the text is not such an identifier,
and `300 Multiple Choices` (Location: the first, the body: all of them) when several
resources carry it. An ORCID iD names one person (`{base}person/orcid/{iD}`, however
many articles they wrote), an ISSN one periodical, a trial number one trial: the
published view joins the resources that share them (`publisher.mapping.identity`), and
the IRI minted from an identifier that the view calls otherwise leads to the canonical
one.

The IRI we would mint for the identifier is tried first (one index lookup); then the
published identifiers: `schema:identifier [ schema:propertyID "DOI"; schema:value ... ]`
(so a PMID-keyed article with a DOI resolves by its DOI), `schema:issn`, and
`schema:sameAs <https://orcid.org/...>`. DOIs match case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response
from pyoxigraph import Literal, NamedNode, QueryBoolean, QuerySolutions
from starlette.concurrency import run_in_threadpool

from publisher.identifiers import (
    ISSN_PATTERN,
    TRIAL_REGISTRIES,
    clean_doi,
    clean_issn,
    clean_orcid,
    is_valid_doi,
)
from publisher.mapping.identity import OWL_SAME_AS
from publisher.mapping.iris import IriMinter, article_key, pmid_key
from publisher.mapping.vocab import SCHEMA
from publisher.model import Periodical, Record, SourceRef, TrialId
from publisher.store.base import Store
from publisher.web.caching import uri_reference
from publisher.web.errors import ClientError

MAX_CHOICES = 20


@dataclass(frozen=True)
class Lookup:
    """How to find the resources an identifier names."""

    label: str  # "DOI", for messages
    value: str  # the identifier, normalised
    minted: list[str]  # IRIs we would mint for it, tried first
    patterns: list[str]  # SPARQL group patterns binding ?item, tried in order


def _property_value(kind: str, values: list[str]) -> str:
    listed = " ".join(str(Literal(v)) for v in dict.fromkeys(values))
    return (
        f"VALUES ?v {{ {listed} }} ?id schema:value ?v ; schema:propertyID {Literal(kind)} . "
        "?item schema:identifier ?id ."
    )


def doi_lookup(raw: str, minter: IriMinter) -> Lookup:
    doi = clean_doi(raw)
    if not is_valid_doi(doi):
        raise ClientError(400, f"{raw!r} is not a DOI (10.prefix/suffix)")
    key = doi.lower()
    scan = (
        '?item schema:identifier ?id . ?id schema:propertyID "DOI" ; schema:value ?v . '
        f"FILTER(LCASE(STR(?v)) = {Literal(key)})"
    )
    record = Record(SourceRef("", 0), doi=doi)
    return Lookup(
        "DOI",
        doi,
        [minter.article(article_key(record))],
        [_property_value("DOI", [doi, key, doi.upper()]), scan],
    )


def pmid_lookup(raw: str, minter: IriMinter) -> Lookup:
    pmid = raw.strip()
    if not pmid.isdigit():
        raise ClientError(400, f"{raw!r} is not a PMID (digits only)")
    return Lookup("PMID", pmid, [minter.article(pmid_key(pmid))], [_property_value("PMID", [pmid])])


def issn_lookup(raw: str, minter: IriMinter) -> Lookup:
    issn = clean_issn(raw)
    if not ISSN_PATTERN.match(issn):
        raise ClientError(400, f"{raw!r} is not an ISSN (NNNN-NNNC)")
    return Lookup(
        "ISSN",
        issn,
        [minter.periodical(Periodical("", (issn,)))],
        [f"?item schema:issn {Literal(issn)} ."],
    )


def orcid_lookup(raw: str, minter: IriMinter) -> Lookup:
    orcid = clean_orcid(raw)
    if orcid is None:
        raise ClientError(400, f"{raw!r} is not an ORCID iD (0000-0000-0000-000X)")
    return Lookup("ORCID iD", orcid, [], [f"?item schema:sameAs <https://orcid.org/{orcid}> ."])


def trial_lookup(registry_key: str) -> Callable[[str, IriMinter], Lookup]:
    registry = TRIAL_REGISTRIES[registry_key]

    def lookup(raw: str, minter: IriMinter) -> Lookup:
        match = registry.finder.fullmatch(raw.strip())
        if match is None:
            raise ClientError(400, f"{raw!r} is not a {registry.name} registration number")
        number = registry.normalise(match)
        return Lookup(
            f"{registry.name} number",
            number,
            [minter.trial(TrialId(registry.key, number))],
            [_property_value(registry.name, [number])],
        )

    return lookup


SCHEMES: dict[str, Callable[[str, IriMinter], Lookup]] = {
    "doi": doi_lookup,
    "pmid": pmid_lookup,
    "issn": issn_lookup,
    "orcid": orcid_lookup,
    **{key: trial_lookup(key) for key in TRIAL_REGISTRIES},
}


def resolve(store: Store, lookup: Lookup) -> list[str]:
    """Our resources for the identifier: the minted IRI if we publish it, else every
    resource carrying the identifier (sorted, at most MAX_CHOICES)."""
    for iri in lookup.minted:
        try:
            node = NamedNode(iri)
        except ValueError:
            continue
        found = store.query(f"ASK {{ {node} ?p ?o }}")
        if isinstance(found, QueryBoolean) and bool(found):
            return [_canonical(store, node)]
    for pattern in lookup.patterns:
        result = store.query(
            f"PREFIX schema: <{SCHEMA}>\nSELECT DISTINCT ?item WHERE {{ {pattern} "
            f"FILTER(isIRI(?item)) }} ORDER BY STR(?item) LIMIT {MAX_CHOICES}"
        )
        assert isinstance(result, QuerySolutions)
        items = [row["item"].value for row in result if isinstance(row["item"], NamedNode)]
        if items:
            return items
    return []


def _canonical(store: Store, node: NamedNode) -> str:
    """The IRI the view describes the resource under (itself unless it is an alias)."""
    rows = store.query(f"SELECT ?c WHERE {{ {node} {OWL_SAME_AS} ?c }}")
    assert isinstance(rows, QuerySolutions)
    targets = [row["c"].value for row in rows if isinstance(row["c"], NamedNode)]
    return targets[0] if len(targets) == 1 else node.value


def add_routes(app: FastAPI, base: str, store: Store) -> None:
    """Register /{scheme}/{identifier} for every scheme (before the catch-all route)."""
    minter = IriMinter(base)
    for scheme, make in SCHEMES.items():
        app.add_api_route(
            f"/{scheme}/{{identifier:path}}",
            _endpoint(store, minter, make),
            methods=["GET", "HEAD"],
            summary=f"303 See Other to our resource for a {scheme.upper()} identifier",
        )


def _endpoint(
    store: Store, minter: IriMinter, make: Callable[[str, IriMinter], Lookup]
) -> Callable[[str], object]:
    async def resolve_identifier(identifier: str) -> Response:
        lookup = make(identifier, minter)
        found = await run_in_threadpool(resolve, store, lookup)
        if not found:
            raise ClientError(404, f"nothing is published here for {lookup.label} {lookup.value}")
        if len(found) == 1:
            return PlainTextResponse(
                f"See Other: {found[0]}\n",
                status_code=303,
                headers={"Location": uri_reference(found[0])},
            )
        listed = "".join(f"{iri}\n" for iri in found)
        return PlainTextResponse(
            f"{len(found)} resources carry {lookup.label} {lookup.value}:\n{listed}",
            status_code=300,
            headers={"Location": uri_reference(found[0])},
        )

    return resolve_identifier
