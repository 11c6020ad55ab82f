"""The one settings object: SMSCAST_* environment variables over a TOML file over defaults.

Built once by the composition root (``smscast.cli``) and passed down; nothing else reads the
environment. The TOML file is the one named by ``--config`` or ``SMSCAST_CONFIG``, else
``./smscast.toml`` when it exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from smscast.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./smscast.db"
DEFAULT_CONFIG_FILE = Path("smscast.toml")


class CarrierSettings(BaseModel):
    """One ``[carriers.NAME]`` table. ``type`` picks the implementation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sandbox", "smpp"] = "sandbox"
    # sandbox: outcomes and latencies are a hash of the seed and the number
    seed: int = 1
    receipt_latency_ms: tuple[int, int] = (200, 2000)
    undelivered: float = Field(default=0.03, ge=0, le=1)
    failed: float = Field(default=0.01, ge=0, le=1)
    # smpp
    host: str = "127.0.0.1"
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = ""
    password: SecretStr = SecretStr("")
    system_type: str = ""
    # "transmitter" binds a receiver beside each transmitter, for the receipts.
    bind_mode: Literal["transceiver", "transmitter"] = "transceiver"
    binds: int = Field(default=1, ge=1, le=64)
    window: int = Field(default=10, ge=1, le=1000)
    tps: float | None = Field(default=None, gt=0)
    response_timeout_seconds: float = Field(default=10.0, gt=0)
    enquire_link_seconds: float = Field(default=30.0, gt=0)
    # Receipts giving in decimal the ids submit_sm_resp gave in hex (true), or the reverse.
    hex_ids: bool | None = None
    # What this carrier serves, besides any [routes]: countries ("GR") and number prefixes
    # ("+3069"); where several carriers serve one destination, the lowest priority first.
    countries: list[str] = Field(default_factory=list)
    prefixes: list[str] = Field(default_factory=list)
    priority: int = 100


class Settings(BaseSettings):
    """Everything an operator can set. Field ``x`` is env ``SMSCAST_X`` or key ``x`` in TOML."""

    model_config = SettingsConfigDict(
        env_prefix="SMSCAST_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # A writer waits this long for the write lock: accepting a campaign to a million contacts
    # holds it for about 8 s on SQLite.
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    database_echo: bool = False

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)

    token_lifetime_seconds: int = Field(default=3600, ge=60, le=31_536_000)
    # Argon2id cost for application secrets; lower only for tests.
    secret_hash_time_cost: int = Field(default=3, ge=1)
    secret_hash_memory_kib: int = Field(default=65_536, ge=8)

    # Prices are stored in EUR; an account in another currency needs a rate (units per EUR).
    exchange_rates: dict[str, Decimal] = Field(default_factory=lambda: {"EUR": Decimal(1)})
    prices_file: Path | None = None

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["logfmt", "json"] = "logfmt"
    # Phone numbers and message bodies stay out of logs unless this is switched off.
    log_redact: bool = True

    admin_token: SecretStr | None = None

    # Carriers by name, and which one serves what: ``routes`` maps a country ("GR") or a
    # number prefix ("+3069") to a carrier name; everything else goes to ``default_carrier``.
    carriers: dict[str, CarrierSettings] = Field(
        default_factory=lambda: {"sandbox": CarrierSettings()}
    )
    # A route may list several carriers: the first one up takes the traffic (failover).
    routes: dict[str, str | list[str]] = Field(default_factory=dict)
    default_carrier: str | list[str] = "sandbox"

    # Workers
    worker_name: str | None = None  # default: host name and process id
    dispatch_batch: int = Field(default=500, ge=1, le=10_000)
    claim_lease_seconds: int = Field(default=60, ge=5)
    worker_idle_ms: int = Field(default=200, ge=10)
    # A message sent but without a receipt this long after its TTL ends Undelivered/Expired.
    receipt_grace_minutes: int = Field(default=60, ge=0)
    # Quiet-hour windows in the recipient's local time, unless the account sets its own.
    quiet_hours: str = "23:00-08:00,14:00-17:00"

    # Callbacks (webhooks): a POST gets this long, at most this many at once to one host;
    # failed ones are tried again after each delay in turn, then marked failed.
    callback_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    callback_per_host: int = Field(default=20, ge=1, le=1000)
    callback_retry_delays_seconds: list[float] = Field(
        default_factory=lambda: [10.0, 30.0, 120.0, 600.0, 1800.0], max_length=20
    )
    # Refuse callback URLs whose host is or resolves to a loopback, private or link-local
    # address. Off for a single-tenant install; turn it on when tenants are not trusted to
    # reach the installation's own network.
    callback_block_private_addresses: bool = False

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, url: str) -> str:
        for bare in ("postgres://", "postgresql://"):
            if url.startswith(bare):
                return "postgresql+asyncpg://" + url[len(bare) :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "database_url must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://…"
            )
        return url

    @field_validator("callback_retry_delays_seconds")
    @classmethod
    def _delays_are_positive(cls, delays: list[float]) -> list[float]:
        if any(delay <= 0 for delay in delays):
            raise ValueError("retry delays must be positive")
        return delays

    @field_validator("exchange_rates")
    @classmethod
    def _rates_are_positive(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        upper = {code.upper(): rate for code, rate in rates.items()}
        if any(rate <= 0 for rate in upper.values()):
            raise ValueError("exchange rates must be positive")
        upper.setdefault("EUR", Decimal(1))
        return upper

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def resolve_config_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """``--config`` beats ``SMSCAST_CONFIG`` beats ``./smscast.toml`` (only when present)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    from_env = environ.get("SMSCAST_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path} (from SMSCAST_CONFIG)")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    read_files: bool = True,
    **overrides: Any,
) -> Settings:
    """Build the settings: explicit overrides, then environment, then TOML file, then defaults.

    ``read_files=False`` ignores every TOML file (tests build settings from values alone).
    """
    env = os.environ if environ is None else environ
    toml_path = resolve_config_file(config_file, env) if read_files else None

    class _Configured(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [
                init_settings,
                _MappingEnvSource(settings_cls, env),
            ]
            if toml_path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
            return tuple(sources)

    try:
        return _Configured(**overrides)
    except ValueError as exc:  # pydantic.ValidationError and TOML errors are ValueErrors
        raise ConfigError(_one_line(exc)) from exc


class _MappingEnvSource(EnvSettingsSource):
    """The environment source, reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def _one_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
            parts.append(f"{where}: {err.get('msg')}")
        return "invalid settings: " + "; ".join(parts)
    return f"invalid settings: {exc}"
