"""One SMPP bind: a TCP connection to the SMSC, bound as transceiver (or transmitter or
receiver), with a window of outstanding requests, a per-PDU response timeout, enquire_link
keep-alive, an adaptive pace that slows down when throttled, and reconnection with backoff.

The session keeps nothing a restart would need: a submit whose response never came is the
dispatcher's to retry; receipts are handed to the carrier, which stores them before they
are acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from smscast.domain.smpp import (
    BIND_RESPONSES,
    HEADER,
    INTERFACE_VERSION,
    MAX_PDU,
    Command,
    Pdu,
    PduError,
    Status,
    decode,
    encode,
    response_to,
)

log = logging.getLogger("smscast.smpp")
# A link that stayed up this long (seconds) resets the reconnect backoff.
STABLE_LINK = 30.0


class BindLost(ConnectionError):
    """No bind to send on: the request was not sent, and may be sent elsewhere or later."""


class OutcomeUnknown(ConnectionError):
    """The request was written but no response came (timeout, or the link went down): the
    SMSC may have acted on it, so it must not be sent again."""


@dataclass(frozen=True, slots=True)
class SessionOptions:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    mode: Command = Command.BIND_TRANSCEIVER
    window: int = 10
    response_timeout: float = 10.0
    enquire_link_interval: float = 30.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    tps: float | None = None  # submits per second per bind; None: as fast as the window allows


Inbound = Callable[["Session", Pdu], Awaitable[None]]


class Session:
    def __init__(self, name: str, options: SessionOptions, inbound: Inbound) -> None:
        self.name = name
        self.options = options
        self._inbound = inbound
        self._window = asyncio.Semaphore(options.window)
        self._pending: dict[int, asyncio.Future[Pdu]] = {}
        self._sequence = itertools.count(1)
        self._writer: asyncio.StreamWriter | None = None
        self._write_lock = asyncio.Lock()
        self._bound = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # Adaptive pace: the gap between submits grows when the SMSC throttles, then shrinks
        # back towards the configured rate as submits succeed.
        self._floor = 1 / options.tps if options.tps else 0.0
        self._gap = self._floor
        self._last_sent = 0.0
        self._throttled_at = 0.0
        self._pace_lock = asyncio.Lock()
        # Which connection a deliver_sm came on: its answer must go back on that one.
        self.generation = 0
        self.outstanding = 0
        self.most_outstanding = 0

    @property
    def bound(self) -> bool:
        return self._bound.is_set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"smpp:{self.name}")

    async def wait_bound(self) -> None:
        """Until the session is bound (callers put their own time limit around it)."""
        await self._bound.wait()

    async def close(self) -> None:
        """Unbind politely (briefly), then close."""
        self._stopping = True
        if self.bound:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.request(Pdu(Command.UNBIND, 0)), 2)
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._fail_pending()

    # -- requests -------------------------------------------------------------------------

    async def request(self, pdu: Pdu, *, paced: bool = False) -> Pdu:
        """Send ``pdu`` (a sequence number is assigned) and wait for its response, holding a
        window slot meanwhile. BindLost: not sent. OutcomeUnknown: sent, no answer."""
        async with self._window:
            if not self.bound and pdu.command_id != Command.UNBIND:
                raise BindLost(f"{self.name}: not bound")
            if paced:
                await self._pace()
            pdu.sequence = next(self._sequence) & 0x7FFFFFFF or 1
            answer: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
            self._pending[pdu.sequence] = answer
            self.outstanding += 1
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
            try:
                if self._writer is None:
                    raise BindLost(f"{self.name}: not connected")
                try:
                    await self._send(pdu)
                except OSError as exc:
                    # Bytes may have left before the error: the outcome is unknown.
                    raise OutcomeUnknown(f"{self.name}: link failed while sending") from exc
                try:
                    return await asyncio.wait_for(answer, self.options.response_timeout)
                except TimeoutError:
                    raise OutcomeUnknown(f"{self.name}: no response in time") from None
                except BindLost as exc:
                    raise OutcomeUnknown(f"{self.name}: link lost before the response") from exc
            finally:
                self.outstanding -= 1
                self._pending.pop(pdu.sequence, None)

    def throttled(self) -> None:
        """The SMSC asked us to slow down: double the gap between submits, at most once per
        gap (a window of throttled responses is one signal, not fifty)."""
        now = asyncio.get_running_loop().time()
        if now - self._throttled_at >= self._gap:
            self._throttled_at = now
            self._gap = min(max(self._gap * 2, 0.005), 0.5)

    def succeeded(self) -> None:
        if self._gap > self._floor:
            self._gap = max(self._floor, self._gap * 0.9 if self._gap > 0.0005 else 0.0)

    async def answer(self, request: Pdu, status: int = 0, **params: object) -> None:
        await self._send(response_to(request, status, **params))

    async def _pace(self) -> None:
        """Wait out the current gap since the last submit. Decided when the submit goes, so
        a gap that has shrunk meanwhile applies at once (no slots reserved ahead)."""
        if self._gap <= 0:
            return
        async with self._pace_lock:
            loop = asyncio.get_running_loop()
            wait = self._last_sent + self._gap - loop.time()
            if wait > 0:
                await asyncio.sleep(min(wait, self._gap))
            self._last_sent = loop.time()

    async def _send(self, pdu: Pdu) -> None:
        writer = self._writer
        if writer is None:
            raise BindLost(f"{self.name}: not connected")
        data = encode(pdu)
        async with self._write_lock:
            writer.write(data)
            await writer.drain()

    # -- the connection ---------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.options.reconnect_min
        while not self._stopping:
            try:
                reader, writer = await asyncio.open_connection(self.options.host, self.options.port)
            except OSError as exc:
                log.warning("action=smpp_connect_failed bind=%s error=%s", self.name, exc)
            else:
                self._writer = writer
                self.generation += 1
                bound_at = asyncio.get_running_loop().time()
                try:
                    if await self._bind(reader):
                        await self._serve(reader)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # whatever broke, the bind comes back
                    log.warning("action=smpp_link_lost bind=%s error=%s", self.name, exc)
                finally:
                    # Only a link that held a while resets the backoff: an SMSC that accepts
                    # the bind and drops at once is not hammered every half second.
                    if asyncio.get_running_loop().time() - bound_at > STABLE_LINK:
                        delay = self.options.reconnect_min
                    self._bound.clear()
                    self._writer = None
                    writer.close()
                    self._fail_pending()
            if self._stopping:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.options.reconnect_max)

    async def _bind(self, reader: asyncio.StreamReader) -> bool:
        options = self.options
        bind = Pdu(
            options.mode,
            next(self._sequence),
            params={
                "system_id": options.system_id,
                "password": options.password,
                "system_type": options.system_type,
                "interface_version": INTERFACE_VERSION,
            },
        )
        await self._send(bind)
        answer = await asyncio.wait_for(_read(reader), options.response_timeout)
        if answer.command_id != BIND_RESPONSES[options.mode] or answer.status != Status.OK:
            log.error("action=smpp_bind_refused bind=%s status=0x%08x", self.name, answer.status)
            return False
        self._bound.set()
        log.info("action=smpp_bound bind=%s mode=%s", self.name, options.mode.name.lower())
        return True

    async def _serve(self, reader: asyncio.StreamReader) -> None:
        keepalive = asyncio.create_task(self._keepalive())
        try:
            while True:
                pdu = await _read(reader)
                if pdu.command_id & 0x80000000:
                    future = self._pending.get(pdu.sequence)
                    if future is not None and not future.done():
                        future.set_result(pdu)
                    if pdu.command_id == Command.UNBIND_RESP:
                        return
                elif pdu.command_id == Command.ENQUIRE_LINK:
                    await self.answer(pdu)
                elif pdu.command_id == Command.UNBIND:
                    await self.answer(pdu)
                    return
                elif pdu.command_id == Command.DELIVER_SM:
                    try:
                        await self._inbound(self, pdu)
                    except Exception:
                        # One unreadable deliver_sm must not take the bind down: answer it
                        # (as an error) and go on.
                        log.exception("action=deliver_sm_failed bind=%s", self.name)
                        await self.answer(pdu, Status.SYSTEM_ERROR)
                else:
                    await self._send(Pdu(Command.GENERIC_NACK, pdu.sequence, 0x03))
        finally:
            keepalive.cancel()

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.options.enquire_link_interval)
            try:
                await self.request(Pdu(Command.ENQUIRE_LINK, 0))
            except (BindLost, OutcomeUnknown):
                # A link that does not answer enquire_link is dead: drop it and reconnect.
                if self._writer is not None:
                    self._writer.close()
                return

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BindLost(f"{self.name}: link lost"))
        self._pending.clear()


async def _read(reader: asyncio.StreamReader) -> Pdu:
    head = await reader.readexactly(HEADER.size)
    length = int.from_bytes(head[:4], "big")
    if not HEADER.size <= length <= MAX_PDU:
        raise PduError(f"command_length {length} out of range")
    return decode(head + await reader.readexactly(length - HEADER.size))
