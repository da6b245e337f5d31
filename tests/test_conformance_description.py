"""Issue 3, validation results as data: the dataset's published description carries its
conformance, records accepted / rejected in all, per source format and per shape."""

from __future__ import annotations

from pathlib import Path

from conftest import BASE, EXAMPLES, SEED, run_cli

from publisher.mapping.vocab import PUB
from publisher.store.oxigraph import OxigraphStore

PREFIXES = f"PREFIX pub: <{PUB}>\n"
GRAPH = f"<{BASE}graph/conformance>"
DATASET = f"<{BASE}dataset>"


def _rows(store_dir: Path, query: str) -> list[tuple[str, ...]]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        return sorted(tuple(t.value for t in row) for row in store.query(PREFIXES + query))  # type: ignore[union-attr]
    finally:
        store.close()


def test_accepted_and_rejected_per_format_and_per_shape(tmp_path: Path) -> None:
    broken = tmp_path / "bad_doi.txt"  # the seed with a space in its DOI: one SHACL violation
    broken.write_text(
        SEED.read_text(encoding="utf-8").replace("DOI:10.3389/fonc.2021.699946", "DOI:10.3389 fonc")
    )
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(EXAMPLES), str(broken))
    assert result.returncode == 1
    assert "published: 6, skipped: 0 (not articles), rejected: 1 (invalid)" in result.stdout
    totals = f"""SELECT ?accepted ?rejected WHERE {{ GRAPH {GRAPH} {{
        {DATASET} pub:acceptedRecords ?accepted ; pub:rejectedRecords ?rejected }} }}"""
    assert _rows(store, totals) == [("6", "1")]
    per_format = f"""SELECT ?format ?accepted ?rejected WHERE {{ GRAPH {GRAPH} {{
        {DATASET} pub:conformance [ pub:sourceFormat ?format ;
            pub:acceptedRecords ?accepted ; pub:rejectedRecords ?rejected ] }} }}"""
    assert _rows(store, per_format) == [("vufind-text", "6", "1")]
    per_shape = f"""SELECT ?shape ?rejected WHERE {{ GRAPH {GRAPH} {{
        {DATASET} pub:violatedShape [ pub:shape ?shape ; pub:rejectedRecords ?rejected ] }} }}"""
    # the bad DOI breaks the PropertyValue's value form, and so the article's sh:node
    # on its identifiers (shapes/publisher.ttl: shp:Article-identifier)
    assert _rows(store, per_shape) == [
        ("shp:Article-identifier", "1"),
        ("shp:PropertyValue-valueForm", "1"),
    ]
