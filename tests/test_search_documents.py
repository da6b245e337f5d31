"""The search entry built from a record's triples in hand (`document_from`, what ingest
uses when a resource has one source) against the SPARQL query over the stored graph
(`Recorder.document`, what it uses otherwise): the same entry for every record of the
test corpus (tests/data, the bundled examples, ../shared/samples when present).
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode
from test_fast_validation import BASE, CORPUS, SHARED_SAMPLES

from publisher.harvest.recorder import Recorder, document_from
from publisher.harvest.sidecar import Sidecar
from publisher.mapping.records import RecordMapper
from publisher.model import ReadError, ReadNotice, Skipped
from publisher.pipeline import expand_paths
from publisher.readers.registry import read_file
from publisher.store.oxigraph import OxigraphStore


def test_document_from_triples_is_the_stored_graphs_document(tmp_path: Path) -> None:
    mapper = RecordMapper(BASE)
    store = OxigraphStore(None)
    sidecar = Sidecar(tmp_path / "index.sqlite")
    recorder = Recorder(sidecar, store, BASE)
    folders = [*CORPUS, SHARED_SAMPLES] if SHARED_SAMPLES.is_dir() else CORPUS
    compared = with_authors = with_journal = with_subjects = 0
    for path in expand_paths(folders):
        for index, item in enumerate(read_file(path)):
            if isinstance(item, ReadError | ReadNotice | Skipped):
                continue
            mapped = mapper.map(item, f"corpus/{path.name}/{index}")
            graph = NamedNode(f"{BASE}graph/corpus/{compared}")
            store.replace_graph(graph, mapped.triples)
            sidecar.graph_stored(graph.value, mapped.article.value, mapped.triples, BASE)
            expected = recorder.document(mapped.article.value)
            found = document_from(mapped.triples, mapped.article.value)
            assert found == expected, f"{path} record {index}"
            compared += 1
            with_authors += bool(expected.authors)
            with_journal += bool(expected.journal)
            with_subjects += bool(expected.subjects)
    # The corpus exercises every field, trials (sponsors, conditions) included.
    if SHARED_SAMPLES.is_dir():  # the corpus' size (in-repo data alone: a few dozen)
        assert compared >= 100 and with_authors >= 50 and with_journal >= 50 and with_subjects >= 20
