"""The ``smscast`` command: the composition root that builds settings once and wires services."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from smscast.clock import SystemClock
from smscast.domain.contacts import DEFAULT_LABELS
from smscast.domain.prices import PriceListError
from smscast.errors import ClientError, SmscastError
from smscast.logs import configure_logging
from smscast.services.auth import parse_scopes
from smscast.services.runtime import Services, build_services
from smscast.settings import Settings, load_settings

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
app.add_typer(account_app, name="account")
app.add_typer(application_app, name="application")
app.add_typer(prices_app, name="prices")
app.add_typer(contacts_app, name="contacts")

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
        accounts = await services.accounts.list()
        err.print(
            f"smscast {role} on http://{bind_host}:{bind_port} (database: {services.db.dialect})"
        )
        if not accounts:
            err.print(
                "No accounts yet. In another terminal: "
                "[bold].venv/bin/smscast account create demo --balance 100[/bold]"
            )

        def stop() -> None:
            server.should_exit = True

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        await server.serve()

    run(_with_services(settings, serve))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
) -> None:
    """Run everything in one process: migrations, the API (and, as they land, the workers)."""
    _serve(_state(ctx).settings, host, port, "serve")


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
                }
            )
        )
        return
    out.print(f"account      {created.account.id}  ({created.account.name})")
    out.print(f"balance      {created.account.balance} {created.account.currency}")
    out.print(f"application  {app_row.id}")
    out.print(f"secret       {created.application.secret}")
    out.print(f"scopes       {' '.join(sorted(app_row.scopes))}")
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
                }
            )
        )
        return
    out.print(f"application  {row.id}  ({row.name})")
    out.print(f"secret       {issued.secret}")
    out.print(f"scopes       {' '.join(sorted(row.scopes))}")
    out.print(f"transcode    {row.transcode}")


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
