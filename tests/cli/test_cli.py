"""The smscast command, run as a user runs it: a real process against a real database."""

from __future__ import annotations

import json
from pathlib import Path


def test_account_create_json_list_and_topup(smscast):
    created = json.loads(smscast("account", "create", "acme", "--balance", "50", "--json").stdout)
    assert set(created) == {"accountId", "applicationId", "applicationSecret", "callbackSecret"}
    listed = json.loads(smscast("account", "list", "--json").stdout)
    assert listed == [
        {
            "accountId": created["accountId"],
            "name": "acme",
            "balance": "50.000000",
            "currency": "EUR",
        }
    ]
    topped = smscast("account", "topup", "acme", "12.5")
    assert "50.00 → 62.50" in topped.stdout
    table = smscast("account", "list").stdout
    assert created["accountId"] in table
    assert "62.50" in table


def test_account_create_human_output_shows_secret_once(smscast):
    result = smscast("account", "create", "acme", "--balance", "1")
    assert "secret" in result.stdout
    assert "shown only now" in result.stderr


def test_application_create_with_scopes(smscast):
    smscast("account", "create", "acme")
    app = json.loads(
        smscast("application", "create", "acme", "--scopes", "sms,report", "--json").stdout
    )
    assert app["scopes"] == ["report", "sms"]
    assert app["applicationSecret"]


def test_errors_are_one_line_and_nonzero(smscast):
    missing = smscast("account", "topup", "nobody", "5", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no account 'nobody'"
    assert "Traceback" not in missing.stderr
    smscast("account", "create", "acme")
    duplicate = smscast("account", "create", "acme", check=False)
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "error: an account named 'acme' already exists"
    bad_amount = smscast("account", "topup", "acme", "lots", check=False)
    assert bad_amount.returncode == 1
    assert bad_amount.stderr.strip() == "error: amount must be a decimal number"
    bad_scope = smscast("application", "create", "acme", "--scopes", "admin", check=False)
    assert bad_scope.returncode == 1
    assert "unknown scope(s): admin" in bad_scope.stderr


def test_prices_import_replaces_or_overrides(smscast, tmp_path: Path):
    smscast("account", "create", "acme")
    good = tmp_path / "prices.csv"
    good.write_text("iso,mcc,price\nGR,202,0.05\nDE,262,0.08\n")
    result = smscast("prices", "import", str(good), "--account", "acme")
    assert "imported 2 prices for account acme" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("iso,mcc,price\nGR,202,0.05\nXX,2,abc\n")
    refused = smscast("prices", "import", str(bad), check=False)
    assert refused.returncode == 1
    assert "line 3" in refused.stderr
    absent = smscast("prices", "import", str(tmp_path / "absent.csv"), check=False)
    assert absent.returncode == 1
    assert absent.stderr.startswith("error: cannot read")


def test_migrate_reports_revision(smscast):
    from smscast.store.migrate import head_revision

    assert f"database at revision {head_revision()}" in smscast("migrate").stdout


def test_bad_config_is_one_line(smscast, tmp_path: Path):
    (tmp_path / "smscast.toml").write_text("port = 'x'\n")
    result = smscast("account", "list", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid settings: port")


def test_prices_import_refuses_non_utf8(smscast, tmp_path: Path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text("iso,mcc,price\nGR,202,0.05\n", encoding="utf-16")
    result = smscast("prices", "import", str(utf16), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read")
    assert "Traceback" not in result.stderr


def test_application_transcode_policy(smscast):
    smscast("account", "create", "acme")
    app = json.loads(
        smscast("application", "create", "acme", "--transcode", "never", "--json").stdout
    )
    assert app["transcode"] == "never"
    bad = smscast("application", "create", "acme", "--transcode", "sometimes", check=False)
    assert bad.returncode == 1
    assert "transcode must be one of auto, always, never" in bad.stderr


def test_the_cli_refuses_an_unknown_task(smscast):
    result = smscast("worker", "--only", "dispatcher,mailer", check=False)
    assert result.returncode != 0
    assert "--only takes some of" in result.stderr
