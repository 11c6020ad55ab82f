"""What carriers hand over is stored: receipts for the intake, inbound SMS for later use."""

from __future__ import annotations

from sqlalchemy import select

from smscast.carriers.base import InboundMessage
from smscast.services.receipts import ReceiptStore
from smscast.services.runtime import Services
from smscast.store.tables import inbound_messages


async def test_inbound_messages_are_stored(services: Services):
    store = ReceiptStore(services.db, services.clock)
    await store.put_inbound([InboundMessage("smsc", "306912345600", "Shop", "STOP", 0)])
    await store.put_inbound([])
    async with services.db.read() as conn:
        rows = (await conn.execute(select(inbound_messages))).all()
    assert [(r.carrier, r.source, r.destination, r.text, r.data_coding) for r in rows] == [
        ("smsc", "306912345600", "Shop", "STOP", 0)
    ]
    assert rows[0].received_at == services.clock.now()
