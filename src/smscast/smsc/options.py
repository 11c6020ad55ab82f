"""What the simulated SMSC is told to do: ``SimulatorOptions`` and the parsing of the
``smscast smsc`` flags into them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from smscast.smsc.receipts import IdFormat, ReceiptForm

Behaviour = Literal[
    "undelivered",
    "expired",
    "rejected",
    "no_receipt",
    "throttle",
    "queue_full",
    "unknown_destination",
]
BEHAVIOURS: Final[tuple[str, ...]] = get_args(Behaviour)


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    """How the simulated SMSC behaves. Shares and counts of 0 switch a behaviour off;
    prefixes match the destination_addr as sent (digits, no '+'), the longest one wins."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, read from ``Simulator.port`` after start
    # system_id → password; empty accepts any bind.
    credentials: Mapping[str, str] = field(default_factory=dict)
    system_id: str = "smscast-smsc"  # ours, in bind responses
    seed: int = 1
    receipt_delay_ms: tuple[int, int] = (100, 100)
    # Shares of parts ending each way; delivered takes the rest.
    undelivered: float = 0.0
    expired: float = 0.0
    rejected: float = 0.0
    receipt_form: ReceiptForm = "both"
    message_id_format: IdFormat = "hex"
    receipt_id_format: IdFormat | None = None  # None: as message_id_format
    # None: from the clock, so ids stay unique across restarts.
    first_message_id: int | None = None
    response_delay_ms: tuple[int, int] = (0, 0)
    throttle_every: int = 0  # every Nth submit_sm (all connections) gets ESME_RTHROTTLED
    queue_full_every: int = 0  # every Nth gets ESME_RMSGQFUL
    never_answer_prefix: tuple[str, ...] = ()
    reject_bind: bool = False
    drop_after: int = 0  # close a connection after its Nth submit_sm, once that is answered
    duplicate_receipts: bool = False
    duplicate_delay_ms: int = 0  # the duplicate right after the receipt (0) or this much later
    early_receipts: bool = False  # the receipt goes out before the submit_sm_resp
    prefix_behaviours: Mapping[str, Behaviour] = field(default_factory=dict)
    record: bool = True  # keep every submit_sm in ``Simulator.received``

    def __post_init__(self) -> None:
        shares = (self.undelivered, self.expired, self.rejected)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1:
            raise ValueError("outcome shares must be within 0..1 and add up to at most 1")
        for name in ("receipt_delay_ms", "response_delay_ms"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range 0 <= min <= max")
        counts = (self.throttle_every, self.queue_full_every, self.drop_after)
        if min(counts) < 0:
            raise ValueError("throttle_every, queue_full_every and drop_after cannot be negative")
        if self.receipt_form not in get_args(ReceiptForm):
            raise ValueError("receipt_form must be text, tlv or both")
        if {self.message_id_format, self.receipt_id_format or "hex"} - set(get_args(IdFormat)):
            raise ValueError("message id formats must be hex or decimal")
        for prefix, behaviour in self.prefix_behaviours.items():
            if behaviour not in BEHAVIOURS:
                raise ValueError(f"{prefix}: behaviour must be one of {', '.join(BEHAVIOURS)}")

    def behaviour(self, destination: str) -> Behaviour | None:
        """What the longest prefix of ``destination`` asks for, if any."""
        destination = destination.removeprefix("+")
        best: tuple[int, Behaviour] | None = None
        for prefix, behaviour in self.prefix_behaviours.items():
            prefix = prefix.removeprefix("+")
            if destination.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), behaviour)
        return best[1] if best else None

    def never_answers(self, destination: str) -> bool:
        destination = destination.removeprefix("+")
        return any(destination.startswith(p.removeprefix("+")) for p in self.never_answer_prefix)


def parse_range(text: str) -> tuple[int, int]:
    """``"100"`` → (100, 100); ``"50-500"`` → (50, 500)."""
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of milliseconds or a range MIN-MAX") from None


def parse_behaviours(items: Iterable[str]) -> dict[str, Behaviour]:
    """``["3069=throttle", …]`` → {"3069": "throttle", …}."""
    parsed: dict[str, Behaviour] = {}
    for item in items:
        prefix, _, behaviour = item.partition("=")
        if not prefix or behaviour not in BEHAVIOURS:
            raise ValueError(f"{item!r}: expected PREFIX=one of {', '.join(BEHAVIOURS)}")
        parsed[prefix] = behaviour  # type: ignore[assignment]  # checked just above
    return parsed
