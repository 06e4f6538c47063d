"""The Atom feed (RFC 4287) of released changes, per region / kind filter.

One entry per released change (parser upgrades and held versions never appear), newest
first, with a stable id (the change's id in this database), the values before and after,
and a link to the source document. Crawled text is untrusted: the XML writer escapes it,
characters XML cannot carry are dropped, and only http(s) URLs become links.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from sqlalchemy.orm import Session, sessionmaker

from notifier.digest import certificate_meaning
from notifier.report import build_groups
from rules.changes import Change
from storage.rulesets import query_changes

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
FEED_TITLE = "policywatch 落户政策变化"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedFilter:
    regions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    all_changes: bool = False  # else only electrician-related changes

    def query(self) -> str:
        pairs = [("region", r) for r in self.regions] + [("kind", k) for k in self.kinds]
        return urlencode(pairs + ([("all", "1")] if self.all_changes else []))

    @classmethod
    def from_query(cls, query: Mapping[str, Sequence[str]]) -> FeedFilter:
        return cls(
            tuple(sorted(set(query.get("region", [])))),
            tuple(sorted(set(query.get("kind", [])))),
            query.get("all", [""])[-1] in ("1", "true", "yes"),
        )


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _content(change: Change) -> tuple[str, str, str | None]:
    """(title, HTML content, source link) of one change, as the digests word it."""
    (group,) = build_groups([change])
    row = group.rows[0]
    title = f"{group.region_label} · {group.kind_label}：{row.verb} {row.item}"
    parts = [f"<p>{html.escape(row.summary)}</p>", "<ul>"]
    for line in row.lines:
        before = html.escape(line.before) if line.before is not None else "（无）"
        after = html.escape(line.after) if line.after is not None else "（删除）"
        parts.append(f"<li>{html.escape(line.label)}：{before} → {after}</li>")
    parts.append("</ul>")
    meaning = certificate_meaning(change)
    if meaning:
        parts.append(f"<p>对电工意味着：{html.escape(meaning)}</p>")
    source = row.source
    if source.url:
        parts.append(f'<p>来源：<a href="{html.escape(source.url)}">{html.escape(source.describe())}</a></p>')
    elif source.title or source.doc_number:
        parts.append(f"<p>来源：{html.escape(source.describe())}</p>")
    return title, "".join(parts), source.url


def render_atom(
    entries: Sequence[tuple[int, Change, dt.datetime]],
    *,
    feed_filter: FeedFilter,
    generated_at: dt.datetime,
    self_url: str | None = None,
) -> bytes:
    """The feed document; ``entries`` are (change id, change, released at)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    scope = feed_filter.query()
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "tag:policywatch,2026:feed" + (f"?{scope}" if scope else "")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = FEED_TITLE + (f"（{scope}）" if scope else "")
    newest = max((released for _, _, released in entries), default=generated_at)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(newest)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "policywatch"
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "policywatch"
    if self_url:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    for change_id, change, released in entries:
        title, content, link = _content(change)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:policywatch,2026:change/{change_id}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _text(title)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(released)
        if change.provenance.published_at:
            published = dt.datetime.combine(change.provenance.published_at, dt.time(), dt.UTC)
            ET.SubElement(entry, f"{{{ATOM}}}published").text = _stamp(published)
        if link:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=_text(link))
        ET.SubElement(entry, f"{{{ATOM}}}category", term=change.region)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=change.kind)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = _text(change.summary)
        ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = _text(content)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="utf-8", xml_declaration=False
    )


def feed_entries(session: Session, feed_filter: FeedFilter) -> list[tuple[int, Change, dt.datetime]]:
    """Released, non-parser-upgrade changes in scope, newest first, at most MAX_ENTRIES."""
    records = query_changes(
        session,
        regions=feed_filter.regions,
        kinds=feed_filter.kinds,
        electrician_only=not feed_filter.all_changes,
    )
    records.sort(key=lambda r: (r.released_at, r.id), reverse=True)
    return [
        (r.id, Change.from_json(r.payload), r.released_at) for r in records[:MAX_ENTRIES] if r.released_at
    ]


class FeedService:
    """The feed for the HTTP endpoint: a filter from the query string in, the document out."""

    def __init__(self, sessions: sessionmaker[Session], path: str, public_url: str = "") -> None:
        self._sessions, self.path, self.public_url = sessions, path, public_url

    def render(self, query: Mapping[str, Sequence[str]], now: dt.datetime) -> bytes:
        feed_filter = FeedFilter.from_query(query)
        with self._sessions.begin() as session:
            entries = feed_entries(session, feed_filter)
        self_url = None
        if self.public_url:
            scope = feed_filter.query()
            self_url = self.public_url + (f"?{scope}" if scope else "")
        return render_atom(entries, feed_filter=feed_filter, generated_at=now, self_url=self_url)
