"""PubMed / MEDLINE XML, as E-utilities `efetch` and the MEDLINE baseline files give it.

Accepted roots: `PubmedArticleSet` (efetch, baseline and update files), a bare
`PubmedArticle`, the older `MedlineCitationSet`, and `PubmedBookArticleSet` or a bare
`PubmedBookArticle` (books: skipped). The file is parsed with `lxml.etree.iterparse`,
one `PubmedArticle` (or `MedlineCitation`) at a time; each is cleared once
read, so memory stays bounded however many records a file holds.

Decisions (see the README paragraph in the issue report):

* Title: `ArticleTitle` with inline markup flattened; PubMed ends every title with a
  period it adds itself, which is removed (`...` and other endings are kept). A missing
  or empty `ArticleTitle` falls back to `VernacularTitle`; with neither the record is
  rejected naming `ArticleTitle`.
* Inline markup (`<i>`, `<sub>`, `<sup>`, MathML) is flattened to its text. Whitespace
  that holds a line break right before or after `<sub>`/`<sup>` is pretty-printing
  (`β\\n    <sub>2</sub>-agonist`) and is dropped; other whitespace collapses to a space.
* Abstract: every `AbstractText`, prefixed with its `Label` ("BACKGROUND: ..."),
  one section per line.
* MeSH: each `DescriptorName` becomes a SubjectTerm (name, descriptor UI); qualifiers
  are not published (a descriptor/qualifier pair is a different MeSH resource).
  `KeywordList` keywords become plain subjects. `ChemicalList`, `InvestigatorList`,
  `CommentsCorrectionsList` and `PubmedData/History` are not read.
* `DataBankList`: accession numbers that are trial registration numbers become trials;
  other data banks (GenBank, Dryad, ...) are kept as unknown fields (reported, not
  published). `GrantList` becomes funding (agency and grant numbers).
* `PubmedBookArticle` (books and chapters) is skipped: only articles are published.
  `DeleteCitation` (update files) is reported as a notice; nothing is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from publisher.dates import make_partial_date, month_number
from publisher.identifiers import (
    TRIAL_REGISTRIES,
    clean_doi,
    clean_issn,
    clean_orcid,
    clean_pmcid,
    find_trial_ids,
    orcid_checksum_ok,
)
from publisher.languages import to_bcp47
from publisher.model import (
    Agent,
    Funding,
    Organization,
    PartialDate,
    Periodical,
    Person,
    ReadError,
    ReadNotice,
    Record,
    Skipped,
    SourceRef,
    SubjectTerm,
    TrialId,
    UnknownField,
)
from publisher.names import person_from_parts
from publisher.readers.base import ReadItem, set_pages
from publisher.readers.xmlstream import (
    REPLACEMENT,
    BrokenXml,
    Element,
    XmlSource,
    iterparse,
    local_name,
    release,
    root_tag,
    syntax_error_item,
)
from publisher.text import page_bounds, parse_pages, raised

FORMAT_NAME = "pubmed-xml"
# A book record alone (`PubmedBookArticle`, or a set of them) is still PubMed: detected,
# so its records are skipped as books instead of the file rejected as unrecognised.
ROOTS = {
    "PubmedArticleSet", "PubmedArticle", "MedlineCitationSet", "MedlineCitation",
    "PubmedBookArticleSet", "PubmedBookArticle",
}  # fmt: skip
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation")
# DataBankName -> our trial registry key, for accession numbers of the wrong shape.
TRIAL_DATA_BANKS = {
    "clinicaltrials.gov": "nct",
    "isrctn": "isrctn",
    "eudract": "eudract",
    "drks": "drks",
}
ISSN_TYPES = ("Print", "Electronic")


class PubmedXmlReader:
    name = FORMAT_NAME
    description = "PubMed / MEDLINE XML (efetch PubmedArticleSet, MedlineCitationSet)"

    def sniff(self, head: bytes) -> bool:
        return local_name(root_tag(head)) in ROOTS

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        source = XmlSource(stream)
        position = 0
        try:
            for _event, element in iterparse(source, RECORD_TAGS):
                parent = element.getparent()
                if (
                    element.tag == "MedlineCitation"
                    and parent is not None
                    and (parent.tag in ("PubmedArticle", "PubmedBookArticle"))
                ):
                    continue  # read with its PubmedArticle
                position += 1
                where = SourceRef(path, position, element.sourceline, FORMAT_NAME)
                yield _read_record(element, where, source)
                release(element)
        except BrokenXml as broken:
            yield syntax_error_item(broken, path, position, FORMAT_NAME)
            return
        if position == 0:
            root = local_name(root_tag(source.head)) or "none"
            yield ReadError(
                SourceRef(path, 1, format=FORMAT_NAME),
                f"no PubmedArticle in the file (its root element is <{root}>)",
            )


def _read_record(element: Element, where: SourceRef, source: XmlSource) -> ReadItem:
    if element.tag == "DeleteCitation":
        pmids = ", ".join(_text(p) for p in element.iter("PMID"))
        return ReadNotice(where, f"DeleteCitation for PMID {pmids} is not applied")
    if element.tag == "PubmedBookArticle":
        return Skipped(
            where,
            "a PubmedBookArticle (book or chapter) is not an article: only articles are published",
            field="PubmedBookArticle",
        )
    if source.replaced:
        bad = _first_replaced(element)
        if bad is not None:
            return ReadError(where, f"{bad} holds bytes that are not UTF-8 (Latin-1?)", field=bad)
    try:
        return parse_article(element, where)
    except Exception as error:  # a record we cannot read must not stop the file
        return ReadError(where, f"could not read the record: {error!r}")


def _first_replaced(element: Element) -> str | None:
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        values = [node.text, node.tail, *node.attrib.values()]
        if any(REPLACEMENT in value for value in values if value):
            return _path(node, element)
    return None


def _path(node: Element, top: Element) -> str:
    parts: list[str] = []
    while node is not None and node is not top:
        parts.append(node.tag)
        node = node.getparent()
    return "/".join(reversed(parts)) or str(top.tag)


def parse_article(element: Element, where: SourceRef) -> Record | ReadError:
    """One PubmedArticle (or bare MedlineCitation) element -> Record."""
    citation = element if element.tag == "MedlineCitation" else element.find("MedlineCitation")
    if citation is None:
        return ReadError(where, "the PubmedArticle has no MedlineCitation", "MedlineCitation")
    article = citation.find("Article")
    if article is None:
        return ReadError(where, "the MedlineCitation has no Article", "Article")
    record = Record(source=where)
    record.pmid = _text(citation.find("PMID")) or None
    record.source_id = record.pmid
    if record.pmid is None:
        record.warnings.append("no PMID")
    record.title = _title(article)
    if not record.title:
        return ReadError(where, "the article has no title (ArticleTitle is missing or empty)",
                         field="ArticleTitle")  # fmt: skip
    record.abstract = _abstract(article)
    if record.abstract:
        # NLM: "English-language abstracts are taken directly from the published article
        # and included in the <Abstract>" (other languages go to <OtherAbstract>), so a
        # German article's <Abstract> is English, not German.
        record.abstract_language = "en"
    for language in article.iter("Language"):
        _add_language(record, _text(language))
    _journal(record, article, citation)
    _pages(record, article)
    record.doi = _doi(element, article)
    record.pmcid = _pmcid(element)
    record.authors = _authors(record, article)
    record.publication_types = _unique(
        _text(t) for t in article.iterfind("PublicationTypeList/PublicationType")
    )
    _data_banks(record, article)
    record.funding = _grants(article)
    for heading in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName"):
        name = _text(heading)
        term = SubjectTerm(name, heading.get("UI") or None, "MeSH")
        if name and term not in record.subject_terms:
            record.subject_terms.append(term)
    record.subjects = _unique(_text(k) for k in citation.iterfind("KeywordList/Keyword"))
    return record


def _text(node: Element | None) -> str:
    """The text of an element with inline markup flattened and whitespace collapsed."""
    if node is None:
        return ""
    return " ".join(_flatten(node).split())


def _flatten(node: Element) -> str:
    pieces = [node.text or ""]
    for child in node:
        if not isinstance(child.tag, str):  # comment, processing instruction, entity
            pieces.append(child.tail or "")
            continue
        tail = child.tail or ""
        name = child.tag.rsplit("}", 1)[-1]
        if name in ("sub", "sup"):
            pieces[-1] = re.sub(r"\s*\n\s*$", "", pieces[-1])
            pieces.append(raised(_flatten(child), name))  # 10<sup>-19</sup>: 10⁻¹⁹
            tail = re.sub(r"^\s*\n\s*", "", tail)
        elif name in ("msup", "msub") and len(child) == 2:  # MathML: base, script
            kind = "sup" if name == "msup" else "sub"
            pieces.append(_flatten(child[0]) + raised(_flatten(child[1]), kind))
        else:
            pieces.append(_flatten(child))
        pieces.append(tail)
    return "".join(pieces)


def _unique(values: Iterator[str] | list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _title(article: Element) -> str | None:
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1].rstrip()
    return title or None


def _abstract(article: Element) -> str | None:
    sections = []
    for part in article.iterfind("Abstract/AbstractText"):
        text = _text(part)
        label = (part.get("Label") or "").strip()
        if text:
            sections.append(f"{label}: {text}" if label else text)
    return "\n".join(sections) or None


def _add_language(record: Record, code: str) -> None:
    tag = to_bcp47(code)
    if tag is None:
        if code and code.lower() != "und":
            record.warnings.append(f"Language: unknown language {code!r} not published")
    elif tag not in record.languages:
        record.languages.append(tag)


def _journal(record: Record, article: Element, citation: Element) -> None:
    journal = article.find("Journal")
    info = citation.find("MedlineJournalInfo")
    name = _text(journal.find("Title")) if journal is not None else ""
    name = name or _text(info.find("MedlineTA") if info is not None else None)
    issns: list[str] = []
    if journal is not None:
        typed = {i.get("IssnType"): _text(i) for i in journal.iterfind("ISSN")}
        issns += [typed.get(t, "") for t in ISSN_TYPES]
        issns += [value for kind, value in typed.items() if kind not in ISSN_TYPES]
    if info is not None:
        issns.append(_text(info.find("ISSNLinking")))
    cleaned = tuple(_unique(clean_issn(i) for i in issns if i))
    abbreviation = _text(journal.find("ISOAbbreviation")) if journal is not None else ""
    if name:
        record.periodical = Periodical(name, cleaned, abbreviation or None)
    elif cleaned:
        record.warnings.append(f"ISSN {', '.join(cleaned)} given without a journal title")
    issue = journal.find("JournalIssue") if journal is not None else None
    if issue is None:
        return
    record.volume = _text(issue.find("Volume")) or None
    record.issue = _text(issue.find("Issue")) or None
    record.date = _pub_date(record, issue.find("PubDate"))
    if record.date is None:
        electronic = article.find("ArticleDate")
        if electronic is not None:
            record.date = _pub_date(record, electronic)


_MEDLINE_DATE = re.compile(r"^(\d{4})(?:\s+([A-Za-z]+))?")


def _pub_date(record: Record, node: Element | None) -> PartialDate | None:
    """`Year`/`Month`/`Day` (month as `Jul` or `07`), or `MedlineDate` `2012 Jul-Aug`."""
    if node is None:
        return None
    medline = _text(node.find("MedlineDate"))
    if medline:
        match = _MEDLINE_DATE.match(medline)
        if not match:
            record.warnings.append(f"MedlineDate {medline!r} is not a date")
            return None
        return make_partial_date(int(match.group(1)), month_number(match.group(2)))
    year = _text(node.find("Year"))
    if not year.isdigit():
        if year:
            record.warnings.append(f"PubDate: year {year!r} is not a year")
        return None
    month_text = _text(node.find("Month"))
    month = month_number(month_text) if month_text else None
    day_text = _text(node.find("Day"))
    day = int(day_text) if month and day_text.isdigit() else None
    date = make_partial_date(int(year), month, day)
    if date is None:
        record.warnings.append(f"PubDate {year}-{month_text}-{day_text} is not a date")
        date = make_partial_date(int(year), month) or PartialDate(int(year))
    return date


def _pages(record: Record, article: Element) -> None:
    pagination = article.find("Pagination")
    if pagination is None:
        return
    start, end = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
    if start:
        set_pages(record, page_bounds(start, end))
    else:
        set_pages(record, parse_pages(_text(pagination.find("MedlinePgn"))))


def _doi(element: Element, article: Element) -> str | None:
    for node in element.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if node.get("IdType") == "doi" and _text(node):
            return clean_doi(_text(node))
    for node in article.iterfind("ELocationID"):
        if node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y" and _text(node):
            return clean_doi(_text(node))
    return None


def _pmcid(element: Element) -> str | None:
    """PubMed Central's id, from `ArticleIdList` (`<ArticleId IdType="pmc">`)."""
    for node in element.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if node.get("IdType") == "pmc" and (pmcid := clean_pmcid(_text(node))):
            return pmcid
    return None


def _authors(record: Record, article: Element) -> list[Agent]:
    authors: list[Agent] = []
    for position, node in enumerate(article.iterfind("AuthorList/Author"), 1):
        if node.get("ValidYN") == "N":
            record.warnings.append(f"Author {position} is marked invalid (ValidYN=N): skipped")
            continue
        collective = _text(node.find("CollectiveName"))
        if collective:
            authors.append(Organization(collective))
            continue
        person = _person(record, node, position)
        if person is not None:
            authors.append(person)
    return authors


def _person(record: Record, node: Element, position: int) -> Person | None:
    family = _text(node.find("LastName"))
    given = _text(node.find("ForeName")) or _text(node.find("Initials"))
    if not family and not given:
        record.warnings.append(f"Author {position} has no name: skipped")
        return None
    person = person_from_parts(family, given)
    suffix = _text(node.find("Suffix"))
    orcid: str | None = None
    for identifier in node.iterfind("Identifier"):
        if (identifier.get("Source") or "").upper() != "ORCID":
            continue
        raw = _text(identifier)
        orcid = clean_orcid(raw)
        if orcid is None or not orcid_checksum_ok(orcid):
            record.warnings.append(
                f"Author {position} ({person.name}): ORCID {raw!r} has a wrong checksum or "
                "form, not published"
            )
            orcid = None
    affiliations = tuple(_unique(_text(a) for a in node.iterfind("AffiliationInfo/Affiliation")))
    name = f"{person.name} {suffix}" if suffix else person.name
    return Person(name, person.family_name, person.given_name, orcid, affiliations)


def _data_banks(record: Record, article: Element) -> None:
    for bank in article.iterfind("DataBankList/DataBank"):
        bank_name = _text(bank.find("DataBankName"))
        accessions = [_text(a) for a in bank.iterfind("AccessionNumberList/AccessionNumber")]
        others: list[str] = []
        registry = TRIAL_DATA_BANKS.get(bank_name.lower())
        for accession in filter(None, accessions):
            found = find_trial_ids(accession)
            if found:
                record.trials.extend(t for t in found if t not in record.trials)
            elif registry is not None:
                # Kept as given, so validation names the malformed number.
                trial = TrialId(registry, accession)
                record.warnings.append(
                    f"DataBank {bank_name}: {accession!r} is not a "
                    f"{TRIAL_REGISTRIES[registry].name} number"
                )
                if trial not in record.trials:
                    record.trials.append(trial)
            else:
                others.append(accession)
        if others:
            record.unknown_fields.append(UnknownField(f"DataBank {bank_name}", "; ".join(others)))


def _grants(article: Element) -> list[Funding]:
    awards: dict[str, list[str]] = {}
    for grant in article.iterfind("GrantList/Grant"):
        agency = _text(grant.find("Agency"))
        if not agency:
            continue
        numbers = awards.setdefault(agency, [])
        number = _text(grant.find("GrantID"))
        if number and number not in numbers:
            numbers.append(number)
    return [Funding(Organization(agency), tuple(ids)) for agency, ids in awards.items()]
