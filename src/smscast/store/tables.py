"""Typed table definitions: the schema every migration must agree with."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import false as sa_false

from smscast.store.columns import BigId, Key, Money, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

UUID_LEN = 36

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("balance", Money(), nullable=False),
    # Quiet-hour windows ("23:00-08:00,14:00-17:00"); NULL: the installation's default.
    Column("quiet_hours", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    # Space-separated subset of "sms contact account report".
    Column("scopes", String(64), nullable=False),
    Column("token_lifetime_seconds", Integer(), nullable=False),
    Column("callback_secret", String(64), nullable=False),
    # Defaults for campaigns created through this application that name no callback of their
    # own ({url, strategy}); looked up when a status changes, so a change applies at once.
    Column("callback", JSON(), nullable=True),
    Column("campaign_callback", JSON(), nullable=True),
    # "auto" (transcode when it saves parts), "always" or "never".
    Column("transcode", String(8), nullable=False, server_default="auto"),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name"),
)

tokens = Table(
    "tokens",
    metadata,
    # SHA-256 of the opaque token: tokens have 256 bits of entropy, so a fast hash suffices.
    Column("token_hash", String(64), primary_key=True),
    Column(
        "application_id",
        String(UUID_LEN),
        ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("scopes", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index(None, "application_id", "expires_at"),
)

# ``scope`` is "*" for the installation's price list or an account id for that account's
# overrides; ``mnc`` is "" for the country-wide price.
INSTALLATION_SCOPE = "*"

prices = Table(
    "prices",
    metadata,
    Column("id", BigId(), primary_key=True, autoincrement=True),
    Column("scope", String(UUID_LEN), nullable=False),
    Column("country", String(2), nullable=False),
    Column("mcc", String(3), nullable=False),
    Column("mnc", String(3), nullable=False, server_default=""),
    Column("network", String(100), nullable=False, server_default=""),
    Column("country_name", String(100), nullable=False, server_default=""),
    Column("price", Money(), nullable=False),
    UniqueConstraint("scope", "country", "mnc"),
    Index(None, "scope", "mcc"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", BigId(), primary_key=True, autoincrement=True),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    # Signed: positive adds to the balance (top-up, refund), negative takes from it (charge).
    Column("amount", Money(), nullable=False),
    Column("balance_before", Money(), nullable=False),
    Column("balance_after", Money(), nullable=False),
    Column("description", Text(), nullable=False, server_default=""),
    Column("campaign_id", String(UUID_LEN), nullable=True),
    Column("message_id", String(UUID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "account_id", "created_at", "id"),
)

# -- address book -------------------------------------------------------------------------

# Contacts are keyed inside the database by an integer (SQLite's rowid), which membership and
# the blacklist reference: the campaign join then compares integers along one B-tree, about
# three times faster than joining on the 36-character public id.
contacts = Table(
    "contacts",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("id", Key(UUID_LEN), nullable=False, unique=True),
    # No foreign key to accounts: PostgreSQL checks it per inserted row by locking the
    # account's row, 2.5 us a contact on an import (accounts are never deleted, and every
    # insert carries the caller's account).
    Column("account_id", Key(UUID_LEN), nullable=False),
    Column("mobile", Key(16), nullable=False),
    Column("country", String(3), nullable=False),
    Column("first_name", String(255), nullable=False, server_default=""),
    Column("last_name", String(255), nullable=False, server_default=""),
    Column("email", String(255), nullable=False, server_default=""),
    Column("vip", Boolean(), nullable=False, server_default="0"),
    # Custom label values, {label: value}; JSONB on PostgreSQL so imports can merge with ||.
    Column("labels", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "mobile"),
    # Pages of an account's address book, in creation order.
    Index(None, "account_id", "pk"),
)

labels = Table(
    "labels",
    metadata,
    Column("id", BigId(), primary_key=True, autoincrement=True),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("type", String(8), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", BigId(), primary_key=True, autoincrement=True),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name"),
)

# The primary key (group, contact) is the index the campaign query walks; the second index
# answers "which groups is this contact in".
#
# group_members and blacklist carry no foreign keys: PostgreSQL checks each with a trigger per
# inserted row, measured at 6.5 us a membership (more than the insert itself) on a
# million-contact import. store.contacts and store.groups delete children with their parents
# and lock the parents they attach to, which is what the keys' cascades and checks did.
group_members = Table(
    "group_members",
    metadata,
    Column("group_id", BigId(), primary_key=True),
    Column("contact_pk", BigId(), primary_key=True),
    Index(None, "contact_pk"),
    sqlite_with_rowid=False,
)

blacklist = Table(
    "blacklist",
    metadata,
    Column("contact_pk", BigId(), primary_key=True),
    Column("service", String(16), primary_key=True),
    Column("account_id", String(UUID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "account_id", "service"),
    sqlite_with_rowid=False,
)

# -- campaigns and messages ---------------------------------------------------------------

# A campaign, or the envelope of one single SMS (kind "single"): either way it holds what its
# messages share (sender, template, options), so a dispatcher reads one row per campaign, not
# per message. Like contacts, bulk tables carry no per-row foreign keys.
campaigns = Table(
    "campaigns",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("id", Key(UUID_LEN), nullable=False, unique=True),  # the trackingId
    Column("account_id", Key(UUID_LEN), nullable=False),
    Column("application_id", String(UUID_LEN), nullable=True),
    Column("kind", String(8), nullable=False),
    Column("name", String(30), nullable=True),
    Column("sender", String(17), nullable=False),  # up to 16 digits and a "+"
    Column("body", Text(), nullable=False),
    # What a message without its own text sends: the body, or its GSM transcoding.
    Column("text", Text(), nullable=False),
    Column("flash", Boolean(), nullable=False),
    Column("respect_quiet_hours", Boolean(), nullable=False),
    Column("ttl", Integer(), nullable=False),
    Column("callback", JSON(), nullable=True),
    Column("campaign_callback", JSON(), nullable=True),
    Column("label", String(100), nullable=True),
    # The request as given (to, contacts, groups, reminder, fallback values, transcode), echoed
    # by the campaign object and replayed by an update.
    Column("request", JSON(), nullable=False),
    Column("analysis", JSON(), nullable=False),
    Column("state", String(12), nullable=False),
    Column("scheduled_at", UtcDateTime(), nullable=True),
    Column("cost", Money(), nullable=False),
    # Messages held back by quiet hours, per country (quietHoursReport).
    Column("quiet_hours", JSON(), nullable=False, server_default="{}"),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    # {country: price per part} as charged at acceptance: every message's price.
    Column("prices", JSON(), nullable=False),
    Column("total_messages", Integer(), nullable=False),
    Column("queued", Integer(), nullable=False, server_default="0"),
    Column("sent", Integer(), nullable=False, server_default="0"),
    Column("unsent", Integer(), nullable=False, server_default="0"),
    Column("failed", Integer(), nullable=False, server_default="0"),
    Column("delivered", Integer(), nullable=False, server_default="0"),
    Column("undelivered", Integer(), nullable=False, server_default="0"),
    # What the last campaign callback said (state, counts) and whether the one completion
    # callback went out: the 20% rule and "OnCompletion once" are judged against these.
    Column("callback_state", String(12), nullable=True),
    Column("callback_counts", JSON(), nullable=True),
    Column("callback_completed", Boolean(), nullable=False, server_default=sa_false()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # A deleted campaign answers 404 but stays for the ledger and the audit trail.
    Column("deleted_at", UtcDateTime(), nullable=True),
    # Names are unique among an account's live campaigns.
    Index(
        "uq_campaigns_account_id_name",
        "account_id",
        "name",
        unique=True,
        postgresql_where=text("name IS NOT NULL AND deleted_at IS NULL"),
        sqlite_where=text("name IS NOT NULL AND deleted_at IS NULL"),
    ),
    Index(None, "account_id", "created_at"),
    # What the scheduler looks for on every tick, among campaigns and single SMS alike.
    Index(
        "ix_campaigns_scheduled",
        "scheduled_at",
        postgresql_where=text("state = 'Scheduled'"),
        sqlite_where=text("state = 'Scheduled'"),
    ),
)

# One row per message (a recipient of a campaign, or a single SMS); its parts are sent and
# tracked by the dispatcher. ``text`` is NULL when the message sends its campaign's text; the
# price of each part is the campaign's price for the message's country (campaigns.prices).
messages = Table(
    "messages",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("id", Key(UUID_LEN), nullable=False, unique=True),
    Column("campaign_pk", BigId(), nullable=False),
    Column("account_id", Key(UUID_LEN), nullable=False),
    Column("mobile", Key(16), nullable=False),
    Column("country", String(3), nullable=False),
    Column("contact_id", Key(UUID_LEN), nullable=True),
    # A reminder: the campaign's body sent to a tester before or after the campaign itself.
    Column("reminder", Boolean(), nullable=False),
    Column("text", Text(), nullable=True),
    Column("unicode", Boolean(), nullable=False),
    Column("parts", Integer(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("detailed_status", String(32), nullable=True),
    # NULL until the status first changes: until then it is the campaign's creation time.
    # (A million messages share that moment; each timestamp written costs ~0.7 us a row.)
    Column("status_at", UtcDateTime(), nullable=True),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    # The dispatcher's lease: a claim that outlives its worker simply runs out.
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("attempts", Integer(), nullable=False, server_default="0"),
    # Held back by quiet hours at least once (counted per country in quietHoursReport).
    Column("held", Boolean(), nullable=False, server_default=sa_false()),
    Column("carrier", String(32), nullable=True),
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Index(None, "campaign_pk", "pk"),
    # The queue: only waiting messages are in it, so a claim stays an index probe however
    # many finished messages the table holds.
    Index(
        "ix_messages_queue",
        "due_at",
        postgresql_where=text("status = 'Queued'"),
        sqlite_where=text("status = 'Queued'"),
    ),
    # Waiting messages by the end of their validity: what expiry looks at.
    Index(
        "ix_messages_waiting_expiry",
        "expires_at",
        postgresql_where=text("status = 'Queued'"),
        sqlite_where=text("status = 'Queued'"),
    ),
    # Sent and waiting for a receipt: what expiry looks at.
    Index(
        "ix_messages_awaiting_receipt",
        "expires_at",
        postgresql_where=text("status = 'Sent'"),
        sqlite_where=text("status = 'Sent'"),
    ),
)

# One row per SMS part handed to a carrier: its smsId, and the carrier's id for it, which is
# how a delivery receipt finds it.
sms_parts = Table(
    "sms_parts",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("id", Key(UUID_LEN), nullable=False, unique=True),  # the smsId
    Column("message_pk", BigId(), nullable=False, index=True),
    Column("campaign_pk", BigId(), nullable=False),
    Column("part", Integer(), nullable=False),
    Column("carrier", String(32), nullable=False),
    # None when the carrier refused the part at submit.
    Column("carrier_message_id", Key(64), nullable=True),
    Column("status", String(12), nullable=False),
    Column("detailed_status", String(32), nullable=True),
    Column("error", String(64), nullable=True),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("status_at", UtcDateTime(), nullable=False),
    UniqueConstraint("carrier", "carrier_message_id"),
)

# Delivery receipts as carriers hand them over, stored before they are acknowledged; the
# receipt worker applies them to parts and messages, and keeps one it cannot match yet (a
# receipt can overtake the record of its submit) for another try.
receipts = Table(
    "receipts",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("carrier", String(32), nullable=False),
    Column("carrier_message_id", Key(64), nullable=False),
    Column("status", String(12), nullable=False),
    Column("detailed_status", String(32), nullable=True),
    Column("error", String(64), nullable=True),
    Column("done_at", UtcDateTime(), nullable=True),  # the carrier's own time, when given
    Column("received_at", UtcDateTime(), nullable=False),
    Column("next_try_at", UtcDateTime(), nullable=False),
    Column("tries", Integer(), nullable=False, server_default="0"),
    Index(None, "next_try_at"),
)

# ``Idempotency-Key``: the first successful answer to a POST, replayed for a repeat with the
# same body. ``status`` is NULL while the first request is still being handled.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", Key(UUID_LEN), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer(), nullable=True),
    Column("response", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index(None, "created_at"),
)


# SMS from handsets (deliver_sm that are not receipts): acknowledged only once stored, kept
# for a later inbound feature.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("carrier", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("text", Text(), nullable=False),
    Column("data_coding", Integer(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False, index=True),
)


# Callbacks waiting to be POSTed (the transactional outbox): written in the transaction that
# changed a status, delivered by the notifier with retries whose state lives here.
outbox = Table(
    "outbox",
    metadata,
    Column("pk", BigId(), primary_key=True, autoincrement=True),
    Column("account_id", Key(UUID_LEN), nullable=False),
    Column("application_id", Key(UUID_LEN), nullable=True),
    Column("kind", String(16), nullable=False),  # "message" or "campaign"
    Column("url", Text(), nullable=False),
    Column("body", Text(), nullable=False),  # the JSON payload, exactly as POSTed
    # The signing key when the row was written: a rotation later does not strand a callback.
    Column("secret", String(64), nullable=False),
    Column("state", String(12), nullable=False),  # "pending", "delivered" or "failed"
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    # The notifier's lease: a claim whose worker died simply runs out.
    Column("claimed_until", UtcDateTime(), nullable=True),
    # The queue: only pending callbacks are in it.
    Index(
        "ix_outbox_queue",
        "next_attempt_at",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
    # Failed callbacks, for ``smscast outbox list --failed`` and ``retry --all-failed``.
    Index(
        "ix_outbox_failed",
        "pk",
        postgresql_where=text("state = 'failed'"),
        sqlite_where=text("state = 'failed'"),
    ),
)


# Worker processes, as they last said they were alive (``smscast status``; fair shares of
# carrier binds are counted among the live ones).
workers = Table(
    "workers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer(), nullable=False),
    Column("tasks", String(200), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("seen_at", UtcDateTime(), nullable=False),
)

# The binds a carrier allows, shared by every worker of the cluster: a worker opens the bind
# of a slot only while it holds the slot's lease, and a dead worker's lease runs out.
carrier_binds = Table(
    "carrier_binds",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("slot", Integer(), primary_key=True),
    Column("worker", String(64), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
)
