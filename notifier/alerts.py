"""Operator alerts: failing sources, suspect versions and parse problems, mailed to the operator.

Separate from digests on purpose: subscribers never see them. An alert is raised when its
condition holds (a source only after N consecutive failed crawls), mailed once, reminded
every ``alert_reminder_hours`` while it holds, and resolved when the condition clears.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from notifier.mail import message_id, new_message, sender_domain
from notifier.mail_settings import MailSettings
from notifier.settings import NotifySettings
from notifier.transports import DeliveryFailure, Transport
from rules.display import one_line
from storage.alerts import (
    due_alerts,
    latest_parses_with_problems,
    mark_alerts_sent,
    recent_runs,
    source_names,
    sync_alerts,
    unreviewed_suspect_versions,
)
from storage.coverage import READ_STATUS

log = logging.getLogger(__name__)


def current_problems(session: Session, threshold: int) -> dict[str, str]:
    """Every problem the operator can act on now, as {alert subject: one-line detail}.

    An announcement that gave no rules (most are not about settlement) is not one; a file it
    could not read is."""
    problems: dict[str, str] = {}
    names = source_names(session)
    for source_id, runs in recent_runs(session, threshold).items():
        if len(runs) >= threshold and all(r.status != READ_STATUS for r in runs):
            last = runs[0]
            detail = f"{names.get(source_id, source_id)}: 连续 {threshold} 次抓取失败 (最近状态 {last.status}"
            detail += f": {last.message})" if last.message else ")"
            problems[f"source:{source_id}"] = one_line(detail, 400)
    for version in unreviewed_suspect_versions(session):
        detail = (
            f"{version.region}/{version.kind} 版本 {version.id} 被判为可疑 ({version.suspect_reason})，"
            f"变化暂不发送；确认后运行 policywatch accept {version.id}"
        )
        problems[f"version:{version.id}"] = one_line(detail, 400)
    for parse in latest_parses_with_problems(session):
        codes = sorted({str(p.get("code", "?")) if isinstance(p, dict) else str(p) for p in parse.problems})
        detail = f"{parse.url}: 解析问题 {', '.join(codes)} (解析器 {parse.parser_version})"
        problems[f"parse:{parse.document_id}"] = one_line(detail, 400)
    return problems


def refresh_alerts(session: Session, now: dt.datetime, threshold: int) -> tuple[list[str], list[str]]:
    """Open (or reopen) alerts for present problems and resolve the rest; returns (opened, resolved).

    Nothing is written when the problems are those of the last refresh."""
    opened, resolved = sync_alerts(session, current_problems(session, threshold), now)
    for subject in opened:
        log.warning("operator alert opened: %s", subject)
    for subject in resolved:
        log.info("operator alert resolved: %s", subject)
    return opened, resolved


@dataclass(frozen=True)
class AlertLine:
    subject: str
    detail: str
    first_seen_at: str
    changed_at: str | None  # when the detail last changed, if it did after the alert opened
    reopened: int  # how many times it came back after it had been resolved
    reminder: bool


def render_alert(
    lines: Sequence[AlertLine], mail: MailSettings, to: str, now: dt.datetime
) -> tuple[bytes, str]:
    """The operator's message (plain text): every due alert, newest problems first."""
    subject = f"[policywatch] 运维提醒：{len(lines)} 个未解决的问题"
    msg_id = message_id(
        "alert",
        [now.isoformat(timespec="minutes"), *sorted(a.subject for a in lines)],
        sender_domain(mail.sender),
    )
    from notifier.digest import environment  # the templates load only when an alert is mailed

    text = environment(mail.templates_dir).get_template("alert.txt.j2").render(alerts=lines, subject=subject)
    msg = new_message(
        sender=mail.sender,
        sender_name="policywatch 运维",
        to=to,
        to_name=None,
        subject=subject,
        msg_id=msg_id,
        date=now,
    )
    msg.set_content(text, subtype="plain", charset="utf-8")
    return msg.as_bytes(), msg_id


def send_due_alerts(
    factory: sessionmaker[Session], settings: NotifySettings, transport: Transport, now: dt.datetime
) -> tuple[int, str | None]:
    """Refresh alert state and mail what is due; returns (alerts sent, error or None)."""
    with factory.begin() as session:
        refresh_alerts(session, now, settings.alert_after_failures)
    operator = settings.mail.operator_email
    if not operator:
        log.info("no notify.operator_email configured: operator alerts are not mailed")
        return 0, None
    remind_before = now - dt.timedelta(hours=settings.alert_reminder_hours)
    with factory.begin() as session:
        alerts = due_alerts(session, remind_before)
        lines = [
            AlertLine(
                subject=a.subject,
                detail=a.detail,
                first_seen_at=a.first_seen_at.strftime("%Y-%m-%d %H:%M"),
                changed_at=(
                    a.last_seen_at.strftime("%Y-%m-%d %H:%M") if a.last_seen_at > a.first_seen_at else None
                ),
                reopened=a.occurrences - 1,
                reminder=a.last_sent_at is not None,
            )
            for a in alerts
        ]
        ids = [a.id for a in alerts]
    if not lines:
        return 0, None
    data, msg_id = render_alert(lines, settings.mail, operator, now)
    try:
        where = transport.send(settings.mail.sender, operator, data, msg_id, now)
    except DeliveryFailure as exc:
        log.warning("operator alert not sent (%d alerts): %s", len(lines), exc)
        return 0, str(exc)
    with factory.begin() as session:
        mark_alerts_sent(session, ids, now)
    log.info("operator alert sent: %d alerts via %s", len(lines), where)
    return len(lines), None
