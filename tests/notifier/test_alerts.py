"""Operator alerts: threshold, one message to the operator, reminders, resolution; never to subscribers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifier.alerts import current_problems
from notifier.delivery import run_notify
from storage.models import (
    CrawlRun,
    Document,
    DocumentParse,
    OperatorAlert,
    RuleSetVersion,
    Series,
    Source,
    VersionReview,
    utcnow,
)
from tests.conftest import SmtpSink
from tests.notifier.notify_helpers import points_change, settings, store_changes, subscribe


def add_source(sessions: sessionmaker[Session], source_id: str = "quanzhou-hrss") -> None:
    with sessions.begin() as session:
        session.add(
            Source(
                id=source_id, name="泉州市人社局 通知公告", authority="hrss", region="quanzhou", family="trs"
            )
        )


def crawl(sessions: sessionmaker[Session], status: str, source_id: str = "quanzhou-hrss") -> None:
    with sessions.begin() as session:
        session.add(
            CrawlRun(
                source_id=source_id, status=status, finished_at=utcnow(), message=f"{status}: HTTP 403\r\nX"
            )
        )


def alerts(sessions: sessionmaker[Session]) -> dict[str, OperatorAlert]:
    with sessions.begin() as session:
        return {a.subject: a for a in session.scalars(select(OperatorAlert))}


def test_source_alert_after_threshold_reminder_and_resolution(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subscribe(sessions, "sub@example.org", all_changes=True, frequency="immediate")
    add_source(sessions)
    cfg = settings(tmp_path, smtp_server, operator_email="ops@example.org", alert_after_failures=3)
    now = utcnow()
    crawl(sessions, "ok")
    crawl(sessions, "blocked")
    crawl(sessions, "failing")
    assert run_notify(sessions, cfg, now=now).alerts_sent == 0  # two failures: below the threshold
    crawl(sessions, "blocked")
    first = run_notify(sessions, cfg, now=now + dt.timedelta(minutes=15))
    assert first.alerts_sent == 1 and first.ok
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["ops@example.org"]
    msg = mail.message
    assert "运维提醒" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "source:quanzhou-hrss" in body and "连续 3 次抓取失败" in body and "blocked" in body
    assert "\r\nX" not in body  # crawled messages are kept on one line

    # within the reminder interval: nothing more
    assert run_notify(sessions, cfg, now=now + dt.timedelta(hours=2)).alerts_sent == 0
    # after it: a reminder
    reminder = run_notify(sessions, cfg, now=now + dt.timedelta(hours=25))
    assert reminder.alerts_sent == 1
    assert "（提醒）" in smtp_server.messages[-1].message.get_body(("plain",)).get_content()

    # the source recovers: resolved, no more mail
    crawl(sessions, "ok")
    assert run_notify(sessions, cfg, now=now + dt.timedelta(hours=60)).alerts_sent == 0
    alert = alerts(sessions)["source:quanzhou-hrss"]
    assert alert.resolved_at is not None
    assert len(smtp_server.messages) == 2
    # subscribers never receive alerts
    assert all(m.rcpt_tos == ["ops@example.org"] for m in smtp_server.messages)

    # it comes back: reopened and mailed again at once
    for _ in range(3):
        crawl(sessions, "structure-changed")
    assert run_notify(sessions, cfg, now=now + dt.timedelta(hours=61)).alerts_sent == 1


def test_suspect_versions_and_parse_problems_until_reviewed(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    add_source(sessions)
    with sessions.begin() as session:
        series = Series(region="xiamen", kind="points_schedule")
        session.add(series)
        session.flush()
        version = RuleSetVersion(
            series_id=series.id,
            canonical_json="[]",
            canonical_hash="0" * 64,
            row_count=0,
            parser_version="1",
            suspect_reason="zero rows where the previous version had 42",
        )
        doc = Document(source_id="quanzhou-hrss", url="https://rsj.quanzhou.gov.cn/a.htm")
        session.add_all([version, doc])
        session.flush()
        session.add(
            DocumentParse(
                document_id=doc.id,
                parser_version="1",
                through_version_id=1,
                problems=[{"code": "encrypted", "message": "PDF is encrypted"}],
            )
        )
        version_id, doc_id = version.id, doc.id
    cfg = settings(tmp_path, smtp_server, operator_email="ops@example.org")
    result = run_notify(sessions, cfg)
    assert result.alerts_sent == 2
    body = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    assert f"version:{version_id}" in body and f"policywatch accept {version_id}" in body
    assert f"parse:{doc_id}" in body and "encrypted" in body

    with sessions.begin() as session:
        session.add(VersionReview(version_id=version_id, decision="accepted", decided_by="operator"))
        session.add(DocumentParse(document_id=doc_id, parser_version="2", through_version_id=1, problems=[]))
    with sessions.begin() as session:
        assert current_problems(session, 3) == {}
    run_notify(sessions, cfg)
    assert all(a.resolved_at is not None for a in alerts(sessions).values())


def test_no_operator_email_skips_alerts_quietly(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    add_source(sessions)
    for _ in range(3):
        crawl(sessions, "failing")
    subscribe(sessions, "sub@example.org", frequency="immediate")
    store_changes(sessions, points_change())
    result = run_notify(sessions, settings(tmp_path, smtp_server))
    assert result.alerts_sent == 0 and result.sent == 1 and result.ok
    assert [m.rcpt_tos for m in smtp_server.messages] == [["sub@example.org"]]
    assert "source:quanzhou-hrss" in alerts(sessions)  # still tracked for when an address is set
