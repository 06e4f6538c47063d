"""The delivery outbox: which released change goes to which destination, and what became of it.

One row per (destination, change) (a subscriber's email address, group robot, webhook),
enforced by a unique constraint, so queueing is idempotent and race-safe. Sending is guarded by a short lease (``claimed_until``) taken
with a conditional UPDATE: two `notify` processes never send the same delivery at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from storage.documents import insert_ignoring_duplicates
from storage.models import ChangeRecord, Delivery, Destination, Subscriber


def queue_candidates(session: Session) -> tuple[list[Subscriber], list[ChangeRecord], set[tuple[int, int]]]:
    """Active subscribers (with their destinations), releasable changes since the earliest
    subscription, and the queued (destination, change) pairs.

    Only released (``released_at`` set) changes that are not parser upgrades are candidates.
    """
    subscribers = list(
        session.scalars(
            select(Subscriber)
            .where(Subscriber.active.is_(True))
            .options(selectinload(Subscriber.subscription), selectinload(Subscriber.destinations))
            .order_by(Subscriber.id)
        )
    )
    if not subscribers:
        return [], [], set()
    since = min(s.subscribed_at for s in subscribers)
    changes = list(
        session.scalars(
            select(ChangeRecord)
            .where(
                ChangeRecord.released_at.is_not(None),
                ChangeRecord.released_at >= since,
                ChangeRecord.parser_upgrade.is_(False),
            )
            .order_by(ChangeRecord.id)
        )
    )
    if not changes:
        return subscribers, [], set()
    first = changes[0].id
    queued = {
        (sid, cid)
        for sid, cid in session.execute(
            select(Delivery.destination_id, Delivery.change_id).where(Delivery.change_id >= first)
        )
    }
    return subscribers, changes, queued


def enqueue(
    session: Session, subscriber_id: int, destination_id: int, change_id: int, now: dt.datetime
) -> bool:
    """Queue one change for one destination; False when it was already queued (by anyone)."""
    return insert_ignoring_duplicates(
        session,
        Delivery.__table__,  # type: ignore[arg-type]
        {
            "subscriber_id": subscriber_id,
            "destination_id": destination_id,
            "change_id": change_id,
            "status": "pending",
            "queued_at": now,
            "attempts": 0,
        },
    )


@dataclass
class PendingGroup:
    """A destination's pending deliveries, oldest first."""

    subscriber: Subscriber
    destination: Destination
    deliveries: list[Delivery]

    @property
    def oldest_queued_at(self) -> dt.datetime:
        return min(d.queued_at for d in self.deliveries)

    @property
    def blocked_until(self) -> dt.datetime | None:
        """The latest backoff among the deliveries (the group waits for all of them)."""
        waits = [d.next_attempt_at for d in self.deliveries if d.next_attempt_at is not None]
        return max(waits) if waits else None


def pending_groups(session: Session, now: dt.datetime) -> list[PendingGroup]:
    """Pending deliveries to active destinations of active subscribers, not leased by another
    sender, per destination."""
    rows = session.scalars(
        select(Delivery)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .join(Destination, Destination.id == Delivery.destination_id)
        .where(
            Delivery.status == "pending",
            Subscriber.active.is_(True),
            Destination.active.is_(True),
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .order_by(Delivery.destination_id, Delivery.id)
    ).all()
    if not rows:
        return []
    subscribers = {
        s.id: s
        for s in session.scalars(
            select(Subscriber)
            .where(Subscriber.id.in_({d.subscriber_id for d in rows}))
            .options(selectinload(Subscriber.subscription))
        )
    }
    destinations = {
        d.id: d
        for d in session.scalars(
            select(Destination).where(Destination.id.in_({d.destination_id for d in rows}))
        )
    }
    groups: dict[int, PendingGroup] = {}
    for d in rows:
        group = groups.get(d.destination_id)
        if group is None:
            group = groups[d.destination_id] = PendingGroup(
                subscribers[d.subscriber_id], destinations[d.destination_id], []
            )
        group.deliveries.append(d)
    return list(groups.values())


def changes_by_id(session: Session, ids: Iterable[int]) -> dict[int, ChangeRecord]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(ChangeRecord).where(ChangeRecord.id.in_(wanted)))}


def claim(session: Session, delivery_ids: Sequence[int], now: dt.datetime, until: dt.datetime) -> bool:
    """Lease the deliveries for sending; False (nothing leased) if any was taken or settled meanwhile.

    The conditional UPDATE is the arbiter: under concurrency only one sender sees every row match.
    """
    savepoint = session.begin_nested()  # a partial match is undone, the transaction goes on
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.status == "pending",
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0)) != len(delivery_ids):
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def mark_sent(session: Session, delivery_ids: Sequence[int], message_id: str, sent_at: dt.datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids))
        .values(
            status="sent",
            sent_at=sent_at,
            message_id=message_id,
            attempts=Delivery.attempts + 1,
            next_attempt_at=None,
            claimed_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, delivery_ids: Sequence[int], reason: str) -> None:
    """A permanent failure (5xx for the recipient, or too many attempts): never retried."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids))
        .values(
            status="failed",
            attempts=Delivery.attempts + 1,
            next_attempt_at=None,
            claimed_until=None,
            last_error=reason[:2000],
        )
        .execution_options(synchronize_session=False)
    )


def mark_skipped(session: Session, delivery_ids: Sequence[int], reason: str) -> None:
    """Not sent on purpose (the subscriber no longer wants it): closed, never retried."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "pending")
        .values(status="skipped", claimed_until=None, last_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )


def mark_retry(
    session: Session, delivery_ids: Sequence[int], reason: str, next_attempt_at: dt.datetime
) -> None:
    """A transient failure: counted, and tried again after the backoff."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids))
        .values(
            attempts=Delivery.attempts + 1,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_error=reason[:2000],
        )
        .execution_options(synchronize_session=False)
    )


def count_pending(session: Session) -> int:
    """Pending deliveries to active destinations of active subscribers (what later runs still
    have to send)."""
    n = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Subscriber, and_(Subscriber.id == Delivery.subscriber_id, Subscriber.active.is_(True)))
        .join(Destination, and_(Destination.id == Delivery.destination_id, Destination.active.is_(True)))
        .where(Delivery.status == "pending")
    )
    return int(n or 0)
