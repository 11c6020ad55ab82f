"""Carriers built from settings (``[carriers.NAME]`` tables)."""

from __future__ import annotations

from smscast.carriers.base import Carrier
from smscast.carriers.sandbox import SandboxCarrier, SandboxOptions
from smscast.clock import Clock
from smscast.settings import Settings


def build_carriers(settings: Settings, clock: Clock) -> dict[str, Carrier]:
    carriers: dict[str, Carrier] = {}
    for name, options in settings.carriers.items():
        carriers[name] = SandboxCarrier(
            name,
            SandboxOptions(
                seed=options.seed,
                latency_ms=options.receipt_latency_ms,
                undelivered=options.undelivered,
                failed=options.failed,
            ),
            clock,
        )
    return carriers
