"""Pending deliveries grouped per destination, with their subscriber and changes: what a
`notify` renders. Apart from storage.outbox because these are ORM objects: loaded only
when something is waiting to be sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from storage.models import ChangeRecord, Delivery, Destination, Subscriber


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
