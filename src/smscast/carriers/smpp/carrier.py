"""The SMPP 3.4 carrier: several binds to one SMSC, submits spread over them within each
bind's window, and delivery receipts stored (through the receipt sink) before they are
acknowledged with deliver_sm_resp."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from smscast.carriers.base import (
    InboundMessage,
    PartResult,
    Receipt,
    ReceiptSink,
    Submission,
    SubmitResult,
)
from smscast.carriers.smpp.session import BindLost, ResponseTimeout, Session, SessionOptions
from smscast.domain.gsm7 import decode_septets
from smscast.domain.lifecycle import Detailed
from smscast.domain.smpp import (
    DELIVERY_RECEIPT,
    GSM7,
    RECEIPT_BITS,
    UCS2,
    UDHI,
    Command,
    Pdu,
    Status,
    encode_part,
    submit_sms,
)
from smscast.domain.smpp_status import normalise_id, parse_receipt, submit_outcome

log = logging.getLogger("smscast.smpp")
# Receipts are stored in batches: up to this many, or whatever arrived within the flush gap.
RECEIPT_BATCH = 500
RECEIPT_FLUSH = 0.05
# A part refused for a passing reason (throttled, queue full, timeout, link lost) is tried
# again within the same submit this many times before the message goes back to the queue.
PART_TRIES = 3


@dataclass(frozen=True, slots=True)
class SmppOptions:
    session: SessionOptions
    binds: int = 1
    # Receipts that give in decimal what submit_sm_resp gave in hex (True), or the reverse
    # (False); None compares ids as they come (after case and leading zeros).
    hex_ids: bool | None = None
    retry_after: timedelta = timedelta(seconds=5)


class SmppCarrier:
    def __init__(self, name: str, options: SmppOptions) -> None:
        self.name = name
        self.options = options
        self.sessions = [
            Session(f"{name}#{n}", options.session, self._inbound) for n in range(options.binds)
        ]
        # Transmitter binds take no receipts: each gets a receiver bind beside it.
        self.receivers = (
            [
                Session(
                    f"{name}#{n}r",
                    replace(options.session, mode=Command.BIND_RECEIVER),
                    self._inbound,
                )
                for n in range(options.binds)
            ]
            if options.session.mode == Command.BIND_TRANSMITTER
            else []
        )
        self._sink: ReceiptSink | None = None
        self._pending: list[tuple[Session, Pdu, Receipt | InboundMessage]] = []
        self._receipts_ready = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._references = itertools.count(1)
        self._next = itertools.cycle(range(options.binds))
        self.inbound_messages = 0

    # -- Carrier --------------------------------------------------------------------------

    async def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts
        for session in (*self.sessions, *self.receivers):
            session.start()
        self._flusher = asyncio.create_task(self._flush_receipts(), name=f"smpp:{self.name}:dlr")

    async def close(self) -> None:
        for session in (*self.sessions, *self.receivers):
            await session.close()
        if self._flusher is not None:
            self._flusher.cancel()

    def available(self) -> bool:
        """Whether any bind is up (the router sends elsewhere while none is)."""
        return any(s.bound for s in self.sessions)

    def busy(self) -> bool:
        return bool(self._pending)

    def in_flight_limit(self) -> int | None:
        return self.options.session.window * len(self.sessions)

    async def step(self) -> bool:
        return False  # receipts arrive on the binds' own reader tasks

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        """Every part of every message, spread over the bound sessions, all in flight at once
        up to each bind's window."""
        return list(await asyncio.gather(*(self._submit_one(s) for s in batch)))

    # -- submitting -----------------------------------------------------------------------

    async def _submit_one(self, submission: Submission) -> SubmitResult:
        if not self.available():
            return SubmitResult(retry_after=self.options.retry_after)
        reference = next(self._references)
        payloads = [encode_part(part, submission.unicode) for part in submission.parts]
        pdus = submit_sms(
            sequences=[0] * len(payloads),
            sender=submission.sender,
            to=submission.to,
            payloads=payloads,
            unicode=submission.unicode,
            flash=submission.flash,
            validity_minutes=max(1, int(submission.validity.total_seconds() // 60)),
            reference=reference,
        )
        results = await asyncio.gather(*(self._submit_part(pdu) for pdu in pdus))
        if not any(r.accepted for r in results) and all(r.error == "retry" for r in results):
            return SubmitResult(retry_after=self.options.retry_after)
        return SubmitResult(
            tuple(
                r if r.error != "retry" else PartResult(None, "no answer", Detailed.FAILED.value)
                for r in results
            )
        )

    async def _submit_part(self, pdu: Pdu) -> PartResult:
        for _ in range(PART_TRIES):
            session = self._pick()
            if session is None:
                return PartResult(None, "retry")
            try:
                answer = await session.request(
                    Pdu(pdu.command_id, 0, params=dict(pdu.params)), paced=True
                )
            except (BindLost, ResponseTimeout):
                continue
            if answer.status == Status.OK:
                session.succeeded()
                return PartResult(normalise_id(answer.text("message_id")))
            outcome = submit_outcome(answer.status)
            if outcome.throttle:
                session.throttled()
            if outcome.retry:
                await asyncio.sleep(0.01)
                continue
            return PartResult(None, outcome.error, outcome.detailed_status or Detailed.FAILED.value)
        return PartResult(None, "retry")

    def _pick(self) -> Session | None:
        """The next bound session, round robin."""
        for _ in range(len(self.sessions)):
            session = self.sessions[next(self._next)]
            if session.bound:
                return session
        return None

    # -- receipts -------------------------------------------------------------------------

    async def _inbound(self, session: Session, pdu: Pdu) -> None:
        if pdu.number("esm_class") & RECEIPT_BITS != DELIVERY_RECEIPT:
            # A message from a handset: stored (for a later inbound feature), then answered.
            self.inbound_messages += 1
            self._pending.append((session, pdu, _inbound_message(self.name, pdu)))
            self._receipts_ready.set()
            return
        parsed = parse_receipt(pdu.short_message(), pdu.tlvs)
        if parsed is None or not parsed.final:
            await session.answer(pdu, message_id="")  # intermediate (ENROUTE, ACCEPTD)
            return
        receipt = Receipt(
            self.name,
            normalise_id(parsed.carrier_message_id, hex_ids=self.options.hex_ids),
            parsed.status,
            parsed.detailed_status,
            parsed.error,
            parsed.done_at,
        )
        self._pending.append((session, pdu, receipt))
        self._receipts_ready.set()

    async def _flush_receipts(self) -> None:
        """Store receipts (and inbound messages) in batches, then acknowledge them: nothing is
        answered before it is stored (an SMSC resends what was not acknowledged)."""
        assert self._sink is not None
        while True:
            await self._receipts_ready.wait()
            await asyncio.sleep(RECEIPT_FLUSH)
            batch, self._pending = self._pending[:RECEIPT_BATCH], self._pending[RECEIPT_BATCH:]
            if not self._pending:
                self._receipts_ready.clear()
            try:
                await self._sink.put([r for _, _, r in batch if isinstance(r, Receipt)])
                await self._sink.put_inbound(
                    [m for _, _, m in batch if isinstance(m, InboundMessage)]
                )
            except Exception:
                log.exception("action=receipt_store_failed carrier=%s", self.name)
                self._pending = batch + self._pending
                self._receipts_ready.set()
                await asyncio.sleep(1)
                continue
            for session, pdu, _ in batch:
                # A lost answer: the SMSC resends the receipt; applying it twice is a no-op.
                with contextlib.suppress(BindLost, OSError):
                    await session.answer(pdu, message_id="")


def _inbound_message(carrier: str, pdu: Pdu) -> InboundMessage:
    coding = pdu.number("data_coding")
    raw = pdu.short_message()
    if pdu.number("esm_class") & UDHI and raw:
        raw = raw[raw[0] + 1 :]  # the text after the user data header
    if coding & 0x0C == UCS2:
        text = raw.decode("utf-16-be", errors="replace")
    elif coding & 0x0C == GSM7:
        text = decode_septets(raw)
    else:
        text = raw.decode("latin-1")
    return InboundMessage(
        carrier, pdu.text("source_addr"), pdu.text("destination_addr"), text, coding
    )
