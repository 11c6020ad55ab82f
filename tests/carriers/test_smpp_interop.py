"""smscast's ESME against an SMSC it did not write: node-smpp's server (tests/interop).

CI installs it with npm (scripts/test); the test fails, never skips, without it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

from smscast.carriers.base import Submission
from smscast.carriers.smpp.carrier import SmppCarrier, SmppOptions
from smscast.carriers.smpp.session import SessionOptions
from smscast.domain.campaigns import MessageStatus
from smscast.domain.segments import split
from tests.carriers.conftest import ListSink

INTEROP = Path(__file__).parents[1] / "interop"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def events(stream: asyncio.StreamReader, kind: str, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while len(found) < count:
            line = await stream.readline()
            assert line, "the node SMSC exited"
            event = json.loads(line)
            if event["event"] == kind:
                found.append(event)
    return found


async def test_a_two_part_message_and_its_receipts_through_node_smpp(sink: ListSink):
    assert (INTEROP / "node_modules" / "smpp").is_dir(), (
        "run scripts/test (npm ci in tests/interop)"
    )
    port = free_port()
    node = await asyncio.create_subprocess_exec(
        "node", str(INTEROP / "smsc.js"), str(port), stdout=asyncio.subprocess.PIPE
    )
    assert node.stdout is not None
    carrier = SmppCarrier(
        "node",
        SmppOptions(
            session=SessionOptions("127.0.0.1", port, "smscast", "secret", window=5),
            hex_ids=True,  # it answers submits in hex and gives receipts in decimal
        ),
    )
    try:
        await events(node.stdout, "listening", 1)
        await carrier.start(sink)
        async with asyncio.timeout(5):
            await carrier.sessions[0].wait_bound()
        text = "x" * 152 + "{" + "y" * 10  # two parts; the escape pair moves whole
        [result] = await carrier.submit(
            [
                Submission(
                    message_id="m1",
                    sender="Shop",
                    to="+306912345678",
                    parts=tuple(split(text)),
                    unicode=False,
                    flash=False,
                    validity=timedelta(minutes=60),
                )
            ]
        )
        assert [p.accepted for p in result.parts] == [True, True]
        submitted = await events(node.stdout, "submit_sm", 2)
        assert {s["destination_addr"] for s in submitted} == {"306912345678"}
        assert {(s["source_addr"], s["source_addr_ton"]) for s in submitted} == {("Shop", 5)}
        assert all(s["esm_class"] & 0x40 for s in submitted)
        assert sorted(s["udh"][-4:] for s in submitted) == ["0201", "0202"]
        assert {s["registered_delivery"] for s in submitted} == {1}
        async with asyncio.timeout(5):
            receipts = await sink.wait_for(2)
        ids = {p.carrier_message_id for p in result.parts}
        assert {r.carrier_message_id for r in receipts} == ids
        assert {r.status for r in receipts} == {MessageStatus.DELIVERED}
        acknowledged = await events(node.stdout, "deliver_sm_resp", 2)
        assert {a["status"] for a in acknowledged} == {0}
    finally:
        await carrier.close()
        node.terminate()
        await node.wait()
