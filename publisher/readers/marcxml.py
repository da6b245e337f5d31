"""MARCXML: a `<collection>` of `<record>`s, or one `<record>`, with or without the
MARC 21 slim namespace (hbz/lobid exports have a bare `<record>` root), or an SRU
`searchRetrieveResponse` whose records are MARCXML (OAI-PMH envelopes are the OAI-PMH
reader's).

Streamed with `lxml.etree.iterparse`, one `<record>` at a time, each freed once read;
each record becomes a `pymarc.Record` and is mapped by `marc_fields`. A `#` in the
leader (hbz writes blanks so) is read as a blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from publisher.model import ReadError, SourceRef
from publisher.readers.base import ReadItem
from publisher.readers.marc_fields import HostIndex, MarcDataError, marc_from_element, read_article
from publisher.readers.xmlstream import (
    BrokenXml,
    Element,
    XmlSource,
    iterparse,
    local_name,
    namespace,
    release,
    root_tag,
    syntax_error_item,
)

FORMAT_NAME = "marcxml"
MARC_NS = "http://www.loc.gov/MARC21/slim"
RECORD_TAGS = (f"{{{MARC_NS}}}record", "record")


class MarcXmlReader:
    name = FORMAT_NAME
    description = "MARCXML (MARC 21 slim, with or without its namespace)"

    def sniff(self, head: bytes) -> bool:
        root = root_tag(head)
        if root is not None and local_name(root) == "searchRetrieveResponse":
            return MARC_NS.encode() in head  # an SRU response with MARCXML records
        if root is None or local_name(root) not in ("collection", "record"):
            return False
        if namespace(root) == MARC_NS:
            return True
        return namespace(root) is None and b"<leader>" in head and b"tag=" in head

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        source = XmlSource(stream)
        hosts = HostIndex()
        seen: set[str] = set()
        position = 0
        try:
            for _event, element in iterparse(source, RECORD_TAGS):
                position += 1
                where = SourceRef(path, position, element.sourceline, FORMAT_NAME)
                yield read_element(element, where, hosts, seen)
                release(element)
        except BrokenXml as broken:
            yield syntax_error_item(broken, path, position, FORMAT_NAME)
            return
        if position == 0:
            yield ReadError(
                SourceRef(path, 1, format=FORMAT_NAME), "the file holds no MARC <record>"
            )


def read_element(
    element: Element, where: SourceRef, hosts: HostIndex | None, seen: set[str] | None = None
) -> ReadItem:
    """One MARCXML `<record>` element -> Record or ReadError (shared with OAI-PMH)."""
    try:
        marc = marc_from_element(element)
    except MarcDataError as error:
        return ReadError(where, f"the MARC record cannot be read: {error}", field=error.field)
    return read_article(marc, where, hosts, seen)
