"""What the simulated network decides about a submitted part, and the receipt it sends back:
the outcome roll, the text form (``id: sub: dlvrd: …``) and the TLVs of a receipt's
deliver_sm, and message ids in hex or decimal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal

from smscast.domain.gsm7 import decode_septets
from smscast.domain.smpp import DELIVERY_RECEIPT, TLV, UDHI, Command, Pdu

IdFormat = Literal["hex", "decimal"]
ReceiptForm = Literal["text", "tlv", "both"]

TEXT_CHARS: Final = 20
_NETWORK_GSM: Final = 3  # network_error_code: network type GSM, then a 2-octet error


class Outcome(StrEnum):
    """A receipt's ``stat:``; the value is what the text form carries."""

    DELIVERED = "DELIVRD"
    UNDELIVERED = "UNDELIV"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTD"


# message_state TLV values (SMPP 3.4, 5.2.28) and the err: / network error code we send.
MESSAGE_STATE: Final = {
    Outcome.DELIVERED: 2,
    Outcome.EXPIRED: 3,
    Outcome.UNDELIVERED: 5,
    Outcome.REJECTED: 8,
}
ERROR_CODE: Final = {
    Outcome.DELIVERED: 0,
    Outcome.UNDELIVERED: 1,
    Outcome.EXPIRED: 2,
    Outcome.REJECTED: 3,
}


def roll(seed: int, destination: str, part: int, what: str) -> float:
    """A number in [0, 1) that depends only on its inputs."""
    digest = hashlib.blake2b(f"{seed}:{destination}:{part}:{what}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


def choose_outcome(
    chance: float, *, undelivered: float, expired: float, rejected: float
) -> Outcome:
    """The outcome a ``chance`` in [0, 1) falls on; delivered takes what the shares leave."""
    for outcome, share in (
        (Outcome.UNDELIVERED, undelivered),
        (Outcome.EXPIRED, expired),
        (Outcome.REJECTED, rejected),
    ):
        if chance < share:
            return outcome
        chance -= share
    return Outcome.DELIVERED


def format_id(number: int, form: IdFormat) -> str:
    """A message id: lower-case hex zero-padded to 10 digits, or plain decimal."""
    return f"{number:010x}" if form == "hex" else str(number)


def user_data(pdu: Pdu) -> tuple[int, bytes]:
    """(part number, short_message without its UDH) of a submit_sm; part 1 without UDH."""
    message = pdu.short_message()
    if not pdu.number("esm_class") & UDHI or not message:
        return 1, message
    end = 1 + message[0]
    header, at = message[1:end], 0
    part = 1
    while at + 2 <= len(header):
        iei, size = header[at], header[at + 1]
        element = header[at + 2 : at + 2 + size]
        if iei == 0x00 and size == 3:  # concatenation, 8-bit reference
            part = element[2]
        elif iei == 0x08 and size == 4:  # concatenation, 16-bit reference
            part = element[3]
        at += 2 + size
    return part, message[end:]


def message_text(data_coding: int, payload: bytes) -> str:
    """The first characters of a part as printable ASCII, for the receipt's ``text:``; ''
    for binary or undecodable payloads."""
    alphabet = data_coding & 0xEF  # message class 0 (flash) keeps the alphabet
    try:
        if alphabet == 0x00:
            text = decode_septets(payload)
        elif alphabet == 0x08:
            text = payload.decode("utf-16-be")
        elif alphabet in (0x01, 0x03):
            text = payload.decode("latin-1")
        else:
            return ""
    except ValueError:
        return ""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text[:TEXT_CHARS])


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt owed to ``system_id`` for the part it submitted as ``message_id``."""

    system_id: str
    message_id: int
    outcome: Outcome
    submitted_at: datetime
    # The submit's addresses: the receipt travels the other way.
    source: tuple[int, int, str]
    destination: tuple[int, int, str]
    text: str


def receipt_text(receipt: Receipt, message_id: str, done_at: datetime) -> str:
    delivered = receipt.outcome is Outcome.DELIVERED
    return (
        f"id:{message_id} sub:001 dlvrd:{'001' if delivered else '000'} "
        f"submit date:{receipt.submitted_at:%y%m%d%H%M} done date:{done_at:%y%m%d%H%M} "
        f"stat:{receipt.outcome.value} err:{ERROR_CODE[receipt.outcome]:03d} "
        f"text:{receipt.text}"
    )


def deliver_sm(
    receipt: Receipt, sequence: int, done_at: datetime, form: ReceiptForm, id_format: IdFormat
) -> Pdu:
    """The receipt as a deliver_sm (esm_class 0x04): its text form, its TLVs, or both."""
    message_id = format_id(receipt.message_id, id_format)
    text = receipt_text(receipt, message_id, done_at) if form != "tlv" else ""
    tlvs: dict[int, bytes] = {}
    if form != "text":
        tlvs[TLV.RECEIPTED_MESSAGE_ID] = message_id.encode("ascii") + b"\x00"
        tlvs[TLV.MESSAGE_STATE] = bytes((MESSAGE_STATE[receipt.outcome],))
        error = ERROR_CODE[receipt.outcome]
        if error:
            tlvs[TLV.NETWORK_ERROR_CODE] = bytes((_NETWORK_GSM,)) + error.to_bytes(2, "big")
    handset_ton, handset_npi, handset = receipt.destination
    sender_ton, sender_npi, sender = receipt.source
    return Pdu(
        Command.DELIVER_SM,
        sequence,
        params={
            "source_addr_ton": handset_ton,
            "source_addr_npi": handset_npi,
            "source_addr": handset,
            "dest_addr_ton": sender_ton,
            "dest_addr_npi": sender_npi,
            "destination_addr": sender,
            "esm_class": DELIVERY_RECEIPT,
            "data_coding": 0,
            "short_message": text.encode("ascii"),
        },
        tlvs=tlvs,
    )
