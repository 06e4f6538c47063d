"""Read-only counts that `policywatch status` shows (SQL stays in storage/)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Delivery, Subscriber


def delivery_counts(session: Session) -> dict[str, int]:
    """Deliveries of active subscribers by status (pending, sent, failed)."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Subscriber.active.is_(True))
        .group_by(Delivery.status)
    )
    counts = {"pending": 0, "sent": 0, "failed": 0}
    for status, n in rows:
        counts[str(status)] = int(n)
    return counts


__all__ = ["delivery_counts"]
