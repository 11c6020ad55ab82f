"""The SMPP 3.4 carrier: several binds to one SMSC, submits spread over them within each
bind's window, and delivery receipts stored (through the receipt sink) before they are
acknowledged with deliver_sm_resp."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import uuid
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
from smscast.carriers.smpp.session import BindLost, OutcomeUnknown, Session, SessionOptions
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
# How long (seconds) a part refused for a passing reason (throttled, queue full, no bind) is
# tried again: the first part of a message briefly (then the message waits in the queue),
# later parts longer (the start of the message is already on its way).
FIRST_PART_PATIENCE = 5.0
LATER_PART_PATIENCE = 40.0


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
        self._pending: list[tuple[Session, int, Pdu, Receipt | InboundMessage]] = []
        self._receipts_ready = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        # UDH references start anywhere: two workers (or a restart) sending concurrent long
        # messages to one handset should not reuse one.
        self._references = itertools.count(secrets.randbelow(256))
        self._next = itertools.cycle(range(options.binds))
        self.inbound_messages = 0
        # Slots whose binds run: all of them, unless ``hold`` says which (a cluster shares a
        # carrier's binds through leases in the database).
        self._held: set[int] | None = None
        self._running: set[int] = set()
        self._started = False

    # -- Carrier --------------------------------------------------------------------------

    @property
    def slots(self) -> int:
        """How many binds the carrier allows (each a slot a worker of the cluster may hold)."""
        return self.options.binds

    async def hold(self, slots: set[int]) -> None:
        """Run exactly the binds of ``slots``: start those newly granted, unbind those whose
        lease was lost (another worker may have them now)."""
        wanted = {n for n in slots if 0 <= n < self.options.binds}
        self._held = wanted
        if not self._started:
            return
        for n in sorted(self._running - wanted):
            await self._stop_slot(n)
        for n in sorted(wanted - self._running):
            self._start_slot(n)

    def idle(self, slot: int) -> bool:
        """Whether slot ``slot``'s bind has nothing in flight (it can go without a loss)."""
        return self.sessions[slot].outstanding == 0

    async def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts
        self._started = True
        for n in sorted(self._held if self._held is not None else range(self.options.binds)):
            self._start_slot(n)
        self._flusher = asyncio.create_task(self._flush_receipts(), name=f"smpp:{self.name}:dlr")

    async def close(self) -> None:
        for n in sorted(self._running):
            await self._stop_slot(n)
        if self._flusher is not None:
            self._flusher.cancel()

    def _start_slot(self, n: int) -> None:
        self.sessions[n].start()
        if self.receivers:
            self.receivers[n].start()
        self._running.add(n)

    async def _stop_slot(self, n: int) -> None:
        """Unbind slot ``n``; a fresh session takes its place, should the slot come back."""
        self._running.discard(n)
        old = [self.sessions[n], *([self.receivers[n]] if self.receivers else [])]
        self.sessions[n] = Session(old[0].name, old[0].options, self._inbound)
        if self.receivers:
            self.receivers[n] = Session(old[1].name, old[1].options, self._inbound)
        for session in old:
            await session.close()

    def available(self) -> bool:
        """Whether any bind is up (the router sends elsewhere while none is)."""
        return any(s.bound for s in self.sessions)

    def busy(self) -> bool:
        return bool(self._pending)

    def in_flight_limit(self) -> int | None:
        return self.options.session.window * max(1, len(self._running))

    async def step(self) -> bool:
        return False  # receipts arrive on the binds' own reader tasks

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        """Every message at once (each bind's window is the limit), the parts of one message
        in order."""
        answers = await asyncio.gather(
            *(self._submit_one(s) for s in batch), return_exceptions=True
        )
        results: list[SubmitResult] = []
        for submission, answer in zip(batch, answers, strict=True):
            if isinstance(answer, BaseException):
                # Parts may have gone out: never send them again; record them as sent.
                log.error("action=submit_failed carrier=%s error=%r", self.name, answer)
                answer = SubmitResult(tuple(_unknown() for _ in submission.parts))
            results.append(answer)
        return results

    # -- submitting -----------------------------------------------------------------------

    async def _submit_one(self, submission: Submission) -> SubmitResult:
        if not self.available():
            return SubmitResult(retry_after=self.options.retry_after)
        payloads = [encode_part(part, submission.unicode) for part in submission.parts]
        pdus = submit_sms(
            sequences=[0] * len(payloads),
            sender=submission.sender,
            to=submission.to,
            payloads=payloads,
            unicode=submission.unicode,
            flash=submission.flash,
            validity_minutes=max(1, int(submission.validity.total_seconds() // 60)),
            reference=next(self._references),
        )
        loop = asyncio.get_running_loop()
        results: list[PartResult] = []
        for pdu in pdus:
            # Until one part is out, a passing refusal sends the message back to the queue
            # soon; after that, the rest of it is worth waiting longer for.
            patience = FIRST_PART_PATIENCE if not results else LATER_PART_PATIENCE
            result = await self._submit_part(pdu, loop.time() + patience)
            if result is None:
                if not results:
                    return SubmitResult(retry_after=self.options.retry_after)
                result = PartResult(
                    None, "still refused for a passing reason", Detailed.FAILED.value
                )
            results.append(result)
        return SubmitResult(tuple(results))

    async def _submit_part(self, pdu: Pdu, deadline: float) -> PartResult | None:
        """The part's result, or None when it could not be sent by ``deadline`` (throttled,
        queue full, no bind). A part written without an answer is never sent again."""
        loop = asyncio.get_running_loop()
        while True:
            session = self._pick()
            if session is None:
                if loop.time() > deadline:
                    return None
                await asyncio.sleep(0.05)
                continue
            try:
                answer = await session.request(
                    Pdu(pdu.command_id, 0, params=dict(pdu.params)), paced=True
                )
            except BindLost:
                continue  # not sent: another bind, or this one once it is back
            except OutcomeUnknown as exc:
                log.warning("action=submit_unanswered carrier=%s error=%s", self.name, exc)
                return _unknown()
            if answer.status == Status.OK:
                session.succeeded()
                return PartResult(normalise_id(answer.text("message_id")))
            outcome = submit_outcome(answer.status)
            if outcome.throttle:
                session.throttled()
            if not outcome.retry:
                return PartResult(
                    None, outcome.error, outcome.detailed_status or Detailed.FAILED.value
                )
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.01)

    def _pick(self) -> Session | None:
        """The next bound session, round robin."""
        for _ in range(len(self.sessions)):
            session = self.sessions[next(self._next)]
            if session.bound:
                return session
        return None

    # -- receipts -------------------------------------------------------------------------

    async def _inbound(self, session: Session, pdu: Pdu) -> None:
        kind = pdu.number("esm_class") & RECEIPT_BITS
        if kind and kind != DELIVERY_RECEIPT:
            # An SME acknowledgement or an intermediate notification: nothing to keep.
            await session.answer(pdu, message_id="")
            return
        if kind != DELIVERY_RECEIPT:
            # A message from a handset: stored (for a later inbound feature), then answered.
            self.inbound_messages += 1
            self._queue(session, pdu, _inbound_message(self.name, pdu))
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
        self._queue(session, pdu, receipt)

    def _queue(self, session: Session, pdu: Pdu, item: Receipt | InboundMessage) -> None:
        self._pending.append((session, session.generation, pdu, item))
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
                await self._sink.put([r for *_, r in batch if isinstance(r, Receipt)])
                await self._sink.put_inbound(
                    [m for *_, m in batch if isinstance(m, InboundMessage)]
                )
            except Exception:
                log.exception("action=receipt_store_failed carrier=%s", self.name)
                self._pending = batch + self._pending
                self._receipts_ready.set()
                await asyncio.sleep(1)
                continue
            for session, generation, pdu, _ in batch:
                if session.generation != generation:
                    continue  # that link is gone: the SMSC resends; applying twice is a no-op
                with contextlib.suppress(BindLost, OSError):
                    await session.answer(pdu, message_id="")


def _inbound_message(carrier: str, pdu: Pdu) -> InboundMessage:
    coding = pdu.number("data_coding")
    raw = pdu.short_message()
    if pdu.number("esm_class") & UDHI and raw:
        raw = raw[raw[0] + 1 :]  # the text after the user data header
    if coding & 0x0C == UCS2:
        text = raw.decode("utf-16-be", errors="replace")
    else:
        try:
            text = decode_septets(raw) if coding & 0x0C == GSM7 else raw.decode("latin-1")
        except ValueError:  # packed septets or Latin-1 where unpacked GSM-7 was declared
            text = raw.decode("latin-1")
    return InboundMessage(
        carrier, pdu.text("source_addr"), pdu.text("destination_addr"), text, coding
    )


def _unknown() -> PartResult:
    """A part written without an answer: taken as sent (it may well be) under an id no
    receipt will match, so it is neither sent twice nor refunded; expiry ends it."""
    return PartResult(f"unknown:{uuid.uuid4().hex}", "no response")
