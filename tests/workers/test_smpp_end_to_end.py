"""A campaign through the API, the workers and the SMPP carrier to `smscast smsc`, to
Delivered: the whole path over real TCP."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.settings import CarrierSettings
from smscast.smsc.simulator import Simulator, SimulatorOptions
from smscast.store.tables import messages, sms_parts
from smscast.workers.runtime import Worker
from tests.conftest import GetToken, MakeAccount, bearer


async def test_a_campaign_is_delivered_over_smpp(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    get_token: GetToken,
    services: Services,
    clock: FakeClock,
):
    options = SimulatorOptions(
        credentials={"smscast": "secret"},
        receipt_delay_ms=(5, 20),
        prefix_behaviours={"306900000001": "undelivered"},
    )
    async with Simulator(options, clock) as smsc:
        settings = services.settings.model_copy(
            update={
                "carriers": {
                    "smsc": CarrierSettings(
                        type="smpp", port=smsc.port, system_id="smscast", password="secret"
                    )
                },
                "default_carrier": "smsc",
            }
        )
        from dataclasses import replace

        worker = Worker(replace(services, settings=settings), build_carriers(settings, clock))
        await worker.start()
        try:
            async with asyncio.timeout(5):
                await worker.carriers["smsc"].sessions[0].wait_bound()  # type: ignore[attr-defined]
            auth = bearer(await get_token(await make_account()))
            numbers = [f"+30691234560{n}" for n in range(5)] + ["+306900000001"]
            response = await client.post(
                "/sms/campaign",
                json={"from": "Shop", "body": "x" * 170, "to": numbers},  # two parts each
                headers=auth,
            )
            assert response.status_code == 200, response.text
            tracking = response.json()["trackingId"]
            async with asyncio.timeout(10):
                while True:
                    await worker.burst()
                    shown = (await client.get(f"/campaigns/{tracking}", headers=auth)).json()
                    if shown["state"] == "Finished":
                        break
                    await asyncio.sleep(0.02)
        finally:
            await worker.close()
        assert shown["statuses"]["Delivered"] == 5
        assert shown["statuses"]["Undelivered"] == 1
        assert smsc.stats.accepted == 12
        assert smsc.stats.receipts_acknowledged == 12
    async with services.db.read() as conn:
        parts = (await conn.execute(select(sms_parts.c.carrier, sms_parts.c.status))).all()
        statuses = dict((await conn.execute(select(messages.c.mobile, messages.c.status))).all())
    assert len(parts) == 12
    assert {carrier for carrier, _ in parts} == {"smsc"}
    assert statuses["+306900000001"] == "Undelivered"
