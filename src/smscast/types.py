"""Identifiers and enumerations shared by every layer (stdlib only)."""

from __future__ import annotations

from enum import StrEnum
from typing import NewType

AccountId = NewType("AccountId", str)
ApplicationId = NewType("ApplicationId", str)
TrackingId = NewType("TrackingId", str)
MessageId = NewType("MessageId", str)
SmsId = NewType("SmsId", str)
ContactId = NewType("ContactId", str)
CarrierMessageId = NewType("CarrierMessageId", str)


class Scope(StrEnum):
    """OAuth2 scopes an application may hold."""

    SMS = "sms"
    CONTACT = "contact"
    ACCOUNT = "account"
    REPORT = "report"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


class LedgerKind(StrEnum):
    """Why money moved. Names are Routee's transaction types."""

    TOPUP = "Payment"
    CHARGE = "Charge"
    REFUND = "Refund"
