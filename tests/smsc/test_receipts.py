"""The simulator's pure parts: outcome rolls, message ids, a part's number and text from its
UDH and data coding, the receipt text, and the options with their flag parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smscast.domain.gsm7 import encode_septets
from smscast.domain.smpp import UDHI, Command, Pdu
from smscast.smsc.options import SimulatorOptions, parse_behaviours, parse_range
from smscast.smsc.receipts import (
    Outcome,
    Receipt,
    choose_outcome,
    format_id,
    message_text,
    receipt_text,
    roll,
    user_data,
)


def submit(short_message: bytes, esm_class: int = 0) -> Pdu:
    return Pdu(
        Command.SUBMIT_SM, 1, params={"esm_class": esm_class, "short_message": short_message}
    )


def test_a_message_without_udh_is_part_one():
    assert user_data(submit(b"\x05\x00\x03\x01\x02\x02hi")) == (1, b"\x05\x00\x03\x01\x02\x02hi")


@pytest.mark.parametrize(
    ("header", "part"),
    [
        (bytes([5, 0x00, 3, 0x7F, 3, 2]), 2),  # 8-bit reference
        (bytes([6, 0x08, 4, 0x12, 0x34, 3, 3]), 3),  # 16-bit reference
        (bytes([8, 0x24, 1, 0x01, 0x00, 3, 0x10, 2, 2]), 2),  # after a language shift IE
        (bytes([3, 0x24, 1, 0x01]), 1),  # no concatenation IE at all
    ],
)
def test_the_part_number_comes_from_the_udh(header: bytes, part: int):
    assert user_data(submit(header + b"text", UDHI)) == (part, b"text")


def test_an_empty_message_with_udhi_is_part_one():
    assert user_data(submit(b"", UDHI)) == (1, b"")


@pytest.mark.parametrize(
    ("data_coding", "payload", "text"),
    [
        (0x00, encode_septets("Hi @ 5€ {x}"), "Hi @ 5? {x}"),
        (0x10, encode_septets("flash"), "flash"),
        (0x08, "Γειά σου Maria".encode("utf-16-be"), "???? ??? Maria"),
        (0x18, ("x" * 30).encode("utf-16-be"), "x" * 20),
        (0x03, "café".encode("latin-1"), "caf?"),
        (0x04, b"\x00\x01binary", ""),  # 8-bit data
        (0x00, b"\x80\x81", ""),  # not septets
        (0x08, b"\x00", ""),  # half a UCS-2 character
        (0x00, encode_septets("line\nbreak"), "line?break"),
    ],
)
def test_receipt_text_is_the_start_of_the_message_in_printable_ascii(
    data_coding: int, payload: bytes, text: str
):
    assert message_text(data_coding, payload) == text


def test_outcome_shares_split_the_unit_interval_in_order():
    shares = {"undelivered": 0.1, "expired": 0.2, "rejected": 0.3}
    assert choose_outcome(0.0, **shares) is Outcome.UNDELIVERED
    assert choose_outcome(0.0999, **shares) is Outcome.UNDELIVERED
    assert choose_outcome(0.1001, **shares) is Outcome.EXPIRED
    assert choose_outcome(0.2999, **shares) is Outcome.EXPIRED
    assert choose_outcome(0.5999, **shares) is Outcome.REJECTED
    assert choose_outcome(0.6001, **shares) is Outcome.DELIVERED
    assert choose_outcome(0.0, undelivered=0, expired=0, rejected=0) is Outcome.DELIVERED


def test_rolls_depend_on_every_input_and_nothing_else():
    base = roll(1, "306912345678", 1, "outcome")
    assert roll(1, "306912345678", 1, "outcome") == base
    others = {
        roll(2, "306912345678", 1, "outcome"),
        roll(1, "306912345679", 1, "outcome"),
        roll(1, "306912345678", 2, "outcome"),
        roll(1, "306912345678", 1, "receipt"),
    }
    assert base not in others
    assert len(others) == 4
    assert all(0 <= value < 1 for value in (*others, base))


def test_message_ids_in_hex_and_decimal():
    assert format_id(42, "hex") == "000000002a"
    assert format_id(42, "decimal") == "42"
    assert format_id(0x1234567890AB, "hex") == "1234567890ab"


def test_the_receipt_text_form():
    receipt = Receipt(
        "smscast",
        42,
        Outcome.EXPIRED,
        datetime(2026, 3, 4, 5, 6, 59, tzinfo=UTC),
        (5, 0, "Shop"),
        (1, 1, "306912345678"),
        "",
    )
    done = datetime(2026, 3, 5, 23, 59, tzinfo=UTC)
    assert receipt_text(receipt, "42", done) == (
        "id:42 sub:001 dlvrd:000 submit date:2603040506 done date:2603052359 "
        "stat:EXPIRED err:002 text:"
    )


def test_the_longest_prefix_decides_and_plus_signs_do_not_matter():
    options = SimulatorOptions(
        prefix_behaviours={"+30": "throttle", "3069": "expired", "306912": "no_receipt"}
    )
    assert options.behaviour("306912345678") == "no_receipt"
    assert options.behaviour("+306922345678") == "expired"
    assert options.behaviour("302101234567") == "throttle"
    assert options.behaviour("447700900123") is None
    never = SimulatorOptions(never_answer_prefix=("+4477",))
    assert never.never_answers("447700900123")
    assert not never.never_answers("447800900123")


@pytest.mark.parametrize(
    "overrides",
    [
        {"undelivered": 0.6, "expired": 0.5},
        {"rejected": -0.1},
        {"receipt_delay_ms": (500, 100)},
        {"response_delay_ms": (-1, 0)},
        {"throttle_every": -1},
        {"receipt_form": "xml"},
        {"message_id_format": "base64"},
        {"receipt_id_format": "octal"},
        {"prefix_behaviours": {"30": "sometimes"}},
    ],
)
def test_options_refuse_nonsense(overrides: dict[str, object]):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        SimulatorOptions(**overrides)  # type: ignore[arg-type]


def test_flag_parsing():
    assert parse_range("100") == (100, 100)
    assert parse_range("50-500") == (50, 500)
    with pytest.raises(ValueError, match="MIN-MAX"):
        parse_range("soon")
    assert parse_behaviours(["3069=throttle", "+44=unknown_destination"]) == {
        "3069": "throttle",
        "+44": "unknown_destination",
    }
    with pytest.raises(ValueError, match="PREFIX=one of"):
        parse_behaviours(["3069"])
