"""Queueing released changes once per matching subscriber, leases, and when digests are due."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from notifier.outbox import is_due, last_slot, queue_released_changes
from storage.models import Delivery, utcnow
from storage.outbox import claim, enqueue
from storage.pending_deliveries import pending_groups
from storage.subscribers import find_destination
from tests.notifier.notify_helpers import points_change, shortage_change, store_changes, subscribe

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def count(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)) or 0)


def test_queue_once_per_matching_subscriber(sessions: sessionmaker[Session]) -> None:
    subscribe(sessions, "qz@example.org", regions=["quanzhou"])
    subscribe(sessions, "all@example.org", all_changes=True)
    store_changes(
        sessions,
        points_change("quanzhou"),
        points_change("xiamen"),
        shortage_change("quanzhou", "焊工", "6-18-02-04", related=False),
    )
    with sessions.begin() as session:
        assert queue_released_changes(session) == 1 + 3
    with sessions.begin() as session:
        assert queue_released_changes(session) == 0
    assert count(sessions) == 4


def test_only_released_non_upgrade_changes_after_subscribing(sessions: sessionmaker[Session]) -> None:
    store_changes(sessions, points_change("fuzhou"), released_at=utcnow() - dt.timedelta(days=30))
    subscribe(sessions, "a@example.org")
    store_changes(sessions, points_change("xiamen"), released=False)
    store_changes(sessions, points_change("quanzhou"), parser_upgrade=True)
    with sessions.begin() as session:
        assert queue_released_changes(session) == 0
    (held,) = store_changes(sessions, points_change("xiamen", "二级/技师", 50, 60), released=False)
    with sessions.begin() as session:
        from storage.models import ChangeRecord

        record = session.get(ChangeRecord, held)
        assert record is not None
        record.released_at = utcnow()  # the guard released it later
    with sessions.begin() as session:
        assert queue_released_changes(session) == 1


def test_enqueue_is_race_safe(sessions: sessionmaker[Session]) -> None:
    sid = subscribe(sessions, "a@example.org")
    (cid,) = store_changes(sessions, points_change())
    now = utcnow()
    with sessions.begin() as session:
        dest = find_destination(session, "email", "a@example.org")
        assert dest is not None
        did = dest.id
    with sessions.begin() as session:
        assert enqueue(session, sid, did, cid, now) is True
        assert enqueue(session, sid, did, cid, now) is False
    with sessions.begin() as session:
        assert enqueue(session, sid, did, cid, now) is False
    assert count(sessions) == 1


def test_a_lease_keeps_a_second_sender_off(sessions: sessionmaker[Session]) -> None:
    subscribe(sessions, "a@example.org", frequency="immediate")
    store_changes(sessions, points_change(), points_change("xiamen"))
    now = utcnow()
    with sessions.begin() as session:
        queue_released_changes(session, now)
    with sessions.begin() as session:
        (group,) = pending_groups(session, now)
        ids = [d.id for d in group.deliveries]
    with sessions.begin() as session:
        assert claim(session, ids, now, now + dt.timedelta(minutes=5))
    with sessions.begin() as session:
        assert not claim(session, ids, now, now + dt.timedelta(minutes=5))
        assert pending_groups(session, now) == []
    later = now + dt.timedelta(minutes=6)
    with sessions.begin() as session:
        assert len(pending_groups(session, later)) == 1  # an expired lease (crashed sender) frees them
        assert claim(session, ids, later, later + dt.timedelta(minutes=5))


def _local(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI).astimezone(dt.UTC)


SLOTS = {"timezone": "Asia/Shanghai", "daily_hour": 8, "weekly_day": "mon"}


def test_last_slot() -> None:
    # 2026-11-24 is a Tuesday
    assert last_slot("immediate", _local(2026, 11, 24, 9), **SLOTS) is None  # type: ignore[arg-type]
    assert last_slot("daily", _local(2026, 11, 24, 9), **SLOTS) == _local(2026, 11, 24, 8)  # type: ignore[arg-type]
    assert last_slot("daily", _local(2026, 11, 24, 7), **SLOTS) == _local(2026, 11, 23, 8)  # type: ignore[arg-type]
    assert last_slot("weekly", _local(2026, 11, 24, 9), **SLOTS) == _local(2026, 11, 23, 8)  # type: ignore[arg-type]
    assert last_slot("weekly", _local(2026, 11, 23, 7), **SLOTS) == _local(2026, 11, 16, 8)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "frequency, queued, now, due",
    [
        ("immediate", _local(2026, 11, 24, 9), _local(2026, 11, 24, 9, 1), True),
        ("daily", _local(2026, 11, 24, 9), _local(2026, 11, 24, 23), False),
        ("daily", _local(2026, 11, 24, 9), _local(2026, 11, 25, 8, 0), True),
        ("daily", _local(2026, 11, 24, 7), _local(2026, 11, 24, 8, 15), True),
        ("weekly", _local(2026, 11, 24, 9), _local(2026, 11, 29, 23), False),
        ("weekly", _local(2026, 11, 24, 9), _local(2026, 11, 30, 8, 1), True),
    ],
)
def test_is_due(frequency: str, queued: dt.datetime, now: dt.datetime, due: bool) -> None:
    assert is_due(frequency, queued, now, **SLOTS) is due  # type: ignore[arg-type]
