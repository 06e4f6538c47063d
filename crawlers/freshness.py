"""Which stored announcements a poll asks again whether they changed.

Government sites replace attachments and correct pages under the same URL, without a new
list entry. So a relevant announcement that is still *current* — it feeds a rule set in
force, or it was published within ``crawl.current_window_days`` — is rechecked on every
poll, its attachments with it; an older relevant one every ``crawl.recheck_days``. Every
recheck is a conditional request (a 304 costs a few hundred bytes); where the server sends
no validators the content hash decides whether the bytes are a new version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crawlers.crawl_config import CrawlSettings
from storage.documents import KnownDocument


@dataclass(frozen=True)
class RecheckPolicy:
    now: dt.datetime
    current_window: dt.timedelta
    recheck_after: dt.timedelta
    in_force: frozenset[int]  # ids of announcements feeding a rule set in force now

    @classmethod
    def from_settings(cls, crawl: CrawlSettings, now: dt.datetime, in_force: frozenset[int]) -> RecheckPolicy:
        return cls(
            now=now,
            current_window=dt.timedelta(days=crawl.current_window_days),
            recheck_after=dt.timedelta(days=crawl.recheck_days),
            in_force=in_force,
        )

    def current(self, doc: KnownDocument) -> bool:
        """In force, or published within the window (a document without a date is not current)."""
        if doc.id in self.in_force:
            return True
        return doc.published_at is not None and self.now.date() - doc.published_at < self.current_window

    def due(self, doc: KnownDocument) -> bool:
        """A relevant announcement fetched before that is current, or not checked for a while."""
        if doc.role != "page" or not doc.relevant or doc.last_checked_at is None:
            return False
        return self.current(doc) or self.now - doc.last_checked_at >= self.recheck_after
