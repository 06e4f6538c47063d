"""Queueing released changes for the subscribers they match, and deciding when a digest is due.

Each change is queued once per active destination of a matching subscriber (email address,
group robot, webhook). Queueing is idempotent (unique (destination, change) in the database), so it can run at the
start of every `notify` without bookkeeping of its own. Only changes released at or after
the subscriber subscribed are queued: a new subscriber gets news, not the archive.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from notifier.subscriptions import Preferences, matches
from rules.changes import Change
from storage.outbox import enqueue, queue_candidates
from storage.tables import utcnow

log = logging.getLogger(__name__)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StoredSubscription(Protocol):
    """A subscription as stored: a ``subscriptions`` row or its ORM object."""

    regions: Any
    kinds: Any
    occupations: Any
    all_changes: Any
    frequency: Any


class StoredChange(Protocol):
    payload: Any


def preferences_of(sub: StoredSubscription | None) -> Preferences:
    """The matcher's view of a stored subscription (defaults when there is none)."""
    if sub is None:
        return Preferences.build()
    return Preferences.build(sub.regions, sub.kinds, sub.occupations, sub.all_changes, sub.frequency)


def change_of(record: StoredChange) -> Change:
    """The diff engine's Change back from its stored JSON."""
    return Change.from_json(record.payload)


def queue_released_changes(session: Session, now: dt.datetime | None = None) -> int:
    """Queue every released, non-parser-upgrade change for each active destination of each
    matching active subscriber.

    Returns how many deliveries this call created (others may have been queued concurrently).
    """
    now = now or utcnow()
    targets, records, queued = queue_candidates(session)
    if not records:
        return 0
    changes: dict[int, Change] = {}
    prefs: dict[int, Preferences] = {}  # per subscriber
    created = 0
    for target in targets:
        wants = prefs.get(target.subscriber_id)
        if wants is None:
            wants = prefs[target.subscriber_id] = preferences_of(target.subscription)
        for record in records:
            if (target.destination_id, record.id) in queued or record.released_at < target.since:
                continue
            change = changes.get(record.id)
            if change is None:
                change = changes[record.id] = change_of(record)
            if matches(wants, change) and enqueue(
                session, target.subscriber_id, target.destination_id, record.id, now
            ):
                created += 1
    if created:
        log.info("queued %d deliveries", created)
    return created


def last_slot(
    frequency: str, now: dt.datetime, *, timezone: str, daily_hour: int, weekly_day: str
) -> dt.datetime | None:
    """The most recent scheduled send time at or before ``now`` (None for immediate)."""
    if frequency == "immediate":
        return None
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    slot = local.replace(hour=daily_hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= dt.timedelta(days=1)
    if frequency == "weekly":
        back = (slot.weekday() - WEEKDAYS.index(weekly_day)) % 7
        slot -= dt.timedelta(days=back)
    # Rebuild from the local wall-clock date: daylight-saving zones keep the hour right.
    slot = dt.datetime(slot.year, slot.month, slot.day, daily_hour, tzinfo=tz)
    return slot.astimezone(dt.UTC)


def is_due(
    frequency: str,
    oldest_queued_at: dt.datetime,
    now: dt.datetime,
    *,
    timezone: str,
    daily_hour: int,
    weekly_day: str,
) -> bool:
    """Immediate: always. Daily/weekly: once a scheduled slot has passed since the oldest queued change."""
    slot = last_slot(frequency, now, timezone=timezone, daily_hour=daily_hour, weekly_day=weekly_day)
    return slot is None or oldest_queued_at < slot
