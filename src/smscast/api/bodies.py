"""Lenient readers for the body shapes real Routee clients send to list endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smscast.errors import ValidationFailed


def ids_from(body: Any, *, field: str = "contacts") -> list[str]:
    """Ids from ``["id", …]``, ``[{"id": …}, …]`` or ``{"contacts": ["id", …]}``."""
    if isinstance(body, Mapping):
        if field not in body:
            raise ValidationFailed(
                f"expected an array of ids or {{{field}: [ids]}}", properties={field: "required"}
            )
        body = body[field]
    return _strings(body, key="id", what="id")


def names_from(body: Any) -> list[str]:
    """Group names from ``["name", …]`` or ``[{"name": …}, …]``."""
    return _strings(body, key="name", what="name")


def _strings(body: Any, *, key: str, what: str) -> list[str]:
    """Non-empty strings from an array of strings or of objects carrying them under ``key``."""
    if not isinstance(body, list):
        raise ValidationFailed(f"expected an array of {what}s", properties={"body": "not an array"})
    found: list[str] = []
    for i, item in enumerate(body):
        if isinstance(item, Mapping):
            item = item.get(key)
        if not isinstance(item, str) or not item:
            raise ValidationFailed(
                f"each {what} must be a non-empty string",
                properties={f"[{i}]": f"not a valid {what}"},
            )
        found.append(item)
    return found


def object_from(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ValidationFailed("expected a JSON object", properties={"body": "not an object"})
    return body


def contact_from(body: Any) -> Mapping[str, Any]:
    """A contact object whose ``labels``, when given, is an array (of ``{name, value}``); an
    empty value (``null``, ``{}``, ``""``) means no labels, as it always has."""
    data = object_from(body)
    labels = data.get("labels")
    if labels and not isinstance(labels, list):
        raise ValidationFailed(
            "Invalid labels: expected an array of {name, value}",
            properties={"labels": "not an array of {name, value}"},
        )
    return data


def list_from(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise ValidationFailed("expected a JSON array", properties={"body": "not an array"})
    return body
