"""Subscribers and their subscriptions: one row each per email address, updated in place.

Subscribing twice updates the existing rows (the unique email settles concurrent
subscribes); unsubscribing deactivates rather than deletes, because deliveries refer to
the subscriber and history is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from storage.documents import insert_ignoring_duplicates
from storage.models import Delivery, Subscriber, Subscription, utcnow


@dataclass(frozen=True)
class SubscriptionRequest:
    """What `policywatch subscribe` asked for (lists already validated and de-duplicated)."""

    email: str
    name: str | None = None
    regions: Sequence[str] = ()
    kinds: Sequence[str] = ()
    occupations: Sequence[str] = ()
    all_changes: bool = False
    frequency: str = "daily"


def get_subscriber(session: Session, email: str) -> Subscriber | None:
    return session.scalar(
        select(Subscriber).where(Subscriber.email == email).options(selectinload(Subscriber.subscription))
    )


def upsert_subscriber(session: Session, req: SubscriptionRequest) -> tuple[Subscriber, str]:
    """Create or update a subscriber; returns (subscriber, "created" | "updated" | "reactivated")."""
    now = utcnow()
    created = insert_ignoring_duplicates(
        session,
        Subscriber.__table__,  # type: ignore[arg-type]
        {
            "email": req.email,
            "name": req.name,
            "active": True,
            "created_at": now,
            "subscribed_at": now,
        },
    )
    sub = get_subscriber(session, req.email)
    assert sub is not None
    outcome = "created" if created else "updated"
    if not sub.active:
        sub.active, sub.subscribed_at, sub.unsubscribed_at = True, now, None
        outcome = "reactivated"
    if req.name is not None:
        sub.name = req.name
    insert_ignoring_duplicates(
        session,
        Subscription.__table__,  # type: ignore[arg-type]
        {"subscriber_id": sub.id, "regions": [], "kinds": [], "occupations": [], "all_changes": False},
    )
    session.flush()
    session.refresh(sub)
    subscription = sub.subscription
    assert subscription is not None
    subscription.regions = list(req.regions)
    subscription.kinds = list(req.kinds)
    subscription.occupations = list(req.occupations)
    subscription.all_changes = req.all_changes
    subscription.frequency = req.frequency
    session.flush()
    return sub, outcome


def deactivate_subscriber(session: Session, email: str, reason: str = "unsubscribed") -> Subscriber | None:
    """Stop mail to an address: inactive, and its unsent deliveries closed as failed.

    Returns None for an unknown address. Idempotent for one already unsubscribed.
    """
    sub = get_subscriber(session, email)
    if sub is None:
        return None
    if sub.active:
        sub.active = False
        sub.unsubscribed_at = utcnow()
    session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == sub.id, Delivery.status == "pending")
        .values(status="failed", last_error=reason, claimed_until=None)
    )
    session.flush()
    return sub


def list_subscribers(session: Session, *, active_only: bool = False) -> list[Subscriber]:
    stmt = select(Subscriber).options(selectinload(Subscriber.subscription)).order_by(Subscriber.email)
    if active_only:
        stmt = stmt.where(Subscriber.active.is_(True))
    return list(session.scalars(stmt))


def subscriber_by_id(session: Session, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def pending_counts(session: Session) -> dict[int, int]:
    """Pending deliveries per subscriber id (for `policywatch subscribers`)."""
    rows = session.execute(
        select(Delivery.subscriber_id, func.count())
        .where(Delivery.status == "pending")
        .group_by(Delivery.subscriber_id)
    )
    return {sid: int(n) for sid, n in rows}


def last_sent(session: Session) -> dict[int, dt.datetime]:
    """Latest delivery time per subscriber id."""
    rows = session.execute(
        select(Delivery.subscriber_id, func.max(Delivery.sent_at))
        .where(Delivery.status == "sent")
        .group_by(Delivery.subscriber_id)
    )
    return {sid: at for sid, at in rows if at is not None}
