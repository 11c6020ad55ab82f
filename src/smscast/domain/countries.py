"""Countries for the quiet-hours list: each region phonenumbers dials, its name in English and in
a language asked for, and whether quiet hours can be honoured for its mobile numbers."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import phonenumbers

from smscast.domain import quiet_hours


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    """ISO 3166-1 alpha-2 region."""
    name: str
    """In English."""
    locale_name: str
    """In the language asked for; the English name when that language has none."""
    supported: bool
    """Whether quiet hours can be honoured exactly: the zones of its mobile numbers are known and
    always leave a time outside the default windows in all of them (quiet_hours.supported)."""


# Regions phonenumbers dials that its locale table (Java 8's ISO 3166 list) has no entry for.
_MISSING_NAMES: Final = {"AC": "Ascension Island", "TA": "Tristan da Cunha", "XK": "Kosovo"}
_SUBTAG: Final = re.compile(r"[-_]")


def countries(language: str) -> tuple[Country, ...]:
    """Every region phonenumbers dials, sorted by English name, named in ``language`` (a BCP 47
    or POSIX tag; only its primary language counts, any case). An unknown tag gives English."""
    wanted = _primary_language(language)
    return tuple(
        Country(english.code, english.name, names.get(wanted, english.name), english.supported)
        for english, names in _table()
    )


def _primary_language(tag: str) -> str:
    # "el-GR", "el_GR" and "EL" all mean Greek; phonenumbers names countries per language only.
    return _SUBTAG.split(tag.strip(), maxsplit=1)[0].lower()


@cache
def _table() -> tuple[tuple[Country, Mapping[str, str]], ...]:
    """Each region in English, with its names in the languages where they differ; built once."""
    locale = _locale_data()
    rows: list[tuple[Country, Mapping[str, str]]] = []
    # phonenumbers' own source of SUPPORTED_REGIONS.
    for regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.values():
        for code in regions:
            if code != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
                rows.append(_row(code, locale.get(code, {})))
    rows.sort(key=lambda row: (_sort_key(row[0].name), row[0].code))
    return tuple(rows)


def _row(code: str, names: Mapping[str, str]) -> tuple[Country, Mapping[str, str]]:
    english = _name_in(names, "en") or _MISSING_NAMES.get(code, code)
    others = {
        language: name
        for language in names
        if (name := _name_in(names, language)) and name != english
    }
    return Country(code, english, english, quiet_hours.supported(code)), others


def _name_in(names: Mapping[str, str], language: str) -> str:
    name = names.get(language, "")
    if name.startswith("*"):
        # "*xx": the same name as in language xx, as phonenumbers' own geocoder reads it.
        name = names.get(name[1:], "")
    # One entry (Samoa in "zh") points at itself: a name still starting with "*" is no name.
    return "" if name.startswith("*") else name


def _sort_key(name: str) -> str:
    # Accents folded: "Åland Islands" sorts among the A's, not after "Zimbabwe".
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _locale_data() -> dict[str, dict[str, str]]:
    """phonenumbers' ``geodata.locale.LOCALE_DATA``: region -> language -> name.

    Importing that module runs ``phonenumbers.geodata/__init__`` first, which loads the whole
    geocoding table: about 100 MB and 0.3 s for names this list never uses. Loaded from its own
    file, the locale table alone costs about 4 MB and 5 ms. It keeps its real name so that its
    relative import resolves, and stays out of ``sys.modules`` so no half package is left there.
    """
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    # Always there for a path ending in .py; the types allow None.
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: dict[str, dict[str, str]] = module.LOCALE_DATA
    return data
