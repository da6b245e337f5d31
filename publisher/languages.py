"""Language codes and names as sources write them -> BCP 47 tags."""

from __future__ import annotations

import re

# ISO 639-2 (bibliographic and terminology codes) and English/German names -> ISO 639-1.
_LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("eng", "english", "englisch"),
    "de": ("ger", "deu", "german", "deutsch"),
    "fr": ("fre", "fra", "french", "französisch"),
    "es": ("spa", "spanish", "spanisch"),
    "it": ("ita", "italian", "italienisch"),
    "pt": ("por", "portuguese", "portugiesisch"),
    "nl": ("dut", "nld", "dutch", "niederländisch"),
    "ru": ("rus", "russian", "russisch"),
    "zh": ("chi", "zho", "chinese", "chinesisch"),
    "ja": ("jpn", "japanese", "japanisch"),
    "ko": ("kor", "korean", "koreanisch"),
    "pl": ("pol", "polish", "polnisch"),
    "sv": ("swe", "swedish", "schwedisch"),
    "da": ("dan", "danish", "dänisch"),
    "no": ("nor", "norwegian", "norwegisch"),
    "fi": ("fin", "finnish", "finnisch"),
    "cs": ("cze", "ces", "czech", "tschechisch"),
    "hu": ("hun", "hungarian", "ungarisch"),
    "tr": ("tur", "turkish", "türkisch"),
    "el": ("gre", "ell", "greek", "griechisch"),
    "la": ("lat", "latin", "latein"),
    "ar": ("ara", "arabic", "arabisch"),
    "he": ("heb", "hebrew", "hebräisch"),
    "fa": ("per", "fas", "persian", "persisch"),
    "hr": ("hrv", "croatian", "kroatisch"),
    "uk": ("ukr", "ukrainian", "ukrainisch"),
}
_LOOKUP = {alias: tag for tag, aliases in _LANGUAGES.items() for alias in (tag, *aliases)}


def to_bcp47(value: str) -> str | None:
    """`eng` / `English` / `en` -> `en`; None for what we do not recognise.

    Unrecognised three-letter ISO 639-2 codes are themselves valid BCP 47 tags
    (BCP 47 uses 639-2 where 639-1 has no code), so they pass through lower-cased.
    """
    key = value.strip().lower()
    if key in _LOOKUP:
        return _LOOKUP[key]
    if len(key) == 3 and key.isascii() and key.isalpha() and key not in {"und", "zxx", "mul"}:
        return key
    return None


_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


def to_language_tag(value: str) -> str | None:
    """Like `to_bcp47`, and also a tag with subtags (`en-US`, `pt_BR`): its primary
    language is normalised (`eng-GB` -> `en-GB`), well-formed subtags are kept."""
    if (tag := to_bcp47(value)) is not None:
        return tag
    primary, *rest = re.split(r"[-_]", value.strip())
    base = to_bcp47(primary)
    if base is None or not rest or not all(_SUBTAG.match(part) for part in rest):
        return None
    return "-".join([base, *rest])
