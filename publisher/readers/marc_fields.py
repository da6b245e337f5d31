"""MARC 21 bibliographic fields -> Record: one mapping for every MARC serialisation.

Binary ISO 2709 (`marc_binary`), MARCXML (`marcxml`), MARC-in-JSON (`marc_json`) and
OAI-PMH `marc21` (`oai_pmh`) all produce `pymarc.Record`s and hand them here.

Only articles are published so far (the mapper makes every Record a
schema:ScholarlyArticle): a record is read when Leader/06 is language material (`a`,
`t`) and Leader/07 is a component part (`a` monographic, `b` serial); books, journals
and other kinds are ReadErrors naming `Leader/07` (or `Leader/06`).

Field mapping:

* title 245 $a $b $n $p, ISBD punctuation (` /`, ` :`, ` ;`, ` =`, the final period)
  removed, $a and $b joined with `: ` (` = ` for a parallel title);
* people 100/700 (`Family, Given`; dates $d dropped; ORCID from $0/$1 when its checksum
  holds; affiliation $u), corporate bodies 110/710 and meetings 111/711 as
  Organizations. No relator, or a relator meaning author (`aut`, `cre`, "author",
  "Verfasser") -> authors; any other relator ($e/$4, $j for meetings: `edt`, `ctb`,
  `aft`, ...) -> contributors;
* journal 773: $t title, $x ISSN, $p abbreviated title, $g part (`Vol. 11 (2021), 5,
  p. 439-448`) and $q enumeration (`11:5<439`, preferred where given) -> volume, issue,
  pages; $w links to a journal record met earlier in the same file (its 245 and 022
  fill a missing title or ISSN). A monographic component part (Leader/07 `a`) whose
  host is not a serial (no ISSN, no ZDB/serial link) is a book chapter: the host is
  kept as an unknown field, never published as a journal;
* DOI 024 $2 doi (or an 856 $u doi.org link), PMID 024 $2 pmid; links 856 $u (not
  ind2 2, "related resource"); trial numbers in 024, 5XX notes;
* subjects 600-651, 653, 654, 689 (main heading and subdivisions $v $x $y $z joined with
  ` -- `; each 653 $a and 689 $a a subject of its own); 650/651 with ind2 2 or $2 mesh
  -> a MeSH SubjectTerm (descriptor $a, id from $0 when it is a MeSH descriptor id;
  subdivisions not published, a descriptor/qualifier pair being another MeSH resource);
  655 genres with ind2 2 or $2 mesh are publication types (MeSH "Randomized Controlled
  Trial", "Case Reports"); a genre or title saying "case report" marks a case report;
* language 008/35-37 then 041 $a (ISO 639-2 -> BCP 47); abstract 520 $a $b (not ind1 1
  review, 4 content advice, 8 no display); funding 536 ($a funder, $b $c $d $f numbers);
* date 008/07-10, else 264/260 $c, else the year in 773 $g (its month too where 773
  names one for the same year); source id 001.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pymarc

from publisher.citations import Enumeration, parse_enumeration
from publisher.dates import make_partial_date
from publisher.identifiers import (
    clean_doi,
    clean_issn,
    clean_orcid,
    clean_pmcid,
    find_doi,
    find_trial_ids,
    orcid_checksum_ok,
)
from publisher.languages import to_bcp47, to_language_tag
from publisher.model import (
    Agent,
    Funding,
    Organization,
    Periodical,
    Person,
    ReadError,
    Record,
    Skipped,
    SourceRef,
    SubjectTerm,
    UnknownField,
)
from publisher.names import person_from_inverted
from publisher.readers.base import claim_source_id
from publisher.readers.xmlstream import REPLACEMENT, local_name
from publisher.text import mentions_case_report

Element = Any  # lxml ships no type information

TEXT_TYPES = {"a": "language material", "t": "manuscript language material"}
COMPONENT_LEVELS = {"a": "monographic component part", "b": "serial component part"}
TYPE_NAMES = {
    "c": "notated music",
    "d": "manuscript notated music",
    "e": "a map",
    "f": "a manuscript map",
    "g": "a film or slides",
    "i": "a sound recording",
    "j": "a music recording",
    "k": "a picture",
    "m": "a computer file",
    "o": "a kit",
    "p": "mixed materials",
    "r": "an object",
}
LEVEL_NAMES = {
    "m": "a monograph",
    "s": "a journal (serial)",
    "c": "a collection",
    "d": "a subunit",
    "i": "an integrating resource",
}
AUTHOR_RELATORS = {
    "aut", "cre", "author", "creator", "verfasser", "verfasserin", "verfasser/in",
    "auteur", "autor", "autorin", "autor/in",
}  # fmt: skip
PERSON_TAGS = ("100", "700")
ORGANIZATION_TAGS = ("110", "710")
MEETING_TAGS = ("111", "711")
SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "653", "654", "689")
SUBJECT_MAIN_CODES = {
    "600": "abcdqt",
    "610": "abt",
    "611": "acdnt",
    "630": "anp",
    "647": "acd",
}
SUBDIVISION_CODES = "vxyz"
MESH_ID = re.compile(r"\b(D\d{6,9})\b")
NOT_ABSTRACT = {"1", "4", "8"}  # 520 ind1: review, content advice, no display
MAX_HOSTS = 200_000


class MarcDataError(ValueError):
    """A MARC record that cannot even be built (broken XML/JSON structure)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def field_name(tag: str, code: str | None = None) -> str:
    return f"{tag} ${code}" if code else tag


# --- building pymarc records from XML ------------------------------------------------


def marc_from_element(element: Element) -> pymarc.Record:
    """A MARCXML `<record>` element (with or without the MARC namespace) -> pymarc."""
    record = pymarc.Record()
    for child in element:
        name = local_name(child.tag)
        if name == "leader":
            record.leader = leader(child.text or "")
        elif name == "controlfield":
            tag = _tag(child)
            record.fields.append(pymarc.Field(tag=tag, data=child.text or ""))
        elif name == "datafield":
            tag = _tag(child)
            subfields = [
                pymarc.Subfield(code=sub.get("code") or "", value=sub.text or "")
                for sub in child
                if local_name(sub.tag) == "subfield"
            ]
            indicators = pymarc.Indicators(child.get("ind1") or " ", child.get("ind2") or " ")
            record.fields.append(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))
    return record


def _tag(element: Element) -> str:
    tag = (element.get("tag") or "").strip()
    if not tag:
        raise MarcDataError(f"a <{local_name(element.tag)}> without a tag attribute", "tag")
    return tag


def leader(text: str) -> pymarc.Leader:
    """A leader as XML and JSON give it; `#` for blank (hbz) is read as a blank."""
    text = text.replace("#", " ")
    if len(text) != 24:
        raise MarcDataError(f"the leader has {len(text)} characters, not 24", "Leader")
    return pymarc.Leader(text)


# --- journals met earlier in the file, for 773 $w ------------------------------------


class HostIndex:
    """Serial records (Leader/07 `s`) seen so far in one file, by their control numbers,
    so that an article's 773 $w can name the journal it links to."""

    def __init__(self) -> None:
        self._hosts: dict[str, Periodical] = {}

    def remember(self, marc: pymarc.Record) -> None:
        if _leader_at(marc, 7) != "s" or len(self._hosts) >= MAX_HOSTS:
            return
        control = _control(marc, "001")
        if not control:
            return
        title = _title(marc) or ""
        issns = tuple(dict.fromkeys(clean_issn(v) for v in _values(marc, "022", "a")))
        periodical = Periodical(title, issns)
        self._hosts[control] = periodical
        if org := _control(marc, "003"):
            self._hosts[f"({org}){control}"] = periodical

    def lookup(self, link: str) -> Periodical | None:
        link = link.strip()
        return self._hosts.get(link) or self._hosts.get(re.sub(r"^\([^)]*\)", "", link))


# --- the gate: articles only -----------------------------------------------------------


def read_article(
    marc: pymarc.Record,
    source: SourceRef,
    hosts: HostIndex | None = None,
    seen: set[str] | None = None,
) -> Record | ReadError | Skipped:
    """The Record of an article, or a ReadError naming why this record is not one.

    `seen` holds the 001s of the file's earlier records: a repeated 001 does not name
    this record's graph (see `claim_source_id`)."""
    if hosts is not None:
        hosts.remember(marc)
    level, kind = _leader_at(marc, 7), _leader_at(marc, 6)
    about = _describe(marc)
    if level not in COMPONENT_LEVELS:
        what = LEVEL_NAMES.get(level, "not a component part")
        if level == "m" and kind in TEXT_TYPES:
            what = "a book (monograph)"
        elif kind in TYPE_NAMES:
            what += f" ({TYPE_NAMES[kind]}, Leader/06 {kind!r})"
        return Skipped(
            source,
            f"{about} is {what}, Leader/07 {level!r}: only articles (component parts, "
            "Leader/07 'a' or 'b') are published so far",
            field="Leader/07",
        )
    # An e-journal article is often catalogued as a computer file (Leader `nma`): with
    # a host in 773 it is a component part of a journal, so an article all the same.
    electronic_article = kind == "m" and bool(marc.get_fields("773"))
    if kind not in TEXT_TYPES and not electronic_article:
        return Skipped(
            source,
            f"{about} is {TYPE_NAMES.get(kind, 'not text')}, not an article (Leader/06 "
            f"{kind!r}): only articles are published so far",
            field="Leader/06",
        )
    if bad := replacement_field(marc):
        return ReadError(
            source,
            f"{about}: {bad} holds bytes that are not UTF-8 (the file says it is UTF-8)",
            field=bad,
        )
    record = marc_to_record(marc, source, hosts)
    record.source_id = None
    # 001 is unique within the catalogue 003 names: "(DNLM)pm22663011", as 035 writes it,
    # holds across files; a bare 001 holds only within its file (two catalogues' exports
    # may both have a record 1), so its graph's name adds the file's (`claim_source_id`).
    control, catalogue = _control(marc, "001"), _control(marc, "003")
    value = f"({catalogue}){control}" if control and catalogue else control
    seen_ids = set() if seen is None else seen
    claim_source_id(record, value, seen_ids, "001", local=not catalogue)
    return record


def replacement_field(marc: pymarc.Record) -> str | None:
    """The first field (`245 $a`) holding U+FFFD, the mark of bytes that were not UTF-8."""
    for marc_field in marc.fields:
        if marc_field.is_control_field():
            if REPLACEMENT in (marc_field.data or ""):
                return str(marc_field.tag)
            continue
        for sub in marc_field.subfields:
            if REPLACEMENT in sub.value:
                return field_name(marc_field.tag, sub.code)
    return None


def _describe(marc: pymarc.Record) -> str:
    title = _title(marc)
    control = _control(marc, "001")
    named = f"{title!r}" if title else "the record"
    return f"{named} (001 {control})" if control else named


def _leader_at(marc: pymarc.Record, position: int) -> str:
    text = str(marc.leader)
    return text[position] if len(text) > position else " "


# --- the mapping ---------------------------------------------------------------------


def marc_to_record(
    marc: pymarc.Record, source: SourceRef, hosts: HostIndex | None = None
) -> Record:
    """Every field we map, whatever kind of record it is (the gate is `read_article`)."""
    record = Record(source=source)
    record.source_id = _control(marc, "001") or None
    record.title = _title(marc)
    if record.title is None:
        record.warnings.append("no title (245 $a)")
    _agents(record, marc)
    _identifiers(record, marc)
    _subjects(record, marc)
    _languages(record, marc)
    _abstract(record, marc)
    _funding(record, marc)
    enumeration = _host(record, marc, hosts)
    _date(record, marc, enumeration)
    _case_report(record, marc)
    notes = [v for f in marc.get_fields(*_note_tags()) for v in f.get_subfields("a")]
    for trial in find_trial_ids(*notes):
        if trial not in record.trials:
            record.trials.append(trial)
    return record


# Non-filing markers: `<<Das>> Portrait` (German catalogues, lobid) or the control
# characters NSB/NSE (U+0098/U+009C): they tell a sort to skip the article, the word is
# part of the title all the same.
_NON_FILING = re.compile(r"<<([^<>]*)>>|[\u0098\u009c]")


def strip_isbd(text: str) -> str:
    """Remove the punctuation ISBD puts between elements: ` /`, ` :`, ` ;`, ` =`, `,`
    and a final period (kept after an initial or an abbreviation: `Doe, J.`, `Soc.`);
    non-filing markers go, the words they mark stay."""
    text = " ".join(_NON_FILING.sub(lambda m: m.group(1) or "", text).split())
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\s*[/:;=,]\s*$", "", text)
        text = _strip_period(text)
    return text


_ABBREVIATIONS = {"etc", "al", "inc", "ltd", "co", "corp", "jr", "sr", "st", "ed", "eds", "hrsg"}


def _strip_period(text: str) -> str:
    if not text.endswith(".") or text.endswith(".."):
        return text
    body = text[:-1]
    last = re.split(r"[\s(]", body)[-1]
    if len(last) <= 2 or last.lower() in _ABBREVIATIONS:
        return text
    if re.search(r"\b\w+\.\s", body):  # `J. Am. Chem. Soc.`: abbreviations throughout
        return text
    return body


def _title(marc: pymarc.Record) -> str | None:
    title_field = marc.get("245")
    if title_field is None:
        return None
    text = ""
    for sub in title_field.subfields:
        if sub.code not in "abnp":
            continue
        value = strip_isbd(sub.value)
        if not value:
            continue
        if not text:
            text = value
        elif sub.code == "b":
            text += (" = " if _follows_mark(title_field, sub, "=") else ": ") + value
        else:
            text += ". " + value
    return _unbracket(text)


def _unbracket(title: str) -> str | None:
    """A title the cataloguer supplied is bracketed whole (`[Untitled]`): the brackets
    go. A bracket that belongs to a part (`... Rostock. [1]`, a 245 $n) stays closed."""
    title = title.strip()
    if title.startswith("[") and title.endswith("]") and title.count("[") == 1:
        title = title[1:-1].strip()
    elif title.startswith("[") and "]" not in title:
        title = title[1:].strip()  # `[Untitled` with the closing bracket in another part
    return title or None


def _follows_mark(marc_field: pymarc.Field, before: pymarc.Subfield, mark: str) -> bool:
    """Does the subfield before `before` end with the ISBD mark (`=` of a parallel title)?"""
    subs = marc_field.subfields
    index = subs.index(before)
    return index > 0 and str(subs[index - 1].value).rstrip().endswith(mark)


def _control(marc: pymarc.Record, tag: str) -> str:
    control = marc.get(tag)
    return (control.data or "").strip() if control is not None else ""


def _values(marc: pymarc.Record, tag: str, code: str) -> list[str]:
    return [v.strip() for f in marc.get_fields(tag) for v in f.get_subfields(code) if v.strip()]


def _note_tags() -> list[str]:
    return ["500", "501", "504", "505", "520", "536", "550", "555", "580", "588"]


# --- people and bodies ---------------------------------------------------------------


def _relators(marc_field: pymarc.Field) -> list[str]:
    terms = marc_field.get_subfields("j" if marc_field.tag in MEETING_TAGS else "e")
    codes = [code.rstrip("/").rsplit("/", 1)[-1] for code in marc_field.get_subfields("4")]
    return [strip_isbd(t).lower() for t in [*terms, *codes] if strip_isbd(t)]


def _agents(record: Record, marc: pymarc.Record) -> None:
    tags = (*PERSON_TAGS, *ORGANIZATION_TAGS, *MEETING_TAGS)
    ordered = sorted(marc.get_fields(*tags), key=lambda f: f.tag[0])  # 1XX, then 7XX
    for marc_field in ordered:
        agent = _agent(record, marc_field)
        if agent is None:
            continue
        relators = _relators(marc_field)
        is_author = not relators or any(r in AUTHOR_RELATORS for r in relators)
        (record.authors if is_author else record.contributors).append(agent)


def _agent(record: Record, marc_field: pymarc.Field) -> Agent | None:
    name = strip_isbd(marc_field.get("a") or "")
    if not name:
        return None
    if marc_field.tag in ORGANIZATION_TAGS:
        parts = [name, *(strip_isbd(b) for b in marc_field.get_subfields("b"))]
        return Organization(". ".join(p for p in parts if p))
    if marc_field.tag in MEETING_TAGS:
        return Organization(name)
    if marc_field.indicator1 == "3":  # a family name: a group, not one person
        return Organization(name)
    if marc_field.indicator1 == "1":
        person = person_from_inverted(name)
    else:  # forename order ("Elizabeth II", "Kyaw Thu Htun")
        numeration = strip_isbd(marc_field.get("b") or "")
        person = Person(" ".join(p for p in (name, numeration) if p))
    orcid = _orcid(record, marc_field, person.name)
    affiliations = tuple(strip_isbd(u) for u in marc_field.get_subfields("u") if strip_isbd(u))
    return Person(person.name, person.family_name, person.given_name, orcid, affiliations)


def _orcid(record: Record, marc_field: pymarc.Field, name: str) -> str | None:
    for value in marc_field.get_subfields("0", "1"):
        if "orcid" not in value.lower():
            continue
        orcid = clean_orcid(value)
        if orcid and orcid_checksum_ok(orcid):
            return orcid
        where = field_name(marc_field.tag, "0")
        record.warnings.append(f"{where}: ORCID iD {value!r} of {name} fails its checksum")
    return None


# --- identifiers and links -----------------------------------------------------------


_SYSTEM_NUMBER = re.compile(r"^\(([^)]+)\)\s*(\S+)$")


def _identifiers(record: Record, marc: pymarc.Record) -> None:
    for marc_field in marc.get_fields("024"):
        scheme = (marc_field.get("2") or "").strip().lower()
        value = (marc_field.get("a") or "").strip()
        if not value:
            continue
        if scheme == "doi":
            _set_doi(record, _doi_in(value), "024 $a")
        elif scheme in ("pmid", "pubmed"):
            record.pmid = record.pmid or value
        elif scheme in ("pmc", "pmcid"):
            record.pmcid = record.pmcid or clean_pmcid(value)
        for trial in find_trial_ids(value):
            if trial not in record.trials:
                record.trials.append(trial)
    for marc_field in marc.get_fields("035"):
        # `(PubMed)26957754`, `(PMC)PMC3654245`: system numbers naming PubMed's ids.
        for value in marc_field.get_subfields("a"):
            if match := _SYSTEM_NUMBER.match(value.strip()):
                source, number = match.group(1).lower(), match.group(2)
                if source in ("pubmed", "pmid", "medline") and number.isdigit():
                    record.pmid = record.pmid or number
                elif source in ("pmc", "pmcid"):
                    record.pmcid = record.pmcid or clean_pmcid(number)
    for marc_field in marc.get_fields("856"):
        if marc_field.indicator2 == "2":  # a related resource, not the article itself
            continue
        for url in marc_field.get_subfields("u"):
            url = url.strip()
            if re.match(r"^https?://(?:dx\.)?doi\.org/", url, re.IGNORECASE):
                _set_doi(record, clean_doi(url), "856 $u")
            elif url.lower().startswith(("http://", "https://")) and url not in record.links:
                record.links.append(url)


def _doi_in(value: str) -> str:
    """024 $2 doi holds the DOI, but some catalogues put the publisher's landing page
    there (`https://biblioscout.net/article/10.25162/vswg-2024-0016`): the DOI inside it."""
    doi = clean_doi(value)
    if doi.startswith("10."):
        return doi
    return find_doi(value) or doi


def _set_doi(record: Record, doi: str, where: str) -> None:
    if record.doi is None:
        record.doi = doi
    elif doi.lower() != record.doi.lower():
        record.warnings.append(f"{where}: a second DOI {doi!r} not published")


# --- subjects ------------------------------------------------------------------------


def _subjects(record: Record, marc: pymarc.Record) -> None:
    for marc_field in marc.get_fields(*SUBJECT_TAGS):
        if _is_mesh(marc_field):
            term = _mesh_term(marc_field)
            if term is not None and term not in record.subject_terms:
                record.subject_terms.append(term)
            continue
        for heading in _headings(marc_field):
            if heading not in record.subjects:
                record.subjects.append(heading)


def _is_mesh(marc_field: pymarc.Field) -> bool:
    scheme = (marc_field.get("2") or "").strip().lower()
    return marc_field.tag in ("650", "651") and (marc_field.indicator2 == "2" or scheme == "mesh")


def _mesh_term(marc_field: pymarc.Field) -> SubjectTerm | None:
    name = strip_isbd(marc_field.get("a") or "")
    if not name:
        return None
    ids = [m.group(1) for v in marc_field.get_subfields("0") if (m := MESH_ID.search(v))]
    return SubjectTerm(name, ids[0] if ids else None)


def _headings(marc_field: pymarc.Field) -> list[str]:
    if marc_field.tag in ("653", "689"):  # uncontrolled terms, subject-chain links: one each
        return [strip_isbd(v) for v in marc_field.get_subfields("a") if strip_isbd(v)]
    main_codes = SUBJECT_MAIN_CODES.get(marc_field.tag, "ab")
    main = " ".join(
        strip_isbd(s.value) for s in marc_field.subfields if s.code in main_codes and s.value
    ).strip()
    subdivisions = [
        strip_isbd(s.value) for s in marc_field.subfields if s.code in SUBDIVISION_CODES
    ]
    parts = [p for p in (main, *subdivisions) if p]
    return [" -- ".join(parts)] if parts else []


# --- language, abstract, funding -----------------------------------------------------


def _languages(record: Record, marc: pymarc.Record) -> None:
    fixed = _control(marc, "008")
    codes: list[tuple[str, str]] = []
    if len(fixed) >= 38:
        codes.append(("008/35-37", fixed[35:38]))
    for value in _values(marc, "041", "a"):
        codes.extend(("041 $a", chunk) for chunk in _041_codes(value))
    for where, code in codes:
        code = code.strip().replace("#", "")
        if not code or code in ("|||", "und", "zxx", "mul", "N/A"):
            continue
        tag = to_bcp47(code) or (to_language_tag(code) if len(code) > 3 else None)
        if tag is None:
            record.warnings.append(f"{where}: unknown language {code!r} not published")
        elif tag not in record.languages:
            record.languages.append(tag)


def _041_codes(value: str) -> list[str]:
    """Old records pack several codes into one $a (`engger`); some catalogues write the
    language's name (`deutsch`, lobid 990126426530206441), which is no run of codes:
    cut in threes only what is all codes, else keep the word for the name lookup."""
    value = value.strip()
    if len(value) <= 3:
        return [value]
    chunks = [value[i : i + 3] for i in range(0, len(value), 3)]
    if to_language_tag(value) is None and all(to_bcp47(c) for c in chunks):
        return chunks
    return [value]


def _abstract(record: Record, marc: pymarc.Record) -> None:
    paragraphs = [
        " ".join(p.strip() for p in f.get_subfields("a", "b") if p.strip())
        for f in marc.get_fields("520")
        if f.indicator1 not in NOT_ABSTRACT
    ]
    record.abstract = "\n\n".join(p for p in paragraphs if p) or None


def _funding(record: Record, marc: pymarc.Record) -> None:
    for marc_field in marc.get_fields("536"):
        funder = strip_isbd(marc_field.get("a") or "")
        awards = tuple(v.strip() for v in marc_field.get_subfields("b", "c", "d", "f") if v.strip())
        if funder:
            record.funding.append(Funding(Organization(funder), awards))


# --- the journal ---------------------------------------------------------------------


def _host(record: Record, marc: pymarc.Record, hosts: HostIndex | None) -> Enumeration:
    """773: the journal and where in it the article is; returns what $g says (year)."""
    host = next((f for f in marc.get_fields("773") if f.get("t") or f.get("x")), None)
    if host is None:
        host = marc.get("773")
    if host is None:
        return Enumeration()
    parts = [v.strip() for v in host.get_subfields("g") if v.strip()]
    enumeration = parse_enumeration("; ".join(parts)) if parts else Enumeration()
    enumeration = _with_q(enumeration, host.get("q"))
    linked = [p for w in host.get_subfields("w") if hosts and (p := hosts.lookup(w))]
    name = strip_isbd(host.get("t") or "") or (linked[0].name if linked else "")
    issns = [clean_issn(v) for v in host.get_subfields("x") if v.strip()]
    issns += [i for p in linked for i in p.issns]
    is_serial = (
        _leader_at(marc, 7) == "b"
        or bool(issns or linked)
        or (host.get("7") or "    ")[3:4] == "s"
        or any("(DE-600)" in w for w in host.get_subfields("w"))  # ZDB: German serials
        or _unlinked_named_host(host)
    )
    if not is_serial:
        text = "; ".join(v.strip() for v in host.get_subfields("t", "d", "g", "z") if v.strip())
        record.unknown_fields.append(UnknownField("773 (host item, not a journal)", text))
        # The pages are the article's own, wherever its host is (a chapter's `Seite 9-73`).
        record.page_start, record.page_end = enumeration.page_start, enumeration.page_end
        return enumeration
    if not name:
        if issns:
            record.warnings.append(f"773: ISSN {', '.join(issns)} without a journal title ($t)")
        return enumeration
    abbreviation = strip_isbd(host.get("p") or "") or None
    record.periodical = Periodical(name, tuple(dict.fromkeys(issns)), abbreviation)
    record.volume = enumeration.volume
    record.issue = enumeration.issue
    record.page_start = enumeration.page_start
    record.page_end = enumeration.page_end
    return enumeration


def _unlinked_named_host(host: pymarc.Field) -> bool:
    """A host named by title only: no record link ($w), no ISBN ($z), no statement of
    responsibility (` / edited by`). A book host is catalogued with at least one of
    them; a newspaper or web journal (lobid's `zeitpunkt.nrw`) often has none, and is
    kept by its name rather than lost."""
    title = host.get("t") or ""
    return bool(title.strip()) and not host.get_subfields("w", "z") and " / " not in title


def _with_q(enumeration: Enumeration, q: str | None) -> Enumeration:
    """773 $q `11:5<439` (volume:issue<start page) wins over what $g's words said. A $q
    without `:` or `<` (lobid's `1`) is a sequence number among the host's parts, not a
    volume: $g alone is read then."""
    match = re.match(r"^\s*([^:<\s]+)(?::([^:<\s]+))?(?::[^<]*)?(?:<\s*(\S+))?\s*$", q or "")
    if not match or not re.search(r"[:<]", q or ""):
        return enumeration
    volume, issue, start = match.groups()
    page_end = enumeration.page_end
    if start and enumeration.page_start not in (None, start):
        page_end = None  # $g named other pages: its end page is not this start's
    return Enumeration(
        volume,
        issue or enumeration.issue,
        start or enumeration.page_start,
        page_end,
        enumeration.year,
        enumeration.month,
    )


# --- date and kind -------------------------------------------------------------------


def _date(record: Record, marc: pymarc.Record, enumeration: Enumeration) -> None:
    year = _year_from_008(_control(marc, "008"))
    if year is None:
        statements = [
            v
            for f in [*marc.get_fields("264"), *marc.get_fields("260")]
            if f.tag == "260" or f.indicator2 in ("1", " ")
            for v in f.get_subfields("c")
        ]
        year = next((int(m.group(1)) for v in statements if (m := _YEAR.search(v))), None)
    if year is None:
        year = enumeration.year
    if year is None:
        return
    month = enumeration.month if enumeration.year == year else None
    record.date = make_partial_date(year, month)


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def _year_from_008(fixed: str) -> int | None:
    text = fixed[7:11] if len(fixed) >= 11 else ""
    if not text.isdigit() or text in ("9999", "0000"):
        return None
    return int(text)


def _case_report(record: Record, marc: pymarc.Record) -> None:
    """655 genres: MeSH publication types (ind2 2, $2 mesh) are publication types; any
    genre or a title saying "case report" marks a case report."""
    genres: list[str] = []
    for marc_field in marc.get_fields("655"):
        genre = strip_isbd(marc_field.get("a") or "")
        if not genre:
            continue
        genres.append(genre)
        scheme = (marc_field.get("2") or "").strip().lower()
        if (marc_field.indicator2 == "2" or scheme == "mesh") and (
            genre not in record.publication_types
        ):
            record.publication_types.append(genre)
    record.formats.extend(genres)
    texts: Iterable[str] = [*genres, record.title or ""]
    if any(mentions_case_report(t) for t in texts) and (
        "Case Reports" not in record.publication_types
    ):
        record.publication_types.append("Case Reports")
