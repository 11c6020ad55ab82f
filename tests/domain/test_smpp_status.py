"""SMSC answers as message statuses: every command_status of SMPP 3.4 §5.1.3, every receipt
stat and message_state, the text form read leniently, TLV precedence, GSM error refinement
and carrier message id normalisation."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscast.domain.campaigns import MessageStatus
from smscast.domain.lifecycle import Detailed
from smscast.domain.smpp_status import (
    COMMAND_STATUS_NAMES,
    GSM_ERRORS,
    MESSAGE_PAYLOAD,
    MESSAGE_STATE,
    NETWORK_ERROR_CODE,
    RECEIPTED_MESSAGE_ID,
    ParsedReceipt,
    SubmitOutcome,
    command_status_name,
    normalise_id,
    parse_receipt,
    submit_outcome,
)

D, X, F, S = (
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.SENT,
)

# --- submit_sm_resp ------------------------------------------------------------------------

RETRY, THROTTLE = "retry", "throttle"
FAILED, UNKNOWN_NUMBER, VIOLATION = "Failed", "Unknown Number", "Carrier Violation"

# SMPP 3.4 §5.1.3 Table 5-2, typed from the spec, with what each must mean for a submit.
SMPP34 = {
    0x00000001: ("ESME_RINVMSGLEN", FAILED),
    0x00000002: ("ESME_RINVCMDLEN", FAILED),
    0x00000003: ("ESME_RINVCMDID", FAILED),
    0x00000004: ("ESME_RINVBNDSTS", RETRY),
    0x00000005: ("ESME_RALYBND", RETRY),
    0x00000006: ("ESME_RINVPRTFLG", FAILED),
    0x00000007: ("ESME_RINVREGDLVFLG", FAILED),
    0x00000008: ("ESME_RSYSERR", RETRY),
    0x0000000A: ("ESME_RINVSRCADR", VIOLATION),
    0x0000000B: ("ESME_RINVDSTADR", UNKNOWN_NUMBER),
    0x0000000C: ("ESME_RINVMSGID", FAILED),
    0x0000000D: ("ESME_RBINDFAIL", RETRY),
    0x0000000E: ("ESME_RINVPASWD", RETRY),
    0x0000000F: ("ESME_RINVSYSID", RETRY),
    0x00000011: ("ESME_RCANCELFAIL", FAILED),
    0x00000013: ("ESME_RREPLACEFAIL", FAILED),
    0x00000014: ("ESME_RMSGQFUL", THROTTLE),
    0x00000015: ("ESME_RINVSERTYP", FAILED),
    0x00000033: ("ESME_RINVNUMDESTS", FAILED),
    0x00000034: ("ESME_RINVDLNAME", FAILED),
    0x00000040: ("ESME_RINVDESTFLAG", FAILED),
    0x00000042: ("ESME_RINVSUBREP", FAILED),
    0x00000043: ("ESME_RINVESMCLASS", FAILED),
    0x00000044: ("ESME_RCNTSUBDL", FAILED),
    0x00000045: ("ESME_RSUBMITFAIL", FAILED),
    0x00000048: ("ESME_RINVSRCTON", VIOLATION),
    0x00000049: ("ESME_RINVSRCNPI", VIOLATION),
    0x00000050: ("ESME_RINVDSTTON", FAILED),
    0x00000051: ("ESME_RINVDSTNPI", FAILED),
    0x00000053: ("ESME_RINVSYSTYP", FAILED),
    0x00000054: ("ESME_RINVREPFLAG", FAILED),
    0x00000055: ("ESME_RINVNUMMSGS", FAILED),
    0x00000058: ("ESME_RTHROTTLED", THROTTLE),
    0x00000061: ("ESME_RINVSCHED", FAILED),
    0x00000062: ("ESME_RINVEXPIRY", FAILED),
    0x00000063: ("ESME_RINVDFTMSGID", FAILED),
    0x00000064: ("ESME_RX_T_APPN", RETRY),
    0x00000065: ("ESME_RX_P_APPN", FAILED),
    0x00000066: ("ESME_RX_R_APPN", VIOLATION),
    0x00000067: ("ESME_RQUERYFAIL", FAILED),
    0x000000C0: ("ESME_RINVOPTPARSTREAM", FAILED),
    0x000000C1: ("ESME_ROPTPARNOTALLWD", FAILED),
    0x000000C2: ("ESME_RINVPARLEN", FAILED),
    0x000000C3: ("ESME_RMISSINGOPTPARAM", FAILED),
    0x000000C4: ("ESME_RINVOPTPARAMVAL", FAILED),
    0x000000FE: ("ESME_RDELIVERYFAILURE", FAILED),
    0x000000FF: ("ESME_RUNKNOWNERR", FAILED),
}
# SMPP 5.0's additions, which SMSCs also send on 3.4 binds.
SMPP50 = {
    0x00000100: ("ESME_RSERTYPUNAUTH", VIOLATION),
    0x00000101: ("ESME_RPROHIBITED", VIOLATION),
    0x00000102: ("ESME_RSERTYPUNAVAIL", RETRY),
    0x00000103: ("ESME_RSERTYPDENIED", VIOLATION),
    0x00000104: ("ESME_RINVDCS", FAILED),
    0x00000105: ("ESME_RINVSRCADDRSUBUNIT", FAILED),
    0x00000106: ("ESME_RINVDSTADDRSUBUNIT", FAILED),
    0x00000107: ("ESME_RINVBCASTFREQINT", FAILED),
    0x00000108: ("ESME_RINVBCASTALIAS_NAME", FAILED),
    0x00000109: ("ESME_RINVBCASTAREAFMT", FAILED),
    0x0000010A: ("ESME_RINVNUMBCAST_AREAS", FAILED),
    0x0000010B: ("ESME_RINVBCASTCNTTYPE", FAILED),
    0x0000010C: ("ESME_RINVBCASTMSGCLASS", FAILED),
    0x0000010D: ("ESME_RBCASTFAIL", FAILED),
    0x0000010E: ("ESME_RBCASTQUERYFAIL", FAILED),
    0x0000010F: ("ESME_RBCASTCANCELFAIL", FAILED),
    0x00000110: ("ESME_RINVBCAST_REP", FAILED),
    0x00000111: ("ESME_RINVBCASTSRVGRP", FAILED),
    0x00000112: ("ESME_RINVBCASTCHANIND", FAILED),
}
ALL_CODES = {**SMPP34, **SMPP50}


@pytest.mark.parametrize(("code", "name", "meaning"), [(c, *v) for c, v in ALL_CODES.items()])
def test_every_command_status(code: int, name: str, meaning: str):
    outcome = submit_outcome(code)
    assert COMMAND_STATUS_NAMES[code] == name
    assert outcome.error == f"0x{code:08X} {name}"
    if meaning == THROTTLE:
        assert outcome == SubmitOutcome(True, True, None, outcome.error)
    elif meaning == RETRY:
        assert outcome == SubmitOutcome(True, False, None, outcome.error)
    else:
        assert outcome == SubmitOutcome(False, False, meaning, outcome.error)
        assert outcome.detailed_status in set(Detailed)


def test_names_are_exactly_the_table_and_ok():
    assert dict(COMMAND_STATUS_NAMES) == {0: "ESME_ROK"} | {c: n for c, (n, _) in ALL_CODES.items()}


def test_the_examples_of_the_issue():
    assert submit_outcome(0x58) == SubmitOutcome(True, True, None, "0x00000058 ESME_RTHROTTLED")
    assert submit_outcome(0x14).throttle
    assert submit_outcome(0x0B).detailed_status == Detailed.UNKNOWN_NUMBER
    assert submit_outcome(0x0A).detailed_status == Detailed.CARRIER_VIOLATION


def test_ok_is_not_an_error():
    with pytest.raises(ValueError, match="ESME_ROK"):
        submit_outcome(0)


@pytest.mark.parametrize("code", [0x400, 0x401, 0x47F, 0x4FF])
def test_vendor_codes_are_final_failures(code: int):
    assert submit_outcome(code) == SubmitOutcome(
        False, False, "Failed", f"0x{code:08X} vendor-specific"
    )
    assert command_status_name(code) == "vendor-specific"


@pytest.mark.parametrize("code", [0x09, 0x10, 0x12, 0x16, 0x57, 0x68, 0xBF, 0x113, 0x3FF, 0x500])
def test_unknown_codes_are_final_failures(code: int):
    assert submit_outcome(code) == SubmitOutcome(False, False, "Failed", f"0x{code:08X} unknown")


def test_the_largest_code():
    assert submit_outcome(0xFFFFFFFF).error == "0xFFFFFFFF unknown"


@given(st.integers(min_value=1, max_value=0xFFFFFFFF))
def test_every_code_is_either_retried_or_refused(code: int):
    outcome = submit_outcome(code)
    assert outcome.retry is (outcome.detailed_status is None)
    assert not outcome.throttle or outcome.retry
    assert outcome.error.startswith(f"0x{code:08X} ")


# --- receipts: the text form ---------------------------------------------------------------


def receipt(
    stat: str = "DELIVRD",
    *,
    carrier_id: str = "0A1B2C3D",
    err: str = "000",
    text: str = "Hello world",
) -> bytes:
    return (
        f"id:{carrier_id} sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 "
        f"stat:{stat} err:{err} text:{text}"
    ).encode("latin-1")


STATS = {
    "DELIVRD": (D, "Delivered", True),
    "DELIVERED": (D, "Delivered", True),
    "EXPIRED": (X, "Expired", True),
    "UNDELIV": (X, "Undelivered", True),
    "UNDELIVERABLE": (X, "Undelivered", True),
    "UNDELIVERED": (X, "Undelivered", True),
    "SKIPPED": (X, "Undelivered", True),
    "UNKNOWN": (X, "Unknown Status", True),
    "REJECTD": (F, "Carrier Violation", True),
    "REJECTED": (F, "Carrier Violation", True),
    "DELETED": (F, "Failed", True),
    "FAILED": (F, "Failed", True),
    "ENROUTE": (S, "Sent", False),
    "ACCEPTD": (S, "Sent", False),
    "ACCEPTED": (S, "Sent", False),
    "SCHEDULED": (S, "Sent", False),
}


@pytest.mark.parametrize(("stat", "expected"), list(STATS.items()))
def test_every_stat(stat: str, expected: tuple[MessageStatus, str, bool]):
    parsed = parse_receipt(receipt(stat), {})
    assert parsed == ParsedReceipt(
        carrier_message_id="a1b2c3d",
        status=expected[0],
        detailed_status=expected[1],
        final=expected[2],
        error="000",
        submitted_at=datetime(2024, 1, 2, 15, 30, tzinfo=UTC),
        done_at=datetime(2024, 1, 2, 15, 31, tzinfo=UTC),
    )


@pytest.mark.parametrize("stat", ["delivrd", "Delivrd", "dElIvErEd"])
def test_stat_in_any_case(stat: str):
    parsed = parse_receipt(receipt(stat), {})
    assert parsed is not None
    assert parsed.status is D


def test_an_unreadable_stat_is_kept_but_moves_nothing():
    parsed = parse_receipt(receipt("WHATEVER"), {})
    assert parsed is not None
    assert (parsed.status, parsed.detailed_status, parsed.final) == (S, "Unknown Status", False)


def test_only_id_and_stat():
    assert parse_receipt(b"id:42 stat:DELIVRD", {}) == ParsedReceipt(
        "42", D, "Delivered", True, None, None, None
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"Hello, are we still on for tonight?",
        b"id:42 sub:001 dlvrd:001 err:000 text:no stat",
        b"sub:001 dlvrd:001 stat:DELIVRD err:000 text:no id",
        b"id: stat:DELIVRD",
        b"id:42 stat:",
        b"id:42 text:stat:DELIVRD",
        b"id:\x00\x00 stat:DELIVRD",
        b"xid:42 xstat:DELIVRD",
    ],
)
def test_not_a_receipt(body: bytes):
    assert parse_receipt(body, {}) is None


def test_keys_in_any_order_and_case():
    body = b"STAT:UNDELIV Err:001 Done Date:2401021531 ID:00FF Submit DATE:2401021530 text:x"
    parsed = parse_receipt(body, {})
    assert parsed == ParsedReceipt(
        "ff",
        X,
        "Unknown Number",
        True,
        "001",
        datetime(2024, 1, 2, 15, 30, tzinfo=UTC),
        datetime(2024, 1, 2, 15, 31, tzinfo=UTC),
    )


FIELDS = {
    "id": "12345",
    "sub": "001",
    "dlvrd": "001",
    "submit date": "2401021530",
    "done date": "240102153159",
    "stat": "EXPIRED",
    "err": "027",
}


@settings(max_examples=200)
@given(
    st.permutations(list(FIELDS)),
    st.lists(st.sampled_from([" ", "  ", "\t", "\r\n", " \t "]), min_size=8, max_size=8),
    st.booleans(),
    st.booleans(),
)
def test_any_order_and_spacing(order: list[str], gaps: list[str], upper: bool, space: bool):
    parts = [
        f"{key.upper() if upper else key}:{' ' if space else ''}{FIELDS[key]}" for key in order
    ]
    body = "".join(gap + part for gap, part in zip(gaps, parts, strict=False)) + " text:hi"
    parsed = parse_receipt(body.encode(), {})
    assert parsed == ParsedReceipt(
        "12345",
        X,
        "Expired",
        True,
        "027",
        datetime(2024, 1, 2, 15, 30, tzinfo=UTC),
        datetime(2024, 1, 2, 15, 31, 59, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "body",
    [
        b"id:  77   sub:001   stat:   DELIVRD   err:000",
        b"id : 77 stat : DELIVRD err : 000",
        b"\n\tid:77\n\tstat:DELIVRD\n\terr:000\n",
        b"id:77 stat:DELIVRD err:000\x00\x00",
        b"id:77 submit_date:2401021530 done_date:2401021531 stat:DELIVRD err:000",
        b"id:77 submit   date:2401021530 done\tdate:2401021531 stat:DELIVRD err:000",
    ],
)
def test_extra_spaces(body: bytes):
    parsed = parse_receipt(body, {})
    assert parsed is not None
    assert (parsed.carrier_message_id, parsed.status, parsed.error) == ("77", D, "000")


def test_both_date_spellings():
    body = b"id:77 submit_date:2401021530 done   date:2401021531 stat:DELIVRD"
    parsed = parse_receipt(body, {})
    assert parsed is not None
    assert parsed.submitted_at == datetime(2024, 1, 2, 15, 30, tzinfo=UTC)
    assert parsed.done_at == datetime(2024, 1, 2, 15, 31, tzinfo=UTC)


def test_the_text_after_text_is_not_read():
    body = receipt("UNDELIV", text="stat:DELIVRD id:999 err:001 done date:2501010000")
    parsed = parse_receipt(body, {})
    assert parsed is not None
    assert (parsed.carrier_message_id, parsed.status, parsed.detailed_status) == (
        "a1b2c3d",
        X,
        "Undelivered",
    )
    assert parsed.error == "000"
    assert parsed.done_at == datetime(2024, 1, 2, 15, 31, tzinfo=UTC)


def test_an_empty_text_and_no_text():
    assert parse_receipt(b"id:1 stat:DELIVRD text:", {}) is not None
    assert parse_receipt(b"id:1 stat:DELIVRD", {}) is not None


def test_the_first_of_a_repeated_key_counts():
    parsed = parse_receipt(b"id:1 stat:DELIVRD stat:UNDELIV", {})
    assert parsed is not None
    assert parsed.status is D


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2401021530", datetime(2024, 1, 2, 15, 30, tzinfo=UTC)),
        ("240102153059", datetime(2024, 1, 2, 15, 30, 59, tzinfo=UTC)),
        ("20240102153059", datetime(2024, 1, 2, 15, 30, 59, tzinfo=UTC)),
        ("9912312359", datetime(2099, 12, 31, 23, 59, tzinfo=UTC)),
        ("2402291200", datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        ("2302291200", None),
        ("2413011200", None),
        ("2401320000", None),
        ("2401012400", None),
        ("2401010060", None),
        ("240101000060", None),
        ("240101000", None),
        ("24010100000", None),
        ("24O1021530", None),
        ("２４０１０２１５３０", None),
    ],
)
def test_dates(value: str, expected: datetime | None):
    body = f"id:1 submit date:{value} done date:{value} stat:DELIVRD".encode()
    parsed = parse_receipt(body, {})
    assert parsed is not None
    assert parsed.submitted_at == expected
    assert parsed.done_at == expected


def test_latin1_and_garbage_around_the_fields():
    body = b"\xff\xfe\x80id:\xe9 stat:DELIVRD err:\xa0\x81 text:caf\xe9 \x00\xff"
    parsed = parse_receipt(body, {})
    assert parsed is not None
    assert (parsed.carrier_message_id, parsed.status) == ("é", D)


def test_a_ucs2_receipt():
    parsed = parse_receipt("id:abc stat:EXPIRED err:000 text:ü".encode("utf-16-be"), {})
    assert parsed is not None
    assert (parsed.carrier_message_id, parsed.status, parsed.error) == ("abc", X, "000")


def test_message_payload_stands_in_for_an_empty_short_message():
    parsed = parse_receipt(b"", {MESSAGE_PAYLOAD: b"id:5 stat:DELIVRD"})
    assert parsed is not None
    assert parsed.carrier_message_id == "5"
    ignored = parse_receipt(b"id:6 stat:EXPIRED", {MESSAGE_PAYLOAD: b"id:5 stat:DELIVRD"})
    assert ignored is not None
    assert (ignored.carrier_message_id, ignored.status) == ("6", X)


@settings(max_examples=500)
@given(
    st.binary(max_size=300),
    st.dictionaries(
        st.sampled_from([RECEIPTED_MESSAGE_ID, MESSAGE_STATE, NETWORK_ERROR_CODE, 0x0424, 7]),
        st.binary(max_size=8),
    ),
)
def test_never_raises_on_arbitrary_bytes(body: bytes, tlvs: dict[int, bytes]):
    parsed = parse_receipt(body, tlvs)
    if parsed is not None:
        assert parsed.carrier_message_id
        assert parsed.detailed_status in set(Detailed)
        assert parsed.final is (parsed.status is not S)


_fragments = st.sampled_from(
    ["id:", "stat:", "err:", "text:", "submit date:", "done date:", " ", "DELIVRD", "0x", "9"]
)


@settings(max_examples=500)
@given(st.lists(st.one_of(_fragments, st.text(max_size=5)), max_size=30))
def test_never_raises_on_receipt_like_text(pieces: list[str]):
    for encoding in ("utf-8", "utf-16-be"):
        parse_receipt("".join(pieces).encode(encoding, errors="replace"), {})


# --- receipts: undeliverable refined by GSM error ------------------------------------------


@pytest.mark.parametrize(
    ("err", "detailed"),
    [
        ("001", "Unknown Number"),
        ("005", "Unknown Number"),
        ("006", "Undelivered on Handset"),
        ("008", "Roaming"),
        ("011", "Call Barred"),
        ("013", "Call Barred"),
        ("027", "Undelivered on Handset"),
        ("031", "Undelivered on Handset"),
        ("032", "Undelivered on Handset"),
        ("033", "Undelivered on Handset"),
        ("1", "Unknown Number"),
        ("0x0D", "Call Barred"),
        ("000", "Undelivered"),
        ("034", "Undelivered"),
        ("999", "Undelivered"),
        ("ABC", "Undelivered"),
        ("0xZZ", "Undelivered"),
        ("0000000000000000000001", "Undelivered"),
    ],
)
def test_undeliverable_refined_by_err(err: str, detailed: str):
    parsed = parse_receipt(receipt("UNDELIV", err=err), {})
    assert parsed is not None
    assert (parsed.status, parsed.detailed_status, parsed.error) == (X, detailed, err)


def test_the_gsm_table_is_the_documented_one():
    assert set(GSM_ERRORS) == {1, 5, 6, 8, 11, 13, 27, 31, 32, 33}


@pytest.mark.parametrize("stat", ["DELIVRD", "EXPIRED", "REJECTD", "UNKNOWN", "ENROUTE"])
def test_only_undeliverable_is_refined(stat: str):
    parsed = parse_receipt(receipt(stat, err="001"), {})
    assert parsed is not None
    assert parsed.detailed_status == STATS[stat][1]


def test_a_long_err_is_cut():
    parsed = parse_receipt(receipt("UNDELIV", err="E" * 100), {})
    assert parsed is not None
    assert parsed.error == "E" * 32


def test_no_err():
    parsed = parse_receipt(b"id:1 stat:UNDELIV", {})
    assert parsed is not None
    assert (parsed.detailed_status, parsed.error) == ("Undelivered", None)


# --- receipts: TLVs ------------------------------------------------------------------------

MESSAGE_STATES = {
    0: (S, "Sent", False),  # SCHEDULED (SMPP 5.0)
    1: (S, "Sent", False),  # ENROUTE
    2: (D, "Delivered", True),  # DELIVERED
    3: (X, "Expired", True),  # EXPIRED
    4: (F, "Failed", True),  # DELETED
    5: (X, "Undelivered", True),  # UNDELIVERABLE
    6: (S, "Sent", False),  # ACCEPTED
    7: (X, "Unknown Status", True),  # UNKNOWN
    8: (F, "Carrier Violation", True),  # REJECTED
    9: (X, "Undelivered", True),  # SKIPPED (SMPP 5.0)
}


@pytest.mark.parametrize(("state", "expected"), list(MESSAGE_STATES.items()))
def test_every_message_state(state: int, expected: tuple[MessageStatus, str, bool]):
    tlvs = {RECEIPTED_MESSAGE_ID: b"0A1B\x00", MESSAGE_STATE: bytes([state])}
    assert parse_receipt(b"", tlvs) == ParsedReceipt("a1b", *expected, None, None, None)


@pytest.mark.parametrize(("state", "expected"), list(MESSAGE_STATES.items()))
def test_message_state_wins_over_stat(state: int, expected: tuple[MessageStatus, str, bool]):
    text_stat = "UNKNOWN" if expected[0] is not X else "DELIVRD"
    parsed = parse_receipt(receipt(text_stat), {MESSAGE_STATE: bytes([state])})
    assert parsed is not None
    assert (parsed.status, parsed.detailed_status, parsed.final) == expected


def test_tlvs_win_over_the_text():
    tlvs = {
        RECEIPTED_MESSAGE_ID: b"FFFF\x00",
        MESSAGE_STATE: b"\x05",
        NETWORK_ERROR_CODE: b"\x03\x00\x0d",
    }
    parsed = parse_receipt(receipt("DELIVRD", carrier_id="1234", err="000"), tlvs)
    assert parsed == ParsedReceipt(
        "ffff",
        X,
        "Call Barred",
        True,
        "0x03:000D",
        datetime(2024, 1, 2, 15, 30, tzinfo=UTC),
        datetime(2024, 1, 2, 15, 31, tzinfo=UTC),
    )


def test_each_tlv_alone_wins_over_its_field():
    body = receipt("UNDELIV", carrier_id="1234", err="001")
    only_id = parse_receipt(body, {RECEIPTED_MESSAGE_ID: b"99"})
    assert only_id is not None
    assert (only_id.carrier_message_id, only_id.detailed_status) == ("99", "Unknown Number")
    only_error = parse_receipt(body, {NETWORK_ERROR_CODE: b"\x03\x00\x1b"})
    assert only_error is not None
    assert (only_error.carrier_message_id, only_error.error) == ("1234", "0x03:001B")
    assert only_error.detailed_status == "Undelivered on Handset"


@pytest.mark.parametrize("network", [1, 2, 0, 4, 0xFF])
def test_only_gsm_network_errors_refine(network: int):
    tlvs = {NETWORK_ERROR_CODE: bytes([network, 0, 1])}
    parsed = parse_receipt(receipt("UNDELIV", err="013"), tlvs)
    assert parsed is not None
    assert parsed.detailed_status == "Undelivered"
    assert parsed.error == f"0x{network:02X}:0001"


@pytest.mark.parametrize(
    "tlvs",
    [
        {MESSAGE_STATE: b""},
        {MESSAGE_STATE: b"\x02\x00"},
        {MESSAGE_STATE: b"\x0a"},
        {MESSAGE_STATE: b"\xff"},
        {RECEIPTED_MESSAGE_ID: b""},
        {RECEIPTED_MESSAGE_ID: b"\x00"},
        {RECEIPTED_MESSAGE_ID: b"\x00\x00\x00\x00"},
        {NETWORK_ERROR_CODE: b"\x03\x00"},
        {NETWORK_ERROR_CODE: b"\x03\x00\x00\x01"},
    ],
)
def test_malformed_tlvs_fall_back_to_the_text(tlvs: dict[int, bytes]):
    parsed = parse_receipt(receipt("UNDELIV", err="013"), tlvs)
    assert parsed is not None
    assert (parsed.carrier_message_id, parsed.status, parsed.detailed_status) == (
        "a1b2c3d",
        X,
        "Call Barred",
    )
    assert parsed.error == "013"


def test_tlvs_without_text():
    assert parse_receipt(b"", {RECEIPTED_MESSAGE_ID: b"1\x00"}) is None
    assert parse_receipt(b"", {MESSAGE_STATE: b"\x02"}) is None
    assert parse_receipt(b"id:7", {MESSAGE_STATE: b"\x02"}) == ParsedReceipt(
        "7", D, "Delivered", True, None, None, None
    )
    assert parse_receipt(b"stat:DELIVRD", {RECEIPTED_MESSAGE_ID: b"7\x00"}) == ParsedReceipt(
        "7", D, "Delivered", True, None, None, None
    )


def test_a_receipted_message_id_is_read_up_to_its_nul():
    parsed = parse_receipt(b"", {RECEIPTED_MESSAGE_ID: b"00Ab\x00junk", MESSAGE_STATE: b"\x02"})
    assert parsed is not None
    assert parsed.carrier_message_id == "ab"


# --- carrier message ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ABCDEF", "abcdef"),
        ("0A1b2C", "a1b2c"),
        ("0000abcd", "abcd"),
        ("abcd\x00\x00\x00", "abcd"),
        ("\x00abcd", "abcd"),
        ("  12 \n", "12"),
        ("0012", "12"),
        ("1200", "1200"),
        ("000", "0"),
        ("0", "0"),
        ("0\x00", "0"),
        (" 0 ", "0"),
        ("", ""),
        ("\x00\x00", ""),
        ("   ", ""),
        ("0 0 7", "7"),
        ("F9C3E0A2-17B4-4D2B-9A7E-0C5D1F6A2B10", "f9c3e0a2-17b4-4d2b-9a7e-0c5d1f6a2b10"),
        ("ab\x00cd", "ab\x00cd"),
    ],
)
def test_normalise_id(raw: str, expected: str):
    assert normalise_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("43981", "abcd"),
        ("0043981", "abcd"),
        ("255\x00", "ff"),
        ("16", "10"),
        ("0", "0"),
        ("abcd", "abcd"),
        ("ABCD", "abcd"),
        ("12-34", "12-34"),
        ("18446744073709551615", "ffffffffffffffff"),
    ],
)
def test_decimal_receipt_ids_to_hex(raw: str, expected: str):
    assert normalise_id(raw, hex_ids=True) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ABCD", "43981"),
        ("00ff", "255"),
        ("12", "18"),
        ("0", "0"),
        ("xyz", "xyz"),
        ("ab-cd", "ab-cd"),
        ("FFFFFFFFFFFFFFFF", "18446744073709551615"),
    ],
)
def test_hex_receipt_ids_to_decimal(raw: str, expected: str):
    assert normalise_id(raw, hex_ids=False) == expected


def test_very_long_digit_runs_are_not_converted():
    digits = "9" * 5000
    assert normalise_id(digits, hex_ids=True) == digits
    assert normalise_id(digits, hex_ids=False) == digits


def test_a_submit_id_and_its_receipt_id_meet():
    # submit_sm_resp gave hex, the receipt quotes it in decimal (and the reverse).
    assert normalise_id("0000ABCD") == normalise_id("43981", hex_ids=True)
    assert normalise_id("43981") == normalise_id("0000abcd\x00", hex_ids=False)
    # submit_sm_resp's hex id made only of decimal digits: its receipt says 4660.
    assert normalise_id("00001234") == normalise_id("4660", hex_ids=True)


@given(st.integers(min_value=0, max_value=2**128))
def test_hex_and_decimal_meet_for_any_number(number: int):
    assert normalise_id(format(number, "X").zfill(10)) == normalise_id(str(number), hex_ids=True)
    assert normalise_id(str(number)) == normalise_id(format(number, "x"), hex_ids=False)


_ids = st.one_of(
    st.text(),
    st.text(alphabet=string.hexdigits + "\x00 \t\n", max_size=40),
    st.text(alphabet="0123456789\x00 ", max_size=40),
)


@settings(max_examples=500)
@given(_ids, st.sampled_from([None, True, False]))
def test_normalise_id_is_idempotent(raw: str, hex_ids: bool | None):
    once = normalise_id(raw, hex_ids=hex_ids)
    assert normalise_id(once) == once
    assert normalise_id(normalise_id(raw), hex_ids=hex_ids) == once
    if hex_ids is None:
        assert normalise_id(once, hex_ids=None) == once


def test_converting_twice_is_not_a_no_op():
    # Documented: the conversion is applied once, to receipt ids.
    assert normalise_id(normalise_id("16", hex_ids=True), hex_ids=True) == "a"
