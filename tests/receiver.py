"""A real HTTP receiver for callbacks: an aiohttp server on 127.0.0.1 started by the test."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web


class Receiver:
    """An aiohttp server answering with the queued statuses in turn, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.paths: list[str] = []  # the query string of each, in the same order
        self.statuses: list[int] = []
        self.delay = 0.0
        # While cleared, every request waits (a receiver that hangs until let go).
        self.open = asyncio.Event()
        self.open.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        await self.open.wait()
        self.received.append((body, dict(request.headers)))
        self.paths.append(request.query_string)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        """What was POSTed, parsed, in the order it arrived."""
        return [json.loads(body) for body, _ in self.received]
