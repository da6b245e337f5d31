"""Issue 2, project: the README's "Quick start" holds exactly two commands (serve the
examples, run the tests) in one fenced block, and `.ci/run` runs the second one."""

from __future__ import annotations

import re

from conftest import REPO


def _quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) == 1, "the Quick start section has one fenced code block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_has_exactly_the_serve_and_the_test_command() -> None:
    serve, tests = _quick_start_commands()
    assert serve.endswith(".venv/bin/publisher demo")  # demo: ingest the examples, serve
    assert tests.endswith(".venv/bin/python -m pytest")
    assert "pip install -e '.[test]'" in tests


def test_ci_runs_the_readme_test_command() -> None:
    _serve, tests = _quick_start_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == tests
