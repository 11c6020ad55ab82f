"""Identifiers: time-ordered UUIDs (RFC 9562 version 7), one at a time or in bulk.

Time-ordered ids keep rows created together next to each other in every index keyed by id,
so bulk inserts append instead of scattering, and a campaign's join from group members to
contacts walks the contacts table mostly in order. ``uuid.uuid4`` is also slow in bulk
(an object per id); here a batch costs one ``os.urandom`` call and string slicing.
"""

from __future__ import annotations

import os
from datetime import datetime

_RANDOM_BITS = 74  # 12 bits rand_a + 62 bits rand_b
_RAND_A_SHIFT = 62
_VARIANT = 0b10 << 62


def uuid7_batch(moment: datetime, count: int) -> list[str]:
    """``count`` distinct UUIDv7 strings for ``moment``, ascending.

    Within the batch the 74 random bits count up from a random start (RFC 9562 §6.2,
    method 2), so the ids sort in creation order.
    """
    if count <= 0:
        return []
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    start = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    # Leave room so the counter never wraps inside one batch.
    start &= (1 << _RANDOM_BITS) - 1 - (1 << 40)
    head = f"{millis:012x}"
    ids: list[str] = []
    for n in range(start, start + count):
        rand_a = n >> _RAND_A_SHIFT
        rand_b = n & ((1 << _RAND_A_SHIFT) - 1)
        low = _VARIANT | rand_b
        ids.append(
            f"{head[:8]}-{head[8:]}-7{rand_a:03x}-{low >> 48:04x}-{low & 0xFFFFFFFFFFFF:012x}"
        )
    return ids


def uuid7(moment: datetime) -> str:
    return uuid7_batch(moment, 1)[0]
