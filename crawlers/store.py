"""The crawl's view of the database, through storage/ functions only (no SQL here).

One engine per database URL per process (all spiders of a batch share it). Items are
written by one writer thread in batched transactions, a failing item failing alone
(crawlers/batch_writer.py): an item is acknowledged only once its transaction committed,
so a failure later in the crawl loses nothing acknowledged before.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crawlers.batch_writer import BatchWriter
from crawlers.health import SourceHealth
from crawlers.items import AttachmentItem, ListEntriesItem, ListPageItem, NotModifiedItem, PageItem
from crawlers.registry import SourceDefinition
from storage.database import make_engine, session_factory
from storage.documents import (
    KnownDocument,
    SourceRecord,
    add_document_version,
    add_listed_documents,
    document_id,
    has_versions,
    known_documents,
    record_crawl_run,
    sync_sources,
    update_fetch_state,
)
from storage.in_force import documents_in_force
from storage.list_pages import KnownListPage, known_list_pages, record_list_page
from storage.schema import ensure_schema

_ENGINES: dict[str, Engine] = {}
# All writes of a crawl process go through one thread: off the reactor, so downloads go on
# while SQLite commits, and in order, so a page is stored before its attachments.
WRITER = BatchWriter()


def engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        engine = make_engine(url)
        ensure_schema(engine)
        _ENGINES[url] = engine
    return _ENGINES[url]


def record_health(session: Session, health: SourceHealth, started_at: dt.datetime) -> None:
    """One source's crawl run as its health says: a crawl, the pre-check, or a crawl that never ran."""
    record_crawl_run(
        session,
        health.source_id,
        started_at=started_at,
        status=health.status,
        items_seen=health.items_seen,
        new_documents=health.new_documents,
        changed_documents=health.changed_documents,
        requests=health.requests,
        bytes_downloaded=health.bytes_downloaded,
        errors=health.errors,
        message=health.message or None,
    )


def source_record(source: SourceDefinition) -> SourceRecord:
    """The row a source has in the database (names may change with the config; ids never do)."""
    return SourceRecord(source.id, source.name, source.authority, source.region, source.family)


@dataclass
class Outcome:
    """What storing an item did: a new document, a changed one, or nothing new."""

    new: bool = False
    changed: bool = False


class CrawlStore:
    def __init__(self, database_url: str, writer: BatchWriter = WRITER) -> None:
        self.sessions: sessionmaker[Session] = session_factory(engine_for(database_url))
        self.writer = writer

    def register(self, source: SourceDefinition) -> None:
        with self.sessions.begin() as session:
            sync_sources(session, [source_record(source)])

    def known(self, source_id: str) -> dict[str, KnownDocument]:
        with self.sessions.begin() as session:
            return known_documents(session, source_id)

    def known_list_pages(self, source_id: str) -> dict[str, KnownListPage]:
        with self.sessions.begin() as session:
            return known_list_pages(session, source_id)

    def in_force(self, at: dt.date) -> frozenset[int]:
        with self.sessions.begin() as session:
            return frozenset(documents_in_force(session, at))

    def save(self, item: object) -> Future[Outcome]:
        """Store the item through the writer thread; the future resolves once it is committed."""
        return self.writer.submit(self.sessions, partial(self._save, item=item))

    def record_run(self, health: SourceHealth, started_at: dt.datetime) -> Future[None]:
        """The crawl run, through the writer thread: after this crawl's items."""
        return self.writer.submit(self.sessions, partial(record_health, health=health, started_at=started_at))

    def _save(self, session: Session, item: object) -> Outcome:
        if isinstance(item, ListEntriesItem):
            rows = ((entry.url, entry.title, entry.list_date) for entry in item.entries)
            add_listed_documents(session, item.source_id, rows)
            return Outcome()  # a document counts as new once its first version is stored
        if isinstance(item, ListPageItem):
            record_list_page(session, item.source_id, item.page)
            return Outcome()
        if isinstance(item, PageItem):
            return self._save_page(session, item)
        if isinstance(item, AttachmentItem):
            return self._save_attachment(session, item)
        if isinstance(item, NotModifiedItem):
            doc_id = document_id(session, item.source_id, item.url)
            update_fetch_state(session, doc_id, list_title=item.list_title, list_date=item.list_date)
            return Outcome()
        raise TypeError(f"unknown item {type(item).__name__}")

    def _save_page(self, session: Session, item: PageItem) -> Outcome:
        doc_id = document_id(
            session, item.source_id, item.url, list_title=item.list_title, list_date=item.list_date
        )
        had_version = has_versions(session, doc_id)
        is_new = add_document_version(
            session,
            doc_id,
            item.body,
            content_type=item.content_type,
            etag=item.etag,
            last_modified=item.last_modified,
            encoding=item.encoding,
            title=item.title,
            published_at=item.published_at,
            doc_number=item.doc_number,
            issuer=item.issuer,
            meta=item.meta,
        )
        update_fetch_state(
            session,
            doc_id,
            etag=item.etag,
            last_modified=item.last_modified,
            list_title=item.list_title,
            list_date=item.list_date,
        )
        return Outcome(new=is_new and not had_version, changed=is_new and had_version)

    def _save_attachment(self, session: Session, item: AttachmentItem) -> Outcome:
        parent_id = document_id(session, item.source_id, item.parent_url)
        doc_id = document_id(
            session, item.source_id, item.url, role="attachment", parent_id=parent_id, list_title=item.name
        )
        had_version = has_versions(session, doc_id)
        is_new = add_document_version(
            session,
            doc_id,
            item.body,
            content_type=item.content_type,
            etag=item.etag,
            last_modified=item.last_modified,
            title=item.name,
            meta={"format": item.file_format, "parent_url": item.parent_url},
        )
        update_fetch_state(session, doc_id, etag=item.etag, last_modified=item.last_modified)
        return Outcome(new=is_new and not had_version, changed=is_new and had_version)
