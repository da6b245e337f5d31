"""When resources minted by different records are one thing, and which IRI it goes by.

Records mint IRIs from what they know alone (`publisher.mapping.iris`): a journal by
the least ISSN the record gives, a person by their place in the article's author list,
a trial by the registration number the record cites. Two records can therefore name
one thing with two IRIs: a catalogue page gives a journal's print ISSN only, PubMed
both; an ORCID iD names one person in many articles; a ClinicalTrials.gov record lists
the EudraCT number that an article cites. The published view joins them:

* **Identity keys**: a resource's strong identifiers, as its source records state them:
  a periodical's ISSNs (print, electronic, linking), a person's ORCID iD, a trial's
  registration numbers (its own and the secondary ones its registry record lists).
  Resources that share a key, directly or through others, are one *component*.
* **The canonical IRI** of a component depends only on its keys and members, never on
  the order records came in: a person with an ORCID iD is `{base}person/orcid/{iD}` (one
  resource across all their articles); a trial goes by its ClinicalTrials.gov IRI when
  it has one, a periodical by its least ISSN (the least member IRI).
* **Parts follow their whole**: a volume or issue minted under a periodical IRI that is
  not canonical (`…/issn/B/volume/3`) is the same volume under the canonical one
  (`…/issn/A/volume/3`).
* The other members are **aliases**: the view says `<alias> owl:sameAs <canonical>`,
  pages answer for an alias with a redirect, and every reference to an alias in the
  view is written as the canonical IRI.

Articles are not joined by identifiers here: an article is minted from its DOI when any
record gives one, and records without a DOI are rare in the formats we read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.identifiers import TRIAL_REGISTRIES
from publisher.mapping.vocab import OWL

OWL_SAME_AS = NamedNode(OWL + "sameAs")
ORCID_PREFIX = "https://orcid.org/"

# A registration's preference as the trial's name: the order of TRIAL_REGISTRIES
# (ClinicalTrials.gov first).
_REGISTRY_ORDER = {registry.key: n for n, registry in enumerate(TRIAL_REGISTRIES.values())}


@dataclass(frozen=True, order=True)
class Key:
    """One identity key: `kind` is "issn", "orcid" or "trial"; `scheme` the registry's
    name for trials ("" otherwise); `value` as the records write it (normalised by the
    readers: `1234-567X`, `0000-0002-1825-0097`, `NCT01234567`)."""

    kind: str
    scheme: str
    value: str


@dataclass(frozen=True)
class Identity:
    """The canonical IRI rules of one publication (under its base URI)."""

    base: str

    def canonical(self, members: Iterable[NamedNode], keys: Iterable[Key]) -> NamedNode:
        """The IRI a component goes by: a function of its members and keys only."""
        orcids = sorted(k.value for k in keys if k.kind == "orcid")
        if orcids:
            return NamedNode(f"{self.base}person/orcid/{quote(orcids[0], safe='-')}")
        return min(members, key=self._preference)

    def _preference(self, member: NamedNode) -> tuple[int, str]:
        trial = f"{self.base}trial/"
        if member.value.startswith(trial):
            registry = member.value[len(trial) :].split("/", 1)[0]
            return _REGISTRY_ORDER.get(registry, len(_REGISTRY_ORDER)), member.value
        return 0, member.value

    def names_alone(self, iri: str) -> bool:
        """Whether the IRI is minted by the view alone (no record names it): a person by
        ORCID iD."""
        return iri.startswith(f"{self.base}person/orcid/")

    def whole_of(self, part: NamedNode) -> tuple[NamedNode, str] | None:
        """A volume's or issue's periodical and the rest of its IRI (None when the IRI
        is no part of a periodical): `…/periodical/issn/X/volume/3` ->
        (`…/periodical/issn/X`, `/volume/3`)."""
        stem = f"{self.base}periodical/"
        if not part.value.startswith(stem):
            return None
        segments = part.value[len(stem) :].split("/")
        if len(segments) <= 2:
            return None
        whole = stem + "/".join(segments[:2])
        return NamedNode(whole), part.value[len(whole) :]

    def may_be_alias(self, term: NamedNode) -> bool:
        """Whether an IRI is of a kind that can be joined with others (worth looking up)."""
        return term.value.startswith(
            tuple(f"{self.base}{kind}/" for kind in ("periodical", "person", "trial"))
        )


def drop_ambiguous_orcids(keys_of: Mapping[NamedNode, set[Key]]) -> None:
    """An ORCID iD that sources give to two authors of one article (two places in its
    list) joins neither: one person cannot be two authors of one article, and which
    source is right is not ours to guess. The authors stay persons of that article."""
    holders: dict[tuple[Key, str], set[NamedNode]] = {}
    for resource, keys in keys_of.items():
        for key in keys:
            if key.kind == "orcid":
                article = resource.value.rsplit("/", 1)[0]
                holders.setdefault((key, article), set()).add(resource)
    for (key, _), resources in holders.items():
        if len(resources) > 1:
            for resource in resources:
                keys_of[resource].discard(key)


def keys_from_row(kind: str, scheme: str, value: str) -> Key | None:
    """A key from what a source graph states (see `publisher.store.identities`)."""
    if kind == "orcid":
        if not value.startswith(ORCID_PREFIX):
            return None
        return Key("orcid", "", value[len(ORCID_PREFIX) :])
    if kind == "issn":
        return Key("issn", "", value.strip().upper())
    if kind == "trial":
        return Key("trial", scheme, value.strip().upper())
    return None


class Renaming:
    """Aliases -> canonical IRIs, applied to triples: the nodes an alias owns
    (`{alias}#…`) follow it."""

    def __init__(self, canonical: Mapping[NamedNode, NamedNode]) -> None:
        self.canonical = {a: c for a, c in canonical.items() if a != c}

    def __bool__(self) -> bool:
        return bool(self.canonical)

    def term(self, term: NamedNode) -> NamedNode:
        found = self.canonical.get(term)
        if found is not None:
            return found
        if "#" in term.value:
            owner, fragment = term.value.split("#", 1)
            owner_canonical = self.canonical.get(NamedNode(owner))
            if owner_canonical is not None:
                return NamedNode(f"{owner_canonical.value}#{fragment}")
        return term

    def touches(self, triples: Iterable[Triple]) -> bool:
        """Whether renaming would change any of the triples."""
        return any(
            (isinstance(t.subject, NamedNode) and self.term(t.subject) != t.subject)
            or (isinstance(t.object, NamedNode) and self.term(t.object) != t.object)
            for t in triples
        )

    def triples(self, triples: Sequence[Triple]) -> list[Triple]:
        if not self.canonical:
            return list(triples)
        return [self._triple(t) for t in triples]

    def _triple(self, triple: Triple) -> Triple:
        subject: NamedNode | BlankNode | Triple = triple.subject
        if isinstance(subject, NamedNode):
            subject = self.term(subject)
        obj: NamedNode | BlankNode | Literal | Triple = triple.object
        if isinstance(obj, NamedNode):
            obj = self.term(obj)
        return Triple(subject, triple.predicate, obj)


def alias_triples(canonical: NamedNode, members: Iterable[NamedNode]) -> list[Triple]:
    """What the view says of a component's other members."""
    return [Triple(m, OWL_SAME_AS, canonical) for m in sorted(members, key=str) if m != canonical]


def alias_target(resource: NamedNode, triples: Sequence[Triple]) -> NamedNode | None:
    """The canonical IRI when the view's description of `resource` says only that it is
    another resource (an alias), else None."""
    targets = {
        t.object
        for t in triples
        if t.subject == resource and t.predicate == OWL_SAME_AS and isinstance(t.object, NamedNode)
    }
    others = [t for t in triples if t.subject == resource and t.predicate != OWL_SAME_AS]
    if len(targets) != 1 or others:
        return None
    return next(iter(targets))
