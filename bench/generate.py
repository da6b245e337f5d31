"""Seeded synthetic bibliographic records, written in several input formats.

Realistic in the ways that cost time downstream: titles and abstracts of varying
length, 1-40 authors per article (most have few, some have many), some with ORCID iDs,
a few thousand journals with valid ISSNs, DOIs and PMIDs, keywords, clinical-trial
registrations mentioned in abstracts. A set share of the records is broken:

* half of the broken ones cannot be read (no title): the reader rejects them;
* the other half read fine but break the SHACL shapes (an ISSN with a wrong check
  digit, or a DOI of the wrong form), so validation rejects them.

The same seed always gives the same files, so runs compare like with like.

    .venv/bin/python bench/generate.py --records 10000 --format csl-json out.json
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

FORMATS = ("csl-json", "ris", "pubmed")
SUFFIX = {"csl-json": ".json", "ris": ".ris", "pubmed": ".xml"}

_WORDS = [
    "acute",
    "chronic",
    "randomized",
    "trial",
    "outcomes",
    "patients",
    "cohort",
    "therapy",
    "treatment",
    "inhibitor",
    "receptor",
    "protein",
    "expression",
    "analysis",
    "clinical",
    "study",
    "efficacy",
    "safety",
    "children",
    "adults",
    "risk",
    "factors",
    "cancer",
    "tumour",
    "cell",
    "gene",
    "mutation",
    "infection",
    "vaccine",
    "response",
    "immune",
    "cardiovascular",
    "disease",
    "mortality",
    "survival",
    "imaging",
    "diagnosis",
    "screening",
    "population",
    "model",
    "dynamics",
    "molecular",
    "structure",
    "signalling",
    "pathway",
    "resistance",
    "biomarker",
    "dose",
    "placebo",
    "controlled",
    "multicentre",
    "prospective",
    "retrospective",
    "meta-analysis",
    "systematic",
    "review",
    "evidence",
    "quality",
    "care",
    "hospital",
    "primary",
    "emergency",
    "surgery",
    "recovery",
]
_GIVEN = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jan",
    "Kofi",
    "Lena",
    "Marta",
    "Nils",
    "Omar",
    "Pia",
    "Qiang",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zoe",
]
_FAMILY = [
    "Smith",
    "Müller",
    "García",
    "Chen",
    "Wang",
    "Kowalski",
    "Novak",
    "Rossi",
    "Silva",
    "Kim",
    "Nguyen",
    "Jensen",
    "Haddad",
    "Okafor",
    "Tanaka",
    "Ivanova",
    "Dubois",
    "Moreau",
    "Costa",
    "Fischer",
    "Becker",
    "Lopez",
    "Martin",
    "Singh",
    "Patel",
    "Andersson",
    "Nilsson",
    "Horvat",
    "Papadopoulos",
    "Yilmaz",
]
_LANGUAGES = ("en", "en", "en", "en", "de", "fr", "es")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def issn_check(seven: str) -> str:
    """The ISSN check character of seven digits (weights 8..2, mod 11)."""
    total = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


@dataclass
class Journal:
    title: str
    issn: str
    electronic: str | None = None  # a second ISSN (with --joins)


@dataclass
class Author:
    family: str
    given: str
    orcid: str | None = None


@dataclass
class Article:
    """One generated record, before it is written in any format."""

    number: int
    title: str | None
    authors: list[Author]
    journal: Journal
    year: int
    month: int
    day: int
    volume: str
    issue: str
    pages: str
    doi: str
    pmid: str
    language: str
    abstract: str
    keywords: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)  # as this record gives them

    def __post_init__(self) -> None:
        if not self.issns:
            self.issns = [self.journal.issn]


class Generator:
    """Articles drawn from a seeded random source; `broken_rate` of them are broken."""

    def __init__(
        self,
        seed: int = 42,
        broken_rate: float = 0.01,
        journals: int = 2000,
        joins: bool = False,
        zipf: float | None = None,
    ) -> None:
        """`joins`: records that the published view must join (identity): journals with
        two ISSNs, of which a record gives one or both, and a pool of people with ORCID
        iDs who write several articles. Off, the records are as they always were.

        `zipf`: articles per journal follow a Zipf-like law with this exponent (the
        journal of rank k is drawn with weight 1 / k**zipf: with 1.0 and 2,000 journals
        the largest has about 12% of the articles, the median one 0.006%). None (the
        default): every journal equally likely, the records byte for byte as before."""
        self.random = random.Random(seed)
        self.broken_rate = broken_rate
        self.joins = joins
        self.journals = [self._journal(i) for i in range(journals)]
        self.people = [self._person() for _ in range(200)] if joins else []
        self.zipf_weights: list[float] | None = None
        if zipf is not None:
            total = 0.0
            self.zipf_weights = []
            for rank in range(1, journals + 1):
                total += 1.0 / rank**zipf
                self.zipf_weights.append(total)  # cumulative, for random.choices

    def _journal(self, number: int) -> Journal:
        seven = f"{self.random.randrange(10**7):07d}"
        words = self.random.sample(_WORDS, 3)
        title = f"Journal of {' '.join(w.capitalize() for w in words)} {number}"
        journal = Journal(title, f"{seven[:4]}-{seven[4:]}{issn_check(seven)}")
        if self.joins:
            other = f"{self.random.randrange(10**7):07d}"
            journal.electronic = f"{other[:4]}-{other[4:]}{issn_check(other)}"
        return journal

    def _person(self) -> Author:
        r = self.random
        return Author(r.choice(_FAMILY), r.choice(_GIVEN), _orcid(r))

    def _issns(self, journal: Journal) -> list[str]:
        """One or both of a journal's ISSNs, as records of one journal differ in."""
        if journal.electronic is None:
            return [journal.issn]
        return self.random.choice(
            [[journal.issn], [journal.electronic], [journal.issn, journal.electronic]]
        )

    def _words(self, low: int, high: int) -> str:
        return " ".join(self.random.choices(_WORDS, k=self.random.randint(low, high)))

    def _authors(self) -> list[Author]:
        # Most articles have a handful of authors; a long tail up to 40.
        count = min(40, max(1, int(self.random.lognormvariate(1.4, 0.8))))
        authors = []
        for _ in range(count):
            orcid = None
            if self.random.random() < 0.2:
                orcid = _orcid(self.random)
            authors.append(Author(self.random.choice(_FAMILY), self.random.choice(_GIVEN), orcid))
            if self.people and self.random.random() < 0.3:
                authors[-1] = self.random.choice(self.people)  # someone who writes a lot
        return authors

    def article(self, number: int) -> Article:
        r = self.random
        if self.zipf_weights is None:
            journal = r.choice(self.journals)
        else:
            journal = r.choices(self.journals, cum_weights=self.zipf_weights)[0]
        abstract = self._words(40, 160).capitalize() + "."
        if r.random() < 0.1:
            abstract += f" Trial registration: ClinicalTrials.gov NCT{r.randrange(10**8):08d}."
        first = r.randint(1, 2000)
        article = Article(
            number=number,
            title=self._words(6, 18).capitalize(),
            authors=self._authors(),
            journal=journal,
            year=r.randint(1990, 2025),
            month=r.randint(1, 12),
            day=r.randint(1, 28),
            volume=str(r.randint(1, 300)),
            issue=str(r.randint(1, 12)),
            pages=f"{first}-{first + r.randint(1, 20)}",
            doi=f"10.{r.randint(1000, 99999)}/bench.{number}",
            pmid=str(10_000_000 + number),
            language=r.choice(_LANGUAGES),
            abstract=abstract,
            keywords=[self._words(1, 3) for _ in range(r.randint(0, 6))],
        )
        if self.joins:
            article.issns = self._issns(journal)
        if r.random() < self.broken_rate:
            self._break(article)
        return article

    def _break(self, article: Article) -> None:
        kind = self.random.randrange(3)
        if kind == 0:  # unreadable: no title
            article.title = None
        elif kind == 1:  # readable, breaks SHACL: wrong ISSN check digit
            right = article.journal.issn
            wrong = "0" if right[-1] != "0" else "1"
            article.journal = Journal(article.journal.title + " (misprinted)", right[:-1] + wrong)
            article.issns = [article.journal.issn]
        else:  # readable, breaks SHACL: a DOI of the wrong form
            article.doi = f"10.12/broken {article.number}"

    def articles(self, count: int) -> Iterator[Article]:
        for number in range(count):
            yield self.article(number)


def _orcid(r: random.Random) -> str:
    digits = f"0000000{r.randrange(10**8):08d}"
    total = 0
    for char in digits:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def write_csl_json(articles: Iterator[Article], out: IO[str]) -> None:
    out.write("[\n")
    for index, a in enumerate(articles):
        item: dict[str, object] = {
            "id": f"bench{a.number}",
            "type": "article-journal",
            "container-title": a.journal.title,
            "ISSN": a.issns,
            "volume": a.volume,
            "issue": a.issue,
            "page": a.pages,
            "issued": {"date-parts": [[a.year, a.month, a.day]]},
            "DOI": a.doi,
            "PMID": a.pmid,
            "abstract": a.abstract,
            "language": a.language,
            "keyword": ", ".join(a.keywords),
            "author": [_csl_name(author) for author in a.authors],
        }
        if a.title is not None:
            item["title"] = a.title
        out.write(("" if index == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
    out.write("\n]\n")


def _csl_name(author: Author) -> dict[str, str]:
    name = {"family": author.family, "given": author.given}
    if author.orcid:
        name["ORCID"] = f"https://orcid.org/{author.orcid}"
    return name


def write_ris(articles: Iterator[Article], out: IO[str]) -> None:
    for a in articles:
        lines = ["TY  - JOUR"]
        if a.title is not None:
            lines.append(f"TI  - {a.title}")
        lines += [f"AU  - {au.family}, {au.given}" for au in a.authors]
        lines += [
            f"JO  - {a.journal.title}",
            *(f"SN  - {issn}" for issn in a.issns),
            f"VL  - {a.volume}",
            f"IS  - {a.issue}",
            f"SP  - {a.pages}",
            f"DA  - {a.year}/{a.month:02d}/{a.day:02d}",
            f"DO  - {a.doi}",
            f"LA  - {a.language}",
            f"AB  - {a.abstract}",
        ]
        lines += [f"KW  - {keyword}" for keyword in a.keywords]
        lines.append("ER  - ")
        out.write("\n".join(lines) + "\n\n")


def write_pubmed(articles: Iterator[Article], out: IO[str]) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n')
    for a in articles:
        authors = "".join(
            f"<Author><LastName>{escape(au.family)}</LastName>"
            f"<ForeName>{escape(au.given)}</ForeName></Author>"
            for au in a.authors
        )
        title = f"<ArticleTitle>{escape(a.title)}</ArticleTitle>" if a.title else ""
        keywords = "".join(f"<Keyword>{escape(k)}</Keyword>" for k in a.keywords)
        out.write(
            f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
            f"<PMID>{a.pmid}</PMID><Article><Journal>"
            f'<ISSN IssnType="Print">{a.journal.issn}</ISSN>'
            f"<JournalIssue><Volume>{a.volume}</Volume><Issue>{a.issue}</Issue>"
            f"<PubDate><Year>{a.year}</Year><Month>{_MONTHS[a.month - 1]}</Month>"
            f"<Day>{a.day}</Day></PubDate></JournalIssue>"
            f"<Title>{escape(a.journal.title)}</Title></Journal>{title}"
            f"<Pagination><MedlinePgn>{a.pages}</MedlinePgn></Pagination>"
            f"<Abstract><AbstractText>{escape(a.abstract)}</AbstractText></Abstract>"
            f"<AuthorList>{authors}</AuthorList><Language>{_pubmed_language(a)}</Language>"
            f"</Article><KeywordList>{keywords}</KeywordList></MedlineCitation>"
            f'<PubmedData><ArticleIdList><ArticleId IdType="doi">{escape(a.doi)}</ArticleId>'
            f"</ArticleIdList></PubmedData></PubmedArticle>\n"
        )
    out.write("</PubmedArticleSet>\n")


def _pubmed_language(article: Article) -> str:
    return {"en": "eng", "de": "ger", "fr": "fre", "es": "spa"}[article.language]


WRITERS = {"csl-json": write_csl_json, "ris": write_ris, "pubmed": write_pubmed}


def generate(
    path: Path,
    records: int,
    format_name: str = "csl-json",
    seed: int = 42,
    broken_rate: float = 0.01,
    joins: bool = False,
    journals: int = 2000,
    zipf: float | None = None,
) -> Path:
    """Write `records` generated articles to `path` in one format; returns the path."""
    generator = Generator(seed, broken_rate, journals, joins, zipf)
    with path.open("w", encoding="utf-8") as out:
        WRITERS[format_name](generator.articles(records), out)
    return path


def generate_twins(
    path: Path,
    records: int,
    format_name: str,
    share: float = 0.3,
    seed: int = 42,
    broken_rate: float = 0.01,
) -> tuple[Path, int]:
    """A second source for `share` of the articles `generate` writes with the same
    `records`, `seed` and `broken_rate`: the same articles (same DOI, title, authors,
    journal), chosen by a seeded draw, written in another format. Returns the path and
    how many were written."""
    chooser = random.Random(seed + 1)
    chosen = [a for a in Generator(seed, broken_rate).articles(records) if chooser.random() < share]
    with path.open("w", encoding="utf-8") as out:
        WRITERS[format_name](iter(chosen), out)
    return path, len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--format", choices=FORMATS, default="csl-json")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--broken-rate", type=float, default=0.01)
    parser.add_argument(
        "--joins",
        action="store_true",
        help="journals with two ISSNs that records give one or both of, and people with ORCID"
        " iDs who write several articles: resources the published view joins",
    )
    parser.add_argument("--journals", type=int, default=2000, help="how many journals to draw from")
    parser.add_argument(
        "--zipf",
        type=float,
        default=None,
        metavar="S",
        help="articles per journal Zipf-like (weight 1/rank**S) instead of uniform",
    )
    args = parser.parse_args()
    generate(
        args.output,
        args.records,
        args.format,
        args.seed,
        args.broken_rate,
        args.joins,
        args.journals,
        args.zipf,
    )


if __name__ == "__main__":
    main()
