"""`smscast application update`: default callbacks set and cleared, the callback secret
rotated, as a real process."""

from __future__ import annotations

import json

from smscast.services.runtime import Services
from smscast.store import auth as auth_queries


async def stored(services: Services, application_id: str) -> auth_queries.ApplicationRow:
    async with services.db.read() as conn:
        row = await auth_queries.get_application(conn, application_id)
    assert row is not None
    return row


async def test_default_callbacks_are_set_and_cleared(services: Services, smscast):
    created = json.loads(smscast("account", "create", "acme", "--json").stdout)
    app_id = created["applicationId"]
    assert created["callbackSecret"] == (await stored(services, app_id)).callback_secret

    shown = json.loads(
        smscast(
            "application", "update", app_id,
            "--callback", "https://hooks.example.com/sms", "--strategy", "OnCompletion",
            "--campaign-callback", "https://hooks.example.com/campaigns",
            "--json",
        ).stdout
    )  # fmt: skip
    assert shown["callback"] == {"url": "https://hooks.example.com/sms", "strategy": "OnCompletion"}
    assert shown["campaignCallback"] == {
        "url": "https://hooks.example.com/campaigns",
        "strategy": "OnChange",
    }
    assert "callbackSecret" not in shown
    row = await stored(services, app_id)
    assert row.callback == shown["callback"]
    assert row.campaign_callback == shown["campaignCallback"]

    smscast("application", "update", app_id, "--no-callback")
    row = await stored(services, app_id)
    assert row.callback is None
    assert row.campaign_callback == shown["campaignCallback"]
    assert "none" in smscast("application", "update", app_id, "--no-campaign-callback").stdout
    assert (await stored(services, app_id)).campaign_callback is None


async def test_the_callback_secret_rotates(services: Services, smscast):
    created = json.loads(smscast("account", "create", "acme", "--json").stdout)
    app_id = created["applicationId"]
    rotated = json.loads(
        smscast("application", "update", app_id, "--rotate-callback-secret", "--json").stdout
    )
    assert rotated["callbackSecret"] != created["callbackSecret"]
    assert (await stored(services, app_id)).callback_secret == rotated["callbackSecret"]


def test_bad_callbacks_are_refused(smscast):
    app_id = json.loads(smscast("account", "create", "acme", "--json").stdout)["applicationId"]
    for args, says in (
        (("--callback", "ftp://example.com/x"), "http(s)"),
        (("--callback", "https://example.com/x", "--strategy", "Sometimes"), "OnChange"),
        (("--callback", "https://example.com/x", "--no-callback"), "not both"),
    ):
        result = smscast("application", "update", app_id, *args, check=False)
        assert result.returncode != 0
        assert says in result.stderr
    missing = smscast("application", "update", "no-such-app", "--no-callback", check=False)
    assert missing.returncode != 0
    assert "no application" in missing.stderr
