"""The webhook sender seam: POST a body, get back the status code or why there is none.

``AiohttpSender`` is the real one (one pooled session, a per-host limit, a total timeout,
redirects not followed, optionally refusing private addresses); ``FakeSender`` ships for tests
and local development. Errors of the HTTP client never leave this module: they become text.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

Outcome = int | str  # an HTTP status, or the text of what went wrong


class WebhookSender(Protocol):
    async def start(self) -> None: ...

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """POST ``body``; the response status, or an error text (never raises)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SenderOptions:
    timeout_seconds: float = 5.0
    per_host: int = 20
    # Refuse URLs whose host is (or resolves to) a loopback, private or link-local address:
    # for an installation whose tenants must not reach its own network.
    block_private_addresses: bool = False


class PrivateAddressRefused(OSError):
    """A callback host that is (or resolves to) an address we were told not to call."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicOnlyResolver(AbstractResolver):
    """Resolves names, then refuses the lot if any address is not public: checked on the very
    addresses connected to, so a name cannot resolve public once and private the next time."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if any(not is_public(r["host"]) for r in found):
            raise PrivateAddressRefused(f"{host} resolves to a private address")
        return found

    async def close(self) -> None:
        await self._inner.close()


class AiohttpSender:
    """The real sender: one ``ClientSession`` created in ``start`` and closed in ``close``."""

    def __init__(self, options: SenderOptions | None = None) -> None:
        self.options = options or SenderOptions()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            resolver = _PublicOnlyResolver() if self.options.block_private_addresses else None
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self.options.per_host, resolver=resolver
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.options.timeout_seconds),
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": "smscast-webhooks"},
            )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        if self.options.block_private_addresses:
            refused = _refused_literal(url)
            if refused is not None:
                return refused
        await self.start()
        assert self._session is not None
        try:
            async with self._session.post(
                url, data=body, headers=dict(headers), allow_redirects=False
            ) as response:
                await response.read()  # so the connection goes back to the pool
                return response.status
        except TimeoutError:
            return f"timeout after {self.options.timeout_seconds:g} s"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, PrivateAddressRefused):
                return f"refused: {exc.os_error}"
            return f"connect: {exc.os_error or exc}"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _refused_literal(url: str) -> str | None:
    """An IP-literal host is connected to without resolving: check it here."""
    host = urlsplit(url).hostname
    if host is None:
        return "refused: no host"
    try:
        public = is_public(host)
    except ValueError:  # a name: the resolver checks it
        return None
    return None if public else f"refused: {host} is a private address"


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


class FakeSender:
    """Records every POST; answers with the queued outcomes in turn, then ``default``."""

    def __init__(self, outcomes: Iterable[Outcome] = (), default: Outcome = 200) -> None:
        self.requests: list[Request] = []
        self.outcomes: deque[Outcome] = deque(outcomes)
        self.default = default
        self.started = False
        self.closed = False

    def respond(self, *outcomes: Outcome) -> None:
        self.outcomes.extend(outcomes)

    async def start(self) -> None:
        self.started = True

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        self.requests.append(Request(url, body, dict(headers)))
        await asyncio.sleep(0)
        return self.outcomes.popleft() if self.outcomes else self.default

    async def close(self) -> None:
        self.closed = True
