"""Processes started while the database is away (not up yet, restarting, its connections being
cut) wait for it instead of exiting: a cluster comes back by itself, whatever order its parts
start in. A process told to stop while it waits stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.dbproxy import DatabaseProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),  # PostgreSQL only
]


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[DatabaseProxy]:
    proxy = DatabaseProxy(database_url)  # down until the test brings it up
    try:
        yield proxy
    finally:
        await proxy.down()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _start(
    tmp_path: Path, proxy: DatabaseProxy, *args: str
) -> tuple[asyncio.subprocess.Process, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCAST_")} | {
        "SMSCAST_DATABASE_URL": proxy.url,
        "SMSCAST_WORKER_NAME": "patient",
        "SMSCAST_LOG_LEVEL": "info",
    }
    log = tmp_path / f"{args[0]}.log"
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smscast", *args, cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    return process, log


def _said(log: Path) -> str:
    return log.read_text(errors="replace")


async def _until(condition: str, log: Path, process: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        if condition in _said(log):
            return
        assert process.returncode is None, _said(log)
        await asyncio.sleep(0.1)
    raise AssertionError(f"never logged {condition!r}:\n{_said(log)}")


async def _stop(process: asyncio.subprocess.Process, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0, _said(log)


async def test_a_worker_and_an_api_started_before_the_database_wait_for_it(
    tmp_path: Path, proxy: DatabaseProxy
):
    port = _free_port()
    worker, worker_log = await _start(tmp_path, proxy, "worker")
    api, api_log = await _start(tmp_path, proxy, "api", "--port", str(port))
    await _until("action=waiting_for_database step=migrate", worker_log, worker)
    await _until("action=waiting_for_database step=migrate", api_log, api)
    await asyncio.sleep(1)  # a few tries more, still waiting
    assert worker.returncode is None
    assert api.returncode is None

    await proxy.up()
    await _until("action=worker_start worker=patient", worker_log, worker)
    await _until(f"smscast api on http://127.0.0.1:{port}", api_log, api)
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                answer = await client.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        assert answer.status_code == 200, answer.text
    await _stop(worker, worker_log)
    await _stop(api, api_log)


async def test_a_worker_waiting_for_the_database_stops_when_told(
    tmp_path: Path, proxy: DatabaseProxy
):
    worker, log = await _start(tmp_path, proxy, "worker")
    await _until("action=waiting_for_database step=migrate", log, worker)
    await _stop(worker, log)
    assert "action=worker_start" not in _said(log)
