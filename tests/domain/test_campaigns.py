"""Campaign rules: names, URLs, TTL, reminder times and the per-message planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smscast.domain.analysis import TranscodePolicy
from smscast.domain.campaigns import (
    MessagePlan,
    MessagePlanner,
    PersonalizedTooLong,
    Reminder,
    valid_callback_url,
    valid_campaign_name,
    valid_ttl,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("API-1", True), ("Spring Sale 2026", True), ("ab", True), ("x" * 30, True),
     ("a", False), ("x" * 31, False), ("  ", False), ("Ünicode", False), ("a_b", False),
     ("a/b", False), ("", False)],
)  # fmt: skip
def test_campaign_names(name: str, ok: bool):
    assert valid_campaign_name(name) is ok


@pytest.mark.parametrize(
    ("url", "ok"),
    [("http://localhost/cb", True), ("https://x.example.com:8443/a?b=c", True),
     ("HTTP://X/Y", True), ("ftp://x/cb", False), ("http://", False), ("localhost/cb", False),
     ("http://x/a b", False), ("https://" + "a" * 2050, False)],
)  # fmt: skip
def test_callback_urls(url: str, ok: bool):
    assert valid_callback_url(url) is ok


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (4320, True), (4321, False)])
def test_ttl_bounds(minutes: int, ok: bool):
    assert valid_ttl(minutes) is ok


def test_reminders_around_a_scheduled_campaign():
    at = NOW + timedelta(hours=2)
    reminder = Reminder(30, 15, ("+306912345600",))
    assert reminder.due_times(at, NOW) == [at - timedelta(minutes=30), at + timedelta(minutes=15)]
    assert reminder.due_times(at, NOW, before=False) == [at + timedelta(minutes=15)]


def test_a_before_reminder_already_past_goes_now_and_none_for_an_immediate_campaign():
    soon = NOW + timedelta(minutes=10)
    assert Reminder(30, None, ("+1",)).due_times(soon, NOW) == [NOW]
    assert Reminder(30, None, ("+1",)).due_times(None, NOW) == []
    assert Reminder(30, 5, ("+1",)).due_times(None, NOW) == [NOW + timedelta(minutes=5)]


def planner(body: str, transcode: bool | None = None, **fallbacks: str) -> MessagePlanner:
    return MessagePlanner(body, fallbacks, transcode, TranscodePolicy.AUTO)


def test_a_plain_body_is_one_plan_for_everyone():
    plain = planner("Hello there")
    assert not plain.personalized
    assert plain.plan({"firstName": "Maria"}) is plain.plain == MessagePlan(None, False, 1)


def test_personalized_texts_are_planned_each_on_their_own():
    p = planner("Hi [~firstName], [~points] points", points="no")
    assert p.plan({"firstName": "Bo", "points": "5"}) == MessagePlan("Hi Bo, 5 points", False, 1)
    assert p.plan({"firstName": "Ζωή"}) == MessagePlan("Hi Ζωή, no points", True, 1)
    assert p.plan({"firstName": "A" * 150}).parts == 2
    # A rendered text equal to the campaign's own text needs no text of its own.
    same = planner("[~x]", x="[~x]")
    assert same.plan({}) == MessagePlan(None, False, 1)


def test_transcoding_per_message_follows_the_request():
    body = "Γεια σου [~firstName] " + "x" * 60  # 2 UCS-2 parts, 1 GSM part when transcoded
    auto = planner(body)
    assert auto.plan({"firstName": "Bo"}).unicode is False  # saves a part: transcoded
    refused = planner(body, transcode=False)
    assert refused.plan({"firstName": "Bo"}) == MessagePlan(
        body.replace("[~firstName]", "Bo"), True, 2
    )


def test_texts_are_remembered_but_not_without_bound():
    p = planner("Code [~mobile]")
    first = p.plan({"mobile": "+306912345600"})
    assert p.plan({"mobile": "+306912345600"}) is first
    for n in range(60_000):
        p.plan({"mobile": f"+3069{n:08d}"})
    assert len(p._plans) <= 50_000


def test_a_rendered_text_over_the_limit_is_refused():
    with pytest.raises(PersonalizedTooLong) as caught:
        planner("Hi [~x]").plan({"x": "y" * 1598})
    assert caught.value.characters == 1601
    assert planner("Hi [~x]").plan({"x": "y" * 1597}).parts == 11
