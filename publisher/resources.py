"""Locating the shapes and ontology files, in a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """`data_path("shapes", "publisher.ttl")`: the wheel's copy, else the checkout's."""
    for root in (_PACKAGE / "_data", _PACKAGE.parent):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError("/".join(parts))


def examples_dir() -> Path:
    """The example records shipped with the package (the seed and a few more pages)."""
    return _PACKAGE / "examples" / "records"
