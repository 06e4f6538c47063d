"""The schema as SQLAlchemy Core tables: the one definition of every table and column.

Why Core: an unchanged poll (pre-check, job bookkeeping, the idle notify) needs a few
small queries, and building the ORM mappers costs more CPU than the whole poll's SQL
(about 75 ms per process). storage.models maps its typed classes onto these tables for
the code that works with whole objects; idle-path queries use the tables directly.

Versions (document versions, rule-set versions and their rows) are append-only: rows are
inserted, never updated or deleted. Operational state (last crawl status, delivery state,
operator reviews) lives in separate tables so that history stays untouched.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _created(name: str) -> Column[dt.datetime]:
    """A timestamp set at insert time."""
    return Column(name, UTCDateTime(), nullable=False, default=utcnow)


def _when(name: str) -> Column[dt.datetime]:
    """A timestamp that may be unset."""
    return Column(name, UTCDateTime())


# A monitored section of a site, as the registry (plus config) defined it at last sync.
sources = Table(
    "sources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("authority", String(16), nullable=False),
    Column("region", String(32), nullable=False),
    Column("family", String(32), nullable=False),
    _created("created_at"),
)

# Health of one crawl of one source; the latest row is the source's current status.
crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False, index=True),
    _created("started_at"),
    _when("finished_at"),
    Column("status", String(32), nullable=False),  # ok, blocked, empty, failing, structure-changed
    Column("items_seen", Integer, nullable=False, default=0),
    Column("new_documents", Integer, nullable=False, default=0),
    Column("changed_documents", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("bytes_downloaded", BigInteger, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("message", Text),
)

# Content-addressed bytes: identical content is stored once whatever URL it came from.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100)),
    Column("data", LargeBinary, nullable=False),
    _created("created_at"),
)

# One URL: an announcement page, or an attachment (parent_id points at its announcement).
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False, unique=True),
    Column("parent_id", ForeignKey("documents.id"), index=True),
    Column("role", String(16), nullable=False, default="page"),  # page | attachment
    Column("list_title", Text),
    Column("list_date", Date),
    _created("first_seen_at"),
)

# The bytes of a document as fetched; a new row only when the hash changes.
document_versions = Table(
    "document_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("sha256", ForeignKey("blobs.sha256"), nullable=False),
    _created("fetched_at"),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("content_type", String(100)),
    Column("encoding", String(32)),
    Column("title", Text),
    Column("published_at", Date),
    Column("doc_number", String(200)),
    Column("issuer", String(200)),
    Column("meta", JSON, nullable=False, default=dict),
    UniqueConstraint("document_id", "sha256", name="uq_document_versions_document_hash"),
)

# Latest HTTP validators and check time per URL: operational, so versions stay immutable.
fetch_states = Table(
    "fetch_states",
    metadata,
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    _created("last_checked_at"),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("list_title", Text),
    Column("list_date", Date),
)

# A list page's validators as last read with entries: a 304 then means the same entries.
# Operational, like fetch_states; ``entries`` (url, title, date of each row) and
# ``page_urls`` (the further pages page 0 links) let a 304 stand in for the page it confirms.
list_page_states = Table(
    "list_page_states",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("sources.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False, unique=True),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("entries", JSON, nullable=False, default=list),
    Column("page_urls", JSON, nullable=False, default=list),
)

# That an announcement (page + attachments, up to a version id) was parsed by a parser version.
document_parses = Table(
    "document_parses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("parser_version", String(32), nullable=False),
    # highest document_versions id of the page and its attachments
    Column("through_version_id", Integer, nullable=False),
    _created("parsed_at"),
    Column("row_counts", JSON, nullable=False, default=dict),
    Column("problems", JSON, nullable=False, default=list),
    Column("coverage_seen", Integer),  # rule-like table cells and sentences seen ...
    Column("coverage_read", Integer),  # ... and read into rows
    Column("not_about", Text),  # why a rule-like document feeds nothing
    UniqueConstraint("document_id", "parser_version", "through_version_id", name="uq_document_parses_state"),
)

# One rule kind for one region, e.g. (xiamen, points_schedule).
series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    UniqueConstraint("region", "kind", name="uq_series_region_kind"),
)

# A parse of one document version for one series; identical canonical rows are stored once.
rule_set_versions = Table(
    "rule_set_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", ForeignKey("series.id"), nullable=False, index=True),
    Column("document_version_id", ForeignKey("document_versions.id")),
    Column("canonical_json", Text, nullable=False),
    Column("canonical_hash", String(64), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("published_at", Date),
    Column("effective_at", Date),
    Column("doc_number", String(200)),
    Column("replaces", JSON, nullable=False, default=list),
    Column("parser_version", String(32), nullable=False),
    Column("problems", JSON, nullable=False, default=list),
    Column("suspect_reason", Text),  # set at insert time, never later
    _created("created_at"),
    UniqueConstraint("series_id", "canonical_hash", name="uq_rule_set_versions_series_hash"),
)

# One rule row of a version, stored as a row so SQL can query rules directly.
rule_rows = Table(
    "rule_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", ForeignKey("rule_set_versions.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("key", String(500), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("provenance", JSON, nullable=False, default=dict),
    Column("electrician_related", Boolean, nullable=False, default=False),
)

# An operator's or the guard's later decision about a suspect version (versions stay as written).
version_reviews = Table(
    "version_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", ForeignKey("rule_set_versions.id"), nullable=False, index=True),
    Column("decision", String(16), nullable=False),  # accepted | confirmed
    Column("decided_by", String(100), nullable=False),
    _created("decided_at"),
)

# A change between two versions of a series, as the diff engine reported it.
changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", ForeignKey("rule_set_versions.id"), nullable=False, index=True),
    Column("previous_version_id", ForeignKey("rule_set_versions.id")),
    Column("region", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("change", String(16), nullable=False),
    Column("key", String(500), nullable=False),
    Column("electrician_related", Boolean, nullable=False),
    Column("substantive", Boolean, nullable=False),
    Column("parser_upgrade", Boolean, nullable=False, default=False),
    Column("payload", JSON, nullable=False),  # Change.to_json()
    _created("detected_at"),
    _when("released_at"),  # None while its version is held as suspect
    Index("ix_changes_detected", "detected_at"),
)

# A person or a group: one subscription (filters, frequency), one or more destinations.
# ``email`` is the address of an email subscriber (None for one reached only by group
# robots or webhooks); its email destination carries the same address.
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), unique=True),
    Column("name", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    _created("created_at"),
    # Changes released before this moment are history, not news: a new (or returning)
    # subscriber is not sent the backlog.
    _created("subscribed_at"),
    _when("unsubscribed_at"),
)

# What a subscriber wants: empty region/kind lists mean all.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", ForeignKey("subscribers.id"), nullable=False, unique=True),
    Column("regions", JSON, nullable=False, default=list),
    Column("kinds", JSON, nullable=False, default=list),
    Column("occupations", JSON, nullable=False, default=list),
    Column("all_changes", Boolean, nullable=False, default=False),
    Column("frequency", String(16), nullable=False, default="daily"),
    # A worker's profile (rules.profile.Profile.to_dict()), None when none was given: digests
    # then say what each change does to that person.
    Column("profile", JSON, default=None),
)

# Where a subscriber's digests go: an email address, or a group-robot / webhook URL.
# A destination belongs to one subscriber (unique channel + address). Signing secrets are
# never stored: ``secret_env`` names the environment variable that holds one.
destinations = Table(
    "destinations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),  # email | wecom | dingtalk | feishu | webhook
    Column("address", String(1000), nullable=False),
    Column("secret_env", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    _created("created_at"),
    # As for the subscriber: a destination added (or reactivated) later gets news, not the backlog.
    _created("subscribed_at"),
    UniqueConstraint("channel", "address", name="uq_destinations_channel_address"),
)

# The outbox: one row per (destination, change), whatever happens.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", ForeignKey("subscribers.id"), nullable=False, index=True),
    Column("destination_id", ForeignKey("destinations.id"), nullable=False, index=True),
    Column("change_id", ForeignKey("changes.id"), nullable=False, index=True),
    # pending | sent | failed | skipped
    Column("status", String(16), nullable=False, default="pending"),
    _created("queued_at"),
    Column("attempts", Integer, nullable=False, default=0),
    _when("next_attempt_at"),
    _when("sent_at"),
    Column("message_id", String(300)),
    Column("last_error", Text),
    # A sender's lease: two `notify` processes never send the same delivery at once.
    _when("claimed_until"),
    UniqueConstraint("destination_id", "change_id", name="uq_deliveries_destination_change"),
)

# An operator problem (blocked source, suspect version, unreadable file), with reminder bookkeeping.
operator_alerts = Table(
    "operator_alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", String(300), nullable=False),  # e.g. "source:xiamen-hrss", "version:12"
    Column("detail", Text, nullable=False),
    _created("first_seen_at"),  # (re)opened at
    # Written only when the alert's state changes (storage.alerts.sync_alerts), not per cycle:
    _created("last_seen_at"),  # (re)opened or detail changed
    Column("occurrences", Integer, nullable=False, default=1),  # times opened: 1 + times it came back
    _when("last_sent_at"),
    _when("resolved_at"),
    UniqueConstraint("subject", name="uq_operator_alerts_subject"),
)

# A run of a scheduled job (crawl, digest): what the daemon uses to catch up after downtime.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", String(100), nullable=False, index=True),
    _created("started_at"),
    _when("finished_at"),
    Column("status", String(16), nullable=False, default="running"),
    Column("detail", Text),
)

# A lease (holder + heartbeat): one daemon per database; a dead holder's lease expires.
process_locks = Table(
    "process_locks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    _created("acquired_at"),
    _created("heartbeat_at"),
)
