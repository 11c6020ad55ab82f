"""Fixtures for the API tests: bearer headers of two unrelated accounts."""

from __future__ import annotations

import pytest

from tests.conftest import GetToken, MakeAccount, bearer


@pytest.fixture
async def auth(make_account: MakeAccount, get_token: GetToken) -> dict[str, str]:
    """An account's bearer header, every scope."""
    return bearer(await get_token(await make_account()))


@pytest.fixture
async def other(make_account: MakeAccount, get_token: GetToken) -> dict[str, str]:
    """A second account's bearer header, for tenancy checks."""
    return bearer(await get_token(await make_account()))
