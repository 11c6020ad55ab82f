"""The carrier seam: what the dispatcher hands a carrier, what it answers, and how receipts
come back. The sandbox and the SMPP carrier both implement ``Carrier``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from smscast.domain.campaigns import MessageStatus


@dataclass(frozen=True, slots=True)
class Submission:
    """One message to send: its parts exactly as the analysis split them."""

    message_id: str
    sender: str
    to: str
    parts: tuple[str, ...]
    unicode: bool
    flash: bool
    validity: timedelta


@dataclass(frozen=True, slots=True)
class PartResult:
    """A part the carrier accepted (with its id for it) or refused (with why)."""

    carrier_message_id: str | None
    error: str | None = None
    detailed_status: str | None = None

    @property
    def accepted(self) -> bool:
        return self.carrier_message_id is not None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The answer for one message: a result per part, or, when nothing was accepted and the
    refusal is passing (throttled, link down), when to try again."""

    parts: tuple[PartResult, ...] = ()
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt: the final status of one part, by the carrier's id for it."""

    carrier: str
    carrier_message_id: str
    status: MessageStatus
    detailed_status: str
    error: str | None = None
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """An SMS from a handset (a deliver_sm that is not a receipt), kept for later use."""

    carrier: str
    source: str
    destination: str
    text: str
    data_coding: int


class ReceiptSink(Protocol):
    """Where a carrier puts receipts and inbound messages; they are stored before the carrier
    acknowledges them."""

    async def put(self, receipts: Sequence[Receipt]) -> None: ...

    async def put_inbound(self, messages: Sequence[InboundMessage]) -> None: ...


class Carrier(Protocol):
    name: str

    async def start(self, receipts: ReceiptSink) -> None:
        """Connect (if there is anything to connect to) and start taking receipts."""

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        """Hand over each message's parts; one result per submission, in order."""

    async def step(self) -> bool:
        """Do any due work of the carrier's own (the sandbox's receipts); True if it did."""

    def busy(self) -> bool:
        """Whether work is still expected from the carrier (receipts not yet due count)."""

    def available(self) -> bool:
        """Whether the carrier can take messages now (an SMPP carrier with no bind up cannot)."""

    def in_flight_limit(self) -> int | None:
        """How many messages it has in flight at most (its windows); None: no limit. The
        dispatcher hands it that many at a time and records each lot as it is answered."""

    async def close(self) -> None: ...


@runtime_checkable
class SharedBinds(Protocol):
    """A carrier whose binds are a budget for the whole cluster: it runs only the binds of
    the slots its worker holds a lease on."""

    @property
    def slots(self) -> int: ...

    def idle(self, slot: int) -> bool: ...

    async def hold(self, slots: set[int]) -> None: ...
