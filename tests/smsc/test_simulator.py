"""The SMSC simulator over real TCP, driven by a bare client: binds, enquire_link, submit_sm
and its receipts in every form, the misbehaviours, and what ``stats``/``received`` show."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from smscast.clock import FakeClock
from smscast.domain.segments import split
from smscast.domain.smpp import (
    DELIVERY_RECEIPT,
    HEADER,
    TLV,
    Command,
    Pdu,
    Status,
    c_string,
    encode,
    encode_part,
    submit_sms,
)
from smscast.smsc.receipts import format_id
from tests.smsc.conftest import Client, Connect, MakeSimulator

RECEIPT = (
    "id:000000002a sub:001 dlvrd:001 submit date:2601011200 done date:2601011200 "
    "stat:DELIVRD err:000 text:hello"
)


async def bound(make_simulator: MakeSimulator, connect: Connect, **options: object):
    simulator = await make_simulator(**options)
    client = await connect(simulator)
    response = await client.bind()
    assert response.status == Status.OK
    return simulator, client


# -- binds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [Command.BIND_TRANSCEIVER, Command.BIND_TRANSMITTER, Command.BIND_RECEIVER]
)
async def test_a_bind_with_the_right_credentials_is_accepted(
    make_simulator: MakeSimulator, connect: Connect, command: Command
):
    simulator = await make_simulator()
    client = await connect(simulator)
    response = await client.bind(command)
    assert response.status == Status.OK
    assert response.text("system_id") == "smscast-smsc"
    assert response.tlvs[TLV.SC_INTERFACE_VERSION] == b"\x34"
    assert (simulator.stats.binds, simulator.stats.bind_failures) == (1, 0)


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [
        ("smscast", "wrong", Status.INVALID_PASSWORD),
        ("stranger", "secret", Status.INVALID_SYSTEM_ID),
    ],
)
async def test_a_bind_with_wrong_credentials_is_refused(
    make_simulator: MakeSimulator, connect: Connect, system_id: str, password: str, status: int
):
    simulator = await make_simulator()
    client = await connect(simulator)
    response = await client.bind(system_id=system_id, password=password)
    assert response.status == status
    assert response.params == {}  # an error response has no body
    assert (simulator.stats.binds, simulator.stats.bind_failures) == (0, 1)
    # Still unbound: a submit is refused.
    request = await client.submit()
    assert (await client.read()).status == Status.INVALID_BIND_STATUS
    assert [encode(pdu) for pdu in simulator.received] == [encode(request)]


async def test_without_credentials_anyone_binds(make_simulator: MakeSimulator, connect: Connect):
    simulator = await make_simulator(credentials={})
    client = await connect(simulator)
    assert (await client.bind(system_id="anyone", password="x")).status == Status.OK


async def test_reject_bind_refuses_even_good_credentials(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator = await make_simulator(reject_bind=True)
    client = await connect(simulator)
    assert (await client.bind()).status == Status.BIND_FAILED
    assert simulator.stats.bind_failures == 1


async def test_a_second_bind_on_one_connection_is_already_bound(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    assert (await client.bind(Command.BIND_RECEIVER)).status == Status.ALREADY_BOUND
    assert (simulator.stats.binds, simulator.stats.bind_failures) == (1, 1)


async def test_a_receiver_cannot_submit(make_simulator: MakeSimulator, connect: Connect):
    simulator = await make_simulator()
    client = await connect(simulator)
    await client.bind(Command.BIND_RECEIVER)
    request = await client.submit()
    response = await client.read()
    assert (response.command_id, response.sequence) == (Command.SUBMIT_SM_RESP, request.sequence)
    assert response.status == Status.INVALID_BIND_STATUS
    assert simulator.stats.accepted == 0


# -- enquire_link, unbind, garbage ---------------------------------------------------------


async def test_enquire_link_is_answered_bound_or_not(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator = await make_simulator()
    client = await connect(simulator)
    first = await client.request(Command.ENQUIRE_LINK)
    assert await client.read() == Pdu(Command.ENQUIRE_LINK_RESP, first.sequence)
    await client.bind()
    second = await client.request(Command.ENQUIRE_LINK)
    assert await client.read() == Pdu(Command.ENQUIRE_LINK_RESP, second.sequence)
    assert simulator.stats.enquire_links == 2


async def test_unbind_is_answered_then_the_connection_closes(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    request = await client.request(Command.UNBIND)
    assert await client.read() == Pdu(Command.UNBIND_RESP, request.sequence)
    assert await client.at_eof()
    assert simulator.stats.unbinds == 1


async def test_unbind_waits_for_the_submits_in_hand(
    make_simulator: MakeSimulator, connect: Connect
):
    _, client = await bound(make_simulator, connect, response_delay_ms=(100, 100))
    submit = await client.submit(registered_delivery=0)
    unbind = await client.request(Command.UNBIND)
    first, second = await client.read(), await client.read()
    assert (first.command_id, first.sequence) == (Command.SUBMIT_SM_RESP, submit.sequence)
    assert (second.command_id, second.sequence) == (Command.UNBIND_RESP, unbind.sequence)
    assert await client.at_eof()


async def test_an_unknown_command_gets_generic_nack(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    await client.send(Pdu(0x00000103, 77))  # data_sm: not something the simulator does
    assert await client.read() == Pdu(Command.GENERIC_NACK, 77, Status.INVALID_COMMAND_ID)
    assert simulator.stats.generic_nacks == 1


async def test_an_operation_an_smsc_does_not_take_gets_generic_nack(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    request = await client.request(Command.DELIVER_SM, short_message=b"hi")
    assert await client.read() == Pdu(
        Command.GENERIC_NACK, request.sequence, Status.INVALID_COMMAND_ID
    )
    assert simulator.received == []


async def test_a_malformed_pdu_gets_generic_nack_and_the_session_goes_on(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    body = b"\x00\x01\x01Shop\x00"  # a submit_sm that stops after source_addr
    await client.send_bytes(HEADER.pack(HEADER.size + len(body), Command.SUBMIT_SM, 0, 9) + body)
    assert await client.read() == Pdu(Command.GENERIC_NACK, 9, Status.INVALID_MESSAGE_LENGTH)
    request = await client.request(Command.ENQUIRE_LINK)
    assert (await client.read()).sequence == request.sequence
    assert simulator.received == []  # nothing decoded, nothing recorded


async def test_garbage_that_cannot_be_framed_gets_generic_nack_and_a_hang_up(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator = await make_simulator()
    client = await connect(simulator)
    await client.send_bytes(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    nack = await client.read()
    assert (nack.command_id, nack.status) == (Command.GENERIC_NACK, Status.INVALID_MESSAGE_LENGTH)
    assert await client.at_eof()
    assert simulator.stats.generic_nacks == 1


# -- submit_sm and receipts ------------------------------------------------------------------


async def test_submit_is_answered_with_an_id_and_a_receipt_follows(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    request = await client.submit()
    response = await client.read()
    assert (response.command_id, response.sequence, response.status) == (
        Command.SUBMIT_SM_RESP,
        request.sequence,
        Status.OK,
    )
    assert response.text("message_id") == "000000002a"

    receipt = await client.read()
    assert receipt.command_id == Command.DELIVER_SM
    assert receipt.number("esm_class") == DELIVERY_RECEIPT
    assert receipt.text("source_addr") == "306912345678"  # the handset answers
    assert (receipt.number("source_addr_ton"), receipt.number("source_addr_npi")) == (1, 1)
    assert receipt.text("destination_addr") == "Shop"
    assert receipt.number("dest_addr_ton") == 5
    assert receipt.short_message().decode("ascii") == RECEIPT
    assert c_string(receipt.tlvs[TLV.RECEIPTED_MESSAGE_ID]) == "000000002a"
    assert receipt.tlvs[TLV.RECEIPTED_MESSAGE_ID].endswith(b"\x00")
    assert receipt.tlvs[TLV.MESSAGE_STATE] == bytes([2])
    assert TLV.NETWORK_ERROR_CODE not in receipt.tlvs
    assert simulator.stats.receipts_sent == 1
    assert simulator.stats.receipts_acknowledged == 0

    await client.acknowledge(receipt)
    await simulator.wait_until(lambda: simulator.stats.receipts_acknowledged == 1)
    assert (simulator.stats.submits, simulator.stats.accepted) == (1, 1)
    assert [encode(pdu) for pdu in simulator.received] == [encode(request)]


async def test_message_ids_count_up_and_take_the_configured_forms(
    make_simulator: MakeSimulator, connect: Connect
):
    _, client = await bound(
        make_simulator, connect, message_id_format="decimal", receipt_id_format="hex"
    )
    for _ in range(2):
        await client.submit(registered_delivery=0)
    ids = [(await client.read()).text("message_id") for _ in range(2)]
    assert ids == ["42", "43"]
    await client.submit()
    assert (await client.read()).text("message_id") == "44"
    receipt = await client.read()
    assert receipt.short_message().startswith(b"id:000000002c ")
    assert c_string(receipt.tlvs[TLV.RECEIPTED_MESSAGE_ID]) == "000000002c"


async def test_ids_default_to_the_clock_so_a_restart_does_not_reuse_them(
    make_simulator: MakeSimulator, connect: Connect, clock: FakeClock
):
    _, client = await bound(make_simulator, connect, first_message_id=None)
    await client.submit(registered_delivery=0)
    first = int((await client.read()).text("message_id"), 16)
    assert first == int(clock.now().timestamp()) << 20

    clock.advance(timedelta(seconds=1))
    _, again = await bound(make_simulator, connect, first_message_id=None)
    await again.submit(registered_delivery=0)
    assert int((await again.read()).text("message_id"), 16) == first + (1 << 20)


async def test_receipt_dates_are_the_submit_and_the_delivery_time(
    make_simulator: MakeSimulator, connect: Connect, clock: FakeClock
):
    simulator = await make_simulator()
    sender = await connect(simulator)
    await sender.bind(Command.BIND_TRANSMITTER)
    await sender.submit()
    await sender.read()
    clock.advance(timedelta(minutes=7))
    # No receiver yet: the receipt waits, and goes out when one binds.
    receiver = await connect(simulator)
    await receiver.bind(Command.BIND_RECEIVER)
    receipt = await receiver.read()
    assert b"submit date:2601011200 done date:2601011207 " in receipt.short_message()


@pytest.mark.parametrize(
    ("option", "stat", "state", "error"),
    [
        ("undelivered", "UNDELIV", 5, 1),
        ("expired", "EXPIRED", 3, 2),
        ("rejected", "REJECTD", 8, 3),
    ],
)
async def test_each_outcome_has_its_text_state_and_error(
    make_simulator: MakeSimulator, connect: Connect, option: str, stat: str, state: int, error: int
):
    _, client = await bound(make_simulator, connect, **{option: 1.0})
    await client.submit()
    await client.read()
    receipt = await client.read()
    assert receipt.short_message().decode() == (
        "id:000000002a sub:001 dlvrd:000 submit date:2601011200 done date:2601011200 "
        f"stat:{stat} err:{error:03d} text:hello"
    )
    assert receipt.tlvs[TLV.MESSAGE_STATE] == bytes([state])
    assert receipt.tlvs[TLV.NETWORK_ERROR_CODE] == bytes([3, 0, error])


async def test_receipts_in_text_form_only(make_simulator: MakeSimulator, connect: Connect):
    _, client = await bound(make_simulator, connect, receipt_form="text")
    await client.submit()
    await client.read()
    receipt = await client.read()
    assert receipt.short_message().decode() == RECEIPT
    assert receipt.tlvs == {}


async def test_receipts_in_tlv_form_only(make_simulator: MakeSimulator, connect: Connect):
    _, client = await bound(make_simulator, connect, receipt_form="tlv")
    await client.submit()
    await client.read()
    receipt = await client.read()
    assert receipt.short_message() == b""
    assert receipt.tlvs == {TLV.RECEIPTED_MESSAGE_ID: b"000000002a\x00", TLV.MESSAGE_STATE: b"\x02"}


async def test_outcomes_are_a_function_of_seed_destination_and_part(
    make_simulator: MakeSimulator, connect: Connect
):
    async def outcomes(seed: int) -> list[bytes]:
        _, client = await bound(make_simulator, connect, seed=seed, undelivered=0.5)
        for n in range(40):
            await client.submit(to=f"3069{n:08d}")
        stats: list[bytes] = []
        while len(stats) < 40:
            pdu = await client.read()
            if pdu.command_id == Command.DELIVER_SM:
                stats.append(pdu.short_message().split(b"stat:")[1][:7])
        return stats

    first, again, other = await outcomes(1), await outcomes(1), await outcomes(2)
    assert first == again
    assert first != other
    assert 8 <= first.count(b"UNDELIV") <= 32  # about half


async def test_registered_delivery_decides_whether_a_receipt_is_sent(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(
        make_simulator, connect, prefix_behaviours={"3070": "undelivered"}
    )
    await client.submit(to="306900000001", registered_delivery=0)  # none wanted: 42
    await client.submit(to="306900000002", registered_delivery=2)  # failures only, delivered: 43
    await client.submit(to="307000000003", registered_delivery=2)  # failures only, failed: 44
    await client.submit(to="306900000004", registered_delivery=1)  # always: 45
    pdus = [await client.read() for _ in range(6)]
    receipts = [p for p in pdus if p.command_id == Command.DELIVER_SM]
    assert [c_string(r.tlvs[TLV.RECEIPTED_MESSAGE_ID]) for r in receipts] == [
        "000000002c",
        "000000002d",
    ]
    assert simulator.stats.receipts_sent == 2


async def test_a_receipt_goes_to_a_receiver_of_the_same_system_id(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator = await make_simulator(credentials={"smscast": "secret", "other": "pw"})
    sender = await connect(simulator)
    await sender.bind(Command.BIND_TRANSMITTER)
    stranger = await connect(simulator)
    await stranger.bind(Command.BIND_RECEIVER, system_id="other", password="pw")
    receiver = await connect(simulator)
    await receiver.bind(Command.BIND_RECEIVER)
    await sender.submit()
    assert (await sender.read()).command_id == Command.SUBMIT_SM_RESP
    receipt = await receiver.read()
    assert receipt.short_message().decode() == RECEIPT
    await receiver.acknowledge(receipt)
    await simulator.wait_until(lambda: simulator.stats.receipts_acknowledged == 1)
    # Neither the transmitter nor the other system_id got anything.
    for client in (sender, stranger):
        probe = await client.request(Command.ENQUIRE_LINK)
        assert (await client.read()).sequence == probe.sequence


async def test_receipts_take_turns_among_the_receivers(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator = await make_simulator()
    sender = await connect(simulator)
    await sender.bind(Command.BIND_TRANSMITTER)
    receivers = [await connect(simulator) for _ in range(2)]
    for receiver in receivers:
        await receiver.bind(Command.BIND_RECEIVER)
    assert await submit_statuses(sender, 4, registered_delivery=1) == [Status.OK] * 4
    ids = [
        [c_string((await r.read()).tlvs[TLV.RECEIPTED_MESSAGE_ID]) for _ in "ab"] for r in receivers
    ]
    assert sorted(ids[0] + ids[1]) == [format_id(n, "hex") for n in range(42, 46)]


async def test_a_receipt_not_acknowledged_is_sent_again_after_a_reconnect(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    await client.submit()
    await client.read()
    first = await client.read()
    await client.close()  # gone without answering the deliver_sm
    again = await connect(simulator)
    await again.bind(Command.BIND_RECEIVER)
    resent = await again.read()
    assert resent.short_message() == first.short_message()
    await again.acknowledge(resent)
    await simulator.wait_until(lambda: simulator.stats.receipts_acknowledged == 1)
    assert simulator.stats.receipts_sent == 2


async def test_a_refused_receipt_is_counted_and_not_resent(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    await client.submit()
    await client.read()
    await client.acknowledge(await client.read(), Status.SYSTEM_ERROR)
    await simulator.wait_until(lambda: simulator.stats.receipts_refused == 1)
    assert simulator.stats.receipts_acknowledged == 0


async def test_concatenated_parts_arrive_byte_for_byte_and_each_gets_a_receipt(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect)
    text = "Hello Μαρία, " * 10  # UCS-2, two parts of 67 and 63 characters
    parts = split(text)
    assert len(parts) == 2
    sent = submit_sms(
        sequences=[client.next_sequence() for _ in parts],
        sender="Shop",
        to="+447700900123",
        payloads=[encode_part(part, True) for part in parts],
        unicode=True,
        flash=True,
        validity_minutes=90,
        reference=0x7F,
    )
    for pdu in sent:
        await client.send(pdu)
    pdus = [await client.read() for _ in range(4)]
    assert [encode(pdu) for pdu in simulator.received] == [encode(pdu) for pdu in sent]
    assert simulator.received[1].short_message()[:6] == bytes([5, 0, 3, 0x7F, 2, 2])
    assert simulator.received[1].number("data_coding") == 0x18
    receipts = [p for p in pdus if p.command_id == Command.DELIVER_SM]
    assert len(receipts) == 2
    # text: the part's first 20 characters after its UDH, printable ASCII only
    assert [r.short_message().split(b" text:")[1] for r in receipts] == [
        b"Hello ?????, Hello ?",
        b"llo ?????, Hello ???",
    ]


async def test_the_parts_of_one_message_roll_their_outcomes_apart(
    make_simulator: MakeSimulator, connect: Connect
):
    _, client = await bound(make_simulator, connect, undelivered=0.5)
    for number in range(1, 11):
        udh = bytes([5, 0, 3, 0x42, 10, number])
        await client.submit(text=udh + b"part", esm_class=0x40)
    pdus = [await client.read() for _ in range(20)]
    stats = {p.short_message().split(b" stat:")[1][:7] for p in pdus if p.short_message()}
    assert stats == {b"DELIVRD", b"UNDELIV"}


# -- misbehaviours ---------------------------------------------------------------------------


async def submit_statuses(client: Client, count: int, **params: object) -> list[int]:
    params = {"registered_delivery": 0, **params}
    requests = [await client.submit(**params) for _ in range(count)]
    responses = [await client.read() for _ in requests]
    assert [r.sequence for r in responses] == [r.sequence for r in requests]
    return [r.status for r in responses]


async def test_throttle_every_nth_submit(make_simulator: MakeSimulator, connect: Connect):
    simulator, client = await bound(make_simulator, connect, throttle_every=3)
    statuses = await submit_statuses(client, 7)
    ok, throttled = Status.OK, Status.THROTTLED
    assert statuses == [ok, ok, throttled, ok, ok, throttled, ok]
    assert (simulator.stats.throttled, simulator.stats.accepted) == (2, 5)


async def test_queue_full_every_nth_submit(make_simulator: MakeSimulator, connect: Connect):
    simulator, client = await bound(make_simulator, connect, queue_full_every=2)
    statuses = await submit_statuses(client, 4)
    assert statuses == [Status.OK, Status.MESSAGE_QUEUE_FULL] * 2
    assert simulator.stats.queue_full == 2


@pytest.mark.parametrize(
    ("behaviour", "status"),
    [
        ("throttle", Status.THROTTLED),
        ("queue_full", Status.MESSAGE_QUEUE_FULL),
        ("unknown_destination", Status.INVALID_DESTINATION),
    ],
)
async def test_a_prefix_behaviour_refuses_its_destinations_only(
    make_simulator: MakeSimulator, connect: Connect, behaviour: str, status: int
):
    _, client = await bound(
        make_simulator, connect, prefix_behaviours={"30": "expired", "3069": behaviour}
    )
    assert await submit_statuses(client, 2, to="306912345678") == [status, status]
    assert await submit_statuses(client, 1, to="306812345678") == [Status.OK]


async def test_prefix_outcomes_and_no_receipt(make_simulator: MakeSimulator, connect: Connect):
    simulator, client = await bound(
        make_simulator,
        connect,
        prefix_behaviours={"3069": "expired", "30691": "no_receipt", "+44": "rejected"},
    )
    await client.submit(to="306912345678")  # the longest prefix: no receipt
    await client.submit(to="306922345678")
    await client.submit(to="447700900123")
    pdus = [await client.read() for _ in range(5)]
    stats = [p.short_message().split(b" stat:")[1][:7] for p in pdus if p.short_message()]
    assert stats == [b"EXPIRED", b"REJECTD"]
    assert simulator.stats.receipts_sent == 2


async def test_never_answer_leaves_a_submit_unanswered(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect, never_answer_prefix=("3069",))
    await client.submit(to="306912345678")
    answered = await client.submit(to="306812345678", registered_delivery=0)
    probe = await client.request(Command.ENQUIRE_LINK)
    assert [(p.command_id, p.sequence) for p in [await client.read(), await client.read()]] == [
        (Command.SUBMIT_SM_RESP, answered.sequence),
        (Command.ENQUIRE_LINK_RESP, probe.sequence),
    ]
    assert (simulator.stats.submits, simulator.stats.unanswered) == (2, 1)
    assert len(simulator.received) == 2


async def test_drop_after_closes_the_connection(make_simulator: MakeSimulator, connect: Connect):
    simulator, client = await bound(make_simulator, connect, drop_after=2)
    requests = [await client.submit(registered_delivery=0) for _ in range(3)]
    first, second = await client.read(), await client.read()
    assert [first.sequence, second.sequence] == [r.sequence for r in requests[:2]]
    assert await client.at_eof()
    assert simulator.stats.accepted == 2
    # The next connection gets its own N.
    again = await connect(simulator)
    await again.bind()
    assert await submit_statuses(again, 1) == [Status.OK]


async def test_early_receipts_come_before_the_submit_response(
    make_simulator: MakeSimulator, connect: Connect
):
    _, client = await bound(
        make_simulator, connect, early_receipts=True, receipt_delay_ms=(300, 300)
    )
    request = await client.submit()
    receipt, response = await client.read(), await client.read()
    assert receipt.command_id == Command.DELIVER_SM
    assert (response.command_id, response.sequence) == (Command.SUBMIT_SM_RESP, request.sequence)
    assert c_string(receipt.tlvs[TLV.RECEIPTED_MESSAGE_ID]) == response.text("message_id")


async def test_duplicate_receipts_are_each_sent_twice(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect, duplicate_receipts=True)
    await client.submit()
    await client.read()
    first, second = await client.read(), await client.read()
    assert first.command_id == second.command_id == Command.DELIVER_SM
    assert first.sequence != second.sequence
    assert (first.short_message(), first.tlvs) == (second.short_message(), second.tlvs)
    await client.acknowledge(first)
    await client.acknowledge(second)
    await simulator.wait_until(lambda: simulator.stats.receipts_acknowledged == 2)
    assert simulator.stats.receipts_sent == 2


async def test_max_outstanding_counts_unanswered_submits_per_connection(
    make_simulator: MakeSimulator, connect: Connect
):
    simulator, client = await bound(make_simulator, connect, response_delay_ms=(150, 150))
    assert await submit_statuses(client, 5) == [Status.OK] * 5
    assert simulator.stats.max_outstanding == 5
    # One at a time never has more than one in hand.
    for _ in range(2):
        assert await submit_statuses(client, 1) == [Status.OK]
    assert simulator.stats.max_outstanding == 5

    # Two connections with three each: the figure is per connection, not in total.
    other_sim = await make_simulator(response_delay_ms=(150, 150))
    clients = [await connect(other_sim) for _ in range(2)]
    for each in clients:
        await each.bind()
    results = await asyncio.gather(*(submit_statuses(each, 3) for each in clients))
    assert results == [[Status.OK] * 3] * 2
    assert other_sim.stats.max_outstanding == 3


async def test_response_delay_delays_the_answer(make_simulator: MakeSimulator, connect: Connect):
    _, client = await bound(make_simulator, connect, response_delay_ms=(200, 200))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await submit_statuses(client, 1)
    assert loop.time() - started >= 0.19


async def test_stop_closes_every_connection(make_simulator: MakeSimulator, connect: Connect):
    simulator, client = await bound(make_simulator, connect, response_delay_ms=(5000, 5000))
    await client.submit()
    await simulator.wait_until(lambda: simulator.stats.submits == 1)
    await simulator.stop()
    assert await client.at_eof()
    with pytest.raises(ConnectionRefusedError):
        await Client.connect(simulator)
