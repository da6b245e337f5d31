"""Personal names as catalogues write them (`Family, Given` lists), and the one rule
that tells a corporate body from a person where a source does not say which."""

from __future__ import annotations

import re

from publisher.model import Agent, Organization, Person

# Words that name a body, not a person, in the languages of our sources; matched as
# whole words, case-insensitively ("Working Party" by "working", "Study Group" by "group").
ORGANIZATION_WORDS = frozenset((
    "academy", "accademia", "agence", "agencia", "agency", "akademie", "alliance",
    "allianz", "amt", "arbeitsgruppe", "arbeitskreis", "asociacion", "asociación",
    "associacao", "associates", "association", "associazione", "associação",
    "ausschuss", "board", "bundesamt", "bureau", "center", "centre", "centro", "clinic",
    "collaboration", "collaborative", "collaborators", "college", "collège", "comitato",
    "comite", "comité", "commission", "committee", "company", "consorcio", "consortium",
    "consorzio", "corporation", "council", "departamento", "departement", "department",
    "division", "département", "faculty", "fakultät", "federación", "federation",
    "fondation", "fondazione", "forum", "foundation", "fundacao", "fundación",
    "fundação", "fédération", "gesellschaft", "gmbh", "group", "groupe", "grupo",
    "gruppe", "gruppo", "hospital", "hôpital", "inc", "initiative", "institut",
    "institute", "institution", "instituto", "investigators", "istituto", "klinik",
    "klinikum", "kommission", "konsortium", "laboratoire", "laboratories", "laboratory",
    "llc", "ltd", "ministerium", "ministry", "network", "netzwerk", "organisatie",
    "organisation", "organization", "panel", "partnership", "pharmaceutical",
    "pharmaceuticals", "program", "programme", "project", "registry", "réseau",
    "sektion", "sociedad", "sociedade", "societa", "societe", "society", "società",
    "société", "stiftung", "taskforce", "team", "therapeutics", "trialists", "union",
    "universidad", "universidade", "universita", "universite", "university",
    "università", "universität", "université", "verband", "verein", "working",
    "zentrum",
))  # fmt: skip
# German compounds end in the word: Fachgesellschaft, Bundesinstitut, Forschungsverbund.
_GERMAN_ENDINGS = (
    "gesellschaft", "gemeinschaft", "institut", "verband", "verbund", "verein",
    "zentrum", "kommission", "ausschuss", "stiftung", "klinikum", "akademie", "netzwerk",
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def is_organization_name(name: str) -> bool:
    """The rule for a free-text name whose source does not say person or body: a body
    when it has no comma (persons are written `Family, Given`) and holds a word of
    `ORGANIZATION_WORDS` (or a German compound ending in one, `Fachgesellschaft`).

    "Deutsche Gesellschaft für Ernährung", "ECOG-ACRIN Cancer Research Group", "SPRINT
    Research Group", "Writing Committee for the ..." are bodies; "Smith, John", "Aristotle"
    and "Group, Anna" (a comma) are not."""
    if "," in name:
        return False
    for word in _WORD.findall(name.casefold()):
        if word in ORGANIZATION_WORDS or word.endswith(_GERMAN_ENDINGS):
            return True
    return False


def agent_from_name(name: str) -> Agent:
    """A name given whole, without its parts: an Organization by `is_organization_name`,
    else a Person known by that name alone (it cannot be split safely)."""
    name = " ".join(name.split())
    return Organization(name) if is_organization_name(name) else Person(name=name)


_ROLE_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")  # "Htun, Kyaw Thu [VerfasserIn]"


def person_from_parts(family: str | None, given: str | None) -> Person:
    family = (family or "").strip() or None
    given = (given or "").strip() or None
    name = " ".join(part for part in (given, family) if part)
    return Person(name=name, family_name=family, given_name=given)


def split_inverted_name_list(text: str) -> tuple[list[Agent], list[str]]:
    """Parse `Family, Given, Family, Given, ...` keeping the order.

    Returns the agents and any warnings. A list written with ` ; ` between names is
    read name by name; a flat comma list is read in pairs, as VuFind prints it, except
    that a part that is a body's name by `is_organization_name` ("Deutsche Gesellschaft
    für Ernährung" among "Weitere Verfasser") is an Organization on its own, in its
    place. An odd count of name parts leaves a last name without a given name, which is
    kept and warned about.
    """
    text = text.strip().rstrip(",;")
    if not text:
        return [], []
    if ";" in text:
        return [_inverted_name(part) for part in text.split(";") if part.strip()], []
    parts = [_ROLE_SUFFIX.sub("", p).strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    agents: list[Agent] = []
    pending: list[str] = []
    for part in parts:
        if not pending and is_organization_name(part):
            agents.append(Organization(" ".join(part.split())))
        elif pending:
            agents.append(person_from_parts(pending.pop(), part))
        else:
            pending.append(part)
    warnings = []
    if pending:
        agents.append(person_from_parts(pending[0], None))
        warnings.append(
            f"odd number of name parts in {text!r}: {pending[0]!r} kept as a family name alone"
        )
    return agents, warnings


def _inverted_name(text: str) -> Agent:
    name = _ROLE_SUFFIX.sub("", text).strip()
    if is_organization_name(name):
        return Organization(" ".join(name.split()))
    family, _, given = name.partition(",")
    return person_from_parts(family, given)


def agent_from_inverted(text: str) -> Agent:
    """`person_from_inverted`, except that a body's name (`is_organization_name`) is an
    Organization: Dublin Core `dc:creator` holds both."""
    name = _ROLE_SUFFIX.sub("", text).strip()
    return (
        Organization(" ".join(name.split()))
        if is_organization_name(name)
        else (person_from_inverted(name))
    )


def person_from_inverted(text: str) -> Person:
    """One `Family, Given` name (MARC 100/700 $a, Dublin Core creator) -> Person.

    Without a comma the name cannot be split safely ("Kyaw Thu Htun", "Aristotle"): it
    is kept whole as the display name, with neither part set.
    """
    family, comma, given = _ROLE_SUFFIX.sub("", text).strip().partition(",")
    if not comma:
        return Person(name=" ".join(family.split()))
    return person_from_parts(" ".join(family.split()), " ".join(given.split()))
