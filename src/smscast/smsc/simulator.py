"""A simulated SMSC speaking SMPP 3.4 over TCP, for local use, tests and benchmarks.

It takes binds, answers submit_sm, and sends receipts (deliver_sm) after a delay with an
outcome mix — deterministic for a ``seed``: a part's outcome and delays are a hash of the
seed, the destination and the part number. Misbehaviours an ESME must survive are switched
on by option or by destination prefix (after jasmin's catalogue of fake SMSCs): throttling,
a full queue, submits never answered, refused binds, dropped connections, slow responses,
early and duplicate receipts. ``stats`` and ``received`` let tests assert what reached it.

Receipts go to any receiver or transceiver bound with the submitter's system_id; they wait
while none is bound, and those not acknowledged when a connection closes are sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Final

from smscast.clock import Clock, SystemClock
from smscast.domain.smpp import (
    BIND_RESPONSES,
    HEADER,
    INTERFACE_VERSION,
    MAX_PDU,
    TLV,
    Command,
    Pdu,
    PduError,
    Status,
    decode,
    encode,
    response_to,
)
from smscast.smsc.options import SimulatorOptions
from smscast.smsc.receipts import (
    Outcome,
    Receipt,
    choose_outcome,
    deliver_sm,
    format_id,
    message_text,
    roll,
    user_data,
)

__all__ = ["Simulator", "SimulatorOptions", "SimulatorStats"]

log = logging.getLogger(__name__)

_FORCED: Final = {
    "undelivered": Outcome.UNDELIVERED,
    "expired": Outcome.EXPIRED,
    "rejected": Outcome.REJECTED,
}
_REFUSALS: Final = {
    "throttle": Status.THROTTLED,
    "queue_full": Status.MESSAGE_QUEUE_FULL,
    "unknown_destination": Status.INVALID_DESTINATION,
}
_RECEIVES: Final = (Command.BIND_RECEIVER, Command.BIND_TRANSCEIVER)
_TRANSMITS: Final = (Command.BIND_TRANSMITTER, Command.BIND_TRANSCEIVER)
_IGNORED: Final = (Command.ENQUIRE_LINK_RESP, Command.UNBIND_RESP)
_KNOWN: Final = frozenset(Command)


@dataclass(slots=True)
class SimulatorStats:
    connections: int = 0
    binds: int = 0
    bind_failures: int = 0
    submits: int = 0  # submit_sm received, whatever became of them
    accepted: int = 0  # answered with a message id
    throttled: int = 0
    queue_full: int = 0
    invalid_destination: int = 0
    unanswered: int = 0  # never_answer_prefix
    receipts_sent: int = 0  # deliver_sm written, duplicates and resends included
    receipts_acknowledged: int = 0  # deliver_sm_resp with status 0
    receipts_refused: int = 0  # deliver_sm_resp with an error, or generic_nack
    enquire_links: int = 0
    unbinds: int = 0
    generic_nacks: int = 0
    # The most submit_sm one connection had received and not yet answered at once: what the
    # ESME's window bounds (visible when responses are delayed).
    max_outstanding: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Session:
    """One ESME connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.peer = writer.get_extra_info("peername")
        self.bound: Command | None = None
        self.system_id = ""
        self.submits = 0
        self.outstanding = 0
        self.answered = asyncio.Event()
        self.answered.set()
        self.unacked: dict[int, Receipt] = {}  # deliver_sm sequence → receipt
        self.closed = False
        self._sequence = 0

    @property
    def receives(self) -> bool:
        return self.bound in _RECEIVES

    @property
    def transmits(self) -> bool:
        return self.bound in _TRANSMITS

    def next_sequence(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    def send(self, pdu: Pdu) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(encode(pdu))


class Simulator:
    """The SMSC: ``start()`` listens (``port`` is then the real one), ``stop()`` closes every
    connection; or ``async with Simulator(options, clock):``."""

    def __init__(self, options: SimulatorOptions | None = None, clock: Clock | None = None):
        self.options = options or SimulatorOptions()
        self.stats = SimulatorStats()
        self.received: list[Pdu] = []
        # Of those, the ones answered with a message id: what a handset would get.
        self.accepted: list[Pdu] = []
        self.port = self.options.port
        self._clock = clock or SystemClock()
        self._ids: Iterator[int] = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._handlers: set[asyncio.Task[object]] = set()
        self._receivers: dict[str, list[_Session]] = {}
        self._turn = 0
        self._waiting: dict[str, deque[Receipt]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._changed: asyncio.Event | None = None
        self._stopping = False

    @property
    def address(self) -> str:
        return f"{self.options.host}:{self.port}"

    async def start(self) -> None:
        first = self.options.first_message_id
        if first is None:
            first = int(self._clock.now().timestamp()) << 20
        self._ids = itertools.count(first)
        self._stopping = False
        self._server = await asyncio.start_server(self._serve, self.options.host, self.options.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("action=smsc_start address=%s", self.address)

    async def stop(self) -> None:
        """Stop listening and close every connection (unbound, without unbind)."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for session in list(self._sessions):
            session.answered.set()
            session.writer.close()
        if self._handlers:
            _, late = await asyncio.wait(self._handlers, timeout=2)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
            log.info("action=smsc_stop address=%s", self.address)

    async def restart(self, down_seconds: float = 0.5) -> None:
        """Go down and come back on the same port, as an SMSC restarting with its store:
        every bind drops; receipts that fall due meanwhile wait until a receiver binds again."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        self._server.close()
        for session in list(self._sessions):
            session.answered.set()
            session.writer.close()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=2)
        await self._server.wait_closed()
        log.info("action=smsc_down address=%s seconds=%s", self.address, down_seconds)
        await asyncio.sleep(down_seconds)
        self._server = await asyncio.start_server(self._serve, self.options.host, self.port)
        log.info("action=smsc_up address=%s", self.address)

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Return once ``predicate()`` holds (checked after every PDU); TimeoutError if not."""
        async with asyncio.timeout(seconds):
            while not predicate():
                if self._changed is None:
                    self._changed = asyncio.Event()
                await self._changed.wait()

    # -- a connection ------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        session = _Session(reader, writer)
        self._sessions.add(session)
        self.stats.connections += 1
        log.info("action=smsc_connect peer=%s", session.peer)
        try:
            await self._read(session)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._close(session)
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._handlers.discard(task)
            self._touch()

    async def _read(self, session: _Session) -> None:
        reader, writer = session.reader, session.writer
        while not self._stopping:
            header = await reader.readexactly(HEADER.size)
            length, command_id, _, sequence = HEADER.unpack(header)
            if not HEADER.size <= length <= MAX_PDU:
                # No way to find the next PDU in this stream: refuse and hang up.
                self._nack(session, sequence, Status.INVALID_MESSAGE_LENGTH)
                await writer.drain()
                return
            data = header + await reader.readexactly(length - HEADER.size)
            if command_id not in _KNOWN:
                self._nack(session, sequence, Status.INVALID_COMMAND_ID)
                continue
            try:
                pdu = decode(data)
            except PduError as exc:
                self._nack(session, sequence, exc.status)
                continue
            if pdu.command_id == Command.UNBIND:
                self.stats.unbinds += 1
                await session.answered.wait()  # the submits in hand are answered first
                session.send(response_to(pdu))
                await writer.drain()
                log.info("action=smsc_unbind peer=%s", session.peer)
                return
            self._handle(session, pdu)
            self._touch()
            if self.options.drop_after and session.submits >= self.options.drop_after:
                await session.answered.wait()
                await writer.drain()
                log.info("action=smsc_drop peer=%s submits=%d", session.peer, session.submits)
                return
            await writer.drain()

    def _handle(self, session: _Session, pdu: Pdu) -> None:
        command = pdu.command_id
        if command in BIND_RESPONSES:
            self._bind(session, pdu)
        elif command == Command.SUBMIT_SM:
            self._submit(session, pdu)
        elif command in (Command.DELIVER_SM_RESP, Command.GENERIC_NACK):
            receipt = session.unacked.pop(pdu.sequence, None)
            if receipt is not None and pdu.status == Status.OK and command != Command.GENERIC_NACK:
                self.stats.receipts_acknowledged += 1
            elif receipt is not None:
                self.stats.receipts_refused += 1
        elif command == Command.ENQUIRE_LINK:
            self.stats.enquire_links += 1
            session.send(response_to(pdu))
        elif command not in _IGNORED:
            self._nack(session, pdu.sequence, Status.INVALID_COMMAND_ID)

    def _nack(self, session: _Session, sequence: int, status: int) -> None:
        self.stats.generic_nacks += 1
        session.send(Pdu(Command.GENERIC_NACK, sequence, status))

    def _close(self, session: _Session) -> None:
        session.closed = True
        session.answered.set()
        self._sessions.discard(session)
        receivers = self._receivers.get(session.system_id, [])
        if session in receivers:
            receivers.remove(session)
        # Unacknowledged receipts go out again, as an SMSC retries them.
        unacked = list(dict.fromkeys(session.unacked.values()))
        session.unacked.clear()
        for receipt in unacked:
            self._deliver(receipt)
        session.writer.close()
        log.info("action=smsc_disconnect peer=%s submits=%d", session.peer, session.submits)

    def _bind(self, session: _Session, pdu: Pdu) -> None:
        system_id = pdu.text("system_id")
        status = self._bind_status(session, system_id, pdu.text("password"))
        if status:
            self.stats.bind_failures += 1
            session.send(response_to(pdu, status))
            log.info("action=smsc_bind_refused system_id=%s status=0x%08X", system_id, status)
            return
        self.stats.binds += 1
        session.bound = Command(pdu.command_id)
        session.system_id = system_id
        response = response_to(pdu, system_id=self.options.system_id)
        response.tlvs[TLV.SC_INTERFACE_VERSION] = bytes((INTERFACE_VERSION,))
        session.send(response)
        log.info("action=smsc_bound system_id=%s mode=%s", system_id, session.bound.name.lower())
        if session.receives:
            self._receivers.setdefault(system_id, []).append(session)
            for receipt in self._waiting.pop(system_id, ()):
                self._deliver(receipt)

    def _bind_status(self, session: _Session, system_id: str, password: str) -> int:
        if session.bound is not None:
            return Status.ALREADY_BOUND
        if self.options.reject_bind:
            return Status.BIND_FAILED
        if not self.options.credentials:
            return Status.OK
        expected = self.options.credentials.get(system_id)
        if expected is None:
            return Status.INVALID_SYSTEM_ID
        if not hmac.compare_digest(expected.encode(), password.encode()):
            return Status.INVALID_PASSWORD
        return Status.OK

    # -- submit_sm and receipts ------------------------------------------------------------

    def _submit(self, session: _Session, pdu: Pdu) -> None:
        options, stats = self.options, self.stats
        stats.submits += 1
        session.submits += 1
        if options.record:
            self.received.append(pdu)
        destination = pdu.text("destination_addr")
        if session.transmits and options.never_answers(destination):
            stats.unanswered += 1
            return
        session.outstanding += 1
        session.answered.clear()
        stats.max_outstanding = max(stats.max_outstanding, session.outstanding)
        part, payload = user_data(pdu)
        delay = self._delay(options.response_delay_ms, destination, part, "response")
        if not session.transmits:
            self._answer(session, response_to(pdu, Status.INVALID_BIND_STATUS), delay)
            return
        behaviour = options.behaviour(destination)
        status = _REFUSALS.get(behaviour or "", Status.OK)
        if options.throttle_every and stats.submits % options.throttle_every == 0:
            status = Status.THROTTLED
        elif options.queue_full_every and stats.submits % options.queue_full_every == 0:
            status = status or Status.MESSAGE_QUEUE_FULL
        if status:
            stats.throttled += status == Status.THROTTLED
            stats.queue_full += status == Status.MESSAGE_QUEUE_FULL
            stats.invalid_destination += status == Status.INVALID_DESTINATION
            self._answer(session, response_to(pdu, status), delay)
            return
        stats.accepted += 1
        if options.record:
            self.accepted.append(pdu)
        number = next(self._ids)
        outcome = _FORCED.get(behaviour or "") or choose_outcome(
            roll(options.seed, destination, part, "outcome"),
            undelivered=options.undelivered,
            expired=options.expired,
            rejected=options.rejected,
        )
        receipt = Receipt(
            session.system_id,
            number,
            outcome,
            self._clock.now(),
            (pdu.number("source_addr_ton"), pdu.number("source_addr_npi"), pdu.text("source_addr")),
            (pdu.number("dest_addr_ton"), pdu.number("dest_addr_npi"), destination),
            message_text(pdu.number("data_coding"), payload),
        )
        # registered_delivery: 0 asks for no receipt, 2 for one on failure only.
        wanted = pdu.number("registered_delivery") & 0x03
        if (
            behaviour != "no_receipt"
            and wanted
            and not (wanted == 2 and outcome is Outcome.DELIVERED)
        ):
            if options.early_receipts:
                self._deliver(receipt)
            else:
                later = self._delay(options.receipt_delay_ms, destination, part, "receipt")
                self._later(later, functools.partial(self._deliver, receipt))
        message_id = format_id(number, options.message_id_format)
        self._answer(session, response_to(pdu, message_id=message_id), delay)

    def _delay(self, bounds: tuple[int, int], destination: str, part: int, what: str) -> float:
        low, high = bounds
        if high <= 0:
            return 0.0
        return (low + (high - low) * roll(self.options.seed, destination, part, what)) / 1000

    def _answer(self, session: _Session, response: Pdu, delay: float) -> None:
        if delay > 0:
            self._later(delay, functools.partial(self._answer, session, response, 0.0))
            return
        session.send(response)
        session.outstanding -= 1
        if session.outstanding == 0:
            session.answered.set()
        self._touch()

    def _deliver(self, receipt: Receipt, *, copy: bool = False) -> None:
        """Send ``receipt`` to a receiver of its system_id, or keep it until one binds.
        ``copy``: the later duplicate of one already sent."""
        if self._stopping:
            return
        receivers = self._receivers.get(receipt.system_id)
        if not receivers:
            self._waiting.setdefault(receipt.system_id, deque()).append(receipt)
            return
        self._turn += 1
        session = receivers[self._turn % len(receivers)]
        options = self.options
        id_format = options.receipt_id_format or options.message_id_format
        twice = options.duplicate_receipts and not copy
        if twice and options.duplicate_delay_ms:
            # The copy goes out later, as from an SMSC retrying a receipt it thinks was lost.
            later = functools.partial(self._deliver, receipt, copy=True)
            self._later(options.duplicate_delay_ms / 1000, later)
            twice = False
        for _ in range(2 if twice else 1):
            sequence = session.next_sequence()
            session.unacked[sequence] = receipt
            done_at = self._clock.now()
            session.send(deliver_sm(receipt, sequence, done_at, options.receipt_form, id_format))
            self.stats.receipts_sent += 1
        self._touch()

    def _later(self, seconds: float, callback: Callable[[], None]) -> None:
        def fire() -> None:
            self._timers.discard(handle)
            callback()

        handle = asyncio.get_running_loop().call_later(seconds, fire)
        self._timers.add(handle)

    def _touch(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None
