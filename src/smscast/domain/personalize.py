"""Personalization (``[~label]`` placeholders), fallback values and sender id rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

_PLACEHOLDER: Final = re.compile(r"\[~([^\[\]]+?)\]")
_ALPHANUMERIC_SENDER: Final = re.compile(r"[A-Za-z0-9 ]{1,11}")
_NUMERIC_SENDER: Final = re.compile(r"\+?[0-9]{1,16}")


def placeholders(template: str) -> tuple[str, ...]:
    """Labels used by ``template``, distinct, in order of first use."""
    return tuple(dict.fromkeys(m.group(1).strip() for m in _PLACEHOLDER.finditer(template)))


def has_placeholders(template: str) -> bool:
    return _PLACEHOLDER.search(template) is not None


def render(template: str, values: Mapping[str, str | None], fallbacks: Mapping[str, str]) -> str:
    """Each ``[~label]`` replaced by the contact's value, else the fallback, else nothing."""

    def substitute(match: re.Match[str]) -> str:
        label = match.group(1).strip()
        value = values.get(label)
        if value is None or value == "":
            return fallbacks.get(label, "")
        return value

    return _PLACEHOLDER.sub(substitute, template)


def fallback_values(raw: object) -> dict[str, str]:
    """``fallbackValues`` as clients send it: ``{label: value}`` or ``[{name, value}]``.

    Raises ValueError for any other shape.
    """
    if raw is None:
        return {}
    pairs: Iterable[tuple[object, object]]
    if isinstance(raw, Mapping):
        pairs = raw.items()
    elif isinstance(raw, list):
        collected: list[tuple[object, object]] = []
        for item in raw:
            if not isinstance(item, Mapping) or "name" not in item:
                raise ValueError("each fallback value must be {name, value}")
            collected.append((item["name"], item.get("value")))
        pairs = collected
    else:
        raise ValueError("fallbackValues must be an object or a list of {name, value}")
    result: dict[str, str] = {}
    for name, value in pairs:
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a fallback value needs a label name")
        if value is not None and not isinstance(value, (str, int, float)):
            raise ValueError(f"the fallback value of {name!r} must be text")
        result[name.strip()] = "" if value is None else str(value)
    return result


def valid_sender(sender: str) -> bool:
    """1-11 letters, digits or spaces (alphanumeric), or up to 16 digits with an optional '+'.

    An alphanumeric sender must contain at least one non-space character.
    """
    if _NUMERIC_SENDER.fullmatch(sender):
        return True
    return bool(_ALPHANUMERIC_SENDER.fullmatch(sender)) and bool(sender.strip())


def sender_is_alphanumeric(sender: str) -> bool:
    """True when the sender is a name rather than a number (SMPP TON 5 vs international)."""
    return not _NUMERIC_SENDER.fullmatch(sender)
