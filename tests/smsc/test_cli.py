"""``smscast smsc`` as a real process: it listens, takes a bind and a submit, and prints its
counters when stopped by a signal; bad flags are refused before it starts."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from smscast.domain.smpp import Command, Status
from tests.smsc.conftest import Client


def smsc_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SMSCAST_CONFIG", None)
    return env


async def listening_port(stderr: asyncio.StreamReader) -> int:
    async with asyncio.timeout(20):
        while line := (await stderr.readline()).decode():
            match = re.search(r"smscast smsc on 127\.0\.0\.1:(\d+)", line)
            if match:
                return int(match.group(1))
    raise AssertionError("smscast smsc exited before listening")


async def test_the_command_serves_until_a_signal_and_prints_its_counters(tmp_path: Path):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "smscast", "smsc", "--port", "0", "--system-id", "shop", "--password", "pw"),
        *("--undelivered", "0", "--receipt-delay-ms", "0", "--prefix", "3070=unknown_destination"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=smsc_env(),
    )
    try:
        assert process.stderr is not None
        port = await listening_port(process.stderr)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = Client(reader, writer)
        assert (await client.bind(system_id="shop", password="pw")).status == Status.OK
        await client.submit(to="306912345678")
        assert (await client.read()).status == Status.OK
        receipt = await client.read()
        assert receipt.command_id == Command.DELIVER_SM
        assert b"stat:DELIVRD" in receipt.short_message()
        await client.acknowledge(receipt)
        await client.submit(to="307012345678")
        assert (await client.read()).status == Status.INVALID_DESTINATION
        await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
    counters = dict(pair.split("=") for pair in stdout.decode().split())
    assert counters["binds"] == "1"
    assert counters["submits"] == "2"
    assert counters["invalid_destination"] == "1"
    assert counters["receipts_acknowledged"] == "1"


def test_bad_flags_are_refused(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "smscast", "smsc", "--port", "0", "--prefix", "3069=sometimes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=smsc_env(),
        timeout=30,
    )
    assert result.returncode == 2
    assert "PREFIX=one of" in result.stderr
