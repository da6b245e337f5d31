"""Personal names as catalogues write them: `Family, Given` lists."""

from __future__ import annotations

import re

from publisher.model import Person

_ROLE_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")  # "Htun, Kyaw Thu [VerfasserIn]"


def person_from_parts(family: str | None, given: str | None) -> Person:
    family = (family or "").strip() or None
    given = (given or "").strip() or None
    name = " ".join(part for part in (given, family) if part)
    return Person(name=name, family_name=family, given_name=given)


def split_inverted_name_list(text: str) -> tuple[list[Person], list[str]]:
    """Parse `Family, Given, Family, Given, ...` keeping the order.

    Returns the persons and any warnings. A list written with ` ; ` between names is
    read name by name; a flat comma list is read in pairs, as VuFind prints it. An odd
    count leaves a last name without a given name, which is kept and warned about.
    """
    text = text.strip().rstrip(",;")
    if not text:
        return [], []
    if ";" in text:
        people = [_inverted_name(part) for part in text.split(";") if part.strip()]
        return people, []
    parts = [_ROLE_SUFFIX.sub("", p).strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    people = [
        person_from_parts(parts[i], parts[i + 1] if i + 1 < len(parts) else None)
        for i in range(0, len(parts), 2)
    ]
    warnings = []
    if len(parts) % 2:
        warnings.append(
            f"odd number of name parts in {text!r}: {parts[-1]!r} kept as a family name alone"
        )
    return people, warnings


def _inverted_name(text: str) -> Person:
    family, _, given = _ROLE_SUFFIX.sub("", text).partition(",")
    return person_from_parts(family, given)


def person_from_inverted(text: str) -> Person:
    """One `Family, Given` name (MARC 100/700 $a, Dublin Core creator) -> Person.

    Without a comma the name cannot be split safely ("Kyaw Thu Htun", "Aristotle"): it
    is kept whole as the display name, with neither part set.
    """
    family, comma, given = _ROLE_SUFFIX.sub("", text).strip().partition(",")
    if not comma:
        return Person(name=" ".join(family.split()))
    return person_from_parts(" ".join(family.split()), " ".join(given.split()))
