"""Print, as JSON, what the XML readers make of every real XML test file and of every
broken variant in `xml_cases`: run by `test_lxml_versions.py` in a subprocess under
another lxml, to compare with the lxml of the test run.

    python tests/helpers/xml_digest.py [SHARED_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.xml_cases import CASES, DATA, FORMATS, digest, read, split
from publisher.readers.registry import read_file

XML_FOLDERS = ("pubmed", "marc", "oai")


def real_files(shared: Path | None) -> list[Path]:
    roots = [DATA] + ([shared / "samples"] if shared and shared.is_dir() else [])
    return sorted(
        path for root in roots for folder in XML_FOLDERS for path in (root / folder).glob("*.xml")
    )


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    result: dict[str, object] = {
        "lxml": ".".join(map(str, etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        "files": {
            path.name: [digest(item) for item in read_file(path)] for path in real_files(shared)
        },
        "cases": {
            f"{name}: {case}": [digest(item) for item in read(fmt, build(fmt, split(fmt)))]
            for name, fmt in FORMATS.items()
            for case, build in CASES.items()
        },
    }
    json.dump(result, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
