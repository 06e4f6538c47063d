"""Revision 0003: existing subscribers and their deliveries survive the move to destinations."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, select, text

from storage.database import make_engine, session_factory
from storage.models import Delivery, Destination, Subscriber
from storage.schema import alembic_config, current_revision, head_revision, upgrade
from tests.notifier.notify_helpers import points_change, store_change


def _at_0002(database_url: str) -> Engine:
    engine = make_engine(database_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    return engine


def test_upgrade_keeps_every_subscriber_and_delivery(database_url: str) -> None:
    engine = _at_0002(database_url)
    # the change tables are the same at 0002 and at head: written as the versioning code would
    with session_factory(engine).begin() as session:
        change_ids = [store_change(session, points_change()), store_change(session, points_change("xiamen"))]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscribers (id, email, name, active, created_at, subscribed_at) VALUES "
                "(1, 'a@example.org', '王', true, '2026-01-01 00:00:00', '2026-01-02 00:00:00'),"
                "(2, 'gone@example.org', NULL, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO deliveries (id, subscriber_id, change_id, status, queued_at, attempts) VALUES "
                "(1, 1, :c1, 'sent', '2026-01-03 00:00:00', 1), (2, 1, :c2, 'pending', '2026-01-03 00:00:00', 2),"
                "(3, 2, :c1, 'failed', '2026-01-03 00:00:00', 1)"
            ),
            {"c1": change_ids[0], "c2": change_ids[1]},
        )
    before, after = upgrade(engine)
    assert (before, after) == ("0002", head_revision()) and current_revision(engine) == head_revision()
    sessions = session_factory(engine)
    with sessions.begin() as session:
        dests = {d.subscriber_id: d for d in session.scalars(select(Destination))}
        assert {(d.channel, d.address, d.active) for d in dests.values()} == {
            ("email", "a@example.org", True),
            ("email", "gone@example.org", False),
        }
        rows = {d.id: d for d in session.scalars(select(Delivery))}
        assert [(rows[i].status, rows[i].attempts) for i in (1, 2, 3)] == [
            ("sent", 1),
            ("pending", 2),
            ("failed", 1),
        ]
        assert rows[1].destination_id == rows[2].destination_id == dests[1].id
        assert rows[3].destination_id == dests[2].id
        sub = session.get(Subscriber, 1)
        assert sub is not None and sub.email == "a@example.org" and sub.destinations[0].id == dests[1].id
    engine.dispose()
