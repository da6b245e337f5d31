"""Every XML reader recovers the same way from broken input: the records that ended
before the damage are published, the damage is one error at the next record, classified
without reading libxml2's words (which changed in libxml2 2.14). The cases are real test
files with one thing broken (`helpers/xml_cases.py`); `test_lxml_versions.py` runs this
module again under the oldest and the newest lxml that pyproject.toml allows."""

from __future__ import annotations

import pytest
from helpers.xml_cases import CASES, EXPECTED, FORMATS, XmlFormat, digest, read, split

from publisher.model import ReadError


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_records_before_the_damage_stand_and_the_damage_is_one_error(
    fmt: XmlFormat, case: str
) -> None:
    parts = split(fmt)
    whole = read(fmt, parts.join(*parts.records))
    items = read(fmt, CASES[case](fmt, parts))
    before, kind = EXPECTED[case]
    if before is None:
        assert [digest(i) for i in items] == [digest(i) for i in whole]
        return
    before = len(whole) if before == -1 else before
    # The records before the damage are read exactly as from the intact file ...
    assert [digest(i) for i in items[:before]] == [digest(i) for i in whole[:before]]
    # ... then one error, at the next record, and nothing after it.
    assert len(items) == before + 1, items
    error = items[-1]
    assert isinstance(error, ReadError), error
    assert error.source.position == before + 1
    assert f"the file is {kind} XML" in error.message or (
        kind == "over a size limit" and "XML over a size limit" in error.message
    ), error.message
    if before:
        assert f"after record {before}" in error.message
