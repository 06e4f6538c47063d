"""Digests to group robots and webhooks over real HTTP on 127.0.0.1: payload shapes,
signatures, size limits, retries, permanent failures and the crash window."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import notifier.delivery as delivery
from notifier.delivery import backoff, run_notify
from notifier.settings import NotifySettings
from storage.models import Delivery, Destination
from storage.subscribers import DestinationRequest, SubscriptionRequest, upsert_subscriber
from tests.conftest import SmtpSink
from tests.notifier.notify_helpers import PROV, points_change, settings, shortage_change, store_changes
from tests.notifier.robot_endpoint import RobotEndpoint

NOW = dt.datetime(2030, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
SECRETS = {"PW_DINGTALK_SECRET": "SECdingtalk-secret-value", "PW_FEISHU_SECRET": "feishu-secret-value"}


def robot_settings(tmp_path: Path, smtp: SmtpSink | None = None, **kw: Any) -> NotifySettings:
    base = settings(tmp_path / "outbox", smtp)
    return dataclasses.replace(base, secret_lookup=SECRETS.get, robot_timeout=5, **kw)


def subscribe_to(
    sessions: sessionmaker[Session], *destinations: DestinationRequest, email: str | None = None, **kw: Any
) -> int:
    kw.setdefault("frequency", "immediate")
    with sessions.begin() as session:
        sub, _ = upsert_subscriber(session, SubscriptionRequest(email=email, destinations=destinations, **kw))
        return sub.id


def rows(sessions: sessionmaker[Session]) -> list[tuple[str, Delivery]]:
    with sessions.begin() as session:
        return [
            (channel, d)
            for d, channel in session.execute(
                select(Delivery, Destination.channel)
                .join(Destination, Destination.id == Delivery.destination_id)
                .order_by(Delivery.id)
            )
        ]


def test_wecom_gets_a_markdown_digest_with_the_email_lines_and_links(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom("k-123")), regions=["quanzhou"])
    store_changes(sessions, points_change("quanzhou", "五级/初级工", 10, 15), shortage_change("quanzhou"))
    result = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    assert (result.sent, result.sent_changes, result.failed, result.pending) == (1, 2, 0, 0) and result.ok
    (got,) = robot_endpoint.received
    assert got.path == "/cgi-bin/webhook/send" and got.query == {"key": "k-123"}
    assert set(got.body) == {"msgtype", "markdown"} and got.body["msgtype"] == "markdown"
    content = got.body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    for expected in ("泉州", "五级/初级工", "10 → 15", "电工", "泉人社〔2026〕88号"):
        assert expected in content, expected
    assert f"]({PROV.source_url})" in content  # the source document, linked
    assert all(status == "sent" for _, d in rows(sessions) for status in [d.status])


def _dingtalk_sign(secret: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_dingtalk_markdown_is_signed_with_the_secret_from_the_environment(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(
        sessions,
        DestinationRequest("dingtalk", robot_endpoint.dingtalk("tok"), secret_env="PW_DINGTALK_SECRET"),
    )
    store_changes(sessions, points_change())
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW).sent == 1
    (got,) = robot_endpoint.received
    assert got.query["access_token"] == "tok"
    assert got.query["timestamp"] == str(int(NOW.timestamp() * 1000))
    assert got.query["sign"] == _dingtalk_sign(SECRETS["PW_DINGTALK_SECRET"], got.query["timestamp"])
    assert got.body["msgtype"] == "markdown"
    assert "初级工" in got.body["markdown"]["text"] and "落户政策变化" in got.body["markdown"]["title"]


def test_dingtalk_without_a_secret_is_not_signed(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("dingtalk", robot_endpoint.dingtalk("tok")))
    store_changes(sessions, points_change())
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW).sent == 1
    assert robot_endpoint.received[0].query == {"access_token": "tok"}


def test_feishu_card_carries_timestamp_and_signature_in_the_body(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("feishu", robot_endpoint.feishu("hook-1")), name="厦门电工群")
    store_changes(sessions, points_change())
    cfg = robot_settings(tmp_path, default_secret_envs={"feishu": "PW_FEISHU_SECRET"})
    assert run_notify(sessions, cfg, now=NOW).sent == 1
    (got,) = robot_endpoint.received
    assert got.path == "/open-apis/bot/v2/hook/hook-1"
    ts = got.body["timestamp"]
    assert ts == str(int(NOW.timestamp()))
    expected = hmac.new(f"{ts}\n{SECRETS['PW_FEISHU_SECRET']}".encode(), b"", hashlib.sha256).digest()
    assert got.body["sign"] == base64.b64encode(expected).decode()
    assert got.body["msg_type"] == "interactive"
    card = got.body["card"]
    assert "落户政策变化" in card["header"]["title"]["content"]
    assert card["elements"][0]["tag"] == "markdown" and "初级工" in card["elements"][0]["content"]


def test_generic_webhook_gets_the_digest_as_json(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("webhook", robot_endpoint.url("/hooks/pw")), name="劳务公司")
    (cid,) = store_changes(sessions, points_change("xiamen", "四级/中级工", 20, 30))
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW).sent == 1
    body = robot_endpoint.received[0].body
    assert body["type"] == "policywatch.digest" and body["id"].startswith("<pw-chat-")
    assert body["subscriber"] == "劳务公司" and "中级工" in body["text"]
    (change,) = body["changes"]
    assert change["id"] == cid and (change["region"], change["kind"], change["change"]) == (
        "xiamen",
        "points_schedule",
        "modified",
    )
    assert change["before"]["points"] == 20 and change["after"]["points"] == 30
    assert change["source_url"] == PROV.source_url


def test_a_long_digest_is_split_into_messages_that_fit_each_carrying_its_own_changes(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()), all_changes=True)
    items = [f"测试项目{n:02d}" for n in range(40)]
    store_changes(sessions, *(points_change("fuzhou", item, n, n + 5) for n, item in enumerate(items)))
    result = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    posts = robot_endpoint.received
    assert len(posts) > 1 and result.sent == len(posts) and result.sent_changes == 40
    contents = [p.body["markdown"]["content"] for p in posts]
    assert all(len(c.encode("utf-8")) <= 4096 for c in contents)
    assert all(f"（{n}/{len(posts)}）" in c for n, c in enumerate(contents, 1))
    for item in items:
        assert sum(item in c for c in contents) == 1, item
    assert {d.status for _, d in rows(sessions)} == {"sent"}


def test_one_change_too_long_for_a_message_is_shortened_not_lost(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()), all_changes=True)
    huge = dataclasses.replace(
        shortage_change("fuzhou"), summary="福州 紧缺目录新增电工，" + "说明文字" * 1500
    )
    store_changes(sessions, huge)
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW).sent == 1
    content = robot_endpoint.received[0].body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 and "详见原文" in content and PROV.source_url in content


def test_crawled_text_cannot_inject_markdown_links_or_mentions(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    evil = dataclasses.replace(
        PROV,
        document_title="通知[点此领取](https://evil.example/x) <@all> **粗体**",
        source_url="javascript:alert(1)",
    )
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()))
    store_changes(sessions, points_change(prov=evil))
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW).sent == 1
    content = robot_endpoint.received[0].body["markdown"]["content"]
    assert "](https://evil.example" not in content and "<@" not in content and "](javascript" not in content
    assert "**粗体**" not in content and "点此领取" in content


def test_a_5xx_is_retried_on_a_later_run(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()))
    store_changes(sessions, points_change())
    robot_endpoint.replies.append((502, {"error": "bad gateway"}))
    first = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    assert (first.sent, first.deferred, first.pending) == (0, 1, 1) and not first.ok
    ((_, row),) = rows(sessions)
    assert row.status == "pending" and row.attempts == 1 and "HTTP 502" in (row.last_error or "")
    assert row.next_attempt_at == NOW + backoff(1)
    early = run_notify(sessions, robot_settings(tmp_path), now=NOW + dt.timedelta(minutes=1))
    assert early.sent == 0 and len(robot_endpoint.received) == 1  # waits for its backoff
    later = run_notify(sessions, robot_settings(tmp_path), now=NOW + backoff(1) + dt.timedelta(seconds=1))
    assert later.sent == 1 and later.pending == 0 and len(robot_endpoint.received) == 2


def test_a_rate_limit_code_in_a_200_reply_is_temporary(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()))
    store_changes(sessions, points_change())
    robot_endpoint.replies.append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    first = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    assert first.deferred == 1 and first.pending == 1
    ((_, row),) = rows(sessions)
    assert "45009" in (row.last_error or "") and row.status == "pending"
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW + dt.timedelta(hours=1)).sent == 1


def test_a_bad_key_fails_that_delivery_for_good_and_touches_no_other(
    sessions: sessionmaker[Session],
    robot_endpoint: RobotEndpoint,
    smtp_server: SmtpSink,
    tmp_path: Path,
) -> None:
    subscribe_to(
        sessions, DestinationRequest("wecom", robot_endpoint.wecom("bad-key")), email="hr@example.org"
    )
    subscribe_to(sessions, DestinationRequest("dingtalk", robot_endpoint.dingtalk("good")))
    subscribe_to(sessions, DestinationRequest("webhook", robot_endpoint.url("/gone")))
    store_changes(sessions, points_change())

    def reply_for_bad_key() -> None:
        robot_endpoint.replies.append((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))

    reply_for_bad_key()
    # the three robots are tried in subscription order: wecom (bad key), dingtalk, webhook
    robot_endpoint.replies += [(200, None), (404, {"error": "no such hook"})]
    result = run_notify(sessions, robot_settings(tmp_path, smtp_server), now=NOW)
    assert (result.sent, result.failed, result.deferred) == (2, 2, 0)
    by_channel = {channel: d for channel, d in rows(sessions)}
    assert by_channel["wecom"].status == "failed" and "93000" in (by_channel["wecom"].last_error or "")
    assert by_channel["webhook"].status == "failed" and "HTTP 404" in (by_channel["webhook"].last_error or "")
    assert by_channel["dingtalk"].status == "sent" and by_channel["email"].status == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["hr@example.org"]]
    # permanent: never tried again
    posts = len(robot_endpoint.received)
    assert (
        run_notify(
            sessions, robot_settings(tmp_path, smtp_server), now=NOW + dt.timedelta(days=1), flush=True
        ).sent
        == 0
    )
    assert len(robot_endpoint.received) == posts


def test_a_redirect_is_not_followed(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, tmp_path: Path
) -> None:
    subscribe_to(sessions, DestinationRequest("webhook", robot_endpoint.url("/moved")))
    store_changes(sessions, points_change())
    robot_endpoint.replies.append((302, robot_endpoint.url("/elsewhere")))
    result = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    assert result.failed == 1 and [r.path for r in robot_endpoint.received] == ["/moved"]


def test_crash_between_post_and_commit_gives_at_most_one_duplicate(
    sessions: sessionmaker[Session],
    robot_endpoint: RobotEndpoint,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscribe_to(sessions, DestinationRequest("webhook", robot_endpoint.url("/hook")))
    store_changes(sessions, points_change())
    real = delivery.mark_sent

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(delivery, "mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        run_notify(sessions, robot_settings(tmp_path), now=NOW)
    monkeypatch.setattr(delivery, "mark_sent", real)
    assert len(robot_endpoint.received) == 1
    # the lease holds: a run right after does not post again
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW + dt.timedelta(minutes=1)).sent == 0
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW + dt.timedelta(hours=1)).sent == 1
    assert run_notify(sessions, robot_settings(tmp_path), now=NOW + dt.timedelta(hours=2)).sent == 0
    first, again = robot_endpoint.received
    assert first.body["id"] == again.body["id"] and first.body["changes"] == again.body["changes"]


def test_a_missing_signing_secret_waits_and_nothing_secret_is_logged(
    sessions: sessionmaker[Session],
    robot_endpoint: RobotEndpoint,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = robot_endpoint.dingtalk("very-secret-token-123456")
    subscribe_to(sessions, DestinationRequest("dingtalk", url, secret_env="PW_UNSET_SECRET"))
    subscribe_to(
        sessions,
        DestinationRequest(
            "feishu", robot_endpoint.feishu("hook-secret-abcdef123456"), secret_env="PW_FEISHU_SECRET"
        ),
    )
    store_changes(sessions, points_change())
    caplog.set_level(logging.DEBUG)
    robot_endpoint.replies += [
        (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
    ]
    result = run_notify(sessions, robot_settings(tmp_path), now=NOW)
    assert (result.sent, result.failed, result.deferred) == (0, 1, 1)
    assert [r.path for r in robot_endpoint.received] == ["/open-apis/bot/v2/hook/hook-secret-abcdef123456"]
    by_channel = {channel: d for channel, d in rows(sessions)}
    assert "PW_UNSET_SECRET is not set" in (by_channel["dingtalk"].last_error or "")
    assert by_channel["feishu"].status == "failed" and "19021" in (by_channel["feishu"].last_error or "")
    stored = " ".join(d.last_error or "" for _, d in rows(sessions))
    for secret in ("very-secret-token-123456", "hook-secret-abcdef123456", *SECRETS.values()):
        assert secret not in caplog.text and secret not in stored


def test_a_new_destination_gets_news_not_the_backlog(
    sessions: sessionmaker[Session], robot_endpoint: RobotEndpoint, smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subscribe_to(sessions, email="hr@example.org")
    old_provenance = dataclasses.replace(PROV, detected_at=NOW)
    store_changes(sessions, points_change(prov=old_provenance))
    assert run_notify(sessions, robot_settings(tmp_path, smtp_server)).sent == 1
    subscribe_to(sessions, DestinationRequest("wecom", robot_endpoint.wecom()), email="hr@example.org")
    assert run_notify(sessions, robot_settings(tmp_path, smtp_server)).sent == 0
    store_changes(sessions, points_change("xiamen", "二级/技师", 50, 60))
    assert run_notify(sessions, robot_settings(tmp_path, smtp_server)).sent == 2
    assert (
        len(robot_endpoint.received) == 1 and "技师" in robot_endpoint.received[0].body["markdown"]["content"]
    )
    assert "初级工" not in robot_endpoint.received[0].body["markdown"]["content"]
