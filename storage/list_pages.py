"""List pages as last read, so that an unchanged list page costs a 304 (operational state)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from parsers.list_entry import ListEntry
from storage.tables import list_page_states


@dataclass(frozen=True)
class KnownListPage:
    """What a crawl needs to ask a list page conditionally and to read a 304 as its last rows."""

    url: str
    etag: str | None
    last_modified: str | None
    entries: tuple[ListEntry, ...]
    page_urls: tuple[str, ...]  # the further list pages it linked (page 0 only)


def known_list_pages(session: Session, source_id: str) -> dict[str, KnownListPage]:
    """The source's list pages as last read, keyed by URL."""
    rows = session.execute(select(list_page_states).where(list_page_states.c.source_id == source_id))
    return {
        row.url: KnownListPage(
            url=row.url,
            etag=row.etag,
            last_modified=row.last_modified,
            entries=tuple(
                ListEntry(
                    e["url"],
                    e["title"],
                    dt.date.fromisoformat(e["date"]) if e["date"] else None,
                    e["offsite"],
                )
                for e in row.entries
            ),
            page_urls=tuple(row.page_urls),
        )
        for row in rows
    }


def record_list_page(session: Session, source_id: str, page: KnownListPage) -> None:
    """Remember a list page as just read (replacing what was remembered)."""
    values = {
        "source_id": source_id,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "entries": [
            {
                "url": e.url,
                "title": e.title,
                "date": e.date.isoformat() if e.date else None,
                "offsite": e.offsite,
            }
            for e in page.entries
        ],
        "page_urls": list(page.page_urls),
    }
    updated = session.execute(
        update(list_page_states).where(list_page_states.c.url == page.url).values(values)
    )
    if not getattr(updated, "rowcount", 0):  # never read before
        session.execute(insert(list_page_states).values(url=page.url, **values))
