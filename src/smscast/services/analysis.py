"""``POST /sms/analyze``: what one SMS to one number would look like and cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smscast.domain.analysis import (
    MAX_BODY_CHARACTERS,
    BodyAnalysis,
    analyse,
    text_to_send,
)
from smscast.domain.money import Currency
from smscast.domain.numbers import parse_recipient
from smscast.domain.personalize import valid_sender
from smscast.domain.pricing import message_cost
from smscast.errors import InvalidRecipients, ValidationFailed
from smscast.services.auth import Principal
from smscast.services.prices import PriceService


@dataclass(frozen=True, slots=True)
class SingleAnalysis:
    body: BodyAnalysis
    cost: Decimal
    currency: Currency


def check_body(body: str | None) -> str:
    """A body is required, and at most 1,600 characters (code points)."""
    if body is None or body == "":
        raise ValidationFailed("body is required", properties={"body": "required"})
    if len(body) > MAX_BODY_CHARACTERS:
        raise ValidationFailed(
            f"body has {len(body)} characters; at most {MAX_BODY_CHARACTERS} are allowed",
            properties={"body": f"longer than {MAX_BODY_CHARACTERS} characters"},
        )
    return body


def check_sender(sender: str | None) -> str:
    if sender is None or sender == "":
        raise ValidationFailed("from is required", properties={"from": "required"})
    if not valid_sender(sender):
        raise InvalidRecipients(
            "Invalid sender id: use 1-11 letters, digits or spaces, or up to 16 digits",
            properties={"from": "invalid sender id"},
        )
    return sender


def invalid_numbers_error(
    numbers: list[str], reason: str = "Invalid mobile numbers"
) -> InvalidRecipients:
    return InvalidRecipients(
        f"{reason}: {len(numbers)} recipient(s) are not valid mobile numbers",
        errors=[{"code": "400005000", "developerMessage": reason, "property": numbers}],
    )


class AnalysisService:
    def __init__(self, prices: PriceService) -> None:
        self._prices = prices

    async def analyse_single(
        self,
        principal: Principal,
        *,
        sender: str | None,
        body: str | None,
        to: str | None,
        transcode: bool | None = None,
    ) -> SingleAnalysis:
        text = check_body(body)
        check_sender(sender)
        if not to:
            raise InvalidRecipients("No recipient given", properties={"to": "required"})
        recipient = parse_recipient(to)
        if recipient is None:
            raise invalid_numbers_error([to])
        policy, table = await self._prices.sender_table(
            principal.account_id, principal.application_id, {recipient.country}
        )
        analysis = analyse(text)
        sent = text_to_send(text, analysis, transcode, policy)
        parts = analysis.parts if sent is text else analyse(sent).parts
        price = table.per_part(recipient.country)
        if price is None:
            raise invalid_numbers_error([to], f"No price for country {recipient.country}")
        return SingleAnalysis(analysis, message_cost(parts, price), table.currency)
