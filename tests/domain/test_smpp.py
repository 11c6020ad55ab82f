"""SMPP 3.4 PDUs byte for byte: headers, binds, submit_sm with UDH and data coding, receipts'
deliver_sm, error responses, and malformed input that must be refused, never crash."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscast.domain.segments import split
from smscast.domain.smpp import (
    Command,
    Pdu,
    PduError,
    Status,
    address,
    c_string,
    concatenation_headers,
    data_coding,
    decode,
    encode,
    encode_part,
    relative_validity,
    response_to,
    submit_sms,
)


def test_enquire_link_is_a_bare_header():
    data = encode(Pdu(Command.ENQUIRE_LINK, 7))
    assert data == bytes.fromhex("00000010000000150000000000000007")
    assert decode(data) == Pdu(Command.ENQUIRE_LINK, 7)


def test_bind_transceiver_bytes():
    pdu = Pdu(
        Command.BIND_TRANSCEIVER,
        1,
        params={"system_id": "smscast", "password": "secret", "interface_version": 0x34},
    )
    data = encode(pdu)
    assert data[16:] == b"smscast\x00secret\x00\x00\x34\x00\x00\x00"
    assert int.from_bytes(data[:4], "big") == len(data)
    back = decode(data)
    assert (back.text("system_id"), back.text("password"), back.number("interface_version")) == (
        "smscast",
        "secret",
        0x34,
    )


def test_a_two_part_gsm_message_carries_udh_and_unpacked_septets():
    text = "x" * 152 + "{" + "y" * 10  # 164 septets: two parts; the escape pair moves whole
    parts = split(text)
    pdus = submit_sms(
        sequences=[1, 2],
        sender="Shop",
        to="+306912345678",
        payloads=[encode_part(p, False) for p in parts],
        unicode=False,
        flash=False,
        validity_minutes=60,
        reference=0x1FF,
    )
    first, second = (decode(encode(p)) for p in pdus)
    assert first.number("esm_class") == 0x40
    assert first.short_message()[:6] == bytes((5, 0, 3, 0xFF, 2, 1))
    assert second.short_message()[:6] == bytes((5, 0, 3, 0xFF, 2, 2))
    assert first.short_message()[6:] == b"x" * 152
    assert second.short_message()[6:] == b"\x1b\x28" + b"y" * 10  # ESC "(" is "{"
    assert (first.number("source_addr_ton"), first.text("source_addr")) == (5, "Shop")
    assert (first.number("dest_addr_ton"), first.number("dest_addr_npi")) == (1, 1)
    assert first.text("destination_addr") == "306912345678"
    assert first.number("registered_delivery") == 1
    assert first.text("validity_period") == "000000010000000R"


def test_a_single_ucs2_flash_message():
    [pdu] = submit_sms(
        sequences=[9],
        sender="+306912345600",
        to="+306912345678",
        payloads=[encode_part("Γειά 😀", True)],
        unicode=True,
        flash=True,
        validity_minutes=4320,
        reference=1,
    )
    back = decode(encode(pdu))
    assert back.number("esm_class") == 0
    assert back.number("data_coding") == 0x18
    assert back.short_message() == "Γειά 😀".encode("utf-16-be")
    assert (back.number("source_addr_ton"), back.text("source_addr")) == (1, "306912345600")
    assert back.text("validity_period") == "000003000000000R"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(1, "000000000100000R"), (90, "000000013000000R"), (1500, "000001010000000R"),
     (4320, "000003000000000R"), (0, "000000000100000R")],
)  # fmt: skip
def test_relative_validity(minutes: int, expected: str):
    assert relative_validity(minutes) == expected


def test_addresses_and_coding():
    assert address("+306912345678") == (1, 1, "306912345678")
    assert address("Shop 24") == (5, 0, "Shop 24")
    assert (data_coding(False, False), data_coding(True, False)) == (0x00, 0x08)
    assert (data_coding(False, True), data_coding(True, True)) == (0x10, 0x18)
    assert concatenation_headers(5, 1) == [b""]


def test_a_receipt_deliver_sm_with_tlvs_round_trips():
    pdu = Pdu(
        Command.DELIVER_SM,
        42,
        params={"esm_class": 0x04, "short_message": b"id:ABC stat:DELIVRD"},
        tlvs={0x001E: b"ABC\x00", 0x0427: b"\x02"},
    )
    back = decode(encode(pdu))
    assert back.short_message() == b"id:ABC stat:DELIVRD"
    assert c_string(back.tlvs[0x001E]) == "ABC"
    assert back.tlvs[0x0427] == b"\x02"
    answer = decode(encode(response_to(back, message_id="")))
    assert (answer.command_id, answer.sequence) == (Command.DELIVER_SM_RESP, 42)


def test_error_responses_have_no_body():
    request = Pdu(Command.SUBMIT_SM, 3)
    refusal = encode(response_to(request, Status.THROTTLED))
    assert len(refusal) == 16
    back = decode(refusal)
    assert (back.status, back.params) == (Status.THROTTLED, {})
    ok = decode(encode(response_to(request, message_id="0a1b")))
    assert ok.text("message_id") == "0a1b"


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00\x00",
        bytes.fromhex("00000020000000150000000000000001"),  # length lies
        bytes.fromhex("00000013000000020000000000000001") + b"abc",  # no NUL
        bytes.fromhex("00000012000000010000000000000001") + b"\x00\x00",  # TLV cut
    ],
)
def test_malformed_pdus_are_refused(data: bytes):
    with pytest.raises(PduError):
        decode(data)


@given(st.binary(max_size=300))
def test_decoding_garbage_never_crashes(data: bytes):
    with contextlib.suppress(PduError):
        decode(data)
