"""Shared set-up for the notifier tests: stored changes shaped like the diff engine's, subscribers,
and settings pointing at the test SMTP server or an outbox folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifier.mail_settings import MailSettings
from notifier.settings import NotifySettings
from rules.changes import Change, ChangeProvenance
from rules.summary import summarise
from storage.models import ChangeRecord, RuleSetVersion, Series, utcnow
from storage.subscribers import SubscriptionRequest, upsert_subscriber

_hashes = itertools.count(1)

PROV = ChangeProvenance(
    source_url="https://rsj.quanzhou.gov.cn/zwgk/tzgg/202611/t20261101_1.htm",
    document_title="泉州市积分落户计分标准（2027年版）",
    doc_number="泉人社〔2026〕88号",
    published_at=dt.date(2026, 11, 1),
    effective_at=dt.date(2027, 1, 1),
    detected_at=dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC),
)


def points_change(
    region: str = "quanzhou",
    item: str = "五级/初级工",
    before: float | None = 10.0,
    after: float | None = 15.0,
    *,
    category: str = "技能水平",
    related: bool = True,
    prov: ChangeProvenance = PROV,
) -> Change:
    def row(points: float | None) -> dict[str, Any]:
        return {
            "category": category,
            "item": item,
            "points": points,
            "per": None,
            "cap": None,
            "sign": 1,
            "conditions": None,
        }

    kind = (
        "modified" if before is not None and after is not None else ("added" if before is None else "removed")
    )
    change = Change(
        region=region,
        kind="points_schedule",
        change=kind,  # type: ignore[arg-type]
        key=f"{category}|{item}",
        before=row(before) if before is not None else None,
        after=row(after) if after is not None else None,
        fields_changed=("points",) if kind == "modified" else (),
        substantive=True,
        electrician_related=related,
        summary="",
        provenance=prov,
    )
    return dataclasses.replace(change, summary=summarise(change))


def shortage_change(
    region: str = "quanzhou",
    occupation: str = "电工",
    code: str | None = "6-31-01-03",
    *,
    change: str = "added",
    related: bool = True,
    substantive: bool = True,
    prov: ChangeProvenance = PROV,
) -> Change:
    row = {
        "occupation": occupation,
        "code": code,
        "work_type": None,
        "degree": "紧缺",
        "level": None,
        "category": None,
        "notes": None,
    }
    c = Change(
        region=region,
        kind="shortage_occupations",
        change=change,  # type: ignore[arg-type]
        key=code or occupation,
        before=row if change == "removed" else None,
        after=row if change == "added" else None,
        fields_changed=(),
        substantive=substantive,
        electrician_related=related,
        summary="",
        provenance=prov,
    )
    return dataclasses.replace(c, summary=summarise(c))


def store_change(
    session: Session,
    change: Change,
    *,
    released: bool = True,
    released_at: dt.datetime | None = None,
    parser_upgrade: bool = False,
) -> int:
    """A ChangeRecord as the versioning code would write it (with a series and version behind it)."""
    series = session.scalar(select(Series).where(Series.region == change.region, Series.kind == change.kind))
    if series is None:
        series = Series(region=change.region, kind=change.kind)
        session.add(series)
        session.flush()
    version = RuleSetVersion(
        series_id=series.id,
        canonical_json="[]",
        canonical_hash=f"h{next(_hashes):063d}",
        row_count=1,
        parser_version="test",
    )
    session.add(version)
    session.flush()
    record = ChangeRecord(
        version_id=version.id,
        region=change.region,
        kind=change.kind,
        change=change.change,
        key=change.key,
        electrician_related=change.electrician_related,
        substantive=change.substantive,
        parser_upgrade=parser_upgrade,
        payload=dataclasses.replace(change, parser_upgrade=parser_upgrade).to_json(),
        detected_at=utcnow(),
        released_at=(released_at or utcnow()) if released else None,
    )
    session.add(record)
    session.flush()
    return record.id


def store_changes(sessions: sessionmaker[Session], *changes: Change, **kw: Any) -> list[int]:
    with sessions.begin() as session:
        return [store_change(session, c, **kw) for c in changes]


def subscribe(sessions: sessionmaker[Session], email: str, **kw: Any) -> int:
    with sessions.begin() as session:
        sub, _ = upsert_subscriber(session, SubscriptionRequest(email=email, **kw))
        return sub.id


def settings(
    outbox: Path,
    smtp: Any | None = None,
    *,
    port: int | None = None,
    **kw: Any,
) -> NotifySettings:
    mail_kw = {
        k: kw.pop(k)
        for k in ("operator_email", "public_url", "signing_key", "reply_to", "templates_dir")
        if k in kw
    }
    mail = MailSettings(sender="policywatch@example.org", **mail_kw)
    host = "127.0.0.1" if (smtp is not None or port is not None) else ""
    return NotifySettings(
        mail=mail,
        outbox_dir=outbox,
        smtp_host=host,
        smtp_port=port if port is not None else (smtp.port if smtp is not None else 587),
        smtp_security="none",
        smtp_timeout=5,
        **kw,
    )


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_and_html(message: Any) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
