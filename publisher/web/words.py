"""Plain words for the HTML pages: what a type, a property, a registry code or a
language tag is called in English.

The RDF keeps its terms and codes (`schema:MedicalScholarlyArticle`, `PHASE2`, `en`);
only the pages speak the reader's language. Anything not listed here still gets a
readable label (a class or property name split into words, a code in sentence case),
so a new term never shows up as an IRI.
"""

from __future__ import annotations

import re

from publisher.mapping.vocab import BIBO, PUB, RDF, RDFS, SCHEMA

# schema.org (and other) classes, most specific first where a page shows only one.
TYPE_LABELS: dict[str, str] = {
    SCHEMA + "MedicalScholarlyArticle": "Medical article",
    SCHEMA + "ScholarlyArticle": "Article",
    SCHEMA + "CreativeWork": "Work",
    SCHEMA + "Person": "Person",
    SCHEMA + "Organization": "Organisation",
    SCHEMA + "Periodical": "Journal",
    SCHEMA + "PublicationVolume": "Volume",
    SCHEMA + "PublicationIssue": "Issue",
    SCHEMA + "MedicalTrial": "Clinical trial",
    SCHEMA + "MedicalCondition": "Condition",
    SCHEMA + "DefinedTerm": "Subject term",
    SCHEMA + "PropertyValue": "Identifier",
    SCHEMA + "Drug": "Drug",
    SCHEMA + "MedicalProcedure": "Procedure",
    SCHEMA + "MedicalTherapy": "Therapy",
    SCHEMA + "MedicalDevice": "Device",
    SCHEMA + "DietarySupplement": "Dietary supplement",
    SCHEMA + "Dataset": "Dataset",
    SCHEMA + "DataCatalog": "Data catalogue",
    SCHEMA + "SoftwareApplication": "Software",
    PUB + "SourceRecord": "Source record",
}
# A more general type is not worth showing beside a more specific one.
IMPLIED_TYPES = {
    SCHEMA + "MedicalScholarlyArticle": {SCHEMA + "ScholarlyArticle", SCHEMA + "CreativeWork"},
    SCHEMA + "ScholarlyArticle": {SCHEMA + "CreativeWork"},
}

# PubMed publication types (MEDLINE PT) as a reader would say them; other sources' words
# ("journal-article", "article-journal", "JOUR") too.
PUBLICATION_TYPES: dict[str, str] = {
    "journal article": "Journal article",
    "journal-article": "Journal article",
    "article-journal": "Journal article",
    "jour": "Journal article",
    "article": "Journal article",
    "case reports": "Case report",
    "review": "Review",
    "systematic review": "Systematic review",
    "meta-analysis": "Meta-analysis",
    "randomized controlled trial": "Randomised controlled trial",
    "clinical trial": "Clinical trial",
    "clinical trial, phase i": "Clinical trial, phase 1",
    "clinical trial, phase ii": "Clinical trial, phase 2",
    "clinical trial, phase iii": "Clinical trial, phase 3",
    "clinical trial, phase iv": "Clinical trial, phase 4",
    "multicenter study": "Multicentre study",
    "comparative study": "Comparative study",
    "observational study": "Observational study",
    "letter": "Letter",
    "editorial": "Editorial",
    "comment": "Comment",
    "news": "News",
    "preprint": "Preprint",
    "published erratum": "Correction",
    "retracted publication": "Retracted publication",
    "retraction of publication": "Retraction",
    "research support, non-u.s. gov't": "Research support (non-US government)",
    "research support, u.s. gov't, p.h.s.": "Research support (US PHS)",
    "research support, u.s. gov't, non-p.h.s.": "Research support (US government, non-PHS)",
    "research support, n.i.h., extramural": "Research support (NIH, extramural)",
    "research support, n.i.h., intramural": "Research support (NIH, intramural)",
}

# ClinicalTrials.gov codes (phases, study types, design words, statuses, intervention
# types) whose sentence-case spelling would not read right.
CODES: dict[str, str] = {
    "NA": "Not applicable",
    "EARLY_PHASE1": "Early phase 1",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "NON_RANDOMIZED": "Non-randomised",
    "RANDOMIZED": "Randomised",
    "HEALTH_SERVICES_RESEARCH": "Health services research",
    "NONE": "None (open label)",
}
_PHASE = re.compile(r"PHASE(\d)")
_CODE = re.compile(r"[A-Z0-9_]+")

LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "hu": "Hungarian",
    "tr": "Turkish",
    "el": "Greek",
    "la": "Latin",
    "ar": "Arabic",
    "he": "Hebrew",
    "fa": "Persian",
    "hr": "Croatian",
    "uk": "Ukrainian",
    "und": "Undetermined",
}

# Properties in the order a page lists them, with their labels. Those not listed come
# after, labelled from their names, in alphabetical order of the label.
PROPERTIES: list[tuple[str, str]] = [
    (SCHEMA + "name", "Name"),
    (SCHEMA + "headline", "Headline"),
    (SCHEMA + "alternateName", "Other names"),
    (SCHEMA + "givenName", "Given name"),
    (SCHEMA + "familyName", "Family name"),
    (SCHEMA + "affiliation", "Affiliations"),
    (SCHEMA + "author", "Authors"),
    (BIBO + "authorList", "Authors, in order"),
    (SCHEMA + "isPartOf", "Published in"),
    (SCHEMA + "volumeNumber", "Volume"),
    (SCHEMA + "issueNumber", "Issue"),
    (SCHEMA + "issn", "ISSN"),
    (SCHEMA + "publisher", "Publisher"),
    (SCHEMA + "datePublished", "Published"),
    (SCHEMA + "pageStart", "First page"),
    (SCHEMA + "pageEnd", "Last page"),
    (SCHEMA + "publicationType", "Publication type"),
    (SCHEMA + "inLanguage", "Language"),
    (SCHEMA + "identifier", "Identifiers"),
    (PUB + "trialPhase", "Phase"),
    (PUB + "studyType", "Study type"),
    (SCHEMA + "trialDesign", "Design"),
    (PUB + "design", "Design"),
    (SCHEMA + "status", "Status"),
    (SCHEMA + "startDate", "Started"),
    (SCHEMA + "endDate", "Completed"),
    (PUB + "enrollment", "Participants"),
    (SCHEMA + "healthCondition", "Conditions"),
    (PUB + "intervention", "Interventions"),
    (SCHEMA + "sponsor", "Sponsor"),
    (PUB + "collaborator", "Collaborators"),
    (SCHEMA + "citation", "Publications"),
    (SCHEMA + "mentions", "Clinical trials mentioned"),
    (SCHEMA + "about", "Subjects"),
    (SCHEMA + "keywords", "Keywords"),
    (SCHEMA + "abstract", "Abstract"),
    (SCHEMA + "description", "Description"),
    (SCHEMA + "sameAs", "Elsewhere"),
    (SCHEMA + "url", "Web page"),
    (RDF + "type", "Type"),
    (RDFS + "label", "Label"),
]
PROPERTY_LABELS = dict(PROPERTIES)
PROPERTY_ORDER = {iri: position for position, (iri, _) in enumerate(PROPERTIES)}
# Properties whose literal values are registry codes, and those that are language tags.
CODE_PROPERTIES = {
    PUB + "trialPhase",
    PUB + "studyType",
    PUB + "design",
    PUB + "interventionType",
    SCHEMA + "status",
}
LANGUAGE_PROPERTIES = {SCHEMA + "inLanguage"}


def local_name(iri: str) -> str:
    """The last part of an IRI: after `#`, else after the last `/`."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def split_words(name: str) -> str:
    """`MedicalScholarlyArticle` -> `Medical scholarly article`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    if not words:
        return name
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[0].upper() + text[1:]


def type_label(iri: str) -> str:
    return TYPE_LABELS.get(iri) or split_words(local_name(iri))


def type_labels(iris: list[str]) -> list[str]:
    """The labels of a resource's types, leaving out those a more specific one implies."""
    implied = {t for iri in iris for t in IMPLIED_TYPES.get(iri, set())}
    shown = [iri for iri in iris if iri not in implied]
    return list(dict.fromkeys(type_label(iri) for iri in sorted(shown, key=_type_rank)))


def _type_rank(iri: str) -> tuple[int, str]:
    order = list(TYPE_LABELS)
    return (order.index(iri) if iri in order else len(order), iri)


def publication_type_rank(value: str) -> int:
    """Journal article first, research support last: the order of PUBLICATION_TYPES."""
    order = list(PUBLICATION_TYPES)
    key = value.strip().lower()
    return order.index(key) if key in order else len(order)


def publication_type(value: str) -> str:
    """`Case Reports` -> `Case report`; an unknown one as its source wrote it."""
    return PUBLICATION_TYPES.get(value.strip().lower(), value)


def code(value: str) -> str:
    """`PHASE2` -> `Phase 2`, `SINGLE_GROUP` -> `Single group`, `COMPLETED` -> `Completed`;
    text that is not an upper-case code stays as it is."""
    if value in CODES:
        return CODES[value]
    if not _CODE.fullmatch(value):
        return value
    text = _PHASE.sub(lambda m: f"PHASE {m.group(1)}", value).replace("_", " ").lower()
    return text[:1].upper() + text[1:]


def language(tag: str) -> str:
    """`en` -> `English`, `de-CH` -> `German (CH)`; an unknown tag as it is."""
    main, _, region = tag.partition("-")
    name = LANGUAGES.get(main.lower())
    if name is None:
        return tag
    return f"{name} ({region})" if region else name


def property_label(iri: str) -> str:
    return PROPERTY_LABELS.get(iri) or split_words(local_name(iri))


def property_rank(iri: str) -> tuple[int, str]:
    """Listed properties in their place, then the rest by label."""
    return (PROPERTY_ORDER.get(iri, len(PROPERTY_ORDER)), property_label(iri))


def literal_in_words(predicate: str, value: str) -> str:
    """A literal as a page shows it: codes and language tags in words."""
    if predicate in CODE_PROPERTIES:
        return code(value)
    if predicate in LANGUAGE_PROPERTIES:
        return language(value)
    if predicate == SCHEMA + "publicationType":
        return publication_type(value)
    return value


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def date(value: str) -> str:
    """`2012-07-12` -> `12 July 2012`, `2021-08` -> `August 2021`; else as it is."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not match:
        return value
    year, month, day = match.groups()
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return value
    named = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {named}" if day else named
