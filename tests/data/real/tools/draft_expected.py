"""Draft the expected-fields tables from the source files, independently of `publisher`.

Parsers used here are other than the project's readers: lxml XPath for XML, the json
module, rispy for RIS, a line splitter for Web of Science, bibtexparser 2 for BibTeX,
pymarc (field access only; the cataloguing rules are written out here) for MARC.
The drafts were then checked by hand on the hard records and corrected in
expected.json (SOURCES.md lists which); rerunning this script overwrites those
corrections, so it writes `expected.draft.json` beside each table instead.

Usage: python draft_expected.py  (from any directory; needs lxml, rispy, bibtexparser, pymarc)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import bibtexparser
import pymarc
import rispy
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
TRIAL_RE = re.compile(
    r"\b(NCT\d{8}|ISRCTN\d{8}|ACTRN\d{14}|DRKS\d{8}|ChiCTR[\w-]{6,}|EUCTR\d{4}-\d{6}-\d{2})\b"
)
LANG = {
    "eng": "en",
    "ger": "de",
    "deu": "de",
    "fre": "fr",
    "fra": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "rus": "ru",
    "jpn": "ja",
    "chi": "zh",
    "zho": "zh",
    "dut": "nl",
    "nld": "nl",
    "pol": "pl",
    "swe": "sv",
    "dan": "da",
    "nor": "no",
    "fin": "fi",
    "cze": "cs",
    "ces": "cs",
    "hun": "hu",
    "tur": "tr",
    "lat": "la",
    "gre": "el",
    "ell": "el",
    "kor": "ko",
    "ara": "ar",
    "english": "en",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "spanish": "es",
    "en": "en",
    "de": "de",
    "fr": "fr",
    "es": "es",
    "it": "it",
    "pt": "pt",
    "ru": "ru",
}
MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def lang(code: str | None) -> str | None:
    return LANG.get((code or "").strip().lower()) if code else None


def trials_in(*texts: str | None) -> list[str]:
    found: list[str] = []
    for text in texts:
        for match in TRIAL_RE.findall(text or ""):
            if match not in found:
                found.append(match)
    return found


def pages(text: str | None) -> dict[str, str | None]:
    """Page text -> pageStart/pageEnd/pagination as a cataloguer reads it.

    "107-14" -> 107, 114 (abbreviated end expanded); "e123" -> e123; "1787-8; discussion
    1791" -> 1787, 1788 and the whole text as pagination; anything else unsplit -> pagination.
    """
    out: dict[str, str | None] = {"pageStart": None, "pageEnd": None, "pagination": None}
    text = clean(text)
    if not text:
        return out
    first = re.split(r"[;,]", text)[0].strip()
    match = re.fullmatch(r"([A-Za-z]?\d+)\s*[-\u2013]+\s*([A-Za-z]?\d+(?:\.e\d+)?)", first)
    if match:
        start, end = match.groups()
        if (
            end.isdigit()
            and start.isdigit()
            and len(end) < len(start)
            and int(end) < int(start[-len(end) :]) + 10 ** len(end)
        ):
            end = start[: len(start) - len(end)] + end
        out["pageStart"], out["pageEnd"] = start, end
    elif re.fullmatch(r"[A-Za-z]?\d+[A-Za-z]?", first):
        out["pageStart"] = first
    else:
        out["pagination"] = text
        return out
    if first != text:
        out["pagination"] = text
    return out


def record(file: str, index: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"file": file, "record": index}
    base.update(fields)
    return base


def blank(outcome: str) -> dict[str, Any]:
    """A record with nothing published: only its outcome is compared."""
    return {"outcome": outcome}


def article(**fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "title": None,
        "authors": [],
        "journal": None,
        "issns": [],
        "volume": None,
        "issue": None,
        "pageStart": None,
        "pageEnd": None,
        "pagination": None,
        "date": None,
        "doi": None,
        "pmid": None,
        "pmcid": None,
        "trial_ids": [],
        "language": None,
        "subjects": [],
        "outcome": "published",
    }
    defaults.update(fields)
    return defaults


def person(name: str) -> dict[str, str]:
    return {"name": name, "kind": "person"}


def org(name: str) -> dict[str, str]:
    return {"name": name, "kind": "organization"}


def ymd(year: str | None, month: str | None = None, day: str | None = None) -> str | None:
    if not year or not re.fullmatch(r"\d{4}", year.strip()):
        return None
    date = year.strip()
    if month:
        m = month.strip().lower()[:3]
        num = MONTHS.get(m) or (int(m) if m.isdigit() and 1 <= int(m) <= 12 else None)
        if num:
            date += f"-{num:02d}"
            if day and day.strip().isdigit() and 1 <= int(day) <= 31:
                date += f"-{int(day):02d}"
    return date


def first_year(text: str | None) -> str | None:
    match = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text or "")
    return match.group(1) if match else None


# ---- PubMed XML (lxml XPath) ------------------------------------------------------


def _markup_text(node: etree._Element | None) -> str | None:
    """Element text with <sup>x</sup> written ^x (the comparison maps superscripts the same)."""
    if node is None:
        return None
    parts: list[str] = [node.text or ""]
    for child in node:
        inner = _markup_text(child) or ""
        parts.append(("^" + inner) if child.tag == "sup" else inner)
        parts.append(child.tail or "")
    return clean("".join(parts))


def pubmed(path: Path) -> list[dict[str, Any]]:
    tree = etree.parse(str(path))
    rows = []
    items = tree.xpath(
        "/PubmedArticle | /PubmedBookArticle | /*/PubmedArticle | /*/PubmedBookArticle"
    )
    for index, item in enumerate(items):
        if item.tag == "PubmedBookArticle":
            rows.append(record(path.name, index, **blank("skipped")))
            continue
        art = item.find("MedlineCitation/Article")
        authors = []
        for author in art.xpath("AuthorList/Author[not(@ValidYN='N')]"):
            if author.find("CollectiveName") is not None:
                authors.append(org(_markup_text(author.find("CollectiveName"))))
            else:
                given = author.findtext("ForeName") or author.findtext("Initials")
                family = author.findtext("LastName")
                authors.append(person(", ".join(x for x in (family, given) if x)))
        issue = art.find("Journal/JournalIssue")
        pub_date = issue.find("PubDate")
        date = ymd(
            pub_date.findtext("Year"), pub_date.findtext("Month"), pub_date.findtext("Day")
        ) or first_year(pub_date.findtext("MedlineDate"))
        issns = [
            clean(i.text)
            for i in art.xpath("Journal/ISSN")
            + item.xpath("MedlineCitation/MedlineJournalInfo/ISSNLinking")
        ]
        ids = {
            a.get("IdType"): clean(a.text) for a in item.xpath("PubmedData/ArticleIdList/ArticleId")
        }
        doi = ids.get("doi") or clean(art.findtext("ELocationID[@EIdType='doi']"))
        start, end = art.findtext("Pagination/StartPage"), art.findtext("Pagination/EndPage")
        page = (
            pages(art.findtext("Pagination/MedlinePgn"))
            if art.find("Pagination/MedlinePgn") is not None
            else {"pageStart": clean(start), "pageEnd": clean(end), "pagination": None}
        )
        abstract = " ".join(_markup_text(t) or "" for t in art.xpath("Abstract/AbstractText"))
        title = _markup_text(art.find("ArticleTitle")) or _markup_text(art.find("VernacularTitle"))
        databank = [
            clean(a.text)
            for a in art.xpath("DataBankList/DataBank/AccessionNumberList/AccessionNumber")
        ]
        subjects = [
            clean(d.text)
            for d in item.xpath("MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName")
        ]
        subjects += [_markup_text(k) for k in item.xpath("MedlineCitation/KeywordList/Keyword")]
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=title,
                    authors=authors,
                    journal=clean(art.findtext("Journal/Title")),
                    issns=sorted({i for i in issns if i}),
                    volume=clean(issue.findtext("Volume")),
                    issue=clean(issue.findtext("Issue")),
                    **page,
                    date=date,
                    doi=doi.lower() if doi else None,
                    pmid=clean(item.findtext("MedlineCitation/PMID")),
                    pmcid=ids.get("pmc"),
                    trial_ids=sorted(set(databank) | set(trials_in(title, abstract))),
                    language=lang(art.findtext("Language")),
                    subjects=sorted({s for s in subjects if s}),
                ),
            )
        )
    return rows


# ---- ClinicalTrials.gov API v2 (json) ---------------------------------------------


def ctgov(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    studies = data.get("studies", [data])
    rows = []
    for index, study in enumerate(studies):
        protocol = study.get("protocolSection", {})
        ident = protocol.get("identificationModule", {})
        status = protocol.get("statusModule", {})
        start = (status.get("startDateStruct") or {}).get("date")
        rows.append(
            record(
                path.name,
                index,
                title=clean(ident.get("briefTitle")),
                trial_ids=[ident["nctId"]],
                date=start,
                subjects=sorted(protocol.get("conditionsModule", {}).get("keywords", [])),
                outcome="published",
            )
        )
    return rows


# ---- Crossref REST JSON / CSL-JSON (json) ----------------------------------------


def _csl_name(agent: dict[str, Any]) -> dict[str, str]:
    if "family" in agent:
        return person(", ".join(x for x in (agent.get("family"), agent.get("given")) if x))
    return org(agent.get("name") or agent.get("literal") or "")


def _date_parts(value: dict[str, Any] | None) -> str | None:
    parts = ((value or {}).get("date-parts") or [[None]])[0]
    if not parts or parts[0] is None:
        return None
    return "-".join(f"{int(p):04d}" if i == 0 else f"{int(p):02d}" for i, p in enumerate(parts))


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return clean(value[0]) if value else None
    return clean(value)


def crossref_item(item: dict[str, Any]) -> dict[str, Any]:
    title = _first(item.get("title"))
    doi = (item.get("DOI") or "").lower() or None
    journal = _first(item.get("container-title"))
    if journal == "CrossRef Listing of Deleted DOIs" or (title and doi and title.lower() == doi):
        return blank("skipped")
    if item.get("type") not in ("journal-article", "article-journal"):
        return blank("skipped")
    date = None
    for key in ("published-print", "published-online", "issued", "published"):
        date = _date_parts(item.get(key))
        if date:
            break
    page = pages(item.get("page"))
    if not page["pageStart"] and not page["pagination"] and item.get("article-number"):
        page["pageStart"] = item["article-number"]
    return article(
        title=title,
        authors=[_csl_name(a) for a in item.get("author", [])],
        journal=journal,
        issns=sorted(set(item.get("ISSN", []))),
        volume=clean(item.get("volume")),
        issue=clean(item.get("issue")),
        **page,
        date=date,
        doi=doi,
        trial_ids=trials_in(title, item.get("abstract")),
        language=lang(item.get("language")),
        subjects=sorted(set(item.get("subject", []))),
    )


def crossref(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("items") or data.get("message", {}).get("items") or [data.get("message", data)]
    return [record(path.name, i, **crossref_item(item)) for i, item in enumerate(items)]


def csl(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data if isinstance(data, list) else [data]
    rows = []
    for index, item in enumerate(items):
        if item.get("type") != "article-journal":
            rows.append(record(path.name, index, **blank("skipped")))
            continue
        issn = item.get("ISSN")
        issns = (
            issn if isinstance(issn, list) else [i.strip() for i in issn.split(",")] if issn else []
        )
        note_pmid = re.search(r"PMID: (\d+)", item.get("note") or "")
        keywords = item.get("keyword")
        subjects = (
            [k.strip() for k in keywords.split(",")]
            if isinstance(keywords, str)
            else (keywords or [])
        )
        page = pages(item.get("page"))
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=clean(item.get("title")),
                    authors=[_csl_name(a) for a in item.get("author", [])],
                    journal=clean(item.get("container-title")),
                    issns=sorted(set(issns)),
                    volume=clean(str(item["volume"])) if item.get("volume") else None,
                    issue=clean(str(item["issue"])) if item.get("issue") else None,
                    **page,
                    date=_date_parts(item.get("issued")),
                    doi=(item.get("DOI") or "").lower() or None,
                    pmid=item.get("PMID") or (note_pmid.group(1) if note_pmid else None),
                    pmcid=item.get("PMCID"),
                    trial_ids=trials_in(item.get("title"), item.get("abstract")),
                    language=lang(item.get("language")),
                    subjects=sorted(set(subjects)),
                ),
            )
        )
    return rows


# ---- RIS (rispy) ------------------------------------------------------------------


def _ris_id(entry: dict[str, Any], suffix: str) -> str | None:
    for value in [
        *(entry.get("user_definable_1") or []),
        entry.get("user_definable_2"),
        entry.get("accession_number"),
    ]:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v.endswith(f"[{suffix}]"):
                return v[: -len(suffix) - 2]
    return None


def _ris_lines(path: Path, index: int) -> list[str]:
    """The raw lines of the index-th entry (rispy keeps one SN only)."""
    chunks = re.split(r"^ER  -.*$", path.read_text(encoding="utf-8-sig"), flags=re.M)
    return chunks[index].splitlines() if index < len(chunks) else []


def ris(path: Path) -> list[dict[str, Any]]:
    entries = rispy.load(path, encoding="utf-8-sig", skip_unknown_tags=False)
    rows = []
    for index, e in enumerate(entries):
        if e.get("type_of_reference") != "JOUR":
            rows.append(record(path.name, index, **blank("skipped")))
            continue
        start, end = e.get("start_page"), e.get("end_page")
        page = pages(f"{start}-{end}" if start and end else start)
        date = e.get("year") or e.get("date") or e.get("publication_year")
        parts = [p for p in re.split(r"/", str(date or "")) if p]
        doi = e.get("doi")
        if doi:
            doi = re.sub(r"^https?://(dx\.)?doi\.org/", "", doi).lower()
        issns = [ln[6:].strip() for ln in _ris_lines(path, index) if ln.startswith("SN  -")]
        an = e.get("accession_number") or ""
        u2 = next((ln[6:].strip() for ln in _ris_lines(path, index) if ln.startswith("U2  -")), "")
        pmcid = (
            (u2[: -len("[pmcid]")] if u2.endswith("[pmcid]") else None)
            or _ris_id(e, "pmcid")
            or (an if str(an).startswith("PMC") else None)
        )
        pmid = _ris_id(e, "pmid") or (
            an if str(an).isdigit() and e.get("name_of_database") == "PubMed" else None
        )
        title = clean(e.get("title") or e.get("primary_title"))
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=title,
                    authors=[person(a) for a in e.get("authors", []) + e.get("first_authors", [])],
                    journal=clean(
                        e.get("journal_name")
                        or e.get("secondary_title")
                        or e.get("alternate_title3")
                    ),
                    issns=sorted(set(issns)),
                    volume=clean(e.get("volume")),
                    issue=clean(e.get("number")),
                    **page,
                    date=ymd(*[*parts, None, None, None][:3]) if parts else None,
                    doi=doi or None,
                    pmid=pmid,
                    pmcid=pmcid,
                    trial_ids=trials_in(title, e.get("abstract")),
                    language=lang(e.get("language")),
                    subjects=sorted(set(e.get("keywords", []))),
                ),
            )
        )
    return rows


# ---- Web of Science tagged (line splitter) ------------------------------------------


def _wos_records(path: Path) -> list[dict[str, list[str]]]:
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    tag = ""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("PT "):
            current = {}
            records.append(current)
        if current is None:
            continue
        if line.startswith("ER"):
            current = None
            continue
        if line[:2].strip() and (len(line) == 2 or line[2] == " "):
            tag = line[:2]
            current.setdefault(tag, []).append(line[3:].strip())
        elif line.startswith("   "):
            current.setdefault(tag, []).append(line.strip())
    return records


def wos(path: Path) -> list[dict[str, Any]]:
    rows = []
    for index, r in enumerate(_wos_records(path)):

        def one(tag: str, sep: str = " ", r: dict[str, list[str]] = r) -> str | None:
            return clean(sep.join(r.get(tag, []))) if tag in r else None

        names: list[str] = []
        for line in r.get("AF") or r.get("AU", []):
            names.extend(n.strip() for n in line.split(";") if n.strip())
        page = pages(
            f"{one('BP')}-{one('EP')}"
            if one("BP") and one("EP")
            else one("PS") or one("BP") or one("AR")
        )
        ut = one("UT") or ""
        pmid = one("PM") or (ut.split(":", 1)[1] if ut.startswith("MEDLINE:") else None)
        title = one("TI")
        # continuation lines join with a space before splitting on ";"; Inspec's ID holds
        # SICI/CODEN codes, not Keywords Plus: only its DE terms are subjects
        tags = ("DE",) if (one("UT") or "").startswith("INSPEC:") else ("DE", "ID")
        keywords = [
            k.strip() for tag in tags for k in " ".join(r.get(tag, [])).split(";") if k.strip()
        ]
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=title,
                    authors=[person(n) for n in names],
                    journal=one("SO"),
                    issns=sorted({x for x in (one("SN"), one("EI")) if x}),
                    volume=one("VL"),
                    issue=one("IS"),
                    **page,
                    date=ymd(one("PY"), *(one("PD") or "").split()[:2]) if one("PY") else None,
                    doi=(one("DI") or "").lower() or None,
                    pmid=pmid,
                    trial_ids=trials_in(title, one("AB")),
                    language=lang((one("LA") or "").split(";")[0]),
                    subjects=sorted(set(keywords)),
                ),
            )
        )
    return rows


# ---- BibTeX (bibtexparser 2) --------------------------------------------------------


def _bib_names(value: str | None) -> list[dict[str, str]]:
    if not value:
        return []
    out = []
    for name in re.split(r"\s+and\s+", value.strip()):
        name = name.strip()
        if name.startswith("{") and name.endswith("}"):
            out.append(org(name[1:-1].strip("{}")))
        elif "," in name:
            out.append(person(name.replace("{", "").replace("}", "")))
        else:
            words = name.replace("{", "").replace("}", "").split()
            out.append(
                person(", ".join([words[-1], " ".join(words[:-1])]) if len(words) > 1 else name)
            )
    return out


def bibtex(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    # bibtexparser wants a key; Citavi writes `@Article{,`: give each entry its index.
    counter = iter(range(10**6))
    text = re.sub(r"(@\w+\{)\s*,", lambda m: f"{m.group(1)}k{next(counter)},", text)
    library = bibtexparser.parse_string(text)
    rows = []
    for index, entry in enumerate(library.entries):
        f = {k.lower(): v for k, v in entry.fields_dict.items()}

        def val(name: str, f: dict[str, Any] = f) -> str | None:
            return clean(f[name].value.strip("{}")) if name in f else None

        if entry.entry_type.lower() != "article":
            rows.append(record(path.name, index, **blank("skipped")))
            continue
        page = pages((val("pages") or "").replace("--", "-") or None)
        keywords = [k.strip() for k in re.split(r"[;,]", val("keywords") or "") if k.strip()]
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=val("title"),
                    authors=_bib_names(f["author"].value if "author" in f else None),
                    journal=val("journal") or val("journaltitle"),
                    issns=[val("issn")] if val("issn") else [],
                    volume=val("volume"),
                    issue=val("number") or val("issue"),
                    **page,
                    date=ymd(val("year"), val("month")) if val("year") else None,
                    doi=(val("doi") or "").lower() or None,
                    pmid=val("pmid"),
                    pmcid=val("pmcid"),
                    trial_ids=trials_in(val("title"), val("abstract")),
                    language=lang(val("language")),
                    subjects=sorted(set(keywords)),
                ),
            )
        )
    return rows


# ---- MARC (pymarc field access; cataloguing rules written out here) ----------------


def _sub(field: pymarc.Field, code: str) -> str | None:
    values = field.get_subfields(code)
    return clean(values[0]) if values else None


def _strip_isbd(text: str | None) -> str | None:
    if not text:
        return None
    return clean(re.sub(r"\s*[/:;,.=]\s*$", "", text))


def marc_record(rec: pymarc.Record) -> dict[str, Any]:
    leader = str(rec.leader)
    # an article is a component part (Leader/07 a or b) of text or of an electronic
    # resource (Leader/06 a, t, m: `nma` is an e-journal article); the rest is skipped
    if leader[7] not in "ab" or leader[6] not in "atm":
        return blank("skipped")
    f245 = rec.get("245")
    title = None
    if f245 is not None:
        title = " : ".join(
            x for x in (_strip_isbd(_sub(f245, "a")), _strip_isbd(_sub(f245, "b"))) if x
        )
        for code in ("n", "p"):
            for part in f245.get_subfields(code):
                title += ". " + (_strip_isbd(part) or "")
        title = re.sub(r"<<([^>]*)>>", r"\1", title)  # non-filing markers are not text
    authors = []
    for field in rec.get_fields("100", "110", "111", "700", "710", "711"):
        name = _strip_isbd(_sub(field, "a"))
        relators = set(field.get_subfields("4", "e"))
        if not name or (relators and not relators & {"aut", "cre", "Verfasser", "author"}):
            continue
        if field.tag in ("100", "700"):
            authors.append(person(name))
        else:
            extra = _strip_isbd(_sub(field, "b"))
            authors.append(org(f"{name}. {extra}" if extra else name))
    host = rec.get("773")
    journal = volume = issue = None
    page: dict[str, str | None] = {"pageStart": None, "pageEnd": None, "pagination": None}
    issns: list[str] = []
    if host is not None:
        issns = [x for x in (_sub(host, "x"),) if x]
        ids = " ".join(host.get_subfields("w"))
        # lobid (hbz) hosts: (DE-600) is the ZDB, the serials database; other hosts are books
        serial = "(DE-600)" in ids or issns or "(DE-605)" not in ids
        journal = _strip_isbd(_sub(host, "t")) if serial else None
        g = " ".join(host.get_subfields("g"))
        if m := re.search(r"(?:pages:|Seite|S\.|p\.|pp\.)\s*\[?(\d+)\]?(?:\s*-\s*\[?(\d+)\]?)?", g):
            page = pages(f"{m.group(1)}-{m.group(2)}" if m.group(2) else m.group(1))
        if m := re.search(r"(?:volume:|Vol\.|Bd\.|Jg\.)\s*(\w+)|(\d+)\. Jahrgang", g, re.I):
            volume = m.group(1) or m.group(2)
        if m := re.search(r"(?:number:|no\.|H\.|Nr\.|Heft|Ausgabe)\s*(\w+)", g, re.I):
            issue = m.group(1)
    doi = None
    for field in rec.get_fields("024"):
        if (_sub(field, "2") or "").lower() == "doi":
            found = re.search(r"10\.\d{4,9}/\S+", _sub(field, "a") or "")  # also inside a URL
            doi = found.group(0).lower() if found else None
    date = None
    f008 = rec.get("008")
    if f008 is not None and re.fullmatch(r"\d{4}", f008.data[7:11]):
        date = f008.data[7:11]
    language = lang(f008.data[35:38]) if f008 is not None else None
    subjects = []
    for field in rec.get_fields("600", "610", "650", "651", "653", "689"):  # 655 is genre
        value = _strip_isbd(_sub(field, "a"))
        if value:
            subjects.append(value)
    return article(
        title=title,
        authors=authors,
        journal=journal,
        issns=issns,
        volume=volume,
        issue=issue,
        **page,
        date=date,
        doi=doi,
        language=language,
        subjects=sorted(set(subjects)),
    )


def marc_binary(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        reader = pymarc.MARCReader(
            handle, to_unicode=True, force_utf8=False, utf8_handling="replace"
        )
        return [
            record(path.name, i, **(marc_record(r) if r is not None else blank("rejected")))
            for i, r in enumerate(reader)
        ]


def marcxml(path: Path) -> list[dict[str, Any]]:
    try:
        etree.parse(str(path))
    except etree.XMLSyntaxError:  # not well-formed (an SRU page with unbound `zs:`)
        return [record(path.name, 0, **blank("rejected"))]
    return [
        record(path.name, i, **marc_record(r))
        for i, r in enumerate(pymarc.parse_xml_to_array(str(path)))
    ]


def marc_json(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [
            record(path.name, i, **marc_record(r))
            for i, r in enumerate(pymarc.JSONReader(handle.read()))
        ]


# ---- OAI-PMH (lxml) -------------------------------------------------------------


NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "d": "http://doaj.org/features/oai_doaj/1.0/",
    "m": "http://www.loc.gov/MARC21/slim",
}


def oai(path: Path) -> list[dict[str, Any]]:
    tree = etree.parse(str(path))
    rows = []
    for index, rec in enumerate(
        tree.xpath("//o:ListRecords/o:record | //o:GetRecord/o:record", namespaces=NS)
    ):
        if rec.xpath("o:header/@status", namespaces=NS) == ["deleted"]:
            rows.append(record(path.name, index, **blank("skipped")))
            continue
        doaj = rec.find("o:metadata/d:doajArticle", NS)
        if doaj is None:
            marc = rec.find("o:metadata/m:record", NS)
            xml = etree.tostring(marc)
            parsed = pymarc.parse_xml_to_array(
                __import__("io").BytesIO(
                    b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + xml + b"</collection>"
                )
            )
            rows.append(record(path.name, index, **marc_record(parsed[0])))
            continue

        def t(name: str, doaj: Any = doaj) -> str | None:
            return clean(doaj.findtext(f"d:{name}", namespaces=NS))

        start, end = t("startPage"), t("endPage")
        page = pages(f"{start}-{end}" if start and end and start != end else start)
        date = t("publicationDate")
        if date and date.endswith("-01"):  # DOAJ fills the day with 01: month precision
            date = date[:7]
        issns = {x for x in (t("issn"), t("eissn")) if x}
        title = t("title")
        rows.append(
            record(
                path.name,
                index,
                **article(
                    title=title,
                    authors=[
                        person(clean(n.text))
                        for n in doaj.xpath("d:authors/d:author/d:name", namespaces=NS)
                    ],
                    journal=t("journalTitle"),
                    issns=sorted(issns),
                    volume=t("volume"),
                    issue=t("issue"),
                    **page,
                    date=date,
                    doi=(t("doi") or "").lower() or None,
                    trial_ids=trials_in(title, t("abstract")),
                    language=lang(t("language")),
                    subjects=sorted(
                        {
                            c
                            for x in doaj.xpath("d:keywords/d:keyword", namespaces=NS)
                            for k in (x.text or "").split(";")
                            if (c := clean(k.strip(" ;,")))
                        }
                    ),
                ),
            )
        )
    return rows


DRAFTERS = {
    "pubmed": pubmed,
    "ctgov": ctgov,
    "crossref": crossref,
    "csl": csl,
    "ris": ris,
    "wos": wos,
    "bibtex": bibtex,
    "marc_binary": marc_binary,
    "marcxml": marcxml,
    "marc_json": marc_json,
    "oai": oai,
}


def apply_corrections(fmt: str, rows: list[dict[str, Any]]) -> int:
    """Values set by hand after reading the source (corrections.json: format -> list of
    {file, record, field: value...} with a `why`); returns how many records were corrected."""
    corrections = json.loads((ROOT / "tools" / "corrections.json").read_text(encoding="utf-8"))
    by_key = {(r["file"], r["record"]): r for r in rows}
    for fix in corrections.get(fmt, []):
        row = by_key[(fix["file"], fix["record"])]
        row.update({k: v for k, v in fix.items() if k not in ("file", "record", "why")})
    return len(corrections.get(fmt, []))


def main() -> None:
    for name, drafter in DRAFTERS.items():
        folder = ROOT / name
        rows: list[dict[str, Any]] = []
        for path in sorted(
            p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("expected")
        ):
            try:
                rows.extend(drafter(path))
            except Exception as error:  # a draft, not a test: say which file and go on
                print(f"{path}: {error!r}", file=sys.stderr)
        (folder / "expected.draft.json").unlink(missing_ok=True)
        corrected = apply_corrections(name, rows)
        target = folder / "expected.json"
        target.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(name, len(rows), "records,", corrected, "corrected by hand")


if __name__ == "__main__":
    main()
