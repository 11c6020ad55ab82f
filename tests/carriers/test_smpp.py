"""The SMPP carrier over real TCP against `smscast smsc`, checked from the SMSC's side:
window, keep-alive, reconnect, throttling, bytes of multipart/flash/validity, receipt forms
and ids, early and duplicate receipts, and failover between two carriers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from smscast.carriers.base import Submission
from smscast.carriers.routing import Router
from smscast.carriers.smpp.carrier import SmppCarrier, SmppOptions
from smscast.carriers.smpp.session import SessionOptions
from smscast.domain.campaigns import MessageStatus
from smscast.domain.segments import split
from smscast.smsc.simulator import Simulator, SimulatorOptions
from tests.carriers.conftest import ListSink

CREDENTIALS = {"smscast": "secret"}


@asynccontextmanager
async def running(
    sink: ListSink, simulator_options: dict[str, Any] | None = None, **session: Any
) -> AsyncIterator[tuple[Simulator, SmppCarrier]]:
    options = {"credentials": CREDENTIALS, "receipt_delay_ms": (5, 5), **(simulator_options or {})}
    hex_ids = options.pop("hex_ids", None)
    async with Simulator(SimulatorOptions(**options)) as simulator:
        carrier = SmppCarrier(
            "smsc",
            SmppOptions(
                session=SessionOptions(
                    "127.0.0.1",
                    simulator.port,
                    "smscast",
                    "secret",
                    **{"reconnect_min": 0.05, "response_timeout": 2.0, **session},
                ),
                hex_ids=hex_ids,
                retry_after=timedelta(milliseconds=100),
            ),
        )
        await carrier.start(sink)
        try:
            async with asyncio.timeout(5):
                await carrier.sessions[0].wait_bound()
            yield simulator, carrier
        finally:
            await carrier.close()


def message(
    to: str, text: str = "Hello", *, unicode: bool = False, flash: bool = False
) -> Submission:
    return Submission(
        message_id=f"m-{to}",
        sender="Shop",
        to=to,
        parts=tuple(split(text)),
        unicode=unicode,
        flash=flash,
        validity=timedelta(minutes=90),
    )


async def test_the_window_is_never_exceeded(sink: ListSink):
    async with running(sink, {"response_delay_ms": (30, 30)}, window=5) as (simulator, carrier):
        results = await carrier.submit([message(f"+3069123456{n:02d}") for n in range(40)])
        assert all(r.parts[0].accepted for r in results)
        assert simulator.stats.max_outstanding == 5  # used to the full, never beyond
        assert carrier.sessions[0].most_outstanding == 5


async def test_enquire_link_keeps_the_link_alive(sink: ListSink):
    async with running(sink, enquire_link_interval=0.05) as (simulator, _):
        await simulator.wait_until(lambda: simulator.stats.enquire_links >= 3, seconds=2)


async def test_a_dropped_link_is_bound_again(sink: ListSink):
    async with running(sink, {"drop_after": 3}) as (simulator, carrier):
        first = await carrier.submit([message(f"+30691234560{n}") for n in range(3)])
        assert all(r.parts[0].accepted for r in first)
        await simulator.wait_until(lambda: simulator.stats.connections >= 2, seconds=3)
        async with asyncio.timeout(3):
            await carrier.sessions[0].wait_bound()
        again = await carrier.submit([message("+306912345610")])
        assert again[0].parts[0].accepted
        assert simulator.stats.binds == 2


async def test_a_throttled_bind_slows_down_and_nothing_fails(sink: ListSink):
    async with running(sink, {"throttle_every": 3}) as (simulator, carrier):
        pending = [message(f"+3069123456{n:02d}") for n in range(30)]
        for _ in range(10):  # what comes back is for the queue (as the dispatcher does)
            results = await carrier.submit(pending)
            # Never failed: accepted, or sent back to wait (retry_after, no part refused).
            assert all(r.parts[0].accepted if r.parts else r.retry_after for r in results)
            pending = [m for m, r in zip(pending, results, strict=True) if not r.parts]
            if not pending:
                break
        assert pending == []
        assert simulator.stats.accepted == 30
        assert simulator.stats.throttled >= 9
        session = carrier.sessions[0]
        assert session._gap > 0  # slowed down...
        for _ in range(200):
            session.succeeded()
        assert session._gap == 0  # ...and recovers as submits go through


async def test_multipart_ucs2_flash_bytes_at_the_smsc(sink: ListSink):
    text = "Γειά σου " * 9  # 81 UCS-2 characters: two parts
    async with running(sink) as (simulator, carrier):
        [result] = await carrier.submit([message("+306912345600", text, unicode=True, flash=True)])
        assert len(result.parts) == 2
        first, second = simulator.received
        assert first.number("data_coding") == second.number("data_coding") == 0x18
        assert first.number("esm_class") == 0x40
        head1, head2 = first.short_message()[:6], second.short_message()[:6]
        assert head1[:3] == head2[:3] == bytes((5, 0, 3))
        assert head1[3] == head2[3]  # one reference for the message
        assert (head1[4:], head2[4:]) == (bytes((2, 1)), bytes((2, 2)))
        parts = split(text)
        assert first.short_message()[6:] == parts[0].encode("utf-16-be")
        assert second.short_message()[6:] == parts[1].encode("utf-16-be")
        assert first.text("validity_period") == "000000013000000R"
        assert (first.number("source_addr_ton"), first.text("destination_addr")) == (
            5,
            "306912345600",
        )


async def test_receipts_in_each_form_match_their_parts(sink: ListSink):
    for options in (
        {"receipt_form": "text"},
        {"receipt_form": "tlv"},
        {"receipt_form": "text", "receipt_id_format": "decimal", "hex_ids": True},
    ):
        sink.receipts.clear()
        async with running(sink, options) as (_, carrier):
            results = await carrier.submit([message("+306912345600"), message("+306912345601")])
            async with asyncio.timeout(3):
                receipts = await sink.wait_for(2)
            assert {r.carrier_message_id for r in receipts} == {
                r.parts[0].carrier_message_id for r in results
            }, options
            assert {r.status for r in receipts} == {MessageStatus.DELIVERED}


async def test_early_and_duplicate_receipts_are_all_stored_and_acknowledged(sink: ListSink):
    options = {"early_receipts": True, "duplicate_receipts": True}
    async with running(sink, options) as (simulator, carrier):
        results = await carrier.submit([message("+306912345600")])
        async with asyncio.timeout(3):
            receipts = await sink.wait_for(2)
        assert {r.carrier_message_id for r in receipts} == {results[0].parts[0].carrier_message_id}
        await simulator.wait_until(lambda: simulator.stats.receipts_acknowledged == 2)


async def test_refusals_are_final_or_sent_back_to_the_queue(sink: ListSink):
    options = {
        "prefix_behaviours": {"3069000": "unknown_destination"},
        "never_answer_prefix": ("3069111",),
    }
    async with running(sink, options, response_timeout=0.2) as (_, carrier):
        refused, silent = await carrier.submit([message("+306900000009"), message("+306911100000")])
        assert refused.parts[0].detailed_status == "Unknown Number"
        assert not refused.parts[0].accepted
        # No answer at all: it may have gone out, so it is taken as sent (under an id no
        # receipt matches) and never sent again.
        assert silent.parts[0].accepted
        assert silent.parts[0].carrier_message_id.startswith("unknown:")


async def test_traffic_fails_over_to_the_next_carrier(sink: ListSink):
    async with (
        Simulator(SimulatorOptions(reject_bind=True)) as down,
        Simulator(SimulatorOptions(credentials=CREDENTIALS)) as up,
    ):
        carriers = {
            name: SmppCarrier(
                name,
                SmppOptions(
                    SessionOptions("127.0.0.1", sim.port, "smscast", "secret", reconnect_min=0.05)
                ),
            )
            for name, sim in (("primary", down), ("backup", up))
        }
        for carrier in carriers.values():
            await carrier.start(sink)
        try:
            async with asyncio.timeout(3):
                await carriers["backup"].sessions[0].wait_bound()
            router = Router(carriers, {"GR": ["primary", "backup"]}, "primary")
            chosen = router.route("+306912345600", "GR")
            assert chosen.name == "backup"
            [result] = await chosen.submit([message("+306912345600")])
            assert result.parts[0].accepted
            assert up.stats.accepted == 1
            assert down.stats.submits == 0
        finally:
            for carrier in carriers.values():
                await carrier.close()


async def test_a_transmitter_gets_its_receipts_on_a_receiver_bind(sink: ListSink):
    from smscast.domain.smpp import Command

    async with running(sink, mode=Command.BIND_TRANSMITTER) as (simulator, carrier):
        async with asyncio.timeout(3):
            await carrier.receivers[0].wait_bound()
        assert simulator.stats.binds == 2
        [result] = await carrier.submit([message("+306912345600")])
        async with asyncio.timeout(3):
            [receipt] = await sink.wait_for(1)
        assert receipt.carrier_message_id == result.parts[0].carrier_message_id


async def test_an_inbound_sms_is_stored_then_answered(sink: ListSink):
    from smscast.domain.smpp import Command, Pdu

    async with running(sink) as (_, carrier):
        session = carrier.sessions[0]
        # The SMSC side hands us a message from a handset (not a receipt): esm_class 0.
        inbound = Pdu(
            Command.DELIVER_SM,
            0,
            params={
                "source_addr": "306912345600",
                "destination_addr": "Shop",
                "data_coding": 0x08,
                "short_message": "Γεια".encode("utf-16-be"),
            },
        )
        await carrier._inbound(session, inbound)
        async with asyncio.timeout(3):
            await sink.arrived.wait()
        [stored] = sink.inbound
        assert (stored.source, stored.destination, stored.text) == ("306912345600", "Shop", "Γεια")
        assert carrier.inbound_messages == 1


async def test_a_part_without_an_answer_is_never_sent_twice(sink: ListSink):
    options = {"response_delay_ms": (300, 300)}
    async with running(sink, options, response_timeout=0.1) as (simulator, carrier):
        [result] = await carrier.submit([message("+306912345600")])
        assert result.parts[0].accepted
        await asyncio.sleep(0.4)
        assert simulator.stats.submits == 1


async def test_a_link_reset_mid_window_neither_raises_nor_resends(sink: ListSink):
    async with running(sink, {"drop_after": 4}, window=10) as (simulator, carrier):
        results = await carrier.submit([message(f"+30691234560{n}") for n in range(8)])
        assert len(results) == 8
        accepted = [r for r in results if r.parts]
        # What reached the SMSC before the drop is accounted for, not sent again.
        assert len(accepted) >= 4
        assert simulator.stats.accepted == 4


async def test_an_unreadable_inbound_message_does_not_take_the_bind_down(sink: ListSink):
    from smscast.domain.smpp import Command, Pdu

    async with running(sink) as (_, carrier):
        session = carrier.sessions[0]
        latin1 = Pdu(
            Command.DELIVER_SM,
            0,
            params={
                "source_addr": "306912345600",
                "data_coding": 0,
                "short_message": "café".encode("latin-1"),
            },
        )
        await carrier._inbound(session, latin1)
        async with asyncio.timeout(3):
            await sink.arrived.wait()
        assert sink.inbound[0].text == "café"
        assert session.bound
        [result] = await carrier.submit([message("+306912345600")])
        assert result.parts[0].accepted


async def test_a_throttle_burst_does_not_fail_a_long_message(sink: ListSink):
    async with running(sink, {"throttle_every": 2}) as (simulator, carrier):
        [result] = await carrier.submit([message("+306912345600", "x" * 400)])  # three parts
        assert [p.accepted for p in result.parts] == [True, True, True]
        assert simulator.stats.throttled >= 1
        session = carrier.sessions[0]
        assert session._gap <= 0.5


async def test_a_window_of_throttled_answers_slows_the_pace_once(sink: ListSink):
    async with running(sink) as (_, carrier):
        session = carrier.sessions[0]
        for _ in range(50):  # fifty throttled answers from one window arrive together
            session.throttled()
        assert session._gap == 0.005  # one signal: doubled once, not fifty times
        for _ in range(100):
            session.succeeded()
        assert session._gap == 0
