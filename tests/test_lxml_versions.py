"""The XML readers give the same records and the same errors under the oldest and the
newest lxml that pyproject.toml allows (pip gives a fresh install the newest; lxml 6.2 /
libxml2 2.14 once lost the record before a broken one). Each version is installed with
pip into a folder of its own and put first on PYTHONPATH of a subprocess, which then
runs the XML recovery and reader tests and prints what the readers make of every XML
test file and broken variant (`helpers/xml_digest.py`); the two must be identical but
for libxml2's own words in error messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, SHARED

XML_TESTS = [
    "tests/test_xml_recovery.py",
    "tests/test_reader_pubmed.py",
    "tests/test_reader_marc.py",
    "tests/test_reader_oai_pmh.py",
]


def allowed_lxml() -> tuple[str, str]:
    """(oldest, newest) as pip requirements, from pyproject.toml's `lxml>=A,<B`."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (spec,) = [d for d in project["project"]["dependencies"] if d.startswith("lxml")]
    match = re.fullmatch(r"lxml>=([\d.]+),<([\d.]+)", spec.replace(" ", ""))
    assert match, f"lxml's range {spec!r} is not of the form lxml>=A,<B"
    return f"lxml=={match[1]}", spec


def _unavailable(why: str) -> None:
    """Skip, saying why; in CI the versions must be tested, so fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def lxml_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    builds = {}
    for which, requirement in zip(("oldest", "newest"), allowed_lxml(), strict=True):
        target = tmp_path_factory.mktemp(f"lxml-{which}")
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary",
               ":all:", "--target", str(target), requirement]  # fmt: skip
        done = subprocess.run(pip, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            _unavailable(f"pip could not install {requirement}: {done.stderr[-400:]}")
        builds[which] = target
    return builds


def _env(target: Path) -> dict[str, str]:
    path = os.pathsep.join([str(target), str(REPO / "tests")])
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def _digest(target: Path) -> dict[str, object]:
    script = REPO / "tests" / "helpers" / "xml_digest.py"
    done = subprocess.run(
        [sys.executable, str(script), str(SHARED)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(target),
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_oldest_and_newest_lxml_read_every_xml_file_alike(lxml_builds: dict[str, Path]) -> None:
    oldest, newest = _digest(lxml_builds["oldest"]), _digest(lxml_builds["newest"])
    wanted = allowed_lxml()[0].removeprefix("lxml==")
    assert str(oldest["lxml"]).startswith(wanted), oldest["lxml"]  # the install was used
    assert oldest["lxml"] != newest["lxml"], "the range allows one lxml only: nothing compared"
    for key in ("files", "cases"):
        assert oldest[key] == newest[key], f"{key} differ: {oldest['lxml']} vs {newest['lxml']}"
    assert oldest["cases"] and oldest["files"]


@pytest.mark.parametrize("which", ["oldest", "newest"])
def test_xml_tests_pass_under(which: str, lxml_builds: dict[str, Path]) -> None:
    check = "from lxml import etree; print(etree.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=_env(lxml_builds[which])
    ).stdout
    assert where.startswith(str(lxml_builds[which])), where  # that lxml, not the venv's
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *XML_TESTS]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, env=_env(lxml_builds[which]), cwd=REPO
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
