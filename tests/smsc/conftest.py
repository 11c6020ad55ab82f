"""A bare SMPP client over asyncio streams and the codec, and simulators started per test:
the simulator is tested without the ESME, so a bug cannot hide on both sides."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from smscast.clock import FakeClock
from smscast.domain.smpp import HEADER, Command, Pdu, decode, encode, response_to
from smscast.smsc.simulator import Simulator, SimulatorOptions

READ_TIMEOUT = 2.0


class Client:
    """One TCP connection to the simulator; PDUs in and out, nothing automatic."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._sequence = 0

    @classmethod
    async def connect(cls, simulator: Simulator) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
        return cls(reader, writer)

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    async def send(self, pdu: Pdu) -> Pdu:
        await self.send_bytes(encode(pdu))
        return pdu

    async def send_bytes(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def request(self, command: Command, **params: object) -> Pdu:
        return await self.send(Pdu(command, self.next_sequence(), params=dict(params)))

    async def read(self) -> Pdu:
        async with asyncio.timeout(READ_TIMEOUT):
            header = await self.reader.readexactly(HEADER.size)
            length = HEADER.unpack(header)[0]
            return decode(header + await self.reader.readexactly(length - HEADER.size))

    async def bind(
        self,
        command: Command = Command.BIND_TRANSCEIVER,
        system_id: str = "smscast",
        password: str = "secret",
    ) -> Pdu:
        request = await self.request(
            command, system_id=system_id, password=password, interface_version=0x34
        )
        response = await self.read()
        assert (response.command_id, response.sequence) == (
            command | 0x80000000,
            request.sequence,
        )
        return response

    async def submit(self, to: str = "306912345678", text: bytes = b"hello", **params: Any) -> Pdu:
        fields: dict[str, Any] = {
            "source_addr_ton": 5,
            "source_addr": "Shop",
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": to,
            "registered_delivery": 1,
            "short_message": text,
        }
        fields.update(params)
        return await self.request(Command.SUBMIT_SM, **fields)

    async def acknowledge(self, deliver_sm: Pdu, status: int = 0) -> None:
        await self.send(response_to(deliver_sm, status))

    async def at_eof(self) -> bool:
        """True when the simulator has closed the connection (and sent nothing more)."""
        async with asyncio.timeout(READ_TIMEOUT):
            return await self.reader.read(1) == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


MakeSimulator = Callable[..., Awaitable[Simulator]]
Connect = Callable[[Simulator], Awaitable[Client]]


@pytest.fixture
async def make_simulator(clock: FakeClock) -> AsyncIterator[MakeSimulator]:
    """Start a simulator with the test's options (overrides of quick, predictable defaults)."""
    started: list[Simulator] = []

    async def make(**overrides: Any) -> Simulator:
        values: dict[str, Any] = {
            "credentials": {"smscast": "secret"},
            "receipt_delay_ms": (0, 0),
            "first_message_id": 42,
        }
        values.update(overrides)
        simulator = Simulator(SimulatorOptions(**values), clock)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    clients: list[Client] = []

    async def open_client(simulator: Simulator) -> Client:
        client = await Client.connect(simulator)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.close()
