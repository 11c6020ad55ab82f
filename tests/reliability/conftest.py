"""The reliability suite: scenarios that try to lose or double messages, each ending with the
invariant check. CI runs them at a reduced size; ``SMSCAST_RELIABILITY=full`` runs them at
full size (README: "Reliability suite")."""

from __future__ import annotations

import os

import pytest

FULL = os.environ.get("SMSCAST_RELIABILITY") == "full"


@pytest.fixture
def scale() -> int:
    """How many times larger than the CI size each scenario runs."""
    return 10 if FULL else 1
