"""SQLAlchemy 2 typed models of the versioning model in DESIGN.md, mapped onto storage.tables.

The tables (columns, constraints, comments) are defined once, in storage.tables; these
classes add the types and relationships for code that works with whole objects. The
annotations are for type checkers: the columns come from ``__table__``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, relationship

from storage import tables
from storage.tables import utcnow

__all__ = [
    "Base",
    "Blob",
    "ChangeRecord",
    "CrawlRun",
    "Delivery",
    "Destination",
    "Document",
    "DocumentParse",
    "DocumentVersion",
    "FetchState",
    "JobRun",
    "ListPageState",
    "OperatorAlert",
    "ProcessLock",
    "RuleRowRecord",
    "RuleSetVersion",
    "Series",
    "Source",
    "Subscriber",
    "Subscription",
    "VersionReview",
    "utcnow",
]


class Base(DeclarativeBase):
    metadata = tables.metadata


class Source(Base):
    """A monitored section of a site, as the registry (plus config) defined it at last sync."""

    __table__ = tables.sources
    id: Mapped[str]
    name: Mapped[str]
    authority: Mapped[str]
    region: Mapped[str]
    family: Mapped[str]
    created_at: Mapped[dt.datetime]


class CrawlRun(Base):
    """Health of one crawl of one source; the latest row is the source's current status."""

    __table__ = tables.crawl_runs
    id: Mapped[int]
    source_id: Mapped[str]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str]
    items_seen: Mapped[int]
    new_documents: Mapped[int]
    changed_documents: Mapped[int]
    requests: Mapped[int]
    bytes_downloaded: Mapped[int]
    errors: Mapped[int]
    message: Mapped[str | None]


class Blob(Base):
    """Content-addressed bytes: identical content is stored once whatever URL it came from."""

    __table__ = tables.blobs
    sha256: Mapped[str]
    size: Mapped[int]
    content_type: Mapped[str | None]
    data: Mapped[bytes]
    created_at: Mapped[dt.datetime]


class Document(Base):
    """One URL: an announcement page, or an attachment (parent_id points at its announcement)."""

    __table__ = tables.documents
    id: Mapped[int]
    source_id: Mapped[str]
    url: Mapped[str]
    parent_id: Mapped[int | None]
    role: Mapped[str]
    list_title: Mapped[str | None]
    list_date: Mapped[dt.date | None]
    first_seen_at: Mapped[dt.datetime]

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.id"
    )


class DocumentVersion(Base):
    """The bytes of a document as fetched; a new row only when the hash changes."""

    __table__ = tables.document_versions
    id: Mapped[int]
    document_id: Mapped[int]
    sha256: Mapped[str]
    fetched_at: Mapped[dt.datetime]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    content_type: Mapped[str | None]
    encoding: Mapped[str | None]
    title: Mapped[str | None]
    published_at: Mapped[dt.date | None]
    doc_number: Mapped[str | None]
    issuer: Mapped[str | None]
    meta: Mapped[dict[str, Any]]

    document: Mapped[Document] = relationship(back_populates="versions")
    blob: Mapped[Blob] = relationship()


class FetchState(Base):
    """Latest HTTP validators and check time per URL: operational, so versions stay immutable."""

    __table__ = tables.fetch_states
    document_id: Mapped[int]
    last_checked_at: Mapped[dt.datetime]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    list_title: Mapped[str | None]
    list_date: Mapped[dt.date | None]


class ListPageState(Base):
    """A list page's validators as last read with entries: a 304 then means the same entries."""

    __table__ = tables.list_page_states
    id: Mapped[int]
    source_id: Mapped[str]
    url: Mapped[str]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    entries: Mapped[list[Any]]
    page_urls: Mapped[list[Any]]


class DocumentParse(Base):
    """That an announcement (page + attachments, up to a version id) was parsed by a parser version."""

    __table__ = tables.document_parses
    id: Mapped[int]
    document_id: Mapped[int]
    parser_version: Mapped[str]
    through_version_id: Mapped[int]
    parsed_at: Mapped[dt.datetime]
    row_counts: Mapped[dict[str, Any]]
    problems: Mapped[list[Any]]
    coverage_seen: Mapped[int | None]
    coverage_read: Mapped[int | None]
    not_about: Mapped[str | None]


class Series(Base):
    """One rule kind for one region, e.g. (xiamen, points_schedule)."""

    __table__ = tables.series
    id: Mapped[int]
    region: Mapped[str]
    kind: Mapped[str]


class RuleSetVersion(Base):
    """A parse of one document version for one series; identical canonical rows are stored once."""

    __table__ = tables.rule_set_versions
    id: Mapped[int]
    series_id: Mapped[int]
    document_version_id: Mapped[int | None]
    # Read only on purpose (it holds every row): loading a version to decide or show it skips it.
    canonical_json: Mapped[str] = column_property(tables.rule_set_versions.c.canonical_json, deferred=True)
    canonical_hash: Mapped[str]
    row_count: Mapped[int]
    published_at: Mapped[dt.date | None]
    effective_at: Mapped[dt.date | None]
    doc_number: Mapped[str | None]
    replaces: Mapped[list[Any]]
    parser_version: Mapped[str]
    problems: Mapped[list[Any]]
    suspect_reason: Mapped[str | None]
    created_at: Mapped[dt.datetime]

    series: Mapped[Series] = relationship()
    rows: Mapped[list[RuleRowRecord]] = relationship(order_by="RuleRowRecord.position")


class RuleRowRecord(Base):
    """One rule row of a version, stored as a row so SQL can query rules directly."""

    __table__ = tables.rule_rows
    id: Mapped[int]
    version_id: Mapped[int]
    position: Mapped[int]
    key: Mapped[str]
    fields: Mapped[dict[str, Any]]
    provenance: Mapped[dict[str, Any]]
    electrician_related: Mapped[bool]


class VersionReview(Base):
    """An operator's or the guard's later decision about a suspect version (versions stay as written)."""

    __table__ = tables.version_reviews
    id: Mapped[int]
    version_id: Mapped[int]
    decision: Mapped[str]
    decided_by: Mapped[str]
    decided_at: Mapped[dt.datetime]


class ChangeRecord(Base):
    """A change between two versions of a series, as the diff engine reported it."""

    __table__ = tables.changes
    id: Mapped[int]
    version_id: Mapped[int]
    previous_version_id: Mapped[int | None]
    region: Mapped[str]
    kind: Mapped[str]
    change: Mapped[str]
    key: Mapped[str]
    electrician_related: Mapped[bool]
    substantive: Mapped[bool]
    parser_upgrade: Mapped[bool]
    payload: Mapped[dict[str, Any]]
    detected_at: Mapped[dt.datetime]
    released_at: Mapped[dt.datetime | None]


class Subscriber(Base):
    """A person or a group: one subscription (filters, frequency), one or more destinations."""

    __table__ = tables.subscribers
    id: Mapped[int]
    email: Mapped[str | None]
    name: Mapped[str | None]
    active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    subscribed_at: Mapped[dt.datetime]
    unsubscribed_at: Mapped[dt.datetime | None]

    subscription: Mapped[Subscription | None] = relationship(back_populates="subscriber", uselist=False)
    destinations: Mapped[list[Destination]] = relationship(
        back_populates="subscriber", order_by="Destination.id"
    )


class Subscription(Base):
    """What a subscriber wants: empty region/kind lists mean all."""

    __table__ = tables.subscriptions
    id: Mapped[int]
    subscriber_id: Mapped[int]
    regions: Mapped[list[Any]]
    kinds: Mapped[list[Any]]
    occupations: Mapped[list[Any]]
    all_changes: Mapped[bool]
    frequency: Mapped[str]
    profile: Mapped[dict[str, Any] | None]

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscription")


class Destination(Base):
    """Where a subscriber's digests go: an email address, or a group-robot / webhook URL."""

    __table__ = tables.destinations
    id: Mapped[int]
    subscriber_id: Mapped[int]
    channel: Mapped[str]
    address: Mapped[str]
    secret_env: Mapped[str | None]
    active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    subscribed_at: Mapped[dt.datetime]

    subscriber: Mapped[Subscriber] = relationship(back_populates="destinations")


class Delivery(Base):
    """The outbox: one row per (destination, change), whatever happens."""

    __table__ = tables.deliveries
    id: Mapped[int]
    subscriber_id: Mapped[int]
    destination_id: Mapped[int]
    change_id: Mapped[int]
    status: Mapped[str]
    queued_at: Mapped[dt.datetime]
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[str | None]
    last_error: Mapped[str | None]
    claimed_until: Mapped[dt.datetime | None]


class OperatorAlert(Base):
    """An operator problem (blocked source, suspect version, unreadable file), with reminder bookkeeping."""

    __table__ = tables.operator_alerts
    id: Mapped[int]
    subject: Mapped[str]
    detail: Mapped[str]
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    occurrences: Mapped[int]
    last_sent_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]


class JobRun(Base):
    """A run of a scheduled job (crawl, digest): what the daemon uses to catch up after downtime."""

    __table__ = tables.job_runs
    id: Mapped[int]
    job_id: Mapped[str]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str]
    detail: Mapped[str | None]


class ProcessLock(Base):
    """A lease (holder + heartbeat): one daemon per database; a dead holder's lease expires."""

    __table__ = tables.process_locks
    name: Mapped[str]
    holder: Mapped[str]
    acquired_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
