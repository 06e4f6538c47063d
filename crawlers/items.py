"""Items the spiders yield and the storage pipeline writes (in batched transactions, see crawlers/batch_writer.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from storage.list_pages import KnownListPage


@dataclass
class ListRow:
    url: str
    title: str
    list_date: dt.date | None


@dataclass
class ListEntriesItem:
    """The rows of one list page seen for the first time: each becomes a Document."""

    source_id: str
    page_url: str
    entries: list[ListRow]


@dataclass
class ListPageItem:
    """A list page as read: its validators (only when it listed entries) and what it linked."""

    source_id: str
    page: KnownListPage


@dataclass
class PageItem:
    """A fetched announcement page: a DocumentVersion when its bytes are new."""

    source_id: str
    url: str
    body: bytes
    content_type: str | None
    encoding: str | None
    etag: str | None
    last_modified: str | None
    list_title: str | None
    list_date: dt.date | None
    title: str | None
    published_at: dt.date | None
    doc_number: str | None
    issuer: str | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class AttachmentItem:
    """A downloaded attachment of a relevant announcement, typed by its magic bytes."""

    source_id: str
    url: str
    parent_url: str
    name: str
    body: bytes
    content_type: str | None
    file_format: str
    etag: str | None
    last_modified: str | None


@dataclass
class NotModifiedItem:
    """A conditional request answered 304: only the check time (and list title) is updated."""

    source_id: str
    url: str
    list_title: str | None = None
    list_date: dt.date | None = None
