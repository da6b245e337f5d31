"""A tiny run of bench/scale.py, so it keeps working (not a timing test).

Two spreads of 60 records in 2 files each, ingested with the real CLI, dumped and
bulk-loaded; checks that every number is in the JSON and the PNG is written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_scale_smoke(tmp_path: Path) -> None:
    numbers, picture = tmp_path / "scale.json", tmp_path / "scale.png"
    result = subprocess.run(
        [
            sys.executable, str(REPO / "bench" / "scale.py"), "--records", "60", "--files", "2",
            "--spread", "20", "--spread", "20:zipf=1", "--work", str(tmp_path / "work"),
            "--json", str(numbers), "--plot", str(picture),
        ],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    found = json.loads(numbers.read_text())
    assert found["machine"]["cpus"] >= 1 and found["records"] == 60
    assert [s["spread"] for s in found["spreads"]] == ["20 journals", "20 journals, Zipf s=1"]
    for spread in found["spreads"]:
        assert [f["stored_after"] for f in spread["files"]] == [30, 60]
        for row in spread["files"]:
            assert row["records_per_s"] > 0 and row["cpu_s"] > 0 and row["peak_rss_mib"] > 0
            assert row["store_mib"] > 0 and row["accepted"] > 0
        assert spread["baseline"]["quads"] > 0
        loaders = ["bulk_load"] + (
            ["oxigraph_load"] if "oxigraph_load" in spread["baseline"] else []
        )
        for loader in loaders:
            assert spread["baseline"][loader]["records_per_s"] > 0
            assert spread["baseline"][loader]["store_mib"] > 0
            assert spread["ratios"][f"ingest_over_{loader}"] > 0
            assert spread["ratios"][f"store_size_over_{loader}"] > 0
        assert spread["ratios"]["last_over_first"] > 0
    assert "| 1. last file / first file records/s |" in result.stdout
    assert not (tmp_path / "work" / "j20").exists()  # big data removed unless --keep
