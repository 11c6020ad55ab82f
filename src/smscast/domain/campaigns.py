"""Campaign rules: states, message statuses, request field rules, and the per-message plan
(text, encoding, parts) of a personalized or plain body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from smscast.domain.analysis import (
    MAX_BODY_CHARACTERS,
    BodyAnalysis,
    TranscodePolicy,
    analyse,
    text_to_send,
)
from smscast.domain.personalize import has_placeholders, render

MAX_TO: Final = 30_000
MAX_CONTACTS: Final = 30_000
MAX_GROUPS: Final = 100
MAX_REMINDER_NUMBERS: Final = 100
MAX_REMINDER_MINUTES: Final = 7 * 24 * 60
# How far ahead a campaign can be scheduled.
MAX_SCHEDULE_AHEAD: Final = timedelta(days=5 * 366)
# Distinct personalized texts remembered; past this (a label unique to every recipient, such
# as [~mobile]) the memory is cleared rather than grown by a million texts.
_MAX_PLANS: Final = 50_000
MIN_TTL: Final = 1
MAX_TTL: Final = 4320
DEFAULT_TTL: Final = 4320
_CAMPAIGN_NAME: Final = re.compile(r"[A-Za-z0-9 \-]{2,30}")
_URL: Final = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


class CampaignState(StrEnum):
    SCHEDULED = "Scheduled"
    QUEUED = "Queued"
    RUNNING = "Running"
    SENT = "Sent"
    FINISHED = "Finished"
    FAILED = "Failed"


class MessageStatus(StrEnum):
    QUEUED = "Queued"
    SENT = "Sent"
    UNSENT = "Unsent"
    FAILED = "Failed"
    DELIVERED = "Delivered"
    UNDELIVERED = "Undelivered"


# The campaign object's ``statuses`` keys, in Routee's order.
STATUS_KEYS: Final = tuple(MessageStatus)
FINAL_STATUSES: Final = frozenset(
    {MessageStatus.UNSENT, MessageStatus.FAILED, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED}
)


class CampaignKind(StrEnum):
    CAMPAIGN = "campaign"
    SINGLE = "single"


class CallbackStrategy(StrEnum):
    ON_CHANGE = "OnChange"
    ON_COMPLETION = "OnCompletion"


@dataclass(frozen=True, slots=True)
class Callback:
    url: str
    strategy: CallbackStrategy


@dataclass(frozen=True, slots=True)
class Reminder:
    minutes_before: int | None
    minutes_after: int | None
    to: tuple[str, ...]

    def due_times(
        self, scheduled_at: datetime | None, now: datetime, *, before: bool = True
    ) -> list[datetime]:
        """When the reminders go out. Before a campaign that sends at once there is no time
        left for a "before" reminder, so only "after" reminders count then; a "before"
        time already past goes out now. ``before`` False leaves the "before" one out."""
        start = scheduled_at or now
        times: list[datetime] = []
        if before and self.minutes_before is not None and scheduled_at is not None:
            times.append(max(now, start - timedelta(minutes=self.minutes_before)))
        if self.minutes_after is not None:
            times.append(start + timedelta(minutes=self.minutes_after))
        return times


def valid_campaign_name(name: str) -> bool:
    """2-30 latin letters, digits, spaces or '-', not only spaces."""
    return bool(_CAMPAIGN_NAME.fullmatch(name)) and bool(name.strip())


def valid_callback_url(url: str) -> bool:
    return len(url) <= 2048 and bool(_URL.fullmatch(url))


def valid_ttl(minutes: int) -> bool:
    return MIN_TTL <= minutes <= MAX_TTL


class PersonalizedTooLong(ValueError):
    """A rendered text over the body limit: no SMS client could send it."""

    def __init__(self, characters: int) -> None:
        self.characters = characters
        super().__init__(
            f"a personalized text has {characters} characters; at most {MAX_BODY_CHARACTERS}"
        )


@dataclass(frozen=True, slots=True)
class MessagePlan:
    """What one message sends: ``text`` is None when it is the campaign's own text."""

    text: str | None
    unicode: bool
    parts: int


class MessagePlanner:
    """Plans each recipient's message from the template, remembering texts already planned.

    Personalized bodies repeat: thousands of recipients share a first name, so each distinct
    rendered text is analysed (and transcoded) once.
    """

    def __init__(
        self,
        template: str,
        fallbacks: Mapping[str, str],
        transcode: bool | None,
        policy: TranscodePolicy,
    ) -> None:
        self.template = template
        self.analysis: BodyAnalysis = analyse(template)
        self.text = text_to_send(template, self.analysis, transcode, policy)
        sent = self.analysis if self.text is template else analyse(self.text)
        self.personalized = has_placeholders(template)
        self._fallbacks = fallbacks
        self._transcode = transcode
        self._policy = policy
        self.plain = MessagePlan(None, sent.unicode, sent.parts)
        self._plans: dict[str, MessagePlan] = {}

    def plan(self, values: Mapping[str, str | None]) -> MessagePlan:
        """The message for a recipient with these label values (empty for a bare number)."""
        if not self.personalized:
            return self.plain
        rendered = render(self.template, values, self._fallbacks)
        found = self._plans.get(rendered)
        if found is None:
            if len(rendered) > MAX_BODY_CHARACTERS:
                raise PersonalizedTooLong(len(rendered))
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            analysis = analyse(rendered)
            sent = text_to_send(rendered, analysis, self._transcode, self._policy)
            if sent is not rendered:
                analysis = analyse(sent)
            text = None if sent == self.text else sent
            found = self._plans[rendered] = MessagePlan(text, analysis.unicode, analysis.parts)
        return found
