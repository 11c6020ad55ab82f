"""Settings: env over TOML over defaults; TOML from --config, SMSCAST_CONFIG or ./smscast.toml."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from smscast.errors import ConfigError
from smscast.settings import load_settings


def test_defaults():
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite+aiosqlite:///./smscast.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.log_redact is True


def test_env_wins_over_file(tmp_path: Path):
    config = tmp_path / "smscast.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\n[exchange_rates]\nUSD = "1.1"\n')
    settings = load_settings(config, environ={"SMSCAST_PORT": "9100"})
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"
    assert settings.exchange_rates == {"USD": Decimal("1.1"), "EUR": Decimal(1)}


def test_config_from_env_variable_and_default_file(tmp_path: Path, monkeypatch):
    named = tmp_path / "named.toml"
    named.write_text("port = 9001\n")
    assert load_settings(environ={"SMSCAST_CONFIG": str(named)}).port == 9001
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smscast.toml").write_text("port = 9002\n")
    assert load_settings(environ={}).port == 9002


def test_database_url_forms():
    pg = load_settings(environ={"SMSCAST_DATABASE_URL": "postgresql://u@h/db"})
    assert pg.database_url == "postgresql+asyncpg://u@h/db"
    assert not pg.is_sqlite
    sqlite = load_settings(environ={"SMSCAST_DATABASE_URL": "sqlite:///x.db"})
    assert sqlite.database_url == "sqlite+aiosqlite:///x.db"
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(environ={"SMSCAST_DATABASE_URL": "mysql://x"})


def test_bad_values_are_one_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="port"):
        load_settings(environ={"SMSCAST_PORT": "eighty"})
    typo = tmp_path / "typo.toml"
    typo.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(typo, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(environ={"SMSCAST_CONFIG": str(tmp_path / "gone.toml")})


def test_an_smpp_carrier_and_failover_routes_from_toml(tmp_path: Path):
    from smscast.carriers.factory import build_carriers
    from smscast.carriers.routing import Router
    from smscast.carriers.smpp.carrier import SmppCarrier
    from smscast.clock import FakeClock

    config = tmp_path / "smscast.toml"
    config.write_text(
        'default_carrier = ["acme", "sandbox"]\n'
        'routes = { GR = ["acme-gr", "acme"], "+4479" = "acme" }\n'
        "[carriers.sandbox]\n"
        "[carriers.acme]\n"
        'type = "smpp"\nhost = "smpp.acme.example"\nsystem_id = "me"\npassword = "hunter2"\n'
        "binds = 2\nwindow = 50\ntps = 100\nhex_ids = true\n"
        "[carriers.acme-gr]\n"
        'type = "smpp"\nport = 2776\nsystem_id = "gr"\nbind_mode = "transmitter"\n'
    )
    settings = load_settings(config, environ={"SMSCAST_CARRIERS__ACME__PASSWORD": "from-env"})
    acme = settings.carriers["acme"]
    assert (acme.type, acme.binds, acme.window, acme.tps, acme.hex_ids) == (
        "smpp",
        2,
        50,
        100,
        True,
    )
    assert acme.password.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)  # secrets never printed
    carriers = build_carriers(settings, FakeClock())
    assert isinstance(carriers["acme"], SmppCarrier)
    assert len(carriers["acme"].sessions) == 2
    router = Router(carriers, settings.routes, settings.default_carrier)
    # Nothing is bound here: the route's first carrier is kept (its messages will wait)...
    assert router.route("+306912345678", "GR").name == "acme-gr"
    # ...and the default falls over to the sandbox, which is always up.
    assert router.route("+4915112345678", "DE").name == "sandbox"
    assert router.route("+447911123456", "GB").name == "acme"


def test_routes_must_name_configured_carriers():
    from smscast.carriers.factory import build_carriers
    from smscast.carriers.routing import Router
    from smscast.clock import FakeClock

    settings = load_settings(environ={}, read_files=False, routes={"GR": ["nowhere"]})
    with pytest.raises(ConfigError, match="nowhere"):
        Router(build_carriers(settings, FakeClock()), settings.routes, settings.default_carrier)


def test_carriers_can_say_what_they_serve_with_a_priority():
    from smscast.carriers.routing import merged_routes

    served = {"backup": (20, ["GR"]), "main": (10, ["gr", "+3069"]), "other": (5, [])}
    assert merged_routes({"GR": "explicit"}, served) == {
        "GR": ["explicit", "main", "backup"],
        "+3069": ["main"],
    }
