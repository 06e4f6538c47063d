"""SQLAlchemy 2 typed models of the versioning model in DESIGN.md.

Versions (document versions, rule-set versions and their rows) are append-only: rows are
inserted, never updated or deleted. Operational state (last crawl status, delivery state,
operator reviews) lives in separate tables so that history stays untouched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A monitored section of a site, as the registry (plus config) defined it at last sync."""

    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(32))
    family: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    """Health of one crawl of one source; the latest row is the source's current status."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(32))  # ok, blocked, empty, failing, structure-changed
    items_seen: Mapped[int] = mapped_column(default=0)
    new_documents: Mapped[int] = mapped_column(default=0)
    changed_documents: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    bytes_downloaded: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)


class Blob(Base):
    """Content-addressed bytes: identical content is stored once whatever URL it came from."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Document(Base):
    """One URL: an announcement page, or an attachment (parent_id points at its announcement)."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="page")  # page | attachment
    list_title: Mapped[str | None] = mapped_column(Text)
    list_date: Mapped[dt.date | None] = mapped_column(Date)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.id"
    )


class DocumentVersion(Base):
    """The bytes of a document as fetched; a new row only when the hash changes."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "sha256", name="uq_document_versions_document_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(100))
    encoding: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.date | None] = mapped_column(Date)
    doc_number: Mapped[str | None] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    document: Mapped[Document] = relationship(back_populates="versions")
    blob: Mapped[Blob] = relationship()


class FetchState(Base):
    """Latest HTTP validators and check time per URL: operational, so versions stay immutable."""

    __tablename__ = "fetch_states"
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    last_checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    list_title: Mapped[str | None] = mapped_column(Text)
    list_date: Mapped[dt.date | None] = mapped_column(Date)


class ListPageState(Base):
    """A list page's validators as last read with entries: a 304 then means the same entries.

    Operational, like FetchState; ``entries`` (url, title, date of each row) and
    ``page_urls`` (the further pages page 0 links) let a 304 stand in for the page it confirms.
    """

    __tablename__ = "list_page_states"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    entries: Mapped[list[Any]] = mapped_column(default=list)
    page_urls: Mapped[list[Any]] = mapped_column(default=list)


class DocumentParse(Base):
    """That an announcement (page + attachments, up to a version id) was parsed by a parser version."""

    __tablename__ = "document_parses"
    __table_args__ = (
        UniqueConstraint(
            "document_id", "parser_version", "through_version_id", name="uq_document_parses_state"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    parser_version: Mapped[str] = mapped_column(String(32))
    through_version_id: Mapped[int]  # highest DocumentVersion id of the page and its attachments
    parsed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    row_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    coverage_seen: Mapped[int | None]  # rule-like table cells and sentences seen ...
    coverage_read: Mapped[int | None]  # ... and read into rows
    not_about: Mapped[str | None] = mapped_column(Text)  # why a rule-like document feeds nothing


class Series(Base):
    """One rule kind for one region, e.g. (xiamen, points_schedule)."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("region", "kind", name="uq_series_region_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))


class RuleSetVersion(Base):
    """A parse of one document version for one series; identical canonical rows are stored once."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (
        UniqueConstraint("series_id", "canonical_hash", name="uq_rule_set_versions_series_hash"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    document_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    # Read only on purpose (it holds every row): loading a version to decide or show it skips it.
    canonical_json: Mapped[str] = mapped_column(Text, deferred=True)
    canonical_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    published_at: Mapped[dt.date | None] = mapped_column(Date)
    effective_at: Mapped[dt.date | None] = mapped_column(Date)
    doc_number: Mapped[str | None] = mapped_column(String(200))
    replaces: Mapped[list[Any]] = mapped_column(default=list)
    parser_version: Mapped[str] = mapped_column(String(32))
    problems: Mapped[list[Any]] = mapped_column(default=list)
    suspect_reason: Mapped[str | None] = mapped_column(Text)  # set at insert time, never later
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    series: Mapped[Series] = relationship()
    rows: Mapped[list[RuleRowRecord]] = relationship(order_by="RuleRowRecord.position")


class RuleRowRecord(Base):
    """One rule row of a version, stored as a row so SQL can query rules directly."""

    __tablename__ = "rule_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(500))
    fields: Mapped[dict[str, Any]]
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)
    electrician_related: Mapped[bool] = mapped_column(Boolean, default=False)


class VersionReview(Base):
    """An operator's or the guard's later decision about a suspect version (versions stay as written)."""

    __tablename__ = "version_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # accepted | confirmed
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChangeRecord(Base):
    """A change between two versions of a series, as the diff engine reported it."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_detected", "detected_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id"), index=True)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("rule_set_versions.id"))
    region: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    change: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(500))
    electrician_related: Mapped[bool] = mapped_column(Boolean)
    substantive: Mapped[bool] = mapped_column(Boolean)
    parser_upgrade: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]]  # Change.to_json()
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_at: Mapped[dt.datetime | None]  # None while its version is held as suspect


class Subscriber(Base):
    """A person or a group: one subscription (filters, frequency), one or more destinations.

    ``email`` is the address of an email subscriber (None for one reached only by group
    robots or webhooks); its email destination carries the same address.
    """

    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Changes released before this moment are history, not news: a new (or returning)
    # subscriber is not sent the backlog.
    subscribed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    unsubscribed_at: Mapped[dt.datetime | None]

    subscription: Mapped[Subscription | None] = relationship(back_populates="subscriber", uselist=False)
    destinations: Mapped[list[Destination]] = relationship(
        back_populates="subscriber", order_by="Destination.id"
    )


class Subscription(Base):
    """What a subscriber wants: empty region/kind lists mean all."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), unique=True)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    occupations: Mapped[list[Any]] = mapped_column(default=list)
    all_changes: Mapped[bool] = mapped_column(Boolean, default=False)
    frequency: Mapped[str] = mapped_column(String(16), default="daily")
    # A worker's profile (rules.profile.Profile.to_dict()), None when none was given: digests
    # then say what each change does to that person.
    profile: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscription")


class Destination(Base):
    """Where a subscriber's digests go: an email address, or a group-robot / webhook URL.

    A destination belongs to one subscriber (unique channel + address). Signing secrets are
    never stored: ``secret_env`` names the environment variable that holds one.
    """

    __tablename__ = "destinations"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_destinations_channel_address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | wecom | dingtalk | feishu | webhook
    address: Mapped[str] = mapped_column(String(1000))
    secret_env: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # As for the subscriber: a destination added (or reactivated) later gets news, not the backlog.
    subscribed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    subscriber: Mapped[Subscriber] = relationship(back_populates="destinations")


class Delivery(Base):
    """The outbox: one row per (destination, change), whatever happens."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("destination_id", "change_id", name="uq_deliveries_destination_change"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed | skipped
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender's lease: two `notify` processes never send the same delivery at once.
    claimed_until: Mapped[dt.datetime | None]


class OperatorAlert(Base):
    """An operator problem (blocked source, suspect version, unreadable file), with reminder bookkeeping."""

    __tablename__ = "operator_alerts"
    __table_args__ = (UniqueConstraint("subject", name="uq_operator_alerts_subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))  # e.g. "source:xiamen-hrss", "version:12"
    detail: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # (re)opened at
    # Written only when the alert's state changes (storage.alerts.sync_alerts), not per cycle:
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # (re)opened or detail changed
    occurrences: Mapped[int] = mapped_column(default=1)  # times opened: 1 + times it came back
    last_sent_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]


class JobRun(Base):
    """A run of a scheduled job (crawl, digest): what the daemon uses to catch up after downtime."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    detail: Mapped[str | None] = mapped_column(Text)


class ProcessLock(Base):
    """A lease (holder + heartbeat): one daemon per database; a dead holder's lease expires."""

    __tablename__ = "process_locks"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
