"""A receipt sink that keeps receipts in memory: the carrier tests look at what arrived."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from smscast.carriers.base import InboundMessage, Receipt


class ListSink:
    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.inbound: list[InboundMessage] = []
        self.arrived = asyncio.Event()

    async def put_inbound(self, messages: Sequence[InboundMessage]) -> None:
        self.inbound.extend(messages)
        if messages:
            self.arrived.set()

    async def put(self, receipts: Sequence[Receipt]) -> None:
        self.receipts.extend(receipts)
        self.arrived.set()

    async def wait_for(self, count: int) -> list[Receipt]:
        """Until ``count`` receipts arrived (callers bound the wait with asyncio.timeout)."""
        while len(self.receipts) < count:
            self.arrived.clear()
            await self.arrived.wait()
        return self.receipts


@pytest.fixture
def sink() -> ListSink:
    return ListSink()
