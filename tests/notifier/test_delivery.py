"""Sending digests to a real SMTP server (aiosmtpd on 127.0.0.1): who gets what, once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import notifier.delivery as delivery
from notifier.delivery import MAX_ATTEMPTS, backoff, run_notify
from notifier.transports import EmlTransport
from storage.models import Delivery, RuleSetVersion, Series, utcnow
from storage.rulesets import is_held, record_changes, release_version
from tests.conftest import SmtpSink
from tests.notifier.notify_helpers import (
    closed_port,
    plain_and_html,
    points_change,
    settings,
    shortage_change,
    store_changes,
    subscribe,
)


def deliveries(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions.begin() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Two subscribers and a mix of changes: Quanzhou electrician, Xiamen electrician, unrelated."""
    ids = {
        "qz": subscribe(sessions, "qz@example.org", regions=["quanzhou"], frequency="immediate"),
        "all": subscribe(sessions, "all@example.org", all_changes=True, frequency="immediate", name="李四"),
    }
    changes = store_changes(
        sessions,
        points_change("quanzhou", "五级/初级工", 10, 15),
        shortage_change("quanzhou", "电工", "6-31-01-03"),
        shortage_change("quanzhou", "焊工", "6-18-02-04", related=False),
        points_change("xiamen", "四级/中级工", 20, 30),
    )
    ids.update(qz_points=changes[0], qz_shortage=changes[1], unrelated=changes[2], xm=changes[3])
    return ids


def by_rcpt(smtp: SmtpSink) -> dict[str, list]:
    out: dict[str, list] = {}
    for mail in smtp.messages:
        for rcpt in mail.rcpt_tos:
            out.setdefault(rcpt, []).append(mail.message)
    return out


def test_each_subscriber_gets_exactly_their_changes_in_one_message(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    result = run_notify(sessions, settings(tmp_path / "outbox", smtp_server))
    assert (result.sent, result.failed, result.deferred, result.pending) == (2, 0, 0, 0)
    got = by_rcpt(smtp_server)
    assert sorted(got) == ["all@example.org", "qz@example.org"]
    assert len(got["qz@example.org"]) == 1 and len(got["all@example.org"]) == 1

    qz_text, qz_html = plain_and_html(got["qz@example.org"][0])
    assert "初级工" in qz_text and "电工" in qz_text
    assert "焊工" not in qz_text and "厦门" not in qz_text and "四级/中级工" not in qz_text
    assert "焊工" not in qz_html

    all_text, _ = plain_and_html(got["all@example.org"][0])
    for expected in ("焊工", "厦门", "初级工", "四级/中级工"):
        assert expected in all_text
    assert "李四" in all_text

    sent = {(d.subscriber_id, d.change_id) for d in deliveries(sessions) if d.status == "sent"}
    assert sent == {
        (world["qz"], world["qz_points"]),
        (world["qz"], world["qz_shortage"]),
        *(
            (world["all"], c)
            for c in (world["qz_points"], world["qz_shortage"], world["unrelated"], world["xm"])
        ),
    }


def test_nobody_gets_a_change_twice_across_runs(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    cfg = settings(tmp_path / "outbox", smtp_server)
    assert run_notify(sessions, cfg).sent == 2
    assert run_notify(sessions, cfg).sent == 0
    assert run_notify(sessions, cfg, flush=True).sent == 0
    store_changes(sessions, points_change("quanzhou", "三级/高级工", 40, 50))
    third = run_notify(sessions, cfg)
    assert third.sent == 2
    assert len(smtp_server.messages) == 4
    newest = [m.message for m in smtp_server.messages[2:]]
    for msg in newest:
        text, _ = plain_and_html(msg)
        assert "高级工" in text and "初级工" not in text
    ids = [m.message["Message-ID"] for m in smtp_server.messages]
    assert len(set(ids)) == 4


def test_parser_upgrades_and_held_changes_are_never_queued(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subscribe(sessions, "all@example.org", all_changes=True, frequency="immediate")
    store_changes(sessions, points_change(), parser_upgrade=True)
    store_changes(sessions, points_change("fuzhou"), released=False)
    result = run_notify(sessions, settings(tmp_path, smtp_server))
    assert result.sent == 0 and result.queued == 0
    assert smtp_server.messages == []


def test_a_suspect_version_reaches_nobody_until_accepted_and_its_parser_upgrades_never(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    """Through the versioning code's own store/release path, not hand-made rows."""
    subscribe(sessions, "all@example.org", all_changes=True, frequency="immediate")
    real = points_change("quanzhou", "三级/高级工", 40, 50)
    upgrade = dataclasses.replace(points_change("quanzhou", "四级/中级工", 20, 25), parser_upgrade=True)
    with sessions.begin() as session:
        series = Series(region="quanzhou", kind="points_schedule")
        session.add(series)
        session.flush()
        version = RuleSetVersion(
            series_id=series.id,
            canonical_json="[]",
            canonical_hash="s" * 64,
            row_count=0,
            parser_version="test",
            suspect_reason="zero rows where the previous version had 42",
        )
        session.add(version)
        session.flush()
        record_changes(session, version, None, [real, upgrade], release=not is_held(session, version))
        version_id = version.id
    held = run_notify(sessions, settings(tmp_path, smtp_server), flush=True)
    assert (held.queued, held.sent) == (0, 0) and smtp_server.messages == []
    with sessions.begin() as session:
        stored = session.get(RuleSetVersion, version_id)
        assert stored is not None
        release_version(session, stored, "accepted", "test")
    accepted = run_notify(sessions, settings(tmp_path, smtp_server), flush=True)
    assert (accepted.queued, accepted.sent, accepted.sent_changes) == (1, 1, 1)
    text, _ = plain_and_html(smtp_server.messages[0].message)
    assert "高级工" in text and "中级工" not in text


def test_smtp_down_then_up_everything_arrives_once(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    now = utcnow()
    down = run_notify(sessions, settings(tmp_path, port=closed_port()), now=now)
    assert down.sent == 0 and down.deferred == 1 and not down.ok
    rows = deliveries(sessions)
    tried = [d for d in rows if d.attempts]
    assert tried and all(d.status == "pending" for d in rows)
    assert all(d.next_attempt_at is not None and d.next_attempt_at > now for d in tried)
    assert all("cannot reach SMTP server" in (d.last_error or "") for d in tried)

    up = settings(tmp_path, smtp_server)
    early = run_notify(sessions, up, now=now + dt.timedelta(minutes=1))
    assert early.sent == 1  # the untried subscriber goes; the deferred one waits for its backoff
    later = run_notify(sessions, up, now=now + backoff(1) + dt.timedelta(seconds=1))
    assert later.sent == 1 and later.pending == 0 and later.ok
    assert run_notify(sessions, up, now=now + dt.timedelta(hours=1)).sent == 0
    got = by_rcpt(smtp_server)
    assert {k: len(v) for k, v in got.items()} == {"qz@example.org": 1, "all@example.org": 1}
    assert all(d.status == "sent" and d.last_error is None for d in deliveries(sessions))


def test_flush_ignores_backoff(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    run_notify(sessions, settings(tmp_path, port=closed_port()))
    result = run_notify(sessions, settings(tmp_path, smtp_server), flush=True)
    assert result.sent == 2 and result.pending == 0


def test_5xx_for_one_recipient_fails_only_that_delivery(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    smtp_server.reject["qz@example.org"] = "550 5.1.1 No such user"
    result = run_notify(sessions, settings(tmp_path, smtp_server))
    assert (result.sent, result.failed) == (1, 1) and not result.ok
    assert [m.rcpt_tos for m in smtp_server.messages] == [["all@example.org"]]
    rows = deliveries(sessions)
    failed = [d for d in rows if d.subscriber_id == world["qz"]]
    assert failed and all(d.status == "failed" and "550" in (d.last_error or "") for d in failed)
    assert all(d.status == "sent" for d in rows if d.subscriber_id == world["all"])
    # permanent: never retried
    smtp_server.reject.clear()
    assert run_notify(sessions, settings(tmp_path, smtp_server), flush=True).sent == 0


def test_4xx_for_a_recipient_is_retried(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subscribe(sessions, "busy@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    smtp_server.reject["busy@example.org"] = "451 4.3.0 Try again later"
    now = utcnow()
    first = run_notify(sessions, settings(tmp_path, smtp_server), now=now)
    assert first.deferred == 1 and first.pending == 1
    smtp_server.reject.clear()
    second = run_notify(sessions, settings(tmp_path, smtp_server), now=now + dt.timedelta(hours=1))
    assert second.sent == 1 and [m.rcpt_tos for m in smtp_server.messages] == [["busy@example.org"]]


def test_421_for_a_recipient_stops_the_run_without_charging_the_next_subscriber(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    # smtplib closes the connection on a 421; the next digest must not be tried on it
    smtp_server.reject["qz@example.org"] = "421 4.3.2 Service shutting down"
    now = utcnow()
    result = run_notify(sessions, settings(tmp_path, smtp_server), now=now)
    assert (result.sent, result.deferred, result.failed) == (0, 1, 0)
    rows = deliveries(sessions)
    assert all(
        d.attempts == 1 and "421" in (d.last_error or "") for d in rows if d.subscriber_id == world["qz"]
    )
    untouched = [d for d in rows if d.subscriber_id == world["all"]]
    assert untouched and all(d.status == "pending" and d.attempts == 0 for d in untouched)
    smtp_server.reject.clear()
    again = run_notify(sessions, settings(tmp_path, smtp_server), now=now, flush=True)
    assert again.sent == 2 and sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == [
        "all@example.org",
        "qz@example.org",
    ]


def test_gives_up_after_max_attempts(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    subscribe(sessions, "a@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    cfg = settings(tmp_path, port=closed_port())
    now = utcnow()
    for n in range(MAX_ATTEMPTS):
        result = run_notify(sessions, cfg, now=now + dt.timedelta(days=n))
    assert result.failed == 1
    (row,) = deliveries(sessions)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "gave up" in (row.last_error or "")


def test_giving_up_on_an_old_delivery_does_not_take_a_newly_queued_one_with_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    subscribe(sessions, "a@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    cfg = settings(tmp_path, port=closed_port())
    now = utcnow()
    for n in range(MAX_ATTEMPTS - 1):
        run_notify(sessions, cfg, now=now + dt.timedelta(days=n))
    store_changes(sessions, points_change("quanzhou", "三级/高级工", 40, 50))  # queued on the last try
    last = run_notify(sessions, cfg, now=now + dt.timedelta(days=MAX_ATTEMPTS))
    assert last.deferred == 1 and last.pending == 1 and not last.ok
    old, new = deliveries(sessions)
    assert old.status == "failed" and old.attempts == MAX_ATTEMPTS and "gave up" in (old.last_error or "")
    assert new.status == "pending" and new.attempts == 1 and new.next_attempt_at is not None


def test_crash_between_acceptance_and_commit_gives_one_duplicate_with_the_same_message_id(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(sessions, "a@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    real = delivery.mark_sent

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(delivery, "mark_sent", crash)
    now = utcnow()
    with pytest.raises(KeyboardInterrupt):
        run_notify(sessions, settings(tmp_path, smtp_server), now=now)
    monkeypatch.setattr(delivery, "mark_sent", real)
    assert len(smtp_server.messages) == 1
    # while the lease holds, another run does not send it again
    assert run_notify(sessions, settings(tmp_path, smtp_server), now=now + dt.timedelta(minutes=1)).sent == 0
    # after the lease: the documented worst case, one duplicate with the same Message-ID
    assert run_notify(sessions, settings(tmp_path, smtp_server), now=now + dt.timedelta(hours=1)).sent == 1
    assert run_notify(sessions, settings(tmp_path, smtp_server), now=now + dt.timedelta(hours=2)).sent == 0
    ids = [m.message["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_rate_limit_leaves_the_rest_for_the_next_run(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    cfg = settings(tmp_path, smtp_server, max_messages_per_run=1)
    first = run_notify(sessions, cfg)
    assert (first.sent, first.rate_limited) == (1, 1) and first.ok
    second = run_notify(sessions, cfg)
    assert (second.sent, second.rate_limited, second.pending) == (1, 0, 0)


@pytest.mark.parametrize("queued_weekday", range(7))
def test_daily_and_weekly_digests_wait_for_their_slot(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, queued_weekday: int
) -> None:
    """Holds whatever day the changes are queued on: the clock is injected, never read."""
    subscribe(sessions, "daily@example.org", frequency="daily")
    subscribe(sessions, "weekly@example.org", frequency="weekly")
    store_changes(sessions, points_change())
    cfg = settings(tmp_path, smtp_server, daily_hour=8, weekly_day="mon", timezone="Asia/Shanghai")
    tz = dt.timezone(dt.timedelta(hours=8))
    # 2030-01-07 is a Monday; queue at 10:30 local on the chosen weekday
    queued = dt.datetime(2030, 1, 7, 10, 30, tzinfo=tz) + dt.timedelta(days=queued_weekday)
    # the first run queues; nothing is due before the next 08:00 (Asia/Shanghai)
    first = run_notify(sessions, cfg, now=queued.astimezone(dt.UTC))
    assert first.sent == 0 and first.pending == 2
    next_8am = (queued + dt.timedelta(days=1)).replace(hour=8, minute=5)
    daily = run_notify(sessions, cfg, now=next_8am.astimezone(dt.UTC))
    weekly_too = next_8am.weekday() == 0  # the next morning is itself the weekly slot
    assert daily.sent == (2 if weekly_too else 1)
    assert set(by_rcpt(smtp_server)) == {"daily@example.org"} | (
        {"weekly@example.org"} if weekly_too else set()
    )
    if not weekly_too:
        monday = next_8am + dt.timedelta(days=(7 - next_8am.weekday()) % 7)
        before = run_notify(sessions, cfg, now=(monday - dt.timedelta(hours=1)).astimezone(dt.UTC))
        assert before.sent == 0
        weekly = run_notify(sessions, cfg, now=monday.astimezone(dt.UTC))
        assert weekly.sent == 1
    assert set(by_rcpt(smtp_server)) == {"daily@example.org", "weekly@example.org"}


def test_eml_outbox_is_the_default_and_exactly_once(
    sessions: sessionmaker[Session], tmp_path: Path, world: dict[str, int]
) -> None:
    outbox = tmp_path / "outbox"
    cfg = settings(outbox)
    assert cfg.uses_outbox
    result = run_notify(sessions, cfg)
    assert result.sent == 2 and result.outbox_dir == outbox
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    assert any("-qz@example.org-" in f.name for f in files)
    import email
    import email.policy

    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
    assert run_notify(sessions, cfg).sent == 0
    assert len(list(outbox.glob("*.eml"))) == 2


def test_eml_transport_does_not_write_the_same_message_twice(tmp_path: Path) -> None:
    t = EmlTransport(tmp_path / "box")
    now = utcnow()
    first = t.send("s@example.org", "a@example.org", b"Subject: x\r\n\r\nx\r\n", "<id-1@example.org>", now)
    again = t.send(
        "s@example.org",
        "a@example.org",
        b"Subject: x\r\n\r\nx\r\n",
        "<id-1@example.org>",
        now + dt.timedelta(1),
    )
    assert first == again and len(list((tmp_path / "box").glob("*.eml"))) == 1


def test_unsubscribed_addresses_get_nothing(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path, world: dict[str, int]
) -> None:
    from storage.subscribers import deactivate_subscriber

    with sessions.begin() as session:
        deactivate_subscriber(session, "qz@example.org")
    result = run_notify(sessions, settings(tmp_path, smtp_server))
    assert [m.rcpt_tos for m in smtp_server.messages] == [["all@example.org"]]
    assert result.pending == 0


def test_changes_no_longer_wanted_after_narrowing_are_skipped(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subscribe(sessions, "a@example.org", all_changes=True, frequency="daily")
    store_changes(sessions, points_change("quanzhou"), points_change("xiamen"))
    now = utcnow()
    run_notify(sessions, settings(tmp_path, smtp_server), now=now)  # queued, daily: not yet due
    subscribe(sessions, "a@example.org", regions=["xiamen"], frequency="immediate")
    result = run_notify(sessions, settings(tmp_path, smtp_server), now=now)
    assert result.sent == 1 and result.pending == 0
    text, _ = plain_and_html(smtp_server.messages[0].message)
    assert "== 厦门" in text and "== 泉州" not in text
    statuses = sorted(d.status for d in deliveries(sessions))
    assert statuses == ["sent", "skipped"]


def test_a_broken_override_template_is_reported_and_nothing_is_lost(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("{{ v.no_such_thing.boom }}", encoding="utf-8")
    subscribe(sessions, "a@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    broken = run_notify(sessions, settings(tmp_path, smtp_server, templates_dir=templates))
    assert not broken.ok and broken.sent == 0 and broken.pending == 1
    assert "template" in broken.errors[0]
    fixed = run_notify(sessions, settings(tmp_path, smtp_server))
    assert fixed.sent == 1 and fixed.ok
