"""A cluster on one PostgreSQL database, for the reliability scenarios: ``smscast worker``
processes (killable), an SMPP SMSC (the simulator, in the test's process, over real TCP), and
in-process services on the real clock to accept campaigns and read the outcome."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from smscast.clock import SystemClock
from smscast.services.auth import Principal
from smscast.services.campaigns import CampaignRequest
from smscast.services.runtime import Services, build_services
from smscast.smsc.simulator import Simulator
from smscast.store.tables import messages, receipts, sms_parts
from tests.conftest import make_settings

WINDOW = 10  # each bind's window: what one crash may send again
FINAL = ("Delivered", "Undelivered", "Failed", "Unsent")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


@dataclass
class Cluster:
    database_url: str
    directory: Path
    smsc: Simulator
    settings: dict[str, Any] = field(default_factory=dict)
    carrier: dict[str, Any] = field(default_factory=lambda: {"tps": 100, "binds": 2})
    workers: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    services: Services | None = None
    kills: int = 0
    kills_mid_campaign: int = 0  # with messages still to be sent or to be receipted
    exits: list[str] = field(default_factory=list)  # workers that exited by themselves
    # Where the workers connect, when not straight to ``database_url`` (a DatabaseProxy).
    worker_database_url: str | None = None

    # -- configuration -------------------------------------------------------------------

    @property
    def config(self) -> Path:
        return self.directory / "smscast.toml"

    def write_config(self) -> None:
        values: dict[str, Any] = {
            "database_url": self.worker_database_url or self.database_url,
            "default_carrier": "smsc",
            "claim_lease_seconds": 5,
            "worker_idle_ms": 20,
            "dispatch_batch": 50,
            "receipt_grace_minutes": 0,
            "callback_retry_delays_seconds": [0.5, 0.5, 0.5, 0.5, 0.5],
            "log_level": "warning",
            "secret_hash_time_cost": 1,
            "secret_hash_memory_kib": 8,
            **self.settings,
        }
        lines = [f"{key} = {_toml(value)}" for key, value in values.items()]
        lines += [
            "",
            "[carriers.smsc]",
            'type = "smpp"',
            f"port = {self.smsc.port}",
            'system_id = "smscast"',
            'password = "secret"',
            f"window = {WINDOW}",
            "response_timeout_seconds = 2",
            "enquire_link_seconds = 1",
            *(f"{key} = {_toml(value)}" for key, value in self.carrier.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- processes -----------------------------------------------------------------------

    async def start_worker(self, name: str, *only: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCAST_")}
        env.update({"SMSCAST_CONFIG": str(self.config), "SMSCAST_WORKER_NAME": name})
        args = ["-m", "smscast", "worker"]
        if only:
            args += ["--only", ",".join(only)]
        # Its log (warnings and up) is kept: what a failing scenario's workers said.
        with (self.directory / f"{name}.log").open("ab") as log:
            self.workers[name] = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                env=env,
                stdout=log,
                stderr=log,
            )

    async def kill(self, name: str) -> None:
        """SIGKILL: no release of leases, no goodbye to the SMSC."""
        if await self.waiting():
            self.kills_mid_campaign += 1
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        self.kills += 1

    async def restart_dead(self) -> list[str]:
        """Start again the workers that exited by themselves (a supervisor's job)."""
        dead = [n for n, p in self.workers.items() if p.returncode is not None]
        self.exits += dead
        for name in dead:
            del self.workers[name]
            await self.start_worker(name)
        return dead

    def exit_logs(self, lines: int = 15) -> str:
        """The last lines each worker that exited by itself wrote: why it did."""
        shown = []
        for name in dict.fromkeys(self.exits):
            text = (self.directory / f"{name}.log").read_text(errors="replace").splitlines()
            shown.append(f"--- {name}\n" + "\n".join(text[-lines:]))
        return "\n".join(shown)

    async def stop(self) -> None:
        for process in self.workers.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.workers.clear()
        if self.services is not None:
            await self.services.close()

    # -- work ----------------------------------------------------------------------------

    async def open(self) -> Services:
        if self.services is None:
            self.services = build_services(make_settings(self.database_url), SystemClock())
        return self.services

    async def account(self, balance: Decimal = Decimal(10**6)) -> Principal:
        services = await self.open()
        made = await services.accounts.create(f"rel-{time.monotonic_ns()}", balance=balance)
        return Principal(made.account.id, made.application.application.id, frozenset({"sms"}))

    async def campaign(self, caller: Principal, numbers: tuple[str, ...], **extra: Any) -> str:
        services = await self.open()
        row = await services.campaigns.create(
            caller, CampaignRequest(sender="Shop", body="Reliable", to=numbers, **extra)
        )
        return str(row.id)

    async def waiting(self) -> int:
        services = await self.open()
        async with services.db.read() as conn:
            query = select(func.count()).where(messages.c.status.not_in(FINAL))
            return int((await conn.execute(query)).scalar_one())

    async def receipts_due(self) -> int:
        """Receipts stored for known parts and not yet applied (a late duplicate, say)."""
        services = await self.open()
        async with services.db.read() as conn:
            query = (
                select(func.count())
                .select_from(receipts)
                .join(
                    sms_parts,
                    (sms_parts.c.carrier == receipts.c.carrier)
                    & (sms_parts.c.carrier_message_id == receipts.c.carrier_message_id),
                )
            )
            return int((await conn.execute(query)).scalar_one())

    async def until_final(self, seconds: float) -> None:
        """Until every message is final and every receipt for a known part is applied."""
        deadline = time.monotonic() + seconds
        while (left := await self.waiting()) > 0 or await self.receipts_due():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{left} message(s) not final after {seconds} s: {await self.stuck()}"
                )
            await self.restart_dead()
            await asyncio.sleep(0.2)

    async def stuck(self) -> list[dict[str, Any]]:
        """A few messages not final, with their parts: what a failing scenario shows."""
        services = await self.open()
        async with services.db.read() as conn:
            found = (
                await conn.execute(select(messages).where(messages.c.status.not_in(FINAL)).limit(5))
            ).all()
            shown = []
            for row in found:
                parts = (
                    await conn.execute(select(sms_parts).where(sms_parts.c.message_pk == row.pk))
                ).all()
                shown.append({**row._asdict(), "sms_parts": [p._asdict() for p in parts]})
        return shown

    def submits(self) -> Mapping[str, int]:
        """How many submit_sm the SMSC accepted for each destination (as +digits)."""
        return Counter("+" + pdu.text("destination_addr") for pdu in self.smsc.accepted)


def numbers(count: int, start: int = 0) -> tuple[str, ...]:
    """Ordinary Greek mobile numbers."""
    return tuple(f"+30691{n:07d}" for n in range(start, start + count))
