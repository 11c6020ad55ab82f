"""Workers driven in burst mode against the sandbox carrier, with the test's fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from smscast.carriers.factory import build_carriers
from smscast.clock import FakeClock
from smscast.services.runtime import Services
from smscast.workers.runtime import Worker
from tests.conftest import GetToken, MakeAccount, bearer
from tests.receiver import Receiver


@pytest.fixture
async def worker(services: Services, clock: FakeClock) -> AsyncIterator[Worker]:
    built = Worker(services, build_carriers(services.settings, clock))
    await built.start()
    try:
        yield built
    finally:
        await built.close()


Login = Callable[[], Awaitable[dict[str, str]]]


@pytest.fixture
async def login(make_account: MakeAccount, get_token: GetToken) -> Login:
    """A bearer header for one account, fetched anew on each call: the tests move the clock
    past a token's lifetime."""
    creds = await make_account()

    async def fresh() -> dict[str, str]:
        return bearer(await get_token(creds))

    return fresh


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    started = Receiver()
    await started.start()
    try:
        yield started
    finally:
        await started.stop()
