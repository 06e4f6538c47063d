"""Sources, documents and their content-addressed versions (append-only)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.tables import (
    blobs,
    crawl_runs,
    document_parses,
    document_versions,
    documents,
    fetch_states,
    sources,
    utcnow,
)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def insert_ignoring_duplicates(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT that leaves an existing row alone: the database, not a read-then-write, decides.

    Returns whether this call inserted the row."""
    return _inserted_key(session, table, values) is not None


def _inserted_key(session: Session, table: Table, values: dict[str, Any]) -> Any:
    """The primary key of the row this INSERT … ON CONFLICT DO NOTHING added, or None."""
    # RETURNING tells reliably whether a row went in (rowcount is -1 on some drivers).
    row = session.execute(_insert_ignoring(session.get_bind().dialect.name, table, True), values).first()
    return row[0] if row is not None else None


@functools.cache
def _insert_ignoring(dialect: str, table: Table, returning: bool) -> Any:
    """Built once per dialect and table, the values passed as parameters: building the
    statement with the values inline cost more than running it (a crawl inserts thousands)."""
    stmt = _dialect_insert(dialect, table).on_conflict_do_nothing()
    return stmt.returning(list(table.primary_key.columns)[0]) if returning else stmt


@functools.cache
def _upsert(dialect: str, table: Table, columns: tuple[str, ...]) -> Any:
    """INSERT, or UPDATE of ``columns`` when the primary key exists (built once per column set)."""
    stmt = _dialect_insert(dialect, table)
    keys = [c.name for c in table.primary_key.columns]
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: stmt.excluded[c] for c in columns if c not in keys}
    )


def _dialect_insert(dialect: str, table: Table) -> Any:
    # the dialect modules are imported here: the PostgreSQL one costs ~25 ms at start-up
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL are supported


@dataclass(frozen=True)
class SourceRecord:
    id: str
    name: str
    authority: str
    region: str
    family: str


def sync_sources(session: Session, records: Iterable[SourceRecord]) -> None:
    """Make sure every registry source has its row (names may change; ids never do)."""
    wanted = {src.id: src for src in records}
    stored = {
        row.id: row
        for row in session.execute(
            select(sources.c.id, sources.c.name, sources.c.authority, sources.c.region, sources.c.family)
            .where(sources.c.id.in_(list(wanted)))
        )
    }  # fmt: skip
    for src in wanted.values():
        fields = {"name": src.name, "authority": src.authority, "region": src.region, "family": src.family}
        row = stored.get(src.id)
        if row is None:
            session.execute(insert(sources).values(id=src.id, **fields))
        elif tuple(row)[1:] != tuple(fields.values()):
            session.execute(update(sources).where(sources.c.id == src.id).values(fields))


def get_or_create_document(
    session: Session,
    source_id: str,
    url: str,
    *,
    role: str = "page",
    parent_id: int | None = None,
    list_title: str | None = None,
    list_date: dt.date | None = None,
) -> tuple[Row[Any], bool]:
    """The document row for a URL, created on first sight; returns (document, created)."""
    existing = session.execute(select(documents).where(documents.c.url == url)).first()
    if existing is not None:
        return existing, False
    created = insert_ignoring_duplicates(
        session,
        documents,
        {
            "source_id": source_id,
            "url": url,
            "role": role,
            "parent_id": parent_id,
            "list_title": list_title,
            "list_date": list_date,
            "first_seen_at": utcnow(),
        },
    )
    doc = session.execute(select(documents).where(documents.c.url == url)).first()
    assert doc is not None
    return doc, created


# Statements built once: a crawl runs them thousands of times, and building a query each
# time cost more than running it.
_documents, _versions = documents.c, document_versions.c
_DOCUMENT_ID_BY_URL = select(_documents.id).where(_documents.url == bindparam("url"))
_ANY_VERSION = select(_versions.id).where(_versions.document_id == bindparam("document_id")).limit(1)


def document_id(
    session: Session,
    source_id: str,
    url: str,
    *,
    role: str = "page",
    parent_id: int | None = None,
    list_title: str | None = None,
    list_date: dt.date | None = None,
) -> int:
    """get_or_create_document's document id, without loading the document (what a crawl needs)."""
    found = session.scalar(_DOCUMENT_ID_BY_URL, {"url": url})
    if found is None:
        values = {
            "source_id": source_id,
            "url": url,
            "role": role,
            "parent_id": parent_id,
            "list_title": list_title,
            "list_date": list_date,
            "first_seen_at": utcnow(),
        }
        found = _inserted_key(session, documents, values)
        if found is None:  # another writer added it meanwhile
            found = session.scalar(_DOCUMENT_ID_BY_URL, {"url": url})
    assert found is not None
    return int(found)


def add_listed_documents(
    session: Session, source_id: str, rows: Iterable[tuple[str, str | None, dt.date | None]]
) -> None:
    """A document for each listed (url, title, date) not stored yet, in one statement; the
    documents already stored are left as they are (as get_or_create_document does)."""
    now = utcnow()
    values = [
        {
            "source_id": source_id,
            "url": url,
            "role": "page",
            "parent_id": None,
            "list_title": title,
            "list_date": date,
            "first_seen_at": now,
        }
        for url, title, date in rows
    ]
    if values:
        dialect = session.get_bind().dialect.name
        session.execute(_insert_ignoring(dialect, documents, False), values)


def store_blob(session: Session, data: bytes, content_type: str | None = None) -> str:
    """Store bytes once under their sha256 and return the hash."""
    digest = sha256_hex(data)
    # No look-up first: it would cost a query for every new blob, and the insert skips a known one.
    insert_ignoring_duplicates(
        session,
        blobs,
        {
            "sha256": digest,
            "size": len(data),
            "content_type": content_type,
            "data": data,
            "created_at": utcnow(),
        },
    )
    return digest


def latest_version(session: Session, document_id: int) -> Row[Any] | None:
    """The document's latest version row, with its bytes as ``data``."""
    return session.execute(
        select(document_versions, blobs.c.data)
        .join(blobs, blobs.c.sha256 == document_versions.c.sha256)
        .where(document_versions.c.document_id == document_id)
        .order_by(document_versions.c.id.desc())
        .limit(1)
    ).first()


def has_versions(session: Session, document_id: int) -> bool:
    """Whether the document has any version (without loading one)."""
    return session.scalar(_ANY_VERSION, {"document_id": document_id}) is not None


def attachments_of(session: Session, document_id: int, linked: Collection[str] = ()) -> list[Row[Any]]:
    """The announcement's attachments: the documents stored under it, and the ``linked`` files
    (URLs its page links) stored under another announcement first (a form several notices
    share is one document, with one parent)."""
    parent = documents.c.parent_id == document_id
    where = or_(parent, documents.c.url.in_(list(linked))) if linked else parent
    return list(session.execute(select(documents).where(where).order_by(documents.c.id)))


def linked_files(meta: Mapping[str, Any]) -> list[str]:
    """The URLs of the files a page links, from the ``attachments`` list the crawler keeps in
    the page version's meta (anything malformed in it is ignored)."""
    return [str(a["url"]) for a in meta.get("attachments") or () if isinstance(a, dict) and a.get("url")]


def announcements_due(
    session: Session, parser_version: str, *, since: dt.datetime | None = None, force: bool = False
) -> list[tuple[int, int]]:
    """(document id, through version id) of pages whose latest bytes this parser has not parsed.

    "Through" is the highest version id of the page and its attachments: parsing is due when
    it grows. One query, whatever the size of the history.
    """
    own = (
        select(
            _versions.document_id.label("doc_id"),
            func.max(_versions.id).label("top"),
            func.max(_versions.fetched_at).label("fetched"),
        )
        .group_by(_versions.document_id)
        .subquery()
    )
    attached = (
        select(_documents.parent_id.label("doc_id"), func.max(_versions.id).label("top"))
        .join(document_versions, _versions.document_id == _documents.id)
        .where(_documents.parent_id.is_not(None))
        .group_by(_documents.parent_id)
        .subquery()
    )
    through = case(
        (func.coalesce(attached.c.top, -1) > func.coalesce(own.c.top, -1), attached.c.top), else_=own.c.top
    )
    stmt = (
        select(_documents.id, through)
        .outerjoin(own, own.c.doc_id == _documents.id)
        .outerjoin(attached, attached.c.doc_id == _documents.id)
        .where(_documents.role == "page", through.is_not(None))
        .order_by(_documents.id)
    )
    if since is not None:
        stmt = stmt.where(own.c.fetched >= since)
    if not force:
        stmt = stmt.where(
            ~exists().where(
                and_(
                    document_parses.c.document_id == _documents.id,
                    document_parses.c.parser_version == parser_version,
                    document_parses.c.through_version_id == through,
                )
            )
        )
    return [(doc_id, top) for doc_id, top in session.execute(stmt)]


def record_document_version(
    session: Session, document_id: int, data: bytes, **fields: Any
) -> tuple[Row[Any], bool]:
    """Append a version if these bytes are new for the document; returns (version, is_new).

    ``fields`` are add_document_version's. The same bytes fetched again add nothing (the
    unique (document, sha256) constraint settles races between concurrent writers).
    """
    created = add_document_version(session, document_id, data, **fields)
    version = session.execute(
        select(document_versions).where(
            document_versions.c.document_id == document_id, document_versions.c.sha256 == sha256_hex(data)
        )
    ).first()
    assert version is not None
    return version, created


def add_document_version(
    session: Session,
    document_id: int,
    data: bytes,
    *,
    content_type: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    encoding: str | None = None,
    title: str | None = None,
    published_at: dt.date | None = None,
    doc_number: str | None = None,
    issuer: str | None = None,
    meta: dict[str, Any] | None = None,
) -> bool:
    """record_document_version without loading the version: whether these bytes were new.

    Two statements (the blob, the version), whatever was stored before: a crawl stores thousands."""
    digest = store_blob(session, data, content_type)
    values = {
        "document_id": document_id,
        "sha256": digest,
        "fetched_at": utcnow(),
        "etag": etag,
        "last_modified": last_modified,
        "content_type": content_type,
        "encoding": encoding,
        "title": title,
        "published_at": published_at,
        "doc_number": doc_number,
        "issuer": issuer,
        "meta": meta or {},
    }
    return insert_ignoring_duplicates(session, document_versions, values)


def update_fetch_state(
    session: Session,
    document_id: int,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    list_title: str | None = None,
    list_date: dt.date | None = None,
) -> None:
    """Remember when a URL was last checked and its validators (operational, not history).

    One upsert of the given fields (a read, then a write, cost twice as much in a crawl)."""
    given = {"etag": etag, "last_modified": last_modified, "list_title": list_title, "list_date": list_date}
    values = {"document_id": document_id, "last_checked_at": utcnow()}
    values.update((name, value) for name, value in given.items() if value is not None)
    session.execute(_upsert(session.get_bind().dialect.name, fetch_states, tuple(values)), values)


def mark_checked(session: Session, document_ids: Collection[int], at: dt.datetime) -> None:
    """Record that these stored URLs answered 304 at ``at`` (one statement for all of them)."""
    if document_ids:
        session.execute(
            update(fetch_states)
            .where(fetch_states.c.document_id.in_(list(document_ids)))
            .values(last_checked_at=at)
        )


def last_crawl_runs(session: Session) -> dict[str, Row[Any]]:
    """The latest crawl run of every source that has one."""
    newest = select(func.max(crawl_runs.c.id)).group_by(crawl_runs.c.source_id)
    runs = session.execute(select(crawl_runs).where(crawl_runs.c.id.in_(newest)))
    return {run.source_id: run for run in runs}


@dataclass(frozen=True)
class KnownDocument:
    """What a crawl needs to know about a stored URL to decide whether to fetch it again."""

    id: int
    url: str
    role: str
    parent_id: int | None
    list_title: str | None  # as last fetched (FetchState), else as first listed
    list_date: dt.date | None
    last_checked_at: dt.datetime | None  # None: never fetched successfully
    etag: str | None
    last_modified: str | None
    relevant: bool  # the latest version's meta says keywords matched
    published_at: dt.date | None  # the latest version's publish date, else the list date


def known_documents(session: Session, source_id: str) -> dict[str, KnownDocument]:
    """Every document of a source with its fetch state, keyed by URL (one query per table)."""
    docs = session.execute(
        select(documents.c.id, documents.c.url, documents.c.role, documents.c.parent_id,
               documents.c.list_title, documents.c.list_date).where(documents.c.source_id == source_id)
    ).all()  # fmt: skip
    ids = [d.id for d in docs]
    states: dict[int, Row[Any]] = {}
    latest: dict[int, Any] = {}  # document id -> (document id, relevant, published_at) of its latest version
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        states.update(
            (s.document_id, s)
            for s in session.execute(select(fetch_states).where(fetch_states.c.document_id.in_(chunk)))
        )
        versions = session.execute(
            select(_versions.document_id, _versions.meta["relevant"].as_boolean(), _versions.published_at)
            .where(_versions.document_id.in_(chunk))
            .order_by(_versions.id)
        ).all()  # the meta's flag only: decoding every version's meta cost more than the query
        latest.update((row.document_id, row) for row in versions)
    result: dict[str, KnownDocument] = {}
    for d in docs:
        state = states.get(d.id)
        version = latest.get(d.id)
        result[d.url] = KnownDocument(
            id=d.id,
            url=d.url,
            role=d.role,
            parent_id=d.parent_id,
            list_title=state.list_title if state and state.list_title is not None else d.list_title,
            list_date=state.list_date if state and state.list_date is not None else d.list_date,
            last_checked_at=state.last_checked_at if state else None,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            relevant=bool(version and version[1]),
            published_at=(version.published_at if version else None) or d.list_date,
        )
    return result


def record_crawl_run(
    session: Session,
    source_id: str,
    *,
    started_at: dt.datetime,
    status: str,
    items_seen: int = 0,
    new_documents: int = 0,
    changed_documents: int = 0,
    requests: int = 0,
    bytes_downloaded: int = 0,
    errors: int = 0,
    message: str | None = None,
) -> None:
    """Append the health of one crawl of one source (the latest row is its status)."""
    session.execute(
        insert(crawl_runs).values(
            source_id=source_id,
            started_at=started_at,
            finished_at=utcnow(),
            status=status,
            items_seen=items_seen,
            new_documents=new_documents,
            changed_documents=changed_documents,
            requests=requests,
            bytes_downloaded=bytes_downloaded,
            errors=errors,
            message=message,
        )
    )
