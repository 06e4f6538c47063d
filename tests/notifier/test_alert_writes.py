"""Operator alerts cost what changes: an unchanged cycle writes nothing, and an announcement
that simply is not about settlement (or gave no rules) raises no alert at all."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from notifier.alerts import current_problems, refresh_alerts
from notifier.delivery import run_notify
from parsers.problem_codes import actionable
from storage.models import CrawlRun, Document, DocumentParse, OperatorAlert, Source
from tests.conftest import SmtpSink
from tests.notifier.notify_helpers import settings

ALERT_WRITE = re.compile(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+operator_alerts\b", re.I)
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
NO_RULES = {"code": "no_rules_found", "message": "no rule rows found in the page or its attachments"}


@contextmanager
def alert_writes(engine: Engine) -> Iterator[list[str]]:
    """The INSERT / UPDATE / DELETE statements sent for operator_alerts inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if ALERT_WRITE.match(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_source(session: Session, message: str = "HTTP 403") -> None:
    session.add(Source(id="xm", name="厦门市人社局", authority="hrss", region="xiamen", family="trs"))
    session.flush()
    for _ in range(3):
        session.add(CrawlRun(source_id="xm", status="blocked", finished_at=NOW, message=message))


def add_parse(session: Session, url: str, problems: list[Any], not_about: str | None = None) -> int:
    doc = Document(source_id="xm", url=url)
    session.add(doc)
    session.flush()
    session.add(
        DocumentParse(
            document_id=doc.id,
            parser_version="1",
            through_version_id=1,
            problems=problems,
            not_about=not_about,
        )
    )
    return doc.id


def snapshot(sessions: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    with sessions.begin() as session:
        return {
            a.subject: (
                a.detail,
                a.first_seen_at,
                a.last_seen_at,
                a.occurrences,
                a.last_sent_at,
                a.resolved_at,
            )
            for a in session.scalars(select(OperatorAlert))
        }


def refresh(sessions: sessionmaker[Session], now: dt.datetime) -> tuple[list[str], list[str]]:
    with sessions.begin() as session:
        return refresh_alerts(session, now, 3)


def test_an_unchanged_cycle_writes_no_alert_row(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_source(session)
        doc_id = add_parse(session, "https://hrss.xm.gov.cn/a.htm", [{"code": "encrypted", "message": "PDF"}])
    opened, _ = refresh(sessions, NOW)
    assert sorted(opened) == [f"parse:{doc_id}", "source:xm"]
    before = snapshot(sessions)

    with alert_writes(engine) as writes:
        assert refresh(sessions, NOW + dt.timedelta(hours=1)) == ([], [])
        assert refresh(sessions, NOW + dt.timedelta(hours=2)) == ([], [])
    assert writes == []
    assert snapshot(sessions) == before

    # the detail changes (a newer failed crawl says something else): one UPDATE, still open
    with sessions.begin() as session:
        session.add(CrawlRun(source_id="xm", status="failing", finished_at=NOW, message="timeout"))
    later = NOW + dt.timedelta(hours=3)
    with alert_writes(engine) as writes:
        assert refresh(sessions, later) == ([], [])
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
    after = snapshot(sessions)["source:xm"]
    assert "timeout" in after[0] and after[1] == NOW and after[2] == later and after[3] == 1


def test_a_problem_that_comes_back_is_reopened_and_counted(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_source(session)
    refresh(sessions, NOW)
    with sessions.begin() as session:
        session.add(CrawlRun(source_id="xm", status="ok", finished_at=NOW))
    assert refresh(sessions, NOW + dt.timedelta(hours=1)) == ([], ["source:xm"])
    with alert_writes(engine) as writes:
        assert refresh(sessions, NOW + dt.timedelta(hours=2)) == ([], [])  # resolved stays resolved
    assert writes == []
    with sessions.begin() as session:
        for _ in range(3):
            session.add(CrawlRun(source_id="xm", status="blocked", finished_at=NOW, message="HTTP 403"))
    back = NOW + dt.timedelta(hours=5)
    assert refresh(sessions, back) == (["source:xm"], [])
    detail, first, last, occurrences, sent, resolved = snapshot(sessions)["source:xm"]
    assert (first, last, occurrences, sent, resolved) == (back, back, 2, None, None)


def test_no_alert_for_announcements_without_settlement_rules(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Source(id="xm", name="厦门市人社局", authority="hrss", region="xiamen", family="trs"))
        session.flush()
        add_parse(session, "https://x/social-insurance.htm", [NO_RULES])
        add_parse(session, "https://x/school-points.htm", [], not_about="积分入学")
        add_parse(
            session,
            "https://x/old-parser-school.htm",
            [{"code": "unread_rows", "message": "3 rows"}, NO_RULES],
            not_about="积分入学",
        )
        unreadable = add_parse(
            session,
            "https://x/school-scan.htm",
            [{"code": "no_text_layer", "message": "scan"}],
            not_about="积分入学",
        )
        unread = add_parse(
            session, "https://x/points.htm", [{"code": "unread_rows", "message": "2 rows"}, NO_RULES]
        )
        encrypted = add_parse(session, "https://x/list.htm", [{"code": "encrypted", "message": "PDF"}])
        legacy = add_parse(session, "https://x/legacy.htm", ["corrupt_file"])
        fixed = add_parse(session, "https://x/fixed.htm", [{"code": "encrypted", "message": "PDF"}])
        session.add(
            DocumentParse(document_id=fixed, parser_version="2", through_version_id=1, problems=[NO_RULES])
        )
    with sessions.begin() as session:
        problems = current_problems(session, 3)
    assert sorted(problems) == sorted(f"parse:{d}" for d in (unreadable, unread, encrypted, legacy))
    assert "no_text_layer" in problems[f"parse:{unreadable}"]
    assert "no_rules_found" in problems[f"parse:{unread}"]  # named beside the rows it left unread


CASES: list[tuple[list[Any], str | None]] = [
    ([NO_RULES], None),
    ([], "积分入学"),
    ([{"code": "unread_rows"}, NO_RULES], "积分入学"),
    ([{"code": "no_text_layer"}], "积分入学"),
    ([{"code": "unread_rows"}, NO_RULES], None),
    ([{"code": "encrypted"}], None),
    (["corrupt_file"], None),
    ([NO_RULES, {"code": "unrecognised_columns"}], None),
    ([{"code": "unrecognised_columns"}], "招聘"),
]


def test_the_log_and_the_alerts_agree_on_what_an_operator_can_act_on(
    sessions: sessionmaker[Session],
) -> None:
    """The pipeline's warning (parsers.problem_codes.actionable) and the alert query (SQL)."""
    with sessions.begin() as session:
        session.add(Source(id="xm", name="厦门市人社局", authority="hrss", region="xiamen", family="trs"))
        session.flush()
        ids = [
            add_parse(session, f"https://x/{n}.htm", problems, about)
            for n, (problems, about) in enumerate(CASES)
        ]
    with sessions.begin() as session:
        alerting = set(current_problems(session, 3))
    expected = {
        f"parse:{doc_id}"
        for doc_id, (problems, about) in zip(ids, CASES, strict=True)
        if actionable((p["code"] if isinstance(p, dict) else p for p in problems), about is not None)
    }
    assert alerting == expected
    assert 0 < len(expected) < len(CASES)


def test_alert_mail_says_when_it_opened_changed_and_came_back(
    sessions: sessionmaker[Session], smtp_server: SmtpSink, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        add_source(session)
    cfg = settings(tmp_path, smtp_server, operator_email="ops@example.org")
    assert run_notify(sessions, cfg, now=NOW).alerts_sent == 1
    body = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    assert "发现于：2026-03-02 08:00 UTC" in body and "详情更新于" not in body and "又出现" not in body

    with sessions.begin() as session:
        session.add(CrawlRun(source_id="xm", status="ok", finished_at=NOW))
    run_notify(sessions, cfg, now=NOW + dt.timedelta(hours=1))
    with sessions.begin() as session:
        for _ in range(3):
            session.add(CrawlRun(source_id="xm", status="blocked", finished_at=NOW, message="HTTP 403"))
    assert run_notify(sessions, cfg, now=NOW + dt.timedelta(hours=2)).alerts_sent == 1
    with sessions.begin() as session:
        session.add(CrawlRun(source_id="xm", status="failing", finished_at=NOW, message="timeout"))
    assert run_notify(sessions, cfg, now=NOW + dt.timedelta(hours=30)).alerts_sent == 1  # the reminder
    body = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    assert "发现于：2026-03-02 10:00 UTC，详情更新于 2026-03-03 14:00 UTC" in body
    assert "（此前解决后又出现 1 次）" in body and "timeout" in body and "（提醒）" in body
