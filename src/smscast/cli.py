"""The ``smscast`` command: the composition root that builds settings once and wires services."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from smscast.clock import SystemClock
from smscast.domain.campaigns import Callback, CallbackStrategy, CampaignState, MessageStatus
from smscast.domain.contacts import DEFAULT_LABELS
from smscast.domain.prices import PriceListError
from smscast.errors import ClientError, SmscastError
from smscast.logs import configure_logging
from smscast.services.auth import parse_scopes
from smscast.services.campaign_admin import (
    FLOW_ORDER,
    CampaignCounts,
    CampaignDetail,
    CampaignOverview,
)
from smscast.services.runtime import Services, build_services, wait_for_database
from smscast.settings import Settings, load_settings
from smscast.store.accounts import AccountRow

T = TypeVar("T")

app = typer.Typer(
    name="smscast",
    help="Self-hosted SMS campaigns behind a Routee-compatible API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
account_app = typer.Typer(help="Accounts and their money.", no_args_is_help=True)
application_app = typer.Typer(
    help="OAuth2 applications (client id + secret).", no_args_is_help=True
)
prices_app = typer.Typer(help="Price lists.", no_args_is_help=True)
contacts_app = typer.Typer(help="Import and export an account's contacts.", no_args_is_help=True)
campaigns_app = typer.Typer(help="Look at campaigns and follow them live.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(application_app, name="application")
app.add_typer(prices_app, name="prices")
app.add_typer(contacts_app, name="contacts")
app.add_typer(campaigns_app, name="campaigns")
outbox_app = typer.Typer(help="Callbacks waiting, delivered or failed.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")

out = Console()
err = Console(stderr=True)


class CliState:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML settings file (default: ./smscast.toml)."),
    ] = None,
) -> None:
    ctx.obj = CliState(config)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it exists (it is the loop the server is measured on)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux/macOS
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def _with_services(
    settings: Settings, work: Callable[[Services], Awaitable[T]], *, prepare: bool = True
) -> T:
    services = build_services(settings, SystemClock())
    try:
        if prepare:
            await services.prepare()
        return await work(services)
    finally:
        await services.close()


# -- server -------------------------------------------------------------------------------


def _serve(settings: Settings, host: str | None, port: int | None, role: str) -> None:
    import uvicorn

    from smscast.api.app import create_app

    configure_logging(settings.log_level, settings.log_format, settings.log_redact)
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Signals are ours (see below): uvicorn would re-raise SIGINT after a clean stop.
            yield

    async def serve(services: Services) -> None:
        config = uvicorn.Config(
            create_app(services),
            host=bind_host,
            port=bind_port,
            http="httptools",
            loop="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
        )
        server = Server(config)
        stopping = asyncio.Event()

        def stop() -> None:
            server.should_exit = True
            stopping.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        accounts: list[Any] = []

        async def prepare() -> None:
            nonlocal accounts
            await services.prepare()
            accounts = await services.accounts.list()

        if not await wait_for_database(prepare, stopping, "migrate"):
            return
        err.print(
            f"smscast {role} on http://{bind_host}:{bind_port} (database: {services.db.dialect})"
        )
        if not accounts:
            err.print(
                "No accounts yet. In another terminal: "
                "[bold].venv/bin/smscast account create demo --balance 100[/bold]"
            )
        if role != "serve":
            await server.serve()
            return
        worker = _worker(services)
        # Both run until a signal; a worker task that fails stops the server too.
        serving = asyncio.create_task(server.serve())
        working = asyncio.create_task(worker.run(stopping))
        done, _ = await asyncio.wait({serving, working}, return_when=asyncio.FIRST_COMPLETED)
        stop()
        await asyncio.gather(serving, working, return_exceptions=True)
        for task in done:
            task.result()

    run(_with_services(settings, serve, prepare=False))


def _worker(services: Services, only: frozenset[str] | None = None) -> Any:
    from smscast.carriers.factory import build_carriers
    from smscast.workers.runtime import Worker

    carriers = build_carriers(services.settings, services.clock)
    return Worker(services, carriers, only=only)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
) -> None:
    """Run everything in one process: migrations, the API and the workers."""
    _serve(_state(ctx).settings, host, port, "serve")


@app.command()
def worker(
    ctx: typer.Context,
    only: Annotated[
        str | None,
        typer.Option(
            help="Run just these tasks, comma-separated: scheduler, dispatcher, receipts,"
            " expiry, notifier (e.g. a process of its own for callbacks: --only notifier)."
        ),
    ] = None,
) -> None:
    """Run the workers only: scheduler, dispatcher, receipts, expiry, notifier (run several
    on PostgreSQL). Stops on SIGINT/SIGTERM after the batch in hand."""
    settings = _state(ctx).settings
    configure_logging(settings.log_level, settings.log_format, settings.log_redact)
    from smscast.workers.runtime import TASKS

    tasks = None
    if only is not None:
        tasks = frozenset(t.strip() for t in only.split(",") if t.strip())
        if not tasks or not tasks <= TASKS:
            raise ClientError(f"--only takes some of: {', '.join(sorted(TASKS))}")

    async def work(services: Services) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        if not await wait_for_database(services.prepare, stopping, "migrate"):
            return
        running = _worker(services, tasks)
        err.print(f"smscast worker {running.name} (database: {services.db.dialect})")
        await running.run(stopping)

    run(_with_services(settings, work, prepare=False))


@app.command()
def api(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
) -> None:
    """Run the HTTP API only (stateless; run several behind a load balancer)."""
    _serve(_state(ctx).settings, host, port, "api")


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Bring the database schema up to date and install the default price list."""
    from smscast.store.migrate import current_revision

    async def work(services: Services) -> str | None:
        return await current_revision(services.db)

    revision = run(_with_services(_state(ctx).settings, work))
    out.print(f"database at revision {revision}")


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The cluster: workers and when each was last seen, who holds each carrier bind, the
    queue per carrier, the callback backlog."""
    from smscast.carriers.factory import build_carriers, build_router
    from smscast.services.cluster import cluster_status

    async def work(services: Services) -> Any:
        carriers = build_carriers(services.settings, services.clock)
        return await cluster_status(
            services.db, services.clock, build_router(services.settings, carriers)
        )

    found = run(_with_services(_state(ctx).settings, work))
    alive_since = found.now - found.lease
    if as_json:
        print(
            json.dumps(
                {
                    "workers": [
                        {
                            "name": w.name,
                            "host": w.host,
                            "pid": w.pid,
                            "tasks": w.tasks.split(","),
                            "startedAt": _iso(w.started_at),
                            "seenAt": _iso(w.seen_at),
                            "alive": w.seen_at >= alive_since,
                        }
                        for w in found.workers
                    ],
                    "binds": [
                        {
                            "carrier": b.carrier,
                            "slot": b.slot,
                            "worker": b.worker
                            if b.lease_until is not None and b.lease_until >= found.now
                            else None,
                        }
                        for b in found.binds
                    ],
                    "queued": found.queued,
                    "due": found.due,
                    "callbacks": found.callbacks,
                }
            )
        )
        return
    table = Table("worker", "host", "pid", "tasks", "seen", "state", box=None)
    for w in found.workers:
        alive = w.seen_at >= alive_since
        table.add_row(w.name, w.host, str(w.pid), w.tasks, _when(w.seen_at, seconds=True),
                      "alive" if alive else "[red]silent[/red]")  # fmt: skip
    _print_whole(table)
    binds = Table("carrier", "bind", "held by", "lease until", box=None)
    for b in found.binds:
        held = b.lease_until is not None and b.lease_until >= found.now
        binds.add_row(b.carrier, str(b.slot), b.worker if held else "—",
                      _when(b.lease_until, seconds=True) if held else "—")  # fmt: skip
    _print_whole(binds)
    queue = ", ".join(f"{name} {count:,}" for name, count in sorted(found.queued.items()))
    out.print(f"queued: {queue or 'nothing'} ({found.due:,} due now)", highlight=False)
    out.print(
        f"callbacks: {found.callbacks.get('pending', 0):,} pending,"
        f" {found.callbacks.get('failed', 0):,} failed",
        highlight=False,
    )


@app.command()
def smsc(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free one).")] = 2775,
    system_id: Annotated[
        str | None, typer.Option(help="Only this one binds (default: any).")
    ] = None,
    password: Annotated[str, typer.Option(help="The password of --system-id.")] = "",
    seed: Annotated[int, typer.Option(help="Outcomes and delays are a hash of it.")] = 1,
    receipt_delay_ms: Annotated[str, typer.Option(help="MS or MIN-MAX.")] = "100",
    response_delay_ms: Annotated[str, typer.Option(help="Before each submit_sm_resp.")] = "0",
    undelivered: Annotated[float, typer.Option(help="Share of parts UNDELIV.")] = 0.03,
    expired: Annotated[float, typer.Option(help="Share of parts EXPIRED.")] = 0.0,
    rejected: Annotated[float, typer.Option(help="Share of parts REJECTD.")] = 0.0,
    receipt_form: Annotated[str, typer.Option(help="text, tlv or both.")] = "both",
    message_id_format: Annotated[str, typer.Option(help="hex or decimal.")] = "hex",
    receipt_id_format: Annotated[str | None, typer.Option(help="Ids in receipts.")] = None,
    throttle_every: Annotated[int, typer.Option(help="Every Nth submit: 0x58.")] = 0,
    queue_full_every: Annotated[int, typer.Option(help="Every Nth submit: 0x14.")] = 0,
    drop_after: Annotated[int, typer.Option(help="Hang up after N submits.")] = 0,
    reject_bind: Annotated[bool, typer.Option(help="Refuse every bind.")] = False,
    duplicate_receipts: Annotated[bool, typer.Option(help="Send each twice.")] = False,
    early_receipts: Annotated[bool, typer.Option(help="Before the submit_sm_resp.")] = False,
    never_answer: Annotated[list[str] | None, typer.Option(help="Number prefix (repeat).")] = None,
    prefix: Annotated[list[str] | None, typer.Option(help="PREFIX=BEHAVIOUR (repeat).")] = None,
) -> None:
    """Run a simulated SMSC (SMPP 3.4) until SIGINT/SIGTERM; prints its counters on stop."""
    from smscast.smsc import options as smsc_options
    from smscast.smsc.simulator import Simulator

    try:
        options = smsc_options.SimulatorOptions(
            host=host,
            port=port,
            credentials={system_id: password} if system_id else {},
            seed=seed,
            receipt_delay_ms=smsc_options.parse_range(receipt_delay_ms),
            response_delay_ms=smsc_options.parse_range(response_delay_ms),
            undelivered=undelivered,
            expired=expired,
            rejected=rejected,
            receipt_form=receipt_form,  # type: ignore[arg-type]  # checked by the options
            message_id_format=message_id_format,  # type: ignore[arg-type]
            receipt_id_format=receipt_id_format,  # type: ignore[arg-type]
            throttle_every=throttle_every,
            queue_full_every=queue_full_every,
            never_answer_prefix=tuple(never_answer or ()),
            reject_bind=reject_bind,
            drop_after=drop_after,
            duplicate_receipts=duplicate_receipts,
            early_receipts=early_receipts,
            prefix_behaviours=smsc_options.parse_behaviours(prefix or ()),
            record=False,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    settings = _state(ctx).settings
    configure_logging(settings.log_level, settings.log_format, settings.log_redact)

    async def work() -> dict[str, int]:
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stopping.set)
        async with Simulator(options) as simulator:
            err.print(f"smscast smsc on {simulator.address}", markup=False, highlight=False)
            await stopping.wait()
        return simulator.stats.as_dict()

    stats = run(work())
    out.print(
        " ".join(f"{k}={v}" for k, v in stats.items()),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# -- accounts -----------------------------------------------------------------------------


@account_app.command("create")
def account_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A unique account name.")],
    balance: Annotated[str, typer.Option(help="Opening balance (a ledger top-up).")] = "0",
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of the balance.")] = "EUR",
    scopes: Annotated[
        str | None, typer.Option(help="Scopes of the first application (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an account and its first application; prints the credentials once."""

    async def work(services: Services) -> Any:
        return await services.accounts.create(
            name, balance=balance, currency=currency, scopes=parse_scopes(scopes) or None
        )

    created = run(_with_services(_state(ctx).settings, work))
    app_row = created.application.application
    if as_json:
        print(
            json.dumps(
                {
                    "accountId": created.account.id,
                    "applicationId": app_row.id,
                    "applicationSecret": created.application.secret,
                    "callbackSecret": app_row.callback_secret,
                }
            )
        )
        return
    out.print(f"account      {created.account.id}  ({created.account.name})")
    out.print(f"balance      {created.account.balance} {created.account.currency}")
    out.print(f"application  {app_row.id}")
    out.print(f"secret       {created.application.secret}")
    out.print(f"scopes       {' '.join(sorted(app_row.scopes))}")
    out.print(f"callback secret  {app_row.callback_secret}  (verifies X-Smscast-Signature)")
    err.print("[dim]The secret is shown only now: store it safely.[/dim]")


@account_app.command("list")
def account_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every account with its balance."""

    async def work(services: Services) -> Any:
        return await services.accounts.list()

    rows = run(_with_services(_state(ctx).settings, work))
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "accountId": a.id,
                        "name": a.name,
                        "balance": str(a.balance),
                        "currency": a.currency,
                    }
                    for a in rows
                ]
            )
        )
        return
    table = Table("name", "balance", "currency", "created")
    table.add_column("id", no_wrap=True, min_width=36)
    for a in rows:
        table.add_row(
            a.name, _amount(a.balance), a.currency, a.created_at.strftime("%Y-%m-%d %H:%M"), a.id
        )
    out.print(table)


@account_app.command("topup")
def account_topup(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    amount: Annotated[str, typer.Argument(help="Amount to add, e.g. 50 or 12.5.")],
) -> None:
    """Add money to an account (recorded in its ledger)."""

    async def work(services: Services) -> Any:
        return await services.accounts.top_up(account, amount)

    entry = run(_with_services(_state(ctx).settings, work))
    out.print(
        f"topped up {_amount(entry.amount)}: balance {_amount(entry.balance_before)} → "
        f"{_amount(entry.balance_after)}"
    )


@account_app.command("quiet-hours")
def account_quiet_hours(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    windows: Annotated[
        str | None,
        typer.Argument(help="Local-time windows, e.g. '22:00-09:00,13:30-16:30'; '' for none."),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Use the installation's windows again.")
    ] = False,
) -> None:
    """Show or set the quiet-hour windows of an account's campaigns (respectQuietHours)."""

    async def work(services: Services) -> str:
        if default or windows is not None:
            return await services.accounts.set_quiet_hours(account, None if default else windows)
        return await services.accounts.quiet_hours(account)

    shown = run(_with_services(_state(ctx).settings, work))
    out.print(f"quiet hours: {shown or 'none'}")


# -- applications -------------------------------------------------------------------------


@application_app.command("create")
def application_create(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    scopes: Annotated[
        str | None, typer.Option(help="Space- or comma-separated, e.g. 'sms report'.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Application name.")] = None,
    token_lifetime: Annotated[
        int | None, typer.Option(help="Access token lifetime in seconds.")
    ] = None,
    transcode: Annotated[
        str,
        typer.Option(
            help="Default when a request does not say: auto (when it saves parts), always, never."
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create another application (client id + secret) for an account."""

    async def work(services: Services) -> Any:
        return await services.auth.create_application(
            account,
            name=name,
            scopes=parse_scopes(scopes) or None,
            token_lifetime_seconds=token_lifetime,
            transcode=transcode,
        )

    issued = run(_with_services(_state(ctx).settings, work))
    row = issued.application
    if as_json:
        print(
            json.dumps(
                {
                    "accountId": row.account_id,
                    "applicationId": row.id,
                    "applicationSecret": issued.secret,
                    "scopes": sorted(row.scopes),
                    "transcode": row.transcode,
                    "callbackSecret": row.callback_secret,
                }
            )
        )
        return
    out.print(f"application  {row.id}  ({row.name})")
    out.print(f"secret       {issued.secret}")
    out.print(f"scopes       {' '.join(sorted(row.scopes))}")
    out.print(f"transcode    {row.transcode}")
    out.print(f"callback secret  {row.callback_secret}")


def _callback_option(url: str | None, strategy: str, name: str) -> Callback | None:
    if url is None:
        return None
    try:
        return Callback(url.strip(), CallbackStrategy(strategy))
    except ValueError as exc:
        raise ClientError(f"{name} strategy must be OnChange or OnCompletion") from exc


@application_app.command("update")
def application_update(
    ctx: typer.Context,
    application: Annotated[str, typer.Argument(help="Application id (the OAuth2 client id).")],
    callback: Annotated[
        str | None, typer.Option(help="Default message callback URL for its campaigns.")
    ] = None,
    strategy: Annotated[
        str, typer.Option(help="Message callback strategy: OnChange or OnCompletion.")
    ] = "OnChange",
    campaign_callback: Annotated[
        str | None, typer.Option(help="Default campaign callback URL for its campaigns.")
    ] = None,
    campaign_strategy: Annotated[
        str, typer.Option(help="Campaign callback strategy: OnChange or OnCompletion.")
    ] = "OnChange",
    no_callback: Annotated[
        bool, typer.Option("--no-callback", help="Remove the default message callback.")
    ] = False,
    no_campaign_callback: Annotated[
        bool,
        typer.Option("--no-campaign-callback", help="Remove the default campaign callback."),
    ] = False,
    rotate_callback_secret: Annotated[
        bool,
        typer.Option(
            "--rotate-callback-secret",
            help="Sign callbacks with a new secret from now on (prints it once).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Set an application's default callbacks (used by campaigns that name none) or rotate
    the secret its callbacks are signed with."""
    message = _callback_option(callback, strategy, "callback")
    campaign = _callback_option(campaign_callback, campaign_strategy, "campaign callback")

    async def work(services: Services) -> Any:
        return await services.auth.update_application(
            application,
            callback=message,
            campaign_callback=campaign,
            clear_callback=no_callback,
            clear_campaign_callback=no_campaign_callback,
            rotate_callback_secret=rotate_callback_secret,
        )

    row = run(_with_services(_state(ctx).settings, work))
    shown = {
        "applicationId": row.id,
        "callback": row.callback,
        "campaignCallback": row.campaign_callback,
    }
    if rotate_callback_secret:
        shown["callbackSecret"] = row.callback_secret
    if as_json:
        print(json.dumps(shown))
        return
    out.print(f"application        {row.id}  ({row.name})")
    for label, value in (("callback", row.callback), ("campaign callback", row.campaign_callback)):
        text = f"{value['url']}  ({value['strategy']})" if value else "none"
        out.print(f"{label:<18} {text}")
    if rotate_callback_secret:
        out.print(f"callback secret    {row.callback_secret}")


# -- prices -------------------------------------------------------------------------------


@prices_app.command("import")
def prices_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with iso, mcc, price [, mnc, network].")],
    account: Annotated[
        str | None, typer.Option(help="Set this account's overrides instead of the default list.")
    ] = None,
) -> None:
    """Replace the installation's price list, or one account's overrides (all or nothing)."""
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise SmscastError(f"cannot read {file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SmscastError(f"cannot read {file}: not UTF-8 text ({exc.reason})") from exc

    async def work(services: Services) -> int:
        return await services.prices.import_lines(lines, account)

    count = run(_with_services(_state(ctx).settings, work))
    target = f"account {account}" if account else "the installation"
    out.print(f"imported {count} prices for {target}")


# -- contacts -----------------------------------------------------------------------------


@contacts_app.command("import")
def contacts_import(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    file: Annotated[
        Path, typer.Argument(help="CSV with a header: mobile, firstName, lastName, email, vip…")
    ],
    group: Annotated[
        str | None, typer.Option(help="Also put every imported contact in this group.")
    ] = None,
) -> None:
    """Create or update contacts from a CSV file; bad rows are reported, never fatal."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    try:
        size = file.stat().st_size
        with file.open("rb") as sample:
            head = sample.read(65536)
    except OSError as exc:
        raise SmscastError(f"cannot read {file}: {exc.strerror}") from exc
    # A row count to aim the bar at, from the first 64 KB's average line length.
    estimate = max(1, round(size / max(1, len(head) / max(1, head.count(b"\n")))) - 1)

    async def work(services: Services) -> Any:
        found = await services.accounts.find(account)
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=estimate)
            return await services.contact_import.run_file(
                found.id,
                file,
                group=group,
                progress=lambda rows: bar.update(task, completed=min(rows, estimate)),
            )

    summary = run(_with_services(_state(ctx).settings, work))
    out.print(
        f"created {summary.created:,}, updated {summary.updated:,}, "
        f"duplicates {summary.duplicates:,}, invalid {summary.invalid:,}"
    )
    if summary.labels_created:
        out.print(f"new labels (Text): {', '.join(summary.labels_created)}")
    if summary.group_created:
        out.print(f"new group: {group}")
    for problem in summary.problems:
        err.print(f"  line {problem.line}: {problem.problem}", markup=False, highlight=False)
    if summary.invalid > len(summary.problems):
        err.print(f"  … and {summary.invalid - len(summary.problems):,} more invalid rows")


@contacts_app.command("export")
def contacts_export(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    group: Annotated[str | None, typer.Option(help="Only this group's contacts.")] = None,
) -> None:
    """Write the account's contacts as CSV to standard output (the import format)."""
    import csv

    async def work(services: Services) -> int:
        found = await services.accounts.find(account)
        labels = [
            name for name in await services.contacts.labels(found.id) if name not in DEFAULT_LABELS
        ]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["mobile", "firstName", "lastName", "email", "vip", "country", *labels])
        count = 0
        async for batch in services.contacts.export(found.id, group):
            writer.writerows(
                [
                    c.mobile,
                    c.first_name,
                    c.last_name,
                    c.email,
                    "true" if c.vip else "false",
                    c.country,
                    *(_cell(c.labels.get(name)) for name in labels),
                ]
                for c in batch
            )
            count += len(batch)
        return count

    count = run(_with_services(_state(ctx).settings, work))
    err.print(f"exported {count:,} contacts", highlight=False)


# -- campaigns ----------------------------------------------------------------------------

_STATES = ", ".join(state.value for state in CampaignState)


@campaigns_app.command("list")
def campaigns_list(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    state: Annotated[str | None, typer.Option(help=f"Only this state: {_STATES}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """An account's campaigns, newest first."""

    async def work(services: Services) -> tuple[AccountRow, list[CampaignOverview]]:
        found = await services.accounts.find(account)
        return found, await services.campaign_admin.list(found.id, state=state, limit=limit)

    found, rows = run(_with_services(_state(ctx).settings, work))
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "trackingId": c.id,
                        "name": c.name,
                        "state": c.state,
                        "createdAt": c.created_at.isoformat(),
                        "scheduledAt": _iso(c.scheduled_at),
                        "totalMessages": c.total_messages,
                        "cost": str(c.cost),
                        "currency": found.currency,
                        "statuses": _statuses(c.counters),
                    }
                    for c in rows
                ]
            )
        )
        return
    if not rows:
        err.print(f"no campaigns for {found.name}", markup=False, highlight=False)
        return
    title = f"{found.name}: {len(rows)} campaign{'' if len(rows) == 1 else 's'}"
    if len(rows) == limit:
        title += f" (the newest {limit})"
    table = Table(title=Text(title), title_justify="left")
    table.add_column("tracking id", no_wrap=True, min_width=36)
    table.add_column("name")
    table.add_column("state", no_wrap=True)
    table.add_column("created")
    table.add_column("scheduled")
    table.add_column("messages", justify="right")
    table.add_column(f"cost {found.currency}", justify="right")
    table.add_column("statuses")
    for c in rows:
        table.add_row(
            c.id,
            Text(c.name or ""),
            c.state,
            _when(c.created_at),
            _when(c.scheduled_at),
            f"{c.total_messages:,}",
            _amount(c.cost),
            _status_summary(c.counters),
        )
    _print_whole(table)


@campaigns_app.command("show")
def campaigns_show(
    ctx: typer.Context,
    tracking_id: Annotated[str, typer.Argument(help="The campaign's tracking id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Everything about one campaign, of any account."""

    async def work(services: Services) -> CampaignDetail:
        return await services.campaign_admin.get(tracking_id)

    c = run(_with_services(_state(ctx).settings, work))
    if as_json:
        print(
            json.dumps(
                {
                    "trackingId": c.id,
                    "accountId": c.account_id,
                    "accountName": c.account_name,
                    "name": c.name,
                    "state": c.state,
                    "sender": c.sender,
                    "body": c.body,
                    "flash": c.flash,
                    "respectQuietHours": c.respect_quiet_hours,
                    "ttl": c.ttl,
                    "createdAt": c.created_at.isoformat(),
                    "updatedAt": c.updated_at.isoformat(),
                    "scheduledAt": _iso(c.scheduled_at),
                    "startedAt": _iso(c.started_at),
                    "finishedAt": _iso(c.finished_at),
                    "totalMessages": c.total_messages,
                    "cost": str(c.cost),
                    "currency": c.currency,
                    "statuses": _statuses(c.counters),
                    "quietHoursReport": c.quiet_hours,
                }
            )
        )
        return
    held = ", ".join(f"{country} {n:,}" for country, n in sorted(c.quiet_hours.items()))
    lines = [
        ("campaign", c.id),
        ("name", c.name or "—"),
        ("account", f"{c.account_id}  ({c.account_name})"),
        ("state", c.state),
        ("sender", c.sender),
        ("body", c.body.replace("\n", "\n" + " " * 14)),
        ("flash", "yes" if c.flash else "no"),
        ("ttl", f"{c.ttl} minutes"),
        ("quiet hours", "respected" if c.respect_quiet_hours else "ignored"),
        ("held back", held or "none"),
        ("created", _when(c.created_at, seconds=True)),
        ("scheduled", _when(c.scheduled_at, seconds=True)),
        ("started", _when(c.started_at, seconds=True)),
        ("finished", _when(c.finished_at, seconds=True)),
        ("messages", f"{c.total_messages:,}"),
        ("cost", f"{_amount(c.cost)} {c.currency}"),
        *((status.value, f"{c.counters[status]:,}") for status in FLOW_ORDER),
    ]
    for label, value in lines:
        out.print(f"{label:<13} {value}", markup=False, highlight=False, soft_wrap=True)


@campaigns_app.command("watch")
def campaigns_watch(
    ctx: typer.Context,
    tracking_id: Annotated[str, typer.Argument(help="The campaign's tracking id.")],
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 1.0,
) -> None:
    """Follow a campaign's progress until it is Finished or Failed (Ctrl-C stops)."""
    from rich.console import Group
    from rich.live import Live
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
    )

    async def work(services: Services) -> CampaignCounts:
        updates = services.campaign_admin.watch(tracking_id, interval)
        async with contextlib.aclosing(updates):
            last = await anext(updates)
            err.print(f"watching {last.id}; Ctrl-C to stop", style="dim", highlight=False)
            bars = Progress(
                TextColumn("{task.description:<12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                console=out,
            )
            tasks = {
                status: bars.add_task(status.value, total=last.total_messages)
                for status in FLOW_ORDER
            }

            def frame(counts: CampaignCounts) -> Group:
                for status, task in tasks.items():
                    # The total too: a scheduled campaign may be replanned meanwhile.
                    bars.update(
                        task, total=counts.total_messages, completed=counts.counters[status]
                    )
                header = Text.assemble(f"{counts.id}  ", (counts.state, "bold"))
                return Group(header, bars)

            if not out.is_terminal:
                # Nothing to redraw in a pipe or a log: the final picture only.
                async for counts in updates:
                    last = counts
                out.print(frame(last))
                return last
            with Live(frame(last), console=out, auto_refresh=False) as live:
                async for last in updates:
                    live.update(frame(last), refresh=True)
        return last

    final = run(_with_services(_state(ctx).settings, work))
    out.print(
        f"{final.id} {final.state}: {final.total_messages:,} messages, "
        f"{_status_summary(final.counters)}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# -- outbox -------------------------------------------------------------------------------


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only the failed ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List callbacks, newest first."""
    from smscast.services.notifier import OutboxAdmin

    async def work(services: Services) -> Any:
        return await OutboxAdmin(services.db, services.clock).page(failed_only=failed, limit=limit)

    rows = run(_with_services(_state(ctx).settings, work))
    if as_json:
        print(json.dumps([
            {"id": r.pk, "accountId": r.account_id, "kind": r.kind, "url": r.url,
             "state": r.state, "attempts": r.attempts, "nextAttemptAt": _iso(r.next_attempt_at),
             "lastError": r.last_error, "createdAt": _iso(r.created_at),
             "deliveredAt": _iso(r.delivered_at)}
            for r in rows
        ]))  # fmt: skip
        return
    table = Table("id", "kind", "state", "attempts", "next attempt", "last error", "url")
    for r in rows:
        table.add_row(str(r.pk), r.kind, r.state, str(r.attempts),
                      _when(r.next_attempt_at, seconds=True) if r.state == "pending" else "—",
                      _cell(r.last_error), r.url)  # fmt: skip
    _print_whole(table)


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    callback_id: Annotated[int | None, typer.Argument(help="The callback's id.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed one.")] = False,
) -> None:
    """Send a callback again (attempts start over), or every failed one."""
    from smscast.errors import NotFoundInStore
    from smscast.services.notifier import OutboxAdmin

    if (callback_id is None) == (not all_failed):
        raise typer.BadParameter("give a callback id or --all-failed, not both")

    async def work(services: Services) -> list[int]:
        return await OutboxAdmin(services.db, services.clock).retry(callback_id)

    queued = run(_with_services(_state(ctx).settings, work))
    if callback_id is not None and not queued:
        raise NotFoundInStore(f"no callback {callback_id} to send again (unknown or pending)")
    out.print(f"{len(queued)} callback(s) queued again", highlight=False)


def _print_whole(table: Table) -> None:
    """A terminal gets the table fitted to its width; a pipe or a file gets it unsqueezed."""
    if out.is_terminal:
        out.print(table)
        return
    width = Measurement.get(out, out.options.update_width(10_000), table).maximum
    Console(file=out.file, width=width, no_color=True).print(table)


def _statuses(counters: Mapping[MessageStatus, int]) -> dict[str, int]:
    """Routee's ``statuses``: every key, in its order."""
    return {status.value: counters[status] for status in MessageStatus}


def _status_summary(counters: Mapping[MessageStatus, int]) -> str:
    """The non-zero counters as they flow, e.g. ``3 delivered · 1 failed``."""
    parts = [f"{counters[s]:,} {s.value.lower()}" for s in FLOW_ORDER if counters[s]]
    return " · ".join(parts) or "none"


def _when(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _amount(value: Decimal) -> str:
    """At least two decimals, more only when the amount has them (prices have 4-6)."""
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def main() -> None:
    """Entry point: one clear line and a non-zero exit for every expected failure."""
    # phonenumbers compiles hundreds of per-region patterns; Python's own regex cache holds
    # 512, so numbers of many countries keep recompiling them. Its pattern cache keeps them.
    import phonenumbers

    phonenumbers.enable_pattern_cache()
    try:
        app()
    except PriceListError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        for problem in exc.problems[10:]:
            err.print(f"  {problem}", markup=False, highlight=False)
        sys.exit(1)
    except ClientError as exc:
        err.print(f"error: {exc.message}", markup=False, highlight=False)
        sys.exit(1)
    except SmscastError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except DBAPIError as exc:
        err.print(f"error: database: {exc.orig}", markup=False, highlight=False)
        sys.exit(1)
    except OSError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
