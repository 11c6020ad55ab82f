"""What a message costs: parts × the price of one part in the recipient's country."""

from __future__ import annotations

from decimal import Decimal

from smscast.domain.money import round_money


def message_cost(parts: int, price_per_part: Decimal) -> Decimal:
    return round_money(price_per_part * parts)
