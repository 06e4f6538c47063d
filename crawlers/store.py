"""The crawl's view of the database, through storage/ functions only (no SQL here).

One engine per database URL per process (all spiders of a batch share it); every item is
written in its own transaction, so a failure later in the crawl loses nothing stored before.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crawlers.health import SourceHealth
from crawlers.items import AttachmentItem, ListEntriesItem, ListPageItem, NotModifiedItem, PageItem
from crawlers.registry import SourceDefinition
from storage.database import make_engine, session_factory
from storage.documents import (
    KnownDocument,
    SourceRecord,
    get_or_create_document,
    known_documents,
    latest_version,
    record_crawl_run,
    record_document_version,
    sync_sources,
    update_fetch_state,
)
from storage.list_pages import KnownListPage, known_list_pages, record_list_page
from storage.rulesets import documents_in_force
from storage.schema import ensure_schema

_ENGINES: dict[str, Engine] = {}
# All writes of a crawl process go through one thread: off the reactor, so downloads go on
# while SQLite commits, and in order, so a page is stored before its attachments.
WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policywatch-store")


def engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        engine = make_engine(url)
        ensure_schema(engine)
        _ENGINES[url] = engine
    return _ENGINES[url]


def source_record(source: SourceDefinition) -> SourceRecord:
    """The row a source has in the database (names may change with the config; ids never do)."""
    return SourceRecord(source.id, source.name, source.authority, source.region, source.family)


@dataclass
class Outcome:
    """What storing an item did: a new document, a changed one, or nothing new."""

    new: bool = False
    changed: bool = False


class CrawlStore:
    def __init__(self, database_url: str) -> None:
        self.sessions: sessionmaker[Session] = session_factory(engine_for(database_url))

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

    def save(self, item: object) -> Outcome:
        with self.sessions.begin() as session:
            if isinstance(item, ListEntriesItem):
                for entry in item.entries:
                    get_or_create_document(
                        session, item.source_id, entry.url, list_title=entry.title, list_date=entry.list_date
                    )
                return Outcome()  # a document counts as new once its first version is stored
            if isinstance(item, ListPageItem):
                record_list_page(session, item.source_id, item.page)
                return Outcome()
            if isinstance(item, PageItem):
                return self._save_page(session, item)
            if isinstance(item, AttachmentItem):
                return self._save_attachment(session, item)
            if isinstance(item, NotModifiedItem):
                doc, _ = get_or_create_document(session, item.source_id, item.url)
                update_fetch_state(session, doc.id, list_title=item.list_title, list_date=item.list_date)
                return Outcome()
        raise TypeError(f"unknown item {type(item).__name__}")

    def _save_page(self, session: Session, item: PageItem) -> Outcome:
        doc, _ = get_or_create_document(
            session, item.source_id, item.url, list_title=item.list_title, list_date=item.list_date
        )
        had_version = latest_version(session, doc.id) is not None
        _, is_new = record_document_version(
            session,
            doc.id,
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
            doc.id,
            etag=item.etag,
            last_modified=item.last_modified,
            list_title=item.list_title,
            list_date=item.list_date,
        )
        return Outcome(new=is_new and not had_version, changed=is_new and had_version)

    def _save_attachment(self, session: Session, item: AttachmentItem) -> Outcome:
        parent, _ = get_or_create_document(session, item.source_id, item.parent_url)
        doc, _ = get_or_create_document(
            session, item.source_id, item.url, role="attachment", parent_id=parent.id, list_title=item.name
        )
        had_version = latest_version(session, doc.id) is not None
        _, is_new = record_document_version(
            session,
            doc.id,
            item.body,
            content_type=item.content_type,
            etag=item.etag,
            last_modified=item.last_modified,
            title=item.name,
            meta={"format": item.file_format, "parent_url": item.parent_url},
        )
        update_fetch_state(session, doc.id, etag=item.etag, last_modified=item.last_modified)
        return Outcome(new=is_new and not had_version, changed=is_new and had_version)

    def record_run(self, health: SourceHealth, started_at: dt.datetime) -> None:
        with self.sessions.begin() as session:
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
