"""SMPP 3.4 PDUs: encoding and decoding of the operations an ESME and an SMSC exchange, and
the submit_sm fields smscast sends (data coding, UDH concatenation, validity, TON/NPI).

Written by hand rather than taken from aiosmpplib: its PDU classes are tied to its own
session, window-less sender and correlator, and its SAR splitting disagrees with our
analysis; a codec of the dozen operations we use is short, pure and testable byte for byte,
and lets the ESME own its window and the simulator share the exact same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from smscast.domain.gsm7 import encode_septets

HEADER: Final = struct.Struct(">IIII")
MAX_PDU: Final = 64 * 1024
INTERFACE_VERSION: Final = 0x34


class Command(IntEnum):
    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015


class Status(IntEnum):
    """The command_status values smscast itself sends or reacts to by name."""

    OK = 0x00000000
    INVALID_MESSAGE_LENGTH = 0x00000001
    INVALID_COMMAND_ID = 0x00000003
    INVALID_BIND_STATUS = 0x00000004
    ALREADY_BOUND = 0x00000005
    SYSTEM_ERROR = 0x00000008
    INVALID_DESTINATION = 0x0000000B
    BIND_FAILED = 0x0000000D
    INVALID_PASSWORD = 0x0000000E
    INVALID_SYSTEM_ID = 0x0000000F
    MESSAGE_QUEUE_FULL = 0x00000014
    SUBMIT_FAILED = 0x00000045
    THROTTLED = 0x00000058


class TLV(IntEnum):
    RECEIPTED_MESSAGE_ID = 0x001E
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_STATE = 0x0427
    SC_INTERFACE_VERSION = 0x0210


# The body of each operation: (name, kind) with kind "c" (C-octet string), "u8" (one octet)
# or "sm" (sm_length + short_message). Responses to binds and submits carry one C string.
_BIND = (
    ("system_id", "c"),
    ("password", "c"),
    ("system_type", "c"),
    ("interface_version", "u8"),
    ("addr_ton", "u8"),
    ("addr_npi", "u8"),
    ("address_range", "c"),
)
_SM = (
    ("service_type", "c"),
    ("source_addr_ton", "u8"),
    ("source_addr_npi", "u8"),
    ("source_addr", "c"),
    ("dest_addr_ton", "u8"),
    ("dest_addr_npi", "u8"),
    ("destination_addr", "c"),
    ("esm_class", "u8"),
    ("protocol_id", "u8"),
    ("priority_flag", "u8"),
    ("schedule_delivery_time", "c"),
    ("validity_period", "c"),
    ("registered_delivery", "u8"),
    ("replace_if_present_flag", "u8"),
    ("data_coding", "u8"),
    ("sm_default_msg_id", "u8"),
    ("short_message", "sm"),
)
_ID = (("message_id", "c"),)
_SYSTEM = (("system_id", "c"),)
LAYOUTS: Final[Mapping[Command, tuple[tuple[str, str], ...]]] = {
    Command.BIND_RECEIVER: _BIND,
    Command.BIND_TRANSMITTER: _BIND,
    Command.BIND_TRANSCEIVER: _BIND,
    Command.BIND_RECEIVER_RESP: _SYSTEM,
    Command.BIND_TRANSMITTER_RESP: _SYSTEM,
    Command.BIND_TRANSCEIVER_RESP: _SYSTEM,
    Command.SUBMIT_SM: _SM,
    Command.DELIVER_SM: _SM,
    Command.SUBMIT_SM_RESP: _ID,
    Command.DELIVER_SM_RESP: _ID,
}
_DEFAULTS: Final = {"c": "", "u8": 0, "sm": b""}
BIND_RESPONSES: Final = {
    Command.BIND_RECEIVER: Command.BIND_RECEIVER_RESP,
    Command.BIND_TRANSMITTER: Command.BIND_TRANSMITTER_RESP,
    Command.BIND_TRANSCEIVER: Command.BIND_TRANSCEIVER_RESP,
}

# esm_class bits
UDHI: Final = 0x40
RECEIPT_BITS: Final = 0x3C  # message type bits of esm_class on a deliver_sm
DELIVERY_RECEIPT: Final = 0x04
# data_coding
GSM7: Final = 0x00
UCS2: Final = 0x08
FLASH: Final = 0x10  # message class 0 ("flash"), with the alphabet in bits 2-3
# TON / NPI
TON_INTERNATIONAL: Final = 1
TON_ALPHANUMERIC: Final = 5
NPI_ISDN: Final = 1
NPI_UNKNOWN: Final = 0


class PduError(ValueError):
    """Bytes that are not a PDU we can read; ``status`` is what to answer with."""

    def __init__(self, message: str, status: int = Status.INVALID_MESSAGE_LENGTH) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Pdu:
    command_id: int
    sequence: int
    status: int = 0
    params: dict[str, object] = field(default_factory=dict)
    tlvs: dict[int, bytes] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = self.params.get(name, "")
        return value if isinstance(value, str) else ""

    def number(self, name: str) -> int:
        value = self.params.get(name, 0)
        return value if isinstance(value, int) else 0

    def short_message(self) -> bytes:
        value = self.params.get("short_message", b"")
        return value if isinstance(value, bytes) else b""


def encode(pdu: Pdu) -> bytes:
    """The PDU's bytes, header included."""
    body = bytearray()
    # An error response to a submit (and a generic_nack) carries no body at all.
    layout = () if pdu.status and pdu.command_id & 0x80000000 else _layout(pdu.command_id)
    for name, kind in layout:
        value = pdu.params.get(name, _DEFAULTS[kind])
        if kind == "c":
            assert isinstance(value, str)
            body += value.encode("latin-1") + b"\x00"
        elif kind == "u8":
            assert isinstance(value, int)
            body.append(value & 0xFF)
        else:
            assert isinstance(value, bytes)
            if len(value) > 254:
                raise PduError("short_message longer than 254 octets")
            body.append(len(value))
            body += value
    for tag, value in pdu.tlvs.items():
        body += struct.pack(">HH", tag, len(value)) + value
    return HEADER.pack(HEADER.size + len(body), pdu.command_id, pdu.status, pdu.sequence) + body


def decode(data: bytes) -> Pdu:
    """A PDU from its bytes (header included); ``PduError`` for anything malformed."""
    if len(data) < HEADER.size:
        raise PduError("shorter than a PDU header")
    length, command_id, status, sequence = HEADER.unpack_from(data)
    if length != len(data):
        raise PduError(f"command_length {length} but {len(data)} octets")
    pdu = Pdu(command_id, sequence, status)
    at = HEADER.size
    layout = () if status and command_id & 0x80000000 and at == length else _layout(command_id)
    for name, kind in layout:
        if at >= length and kind == "c" and command_id & 0x80000000:
            break  # some SMSCs omit message_id on a response
        if kind == "c":
            end = data.find(b"\x00", at, length)
            if end < 0:
                raise PduError(f"{name} is not NUL-terminated")
            pdu.params[name] = data[at:end].decode("latin-1")
            at = end + 1
        elif kind == "u8":
            if at >= length:
                raise PduError(f"{name} missing")
            pdu.params[name] = data[at]
            at += 1
        else:
            if at >= length:
                raise PduError("sm_length missing")
            size = data[at]
            if at + 1 + size > length:
                raise PduError("short_message runs past the PDU")
            pdu.params[name] = bytes(data[at + 1 : at + 1 + size])
            at += 1 + size
    while at < length:
        if at + 4 > length:
            raise PduError("truncated TLV header")
        tag, size = struct.unpack_from(">HH", data, at)
        if at + 4 + size > length:
            raise PduError("TLV runs past the PDU")
        pdu.tlvs[tag] = bytes(data[at + 4 : at + 4 + size])
        at += 4 + size
    return pdu


def _layout(command_id: int) -> tuple[tuple[str, str], ...]:
    try:
        return LAYOUTS.get(Command(command_id), ())
    except ValueError:
        return ()


def response_to(request: Pdu, status: int = 0, **params: object) -> Pdu:
    """The response PDU to ``request`` (same sequence number)."""
    return Pdu(request.command_id | 0x80000000, request.sequence, status, dict(params))


def c_string(value: bytes) -> str:
    """A TLV's C-octet string value."""
    return value.split(b"\x00", 1)[0].decode("latin-1")


# -- what smscast sends ---------------------------------------------------------------------


def address(number: str) -> tuple[int, int, str]:
    """(TON, NPI, address) of a sender or recipient: an alphanumeric sender is TON 5;
    a number is international ISDN, without its '+'."""
    digits = number[1:] if number.startswith("+") else number
    if digits.isdigit():
        return TON_INTERNATIONAL, NPI_ISDN, digits
    return TON_ALPHANUMERIC, NPI_UNKNOWN, number


def data_coding(unicode: bool, flash: bool) -> int:
    return (UCS2 if unicode else GSM7) | (FLASH if flash else 0)


def relative_validity(minutes: int) -> str:
    """SMPP relative time "YYMMDDhhmmss000R" for a validity of ``minutes``."""
    minutes = max(1, minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    years, days = divmod(days, 365)
    months, days = divmod(days, 30)
    return f"{years:02d}{months:02d}{days:02d}{hours:02d}{mins:02d}00000R"


def concatenation_headers(reference: int, total: int) -> list[bytes]:
    """User data headers of a concatenated message (IEI 0x00, 8-bit reference)."""
    if total <= 1:
        return [b""]
    ref = reference & 0xFF
    return [bytes((0x05, 0x00, 0x03, ref, total, number)) for number in range(1, total + 1)]


def submit_sms(
    *,
    sequences: Sequence[int],
    sender: str,
    to: str,
    payloads: Sequence[bytes],
    unicode: bool,
    flash: bool,
    validity_minutes: int,
    reference: int,
) -> list[Pdu]:
    """One submit_sm per part: each part's encoded text after its UDH, as analysed."""
    source_ton, source_npi, source = address(sender)
    dest_ton, dest_npi, destination = address(to)
    headers = concatenation_headers(reference, len(payloads))
    pdus: list[Pdu] = []
    for sequence, header, payload in zip(sequences, headers, payloads, strict=True):
        pdus.append(
            Pdu(
                Command.SUBMIT_SM,
                sequence,
                params={
                    "source_addr_ton": source_ton,
                    "source_addr_npi": source_npi,
                    "source_addr": source,
                    "dest_addr_ton": dest_ton,
                    "dest_addr_npi": dest_npi,
                    "destination_addr": destination,
                    "esm_class": UDHI if header else 0,
                    "validity_period": relative_validity(validity_minutes),
                    "registered_delivery": 1,
                    "data_coding": data_coding(unicode, flash),
                    "short_message": header + payload,
                },
            )
        )
    return pdus


def encode_part(text: str, unicode: bool) -> bytes:
    """A part's text as short_message octets: GSM-7 unpacked, one septet per octet (escape
    pairs included; the SMSC packs), or UCS-2 big-endian."""
    return text.encode("utf-16-be") if unicode else encode_septets(text)
