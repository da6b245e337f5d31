"""What every reader is: a name, a content sniffer and a record iterator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Protocol

from publisher.model import AnyRecord, ReadError, ReadNotice, SourceRef

ReadItem = AnyRecord | ReadError | ReadNotice


class Reader(Protocol):
    """One input format. Readers see bytes and a file name, never HTTP or RDF.

    `read` gets a binary stream positioned at the start (already decompressed) so that
    large files can be streamed record by record in bounded memory.
    """

    name: str
    description: str

    def sniff(self, head: bytes) -> bool:
        """True when the first bytes of a file (up to 64 KiB) look like this format."""
        ...

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        """Every record of the file, in order; a bad record is a ReadError, not an exception."""
        ...


def decode_text(data: bytes, path: str, format_name: str) -> str | ReadError:
    """Decode a text format, or explain why the bytes are not text."""
    where = SourceRef(path, 1, format=format_name)
    if b"\x00" in data:
        return ReadError(where, "the file is binary (it contains NUL bytes), not a text record")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return ReadError(where, f"the file is not UTF-8 text (bad byte at offset {error.start})")
