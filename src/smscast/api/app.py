"""``create_app``: the FastAPI application over a set of services built by the caller."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smscast import __version__
from smscast.api.errors import install_error_handlers
from smscast.api.idempotency import IdempotencyMiddleware
from smscast.api.routes import (
    account,
    campaigns,
    contacts,
    groups,
    health,
    metrics,
    oauth,
    quiet_hours,
    sms,
    tracking,
)
from smscast.services.idempotency import IdempotencyService
from smscast.services.runtime import Services

log = logging.getLogger("smscast.api")
_SLASHES = re.compile(r"/{2,}")


class _Edge:
    """Collapses doubled slashes (some clients build ``base + '/' + path``) and logs requests.

    The log line carries method, path, status and time; query strings are left out because
    they can hold phone numbers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "//" in path:
            scope = dict(scope)
            scope["path"] = _SLASHES.sub("/", path)
            scope["raw_path"] = scope["path"].encode()
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "action=http method=%s path=%s status=%d ms=%.1f",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="smscast",
        version=__version__,
        description="Self-hosted SMS campaigns behind a Routee-compatible API.",
    )
    app.state.services = services
    install_error_handlers(app)
    for module in (
        oauth,
        account,
        sms,
        campaigns,
        tracking,
        quiet_hours,
        contacts,
        groups,
        health,
        metrics,
    ):
        app.include_router(module.router)
    # Added first so it runs inside _Edge: keys hash the path with doubled slashes collapsed.
    app.add_middleware(
        IdempotencyMiddleware,
        auth=services.auth,
        keys=IdempotencyService(services.db, services.clock),
    )
    app.add_middleware(_Edge)
    return app


def openapi_paths(app: FastAPI) -> list[str]:
    schema: dict[str, Any] = app.openapi()
    return sorted(schema.get("paths", {}))
