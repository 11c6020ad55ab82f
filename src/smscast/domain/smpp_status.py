"""What an SMSC's answers mean for a message: `submit_sm_resp` command statuses as a retry or
a final refusal, delivery receipts (SMPP 3.4 Appendix B text and the receipt TLVs) as
statuses, and the carrier message id normalisation both sides are matched by."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Final

from smscast.domain.campaigns import MessageStatus
from smscast.domain.lifecycle import Detailed

# --- submit_sm_resp ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """What a non-zero ``command_status`` means for the part that was submitted."""

    retry: bool  # transient: submit again later; the message is not failed
    throttle: bool  # the carrier asked us to slow down (the ESME lowers its rate)
    detailed_status: str | None  # for a final refusal, a ``Detailed`` value; else None
    error: str  # "0x00000058 ESME_RTHROTTLED", for logs and the message's error column


class _Again(Enum):
    RETRY = "retry"
    THROTTLE = "throttle"


_RETRY, _THROTTLE = _Again.RETRY, _Again.THROTTLE
_FAILED, _UNKNOWN_NUMBER, _VIOLATION = (
    Detailed.FAILED,
    Detailed.UNKNOWN_NUMBER,
    Detailed.CARRIER_VIOLATION,
)

# Every command_status of SMPP 3.4 §5.1.3 (and the 0x100–0x112 block SMPP 5.0 added, which
# SMSCs send on 3.4 binds too), with what it means for a submitted message. Transient: the
# SMSC or the session is the problem, not the message — throttling and a full queue (slow
# down), a system error or temporary application error, and anything about the bind (the
# ESME rebinds; a wrong password must not fail a campaign, its messages wait for their TTL).
# Final: the message or its addressing is at fault and will be refused again.
_COMMAND_STATUSES: Final[Mapping[int, tuple[str, _Again | Detailed]]] = {
    0x00000001: ("ESME_RINVMSGLEN", _FAILED),
    0x00000002: ("ESME_RINVCMDLEN", _FAILED),
    0x00000003: ("ESME_RINVCMDID", _FAILED),
    0x00000004: ("ESME_RINVBNDSTS", _RETRY),
    0x00000005: ("ESME_RALYBND", _RETRY),
    0x00000006: ("ESME_RINVPRTFLG", _FAILED),
    0x00000007: ("ESME_RINVREGDLVFLG", _FAILED),
    0x00000008: ("ESME_RSYSERR", _RETRY),
    0x0000000A: ("ESME_RINVSRCADR", _VIOLATION),
    0x0000000B: ("ESME_RINVDSTADR", _UNKNOWN_NUMBER),
    0x0000000C: ("ESME_RINVMSGID", _FAILED),
    0x0000000D: ("ESME_RBINDFAIL", _RETRY),
    0x0000000E: ("ESME_RINVPASWD", _RETRY),
    0x0000000F: ("ESME_RINVSYSID", _RETRY),
    0x00000011: ("ESME_RCANCELFAIL", _FAILED),
    0x00000013: ("ESME_RREPLACEFAIL", _FAILED),
    0x00000014: ("ESME_RMSGQFUL", _THROTTLE),
    0x00000015: ("ESME_RINVSERTYP", _FAILED),
    0x00000033: ("ESME_RINVNUMDESTS", _FAILED),
    0x00000034: ("ESME_RINVDLNAME", _FAILED),
    0x00000040: ("ESME_RINVDESTFLAG", _FAILED),
    0x00000042: ("ESME_RINVSUBREP", _FAILED),
    0x00000043: ("ESME_RINVESMCLASS", _FAILED),
    0x00000044: ("ESME_RCNTSUBDL", _FAILED),
    0x00000045: ("ESME_RSUBMITFAIL", _FAILED),
    0x00000048: ("ESME_RINVSRCTON", _VIOLATION),
    0x00000049: ("ESME_RINVSRCNPI", _VIOLATION),
    # Destination TON/NPI are how we encoded the number, not whether it exists.
    0x00000050: ("ESME_RINVDSTTON", _FAILED),
    0x00000051: ("ESME_RINVDSTNPI", _FAILED),
    0x00000053: ("ESME_RINVSYSTYP", _FAILED),
    0x00000054: ("ESME_RINVREPFLAG", _FAILED),
    0x00000055: ("ESME_RINVNUMMSGS", _FAILED),
    0x00000058: ("ESME_RTHROTTLED", _THROTTLE),
    0x00000061: ("ESME_RINVSCHED", _FAILED),
    0x00000062: ("ESME_RINVEXPIRY", _FAILED),
    0x00000063: ("ESME_RINVDFTMSGID", _FAILED),
    0x00000064: ("ESME_RX_T_APPN", _RETRY),
    0x00000065: ("ESME_RX_P_APPN", _FAILED),
    0x00000066: ("ESME_RX_R_APPN", _VIOLATION),
    0x00000067: ("ESME_RQUERYFAIL", _FAILED),
    0x000000C0: ("ESME_RINVOPTPARSTREAM", _FAILED),
    0x000000C1: ("ESME_ROPTPARNOTALLWD", _FAILED),
    0x000000C2: ("ESME_RINVPARLEN", _FAILED),
    0x000000C3: ("ESME_RMISSINGOPTPARAM", _FAILED),
    0x000000C4: ("ESME_RINVOPTPARAMVAL", _FAILED),
    0x000000FE: ("ESME_RDELIVERYFAILURE", _FAILED),
    # "Unknown error" says nothing transient; retrying it could repeat until the TTL.
    0x000000FF: ("ESME_RUNKNOWNERR", _FAILED),
    0x00000100: ("ESME_RSERTYPUNAUTH", _VIOLATION),
    0x00000101: ("ESME_RPROHIBITED", _VIOLATION),
    0x00000102: ("ESME_RSERTYPUNAVAIL", _RETRY),
    0x00000103: ("ESME_RSERTYPDENIED", _VIOLATION),
    0x00000104: ("ESME_RINVDCS", _FAILED),
    0x00000105: ("ESME_RINVSRCADDRSUBUNIT", _FAILED),
    0x00000106: ("ESME_RINVDSTADDRSUBUNIT", _FAILED),
    0x00000107: ("ESME_RINVBCASTFREQINT", _FAILED),
    0x00000108: ("ESME_RINVBCASTALIAS_NAME", _FAILED),
    0x00000109: ("ESME_RINVBCASTAREAFMT", _FAILED),
    0x0000010A: ("ESME_RINVNUMBCAST_AREAS", _FAILED),
    0x0000010B: ("ESME_RINVBCASTCNTTYPE", _FAILED),
    0x0000010C: ("ESME_RINVBCASTMSGCLASS", _FAILED),
    0x0000010D: ("ESME_RBCASTFAIL", _FAILED),
    0x0000010E: ("ESME_RBCASTQUERYFAIL", _FAILED),
    0x0000010F: ("ESME_RBCASTCANCELFAIL", _FAILED),
    0x00000110: ("ESME_RINVBCAST_REP", _FAILED),
    0x00000111: ("ESME_RINVBCASTSRVGRP", _FAILED),
    0x00000112: ("ESME_RINVBCASTCHANIND", _FAILED),
}

COMMAND_STATUS_NAMES: Final[Mapping[int, str]] = {
    0x00000000: "ESME_ROK",
    **{code: name for code, (name, _) in _COMMAND_STATUSES.items()},
}

# SMPP 3.4 §5.1.3 reserves this block for SMSC vendors; its meanings are the carrier's own.
VENDOR_SPECIFIC: Final = range(0x400, 0x500)


def command_status_name(command_status: int) -> str:
    """``ESME_R…``, or "vendor-specific" / "unknown" for codes outside the table."""
    if command_status in COMMAND_STATUS_NAMES:
        return COMMAND_STATUS_NAMES[command_status]
    return "vendor-specific" if command_status in VENDOR_SPECIFIC else "unknown"


def submit_outcome(command_status: int) -> SubmitOutcome:
    """What a ``submit_sm_resp`` (or ``generic_nack``) with this non-zero status means.
    Codes outside the table, vendor-specific ones included, are final ``Failed``: a code we
    cannot read gives no reason to expect a different answer next time. Response timeouts
    and a lost bind never reach here; the ESME retries those itself."""
    if command_status == 0:
        raise ValueError("command_status 0 (ESME_ROK) is not an error")
    error = f"0x{command_status & 0xFFFFFFFF:08X} {command_status_name(command_status)}"
    _, rule = _COMMAND_STATUSES.get(command_status, ("", _FAILED))
    if isinstance(rule, _Again):
        return SubmitOutcome(True, rule is _THROTTLE, None, error)
    return SubmitOutcome(False, False, rule.value, error)


# --- carrier message ids -------------------------------------------------------------------

_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-f]+")
# A message_id is a C-octet string of at most 65 octets; longer digit runs are not ids, and
# converting them could run into int()'s digit limit.
_MAX_ID_DIGITS: Final = 64


def _clean_id(raw: str) -> str:
    text = raw.lower()
    while True:
        stripped = text.strip().strip("\x00").lstrip("0")
        if stripped == text:
            return text
        if not stripped and "0" in text:
            return "0"
        text = stripped


def normalise_id(raw: str, *, hex_ids: bool | None = None) -> str:
    """The form a carrier message id is stored and matched in.

    Always: NULs and whitespace around it removed (C-octet strings arrive NUL padded),
    lower case, leading zeros removed ("0" stays "0"), so "0000ABCD\\0" is "abcd". This is
    idempotent: a normalised id normalises to itself.

    Some SMSCs quote in receipts, in decimal, the id their ``submit_sm_resp`` gave in hex
    (or the reverse). ``hex_ids`` says so for the carrier and is passed for **receipt ids
    only**; ``submit_sm_resp`` ids are normalised with ``hex_ids=None``:

    - ``True``: the receipt id, when all decimal digits, is read as decimal and written in
      hex ("43981" → "abcd"); an id with hex letters is already hex and stays;
    - ``False``: the receipt id, when all hex digits, is read as hex and written in decimal
      ("abcd" → "43981");
    - ``None``: digits are left as they are.

    The conversion is one step from one radix to the other, applied once: its result is
    normalised (``normalise_id(x, hex_ids=h)`` is a fixed point of ``normalise_id``), and
    normalising first changes nothing (``normalise_id(normalise_id(x), hex_ids=h) ==
    normalise_id(x, hex_ids=h)``), but converting twice is not a no-op ("16" → "10" → "a"):
    no rule on bare digit strings can tell a converted id from one still to convert."""
    text = _clean_id(raw)
    if hex_ids is None or len(text) > _MAX_ID_DIGITS:
        return text
    if hex_ids and _DECIMAL.fullmatch(text):
        return format(int(text, 10), "x")
    if not hex_ids and _HEX.fullmatch(text):
        return str(int(text, 16))
    return text


# --- delivery receipts ---------------------------------------------------------------------

RECEIPTED_MESSAGE_ID: Final = 0x001E
NETWORK_ERROR_CODE: Final = 0x0423
MESSAGE_PAYLOAD: Final = 0x0424
MESSAGE_STATE: Final = 0x0427
GSM_NETWORK: Final = 3  # network_error_code's network type for GSM (SMPP 3.4 §5.3.2.31)


@dataclass(frozen=True, slots=True)
class ParsedReceipt:
    carrier_message_id: str  # normalise_id(…) with hex_ids=None
    status: MessageStatus  # Delivered / Undelivered / Failed when final, else Sent
    detailed_status: str  # a lifecycle.Detailed value
    final: bool
    error: str | None  # the text's "err:" or network_error_code as "0xTT:CCCC" (hex)
    submitted_at: datetime | None  # "submit date:", read as UTC
    done_at: datetime | None  # "done date:", read as UTC


_D, _X, _F, _S = (
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.SENT,
)

# The "stat:" words of Appendix B and the full words some SMSCs write instead, with the
# status, detailed status and finality each means. ACCEPTD is final in SMPP 3.4 (read by
# customer service) but SMSCs send it as "accepted, delivery pending", so it is treated
# like ENROUTE; SCHEDULED and SKIPPED are SMPP 5.0's, FAILED and UNDELIVERED seen in the
# wild.
STATS: Final[Mapping[str, tuple[MessageStatus, Detailed, bool]]] = {
    "DELIVRD": (_D, Detailed.DELIVERED, True),
    "DELIVERED": (_D, Detailed.DELIVERED, True),
    "EXPIRED": (_X, Detailed.EXPIRED, True),
    "UNDELIV": (_X, Detailed.UNDELIVERED, True),
    "UNDELIVERABLE": (_X, Detailed.UNDELIVERED, True),
    "UNDELIVERED": (_X, Detailed.UNDELIVERED, True),
    "SKIPPED": (_X, Detailed.UNDELIVERED, True),
    "UNKNOWN": (_X, Detailed.UNKNOWN_STATUS, True),
    "REJECTD": (_F, Detailed.CARRIER_VIOLATION, True),
    "REJECTED": (_F, Detailed.CARRIER_VIOLATION, True),
    "DELETED": (_F, Detailed.FAILED, True),
    "FAILED": (_F, Detailed.FAILED, True),
    "ENROUTE": (_S, Detailed.SENT, False),
    "ACCEPTD": (_S, Detailed.SENT, False),
    "ACCEPTED": (_S, Detailed.SENT, False),
    "SCHEDULED": (_S, Detailed.SENT, False),
}
# A stat word not above: the receipt is kept but moves nothing.
_UNREADABLE_STAT: Final = (_S, Detailed.UNKNOWN_STATUS, False)

# message_state (SMPP 3.4 §5.2.28; 0 and 9 from SMPP 5.0) as the stat word it stands for.
MESSAGE_STATES: Final[Mapping[int, str]] = {
    0: "SCHEDULED",
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
    9: "SKIPPED",
}

# GSM MAP error codes (3GPP TS 29.002) that say why an undeliverable message was not
# delivered, read from "err:" (decimal, as most SMSCs write it) or from a GSM
# network_error_code. Other codes leave it "Undelivered".
GSM_ERRORS: Final[Mapping[int, Detailed]] = {
    1: Detailed.UNKNOWN_NUMBER,  # unknownSubscriber
    5: Detailed.UNKNOWN_NUMBER,  # unidentifiedSubscriber
    6: Detailed.UNDELIVERED_ON_HANDSET,  # absentSubscriberSM
    8: Detailed.ROAMING,  # roamingNotAllowed
    11: Detailed.CALL_BARRED,  # teleserviceNotProvisioned: no SMS on this line
    13: Detailed.CALL_BARRED,  # callBarred
    27: Detailed.UNDELIVERED_ON_HANDSET,  # absentSubscriber
    31: Detailed.UNDELIVERED_ON_HANDSET,  # subscriberBusyForMT-SMS
    32: Detailed.UNDELIVERED_ON_HANDSET,  # sm-DeliveryFailure (memory full, equipment)
    33: Detailed.UNDELIVERED_ON_HANDSET,  # messageWaitingListFull
}

# A key of the text form, not glued to a word before it ("xid:" is no key, "\x80id:" is).
# The first "text:" ends the fields; whatever follows is the message's opening, not fields.
_KEY = re.compile(
    r"(?<![A-Za-z0-9_])(id|sub|dlvrd|submit[\s_]*date|done[\s_]*date|stat|err|text)\s*:",
    re.IGNORECASE | re.ASCII,
)
_MAX_ERROR: Final = 32


def _decode(data: bytes) -> str:
    # Receipts are ASCII, but some SMSCs send them UCS-2 (data_coding 8); latin-1 reads any
    # byte, so garbage still decodes. NULs (C-string padding) separate like spaces.
    if len(data) >= 6 and data[0:6:2] == b"\0\0\0" and b"\0" not in data[1:6:2]:
        text = data.decode("utf-16-be", errors="replace")
    else:
        text = data.decode("latin-1")
    return text.replace("\0", " ")


def _text_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    keys = list(_KEY.finditer(text))
    for at, key in enumerate(keys):
        end = keys[at + 1].start() if at + 1 < len(keys) else len(text)
        name = re.sub(r"[\s_]+", "", key.group(1).lower())
        if name == "text":
            break
        words = text[key.end() : end].split()
        if words and name not in fields:
            fields[name] = words[0]
    return fields


def _date(value: str | None) -> datetime | None:
    """YYMMDDhhmm or YYMMDDhhmmss (Appendix B), or YYYYMMDDhhmmss as a few SMSCs write it,
    read as UTC: the text form carries no zone."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    if len(value) in (10, 12):
        value = "20" + value
    if len(value) == 12:
        value += "00"
    if len(value) != 14:
        return None
    month, day, hour, minute, second = (int(value[at : at + 2]) for at in range(4, 14, 2))
    try:
        return datetime(int(value[:4]), month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _tlv_id(tlvs: Mapping[int, bytes]) -> str | None:
    value = tlvs.get(RECEIPTED_MESSAGE_ID)
    if not value:
        return None
    return normalise_id(value.split(b"\0", 1)[0].decode("latin-1")) or None


def _tlv_stat(tlvs: Mapping[int, bytes]) -> str | None:
    value = tlvs.get(MESSAGE_STATE)
    if value is None or len(value) != 1:
        return None
    return MESSAGE_STATES.get(value[0])


def _tlv_error(tlvs: Mapping[int, bytes]) -> tuple[str, int | None] | None:
    value = tlvs.get(NETWORK_ERROR_CODE)
    if value is None or len(value) != 3:
        return None
    network, code = value[0], int.from_bytes(value[1:3], "big")
    return f"0x{network:02X}:{code:04X}", (code if network == GSM_NETWORK else None)


def _gsm_code(err: str) -> int | None:
    if len(err) > 8:
        return None
    if err.isascii() and err.isdigit():
        return int(err, 10)
    if err[:2].lower() == "0x" and _HEX.fullmatch(err[2:].lower()):
        return int(err[2:], 16)
    return None


def parse_receipt(short_message: bytes, tlvs: Mapping[int, bytes]) -> ParsedReceipt | None:
    """A ``deliver_sm``'s delivery receipt, or None when it is not one (no id or no state).

    The text form is SMPP 3.4 Appendix B's "id:… sub:… dlvrd:… submit date:… done date:…
    stat:… err:… text:…", read leniently: keys in any order and case, any spacing, fields
    missing, text after "text:" ignored whatever it holds. ``message_payload`` stands in for
    an empty ``short_message``. The ``receipted_message_id``, ``message_state`` and
    ``network_error_code`` TLVs, when present and well formed, win over the text. An
    undeliverable receipt is refined by its GSM error code (``GSM_ERRORS``). Never raises."""
    body = short_message or tlvs.get(MESSAGE_PAYLOAD, b"")
    fields = _text_fields(_decode(body))
    carrier_id = _tlv_id(tlvs) or normalise_id(fields.get("id", "")) or None
    stat = _tlv_stat(tlvs) or fields.get("stat")
    if carrier_id is None or stat is None:
        return None
    status, detailed, final = STATS.get(stat.upper(), _UNREADABLE_STAT)

    error: str | None = None
    gsm_code: int | None = None
    if (network_error := _tlv_error(tlvs)) is not None:
        error, gsm_code = network_error
    elif (err := fields.get("err")) is not None:
        error, gsm_code = err[:_MAX_ERROR], _gsm_code(err)
    if detailed is Detailed.UNDELIVERED and gsm_code is not None:
        detailed = GSM_ERRORS.get(gsm_code, detailed)

    return ParsedReceipt(
        carrier_message_id=carrier_id,
        status=status,
        detailed_status=detailed.value,
        final=final,
        error=error,
        submitted_at=_date(fields.get("submitdate")),
        done_at=_date(fields.get("donedate")),
    )
