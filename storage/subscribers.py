"""Subscribers, their subscriptions and their destinations, updated in place.

A subscriber is found by any of its destinations (an email address, a robot or webhook
URL): subscribing twice updates the existing rows (unique email and unique destination
settle concurrent subscribes). Unsubscribing deactivates rather than deletes, because
deliveries refer to the subscriber and history is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from storage.documents import insert_ignoring_duplicates
from storage.models import Delivery, Destination, Subscriber, Subscription, utcnow


@dataclass(frozen=True)
class DestinationRequest:
    """One channel to reach a subscriber on (validated by the caller)."""

    channel: str  # email | wecom | dingtalk | feishu | webhook
    address: str  # the email address or the URL
    secret_env: str | None = None  # NAME of the environment variable holding a signing secret


@dataclass(frozen=True)
class SubscriptionRequest:
    """What `policywatch subscribe` asked for (lists already validated and de-duplicated).

    ``email`` (when given) is itself a destination; ``destinations`` adds the others.
    """

    email: str | None = None
    name: str | None = None
    regions: Sequence[str] = ()
    kinds: Sequence[str] = ()
    occupations: Sequence[str] = ()
    all_changes: bool = False
    frequency: str = "daily"
    destinations: Sequence[DestinationRequest] = ()
    profile: dict[str, Any] | None = None  # a worker's profile (JSON); None keeps the one stored

    def all_destinations(self) -> list[DestinationRequest]:
        email = [DestinationRequest("email", self.email)] if self.email else []
        return email + [d for d in self.destinations if d.channel != "email" or d.address != self.email]


class SubscriberConflict(ValueError):
    """The destinations asked for already belong to different subscribers."""


def _with_children(stmt):  # type: ignore[no-untyped-def]
    return stmt.options(selectinload(Subscriber.subscription), selectinload(Subscriber.destinations))


def get_subscriber(session: Session, email: str) -> Subscriber | None:
    return session.scalar(_with_children(select(Subscriber).where(Subscriber.email == email)))


def find_destination(session: Session, channel: str, address: str) -> Destination | None:
    return session.scalar(
        select(Destination).where(Destination.channel == channel, Destination.address == address)
    )


def _owners(session: Session, req: SubscriptionRequest) -> set[int]:
    wanted = req.all_destinations()
    owners: set[int] = set()
    if wanted:
        owners |= set(
            session.scalars(
                select(Destination.subscriber_id).where(
                    or_(
                        *(
                            and_(Destination.channel == d.channel, Destination.address == d.address)
                            for d in wanted
                        )
                    )
                )
            )
        )
    if req.email:
        owners |= set(session.scalars(select(Subscriber.id).where(Subscriber.email == req.email)))
    return owners


def _create(session: Session, req: SubscriptionRequest, now: dt.datetime) -> tuple[int, bool]:
    values = {"email": req.email, "name": req.name, "active": True, "created_at": now, "subscribed_at": now}
    if req.email:
        created = insert_ignoring_duplicates(session, Subscriber.__table__, values)  # type: ignore[arg-type]
        sub_id = session.scalar(select(Subscriber.id).where(Subscriber.email == req.email))
        assert sub_id is not None
        return sub_id, created
    sub = Subscriber(**values)
    session.add(sub)
    session.flush()
    return sub.id, True


def _attach(session: Session, subscriber_id: int, wanted: Sequence[DestinationRequest]) -> None:
    now = utcnow()
    for d in wanted:
        insert_ignoring_duplicates(
            session,
            Destination.__table__,  # type: ignore[arg-type]
            {
                "subscriber_id": subscriber_id,
                "channel": d.channel,
                "address": d.address,
                "secret_env": d.secret_env,
                "active": True,
                "created_at": now,
                "subscribed_at": now,
            },
        )
        row = find_destination(session, d.channel, d.address)
        assert row is not None
        if row.subscriber_id != subscriber_id:  # taken by a concurrent subscribe
            raise SubscriberConflict(f"{d.channel} destination already belongs to another subscriber")
        if not row.active:
            row.active, row.subscribed_at = True, now
        if d.secret_env is not None or d.channel == "email":
            row.secret_env = d.secret_env or None


def upsert_subscriber(session: Session, req: SubscriptionRequest) -> tuple[Subscriber, str]:
    """Create or update a subscriber; returns (subscriber, "created" | "updated" | "reactivated").

    Destinations given are added (or reactivated); ones not given are kept. Raises
    SubscriberConflict when the destinations belong to different subscribers.
    """
    now = utcnow()
    wanted = req.all_destinations()
    if not wanted:
        raise ValueError("a subscription needs an email address or another destination")
    owners = _owners(session, req)
    if len(owners) > 1:
        raise SubscriberConflict("these destinations belong to different subscribers: subscribe them apart")
    if owners:
        sub_id, created = owners.pop(), False
    else:
        sub_id, created = _create(session, req, now)
    sub = session.get(Subscriber, sub_id)
    assert sub is not None
    outcome = "created" if created else "updated"
    if not sub.active:
        sub.active, sub.subscribed_at, sub.unsubscribed_at = True, now, None
        outcome = "reactivated"
    if req.name is not None:
        sub.name = req.name
    if req.email and sub.email is None:
        sub.email = req.email
    _attach(session, sub.id, wanted)
    insert_ignoring_duplicates(
        session,
        Subscription.__table__,  # type: ignore[arg-type]
        {"subscriber_id": sub.id, "regions": [], "kinds": [], "occupations": [], "all_changes": False},
    )
    session.flush()
    session.expire(sub)
    sub = session.scalar(_with_children(select(Subscriber).where(Subscriber.id == sub_id)))
    assert sub is not None
    subscription = sub.subscription
    assert subscription is not None
    subscription.regions = list(req.regions)
    subscription.kinds = list(req.kinds)
    subscription.occupations = list(req.occupations)
    subscription.all_changes = req.all_changes
    subscription.frequency = req.frequency
    if req.profile is not None:
        subscription.profile = req.profile
    session.flush()
    return sub, outcome


def deactivate_destination(
    session: Session, channel: str, address: str, reason: str = "unsubscribed"
) -> Subscriber | None:
    """Stop sending to one destination: inactive, its unsent deliveries closed as failed.

    A subscriber left without an active destination is deactivated too. Returns None for an
    unknown destination. Idempotent for one already unsubscribed.
    """
    dest = find_destination(session, channel, address)
    if dest is None and channel == "email":
        # a subscriber row without its email destination (never written by this version)
        legacy = get_subscriber(session, address)
        if legacy is None:
            return None
        _attach(session, legacy.id, [DestinationRequest("email", address)])
        dest = find_destination(session, channel, address)
    if dest is None:
        return None
    dest.active = False
    session.execute(
        update(Delivery)
        .where(Delivery.destination_id == dest.id, Delivery.status == "pending")
        .values(status="failed", last_error=reason, claimed_until=None)
    )
    session.flush()
    sub = session.scalar(_with_children(select(Subscriber).where(Subscriber.id == dest.subscriber_id)))
    assert sub is not None
    session.refresh(sub, ["destinations"])
    if sub.active and not any(d.active for d in sub.destinations):
        sub.active = False
        sub.unsubscribed_at = utcnow()
        session.flush()
    return sub


def deactivate_subscriber(session: Session, email: str, reason: str = "unsubscribed") -> Subscriber | None:
    """Stop mail to an address (its other channels, if any, keep going). None: unknown address."""
    return deactivate_destination(session, "email", email, reason)


def list_subscribers(session: Session, *, active_only: bool = False) -> list[Subscriber]:
    stmt = _with_children(select(Subscriber)).order_by(
        Subscriber.email.is_(None), Subscriber.email, Subscriber.id
    )
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
