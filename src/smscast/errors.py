"""The one exception family of smscast.

    SmscastError
    ├── ClientError                 the caller's fault; carries HTTP status + Routee code
    │   ├── ValidationFailed        400 400000000 (a field missing or malformed)
    │   ├── InsufficientBalance     400 400001009
    │   ├── InvalidRecipients       400 400005000
    │   ├── CampaignNotScheduled    400 400009002
    │   ├── NoRecipientsLeft        400 400009004
    │   ├── Unauthenticated         401 401000000
    │   ├── Forbidden               403 403000000
    │   ├── NotFound                404 404000000; contact 404002001, group 404002002,
    │   │                           tracking 404005000, campaign 404009001
    │   ├── MethodNotAllowed        405 405000000
    │   └── Conflict                409; group 409002002, contact 409002005, label 409002006,
    │       │                       campaign name 409009003
    │       └── IdempotencyInFlight 409 409000000 (the first request with this key still runs)
    ├── OAuthError                  token endpoint failures, answered in OAuth/Spring shape
    ├── ConfigError                 settings or carrier configuration unusable
    ├── NotFoundInStore             admin look-ups (CLI) that found nothing
    └── StoreError                  a database failure, wrapping its cause with ``from``
        ├── StoreConflict           a bulk write hit an existing unique key
        └── StoreUnavailable        the database could not do it now: unreachable, dropped
                                    the connection, or a lost race (deadlock, busy lock);
                                    answered 503, workers wait and go again

Mapping to HTTP happens in exactly one place: ``smscast.api.errors``.
"""

from __future__ import annotations

from typing import ClassVar


class SmscastError(Exception):
    """Base of every error smscast raises on purpose."""


class ClientError(SmscastError):
    """An error caused by the caller; answered as Routee's error body."""

    http_status: ClassVar[int] = 400
    code: ClassVar[str] = "400000000"
    default_message: ClassVar[str] = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        properties: dict[str, str] | None = None,
        errors: list[dict[str, object]] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.properties = properties
        self.errors = errors
        super().__init__(self.message)


class ValidationFailed(ClientError):
    default_message = "Validation failed"


class InsufficientBalance(ClientError):
    code = "400001009"
    default_message = "Insufficient balance"


class InvalidRecipients(ClientError):
    code = "400005000"
    default_message = "Invalid recipients or sender"


class CampaignNotScheduled(ClientError):
    code = "400009002"
    default_message = "The campaign is not scheduled"


class NoRecipientsLeft(ClientError):
    code = "400009004"
    default_message = "The campaign has no recipients"


class Unauthenticated(ClientError):
    http_status = 401
    code = "401000000"
    default_message = "Full authentication is required to access this resource"


class Forbidden(ClientError):
    http_status = 403
    code = "403000000"
    default_message = "Access is denied"


class NotFound(ClientError):
    http_status = 404
    code = "404000000"
    default_message = "Not found"


class ContactNotFound(NotFound):
    code = "404002001"
    default_message = "Contact not found"


class GroupNotFound(NotFound):
    code = "404002002"
    default_message = "Group not found"


class TrackingNotFound(NotFound):
    code = "404005000"
    default_message = "Tracking not found"


class CampaignNotFound(NotFound):
    code = "404009001"
    default_message = "Campaign not found"


class MethodNotAllowed(ClientError):
    http_status = 405
    code = "405000000"
    default_message = "Method not allowed"


class Conflict(ClientError):
    http_status = 409
    code = "409000000"
    default_message = "Conflict"


class DuplicateCampaignName(Conflict):
    code = "409009003"
    default_message = "A campaign with this name already exists"


class DuplicateContact(Conflict):
    code = "409002005"
    default_message = "A contact with this mobile already exists"


class DuplicateGroup(Conflict):
    code = "409002002"
    default_message = "A group with this name already exists"


class DuplicateLabel(Conflict):
    code = "409002006"
    default_message = "A label with this name already exists"


class IdempotencyInFlight(Conflict):
    code = "409000000"
    default_message = "A request with this Idempotency-Key is still being processed"


class OAuthError(SmscastError):
    """A failed token request. ``status`` 401 means bad client credentials."""

    def __init__(self, status: int, error: str, description: str) -> None:
        self.status = status
        self.error = error
        self.description = description
        super().__init__(description)


class ConfigError(SmscastError):
    """Settings or configuration that smscast cannot run with."""


class NotFoundInStore(SmscastError):
    """An administrative look-up (by id or name) that matched nothing."""


class StoreError(SmscastError):
    """A database operation failed for a reason that is not the caller's fault."""


class StoreConflict(StoreError):
    """A bulk write met a unique key that already exists (the transaction is lost)."""


class StoreUnavailable(StoreError):
    """The database could not do it now: unreachable, out of pooled connections, dropped the
    connection mid-transaction, or the transaction lost a race (deadlock, serialization,
    SQLite's busy lock outlasting its timeout). Nothing of the transaction happened (or, when
    the connection dropped during COMMIT, all of it did): the same work may be tried again."""
