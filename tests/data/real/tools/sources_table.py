# ruff: noqa: E501  (a table of notes, one per line, reads better unwrapped)
"""Print the per-file table of SOURCES.md: origin, commit, path, licence, records, notes.

Reads the manifest (files copied by copy_corpus.py), the three files copied from the
project's shared samples, and the record counts of the expected-fields tables.
"""

import json
import subprocess
from collections import Counter
from pathlib import Path

from copy_corpus import git_dir
from manifest import FILES

ROOT = Path(__file__).resolve().parents[1]
SHARED = [  # (dest, repo, commit, path, licence): copied from /work/shared (samples/README.md)
    (
        "vufind/seed_000_a5c995328e4ea53f.txt",
        "the project's seed (/work/shared/seeds)",
        "-",
        "000_a5c995328e4ea53f.txt",
        "catalogue page saved as text; origin catalogue not recorded",
    ),
    (
        "marcxml/vufind_tests_data_journal_article.xml",
        "vufind-org/vufind",
        "118d97d (index)",
        "tests/data/journal_article.xml",
        "GPL-2.0",
    ),
    (
        "csl/bolognese_citeproc.json",
        "datacite/bolognese",
        "ff9ced4",
        "spec/fixtures/citeproc.json",
        "MIT",
    ),
]
LOBID = "hbz/lobid-resources"
NOTES = {
    "pubmed/biomcp_efetch_22663011.xml": "26 authors, CollectiveName (METRIC Study Group) last; DataBank NCT; MeSH",
    "pubmed/biopython_pubmed4.xml": "22 authors; inline markup in abstract; PMCID",
    "pubmed/biopython_pubmed6.xml": "<sup>/<i> markup in abstract; single page 1034; PMCID",
    "pubmed/biopython_pubmed7.xml": "electronic article number MedlinePgn 026002 (leading zero); CollectiveName; PMCID",
    "pubmed/jabref_ArticleItalics.xml": "24 authors, <i> in title/abstract; PMCID",
    "pubmed/jabref_MathML.xml": "MathML in abstract; ELocationID pii only (no pages); PMCID",
    "pubmed/jabref_Nbib.xml": "a PubmedArticle and a PubmedBookArticle (book: skipped); CollectiveName",
    "pubmed/jabref_PubmedBook.xml": "bare PubmedBookArticle root (book: skipped)",
    "pubmed/jabref_ArticleNoISSN.xml": "no ISSN; bare PubmedArticle root",
    "crossref/commonmeta_crossref-list.json": "7 'CrossRef Listing of Deleted DOIs' placeholders (title = DOI, a DOI containing a URL); an Errata; no-author records; 1906-1968 German entomology",
    "csl/commonmeta_csl-list.json": "a book (skipped); ISSN '1006-4982, 1995-8196' in one string; PMID only in `note`; article number as page; records without DOI",
    "csl/commonmeta_citeproc.json": "post-weblog (skipped)",
    "csl/bolognese_citeproc.json": "post-weblog (skipped)",
    "ris/commonmeta_ris_bug.ris": "malformed first tag `TY -  BOOK` (a thesis/book: skipped)",
    "ris/jabref_RisImporterTest5b.ris": "abbreviated end page SP 377 / EP 86",
    "ris/jabref_RisImporterTestDOI.ris": "two SN; U1 26957754[pmid], U2 PMC4756000[pmcid], AN",
    "ris/jabref_RisImporterTestScience.ris": "DO as a dx.doi.org URL; empty IS/T2; PY 2016/12//",
    "ris/commonmeta_crossref.ris": "ISSN without hyphen (2050084X)",
    "wos/jabref_IsiImporterTestMedline.isi": "MEDLINE-sourced: AU 'Joffe, Hadine; Hall, Janet E; ...' on one line; PS 411-22, 2457-71; UT MEDLINE:<pmid>",
    "wos/rispy_example_wos.txt": "ID keywords wrapped over lines; long author lists",
    "bibtex/jabref_CitaviXmlImporterTest1.bib": "Citavi export: empty keys `@Article{,`; books/collections (skipped); no journal fields",
    "bibtex/jabref_CitaviXmlImporterTest2.bib": "Citavi export: empty keys; books (skipped)",
    "bibtex/jabref_CitaviXmlImporterTest3.bib": "Citavi export: volumes without journal; `pages = {Chapter 1}`; @book/@misc/@incollection (skipped)",
    "marc_binary/pymarc_1251.dat": "Cyrillic in cp1251 (not MARC-8/UTF-8): books, skipped",
    "marc_binary/pymarc_regression45.dat": "malformed 651 indicators; books, skipped",
    "marc_json/pymarc_test.json": "a raw control character inside a JSON string",
    "marc_json/pymarc_batch.json": "music recording, computer file (skipped)",
    "marcxml/vufind_tests_data_journal_article.xml": "a serial (skipped) and an article `nab` linked by 773 $w; date in 773 $g",
    "marcxml/jabref_MarcXmlParserTestArticle.xml": "SRU page with unbound `zs:` prefix: not well-formed XML (rejected)",
    "oai/vufindharvest_oai_doaj.xml": "DOAJ oai_doaj: Spanish/English medical journals; article numbers as start=end page; keywords with stray ';'",
    "oai/vufindharvest_marc.xml": "marc21 inside OAI: 18th-19th c. digitised books (skipped)",
}
LEADER_NOTES = {
    "a": "article (component part)",
    "b": "serial component part",
    "m": "book",
    "s": "serial",
    "c": "collection",
    "i": "integrating resource",
}


def counts() -> Counter[str]:
    found: Counter[str] = Counter()
    for table in ROOT.glob("*/expected.json"):
        for row in json.loads(table.read_text(encoding="utf-8")):
            found[f"{table.parent.name}/{row['file']}"] += 1
    return found


def lobid_note(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    start = text.find("<leader>")
    leader = text[start + 8 : start + 32] if start >= 0 else ""
    kind = LEADER_NOTES.get(leader[7:8], "?") if leader else "?"
    return f"Leader {leader[5:8]!r}: {kind}" + ("" if leader[7:8] in "ab" else " (skipped)")


def main() -> None:
    records = counts()
    rows = []
    for dest, repo, path, licence in FILES:
        commit = subprocess.run(
            ["git", "-C", str(git_dir(repo)), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()[:10]
        rows.append((dest, repo, commit, path, licence))
    rows.extend(SHARED)
    lobid = sorted((ROOT / "marcxml" / "lobid").glob("*.xml"))
    commit = subprocess.run(
        ["git", "-C", str(git_dir(LOBID)), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()[:10]
    for path in lobid:
        rows.append(
            (
                f"marcxml/lobid/{path.name}",
                LOBID,
                commit,
                f"src/test/resources/alma-fix/{path.name}",
                "EPL-2.0 (repository); hbz catalogue data published as CC0 (not verified here)",
            )
        )
    print(
        "| file | origin repository | commit | path in repository | licence | records | what is hard in it |"
    )
    print("|---|---|---|---|---|---|---|")
    for dest, repo, commit, path, licence in sorted(rows):
        key = dest.replace("marcxml/lobid/", "marcxml/")
        note = NOTES.get(dest) or (lobid_note(ROOT / dest) if "/lobid/" in dest else "")
        if dest.startswith("marcxml/jabref_"):
            note = "SRU page with unbound `zs:` prefix: not well-formed XML (rejected)"
        print(
            f"| {dest} | {repo} | {commit} | {path} | {licence} | {records.get(key, 0)} | {note} |"
        )


if __name__ == "__main__":
    main()
