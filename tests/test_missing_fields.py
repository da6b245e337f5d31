"""Issue 3, bad input: in every text and JSON format, a record missing its required
field (the title: the one property every article shape requires, `schema:name`) is
rejected with its file, position and the field named, and the good records on either
side of it are published all the same.

PubMed, OAI-PMH, MARC and ClinicalTrials.gov have the same check in their own reader
tests; these are the formats whose tests only checked a lone record or the reader alone.
Each file is written here, by hand: three records, the middle one without a title
(VuFind pages have no other way to start a record than their title line, so there the
untitled page is the first one).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, run_cli

from publisher.store.oxigraph import OxigraphStore

RIS = """TY  - JOUR
TI  - First good article
T2  - Journal of Examples
DO  - 10.1234/one
ER  -

TY  - JOUR
T2  - Journal of Examples
DO  - 10.1234/two
ER  -

TY  - JOUR
TI  - Third good article
T2  - Journal of Examples
DO  - 10.1234/three
ER  -
""".replace("ER  -\n", "ER  - \n")  # RIS end lines end in "- "

BIBTEX = """@article{one, title = {First good article}, journal = {Journal of Examples},
  doi = {10.1234/one}}
@article{two, journal = {Journal of Examples}, doi = {10.1234/two}}
@article{three, title = {Third good article}, journal = {Journal of Examples},
  doi = {10.1234/three}}
"""

WOS = """FN Clarivate Analytics Web of Science
VR 1.0
PT J
TI First good article
SO JOURNAL OF EXAMPLES
DI 10.1234/one
ER

PT J
SO JOURNAL OF EXAMPLES
DI 10.1234/two
ER

PT J
TI Third good article
SO JOURNAL OF EXAMPLES
DI 10.1234/three
ER

EF
"""

VUFIND = """Bibliographic Details
Published in:Journal of Examples 2020
Format: Article
DOI:10.1234/one

Second good article

Bibliographic Details
Published in:Journal of Examples 2020
Format: Article
DOI:10.1234/two

Third good article

Bibliographic Details
Published in:Journal of Examples 2020
Format: Article
DOI:10.1234/three
"""


def _csl() -> str:
    items = [
        {"id": "one", "type": "article-journal", "title": "First good article",
         "container-title": "Journal of Examples", "DOI": "10.1234/one"},
        {"id": "two", "type": "article-journal",
         "container-title": "Journal of Examples", "DOI": "10.1234/two"},
        {"id": "three", "type": "article-journal", "title": "Third good article",
         "container-title": "Journal of Examples", "DOI": "10.1234/three"},
    ]  # fmt: skip
    return json.dumps(items)


def _crossref() -> str:
    """Our own Crossref `/works` page with the chapter replaced by an untitled article."""
    page = json.loads((REPO / "tests" / "data" / "crossref" / "work_list.json").read_text())
    items = page["message"]["items"]
    items[1] = {**items[0], "DOI": "10.1234/two", "title": []}
    return json.dumps(page)


# format, file name, contents, where the untitled record is (position and the line it
# starts on, counted by hand), the field named (the source's own word where the reader
# catches it, else the SHACL path), the titles published
CASES = [
    ("ris", "three.ris", RIS, "record 2 (line 7)", "(field TI)",
     {"First good article", "Third good article"}),
    ("bibtex", "three.bib", BIBTEX, "record 2 (line 3)", "(field title)",
     {"First good article", "Third good article"}),
    ("wos", "three.txt", WOS, "record 2 (line 9)", "(field TI)",
     {"First good article", "Third good article"}),
    ("vufind-text", "three.txt", VUFIND, "record 1 (line 1)", "field schema:name",
     {"Second good article", "Third good article"}),
    ("csl-json", "three.json", _csl(), "record 2\n", "(field title)",
     {"First good article", "Third good article"}),
    ("crossref", "three.json", _crossref(), "record 2\n", "(field title)", {
        "Automated quantitative histology reveals vascular morphodynamics during"
        " Arabidopsis hypocotyl secondary growth",
        "Inhaled Combined Budesonide\u2013Formoterol as Needed in Mild Asthma",
    }),
]  # fmt: skip


def _titles(store_dir: Path) -> set[str]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        rows = store.query(
            "SELECT ?t WHERE { ?a a <https://schema.org/ScholarlyArticle> ;"
            " <https://schema.org/name> ?t }"
        )
        return {row[0].value for row in rows}  # type: ignore[union-attr]
    finally:
        store.close()


def _rejections(report: str, path: Path) -> list[str]:
    """Each rejection of `path`: its heading line and the reason lines under it."""
    found: list[str] = []
    for line in report.splitlines():
        if line.startswith(f"rejected {path} "):
            found.append(line)
        elif found and line.startswith("  - ") and found[-1].startswith(f"rejected {path} "):
            found[-1] += "\n" + line
    return found


def test_untitled_record_rejected_by_position_neighbours_published(tmp_path: Path) -> None:
    """One ingest of all six files (distinct DOIs and titles per format, so that nothing
    joins across files): six rejections, each named, and twelve articles published."""
    paths, expected = [], set()
    for fmt, name, text, _where, _field, titles in CASES:
        (tmp_path / fmt).mkdir()
        path = tmp_path / fmt / name
        own = text.replace("10.1234/", f"10.1234/{fmt}.").replace("good article", f"good {fmt}")
        path.write_text(own, encoding="utf-8")
        paths.append(path)
        expected |= {title.replace("good article", f"good {fmt}") for title in titles}
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), *map(str, paths))  # --format auto
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "published: 12, skipped: 0 (not articles), rejected: 6 (invalid)" in result.stdout, (
        report
    )
    assert "Traceback" not in report
    for path, (fmt, _name, _text, where, field, _shown) in zip(paths, CASES, strict=True):
        (rejection,) = _rejections(report, path)
        assert rejection.startswith(f"rejected {path} {where}"), (fmt, rejection)
        assert "no title" in rejection or "constraint MinCount" in rejection, (fmt, rejection)
        assert field in rejection, (fmt, rejection)
    assert _titles(store) == expected
