"""PubMed XML and ClinicalTrials.gov pages are read in bounded memory.

A child process reads a file generated on the fly (the real sample's record repeated
thousands of times, never held whole in memory) and reports its peak resident size;
lxml's and ijson's own allocations are not visible to tracemalloc, so the peak resident
size (VmHWM) is measured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, shared_path

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)"
)

PROBE = r"""
import sys
from publisher.readers.registry import READERS

reader, sample, start, end, head, sep, tail, count = sys.argv[1:]
data = open(sample, "rb").read()
record = data[data.index(start.encode()) : data.rindex(end.encode()) + len(end)]

class Generated:
    def __init__(self, n):
        parts = [head.encode()] + [record + sep.encode()] * (n - 1) + [record, tail.encode()]
        self.parts, self.buffer = iter(parts), b""
    def read(self, size=-1):
        size = 1 << 16 if size is None or size < 0 else size
        while len(self.buffer) < size:
            part = next(self.parts, None)
            if part is None:
                break
            self.buffer += part
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

kinds = {}
for item in READERS[reader].read(Generated(int(count)), "generated"):
    kinds[type(item).__name__] = kinds.get(type(item).__name__, 0) + 1
# VmHWM (peak RSS of this program); ru_maxrss would carry the forking parent's peak.
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(kinds, int(peak) // 1024)
"""


def _probe(*args: str) -> tuple[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    kinds, peak_mb = result.stdout.rsplit(" ", 1)
    return kinds, int(peak_mb)


def test_pubmed_set_of_3000_articles_in_bounded_memory() -> None:
    sample = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    # 3000 x 24 KB = 72 MB of XML; a tree kept whole would need several times that.
    kinds, peak_mb = _probe(
        "pubmed-xml", str(sample), "<PubmedArticle>", "</PubmedArticle>",
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n', "\n", "\n</PubmedArticleSet>\n", "3000",
    )  # fmt: skip
    assert kinds == "{'Record': 3000}"
    assert peak_mb < 70, f"peak resident memory {peak_mb} MB"


def test_ctgov_page_of_5000_studies_in_bounded_memory() -> None:
    sample = shared_path("samples", "ctgov", "get_nct02576665_20260811.json")
    # 5000 x 10 KB = 50 MB of JSON.
    kinds, peak_mb = _probe(
        "ctgov-json", str(sample), "{", "}",
        '{"studies": [', ",\n", '], "totalCount": 5000}', "5000",
    )  # fmt: skip
    assert kinds == "{'TrialRecord': 5000, 'ReadNotice': 1}"
    assert peak_mb < 70, f"peak resident memory {peak_mb} MB"
