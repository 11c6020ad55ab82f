"""OpenAPI descriptions of the request bodies that routes read by hand.

Campaigns, contacts, groups and tracking searches take ``Any`` and read it leniently (see
``campaign_requests`` and ``bodies``), so FastAPI cannot describe those bodies by itself. These
schemas state the documented shapes (API.md) for ``/openapi.json``: what a client should send.
The readers accept more (numbers as strings, ``"true"``, ``reminder.recipients``) and stay the
authority on what is valid; nothing here validates a request.
"""

from __future__ import annotations

from typing import Any

from smscast.domain.campaigns import (
    MAX_GROUPS,
    MAX_REMINDER_MINUTES,
    MAX_REMINDER_NUMBERS,
    MAX_TO,
    MAX_TTL,
    MIN_TTL,
    CallbackStrategy,
)
from smscast.domain.contacts import MAX_LABEL_NAME, LabelType

Schema = dict[str, Any]

_MOBILE: Schema = {"type": "string", "description": "E.164 with '+'", "example": "+306912345678"}
_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
_DATE: Schema = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
    "description": "ISO-8601 (Z or an offset) or seconds since the epoch",
}
_CALLBACK: Schema = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "format": "uri", "maxLength": 2048},
        "strategy": {"type": "string", "enum": [s.value for s in CallbackStrategy]},
    },
}
_NAME_VALUE: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "value": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]},
    },
}
_BODY_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 1600}
_SENDER: Schema = {
    "type": "string",
    "description": "1-11 letters, digits or spaces, or up to 16 digits (optional '+')",
    "example": "Shop",
}
_TTL: Schema = {"type": "integer", "minimum": MIN_TTL, "maximum": MAX_TTL}

CAMPAIGN: Schema = {
    "type": "object",
    "required": ["from", "body"],
    "properties": {
        "from": _SENDER,
        "body": _BODY_TEXT,
        "to": {**_STRINGS, "items": _MOBILE, "maxItems": MAX_TO},
        "contacts": {**_STRINGS, "description": "contact ids of the account"},
        "groups": {**_STRINGS, "maxItems": MAX_GROUPS, "description": "group names"},
        "scheduledDate": _DATE,
        "campaignName": {"type": "string", "pattern": "^[A-Za-z0-9 -]{2,30}$"},
        "callback": _CALLBACK,
        "campaignCallback": _CALLBACK,
        "reminder": {
            "type": "object",
            "required": ["to"],
            "properties": {
                "minutesBefore": {"type": "integer", "minimum": 0, "maximum": MAX_REMINDER_MINUTES},
                "minutesAfter": {"type": "integer", "minimum": 0, "maximum": MAX_REMINDER_MINUTES},
                "to": {
                    **_STRINGS,
                    "items": _MOBILE,
                    "minItems": 1,
                    "maxItems": MAX_REMINDER_NUMBERS,
                },
            },
        },
        "fallbackValues": {
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": "string"}},
                {"type": "array", "items": _NAME_VALUE},
            ]
        },
        "flash": {"type": "boolean"},
        "respectQuietHours": {"type": "boolean"},
        "ttl": _TTL,
        "allowInvalid": {"type": "boolean"},
        "transcode": {"type": "boolean"},
    },
}

SINGLE_SMS: Schema = {
    "type": "object",
    "required": ["from", "body", "to"],
    "properties": {
        "from": _SENDER,
        "body": _BODY_TEXT,
        "to": _MOBILE,
        "flash": {"type": "boolean"},
        "label": {"type": "string", "maxLength": 100},
        "callback": _CALLBACK,
        "ttl": _TTL,
        "transcode": {"type": "boolean"},
    },
}

_CONTACT_PROPERTIES: Schema = {
    "firstName": {"type": "string"},
    "lastName": {"type": "string"},
    "mobile": _MOBILE,
    "email": {"type": "string"},
    "vip": {"type": "boolean"},
    "labels": {"type": "array", "items": _NAME_VALUE},
}
NEW_CONTACT: Schema = {
    "type": "object",
    "required": ["mobile"],
    "properties": _CONTACT_PROPERTIES,
}
CONTACT_UPDATE: Schema = {"type": "object", "properties": _CONTACT_PROPERTIES}

CONTACT_IDS: Schema = {**_STRINGS, "description": "contact ids"}
CONTACT_ID_LIST: Schema = {
    "anyOf": [
        CONTACT_IDS,
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}},
            },
        },
        {"type": "object", "required": ["contacts"], "properties": {"contacts": CONTACT_IDS}},
    ]
}
GROUP: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
}
GROUP_NAMES: Schema = {**_STRINGS, "description": "group names"}
LABELS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_NAME},
            "type": {"type": "string", "enum": [t.value for t in LabelType]},
        },
    },
}
TRACKING_FILTERS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "fieldName": {
                "type": "string",
                "enum": ["smsId", "to", "status.status", "direction", "label", "campaign"],
            },
            "searchTerm": {"type": "string"},
            "searchOperator": {
                "type": "string",
                "enum": ["is", "is_not", "contains", "starts_with", "ends_with"],
            },
        },
    },
}


def json_body(schema: Schema) -> dict[str, Any]:
    """``openapi_extra`` for a route: its JSON request body is described by ``schema``."""
    return {"requestBody": {"content": {"application/json": {"schema": schema}}}}
