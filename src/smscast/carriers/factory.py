"""Carriers built from settings (``[carriers.NAME]`` tables)."""

from __future__ import annotations

from collections.abc import Mapping

from smscast.carriers.base import Carrier
from smscast.carriers.routing import Router, merged_routes
from smscast.carriers.sandbox import SandboxCarrier, SandboxOptions
from smscast.carriers.smpp.carrier import SmppCarrier, SmppOptions
from smscast.carriers.smpp.session import SessionOptions
from smscast.clock import Clock
from smscast.domain.smpp import Command
from smscast.settings import CarrierSettings, Settings


def build_carriers(settings: Settings, clock: Clock) -> dict[str, Carrier]:
    return {
        name: build_carrier(name, options, clock) for name, options in settings.carriers.items()
    }


def build_carrier(name: str, options: CarrierSettings, clock: Clock) -> Carrier:
    if options.type == "smpp":
        return SmppCarrier(
            name,
            SmppOptions(
                session=SessionOptions(
                    host=options.host,
                    port=options.port,
                    system_id=options.system_id,
                    password=options.password.get_secret_value(),
                    system_type=options.system_type,
                    mode=Command.BIND_TRANSCEIVER
                    if options.bind_mode == "transceiver"
                    else Command.BIND_TRANSMITTER,
                    window=options.window,
                    response_timeout=options.response_timeout_seconds,
                    enquire_link_interval=options.enquire_link_seconds,
                    tps=options.tps,
                ),
                binds=options.binds,
                hex_ids=options.hex_ids,
            ),
        )
    return SandboxCarrier(
        name,
        SandboxOptions(
            seed=options.seed,
            latency_ms=options.receipt_latency_ms,
            undelivered=options.undelivered,
            failed=options.failed,
        ),
        clock,
    )


def build_router(settings: Settings, carriers: Mapping[str, Carrier]) -> Router:
    """The routes table of the settings, with each carrier's own countries and prefixes."""
    served = {
        name: (options.priority, [*options.countries, *options.prefixes])
        for name, options in settings.carriers.items()
    }
    return Router(carriers, merged_routes(settings.routes, served), settings.default_carrier)
