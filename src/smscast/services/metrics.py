"""``/metrics``: what the database says about the whole installation (every worker's work is
there), in the Prometheus text format, built fresh for each scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from smscast.clock import Clock
from smscast.domain.campaigns import STATUS_KEYS
from smscast.store import metrics as q
from smscast.store.db import Database
from smscast.store.metrics import Figures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def exposition(self) -> bytes:
        now = self._clock.now()
        async with self._db.read() as conn:
            found = await q.figures(conn, now)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Gauges(found, now.timestamp()))
        return generate_latest(registry)


class _Gauges(Collector):
    def __init__(self, figures: Figures, now: float) -> None:
        self._figures = figures
        self._now = now

    def collect(self) -> list[GaugeMetricFamily]:
        f = self._figures
        messages = GaugeMetricFamily(
            "smscast_messages",
            "Campaign messages by status (reminders apart).",
            labels=["status"],
        )
        for status in STATUS_KEYS:
            messages.add_metric([status.value], f.messages.get(status.value.lower(), 0))
        campaigns = GaugeMetricFamily(
            "smscast_campaigns", "Live campaigns by state.", labels=["state"]
        )
        for state, count in sorted(f.campaigns.items()):
            campaigns.add_metric([state], count)
        outbox = GaugeMetricFamily(
            "smscast_callbacks", "Callbacks in the outbox by state.", labels=["state"]
        )
        for state, count in sorted(f.outbox.items()):
            outbox.add_metric([state], count)
        lag = 0.0
        if f.oldest_due_callback is not None:
            lag = max(0.0, self._now - f.oldest_due_callback.timestamp())
        return [
            messages,
            campaigns,
            GaugeMetricFamily(
                "smscast_queue_due", "Messages waiting whose time to be sent has come.", f.due
            ),
            outbox,
            GaugeMetricFamily(
                "smscast_callback_lag_seconds",
                "How long the longest-waiting due callback has waited.",
                lag,
            ),
            GaugeMetricFamily(
                "smscast_receipts_waiting", "Receipts stored and not applied yet.",
                f.receipts_waiting,
            ),
            GaugeMetricFamily(
                "smscast_receipts_unmatched",
                "Receipts waiting whose part was not found yet (tried again with backoff).",
                f.receipts_unmatched,
            ),
        ]  # fmt: skip
