"""Huge inputs: each is refused or handled within limits, with a clear message.

- a generated 1 GB record file (RIS, PubMed XML, ClinicalTrials.gov JSON): read as a
  stream, in bounded memory (peak RSS of a process that reads it all);
- a 10 MB single field (text, XML and JSON formats): the record is refused naming the
  field, the file's other records are published, the exit code says so;
- a query of 1 MB: 413 (POST) or the HTTP server's 400 (GET), never a 5xx;
- an Accept header of 10,000 alternatives: answered at once, 406 saying that only the
  first 100 are read, or the representation asked for among them.

The gigabyte and 10 MB cases run in the dedicated run only (`PUBLISHER_FUZZ=dedicated`);
the HTTP cases and the limit's unit test run in the normal suite too (they are quick).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from conftest import LiveServer, run_cli
from fuzzing import DEDICATED

from publisher.model import ReadError, Record
from publisher.readers.limits import MAX_FIELD_CHARS
from publisher.readers.registry import read_file

dedicated = pytest.mark.skipif(
    not DEDICATED, reason="huge inputs run in the dedicated run: PUBLISHER_FUZZ=dedicated"
)
GIGABYTE = 1 << 30
TEN_MB = 10 * 1024 * 1024
RECORD_TEXT = 100_000  # characters of abstract per generated record: ~10,000 records a GB
PEAK_RSS_LIMIT_MB = 400  # an interpreter with every reader loaded is ~100 MB
WORDS = ["asthma", "budesonide", "formoterol", "randomised", "trial", "patients", "outcome"]


def abstract(i: int, size: int = RECORD_TEXT) -> str:
    """Text that differs per record, built cheaply (no random module in the loop)."""
    words = [WORDS[(i + k * 7) % len(WORDS)] for k in range(size // 9)]
    return f"Record {i}: " + " ".join(words)


def ris(i: int, text: str) -> str:
    return (
        f"TY  - JOUR\nTI  - Generated record {i}\nAU  - Doe, Jane\nJO  - Journal of Tests\n"
        f"PY  - 2020\nDO  - 10.5555/gen.{i}\nAB  - {text}\nER  - \n\n"
    )


def pubmed(i: int, text: str) -> str:
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{1_000_000 + i}</PMID><Article PubModel="Print"><Journal>'
        '<ISSN IssnType="Print">0028-4793</ISSN><JournalIssue CitedMedium="Internet">'
        "<Volume>1</Volume><PubDate><Year>2020</Year></PubDate></JournalIssue>"
        f"<Title>Journal of Tests</Title></Journal><ArticleTitle>Generated record {i}"
        f"</ArticleTitle><Abstract><AbstractText>{text}</AbstractText></Abstract>"
        "<AuthorList><Author><LastName>Doe</LastName><ForeName>Jane</ForeName></Author>"
        "</AuthorList></Article></MedlineCitation></PubmedArticle>\n"
    )


def ctgov(i: int, text: str) -> str:
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": f"NCT{i:08d}", "briefTitle": f"Generated {i}"},
            "descriptionModule": {"briefSummary": text},
        }
    }
    return ("," if i else "") + json.dumps(study) + "\n"


# format -> (file name, head, one record, tail)
FORMATS: dict[str, tuple[str, str, Callable[[int, str], str], str]] = {
    "ris": ("records.ris", "", ris, ""),
    "pubmed-xml": (
        "records.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n',
        pubmed,
        "</PubmedArticleSet>\n",
    ),
    "ctgov-json": ("records.json", '{"studies": [\n', ctgov, "]}\n"),
}


def write_records(path: Path, name: str, size: int) -> int:
    """A file of `name` records of about `size` bytes in all; how many records."""
    _, head, record, tail = FORMATS[name]
    count = written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        while written < size:
            chunk = record(count, abstract(count))
            out.write(chunk)
            written += len(chunk)
            count += 1
        out.write(tail)
    return count


READ_ALL = """
import json, resource, sys, time
from pathlib import Path
from publisher.model import ReadError
from publisher.readers.registry import read_file
started = time.monotonic()
counts = {"records": 0, "errors": 0, "notices": 0}
for item in read_file(Path(sys.argv[1])):
    kind = "errors" if isinstance(item, ReadError) else (
        "records" if hasattr(item, "source") and not hasattr(item, "message") else "notices")
    counts[kind] += 1
counts["seconds"] = round(time.monotonic() - started, 1)
counts["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps(counts))
"""


@dedicated
@pytest.mark.parametrize("name", list(FORMATS))
def test_gigabyte_file_is_read_as_a_stream(name: str, tmp_path: Path) -> None:
    """Every record of a 1 GB file comes out, and the reading process never holds
    more than a few records: its peak memory stays far below the file's size."""
    path = tmp_path / FORMATS[name][0]
    count = write_records(path, name, GIGABYTE)
    assert path.stat().st_size >= GIGABYTE
    result = subprocess.run(
        [sys.executable, "-c", READ_ALL, str(path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    print(json.dumps({"huge": f"1 GB {name}", "generated": count, **figures}))
    assert figures["records"] == count and figures["errors"] == 0, figures
    assert figures["peak_rss_mb"] < PEAK_RSS_LIMIT_MB, figures


def test_a_field_over_the_limit_is_refused_by_name(tmp_path: Path) -> None:
    """The limit itself, quickly: one character over refuses the record, naming the
    field; the records around it are read."""
    path = tmp_path / "records.ris"
    path.write_text(
        ris(0, "short") + ris(1, "x" * (MAX_FIELD_CHARS + 1)) + ris(2, "x" * MAX_FIELD_CHARS)
    )
    items = list(read_file(path))
    assert [type(item) for item in items] == [Record, ReadError, Record]
    error = items[1]
    assert isinstance(error, ReadError)
    assert error.field == "abstract"
    assert error.source.position == 2
    assert error.message == (
        f"abstract is {MAX_FIELD_CHARS + 1:,} characters long, over the limit of "
        f"{MAX_FIELD_CHARS:,} for one field; the record is not published"
    )


@pytest.fixture
def ten_mb_files(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Per format, a file of three records whose second has a 10 MB abstract."""
    files = {}
    for name, (file_name, head, record, tail) in FORMATS.items():
        body = record(0, abstract(0, 1000)) + record(1, "y" * TEN_MB)
        body += record(2, abstract(2, 1000))
        files[name] = tmp_path / file_name
        files[name].write_text(head + body + tail, encoding="utf-8")
    yield files


@dedicated
@pytest.mark.parametrize("name", list(FORMATS))
def test_ten_megabyte_field_is_refused_and_the_rest_published(
    name: str, ten_mb_files: dict[str, Path], tmp_path: Path
) -> None:
    """Through the real command line: the record is rejected with a message naming
    the file, the record and the field (or, in XML, libxml2's limit on one text),
    the exit code is not 0, and the other records are published."""
    path = ten_mb_files[name]
    store = tmp_path / "store"
    started = time.monotonic()
    result = run_cli("ingest", "--store", str(store), str(path))
    output = result.stdout + result.stderr
    print(json.dumps({"huge": f"10 MB field, {name}", "seconds": time.monotonic() - started}))
    assert result.returncode != 0, output
    assert f"rejected {path} record 2" in output, output
    if name == "pubmed-xml":
        # libxml2 stops at a text over 10,000,000 bytes: what follows is not read.
        assert "XML over a size limit" in output and "10,000,000 bytes" in output, output
        assert "published: 1, skipped: 0 (not articles), rejected: 1 (invalid)" in output, output
    else:
        field = "abstract" if name == "ris" else "summary"
        assert f"{field} is {TEN_MB:,} characters long, over the limit" in output, output
        assert "published: 2, skipped: 0 (not articles), rejected: 1 (invalid)" in output, output


def raw_get(url: str, target: str, headers: str = "") -> tuple[bytes, float]:
    """One request over a plain socket (httpx refuses to send a 1 MB URL): the status
    line and how long the answer took."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n"
        sock.sendall(request.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer, time.monotonic() - started


MEGABYTE_QUERY = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * (1 << 20)


def test_megabyte_query_posted_is_refused_with_413(live_server: LiveServer) -> None:
    for kind, body in (
        ("application/x-www-form-urlencoded", "query=" + quote(MEGABYTE_QUERY)),
        ("application/sparql-query", MEGABYTE_QUERY),
    ):
        response = httpx.post(
            live_server.url + "/sparql", content=body, headers={"Content-Type": kind}, timeout=30
        )
        assert response.status_code == 413, response.text
        assert response.text == "the request body is over 262144 bytes\n"


def test_megabyte_query_in_the_url_is_refused_by_the_http_server(
    live_server: LiveServer,
) -> None:
    """uvicorn (httptools) takes request targets up to about 64 KiB; a 1 MB one is
    refused before the application sees it: a 400, at once, not a 5xx or a hang."""
    answer, seconds = raw_get(live_server.url, "/sparql?query=" + quote(MEGABYTE_QUERY))
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"Invalid HTTP request received." in answer
    assert seconds < 20  # at once, not a hang (the socket waits 30 s for each read)


ALTERNATIVES = ", ".join(f"application/x-nothing-{i};q=0.{i % 9 + 1}" for i in range(10_000))


@pytest.mark.parametrize("path", ["/dataset", "/sparql?query=ASK%7B%7D", "/articles"])
def test_ten_thousand_accept_alternatives(live_server: LiveServer, path: str) -> None:
    """Only the first 100 alternatives are read (publisher.web.conneg); the 406 says
    so, and quotes the start of the header, not all 300 KB of it."""
    answer, seconds = raw_get(
        live_server.url, path, f"Accept: {ALTERNATIVES}, text/turtle;q=0.1\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 406 "), head
    assert b"... (10,001 alternatives; only the first 100 are read); available: " in body
    assert len(body) < 1000
    assert seconds < 20  # at once, not a hang (the socket waits 30 s for each read)


def test_wanted_type_among_many_alternatives_is_served(live_server: LiveServer) -> None:
    answer, seconds = raw_get(
        live_server.url, "/dataset", f"Accept: text/turtle, {ALTERNATIVES}\r\n"
    )
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200 "), head
    assert b"content-type: text/turtle" in head
    assert seconds < 20  # at once, not a hang (the socket waits 30 s for each read)
