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
    if not isinstance(body, list):
        raise ValidationFailed("expected an array of ids", properties={"body": "not an array"})
    ids: list[str] = []
    for i, item in enumerate(body):
        if isinstance(item, Mapping):
            item = item.get("id")
        if not isinstance(item, str) or not item:
            raise ValidationFailed(
                "each id must be a non-empty string", properties={f"[{i}]": "not an id"}
            )
        ids.append(item)
    return ids


def names_from(body: Any) -> list[str]:
    """Group names from ``["name", …]`` or ``[{"name": …}, …]``."""
    if not isinstance(body, list):
        raise ValidationFailed("expected an array of names", properties={"body": "not an array"})
    names: list[str] = []
    for i, item in enumerate(body):
        if isinstance(item, Mapping):
            item = item.get("name")
        if not isinstance(item, str) or not item:
            raise ValidationFailed(
                "each name must be a non-empty string", properties={f"[{i}]": "not a name"}
            )
        names.append(item)
    return names


def object_from(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ValidationFailed("expected a JSON object", properties={"body": "not an object"})
    return body


def list_from(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise ValidationFailed("expected a JSON array", properties={"body": "not an array"})
    return body
