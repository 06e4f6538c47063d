"""The delivery outbox: which released change goes to which destination, and what became of it.

One row per (destination, change) (a subscriber's email address, group robot, webhook),
enforced by a unique constraint, so queueing is idempotent and race-safe. Sending is guarded by a short lease (``claimed_until``) taken
with a conditional UPDATE: two `notify` processes never send the same delivery at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.documents import insert_ignoring_duplicates
from storage.tables import changes, deliveries, destinations, subscribers, subscriptions


@dataclass(frozen=True)
class QueueTarget:
    """An active destination of an active subscriber: where matching changes are queued."""

    subscriber_id: int
    destination_id: int
    since: dt.datetime  # changes released before this are history to it (see storage.tables)
    subscription: Any  # a row of the subscription's filter columns; None: defaults


def queue_candidates(session: Session) -> tuple[list[QueueTarget], list[Row[Any]], set[tuple[int, int]]]:
    """Active destinations of active subscribers, releasable changes since the earliest of them,
    and the queued (destination, change) pairs.

    Only released (``released_at`` set) changes that are not parser upgrades are candidates.
    """
    subs, dests = subscribers.c, destinations.c
    wants = subscriptions.c
    rows = session.execute(
        select(dests.id, dests.subscriber_id, dests.subscribed_at, subs.subscribed_at.label("subscriber_since"),
               wants.regions, wants.kinds, wants.occupations, wants.all_changes, wants.frequency)
        .join(subscribers, subs.id == dests.subscriber_id)
        .outerjoin(subscriptions, wants.subscriber_id == subs.id)
        .where(subs.active.is_(True), dests.active.is_(True))
        .order_by(subs.id, dests.id)
    ).all()  # fmt: skip
    targets = [
        QueueTarget(
            row.subscriber_id,
            row.id,
            max(row.subscribed_at, row.subscriber_since),
            row if row.frequency is not None else None,  # its subscription's columns, if it has one
        )
        for row in rows
    ]
    if not targets:
        return [], [], set()
    since = min(t.since for t in targets)
    found = list(
        session.execute(
            select(changes)
            .where(
                changes.c.released_at.is_not(None),
                changes.c.released_at >= since,
                changes.c.parser_upgrade.is_(False),
            )
            .order_by(changes.c.id)
        )
    )
    if not found:
        return targets, [], set()
    first = found[0].id
    queued = {
        (did, cid)
        for did, cid in session.execute(
            select(deliveries.c.destination_id, deliveries.c.change_id).where(deliveries.c.change_id >= first)
        )
    }
    return targets, found, queued


def enqueue(
    session: Session, subscriber_id: int, destination_id: int, change_id: int, now: dt.datetime
) -> bool:
    """Queue one change for one destination; False when it was already queued (by anyone)."""
    return insert_ignoring_duplicates(
        session,
        deliveries,
        {
            "subscriber_id": subscriber_id,
            "destination_id": destination_id,
            "change_id": change_id,
            "status": "pending",
            "queued_at": now,
            "attempts": 0,
        },
    )


def claim(session: Session, delivery_ids: Sequence[int], now: dt.datetime, until: dt.datetime) -> bool:
    """Lease the deliveries for sending; False (nothing leased) if any was taken or settled meanwhile.

    The conditional UPDATE is the arbiter: under concurrency only one sender sees every row match.
    """
    savepoint = session.begin_nested()  # a partial match is undone, the transaction goes on
    result = session.execute(
        update(deliveries)
        .where(
            deliveries.c.id.in_(delivery_ids),
            deliveries.c.status == "pending",
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
        )
        .values(claimed_until=until)
    )
    if int(getattr(result, "rowcount", 0)) != len(delivery_ids):
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def mark_sent(session: Session, delivery_ids: Sequence[int], message_id: str, sent_at: dt.datetime) -> None:
    session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(delivery_ids))
        .values(
            status="sent",
            sent_at=sent_at,
            message_id=message_id,
            attempts=deliveries.c.attempts + 1,
            next_attempt_at=None,
            claimed_until=None,
            last_error=None,
        )
    )


def mark_failed(session: Session, delivery_ids: Sequence[int], reason: str) -> None:
    """A permanent failure (5xx for the recipient, or too many attempts): never retried."""
    session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(delivery_ids))
        .values(
            status="failed",
            attempts=deliveries.c.attempts + 1,
            next_attempt_at=None,
            claimed_until=None,
            last_error=reason[:2000],
        )
    )


def mark_skipped(session: Session, delivery_ids: Sequence[int], reason: str) -> None:
    """Not sent on purpose (the subscriber no longer wants it): closed, never retried."""
    session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(delivery_ids), deliveries.c.status == "pending")
        .values(status="skipped", claimed_until=None, last_error=reason[:2000])
    )


def mark_retry(
    session: Session, delivery_ids: Sequence[int], reason: str, next_attempt_at: dt.datetime
) -> None:
    """A transient failure: counted, and tried again after the backoff."""
    session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(delivery_ids))
        .values(
            attempts=deliveries.c.attempts + 1,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_error=reason[:2000],
        )
    )


def count_pending(session: Session) -> int:
    """Pending deliveries to active destinations of active subscribers (what later runs still
    have to send)."""
    n = session.scalar(
        select(func.count())
        .select_from(deliveries)
        .join(
            subscribers, and_(subscribers.c.id == deliveries.c.subscriber_id, subscribers.c.active.is_(True))
        )
        .join(
            destinations,
            and_(destinations.c.id == deliveries.c.destination_id, destinations.c.active.is_(True)),
        )
        .where(deliveries.c.status == "pending")
    )
    return int(n or 0)
